/**
 * The engine's instrumentation hook, without OpenTelemetry: what `startOperation` is told, that
 * every store call of an operation goes through its trace (the audited denial's too), the order
 * of `run` / `storeCall` / `retried` / `end` / `fail`, the outcome names, and that an
 * instrumentation that throws or skips never changes a command's result.
 */
import { describe, expect, it } from "vitest";
import {
  AuthorizationError,
  ConfigurationError,
  DraftNotFoundError,
  NotReadyError,
  StoreError,
  ValidationError,
  VersionConflictError,
  createOnboardingEngine,
  type EngineInstrumentation,
  type OperationInfo,
  type OperationTrace,
} from "../../src/index.js";
import { outcomeOfError, summarizeOperation } from "../../src/index.js";
import { createMemoryStore } from "../../src/adapters/memory/index.js";

const actor = { id: "operator" };
const identity = { tenantId: "t", displayName: "T" };

interface Recorded {
  readonly info: OperationInfo;
  readonly parent: Recorded | null;
  readonly calls: string[];
}

/** An instrumentation that writes down what it is told. */
function recorder() {
  const operations: Recorded[] = [];
  const traces = new Map<OperationTrace, Recorded>();
  const instrumentation: EngineInstrumentation = {
    startOperation(info, parent) {
      const recorded: Recorded = { info, parent: parent === null ? null : (traces.get(parent) ?? null), calls: [] };
      operations.push(recorded);
      const trace: OperationTrace = {
        run: (body) => {
          recorded.calls.push("run");
          return body();
        },
        storeCall: (method, call) => {
          recorded.calls.push(`store:${method}`);
          return call();
        },
        retried: (attempt) => void recorded.calls.push(`retried:${attempt}`),
        end: (result) => {
          const { outcome, version, committed } = summarizeOperation(info.operation, result);
          recorded.calls.push(`end:${outcome}:${version}:${committed}`);
        },
        fail: (error) => void recorded.calls.push(`fail:${outcomeOfError(error)}`),
      };
      traces.set(trace, recorded);
      return trace;
    },
  };
  return { instrumentation, operations };
}

