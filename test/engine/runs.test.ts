/**
 * Heartbeats and stuck runs (issue 11), on the memory store and an injected clock (no sleeps):
 * progress reports live beside the record (no version bump), a run with no report for longer
 * than its lease is expired into `action_required` / `*_timed_out`, audited, its job cancelled
 * through the outbox, and a late result for it is ignored, never applied.
 */
import { describe, expect, it } from "vitest";
import {
  OutboxRecordSchema,
  UnknownRunError,
  createOnboardingEngine,
  describeDraft,
  evaluateReadiness,
} from "../../src/index.js";
import { createMemoryStore } from "../../src/adapters/memory/index.js";

const actor = { id: "operator" };
const worker = { id: "worker" };
const system = { id: "system" };

function setup(leaseMs = 60_000) {
  const store = createMemoryStore();
  let now = Date.parse("2026-01-01T00:00:00.000Z");
  let n = 0;
  const engine = createOnboardingEngine({
    store,
    authorize: () => true,
    clock: { now: () => now },
    ids: { draftId: () => `d-${++n}`, runId: () => `run-${++n}`, eventId: () => `e-${++n}` },
    runLeaseMs: leaseMs,
  });
  const advance = (ms: number): void => {
    now += ms;
  };
  return { store, engine, advance };
}

