/**
 * Benchmark (not a test): background runs on every adapter (memory, sqlite, postgres, mysql,
 * redis), in two parts.
 *
 * 1. What the outbox write costs a commit. Four sides, interleaved in rotating order within one
 *    run, 16 concurrent clients, each on its own draft:
 *    - `engine + outbox`: `engine.execute` on a run-starting mix (`start_verification`, then
 *      `update_provider_connection`, which supersedes that run, and again): every commit carries
 *      one outbox entry (`run.requested`, then `run.cancelled`), as the engine writes them;
 *    - `engine, stripped`: the same engine and the same commands on the same store, wrapped so that
 *      `commit` drops `outbox` before the adapter sees it: the commit as it was before issue 11;
 *    - `commit + entry` / `commit bare`: the adapter's `commit` driven directly (the draft with its
 *      version bumped, one audit event) with one `run.requested` entry, and without: the strict
 *      figure, no engine work to dilute the difference.
 *    Target: a commit keeps >= 0.9 of its throughput with its outbox entry.
 * 2. Dispatch throughput: a backlog of pending entries (written by real commits of 500 entries,
 *    spread over a few workspaces) drained by `createDispatcher(...).runOnce()` in a loop to a
 *    no-op `deliver`, and, interleaved with it, by a bare loop of `claimOutbox` -> `settleOutbox`
 *    (the floor the dispatcher adds its work to). Target: >= 5,000 runs/s on PostgreSQL.
 *
 *   npm run bench -- outbox                 # every adapter
 *   npx tsx bench/outbox.ts postgres redis  # a selection (or OUTBOX_ADAPTERS=postgres,redis)
 *
 * Tuning: BENCH_ROUND_MS (500), BENCH_ROUNDS (6), BENCH_CLIENTS (16), BENCH_BACKLOG (20000),
 * BENCH_REPS (3 drains per dispatch configuration), BENCH_WORKSPACES (4), BENCH_PART (commit |
 * dispatch | both). Servers on loopback only, as in the other adapter benchmarks; each run uses
 * its own table / key prefix and drops it afterwards.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { Redis } from "ioredis";
import { createPool } from "mysql2/promise";
import pg from "pg";
import { createMemoryStore } from "../src/adapters/memory/index.js";
import { createMySqlStore, mysqlDropSchemaStatements } from "../src/adapters/mysql/index.js";
import { createPostgresStore, postgresDropSchemaSql } from "../src/adapters/postgres/index.js";
import { createRedisStore } from "../src/adapters/redis/index.js";
import { createSqliteStore } from "../src/adapters/sqlite/index.js";
import { createDispatcher } from "../src/dispatch/index.js";
import { createOnboardingEngine, type CommandInput, type OnboardingDraft } from "../src/index.js";
import type { AuditEvent, OutboxEntry } from "../src/record/index.js";
import type { CommitInput, DraftStore } from "../src/store/index.js";
import { encodeDraft } from "../src/lifecycle/index.js";

const env = (name: string, fallback: number): number => {
  const value = Number(process.env[name] ?? fallback);
  return Number.isFinite(value) && value > 0 ? value : fallback;
};
const ROUND_MS = env("BENCH_ROUND_MS", 500);
const ROUNDS = env("BENCH_ROUNDS", 6);
const CLIENTS = env("BENCH_CLIENTS", 16);
const BACKLOG = env("BENCH_BACKLOG", 20_000);
const REPS = env("BENCH_REPS", 3);
const WORKSPACES = env("BENCH_WORKSPACES", 4);
const PART = process.env["BENCH_PART"] ?? "both";
const ADAPTERS = ["memory", "sqlite", "postgres", "mysql", "redis"] as const;
type AdapterName = (typeof ADAPTERS)[number];

/** A store under test and how to tidy up after it. */
interface Harness {
  readonly store: DraftStore;
  /** Run after each backlog fill (PostgreSQL: VACUUM ANALYZE the outbox, as autovacuum would). */
  readonly afterFill: () => Promise<void>;
  readonly close: () => Promise<void>;
}

const stamp = Date.now().toString(36);
const nothing = async (): Promise<void> => {};

