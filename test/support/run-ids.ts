/**
 * The run ids of a command round-trip through a store as an array: the audit entry's `runIds`
 * and the idempotency record's `outcome.runIds`, ids with commas included (they were once
 * comma-joined text, which split such an id in two).
 */
import { expect } from "vitest";
import { createOnboardingEngine } from "../../src/index.js";
import type { DraftStore } from "../../src/store/index.js";

/** Runs a two-run `start_bootstrap` over `store` in a fresh workspace and checks what comes back. */
export async function expectRunIdsRoundTrip(store: DraftStore, workspaceId: string): Promise<void> {
  let runs = 0;
  let events = 0;
  const engine = createOnboardingEngine({
    store,
    authorize: () => true,
    ids: {
      draftId: () => "d-runs",
      eventId: () => `e-${workspaceId}-${(events += 1)}`,
      runId: () => `run,${(runs += 1)}`,
    },
  });
  const actor = { id: "u" };
  const { draft } = await engine.create(workspaceId, { identity: { tenantId: "t-runs", displayName: "T" } }, { actor });
  const selected = await engine.execute(
    workspaceId,
    draft.id,
    { type: "select_provider", connectionId: "c" },
    { actor, expectedVersion: draft.version },
  );
  const verifying = await engine.execute(
    workspaceId,
    draft.id,
    { type: "start_verification" },
    { actor, expectedVersion: selected.version },
  );
  expect(verifying.runIds).toEqual(["run,1"]);
  const verified = await engine.execute(
    workspaceId,
    draft.id,
    { type: "record_verification_result", runId: "run,1", status: "completed", outcome: "succeeded" },
    { actor },
  );
  const options = { actor, expectedVersion: verified.version, idempotencyKey: `k-${workspaceId}` };
  const command = { type: "start_bootstrap" as const, operations: ["a", "b"] };
  const first = await engine.execute(workspaceId, draft.id, command, options);
  expect(first.runIds).toEqual(["run,2", "run,3"]);
  const again = await engine.execute(workspaceId, draft.id, command, options);
  expect(again.replayed).toBe(true);
  expect(again.runIds).toEqual(["run,2", "run,3"]);
  const history = (await engine.history(workspaceId, draft.id, { actor })).entries;
  expect(history.map((event) => [event.commandType, event.runIds])).toEqual([
    ["create", []],
    ["select_provider", []],
    ["start_verification", ["run,1"]],
    ["record_verification_result", ["run,1"]],
    ["start_bootstrap", ["run,2", "run,3"]],
  ]);
}
