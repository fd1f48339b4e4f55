/** resolveStage (DESIGN.md section 6): the wizard step, editability and polling for every state. */
import { describe, expect, it } from "vitest";
import { DEFAULT_POLL_INTERVAL_MS, resolveStage, type Stage } from "../../src/lifecycle/index.js";
import type { OnboardingDraft } from "../../src/record/index.js";
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

const activated = (): OnboardingDraft =>
  draftWith({ ...verified(), activation: { at: T2, by: "u-1", override: null } });
const cancelled = (): OnboardingDraft =>
  draftWith({ ...connected(), cancellation: { at: T2, by: "u-1", reason: null } });

const cases: [string, () => OnboardingDraft, Omit<Stage, "polling"> & { polls: boolean }][] = [
  [
    "draft (identify)",
    () => draftWith(),
    { step: "identify", editable: true, polls: false, state: "draft", reason: null },
  ],
  [
    "draft (connect_provider)",
    () => draftWith({ identity: { ...IDENTITY } }),
    { step: "connect_provider", editable: true, polls: false, state: "draft", reason: null },
  ],
  [
    "draft (verify_access)",
    () => connected(),
    { step: "verify_access", editable: true, polls: false, state: "draft", reason: null },
  ],
  [
    "draft after a provider change",
    () => connected({ invalidation: INVALIDATION }),
    { step: "verify_access", editable: true, polls: false, state: "draft", reason: "provider_changed" },
  ],
  [
    "verifying (queued)",
    () => connected({ verification: verification("queued") }),
    { step: "verify_access", editable: false, polls: true, state: "verifying", reason: null },
  ],
  [
    "verifying (running)",
    () => connected({ verification: verification("running") }),
    { step: "verify_access", editable: false, polls: true, state: "verifying", reason: null },
  ],
  [
    "action_required (verification)",
    () => verified("failed"),
    { step: "verify_access", editable: true, polls: false, state: "action_required", reason: "verification_failed" },
  ],
  [
    "bootstrapping",
    () => verified("succeeded", { bootstrap: bootstrapOf(run("sync", "running")) }),
    { step: "bootstrap", editable: false, polls: true, state: "bootstrapping", reason: null },
  ],
  [
    "action_required (bootstrap)",
    () => verified("succeeded", { bootstrap: bootstrapOf(run("sync", "completed", "blocked")) }),
    { step: "bootstrap", editable: true, polls: false, state: "action_required", reason: "bootstrap_failed" },
  ],
  [
    "ready_for_activation (bootstrap never started)",
    () => verified("partially_succeeded"),
    { step: "bootstrap", editable: true, polls: false, state: "ready_for_activation", reason: "verification_warnings" },
  ],
  [
    "ready_for_activation (bootstrapped)",
    () => verified("succeeded", { bootstrap: bootstrapOf(run("sync", "completed", "succeeded")) }),
    { step: "activate", editable: true, polls: false, state: "ready_for_activation", reason: null },
  ],
  ["completed", activated, { step: "done", editable: false, polls: false, state: "completed", reason: null }],
  [
    "cancelled",
    cancelled,
    { step: "cancelled", editable: false, polls: false, state: "cancelled", reason: "cancelled" },
  ],
];

describe("resolveStage", () => {
  it.each(cases)("%s", (_name, build, expected) => {
    const { polls, ...rest } = expected;
    const stage = resolveStage(build());
    expect(stage).toEqual({ ...rest, polling: polls ? { intervalMs: DEFAULT_POLL_INTERVAL_MS } : null });
  });

  it("the default polling interval is 5000 ms", () => {
    expect(DEFAULT_POLL_INTERVAL_MS).toBe(5000);
  });

  it("the polling interval is configurable, and only used while a run is active", () => {
    const verifying = connected({ verification: verification("running") });
    expect(resolveStage(verifying, { pollIntervalMs: 1500 }).polling).toEqual({ intervalMs: 1500 });
    expect(resolveStage(verified(), { pollIntervalMs: 1500 }).polling).toBeNull();
  });

  it("terminal drafts never poll, even with runs still in flight", () => {
    const inFlight = draftWith({
      ...verified("succeeded", { bootstrap: bootstrapOf(run("sync", "running")) }),
      cancellation: { at: T2, by: "u-1", reason: null },
    });
    expect(resolveStage(inFlight)).toMatchObject({ step: "cancelled", editable: false, polling: null });
  });

  it("ignores a stored lifecycle that disagrees (derives, never trusts the stored hint)", () => {
    const draft = {
      ...connected(),
      lifecycle: { state: "completed", currentCheckpoint: null, lastCompletedCheckpoint: "activate", reason: null },
    } as const;
    expect(resolveStage(draft).step).toBe("verify_access");
  });
});
