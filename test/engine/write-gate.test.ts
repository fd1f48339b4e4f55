/**
 * The engine's write gate (write combining): one compare-and-set in flight per draft per engine,
 * waiting commands in arrival order, operator commands the gate's own commit made stale rejected
 * without a compare-and-set (their `conflict` entries in one `appendAudit`, stored before any
 * error is thrown), keyed commands and worker reports sent to the store, no deadlock when a rule
 * or an observer calls the engine, and every guarantee kept with two engines on one store.
 */
import { describe, expect, it } from "vitest";
import * as fc from "fast-check";
import {
  AuthorizationError,
  ConfigurationError,
  VersionConflictError,
  createOnboardingEngine,
  type AuditEvent,
  type Authorize,
  type EngineEvent,
  type OnboardingEngine,
} from "../../src/index.js";
import { createMemoryStore } from "../../src/adapters/memory/index.js";
import type { CommitInput, DraftStore, WriteResult } from "../../src/store/index.js";
import { createWriteGate, gateKey, type GateTicket } from "../../src/engine/gate.js";

const actor = { id: "operator" };
const ws = "ws";

/** A memory store that counts commits and appends, and reports how many commits were in flight at most. */
function spiedStore(options: { appendDelay?: () => Promise<void>; failAppend?: boolean } = {}) {
  const memory = createMemoryStore();
  const stats = { commits: 0, inFlight: 0, maxInFlight: 0, appends: [] as AuditEvent[][], order: [] as string[] };
  const store: DraftStore = Object.assign(Object.create(memory) as DraftStore, {
    async commit(input: CommitInput): Promise<WriteResult> {
      stats.commits += 1;
      stats.inFlight += 1;
      stats.maxInFlight = Math.max(stats.maxInFlight, stats.inFlight);
      stats.order.push(input.draft.updatedBy);
      await new Promise((resolve) => setTimeout(resolve, 1)); // a round trip
      try {
        return await memory.commit(input);
      } finally {
        stats.inFlight -= 1;
      }
    },
    async appendAudit(events: readonly AuditEvent[]): Promise<void> {
      stats.appends.push([...events]);
      await options.appendDelay?.();
      if (options.failAppend === true) throw new Error("append failed");
      await memory.appendAudit(events);
    },
  });
  return { store, stats };
}

async function newDraft(engine: OnboardingEngine) {
  const { draft } = await engine.create(ws, { identity: { tenantId: "t-1", displayName: "Contoso" } }, { actor });
  return draft;
}

const select = (n: number) => ({ type: "select_provider", connectionId: `c-${n}` }) as const;

async function trail(engine: OnboardingEngine, draftId: string): Promise<AuditEvent[]> {
  const page = await engine.history(ws, draftId, { actor, limit: 1000 });
  return [...page.entries];
}

/**
 * An `authorize` that, for the actor `reentrant` on its first `manage_provider` check, runs a
 * command on the same draft through `ref.engine` and waits for it: a rule that calls the engine.
 */
function reentrantRule() {
  const ref: { engine?: OnboardingEngine } = {};
  let call: Promise<unknown> | undefined;
  const authorize: Authorize = async (who, capability, draft) => {
    if (who.id === "reentrant" && draft !== null && capability === "manage_provider" && call === undefined) {
      call = ref.engine?.execute(ws, draft.id, select(99), { actor, expectedVersion: draft.version });
      await call;
    }
    return true;
  };
  return { ref, authorize, nested: () => call };
}

