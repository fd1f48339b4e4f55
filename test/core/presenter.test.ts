/** describeDraft (DESIGN.md section 6): checkpoint statuses, label keys, tones and run links. */
import { describe, expect, it } from "vitest";
import { describeDraft, type CheckpointStatus, type DraftView } from "../../src/lifecycle/index.js";
import type { OnboardingDraft } from "../../src/record/index.js";
import { CHECKPOINTS, type Checkpoint } from "../../src/vocabulary/index.js";
import {
  IDENTITY,
  INVALIDATION,
  T2,
  bootstrapOf,
  connected,
  draftWith,
  run,
  verification,
  verified,
} from "./fixtures.js";

const statuses = (view: DraftView): Record<Checkpoint, CheckpointStatus> =>
  Object.fromEntries(view.checkpoints.map((c) => [c.checkpoint, c.status])) as Record<Checkpoint, CheckpointStatus>;

const list = (...values: CheckpointStatus[]): Record<Checkpoint, CheckpointStatus> =>
  Object.fromEntries(CHECKPOINTS.map((c, i) => [c, values[i]])) as Record<Checkpoint, CheckpointStatus>;

describe("describeDraft: checkpoint statuses", () => {
  const cases: [string, () => OnboardingDraft, Record<Checkpoint, CheckpointStatus>][] = [
    ["new draft", () => draftWith(), list("current", "pending", "pending", "pending", "pending")],
    [
      "identified",
      () => draftWith({ identity: { ...IDENTITY } }),
      list("complete", "current", "pending", "pending", "pending"),
    ],
    ["connected", () => connected(), list("complete", "complete", "current", "pending", "pending")],
    [
      "verifying: in_progress",
      () => connected({ verification: verification("running") }),
      list("complete", "complete", "in_progress", "pending", "pending"),
    ],
    [
      "verification failed: blocked",
      () => verified("failed"),
      list("complete", "complete", "blocked", "pending", "pending"),
    ],
    [
      "provider changed (row 5): stale",
      () => connected({ invalidation: INVALIDATION }),
      list("complete", "complete", "stale", "pending", "pending"),
    ],
    [
      "stale verification (row 6): stale",
      () => connected({ verification: verification("completed", "succeeded", { revision: 7 }) }),
      list("complete", "complete", "stale", "pending", "pending"),
    ],
    [
      "bootstrapping: in_progress",
      () => verified("succeeded", { bootstrap: bootstrapOf(run("sync", "queued")) }),
      list("complete", "complete", "complete", "in_progress", "pending"),
    ],
    [
      "bootstrap failed: blocked",
      () => verified("succeeded", { bootstrap: bootstrapOf(run("sync", "completed", "failed")) }),
      list("complete", "complete", "complete", "blocked", "pending"),
    ],
    ["ready, no bootstrap", () => verified(), list("complete", "complete", "complete", "current", "pending")],
    [
      "ready, bootstrapped",
      () => verified("succeeded", { bootstrap: bootstrapOf(run("sync", "completed")) }),
      list("complete", "complete", "complete", "complete", "current"),
    ],
    [
      "completed: everything complete",
      () => draftWith({ ...verified(), activation: { at: T2, by: "u-1", override: null } }),
      list("complete", "complete", "complete", "complete", "complete"),
    ],
    [
      "cancelled: keeps what was completed",
      () => draftWith({ ...connected(), cancellation: { at: T2, by: "u-1", reason: null } }),
      list("complete", "complete", "pending", "pending", "pending"),
    ],
    [
      "cancelled before anything: all pending",
      () => draftWith({ cancellation: { at: T2, by: "u-1", reason: null } }),
      list("pending", "pending", "pending", "pending", "pending"),
    ],
  ];
  it.each(cases)("%s", (_name, build, expected) => {
    expect(statuses(describeDraft(build()))).toEqual(expected);
  });
});

