/**
 * The MySQL adapter's handling of transactions the server aborts (ER_LOCK_DEADLOCK, 1213), with
 * no server: a scripted stand-in for a `mysql2/promise` pool. On Galera a write that loses
 * certification fails that way at COMMIT, after its UPDATE reported one affected row; the adapter
 * must report a rejection (the engine retries it or reports VersionConflictError), never the
 * driver's error and never a success. Also: `causalReads` puts Galera's causality wait in front
 * of the store's reads, transaction starts and outbox statements. The same paths on a real
 * three-node cluster: test/adapters/mysql.galera.test.ts.
 */
import { describe, expect, it } from "vitest";
import type { Pool } from "mysql2/promise";
import { createMySqlStore } from "../../src/adapters/mysql/index.js";
import { applyCommand, newDraft, parseCommand } from "../../src/commands/index.js";
import { encodeDraft } from "../../src/lifecycle/index.js";
import { createOnboardingEngine } from "../../src/index.js";
import { StoreError, VersionConflictError, type OnboardingDraft } from "../../src/record/index.js";
import { withDocument } from "../../src/testing/index.js";
import { eventFor } from "./fixtures/mysql-support.js";

const WS = "ws-cert";
const CAUSAL = "SET STATEMENT wsrep_sync_wait = 7 FOR ";

function serverError(errno: number, message: string): Error {
  return Object.assign(new Error(message), { errno, code: errno === 1213 ? "ER_LOCK_DEADLOCK" : "ER_DUP_ENTRY" });
}
const deadlock = (): Error => serverError(1213, "Deadlock found when trying to get lock; try restarting transaction");
const duplicate = (key: string): Error => serverError(1062, `Duplicate entry 'x' for key '${key}'`);

type Rows = Record<string, unknown>[];

/** What the scripted server does; every statement it sees is in `log` (the causal prefix kept). */
interface Server {
  /** The stored draft (what the version and load reads return). */
  draft: OnboardingDraft | null;
  /** How many of the next COMMITs fail with 1213 (Infinity: all of them). */
  abortCommits: number;
  /** What a concurrent writer on another node left behind, applied when the first COMMIT fails. */
  onAbort?: (state: Server) => void;
  /** The error of the next INSERT of a draft row, once (a duplicate key the re-run meets). */
  insertError?: () => Error;
  /** The open-draft slot's holder, the idempotency keys stored. */
  openOwner?: string;
  keys?: string[];
  readonly log: string[];
}

function server(init: Partial<Server> = {}): Server {
  return { draft: null, abortCommits: 0, log: [], ...init };
}

function respond(state: Server, sql: string, params: readonly unknown[]): Rows | { affectedRows: number } {
  const bare = sql.startsWith(CAUSAL) ? sql.slice(CAUSAL.length) : sql;
  if (bare.startsWith("UPDATE")) {
    const expected = Number(params[9]);
    if (state.draft === null || state.draft.version !== expected) return { affectedRows: 0 };
    return { affectedRows: 1 };
  }
  if (bare.startsWith("INSERT INTO `onboarding_drafts`")) {
    const error = state.insertError;
    if (error !== undefined) {
      delete state.insertError;
      throw error();
    }
    return { affectedRows: 1 };
  }
  if (bare.startsWith("INSERT") || bare.startsWith("DELETE")) return { affectedRows: 1 };
  if (bare.startsWith("SELECT `version`, `document`"))
    return state.draft === null ? [] : [{ version: state.draft.version, document: encodeDraft(state.draft) }];
  if (bare.startsWith("SELECT `version`")) return state.draft === null ? [] : [{ version: state.draft.version }];
  if (bare.startsWith("SELECT 1 AS `found` FROM `onboarding_drafts`"))
    return state.draft === null ? [] : [{ found: 1 }];
  if (bare.startsWith("SELECT `id` FROM")) return state.openOwner === undefined ? [] : [{ id: state.openOwner }];
  if (bare.startsWith("SELECT `record`"))
    return (state.keys ?? []).includes(String(params[1])) ? [{ record: "{}" }] : [];
  if (bare.includes("FOR UPDATE SKIP LOCKED")) return [{ workspace_id: WS, entry_id: "e-1", attempts: 0 }];
  // A listing across statuses is a UNION of parenthesised SELECTs.
  if (bare.startsWith("SELECT") || bare.startsWith("(SELECT")) return [];
  throw new Error(`scripted server: unexpected statement ${sql}`);
}

