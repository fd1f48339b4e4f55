/**
 * Engine events (issue 12), on the memory store and an injected clock: each event fires exactly
 * when its outcome is known, observers never change or hold a command's result, `on` unsubscribes,
 * and an engine nobody listens to builds no event at all.
 */
import { describe, expect, it, vi } from "vitest";
import { AuthorizationError, VersionConflictError, createOnboardingEngine } from "../../src/index.js";
import type { EngineEvent, EngineOptions } from "../../src/index.js";
import { createMemoryStore } from "../../src/adapters/memory/index.js";
import type { DraftStore } from "../../src/store/index.js";
import type { EventBus } from "../../src/engine/events.js";

/** Every bus the engine builds, with its `emit` spied: an event built is an event emitted. */
const buses = vi.hoisted(() => [] as { emit: ReturnType<typeof vi.fn> }[]);
vi.mock("../../src/engine/events.js", async (importOriginal) => {
  const original = await importOriginal<typeof import("../../src/engine/events.js")>();
  return {
    ...original,
    createEventBus: (...args: Parameters<typeof original.createEventBus>): EventBus => {
      const bus = original.createEventBus(...args);
      const emit = vi.fn(bus.emit);
      bus.emit = emit; // the bus is a plain object; its `emit` is a field
      buses.push({ emit });
      return bus;
    },
  };
});

const actor = { id: "operator" };
const worker = { id: "worker" };
const identity = { tenantId: "t", displayName: "T" };
const AT = "2026-01-01T00:00:00.000Z";

function setup(extra: Partial<EngineOptions> = {}) {
  const seen: EngineEvent[] = [];
  let now = Date.parse(AT);
  let n = 0;
  const engine = createOnboardingEngine({
    store: createMemoryStore(),
    authorize: () => true,
    clock: { now: () => now },
    ids: { draftId: () => `d-${++n}`, runId: () => `run-${++n}`, eventId: () => `e-${++n}` },
    runLeaseMs: 60_000,
    observe: (event) => {
      seen.push(event);
    },
    ...extra,
  });
  const advance = (ms: number): void => {
    now += ms;
  };
  return { engine, seen, advance };
}

/** Lets every queued observer run (microtasks, then a macrotask turn). */
const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));
const types = (events: readonly EngineEvent[]): string[] => events.map((event) => event.type);

async function verifying(engine: ReturnType<typeof setup>["engine"]) {
  const { draft } = await engine.create("ws", { identity }, { actor });
  const provided = await engine.execute(
    "ws",
    draft.id,
    { type: "select_provider", connectionId: "c-1" },
    { actor, expectedVersion: draft.version },
  );
  const started = await engine.execute(
    "ws",
    draft.id,
    { type: "start_verification" },
    { actor, expectedVersion: provided.version },
  );
  return { draftId: draft.id, version: started.version, runId: started.runIds[0] ?? "" };
}