describe("describeDraft: label keys and tones", () => {
  it("state, reason and checkpoint label keys", () => {
    const view = describeDraft(verified("failed"));
    expect(view.stateLabelKey).toBe("onboarding.state.action_required");
    expect(view.reasonLabelKey).toBe("onboarding.reason.verification_failed");
    expect(view.checkpoints.map((c) => c.labelKey)).toEqual(CHECKPOINTS.map((c) => `onboarding.checkpoint.${c}`));
    expect(view.checkpoints[2]?.statusLabelKey).toBe("onboarding.checkpoint_status.blocked");
    expect(describeDraft(draftWith()).reasonLabelKey).toBeNull();
  });

  it("state tones", () => {
    expect(describeDraft(draftWith()).tone).toBe("neutral");
    expect(describeDraft(connected({ verification: verification("queued") })).tone).toBe("info");
    expect(describeDraft(verified("blocked")).tone).toBe("danger");
    expect(describeDraft(verified("succeeded", { bootstrap: bootstrapOf(run("s", "running")) })).tone).toBe("info");
    expect(describeDraft(verified()).tone).toBe("success");
    expect(describeDraft(verified("partially_succeeded")).tone).toBe("warning");
    expect(describeDraft(draftWith({ ...verified(), activation: { at: T2, by: "u", override: null } })).tone).toBe(
      "success",
    );
    expect(describeDraft(draftWith({ cancellation: { at: T2, by: "u", reason: null } })).tone).toBe("neutral");
  });

  it("checkpoint status tones", () => {
    const tones = (d: OnboardingDraft) => describeDraft(d).checkpoints.map((c) => [c.status, c.tone]);
    const seen = new Map<string, string>();
    for (const d of [
      connected({ invalidation: INVALIDATION }),
      verified("failed"),
      connected({ verification: verification("running") }),
      verified(),
    ]) {
      for (const [status, tone] of tones(d)) seen.set(status as string, tone as string);
    }
    expect(Object.fromEntries(seen)).toEqual({
      complete: "success",
      current: "info",
      in_progress: "info",
      blocked: "danger",
      stale: "warning",
      pending: "neutral",
    });
  });

  it("carries draftId, version, stage and readiness", () => {
    const draft = verified("partially_succeeded", { version: 7 });
    const view = describeDraft(draft);
    expect(view).toMatchObject({
      draftId: "draft-1",
      version: 7,
      state: "ready_for_activation",
      reason: "verification_warnings",
    });
    expect(view.stage.step).toBe("bootstrap");
    expect(view.readiness).toMatchObject({ ready: false, overridable: true });
  });

  it("passes policy and now through to readiness", () => {
    const view = describeDraft(verified(), { policy: { verificationMaxAgeMs: 1 }, now: Date.parse(T2) + 1 });
    expect(view.readiness.blockers.map((b) => b.code)).toEqual(["verification_expired"]);
  });
});

describe("describeDraft: runs", () => {
  const draft = connected({
    verification: { ...verification("completed", "partially_succeeded", { runId: "v-9" }), message: "2 warnings" },
  });
  const withBootstrap = draftWith({
    ...draft,
    bootstrap: bootstrapOf(
      run("sync", "completed", "failed", "s-1"),
      run("sync", "running", null, "s-2"),
      run("baseline", "queued", null, "b-1"),
    ),
  });

  it("verification run view with runUrl", () => {
    const view = describeDraft(withBootstrap, { runUrl: (id) => `/ops/runs/${id}` });
    expect(view.checkpoints[2]?.runs).toEqual([
      {
        runId: "v-9",
        operation: "verify_access",
        status: "completed",
        outcome: "partially_succeeded",
        labelKey: "onboarding.run.partially_succeeded",
        tone: "warning",
        url: "/ops/runs/v-9",
        message: "2 warnings",
        timedOut: false,
        progress: null,
      },
    ]);
  });

  it("shows a run's last progress report while it is active, never on a completed run", () => {
    const progress = [
      { runId: "s-2", message: "copying DNS zone", percent: 40, reportedAt: "2026-01-01T00:00:05.000Z" },
      { runId: "v-9", message: "stale", percent: 100, reportedAt: "2026-01-01T00:00:01.000Z" },
    ];
    const view = describeDraft(withBootstrap, { progress });
    expect(view.checkpoints[3]?.runs.map((r) => [r.runId, r.progress])).toEqual([
      ["s-2", { message: "copying DNS zone", percent: 40, reportedAt: "2026-01-01T00:00:05.000Z" }],
      ["b-1", null],
    ]);
    expect(view.checkpoints[2]?.runs[0]?.progress).toBeNull();
  });

  it("bootstrap shows only the current run of each operation, with status label keys and links", () => {
    const view = describeDraft(withBootstrap, { runUrl: (id) => `https://mon.example/r/${encodeURIComponent(id)}` });
    expect(view.checkpoints[3]?.runs.map((r) => [r.runId, r.labelKey, r.tone, r.url, r.message])).toEqual([
      ["s-2", "onboarding.run.running", "info", "https://mon.example/r/s-2", null],
      ["b-1", "onboarding.run.queued", "info", "https://mon.example/r/b-1", null],
    ]);
  });

  it("url is null without runUrl", () => {
    const view = describeDraft(withBootstrap);
    const runs = view.checkpoints.flatMap((c) => c.runs);
    expect(runs.length).toBe(3);
    for (const r of runs) expect(r.url).toBeNull();
  });

  it.each([
    ["succeeded", "success"],
    ["failed", "danger"],
    ["blocked", "danger"],
    ["cancelled", "neutral"],
  ] as const)("run outcome %s has tone %s", (outcome, tone) => {
    const view = describeDraft(verified(outcome));
    expect(view.checkpoints[2]?.runs[0]).toMatchObject({ labelKey: `onboarding.run.${outcome}`, tone });
  });

  it("checkpoints without runs have an empty list", () => {
    const view = describeDraft(withBootstrap);
    expect(view.checkpoints[0]?.runs).toEqual([]);
    expect(view.checkpoints[1]?.runs).toEqual([]);
    expect(view.checkpoints[4]?.runs).toEqual([]);
  });
});