describe("engine instrumentation hook", () => {
  it("tells startOperation what is known, and routes every store call through the trace", async () => {
    const { instrumentation, operations } = recorder();
    const engine = createOnboardingEngine({
      store: createMemoryStore(),
      authorize: (_actor, capability) => capability !== "cancel",
      instrumentation,
    });
    const { draft } = await engine.create("ws", { identity }, { actor });
    await engine.execute("ws", draft.id, { type: "select_provider", connectionId: "c" }, { actor, expectedVersion: 1 });
    await expect(
      engine.execute("ws", draft.id, { type: "cancel" }, { actor, expectedVersion: 2 }),
    ).rejects.toBeInstanceOf(AuthorizationError);
    await engine.history("ws", draft.id, { actor });

    expect(
      operations.map(({ info }) => [
        info.operation,
        info.workspaceId,
        info.draftId,
        info.commandType,
        info.expectedVersion,
      ]),
    ).toEqual([
      ["create", "ws", null, null, null],
      ["execute", "ws", draft.id, "select_provider", 1],
      ["execute", "ws", draft.id, "cancel", 2],
      ["history", "ws", draft.id, null, null],
    ]);
    expect(operations.every(({ info }) => info.store === engine.store)).toBe(true);
    expect(operations[0]!.calls).toEqual(["run", "store:findOpenDraft", "store:insert", "end:created:1:true"]);
    expect(operations[1]!.calls).toEqual(["run", "store:load", "store:commit", "end:committed:2:true"]);
    // The denial's audit entry is written through the operation's store too.
    expect(operations[2]!.calls).toEqual(["run", "store:load", "store:appendAudit", "fail:denied"]);
    expect(operations[3]!.calls).toEqual(["run", "store:load", "store:listAudit", "end:ok:null:false"]);
  });

  it("reports each retry of an operator command that lost its write", async () => {
    const { instrumentation, operations } = recorder();
    const base = createMemoryStore();
    let lose = 2;
    const store = Object.assign(Object.create(base) as typeof base, {
      commit: (input: Parameters<typeof base.commit>[0]) =>
        lose-- > 0
          ? Promise.resolve({ ok: false as const, reason: "version_conflict" as const, actualVersion: 1 })
          : base.commit(input),
    });
    const engine = createOnboardingEngine({ store, authorize: () => true, instrumentation });
    const { draft } = await engine.create("ws", { identity }, { actor });
    await engine.execute("ws", draft.id, { type: "select_provider", connectionId: "c" }, { actor, expectedVersion: 1 });
    expect(operations[1]!.calls.filter((call) => !call.startsWith("store:"))).toEqual([
      "run",
      "retried:1",
      "retried:2",
      "end:committed:2:true",
    ]);
  });

  it("never lets a throwing or skipping instrumentation change a result", async () => {
    const throwing: EngineInstrumentation = {
      startOperation: () => ({
        run: (body) => body(),
        storeCall: (_method, call) => call(),
        retried: () => {
          throw new Error("boom");
        },
        end: () => {
          throw new Error("boom");
        },
        fail: () => {
          throw new Error("boom");
        },
      }),
    };
    const engines = [
      throwing,
      { startOperation: () => undefined },
      {
        startOperation: () => {
          throw new Error("boom");
        },
      },
    ].map((instrumentation) =>
      createOnboardingEngine({ store: createMemoryStore(), authorize: () => true, instrumentation }),
    );
    for (const engine of engines) {
      const { draft } = await engine.create("ws", { identity }, { actor });
      const result = await engine.execute(
        "ws",
        draft.id,
        { type: "select_provider", connectionId: "c" },
        { actor, expectedVersion: 1 },
      );
      expect(result.version).toBe(2);
      await expect(
        engine.execute("ws", draft.id, { type: "select_provider", connectionId: "c" }, { actor, expectedVersion: 1 }),
      ).rejects.toBeInstanceOf(VersionConflictError);
    }
  });

  it("nests the expiries of expireStuckRuns under it", async () => {
    const { instrumentation, operations } = recorder();
    let now = Date.parse("2026-01-01T00:00:00.000Z");
    const engine = createOnboardingEngine({
      store: createMemoryStore(),
      authorize: () => true,
      clock: { now: () => now },
      runLeaseMs: 1000,
      instrumentation,
    });
    const { draft } = await engine.create("ws", { identity }, { actor });
    const selected = await engine.execute(
      "ws",
      draft.id,
      { type: "select_provider", connectionId: "c" },
      { actor, expectedVersion: 1 },
    );
    await engine.execute("ws", draft.id, { type: "start_verification" }, { actor, expectedVersion: selected.version });
    now += 2000;
    await engine.expireStuckRuns({ actor });
    const expire = operations.find(({ info }) => info.operation === "expireStuckRuns")!;
    const expiry = operations.find(({ info }) => info.commandType === "expire_run")!;
    expect(expiry.parent).toBe(expire);
    expect(expire.parent).toBeNull();
    expect(expire.calls.at(-1)).toBe("end:ok:null:false");
  });

  it("refuses an instrumentation without startOperation at construction", () => {
    expect(() =>
      createOnboardingEngine({
        store: createMemoryStore(),
        authorize: () => true,
        instrumentation: {} as EngineInstrumentation,
      }),
    ).toThrow(ConfigurationError);
  });

  it("names the outcome of every error", () => {
    const current = { id: "d", workspaceId: "ws", version: 2, lifecycle: { state: "draft" } } as never;
    expect(outcomeOfError(new VersionConflictError(1, current, null))).toBe("conflict");
    expect(outcomeOfError(new AuthorizationError("view", "u", null))).toBe("denied");
    expect(outcomeOfError(new ValidationError("command", []))).toBe("invalid");
    expect(outcomeOfError(new DraftNotFoundError("ws", "d"))).toBe("not_found");
    expect(outcomeOfError(new NotReadyError("d", [], false))).toBe("refused");
    expect(outcomeOfError(new StoreError("memory", "load", new Error("x")))).toBe("error");
    expect(outcomeOfError(new TypeError("x"))).toBe("error");
    expect(outcomeOfError({ code: "version_conflict" })).toBe("error"); // not an OnboardingError
  });
});