async function harness(name: AdapterName): Promise<Harness> {
  switch (name) {
    case "memory":
      return { store: createMemoryStore(), afterFill: nothing, close: nothing };
    case "sqlite": {
      const dir = mkdtempSync(join(tmpdir(), "onboarding-outbox-bench-"));
      const db = new Database(join(dir, "bench.db"));
      db.pragma("journal_mode = WAL");
      db.pragma("synchronous = FULL");
      const store = createSqliteStore({ database: db, tablePrefix: "bench_" });
      await store.migrate();
      const close = async (): Promise<void> => {
        db.close();
        rmSync(dir, { recursive: true, force: true });
      };
      return { store, afterFill: nothing, close };
    }
    case "postgres": {
      const url = process.env["POSTGRES_URL"] ?? "postgres://postgres@127.0.0.1:5432/test";
      const pool = new pg.Pool({ connectionString: url, max: CLIENTS });
      const prefix = `bench_obx_${stamp}_`;
      const store = createPostgresStore({ pool, tablePrefix: prefix });
      await store.migrate();
      const afterFill = async (): Promise<void> => void (await pool.query(`VACUUM ANALYZE ${store.tables.outbox}`));
      const close = async (): Promise<void> => {
        await pool.query(postgresDropSchemaSql(prefix));
        await pool.end();
      };
      return { store, afterFill, close };
    }
    case "mysql": {
      const pool = createPool({
        host: "127.0.0.1",
        port: Number(process.env["MYSQL_PORT"] ?? 3306),
        user: process.env["MYSQL_USER"] ?? "root",
        password: process.env["MYSQL_PASSWORD"] ?? "",
        database: process.env["MYSQL_DATABASE"] ?? "test",
        charset: "utf8mb4",
        connectionLimit: CLIENTS,
      });
      const prefix = `bench_obx_${stamp}_`;
      const store = createMySqlStore({ pool, tablePrefix: prefix });
      await store.migrate();
      const close = async (): Promise<void> => {
        for (const statement of mysqlDropSchemaStatements(prefix)) await pool.query(statement);
        await pool.end();
      };
      return { store, afterFill: nothing, close };
    }
    case "redis": {
      const client = new Redis({ host: "127.0.0.1", port: Number(process.env["REDIS_PORT"] ?? 6379) });
      const prefix = `bench-obx-${stamp}`;
      const store = createRedisStore({ client, keyPrefix: prefix });
      const close = async (): Promise<void> => {
        let cursor = "0";
        do {
          const [next, keys] = await client.scan(cursor, "MATCH", `{${prefix}:*`, "COUNT", 1000);
          const ours = keys.filter((key) => key.startsWith(`{${prefix}:`));
          if (ours.length > 0) await client.del(...ours);
          cursor = next;
        } while (cursor !== "0");
        await client.quit();
      };
      return { store, afterFill: nothing, close };
    }
  }
}

// ---- helpers ----------------------------------------------------------------------------------

let counter = 0;
const actor = { id: "bench" };

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
const format = (value: number): string => Math.round(value).toLocaleString("en-US");
const spread = (values: readonly number[]): string => `${format(Math.min(...values))} – ${format(Math.max(...values))}`;

/** The audit event of a bare `commit` from `from` to `next`. */
function eventOf(next: OnboardingDraft, from: number): AuditEvent {
  return {
    eventId: `e-${stamp}-${(counter += 1)}`,
    workspaceId: next.workspaceId,
    draftId: next.id,
    kind: "committed",
    commandType: "start_verification",
    actorId: "bench",
    at: next.updatedAt,
    fromVersion: from,
    toVersion: next.version,
    expectedVersion: null,
    actualVersion: null,
    idempotencyKey: null,
    feedback: "queued",
    runIds: [],
    capability: null,
    state: next.lifecycle.state,
  };
}

/** A `run.requested` entry of the commit that wrote `event`. */
function entryOf(next: OnboardingDraft, event: AuditEvent): OutboxEntry {
  counter += 1;
  return {
    entryId: `ob-${stamp}-${counter}`,
    workspaceId: next.workspaceId,
    draftId: next.id,
    runId: `run-${stamp}-${counter}`,
    kind: "run.requested",
    checkpoint: "verify_access",
    operation: "verify_access",
    providerConnectionId: "conn-1",
    providerRevision: 1,
    draftVersion: next.version,
    eventId: event.eventId,
    createdAt: next.updatedAt,
  };
}

