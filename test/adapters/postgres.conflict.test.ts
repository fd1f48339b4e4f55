/**
 * PostgreSQL adapter: the conflict path in as few round trips as it can take. A commit that
 * misses reads the latest row, writes the engine's `conflict` entry and names the writer in its
 * own statement; a conflict the engine sees on a load costs one `appendConflict` statement. The
 * guarantees stay: one conflict entry per conflict, with the stored version and state, none for
 * a stale basis or a write re-sent after it applied, one committed entry per version.
 */
import { withDocument } from "../../src/testing/index.js";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type PostgresStore } from "../../src/adapters/postgres/index.js";
import { createOnboardingEngine, type AuditEvent } from "../../src/index.js";
import { VersionConflictError } from "../../src/record/index.js";
import { serviceAvailable } from "../support/services.js";
import {
  draftFor,
  dropTables,
  eventFor,
  migratedStore,
  next,
  probePostgres,
  testPool,
  uniquePrefix,
} from "./fixtures/postgres-support.js";

const up = await serviceAvailable("PostgreSQL", probePostgres);
const actor = { id: "u1" };

/** Counts the statements every `pg.Client` sends while `run` runs. */
async function statementsOf<T>(run: () => Promise<T>): Promise<{ result: T; texts: string[] }> {
  const proto = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const original = proto.query;
  const texts: string[] = [];
  proto.query = function (this: unknown, ...args: unknown[]): unknown {
    const first = args[0];
    texts.push(typeof first === "string" ? first : ((first as { text?: string }).text ?? ""));
    return original.apply(this, args);
  };
  try {
    return { result: await run(), texts };
  } finally {
    proto.query = original;
  }
}

function conflictEntry(draft: { workspaceId: string; id: string }, expectedVersion: number, id: string): AuditEvent {
  return {
    eventId: id,
    workspaceId: draft.workspaceId,
    draftId: draft.id,
    kind: "conflict",
    commandType: "select_provider",
    actorId: "u2",
    at: "2026-01-01T00:00:00.000Z",
    fromVersion: expectedVersion,
    toVersion: null,
    expectedVersion,
    actualVersion: null,
    idempotencyKey: null,
    feedback: null,
    runIds: [],
    capability: null,
    state: null,
  };
}