describe("engine events", () => {
  it("create, commits and their outbox entries: draft.created, command.committed, run.requested", async () => {
    const { engine, seen } = setup();
    const { draftId, runId } = await verifying(engine);
    await settle();
    expect(types(seen)).toEqual(["draft.created", "command.committed", "command.committed", "run.requested"]);
    expect(seen[0]).toEqual({
      type: "draft.created",
      at: AT,
      workspaceId: "ws",
      draftId,
      actorId: "operator",
      tenantId: "t",
      state: "draft",
    });
    const committed = seen[2];
    if (committed?.type !== "command.committed") throw new Error("expected a commit");
    expect(committed).toMatchObject({
      commandType: "start_verification",
      actorId: "operator",
      fromVersion: 2,
      toVersion: 3,
      feedback: "queued",
      runIds: [runId],
      workspaceId: "ws",
      draftId,
      at: AT,
    });
    expect(committed.durationMs).toBeGreaterThanOrEqual(0);
    expect(seen[3]).toMatchObject({ type: "run.requested", runId, checkpoint: "verify_access", version: 3 });
  });

  it("a stale operator command: command.conflict with expected, actual and who changed it", async () => {
    const { engine, seen } = setup();
    const { draftId } = await verifying(engine);
    seen.length = 0;
    await expect(
      engine.execute("ws", draftId, { type: "select_provider", connectionId: "c-2" }, { actor, expectedVersion: 1 }),
    ).rejects.toBeInstanceOf(VersionConflictError);
    await settle();
    expect(seen).toEqual([
      {
        type: "command.conflict",
        at: AT,
        workspaceId: "ws",
        draftId,
        commandType: "select_provider",
        actorId: "operator",
        expectedVersion: 1,
        actualVersion: 3,
        changedBy: { actorId: "operator", commandType: "start_verification", worker: false },
      },
    ]);
  });

  it("a refused capability: command.denied, and nothing else", async () => {
    const { engine, seen } = setup({ authorize: (_actor, capability) => capability !== "create" });
    await expect(engine.create("ws", { identity }, { actor })).rejects.toBeInstanceOf(AuthorizationError);
    await settle();
    expect(seen).toEqual([
      {
        type: "command.denied",
        at: AT,
        workspaceId: "ws",
        draftId: "d-1",
        commandType: "create",
        actorId: "operator",
        capability: "create",
      },
    ]);
  });

  it("a repeated idempotency key: command.replayed, no second commit", async () => {
    const { engine, seen } = setup();
    const { draft } = await engine.create("ws", { identity }, { actor, idempotencyKey: "k-create" });
    await engine.create("ws", { identity }, { actor, idempotencyKey: "k-create" });
    const command = { type: "select_provider", connectionId: "c-1" } as const;
    await engine.execute("ws", draft.id, command, { actor, expectedVersion: 1, idempotencyKey: "k-1" });
    await engine.execute("ws", draft.id, command, { actor, expectedVersion: 1, idempotencyKey: "k-1" });
    await settle();
    expect(types(seen)).toEqual(["draft.created", "command.replayed", "command.committed", "command.replayed"]);
    expect(seen[1]).toMatchObject({ commandType: "create", version: 1, draftId: draft.id });
    expect(seen[3]).toMatchObject({ commandType: "select_provider", version: 2, actorId: "operator" });
  });

  it("expiry: run.cancelled and run.expired; a late result: result.ignored", async () => {
    const { engine, seen, advance } = setup();
    const { draftId, runId } = await verifying(engine);
    advance(61_000);
    seen.length = 0;
    const report = await engine.expireStuckRuns({ actor: { id: "system" } });
    expect(report.expired).toHaveLength(1);
    await settle();
    expect(types(seen)).toEqual(["command.committed", "run.cancelled", "run.expired"]);
    expect(seen[2]).toMatchObject({ runId, checkpoint: "verify_access", version: 4, draftId });
    seen.length = 0;
    const late = await engine.execute(
      "ws",
      draftId,
      { type: "record_verification_result", runId, status: "completed", outcome: "succeeded" },
      { actor: worker },
    );
    await settle();
    expect(seen).toEqual([
      {
        type: "result.ignored",
        at: new Date(Date.parse(AT) + 61_000).toISOString(),
        workspaceId: "ws",
        draftId,
        commandType: "record_verification_result",
        actorId: "worker",
        feedback: late.feedback,
        runIds: [runId],
        version: 4,
      },
    ]);
    expect(late.feedback).toBe("ignored_expired_run");
  });

  it("a worker report that loses a compare-and-set: command.retried with its backoff, then committed", async () => {
    const memory = createMemoryStore();
    let reject = 0;
    const store: DraftStore = {
      ...memory,
      commit: async (input) => {
        if (reject > 0) {
          reject -= 1;
          return { ok: false, reason: "version_conflict", actualVersion: input.expectedVersion + 1 };
        }
        return memory.commit(input);
      },
    };
    const { engine, seen } = setup({
      store,
      documentCacheSize: 0,
      retry: { random: () => 0.5, sleep: () => Promise.resolve() },
    });
    const { draftId, runId } = await verifying(engine);
    seen.length = 0;
    reject = 1;
    await engine.execute(
      "ws",
      draftId,
      { type: "record_verification_result", runId, status: "completed", outcome: "succeeded" },
      { actor: worker },
    );
    await settle();
    expect(types(seen)).toEqual(["command.retried", "command.committed"]);
    expect(seen[0]).toMatchObject({ attempt: 1, delayMs: 2, commandType: "record_verification_result" });
  });

  it("a throwing, a rejecting and a never-settling observer change nothing and hold nothing", async () => {
    const errors: { error: unknown; type: string }[] = [];
    const plain = setup();
    const noisy = setup({
      observe: [
        () => {
          throw new Error("boom");
        },
        () => Promise.reject(new Error("later")),
        () => new Promise<void>(() => {}),
      ],
      onObserverError: (error, event) => errors.push({ error, type: event.type }),
    });
    const expected = await verifying(plain.engine);
    const actual = await verifying(noisy.engine); // resolves although one observer never settles
    expect(actual).toEqual(expected);
    await settle();
    expect(errors.map((entry) => (entry.error as Error).message).sort()).toEqual(
      [...Array(4).fill("boom"), ...Array(4).fill("later")].sort(),
    );
    expect(new Set(errors.map((entry) => entry.type))).toEqual(
      new Set(["draft.created", "command.committed", "run.requested"]),
    );
  });

  it("an observer error goes to console.error by default, never to the caller", async () => {
    const spy = vi.spyOn(console, "error").mockImplementation(() => {});
    try {
      const { engine } = setup({
        observe: () => {
          throw new Error("boom");
        },
      });
      await engine.create("ws", { identity }, { actor });
      await settle();
      expect(spy).toHaveBeenCalledTimes(1);
    } finally {
      spy.mockRestore();
    }
  });

  it("on(type) listens to one type, on('*') to all, and the unsubscribe stops both", async () => {
    const { engine } = setup({ observe: [] });
    const conflicts: EngineEvent[] = [];
    const all: EngineEvent[] = [];
    const offConflicts = engine.on("command.conflict", (event) => {
      conflicts.push(event);
    });
    const offAll = engine.on("*", (event) => {
      all.push(event);
    });
    const { draftId } = await verifying(engine);
    const stale = () =>
      engine.execute("ws", draftId, { type: "select_provider", connectionId: "c-2" }, { actor, expectedVersion: 1 });
    await expect(stale()).rejects.toBeInstanceOf(VersionConflictError);
    await settle();
    expect(types(conflicts)).toEqual(["command.conflict"]);
    expect(all).toHaveLength(5);
    offConflicts();
    offAll();
    offAll(); // a second call is a no-op
    await expect(stale()).rejects.toBeInstanceOf(VersionConflictError);
    await settle();
    expect(conflicts).toHaveLength(1);
    expect(all).toHaveLength(5);
  });

  it("an engine nobody listens to builds no event (and does after an on)", async () => {
    const before = buses.length;
    const { engine } = setup({ observe: [] });
    const bus = buses[before];
    if (bus === undefined) throw new Error("no bus");
    const { draftId } = await verifying(engine);
    await expect(
      engine.execute("ws", draftId, { type: "select_provider", connectionId: "c-2" }, { actor, expectedVersion: 1 }),
    ).rejects.toBeInstanceOf(VersionConflictError);
    expect(bus.emit).not.toHaveBeenCalled();
    const off = engine.on("*", () => {});
    await engine.create("ws", { identity: { tenantId: "t-2", displayName: "T2" } }, { actor });
    expect(bus.emit).toHaveBeenCalledTimes(1);
    off();
    await engine.create("ws", { identity: { tenantId: "t-3", displayName: "T3" } }, { actor });
    expect(bus.emit).toHaveBeenCalledTimes(1);
  });

  it("refuses observers that are not functions", () => {
    expect(() => setup({ observe: ["nope" as never] })).toThrow(/observers must be functions/);
    expect(() => setup({ onObserverError: 1 as never })).toThrow(/onObserverError must be a function/);
  });
});