async function verifying(engine: ReturnType<typeof setup>["engine"]) {
  const { draft } = await engine.create("ws", { identity: { tenantId: "t", displayName: "T" } }, { actor });
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

describe("progress reports (heartbeats)", () => {
  it("are recorded beside the record: the version an operator must match does not move", async () => {
    const { engine, advance } = setup();
    const { draftId, version, runId } = await verifying(engine);
    advance(1_000);
    const beat = await engine.execute(
      "ws",
      draftId,
      { type: "record_verification_progress", runId, message: "checking roles", percent: 30 },
      { actor: worker },
    );
    expect(beat).toMatchObject({ feedback: "recorded", version, event: null });
    expect((await engine.get("ws", draftId, { actor })).version).toBe(version);
    const progress = await engine.runProgress("ws", draftId, { actor });
    expect(progress).toEqual([
      { runId, message: "checking roles", percent: 30, reportedAt: "2026-01-01T00:00:01.000Z" },
    ]);
    // A later beat without a message keeps the message and percent, and moves the time.
    advance(1_000);
    await engine.execute("ws", draftId, { type: "record_verification_progress", runId }, { actor: worker });
    expect(await engine.runProgress("ws", draftId, { actor })).toEqual([
      { runId, message: "checking roles", percent: 30, reportedAt: "2026-01-01T00:00:02.000Z" },
    ]);
    // The operator's stale-free page still commits with the version it read before the beats.
    const edit = await engine.execute(
      "ws",
      draftId,
      { type: "start_verification" },
      { actor, expectedVersion: version },
    );
    expect(edit.feedback).toBe("deduped");
    const draft = await engine.get("ws", draftId, { actor });
    const view = describeDraft(draft, { progress: await engine.runProgress("ws", draftId, { actor }) });
    expect(view.checkpoints[2]?.runs[0]?.progress).toEqual({
      message: "checking roles",
      percent: 30,
      reportedAt: "2026-01-01T00:00:02.000Z",
    });
  });

  it("on a run that is not current are ignored; on a run the draft never had are UnknownRunError", async () => {
    const { engine } = setup();
    const { draftId, runId } = await verifying(engine);
    const wrongCheckpoint = await engine.execute(
      "ws",
      draftId,
      { type: "record_bootstrap_progress", runId },
      { actor: worker },
    );
    expect(wrongCheckpoint.feedback).toBe("ignored_stale_result");
    await expect(
      engine.execute("ws", draftId, { type: "record_verification_progress", runId: "nope" }, { actor: worker }),
    ).rejects.toBeInstanceOf(UnknownRunError);
    await engine.execute(
      "ws",
      draftId,
      { type: "record_verification_result", runId, status: "completed", outcome: "succeeded" },
      { actor: worker },
    );
    const late = await engine.execute(
      "ws",
      draftId,
      { type: "record_verification_progress", runId, percent: 90 },
      { actor: worker },
    );
    expect(late.feedback).toBe("ignored_duplicate_result");
  });

  it("bad percent values are ValidationError", async () => {
    const { engine } = setup();
    const { draftId, runId } = await verifying(engine);
    for (const percent of [-1, 101, Number.NaN]) {
      await expect(
        engine.execute("ws", draftId, { type: "record_verification_progress", runId, percent }, { actor: worker }),
      ).rejects.toMatchObject({ code: "validation_failed" });
    }
  });
});

describe("stuck runs", () => {
  it("a run with no report past its lease is expired: action_required / verification_timed_out, audited, job cancelled", async () => {
    const { engine, store, advance } = setup(60_000);
    const { draftId, runId, version } = await verifying(engine);
    advance(59_999);
    expect((await engine.expireStuckRuns({ actor: system })).expired).toEqual([]);
    advance(2);
    const report = await engine.expireStuckRuns({ actor: system });
    expect(report.expired).toEqual([
      { workspaceId: "ws", draftId, runId, checkpoint: "verify_access", version: version + 1 },
    ]);
    const draft = await engine.get("ws", draftId, { actor });
    expect(draft.lifecycle).toMatchObject({ state: "action_required", reason: "verification_timed_out" });
    expect(draft.verification).toMatchObject({ status: "completed", outcome: "failed", timedOut: true });
    expect(evaluateReadiness(draft).blockers.map((b) => b.code)).toContain("verification_timed_out");
    const history = (await engine.history("ws", draftId, { actor })).entries;
    expect(history.at(-1)).toMatchObject({
      kind: "committed",
      commandType: "expire_run",
      actorId: "system",
      runIds: [runId],
    });
    const outbox = (await store.listOutbox({ workspaceId: "ws", limit: 10 })).entries.map((e) =>
      OutboxRecordSchema.parse(e),
    );
    expect(outbox.map((e) => [e.kind, e.runId])).toEqual([
      ["run.requested", runId],
      ["run.cancelled", runId],
    ]);
    // Nothing is watched any more: a second pass finds nothing.
    expect(await engine.expireStuckRuns({ actor: system })).toEqual({ expired: [], settled: 0, alive: 0 });
    // A late result for the expired run is ignored and reported, never applied.
    const late = await engine.execute(
      "ws",
      draftId,
      { type: "record_verification_result", runId, status: "completed", outcome: "succeeded" },
      { actor: worker },
    );
    expect(late).toMatchObject({ feedback: "ignored_expired_run", version: version + 1 });
    // Restarting the operation completes the checkpoint.
    const again = await engine.execute(
      "ws",
      draftId,
      { type: "start_verification" },
      { actor, expectedVersion: version + 1 },
    );
    const done = await engine.execute(
      "ws",
      draftId,
      { type: "record_verification_result", runId: again.runIds[0] ?? "", status: "completed", outcome: "succeeded" },
      { actor: worker },
    );
    expect(done.draft.lifecycle.state).toBe("ready_for_activation");
  });

  it("heartbeats keep a run alive; a running result counts as a report too", async () => {
    const { engine, advance } = setup(60_000);
    const { draftId, runId } = await verifying(engine);
    for (let i = 0; i < 5; i += 1) {
      advance(50_000);
      await engine.execute("ws", draftId, { type: "record_verification_progress", runId }, { actor: worker });
      expect((await engine.expireStuckRuns({ actor: system })).expired).toEqual([]);
    }
    advance(50_000);
    await engine.execute(
      "ws",
      draftId,
      { type: "record_verification_result", runId, status: "running" },
      { actor: worker },
    );
    advance(50_000);
    expect((await engine.expireStuckRuns({ actor: system })).expired).toEqual([]);
    advance(20_000);
    expect((await engine.expireStuckRuns({ actor: system })).expired.map((r) => r.runId)).toEqual([runId]);
  });

  it("finished runs are settled, not expired; a bootstrap run that times out says bootstrap_timed_out", async () => {
    const { engine, advance } = setup(1_000);
    const { draftId, runId } = await verifying(engine);
    const verified = await engine.execute(
      "ws",
      draftId,
      { type: "record_verification_result", runId, status: "completed", outcome: "succeeded" },
      { actor: worker },
    );
    const boot = await engine.execute(
      "ws",
      draftId,
      { type: "start_bootstrap", operations: ["dns", "mail"] },
      { actor, expectedVersion: verified.version },
    );
    await engine.execute(
      "ws",
      draftId,
      { type: "record_bootstrap_result", runId: boot.runIds[0] ?? "", status: "completed", outcome: "succeeded" },
      { actor: worker },
    );
    advance(5_000);
    const report = await engine.expireStuckRuns({ actor: system });
    expect(report.expired.map((r) => [r.runId, r.checkpoint])).toEqual([[boot.runIds[1], "bootstrap"]]);
    expect(report.settled).toBe(2); // the verification run and the finished dns run
    const draft = await engine.get("ws", draftId, { actor });
    expect(draft.lifecycle).toMatchObject({ state: "action_required", reason: "bootstrap_timed_out" });
    expect(evaluateReadiness(draft).blockers.map((b) => b.code)).toEqual(
      expect.arrayContaining(["bootstrap_failed", "bootstrap_timed_out"]),
    );
  });

  it("options are validated", async () => {
    const { engine } = setup();
    await expect(engine.expireStuckRuns({ actor: system, limit: 0 })).rejects.toMatchObject({
      code: "validation_failed",
    });
    await expect(engine.expireStuckRuns({ actor: system, leaseMs: -5 })).rejects.toMatchObject({
      code: "validation_failed",
    });
    expect(() => createOnboardingEngine({ store: createMemoryStore(), authorize: () => true, runLeaseMs: 0 })).toThrow(
      /runLeaseMs/,
    );
  });
});