describe("the write gate", () => {
  it("lets one compare-and-set per draft go at a time, in arrival order, and rejects the stale ones in process", async () => {
    const { store, stats } = spiedStore();
    const engine = createOnboardingEngine({ store, authorize: () => true });
    const draft = await newDraft(engine);
    stats.commits = 0;
    const results = await Promise.allSettled(
      [1, 2, 3, 4, 5].map((n) =>
        engine.execute(ws, draft.id, select(n), { actor: { id: `a-${n}` }, expectedVersion: draft.version }),
      ),
    );
    expect(results[0]?.status).toBe("fulfilled"); // the first in line wins
    const errors = results.slice(1).map((result) => (result as PromiseRejectedResult).reason as VersionConflictError);
    expect(errors.every((error) => error instanceof VersionConflictError)).toBe(true);
    expect(stats.commits).toBe(1); // no compare-and-set for the four stale ones
    expect(stats.maxInFlight).toBe(1);
    for (const error of errors) {
      expect(error.expectedVersion).toBe(1);
      expect(error.actualVersion).toBe(2);
      expect(error.current.version).toBe(2);
      expect(error.changedBy).toEqual({ actorId: "a-1", commandType: "select_provider", worker: false });
    }
    // One batch, one entry per rejected command with its own expected and actual versions.
    expect(stats.appends).toHaveLength(1);
    const batch = stats.appends[0] ?? [];
    expect(batch.map((entry) => [entry.kind, entry.actorId, entry.expectedVersion, entry.actualVersion])).toEqual(
      [2, 3, 4, 5].map((n) => ["conflict", `a-${n}`, 1, 2]),
    );
    const entries = await trail(engine, draft.id);
    expect(entries.filter((entry) => entry.kind === "conflict")).toHaveLength(4);
  });

  it("keeps arrival order for commands that are not stale (FIFO)", async () => {
    const { store, stats } = spiedStore();
    const engine = createOnboardingEngine({ store, authorize: () => true });
    const draft = await newDraft(engine);
    const first = engine.execute(ws, draft.id, select(1), { actor: { id: "a-1" }, expectedVersion: 1 });
    // Workers queue behind it and run in order (matched by run id, no expectedVersion: never rejected in process).
    await first;
    const started = await engine.execute(ws, draft.id, { type: "start_verification" }, { actor, expectedVersion: 2 });
    const runId = started.runIds[0] ?? "";
    stats.order.length = 0;
    const reports = await Promise.all(
      ["w-1", "w-2", "w-3"].map((id) =>
        engine.execute(
          ws,
          draft.id,
          { type: "record_verification_result", runId, status: "running" },
          { actor: { id } },
        ),
      ),
    );
    // The first in line lands the report; the others, behind it, find it already recorded.
    expect(reports.map((report) => report.feedback)).toEqual(["recorded", "unchanged", "unchanged"]);
    expect(stats.order).toEqual(["w-1"]);
    expect(stats.maxInFlight).toBe(1);
  });

  it("stores the batch of conflict entries before any caller gets its error", async () => {
    let release: () => void = () => undefined;
    const appended = new Promise<void>((resolve) => (release = resolve));
    let stored = false;
    const { store } = spiedStore({
      appendDelay: async () => {
        await appended;
        stored = true;
      },
    });
    const engine = createOnboardingEngine({ store, authorize: () => true });
    const draft = await newDraft(engine);
    const seen: boolean[] = [];
    const calls = [1, 2, 3].map((n) =>
      engine
        .execute(ws, draft.id, select(n), { actor, expectedVersion: 1 })
        .catch((error: unknown) => seen.push(stored && error instanceof VersionConflictError)),
    );
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(seen).toEqual([]); // the batch is not stored yet: no error yet
    release();
    await Promise.all(calls);
    expect(seen).toEqual([true, true]);
  });

  it("gives every rejected caller the store's error when the batch cannot be stored", async () => {
    const { store } = spiedStore({ failAppend: true });
    const engine = createOnboardingEngine({ store, authorize: () => true });
    const draft = await newDraft(engine);
    const results = await Promise.allSettled(
      [1, 2, 3].map((n) => engine.execute(ws, draft.id, select(n), { actor, expectedVersion: 1 })),
    );
    expect(results.map((result) => result.status)).toEqual(["fulfilled", "rejected", "rejected"]);
    for (const result of results.slice(1)) {
      expect(((result as PromiseRejectedResult).reason as Error).message).toMatch(/append failed/);
    }
  });

  it("makes a command that arrives while a commit is in flight wait for it, then rejects it without a read", async () => {
    const { store, stats } = spiedStore();
    let loads = 0;
    const counting: DraftStore = Object.assign(Object.create(store) as DraftStore, {
      load: (workspaceId: string, draftId: string) => {
        loads += 1;
        return store.load(workspaceId, draftId);
      },
    });
    const engine = createOnboardingEngine({ store: counting, authorize: () => true, documentCacheSize: 0 });
    const draft = await newDraft(engine);
    [loads, stats.commits] = [0, 0];
    const first = engine.execute(ws, draft.id, select(1), { actor, expectedVersion: 1 });
    await new Promise((resolve) => setImmediate(resolve)); // the first one's commit is in flight
    expect(stats.inFlight).toBe(1);
    const error = await engine.execute(ws, draft.id, select(2), { actor, expectedVersion: 1 }).catch((e: unknown) => e);
    await first;
    expect(error).toBeInstanceOf(VersionConflictError);
    expect((error as VersionConflictError).current.version).toBe(2);
    expect([loads, stats.commits]).toEqual([1, 1]); // the first one's load and commit only
    expect(stats.appends.at(-1)?.map((entry) => [entry.kind, entry.expectedVersion, entry.actualVersion])).toEqual([
      ["conflict", 1, 2],
    ]);
    // Once no commit is in flight, a stale command goes to the store as without the gate (another
    // process may have written since this engine's commit: the conflict reports what is stored).
    const later = await engine.execute(ws, draft.id, select(3), { actor, expectedVersion: 1 }).catch((e: unknown) => e);
    expect((later as VersionConflictError).actualVersion).toBe(2);
    expect(loads).toBe(2);
  });

  it("makes the commands arriving during a command's first read wait for its commit (cache off): one read for all", async () => {
    const { store, stats } = spiedStore();
    let loads = 0;
    const counting: DraftStore = Object.assign(Object.create(store) as DraftStore, {
      stores: "text", // a store with round trips (an in-process store's loads are not waited on)
      async load(workspaceId: string, draftId: string) {
        loads += 1;
        await new Promise((resolve) => setTimeout(resolve, 2)); // a round trip
        return store.load(workspaceId, draftId);
      },
    });
    const engine = createOnboardingEngine({ store: counting, authorize: () => true, documentCacheSize: 0 });
    const draft = await newDraft(engine);
    [loads, stats.commits] = [0, 0];
    const results = await Promise.allSettled(
      [1, 2, 3, 4].map((n) => engine.execute(ws, draft.id, select(n), { actor, expectedVersion: 1 })),
    );
    expect(results.map((result) => result.status)).toEqual(["fulfilled", "rejected", "rejected", "rejected"]);
    expect([loads, stats.commits, stats.appends.length]).toEqual([1, 1, 1]);
  });

  it("does not make a command wait for itself when authorize calls the engine on the same draft (cache off)", async () => {
    const { store } = spiedStore();
    const { ref, authorize, nested } = reentrantRule();
    const engine = createOnboardingEngine({ store, authorize, documentCacheSize: 0 });
    ref.engine = engine;
    const draft = await newDraft(engine);
    const outer = await engine
      .execute(ws, draft.id, select(1), { actor: { id: "reentrant" }, expectedVersion: 1 })
      .catch((e: unknown) => e);
    expect(outer).toBeInstanceOf(VersionConflictError);
    expect(((await nested()) as { version: number }).version).toBe(2);
  });

  it("checks view (and the command's capabilities) on the conflict's current draft", async () => {
    const { store } = spiedStore();
    const authorize: Authorize = (who, capability, draft) => who.id !== "nosy" || (draft?.version ?? 1) < 2;
    const engine = createOnboardingEngine({ store, authorize });
    const draft = await newDraft(engine);
    const first = engine.execute(ws, draft.id, select(1), { actor, expectedVersion: 1 });
    await new Promise((resolve) => setImmediate(resolve)); // the first one's commit is in flight
    const error = await engine
      .execute(ws, draft.id, select(2), { actor: { id: "nosy" }, expectedVersion: 1 })
      .catch((e: unknown) => e);
    await first;
    expect(error).toBeInstanceOf(AuthorizationError); // may act on version 1, not see version 2
    const kinds = (await trail(engine, draft.id)).map((entry) => entry.kind);
    expect(kinds.slice(-2)).toEqual(["conflict", "denied"]); // as when a store writes the entry with the miss
  });

  it("never rejects a keyed command in process: the key decides (the first outcome is replayed)", async () => {
    const { store, stats } = spiedStore();
    const engine = createOnboardingEngine({ store, authorize: () => true });
    const draft = await newDraft(engine);
    stats.commits = 0;
    const results = await Promise.allSettled(
      [1, 2, 3].map(() =>
        engine.execute(ws, draft.id, select(7), { actor, expectedVersion: 1, idempotencyKey: "same-click" }),
      ),
    );
    expect(results.map((result) => result.status)).toEqual(["fulfilled", "fulfilled", "fulfilled"]);
    const outcomes = results.map((result) => (result as PromiseFulfilledResult<{ replayed: boolean }>).value.replayed);
    expect(outcomes).toEqual([false, true, true]);
    // Never rejected in process: the two behind the first decided again on the draft it wrote
    // (no compare-and-set that would miss), where the key's record replays the first outcome.
    expect(stats.commits).toBe(1);
    expect(stats.appends).toEqual([]);
  });

  it("emits command.conflict for each rejected command", async () => {
    const { store } = spiedStore();
    const events: EngineEvent[] = [];
    const engine = createOnboardingEngine({
      store,
      authorize: () => true,
      observe: (event) => void events.push(event),
    });
    const draft = await newDraft(engine);
    await Promise.allSettled(
      [1, 2, 3].map((n) => engine.execute(ws, draft.id, select(n), { actor, expectedVersion: 1 })),
    );
    await new Promise((resolve) => setTimeout(resolve, 0));
    const conflicts = events.filter((event) => event.type === "command.conflict");
    expect(conflicts).toHaveLength(2);
    expect(conflicts.map((event) => [event.expectedVersion, event.actualVersion])).toEqual([
      [1, 2],
      [1, 2],
    ]);
  });

  it("does not deadlock when authorize or an observer calls the engine on the same draft", async () => {
    const { store } = spiedStore();
    const { ref, authorize } = reentrantRule();
    const observed: Promise<unknown>[] = [];
    const engine = createOnboardingEngine({
      store,
      authorize,
      observe: (event) => {
        if (event.type === "command.committed" && event.toVersion === 3 && ref.engine !== undefined) {
          observed.push(
            ref.engine.execute(ws, event.draftId, select(100), { actor, expectedVersion: 3 }).catch((e: unknown) => e),
          );
        }
      },
    });
    ref.engine = engine;
    const draft = await newDraft(engine);
    const outer = await engine
      .execute(ws, draft.id, select(1), { actor: { id: "reentrant" }, expectedVersion: 1 })
      .catch((e: unknown) => e);
    // The nested call committed version 2; the outer one, decided on version 1, is stale.
    expect(outer).toBeInstanceOf(VersionConflictError);
    await engine.execute(ws, draft.id, select(2), { actor, expectedVersion: 2 });
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(await Promise.all(observed)).toHaveLength(1);
    expect((await engine.get(ws, draft.id, { actor })).version).toBe(4);
  });

  it("with writeGate: false, every compare-and-set goes to the store", async () => {
    const { store, stats } = spiedStore();
    const engine = createOnboardingEngine({ store, authorize: () => true, writeGate: false });
    const draft = await newDraft(engine);
    stats.commits = 0;
    await Promise.allSettled(
      [1, 2, 3, 4].map((n) => engine.execute(ws, draft.id, select(n), { actor, expectedVersion: 1 })),
    );
    expect(stats.commits).toBe(4);
    expect(stats.maxInFlight).toBeGreaterThan(1);
    expect(() =>
      createOnboardingEngine({ store, authorize: () => true, writeGate: "yes" as unknown as boolean }),
    ).toThrow(ConfigurationError);
  });
});