/** Bumps the version of `draft` (and its time, always forward). */
function bumped(draft: OnboardingDraft): OnboardingDraft {
  const at = Math.max(Date.now(), Date.parse(draft.updatedAt) + 1);
  return { ...draft, version: draft.version + 1, updatedAt: new Date(at).toISOString() };
}

/** Commits `next` over `draft` with `entries`; throws when the adapter rejects it. */
async function commitBare(store: DraftStore, draft: OnboardingDraft, entries: number): Promise<OnboardingDraft> {
  const next = bumped(draft);
  const event = eventOf(next, draft.version);
  const input: CommitInput = {
    draft: next,
    document: encodeDraft(next),
    expectedVersion: draft.version,
    events: [event],
    idempotency: null,
  };
  const outbox = Array.from({ length: entries }, () => entryOf(next, event));
  const result = await store.commit(entries === 0 ? input : { ...input, outbox });
  if (!result.ok) throw new Error(`bench commit rejected: ${result.reason}`);
  return next;
}

/** The store with `commit` dropping its outbox entries: the commit as it was before the outbox. */
function stripped(store: DraftStore): DraftStore {
  return {
    ...store,
    commit: (input) => {
      const { outbox: _dropped, ...rest } = input;
      return store.commit(rest);
    },
  };
}

/** A new draft that is identified and has a provider: ready for `start_verification`. */
async function readyDraft(engine: ReturnType<typeof createOnboardingEngine>, workspaceId: string, tag: string) {
  const { draft } = await engine.create(
    workspaceId,
    { identity: { tenantId: `t-${tag}`, displayName: `Tenant ${tag}` } },
    { actor },
  );
  const result = await engine.execute(
    workspaceId,
    draft.id,
    { type: "select_provider", connectionId: "conn-1" },
    { actor, expectedVersion: draft.version },
  );
  return result.draft;
}

// ---- part 1: the commit with and without its outbox entry ---------------------------------------

interface Side {
  readonly label: string;
  /** One operation of client `index`. */
  readonly op: (index: number) => Promise<void>;
  readonly rates: number[];
}

async function runFor(side: Side, ms: number): Promise<number> {
  const started = performance.now();
  const deadline = started + ms;
  let ops = 0;
  await Promise.all(
    Array.from({ length: CLIENTS }, async (_, index) => {
      while (performance.now() < deadline) {
        await side.op(index);
        ops += 1;
      }
    }),
  );
  return (ops / (performance.now() - started)) * 1000;
}

/** An engine side: each client alternates `start_verification` and `update_provider_connection`. */
async function engineSide(label: string, store: DraftStore, workspaceId: string): Promise<Side> {
  const engine = createOnboardingEngine({ store, authorize: () => true });
  const drafts: OnboardingDraft[] = [];
  for (let i = 0; i < CLIENTS; i += 1) drafts.push(await readyDraft(engine, workspaceId, `${label}-${i}`));
  const op = async (index: number): Promise<void> => {
    const draft = drafts[index]!;
    const active = draft.verification !== null && draft.verification.providerRevision === draft.provider?.revision;
    const command: CommandInput = active
      ? { type: "update_provider_connection", connectionId: "conn-1" }
      : { type: "start_verification" };
    const result = await engine.execute(workspaceId, draft.id, command, { actor, expectedVersion: draft.version });
    if (result.version === draft.version) throw new Error(`${command.type} wrote nothing`);
    drafts[index] = result.draft;
  };
  return { label, op, rates: [] };
}

/** A side driving `store.commit` directly, with `entries` outbox entries per commit. */
async function commitSide(label: string, store: DraftStore, workspaceId: string, entries: number): Promise<Side> {
  const engine = createOnboardingEngine({ store, authorize: () => true });
  const drafts: OnboardingDraft[] = [];
  for (let i = 0; i < CLIENTS; i += 1) drafts.push(await readyDraft(engine, workspaceId, `${label}-${i}`));
  const op = async (index: number): Promise<void> => {
    drafts[index] = await commitBare(store, drafts[index]!, entries);
  };
  return { label, op, rates: [] };
}