/** A stand-in for a mysql2/promise pool over the scripted server. */
function fakePool(state: Server): Pool {
  const run = (sql: string, params: readonly unknown[] = []): Promise<[unknown, unknown[]]> => {
    state.log.push(sql);
    try {
      return Promise.resolve([respond(state, sql, params), []]);
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  };
  const connection = {
    query(sql: string, params?: readonly unknown[]) {
      state.log.push(sql);
      const bare = sql.startsWith(CAUSAL) ? sql.slice(CAUSAL.length) : sql;
      if (bare === "START TRANSACTION" || bare === "ROLLBACK") return Promise.resolve([{}, []]);
      if (bare === "COMMIT") {
        if (state.abortCommits > 0) {
          state.abortCommits -= 1;
          const landed = state.onAbort;
          delete state.onAbort;
          landed?.(state);
          return Promise.reject(deadlock());
        }
        return Promise.resolve([{}, []]);
      }
      state.log.pop();
      return run(sql, params);
    },
    execute: run,
    release() {},
    destroy() {},
  };
  return { execute: run, query: run, getConnection: () => Promise.resolve(connection) } as unknown as Pool;
}

const T0 = Date.parse("2030-01-01T00:00:00.000Z");
const iso = (ms: number): string => new Date(T0 + ms).toISOString();

function draftOf(id = "d-1", tenantId?: string): OnboardingDraft {
  return newDraft({
    id,
    workspaceId: WS,
    now: iso(0),
    actorId: "u1",
    ...(tenantId === undefined ? {} : { identity: { tenantId, displayName: "Contoso" } }),
  });
}

function renamed(draft: OnboardingDraft, displayName: string, at = 1000): OnboardingDraft {
  const command = parseCommand({ type: "identify", tenantId: draft.identity?.tenantId ?? "t", displayName });
  const outcome = applyCommand(draft, command, { now: iso(at), actorId: "u2", nextRunId: () => "r", policy: {} });
  if (!outcome.changed) throw new Error("nothing changed");
  return outcome.draft;
}

function commitOf(next: OnboardingDraft, expectedVersion: number) {
  return withDocument({ draft: next, expectedVersion, events: [eventFor(next)], idempotency: null });
}

const count = (log: readonly string[], statement: string): number => log.filter((s) => s.endsWith(statement)).length;

describe("mysql adapter: transactions the server aborts (Galera certification failures)", () => {
  it("a commit aborted at COMMIT runs again, meets the winner's row and reports a version conflict", async () => {
    const base = draftOf("d-1", "t");
    const winner = renamed(base, "the other node");
    const state = server({ draft: base, abortCommits: 1, onAbort: (s) => (s.draft = winner) });
    const store = createMySqlStore({ pool: fakePool(state) });
    const result = await store.commit(commitOf(renamed(base, "mine"), 1));
    expect(result).toEqual({ ok: false, reason: "version_conflict", actualVersion: 2 });
    // The first run's UPDATE matched (one affected row), its COMMIT failed; the second run's UPDATE matched nothing.
    expect(count(state.log, "START TRANSACTION")).toBe(2);
    expect(count(state.log, "COMMIT")).toBe(1);
    expect(count(state.log, "ROLLBACK")).toBe(2);
  });

  it("a commit the server keeps aborting reports a version conflict after five runs, never the driver's error", async () => {
    const base = draftOf("d-1", "t");
    const state = server({ draft: base, abortCommits: Infinity });
    const store = createMySqlStore({ pool: fakePool(state) });
    const result = await store.commit(commitOf(renamed(base, "mine"), 1));
    expect(result).toEqual({ ok: false, reason: "version_conflict", actualVersion: 1 });
    expect(count(state.log, "COMMIT")).toBe(5);
  });

  it("a commit that succeeds after an abort reports success once", async () => {
    const base = draftOf("d-1", "t");
    const state = server({ draft: base, abortCommits: 2 });
    const store = createMySqlStore({ pool: fakePool(state) });
    expect(await store.commit(commitOf(renamed(base, "mine"), 1))).toEqual({ ok: true });
    expect(count(state.log, "COMMIT")).toBe(3);
  });

  it("through the engine: the loser of a certification conflict gets VersionConflictError with the winner's draft", async () => {
    const base = draftOf("d-1", "t");
    const winner = renamed(base, "the other node");
    const state = server({ draft: base });
    const engine = createOnboardingEngine({
      store: createMySqlStore({ pool: fakePool(state) }),
      authorize: () => true,
    });
    const seen = await engine.get(WS, "d-1", { actor: { id: "u" } });
    state.abortCommits = 1;
    state.onAbort = (s) => (s.draft = winner);
    const error: unknown = await engine
      .execute(
        WS,
        "d-1",
        { type: "identify", tenantId: "t", displayName: "mine" },
        {
          actor: { id: "u" },
          expectedVersion: seen.version,
        },
      )
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(VersionConflictError);
    const conflict = error as VersionConflictError;
    expect([conflict.expectedVersion, conflict.actualVersion]).toEqual([1, 2]);
    expect(conflict.current.identity?.displayName).toBe("the other node");
  });

  it("an insert aborted at COMMIT runs again and reports what it meets: the same id, the tenant's open draft", async () => {
    // The re-run's INSERT hits the primary key the other node's insert took.
    const sameId = server({ abortCommits: 1, onAbort: (s) => (s.insertError = () => duplicate("PRIMARY")) });
    const draft = draftOf("d-1");
    const store = createMySqlStore({ pool: fakePool(sameId) });
    expect(await store.insert(withDocument({ draft, event: eventFor(draft), idempotency: null }))).toEqual({
      ok: false,
      reason: "draft_exists",
    });

    // ... or the tenant's open-draft slot the other node's draft took.
    const tenant = server({
      abortCommits: 1,
      onAbort: (s) => {
        s.insertError = () => duplicate("open_tenant");
        s.openOwner = "d-other";
      },
    });
    const claimed = draftOf("d-2", "t");
    const tenantStore = createMySqlStore({ pool: fakePool(tenant) });
    expect(
      await tenantStore.insert(withDocument({ draft: claimed, event: eventFor(claimed), idempotency: null })),
    ).toEqual({
      ok: false,
      reason: "open_draft_exists",
      existingDraftId: "d-other",
    });
  });

  it("an insert the server keeps aborting reports what the reads find, else a StoreError (never the raw error)", async () => {
    const draft = draftOf("d-3", "t");
    const owner = server({ abortCommits: Infinity, openOwner: "d-other" });
    const owned = createMySqlStore({ pool: fakePool(owner) });
    expect(await owned.insert(withDocument({ draft, event: eventFor(draft), idempotency: null }))).toEqual({
      ok: false,
      reason: "open_draft_exists",
      existingDraftId: "d-other",
    });

    const keyed = server({ abortCommits: Infinity, keys: ["k-1"] });
    const keyedStore = createMySqlStore({ pool: fakePool(keyed) });
    const idempotency = {
      workspaceId: WS,
      key: "k-1",
      draftId: draft.id,
      commandType: "create",
      fingerprint: "f",
      createdAt: draft.createdAt,
      outcome: { version: 1, feedback: "applied" as const, eventId: "e1", runIds: [], draft },
    };
    expect(await keyedStore.insert(withDocument({ draft, event: eventFor(draft), idempotency }))).toEqual({
      ok: false,
      reason: "idempotency_key_exists",
    });

    const nothing = server({ abortCommits: Infinity });
    const lost = await createMySqlStore({ pool: fakePool(nothing) })
      .insert(withDocument({ draft, event: eventFor(draft), idempotency: null }))
      .catch((caught: unknown) => caught);
    expect(lost).toBeInstanceOf(StoreError);
    expect(count(nothing.log, "COMMIT")).toBe(5);
  });

  it("an outbox claim that keeps losing certification to claimers on other nodes leases nothing, without an error", async () => {
    const state = server({ abortCommits: Infinity });
    const store = createMySqlStore({ pool: fakePool(state) });
    const claimed = await store.claimOutbox({ owner: "o", now: iso(0), leaseUntil: iso(60_000), limit: 5 });
    expect(claimed).toEqual([]);
    expect(count(state.log, "COMMIT")).toBe(5);

    const once = server({ abortCommits: 1 });
    const retried = await createMySqlStore({ pool: fakePool(once) }).claimOutbox({
      owner: "o",
      now: iso(0),
      leaseUntil: iso(60_000),
      limit: 5,
    });
    expect(retried.map((entry) => (entry as { entryId: string }).entryId)).toEqual(["e-1"]);
  });

  it("causalReads puts wsrep_sync_wait = 7 in front of reads, transaction starts and outbox statements, only when asked", async () => {
    const base = draftOf("d-1", "t");
    const plain = server({ draft: base });
    const causal = server({ draft: base });
    for (const [state, causalReads] of [
      [plain, false],
      [causal, true],
    ] as const) {
      const store = createMySqlStore({ pool: fakePool(state), causalReads });
      await store.load(WS, "d-1");
      await store.commit(commitOf(renamed(base, "x"), 1));
      await store.listOutbox({ workspaceId: WS, limit: 10 });
      await store.settleOutbox({
        owner: "o",
        at: iso(5),
        settlements: [{ workspaceId: WS, entryId: "e", status: "delivered" }],
      });
    }
    expect(plain.log.some((sql) => sql.includes("wsrep_sync_wait"))).toBe(false);
    const waits = (sql: string): boolean => sql.startsWith(CAUSAL);
    // The load, and the listing (a UNION of parenthesised SELECTs).
    expect(
      causal.log.filter((sql) => /^\(?SELECT/.test(sql.slice(CAUSAL.length)) && waits(sql)).length,
    ).toBeGreaterThanOrEqual(2);
    expect(causal.log).toContain(`${CAUSAL}START TRANSACTION`);
    // The outbox's settlement is a conditional UPDATE on its own: it waits too.
    expect(causal.log.some((sql) => sql.startsWith(`${CAUSAL}UPDATE`))).toBe(true);
    // The commit's own statements run inside the transaction that already waited.
    expect(causal.log.filter((sql) => sql.startsWith("UPDATE") || sql.startsWith("INSERT")).length).toBeGreaterThan(0);
    expect(causal.log.filter((sql) => /^\(?(SELECT|START)/.test(sql)).filter((sql) => !waits(sql))).toEqual([]);
  });
});
