import { describe, expect, it } from "vitest";
import { ConfigurationError, createOnboardingEngine } from "../../src/index.js";
import { createMemoryStore } from "../../src/adapters/memory/index.js";

// Several run ids of one command are stored comma-joined in the audit entry and split on
// replay, so the engine refuses a generator that would make that ambiguous.
describe("injected run ids", () => {
  const actor = { id: "u" };
  const setup = async (runId: () => string) => {
    let n = 0;
    const engine = createOnboardingEngine({
      store: createMemoryStore(),
      authorize: () => true,
      ids: { draftId: () => "d", eventId: () => `e-${(n += 1)}`, runId },
    });
    const { draft } = await engine.create("w", { identity: { tenantId: "t", displayName: "T" } }, { actor });
    const selected = await engine.execute("w", draft.id, { type: "select_provider", connectionId: "c" }, { actor, expectedVersion: 1 });
    return { engine, version: selected.version };
  };

  it("refuses a run id with a comma, writing nothing", async () => {
    const { engine, version } = await setup(() => "a,b");
    await expect(engine.execute("w", "d", { type: "start_verification" }, { actor, expectedVersion: version })).rejects.toBeInstanceOf(
      ConfigurationError,
    );
    expect((await engine.get("w", "d", { actor })).version).toBe(version);
  });

  it("replays the run ids of a multi-run command exactly", async () => {
    let n = 0;
    const { engine, version } = await setup(() => `run-${(n += 1)}`);
    let current = (await engine.execute("w", "d", { type: "start_verification" }, { actor, expectedVersion: version })).draft;
    current = (
      await engine.execute("w", "d", { type: "record_verification_result", runId: current.verification!.runId, status: "completed", outcome: "succeeded" }, { actor })
    ).draft;
    const options = { actor, expectedVersion: current.version, idempotencyKey: "k" };
    const command = { type: "start_bootstrap" as const, operations: ["a", "b"] };
    const first = await engine.execute("w", "d", command, options);
    const again = await engine.execute("w", "d", command, options);
    expect(first.runIds).toHaveLength(2);
    expect(again.replayed).toBe(true);
    expect(again.runIds).toEqual(first.runIds);
  });
});