describe("the gate itself", () => {
  const ticket = (basis: number, decidable = true): GateTicket => ({
    basis,
    decidable,
    conflictEntry: () => ({}) as AuditEvent,
    store: createMemoryStore(),
  });

  it("opens a lane only while a commit holds it (no leak), and hands the turn on in order", async () => {
    const gate = createWriteGate();
    const key = gateKey("ws", "d");
    expect(gate.tryEnter(key)).toBe(true);
    const turns: number[] = [];
    const second = gate.wait(key, ticket(5, false)).then(() => turns.push(2));
    const third = gate.wait(key, ticket(5, false)).then(() => turns.push(3));
    expect(gate.size).toBe(1);
    gate.leave(key, null, "", "", false);
    await second;
    gate.leave(key, null, "", "", false);
    await third;
    gate.leave(key, null, "", "", false);
    expect(turns).toEqual([2, 3]);
    expect(gate.size).toBe(0);
    expect(gateKey("a", "bc")).not.toBe(gateKey("ab", "c"));
  });
});

describe("two engines on one store", () => {
  it("keep every guarantee when racing (versions contiguous, one committed entry per version, one conflict entry per error)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ engine: fc.nat(1), lag: fc.nat(2), keyed: fc.boolean(), worker: fc.boolean() }), {
          minLength: 2,
          maxLength: 24,
        }),
        fc.boolean(),
        async (plan, twoEngines) => {
          const { store } = spiedStore();
          const engines = [
            createOnboardingEngine({ store, authorize: () => true }),
            createOnboardingEngine({ store, authorize: () => true, documentCacheSize: 0 }),
          ];
          const pick = (n: number) => engines[twoEngines ? n : 0] ?? engines[0]!;
          const draft = await newDraft(pick(0));
          await pick(0).execute(ws, draft.id, select(0), { actor, expectedVersion: 1 });
          const started = await pick(0).execute(
            ws,
            draft.id,
            { type: "start_verification" },
            { actor, expectedVersion: 2 },
          );
          const runId = started.runIds[0] ?? "";
          let conflicts = 0;
          let key = 0;
          const calls = plan.map(async (step, n) => {
            const engine = pick(step.engine);
            if (step.worker) {
              await engine.execute(
                ws,
                draft.id,
                { type: "record_verification_result", runId, status: "running" },
                { actor: { id: `w-${n}` } },
              );
              return;
            }
            const expectedVersion = Math.max(1, started.version - step.lag);
            const idempotencyKey = step.keyed ? `k-${(key += 1)}` : undefined;
            try {
              await engine.execute(ws, draft.id, select(n), {
                actor: { id: `a-${n}` },
                expectedVersion,
                ...(idempotencyKey === undefined ? {} : { idempotencyKey }),
              });
            } catch (error) {
              if (!(error instanceof VersionConflictError)) throw error;
              conflicts += 1;
            }
          });
          await Promise.all(calls);
          const current = await pick(0).get(ws, draft.id, { actor });
          const entries = await trail(pick(0), draft.id);
          const writes = entries.filter((entry) => entry.kind === "committed" || entry.kind === "created");
          expect(writes.map((entry) => entry.toVersion)).toEqual(
            Array.from({ length: current.version }, (_, n) => n + 1),
          );
          expect(entries.filter((entry) => entry.kind === "conflict")).toHaveLength(conflicts);
        },
      ),
      { numRuns: 100 },
    );
  });
});