async function commitCost(name: AdapterName, store: DraftStore): Promise<void> {
  const sides = [
    await engineSide("engine + outbox", store, `ws-eo-${stamp}`),
    await engineSide("engine, stripped", stripped(store), `ws-es-${stamp}`),
    await commitSide("commit + entry", store, `ws-co-${stamp}`, 1),
    await commitSide("commit bare", store, `ws-cb-${stamp}`, 0),
  ];
  for (const side of sides) await runFor(side, ROUND_MS); // warm-up
  for (let round = 0; round < ROUNDS; round += 1) {
    for (let j = 0; j < sides.length; j += 1) {
      const side = sides[(round + j) % sides.length]!;
      side.rates.push(await runFor(side, ROUND_MS));
    }
  }
  console.log(`\n### ${name}: commit with vs without its outbox entry`);
  console.log(`${CLIENTS} clients, ${ROUNDS} rounds x ${ROUND_MS} ms per side, rotating order; median (range) ops/s`);
  for (const side of sides) {
    console.log(`  ${side.label.padEnd(18)} ${format(median(side.rates)).padStart(8)}   (${spread(side.rates)})`);
  }
  const [engineWith, engineWithout, commitWith, commitWithout] = sides.map((side) => side.rates) as [
    number[],
    number[],
    number[],
    number[],
  ];
  const ratios = (a: number[], b: number[]): number[] => a.map((value, i) => value / b[i]!);
  const show = (label: string, values: number[]): void => {
    const sorted = [...values].sort((x, y) => x - y);
    const verdict = median(values) >= 0.9 ? "met" : "NOT met";
    console.log(
      `  ${label.padEnd(34)} ${median(values).toFixed(3)} median, ${sorted[0]!.toFixed(3)} – ${sorted.at(-1)!.toFixed(3)} per round (target >= 0.9: ${verdict})`,
    );
  };
  show("ratio engine + outbox / stripped", ratios(engineWith, engineWithout));
  show("ratio commit + entry / bare", ratios(commitWith, commitWithout));
}

// ---- part 2: dispatch throughput ------------------------------------------------------------------

/** Writes `count` pending entries, commits of up to 500 round-robin over the drafts; entries/s. */
async function fill(store: DraftStore, drafts: OnboardingDraft[], count: number): Promise<number> {
  const started = performance.now();
  for (let done = 0, i = 0; done < count; done += 500, i += 1) {
    const slot = i % drafts.length;
    drafts[slot] = await commitBare(store, drafts[slot]!, Math.min(500, count - done));
  }
  return (count / (performance.now() - started)) * 1000;
}

interface Drain {
  readonly runs: number;
  /** Node CPU (user + system) per run, µs. */
  readonly cpuPerRun: number;
}

async function timed(work: () => Promise<number>): Promise<Drain> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  const delivered = await work();
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  if (delivered !== BACKLOG) throw new Error(`delivered ${delivered} of ${BACKLOG}`);
  return { runs: delivered / seconds, cpuPerRun: (used.user + used.system) / delivered };
}

/** The floor: `loops` loops of claimOutbox -> settleOutbox(all delivered), no dispatcher. */
async function drainBare(store: DraftStore, loops: number, batch: number): Promise<number> {
  let delivered = 0;
  await Promise.all(
    Array.from({ length: loops }, async (_, index) => {
      const owner = `bare-${stamp}-${index}-${(counter += 1)}`;
      for (;;) {
        const now = Date.now();
        const claimed = (await store.claimOutbox({
          owner,
          now: new Date(now).toISOString(),
          leaseUntil: new Date(now + 30_000).toISOString(),
          limit: batch,
        })) as readonly { workspaceId: string; entryId: string }[];
        if (claimed.length === 0) return;
        const settlements = claimed.map(({ workspaceId, entryId }) => ({
          workspaceId,
          entryId,
          status: "delivered" as const,
        }));
        const changed = await store.settleOutbox({ owner, at: new Date().toISOString(), settlements });
        delivered += changed;
      }
    }),
  );
  return delivered;
}