describe.skipIf(!up)("postgres adapter: the conflict path", () => {
  let pool: pg.Pool;
  let store: PostgresStore;
  const prefix = uniquePrefix("conflict");
  const ws = (label: string): string => `ws-${label}-${Math.random().toString(36).slice(2)}`;

  beforeAll(async () => {
    pool = testPool();
    store = await migratedStore(pool, prefix);
  });
  afterAll(async () => {
    await dropTables(pool, prefix);
    await pool.end();
  });

  it("a missed commit carries the latest row, writes the conflict entry with the stored version and state, and names the writer", async () => {
    const w = ws("miss");
    const v1 = draftFor(w, "d1");
    await store.insert(withDocument({ draft: v1, event: eventFor(v1), idempotency: null }));
    const v2 = next(v1, { type: "select_provider", connectionId: "c1" });
    await store.commit(withDocument({ draft: v2, expectedVersion: 1, events: [eventFor(v2)], idempotency: null }));
    const stale = next(v1, { type: "select_provider", connectionId: "c2" });
    const { result, texts } = await statementsOf(() =>
      store.commit(
        withDocument({
          draft: stale,
          expectedVersion: 1,
          events: [eventFor(stale)],
          idempotency: null,
          conflict: conflictEntry(stale, 1, "conflict-1"),
        }),
      ),
    );
    expect(texts).toHaveLength(1);
    expect(result).toMatchObject({
      ok: false,
      reason: "version_conflict",
      actualVersion: 2,
      conflictAudited: true,
      changedBy: { actorId: eventFor(v2).actorId, commandType: eventFor(v2).commandType },
    });
    const current = (result as { current?: { version?: unknown; document?: unknown } }).current;
    expect(current?.version).toBe(2);
    expect(JSON.parse(String(current?.document))).toMatchObject({ version: 2 });
    const trail = (await store.listAudit(w, "d1")).map(({ event }) => event as AuditEvent);
    expect(trail.map((e) => e.kind)).toEqual(["created", "committed", "conflict"]);
    expect(trail[2]).toMatchObject({
      eventId: "conflict-1",
      expectedVersion: 1,
      actualVersion: 2,
      state: v2.lifecycle.state,
    });
  });

  it("writes no conflict entry for a stale basis at the same version, nor for a write re-sent after it applied", async () => {
    const w = ws("no-conflict");
    const v1 = draftFor(w, "d1");
    await store.insert(withDocument({ draft: v1, event: eventFor(v1), idempotency: null }));
    const v2 = next(v1, { type: "select_provider", connectionId: "c1" });
    const input = withDocument({
      draft: v2,
      expectedVersion: 1,
      events: [eventFor(v2)],
      idempotency: null,
      conflict: conflictEntry(v2, 1, "never-1"),
    });
    expect(await store.commit(input)).toEqual({ ok: true });
    expect(await store.commit(input)).toEqual({ ok: true }); // re-sent: applied, no conflict
    const v3 = next(v2, { type: "select_provider", connectionId: "c3" });
    const staleBasis = await store.commit({
      ...withDocument({
        draft: v3,
        expectedVersion: 2,
        events: [eventFor(v3)],
        idempotency: null,
        conflict: conflictEntry(v3, 2, "never-2"),
      }),
      basis: "not the stored text",
    });
    expect(staleBasis).toMatchObject({ ok: false, reason: "version_conflict", actualVersion: 2 });
    expect((staleBasis as { conflictAudited?: boolean }).conflictAudited).toBe(false);
    const kinds = (await store.listAudit(w, "d1")).map(({ event }) => (event as AuditEvent).kind);
    expect(kinds).toEqual(["created", "committed"]);
  });

  it("appendConflict appends the entry and names who wrote the version it observed, in one statement", async () => {
    const w = ws("append");
    const v1 = draftFor(w, "d1");
    await store.insert(withDocument({ draft: v1, event: eventFor(v1), idempotency: null }));
    const created = await store.appendConflict({ ...conflictEntry(v1, 0, "a-0"), actualVersion: 1 });
    expect(created).toBeNull(); // version 1 was written by `insert`
    const v2 = next(v1, { type: "select_provider", connectionId: "c1" });
    await store.commit(withDocument({ draft: v2, expectedVersion: 1, events: [eventFor(v2)], idempotency: null }));
    const { result, texts } = await statementsOf(() =>
      store.appendConflict({ ...conflictEntry(v2, 1, "a-1"), actualVersion: 2 }),
    );
    expect(texts).toHaveLength(1);
    expect(result).toEqual({ actorId: eventFor(v2).actorId, commandType: eventFor(v2).commandType });
    const kinds = (await store.listAudit(w, "d1")).map(({ event }) => (event as AuditEvent).kind);
    expect(kinds).toEqual(["created", "conflict", "committed", "conflict"]);
  });

  it("through the engine: a stale write costs one statement on a cached draft, the error names the writer, the trail has one conflict entry", async () => {
    const w = ws("engine");
    const engine = createOnboardingEngine({ store, authorize: () => true });
    const other = createOnboardingEngine({ store, authorize: () => true });
    const { draft } = await engine.create(w, { identity: { tenantId: "t1", displayName: "T" } }, { actor });
    // Another process moves the draft on; this engine still caches version 1.
    await other.execute(
      w,
      draft.id,
      { type: "select_provider", connectionId: "c1" },
      {
        actor: { id: "u2" },
        expectedVersion: 1,
      },
    );
    const { result: error, texts } = await statementsOf(() =>
      engine
        .execute(w, draft.id, { type: "select_provider", connectionId: "c2" }, { actor, expectedVersion: 1 })
        .catch((e: unknown) => e),
    );
    expect(error).toBeInstanceOf(VersionConflictError);
    const conflict = error as VersionConflictError;
    expect(conflict.actualVersion).toBe(2);
    expect(conflict.current.version).toBe(2);
    expect(conflict.changedBy).toEqual({ actorId: "u2", commandType: "select_provider", worker: false });
    expect(texts).toHaveLength(1);
    // Cache off: one load, then one appendConflict statement.
    const cold = createOnboardingEngine({ store, authorize: () => true, documentCacheSize: 0 });
    const { result: again, texts: coldTexts } = await statementsOf(() =>
      cold
        .execute(w, draft.id, { type: "select_provider", connectionId: "c3" }, { actor, expectedVersion: 1 })
        .catch((e: unknown) => e),
    );
    expect((again as VersionConflictError).changedBy).toEqual({
      actorId: "u2",
      commandType: "select_provider",
      worker: false,
    });
    expect(coldTexts).toHaveLength(2);
    const entries = (await engine.history(w, draft.id, { actor })).entries;
    expect(entries.map((e) => e.kind)).toEqual(["created", "committed", "conflict", "conflict"]);
    expect(entries.filter((e) => e.kind === "conflict").map((e) => [e.expectedVersion, e.actualVersion])).toEqual([
      [1, 2],
      [1, 2],
    ]);
  });

  it("16 writers on one draft: versions contiguous, one committed entry per version, every conflict audited once", async () => {
    const w = ws("race");
    const engine = createOnboardingEngine({ store, authorize: () => true });
    const { draft } = await engine.create(w, { identity: { tenantId: "t1", displayName: "T" } }, { actor });
    let landed = 0;
    let conflicts = 0;
    let n = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        let current = draft;
        for (let i = 0; i < 6; i += 1) {
          try {
            const result = await engine.execute(
              w,
              draft.id,
              { type: "select_provider", connectionId: `c-${(n += 1)}` },
              { actor, expectedVersion: current.version },
            );
            current = result.draft;
            landed += 1;
          } catch (error) {
            if (!(error instanceof VersionConflictError)) throw error;
            conflicts += 1;
            current = error.current;
          }
        }
      }),
    );
    const trail = (await store.listAudit(w, draft.id)).map(({ event }) => event as AuditEvent);
    const committed = trail.filter((e) => e.kind === "committed").map((e) => e.toVersion);
    expect(committed).toEqual(Array.from({ length: landed }, (_, i) => i + 2));
    expect(trail.filter((e) => e.kind === "conflict")).toHaveLength(conflicts);
    expect((await engine.get(w, draft.id, { actor })).version).toBe(landed + 1);
  });
});
