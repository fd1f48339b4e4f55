import { describe, expect, it } from "vitest";
import { setTimeout as sleep } from "node:timers/promises";
import { createOnboardingEngine, type Actor } from "../../src/index.js";
import { createMemoryStore } from "../../src/adapters/memory/index.js";
import { runScenario } from "./scenario.js";
import { createWorker, type WorkerEvent } from "./worker.js";

describe("examples/worker", () => {
  it("runs the scenario: the in-flight verification's late result is ignored as stale", async () => {
    const lines: string[] = [];
    const result = await runScenario((line) => lines.push(line));

    expect(result.staleReport).toMatchObject({
      kind: "verification",
      reported: "succeeded",
      feedback: "ignored_stale_result",
      state: "draft",
    });
    expect(lines.some((line) => line.includes("ignored_stale_result"))).toBe(true);

    // The stale result changed nothing: Contoso needed a second verification run.
    const contosoVerifications = result.events.filter(
      (event) => event.draftId === result.contoso.id && event.kind === "verification" && event.reported !== "running",
    );
    expect(contosoVerifications.map((event) => event.feedback)).toEqual(["ignored_stale_result", "recorded"]);
    expect(result.contoso.verification?.runId).not.toBe(result.staleReport.runId);
    expect(result.contoso.provider?.revision).toBe(2);
    expect(result.contoso.verification?.providerRevision).toBe(2);

    // Fabrikam's failed bootstrap operation was re-run by a new run that superseded it.
    const fabrikamPolicies = result.events.filter(
      (event: WorkerEvent) =>
        event.draftId === result.fabrikam.id &&
        event.operation === "assign_baseline_policies" &&
        event.reported !== "running",
    );
    expect(fabrikamPolicies.map((event) => [event.reported, event.feedback, event.state])).toEqual([
      ["failed", "recorded", "action_required"],
      ["succeeded", "recorded", "ready_for_activation"],
    ]);

    // Both drafts completed; the late duplicate on a terminal draft was ignored.
    expect(result.contoso.lifecycle.state).toBe("completed");
    expect(result.fabrikam.lifecycle.state).toBe("completed");
    expect(result.terminalReport.feedback).toBe("ignored_terminal");
    expect(result.contoso.version).toBe(14);

    // Every worker report is in the audit trail with the worker's identity; ignored ones wrote nothing.
    const history = await result.engine.history(result.workspaceId, result.contoso.id, {
      actor: { id: "operator-ana", role: "operator" },
    });
    const recorded = history.filter((event) => event.actorId === "svc-onboarding-worker");
    expect(recorded.length).toBe(
      result.events.filter((e) => e.draftId === result.contoso.id && e.feedback === "recorded").length,
    );
    expect(
      history.some(
        (event) => event.runIds.includes(result.staleReport.runId) && event.feedback === "ignored_stale_result",
      ),
    ).toBe(false);
  }, 10_000);

  it("polls with run() until aborted, within bounded time", async () => {
    const engine = createOnboardingEngine<Actor>({ store: createMemoryStore(), authorize: () => true });
    const ws = "ws-poll";
    const actor = { id: "u" };
    const { draft } = await engine.create(ws, { identity: { tenantId: "t", displayName: "T" } }, { actor });
    await engine.execute(ws, draft.id, { type: "select_provider", connectionId: "c" }, { actor, expectedVersion: 1 });
    await engine.execute(ws, draft.id, { type: "start_verification" }, { actor, expectedVersion: 2 });

    const events: WorkerEvent[] = [];
    const worker = createWorker({
      engine,
      workspaceIds: [ws],
      actor: { id: "worker" },
      verify: async () => ({ outcome: "partially_succeeded", message: "one optional permission missing" }),
      bootstrap: async () => {
        throw new Error("never called");
      },
      onEvent: (event) => events.push(event),
    });
    const controller = new AbortController();
    const running = worker.run({ signal: controller.signal, intervalMs: 10 });
    const deadline = Date.now() + 5_000;
    while (Date.now() < deadline && (await engine.get(ws, draft.id, { actor })).lifecycle.state === "verifying")
      await sleep(10);
    controller.abort();
    await running;

    const final = await engine.get(ws, draft.id, { actor });
    expect(final.lifecycle).toMatchObject({ state: "ready_for_activation", reason: "verification_warnings" });
    expect(events.map((e) => e.reported)).toEqual(["running", "partially_succeeded"]);
  }, 10_000);

  it("reports a throwing work function as a failed run", async () => {
    const engine = createOnboardingEngine<Actor>({ store: createMemoryStore(), authorize: () => true });
    const ws = "ws-fail";
    const actor = { id: "u" };
    const { draft } = await engine.create(ws, { identity: { tenantId: "t", displayName: "T" } }, { actor });
    await engine.execute(ws, draft.id, { type: "select_provider", connectionId: "c" }, { actor, expectedVersion: 1 });
    await engine.execute(ws, draft.id, { type: "start_verification" }, { actor, expectedVersion: 2 });
    const worker = createWorker({
      engine,
      workspaceIds: [ws],
      actor: { id: "worker" },
      verify: async () => {
        throw new Error("consent revoked");
      },
      bootstrap: async () => ({ outcome: "succeeded" }),
    });
    await worker.tick();
    const final = await engine.get(ws, draft.id, { actor });
    expect(final.lifecycle).toMatchObject({ state: "action_required", reason: "verification_failed" });
    expect(final.verification?.message).toBe("consent revoked");
    // Nothing left to do: a second tick finds no jobs.
    expect(await worker.tick()).toEqual([]);
  });
});