/** `dispatchers` dispatchers, each looping `runOnce` until a claim finds nothing. */
async function drainDispatcher(store: DraftStore, dispatchers: number, batch: number): Promise<number> {
  let delivered = 0;
  const errors: unknown[] = [];
  await Promise.all(
    Array.from({ length: dispatchers }, async () => {
      const dispatcher = createDispatcher({
        store,
        deliver: nothing,
        batchSize: batch,
        concurrency: batch,
        onError: (error) => errors.push(error),
      });
      for (;;) {
        const report = await dispatcher.runOnce();
        delivered += report.delivered;
        if (report.claimed === 0) return;
      }
    }),
  );
  if (errors.length > 0) throw new Error(`dispatcher reported ${errors.length} errors`, { cause: errors[0] });
  return delivered;
}

interface DrainConfig {
  readonly label: string;
  readonly drain: (store: DraftStore) => Promise<number>;
  readonly results: Drain[];
}

async function dispatchThroughput(name: AdapterName, h: Harness): Promise<void> {
  const engine = createOnboardingEngine({ store: h.store, authorize: () => true });
  const drafts: OnboardingDraft[] = [];
  for (let w = 0; w < WORKSPACES; w += 1) drafts.push(await readyDraft(engine, `ws-fill-${stamp}-${w}`, `fill-${w}`));
  const configs: DrainConfig[] = [
    { label: "bare claim+settle, 1 x 500", drain: (s) => drainBare(s, 1, 500), results: [] },
    { label: "createDispatcher, 1 x 500", drain: (s) => drainDispatcher(s, 1, 500), results: [] },
    { label: "createDispatcher, 4 x 250", drain: (s) => drainDispatcher(s, 4, 250), results: [] },
  ];
  await drainBare(h.store, 1, 1000); // what part 1 left pending: not part of any backlog
  const fills: number[] = [];
  for (let rep = 0; rep < REPS; rep += 1) {
    for (let j = 0; j < configs.length; j += 1) {
      const config = configs[(rep + j) % configs.length]!;
      fills.push(await fill(h.store, drafts, BACKLOG));
      await h.afterFill();
      config.results.push(await timed(() => config.drain(h.store)));
    }
  }
  console.log(`\n### ${name}: dispatch of a ${format(BACKLOG)}-entry backlog to a no-op deliver`);
  console.log(
    `${WORKSPACES} workspaces, ${REPS} drains per configuration in rotating order; median (range) runs/s, node CPU per run`,
  );
  for (const config of configs) {
    const runs = config.results.map((r) => r.runs);
    const cpu = median(config.results.map((r) => r.cpuPerRun));
    console.log(
      `  ${config.label.padEnd(28)} ${format(median(runs)).padStart(8)}   (${spread(runs)})   ${cpu.toFixed(1)} µs`,
    );
  }
  console.log(`  backlog writes (commits of 500): ${format(median(fills))} entries/s (${spread(fills)})`);
}

// ---- main ---------------------------------------------------------------------------------------

const requested = [...process.argv.slice(2), ...(process.env["OUTBOX_ADAPTERS"]?.split(",") ?? [])]
  .map((value) => value.trim())
  .filter((value) => value !== "" && value !== "--");
const unknown = requested.filter((value) => !(ADAPTERS as readonly string[]).includes(value));
if (unknown.length > 0) throw new Error(`unknown adapter(s) ${unknown.join(", ")}; known: ${ADAPTERS.join(", ")}`);
const names = requested.length > 0 ? (requested as AdapterName[]) : [...ADAPTERS];
console.log(
  `node ${process.version}, ${cpus().length} CPUs, load average ${loadavg()
    .map((value) => value.toFixed(1))
    .join(" ")} at start`,
);
for (const name of names) {
  const h = await harness(name);
  try {
    if (PART !== "dispatch") await commitCost(name, h.store);
    if (PART !== "commit") await dispatchThroughput(name, h);
  } finally {
    await h.close();
  }
}
console.log(`\nload average ${loadavg()[0]!.toFixed(1)} at the end`);
