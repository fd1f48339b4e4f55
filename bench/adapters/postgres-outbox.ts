/**
 * Benchmark (not a test): outbox dispatch on the PostgreSQL adapter. A backlog of pending
 * `run.requested` entries (written by real commits, 500 per commit) is drained by dispatchers
 * that loop `claimOutbox` (one statement) -> a no-op `deliver` -> `settleOutbox` of the whole
 * batch as delivered (one statement): two round trips per batch. Prints runs per second for each
 * (dispatchers, batch size) pair, and the commit side (entries written per second).
 * Target: >= 5,000 runs/s.
 *
 * Run: npx tsx bench/adapters/postgres-outbox.ts   (POSTGRES_URL, BENCH_BACKLOG to tune)
 */
import pg from "pg";
import { createPostgresStore, postgresDropSchemaSql } from "../../src/adapters/postgres/index.js";
import { newDraft } from "../../src/commands/index.js";
import type { AuditEvent, OnboardingDraft, OutboxEntry } from "../../src/record/index.js";
import { withDocument } from "../../src/testing/index.js";

const url = process.env["POSTGRES_URL"] ?? "postgres://postgres@127.0.0.1:5432/test";
const backlog = Number(process.env["BENCH_BACKLOG"] ?? 20_000);
const prefix = `bench_ob_${Date.now().toString(36)}_`;
const pool = new pg.Pool({ connectionString: url, max: 8 });
const store = createPostgresStore({ pool, tablePrefix: prefix });
await store.migrate();
const workspaceId = "bench-ws";
let draft: OnboardingDraft = newDraft({ id: "bench-d", workspaceId, now: "2026-01-01T00:00:00.000Z", actorId: "u" });
let counter = 0;

function eventOf(next: OnboardingDraft): AuditEvent {
  return {
    eventId: `e-${(counter += 1)}`,
    workspaceId,
    draftId: next.id,
    kind: next.version === 1 ? "created" : "committed",
    commandType: next.version === 1 ? "create" : "select_provider",
    actorId: "u",
    at: next.updatedAt,
    fromVersion: next.version === 1 ? null : next.version - 1,
    toVersion: next.version,
    expectedVersion: null,
    actualVersion: null,
    idempotencyKey: null,
    feedback: "applied",
    runIds: [],
    capability: null,
    state: next.lifecycle.state,
  };
}

await store.insert(withDocument({ draft, event: eventOf(draft), idempotency: null }));

/** Writes `count` pending entries with commits of up to 500; resolves to entries per second. */
async function fill(count: number): Promise<number> {
  const started = performance.now();
  for (let done = 0; done < count; done += 500) {
    const next: OnboardingDraft = {
      ...draft,
      version: draft.version + 1,
      updatedAt: new Date(Date.parse(draft.updatedAt) + 1).toISOString(),
    };
    const event = eventOf(next);
    const outbox: OutboxEntry[] = Array.from({ length: Math.min(500, count - done) }, () => ({
      entryId: `ob-${(counter += 1)}`,
      workspaceId,
      draftId: next.id,
      runId: `run-${counter}`,
      kind: "run.requested",
      checkpoint: "verify_access",
      operation: "verify_access",
      providerConnectionId: "conn",
      providerRevision: 1,
      draftVersion: next.version,
      eventId: event.eventId,
      createdAt: next.updatedAt,
    }));
    const result = await store.commit(
      withDocument({
        draft: next,
        expectedVersion: draft.version,
        events: [event],
        idempotency: null,
        outbox,
      }),
    );
    if (!result.ok) throw new Error(`seed commit rejected: ${result.reason}`);
    draft = next;
  }
  return count / ((performance.now() - started) / 1000);
}

/** Drains the backlog with `dispatchers` loops claiming `batch` at a time: runs per second, mean ms per claim and per settle. */
async function drain(dispatchers: number, batch: number): Promise<{ runs: number; claimMs: number; settleMs: number }> {
  let delivered = 0;
  let batches = 0;
  let claimMs = 0;
  let settleMs = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: dispatchers }, async (_, index) => {
      const owner = `dispatcher-${index}`;
      for (;;) {
        const now = new Date();
        const claimStarted = performance.now();
        const claimed = (await store.claimOutbox({
          owner,
          now: now.toISOString(),
          leaseUntil: new Date(now.getTime() + 30_000).toISOString(),
          limit: batch,
        })) as readonly { workspaceId: string; entryId: string }[];
        if (claimed.length === 0) return;
        // deliver: a no-op
        const settleStarted = performance.now();
        claimMs += settleStarted - claimStarted;
        batches += 1;
        const n = await store.settleOutbox({
          owner,
          at: new Date().toISOString(),
          settlements: claimed.map((record) => ({
            workspaceId: record.workspaceId,
            entryId: record.entryId,
            status: "delivered" as const,
          })),
        });
        settleMs += performance.now() - settleStarted;
        delivered += n; // after the await: `delivered += await ...` would lose the other loops' counts
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  if (delivered !== backlog) throw new Error(`delivered ${delivered} of ${backlog}`);
  return { runs: delivered / seconds, claimMs: claimMs / batches, settleMs: settleMs / batches };
}

const format = (value: number): string => Math.round(value).toLocaleString("en-US");
try {
  for (const [dispatchers, batch] of [
    [1, 100],
    [1, 250],
    [1, 500],
    [2, 250],
    [4, 250],
    [4, 500],
  ] as const) {
    const written = await fill(backlog);
    await pool.query(`VACUUM ANALYZE ${store.tables.outbox}`);
    const { runs, claimMs, settleMs } = await drain(dispatchers, batch);
    console.log(
      `dispatchers ${dispatchers}, batch ${batch}: ${format(runs)} runs/s (claim ${claimMs.toFixed(1)} ms, settle ${settleMs.toFixed(1)} ms per batch; backlog ${format(backlog)}; commits wrote ${format(written)} entries/s)`,
    );
  }
} finally {
  await pool.query(postgresDropSchemaSql(prefix));
  await pool.end();
}
