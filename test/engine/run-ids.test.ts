import { describe, expect, it } from "vitest";
import { ConfigurationError, createOnboardingEngine } from "../../src/index.js";
import { createMemoryStore } from "../../src/adapters/memory/index.js";

// The run ids of one command are kept as an array in the audit entry and the idempotency record,
// so any storable id works (commas included); only ids that cannot be stored are refused.
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
    const selected = await engine.execute(
      "w",
      draft.id,
      { type: "select_provider", connectionId: "c" },
      { actor, expectedVersion: 1 },
    );
    return { engine, version: selected.version };
  };

  it("keeps a run id with a comma as one id in the audit entry", async () => {
    const { engine, version } = await setup(() => "a,b");
    const started = await engine.execute("w", "d", { type: "start_verification" }, { actor, expectedVersion: version });
    expect(started.runIds).toEqual(["a,b"]);
    const history = (await engine.history("w", "d", { actor })).entries;
    expect(history.at(-1)?.runIds).toEqual(["a,b"]);
  });

  for (const bad of ["", "x".repeat(129), "nul\u0000"]) {
    it(`refuses a run id that cannot be stored (${JSON.stringify(bad).slice(0, 12)}), writing nothing`, async () => {
      const { engine, version } = await setup(() => bad);
      await expect(
        engine.execute("w", "d", { type: "start_verification" }, { actor, expectedVersion: version }),
      ).rejects.toBeInstanceOf(ConfigurationError);
      expect((await engine.get("w", "d", { actor })).version).toBe(version);
    });
  }

  it("replays the run ids of a multi-run command exactly", async () => {
    let n = 0;
    const { engine, version } = await setup(() => `run-${(n += 1)}`);
    let current = (await engine.execute("w", "d", { type: "start_verification" }, { actor, expectedVersion: version }))
      .draft;
    current = (
      await engine.execute(
        "w",
        "d",
        {
          type: "record_verification_result",
          runId: current.verification!.runId,
          status: "completed",
          outcome: "succeeded",
        },
        { actor },
      )
    ).draft;
    const options = { actor, expectedVersion: current.version, idempotencyKey: "k" };
    const command = { type: "start_bootstrap" as const, operations: ["a", "b"] };
    const first = await engine.execute("w", "d", command, options);
    const again = await engine.execute("w", "d", command, options);
    expect(first.runIds).toHaveLength(2);
    expect(again.replayed).toBe(true);
    expect(again.runIds).toEqual(first.runIds);
    const committed = (await engine.history("w", "d", { actor })).entries.filter(
      (event) => event.commandType === "start_bootstrap",
    );
    expect(committed.map((event) => event.runIds)).toEqual([first.runIds]);
  });
});
