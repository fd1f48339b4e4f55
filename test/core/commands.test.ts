/**
 * The command reducers: each command's guard and effect through the pure `applyCommand`.
 */
import { describe, expect, it } from "vitest";
import {
  applyCommand,
  parseCommand,
  requiredCapabilities,
  type CommandContext,
  type CommandInput,
  type CommandOutcome,
} from "../../src/commands/index.js";
import { currentBootstrapRuns, deriveLifecycle, evaluateReadiness } from "../../src/lifecycle/index.js";
import {
  InvalidTransitionError,
  NotReadyError,
  TerminalDraftError,
  type OnboardingDraft,
} from "../../src/record/index.js";
import { testContext } from "../../src/testing/arbitraries.js";
import {
  IDENTITY,
  T2,
  bootstrapOf,
  connected,
  deepFreeze,
  draftWith,
  run,
  verification,
  verified,
} from "./fixtures.js";

const NOW = "2026-02-01T10:00:00.000Z";

function exec(
  draft: OnboardingDraft,
  input: CommandInput,
  context: CommandContext = testContext({ now: NOW, actorId: "op" }),
): CommandOutcome {
  const outcome = applyCommand(deepFreeze(draft), parseCommand(input), context);
  // Every changed draft is consistent: lifecycle re-derived, version +1, stamped.
  if (outcome.changed) {
    expect(outcome.draft.lifecycle).toEqual(deriveLifecycle(outcome.draft));
    expect(outcome.draft.version).toBe(draft.version + 1);
    expect(outcome.draft.updatedAt).toBe(context.now);
    expect(outcome.draft.updatedBy).toBe(context.actorId);
  } else {
    expect(outcome.draft).toBe(draft);
  }
  return outcome;
}

function refusal(draft: OnboardingDraft, input: CommandInput, context?: CommandContext): unknown {
  try {
    exec(draft, input, context);
  } catch (error) {
    return error;
  }
  throw new Error(`expected ${input.type} to be refused`);
}

function expectTransitionRefused(draft: OnboardingDraft, input: CommandInput, requirement: string): void {
  const error = refusal(draft, input);
  expect(error).toBeInstanceOf(InvalidTransitionError);
  expect(error).toMatchObject({ code: "invalid_transition", requirement, commandType: input.type, draftId: draft.id });
}

/** Drives a draft through several commands (each must succeed). */
function chain(draft: OnboardingDraft, ...inputs: CommandInput[]): OnboardingDraft {
  const context = testContext({ now: NOW, actorId: "op" });
  return inputs.reduce((d, input) => applyCommand(d, parseCommand(input), context).draft, draft);
}

describe("identify", () => {
  it("sets the identity (trimmed) and moves to connect_provider", () => {
    const outcome = exec(draftWith(), {
      type: "identify",
      tenantId: "t-1",
      displayName: "  Contoso  ",
      primaryDomain: " Contoso.COM ",
    });
    expect(outcome).toMatchObject({ changed: true, feedback: "applied", runIds: [] });
    expect(outcome.draft.identity).toEqual({ tenantId: "t-1", displayName: "Contoso", primaryDomain: "contoso.com" });
    expect(outcome.draft.lifecycle.currentCheckpoint).toBe("connect_provider");
  });

  it("the same identity again is unchanged (no write)", () => {
    const outcome = exec(draftWith({ identity: { ...IDENTITY } }), { type: "identify", ...IDENTITY });
    expect(outcome).toMatchObject({ changed: false, feedback: "unchanged" });
  });

  it("the tenant may change before a provider is selected", () => {
    const outcome = exec(draftWith({ identity: { ...IDENTITY } }), {
      type: "identify",
      tenantId: "t-2",
      displayName: "Other",
    });
    expect(outcome.draft.identity?.tenantId).toBe("t-2");
  });

  it("the display name may change after a provider is selected, the tenant may not", () => {
    expect(
      exec(verified(), { type: "identify", tenantId: "t-1", displayName: "Contoso Ltd" }).draft.identity?.displayName,
    ).toBe("Contoso Ltd");
    expectTransitionRefused(
      connected(),
      { type: "identify", tenantId: "t-2", displayName: "Contoso" },
      "tenant_locked_after_provider",
    );
  });

  it("renaming keeps verification and readiness", () => {
    const outcome = exec(verified(), { type: "identify", tenantId: "t-1", displayName: "Renamed" });
    expect(outcome.draft.lifecycle.state).toBe("ready_for_activation");
  });
});

describe("select_provider", () => {
  it("needs an identity", () => {
    expectTransitionRefused(draftWith(), { type: "select_provider", connectionId: "c" }, "identity_required");
  });

  it("first selection: revision 1, nothing invalidated, reason null", () => {
    const outcome = exec(draftWith({ identity: { ...IDENTITY } }), { type: "select_provider", connectionId: "conn-1" });
    expect(outcome.draft.provider).toEqual({ connectionId: "conn-1", revision: 1 });
    expect(outcome.draft.invalidation).toBeNull();
    expect(outcome.draft.lifecycle).toEqual({
      state: "draft",
      currentCheckpoint: "verify_access",
      lastCompletedCheckpoint: "connect_provider",
      reason: null,
    });
  });

  it("the same connection again is unchanged", () => {
    expect(exec(verified(), { type: "select_provider", connectionId: "conn-1" })).toMatchObject({
      changed: false,
      feedback: "unchanged",
    });
  });

  it("another connection clears verification and bootstrap and records the invalidation -> provider_changed", () => {
    const draft = verified("succeeded", {
      bootstrap: bootstrapOf(run("sync", "completed", "succeeded", "s-1"), run("baseline", "running", null, "b-1")),
    });
    const outcome = exec(draft, { type: "select_provider", connectionId: "conn-2" });
    expect(outcome.draft.provider).toEqual({ connectionId: "conn-2", revision: 1 });
    expect(outcome.draft.verification).toBeNull();
    expect(outcome.draft.bootstrap).toBeNull();
    expect(outcome.draft.invalidation).toEqual({
      cause: "provider_changed",
      at: NOW,
      by: "op",
      verificationRunId: "v-1",
      bootstrapRunIds: ["s-1", "b-1"],
    });
    expect(outcome.draft.lifecycle).toMatchObject({
      state: "draft",
      currentCheckpoint: "verify_access",
      reason: "provider_changed",
    });
    expect(evaluateReadiness(outcome.draft)).toMatchObject({ ready: false, overridable: false });
  });
});

describe("update_provider_connection", () => {
  it("needs a provider, and the selected one", () => {
    expectTransitionRefused(
      draftWith({ identity: { ...IDENTITY } }),
      { type: "update_provider_connection", connectionId: "conn-1" },
      "provider_required",
    );
    expectTransitionRefused(
      connected(),
      { type: "update_provider_connection", connectionId: "conn-9" },
      "connection_not_selected",
    );
  });

  it("bumps the revision: verification kept but stale (row 6), bootstrap cleared, invalidation recorded", () => {
    const draft = verified("succeeded", { bootstrap: bootstrapOf(run("sync", "completed", "succeeded", "s-1")) });
    const outcome = exec(draft, { type: "update_provider_connection", connectionId: "conn-1" });
    expect(outcome.draft.provider).toEqual({ connectionId: "conn-1", revision: 2 });
    expect(outcome.draft.verification).toEqual(draft.verification);
    expect(outcome.draft.bootstrap).toBeNull();
    expect(outcome.draft.invalidation).toMatchObject({
      cause: "provider_updated",
      verificationRunId: "v-1",
      bootstrapRunIds: ["s-1"],
    });
    expect(outcome.draft.lifecycle).toEqual({
      state: "draft",
      currentCheckpoint: "verify_access",
      lastCompletedCheckpoint: "connect_provider",
      reason: "provider_changed",
    });
    expect(evaluateReadiness(outcome.draft).blockers.map((b) => b.code)).toEqual(["verification_stale"]);
  });

  it("on a never-verified draft: revision bumps, nothing to invalidate", () => {
    const outcome = exec(connected(), { type: "update_provider_connection", connectionId: "conn-1" });
    expect(outcome.draft.provider?.revision).toBe(2);
    expect(outcome.draft.invalidation).toBeNull();
    expect(outcome.draft.lifecycle.reason).toBeNull();
  });
});

describe("start_verification", () => {
  it("needs identity and provider", () => {
    expectTransitionRefused(draftWith(), { type: "start_verification" }, "identity_required");
    expectTransitionRefused(
      draftWith({ identity: { ...IDENTITY } }),
      { type: "start_verification" },
      "provider_required",
    );
  });

  it("queues a run pinned to the current connection and revision, and clears the invalidation", () => {
    const draft = chain(verified(), { type: "update_provider_connection", connectionId: "conn-1" });
    const outcome = exec(draft, { type: "start_verification" }, testContext({ now: NOW, actorId: "op", seed: "vv" }));
    expect(outcome).toMatchObject({ changed: true, feedback: "queued", runIds: ["vv-1"] });
    expect(outcome.draft.verification).toEqual({
      runId: "vv-1",
      operation: "verify_access",
      status: "queued",
      outcome: null,
      startedAt: NOW,
      completedAt: null,
      providerConnectionId: "conn-1",
      providerRevision: 2,
    });
    expect(outcome.draft.invalidation).toBeNull();
    expect(outcome.draft.lifecycle.state).toBe("verifying");
  });

  it("a custom operation name", () => {
    expect(
      exec(connected(), { type: "start_verification", operation: "deep_check" }).draft.verification?.operation,
    ).toBe("deep_check");
  });

  it.each(["queued", "running"] as const)("dedupes while the current run is %s: same runId, no change", (status) => {
    const draft = connected({ verification: verification(status, null, { runId: "v-7" }) });
    const outcome = exec(draft, { type: "start_verification" });
    expect(outcome).toEqual({ changed: false, draft, feedback: "deduped", runIds: ["v-7"] });
  });

  it("does not dedupe a stale active run: starts a new one against the new revision", () => {
    const draft = connected({
      provider: { connectionId: "conn-1", revision: 2 },
      verification: verification("running", null, { revision: 1 }),
    });
    const outcome = exec(draft, { type: "start_verification" });
    expect(outcome.feedback).toBe("queued");
    expect(outcome.draft.verification?.providerRevision).toBe(2);
  });

  it("re-verifying after a failure starts a new run", () => {
    expect(exec(verified("failed"), { type: "start_verification" }).feedback).toBe("queued");
  });

  it("is refused while bootstrap runs are active", () => {
    expectTransitionRefused(
      verified("succeeded", { bootstrap: bootstrapOf(run("sync", "running")) }),
      { type: "start_verification" },
      "bootstrap_in_progress",
    );
  });
});

describe("record_verification_result", () => {
  const queued = connected({ verification: verification("queued", null, { runId: "v-1" }) });

  it("running, then completed: applied with completedAt from the context", () => {
    const running = exec(queued, { type: "record_verification_result", runId: "v-1", status: "running" });
    expect(running).toMatchObject({ changed: true, feedback: "recorded", runIds: ["v-1"] });
    expect(running.draft.verification?.status).toBe("running");
    const done = exec(running.draft, {
      type: "record_verification_result",
      runId: "v-1",
      status: "completed",
      outcome: "partially_succeeded",
      message: "2 warnings",
    });
    expect(done.draft.verification).toMatchObject({
      status: "completed",
      outcome: "partially_succeeded",
      completedAt: NOW,
      message: "2 warnings",
    });
    expect(done.draft.lifecycle).toMatchObject({ state: "ready_for_activation", reason: "verification_warnings" });
  });

  it("a repeated running report without message is unchanged", () => {
    const running = connected({ verification: verification("running", null, { runId: "v-1" }) });
    expect(exec(running, { type: "record_verification_result", runId: "v-1", status: "running" })).toMatchObject({
      changed: false,
      feedback: "unchanged",
    });
  });

  it("a report for an unknown run is ignored as stale", () => {
    expect(
      exec(queued, { type: "record_verification_result", runId: "v-x", status: "completed", outcome: "succeeded" }),
    ).toMatchObject({
      changed: false,
      feedback: "ignored_stale_result",
      runIds: ["v-x"],
    });
  });

  it("a report for a run superseded by a newer verification is ignored", () => {
    const superseded = chain(
      queued,
      { type: "update_provider_connection", connectionId: "conn-1" },
      { type: "start_verification" },
    );
    expect(superseded.verification?.runId).not.toBe("v-1");
    expect(
      exec(superseded, { type: "record_verification_result", runId: "v-1", status: "completed", outcome: "succeeded" })
        .feedback,
    ).toBe("ignored_stale_result");
  });

  it("a report for the current run made against an old revision (stale) is ignored", () => {
    const stale = chain(queued, { type: "update_provider_connection", connectionId: "conn-1" });
    expect(stale.verification?.runId).toBe("v-1");
    const outcome = exec(stale, {
      type: "record_verification_result",
      runId: "v-1",
      status: "completed",
      outcome: "succeeded",
    });
    expect(outcome.feedback).toBe("ignored_stale_result");
  });

  it("a second report on a completed run is ignored as duplicate", () => {
    expect(
      exec(verified(), { type: "record_verification_result", runId: "v-1", status: "completed", outcome: "failed" }),
    ).toMatchObject({
      changed: false,
      feedback: "ignored_duplicate_result",
    });
  });
});

describe("start_bootstrap", () => {
  it.each<[string, OnboardingDraft]>([
    ["never verified", connected()],
    ["verification running", connected({ verification: verification("running") })],
    ["verification failed", verified("failed")],
    ["verification blocked", verified("blocked")],
    ["verification stale", connected({ verification: verification("completed", "succeeded", { revision: 5 }) })],
  ])("needs a successful current verification (%s)", (_name, draft) => {
    expectTransitionRefused(
      draft,
      { type: "start_bootstrap", operations: ["sync"] },
      "verification_succeeded_required",
    );
  });

  it("queues one run per operation (partially_succeeded verification is enough)", () => {
    const outcome = exec(verified("partially_succeeded"), {
      type: "start_bootstrap",
      operations: ["sync", "baseline"],
    });
    expect(outcome).toMatchObject({ changed: true, feedback: "queued", runIds: ["run-1", "run-2"] });
    expect(outcome.draft.bootstrap).toEqual({
      operations: ["sync", "baseline"],
      runs: [
        { runId: "run-1", operation: "sync", status: "queued", outcome: null, startedAt: NOW, completedAt: null },
        { runId: "run-2", operation: "baseline", status: "queued", outcome: null, startedAt: NOW, completedAt: null },
      ],
    });
    expect(outcome.draft.lifecycle.state).toBe("bootstrapping");
  });

  it("dedupes operations whose current run is active; nothing written when all are", () => {
    const draft = verified("succeeded", {
      bootstrap: bootstrapOf(run("sync", "running", null, "s-1"), run("baseline", "queued", null, "b-1")),
    });
    expect(exec(draft, { type: "start_bootstrap", operations: ["baseline", "sync"] })).toEqual({
      changed: false,
      draft,
      feedback: "deduped",
      runIds: ["b-1", "s-1"],
    });
    const partial = exec(draft, { type: "start_bootstrap", operations: ["sync", "invite"] });
    expect(partial).toMatchObject({ changed: true, feedback: "queued", runIds: ["run-1"] });
    expect(partial.draft.bootstrap?.operations).toEqual(["sync", "baseline", "invite"]);
  });

  it("re-running a failed operation starts a run that supersedes the old one", () => {
    const draft = verified("succeeded", { bootstrap: bootstrapOf(run("sync", "completed", "failed", "s-1")) });
    expect(draft.lifecycle.reason).toBe("bootstrap_failed");
    const outcome = exec(draft, { type: "start_bootstrap", operations: ["sync"] });
    expect(outcome.draft.bootstrap?.runs.map((r) => r.runId)).toEqual(["s-1", "run-1"]);
    expect(outcome.draft.bootstrap?.operations).toEqual(["sync"]);
    expect(currentBootstrapRuns(outcome.draft).map((r) => r.runId)).toEqual(["run-1"]);
    expect(outcome.draft.lifecycle.state).toBe("bootstrapping");
  });

  it("rejects duplicate or empty operation lists at validation", () => {
    expect(() => parseCommand({ type: "start_bootstrap", operations: ["a", "a"] })).toThrow(/unique/);
    expect(() => parseCommand({ type: "start_bootstrap", operations: [] })).toThrow();
  });
});

describe("record_bootstrap_result", () => {
  const draft = verified("succeeded", {
    bootstrap: bootstrapOf(run("sync", "completed", "failed", "s-1"), run("sync", "queued", null, "s-2")),
  });

  it("records the current run's result", () => {
    const outcome = exec(draft, {
      type: "record_bootstrap_result",
      runId: "s-2",
      status: "completed",
      outcome: "succeeded",
    });
    expect(outcome).toMatchObject({ changed: true, feedback: "recorded", runIds: ["s-2"] });
    expect(outcome.draft.bootstrap?.runs[1]).toMatchObject({
      status: "completed",
      outcome: "succeeded",
      completedAt: NOW,
    });
    expect(outcome.draft.bootstrap?.runs[0]).toEqual(draft.bootstrap?.runs[0]);
    expect(outcome.draft.lifecycle).toMatchObject({ state: "ready_for_activation", currentCheckpoint: "activate" });
  });

  it("ignores a report on a superseded run", () => {
    expect(
      exec(draft, { type: "record_bootstrap_result", runId: "s-1", status: "completed", outcome: "succeeded" }),
    ).toMatchObject({
      changed: false,
      feedback: "ignored_stale_result",
    });
  });

  it("ignores a report on an unknown run (cleared by a provider change)", () => {
    const cleared = chain(draft, { type: "select_provider", connectionId: "conn-2" });
    expect(exec(cleared, { type: "record_bootstrap_result", runId: "s-2", status: "running" }).feedback).toBe(
      "ignored_stale_result",
    );
  });

  it("ignores a duplicate report on a completed run", () => {
    const done = chain(draft, {
      type: "record_bootstrap_result",
      runId: "s-2",
      status: "completed",
      outcome: "succeeded",
    });
    expect(
      exec(done, { type: "record_bootstrap_result", runId: "s-2", status: "completed", outcome: "failed" }).feedback,
    ).toBe("ignored_duplicate_result");
  });

  it("requires an outcome exactly when completed", () => {
    expect(() => parseCommand({ type: "record_bootstrap_result", runId: "s", status: "completed" })).toThrow();
    expect(() =>
      parseCommand({ type: "record_bootstrap_result", runId: "s", status: "running", outcome: "failed" }),
    ).toThrow();
  });
});

describe("activate", () => {
  it("ready: activates without override", () => {
    const outcome = exec(verified(), { type: "activate" });
    expect(outcome).toMatchObject({ changed: true, feedback: "activated" });
    expect(outcome.draft.activation).toEqual({ at: NOW, by: "op", override: null });
    expect(outcome.draft.lifecycle).toEqual({
      state: "completed",
      currentCheckpoint: null,
      lastCompletedCheckpoint: "activate",
      reason: null,
    });
  });

  it("ready: an override given anyway is not recorded, and needs no override capability", () => {
    const command = parseCommand({ type: "activate", override: { reason: "just in case" } });
    expect(requiredCapabilities(verified(), command, testContext())).toEqual(["activate"]);
    expect(
      exec(verified(), { type: "activate", override: { reason: "just in case" } }).draft.activation?.override,
    ).toBeNull();
  });

  it("overridable with an override: activates with the reason recorded -> reason override", () => {
    const draft = verified("partially_succeeded");
    const command = parseCommand({ type: "activate", override: { reason: "  accepted risk " } });
    expect(requiredCapabilities(draft, command, testContext())).toEqual(["activate", "override_readiness"]);
    const outcome = exec(draft, { type: "activate", override: { reason: "  accepted risk " } });
    expect(outcome.draft.activation).toEqual({ at: NOW, by: "op", override: { reason: "accepted risk" } });
    expect(outcome.draft.lifecycle.reason).toBe("override");
  });

  it("overridable without an override: NotReadyError (overridable true)", () => {
    const error = refusal(verified("partially_succeeded"), { type: "activate" });
    expect(error).toBeInstanceOf(NotReadyError);
    expect(error).toMatchObject({ overridable: true, draftId: "draft-1" });
    expect((error as NotReadyError).blockers.map((b) => b.code)).toEqual(["verification_warnings"]);
  });

  it("not ready: NotReadyError with the blockers, even with an override", () => {
    const error = refusal(verified("succeeded", { bootstrap: bootstrapOf(run("sync", "running")) }), {
      type: "activate",
      override: { reason: "please" },
    });
    expect(error).toBeInstanceOf(NotReadyError);
    expect(error).toMatchObject({ overridable: false });
    expect((error as NotReadyError).blockers.map((b) => b.code)).toEqual(["bootstrap_in_progress"]);
  });

  it("evaluates the context's policy (requiredBootstrapOperations)", () => {
    const context = testContext({ now: NOW, actorId: "op", policy: { requiredBootstrapOperations: ["sync"] } });
    const error = refusal(verified(), { type: "activate" }, context);
    expect((error as NotReadyError).blockers.map((b) => b.code)).toEqual(["bootstrap_required"]);
  });
});

describe("cancel", () => {
  it.each<[string, OnboardingDraft]>([
    ["new", draftWith()],
    ["verifying", connected({ verification: verification("running") })],
    ["ready", verified()],
  ])("cancels a %s draft", (_name, draft) => {
    const outcome = exec(draft, { type: "cancel", reason: "duplicate" });
    expect(outcome).toMatchObject({ changed: true, feedback: "cancelled" });
    expect(outcome.draft.cancellation).toEqual({ at: NOW, by: "op", reason: "duplicate" });
    expect(outcome.draft.lifecycle).toMatchObject({ state: "cancelled", currentCheckpoint: null, reason: "cancelled" });
  });

  it("reason defaults to null", () => {
    expect(exec(draftWith(), { type: "cancel" }).draft.cancellation?.reason).toBeNull();
  });
});

describe("terminal drafts absorb every command", () => {
  const completed = draftWith({ ...verified(), activation: { at: T2, by: "u-1", override: null } });
  const cancelled = draftWith({
    ...verified("succeeded", { bootstrap: bootstrapOf(run("sync", "running", null, "s-1")) }),
    cancellation: { at: T2, by: "u-1", reason: null },
  });
  const operatorCommands: CommandInput[] = [
    { type: "identify", tenantId: "t-1", displayName: "X" },
    { type: "select_provider", connectionId: "conn-2" },
    { type: "update_provider_connection", connectionId: "conn-1" },
    { type: "start_verification" },
    { type: "start_bootstrap", operations: ["sync"] },
    { type: "activate" },
    { type: "activate", override: { reason: "r" } },
    { type: "cancel" },
  ];
  for (const [name, draft] of [
    ["completed", completed],
    ["cancelled", cancelled],
  ] as const) {
    it.each(operatorCommands.map((c) => [c.type, c] as const))(`${name}: %s throws TerminalDraftError`, (_t, input) => {
      const error = refusal(draft, input);
      expect(error).toBeInstanceOf(TerminalDraftError);
      expect(error).toMatchObject({ code: "terminal_draft", state: name, commandType: input.type, draftId: "draft-1" });
    });
    it(`${name}: worker reports are ignored_terminal, draft unchanged`, () => {
      for (const input of [
        { type: "record_verification_result", runId: "v-1", status: "completed", outcome: "failed" },
        { type: "record_bootstrap_result", runId: "s-1", status: "completed", outcome: "succeeded" },
      ] as const) {
        expect(exec(draft, input)).toEqual({
          changed: false,
          draft,
          feedback: "ignored_terminal",
          runIds: [input.runId],
        });
      }
    });
  }
});

describe("requiredCapabilities", () => {
  it.each<[CommandInput, string[]]>([
    [{ type: "identify", tenantId: "t", displayName: "d" }, ["identify"]],
    [{ type: "select_provider", connectionId: "c" }, ["manage_provider"]],
    [{ type: "update_provider_connection", connectionId: "c" }, ["manage_provider"]],
    [{ type: "start_verification" }, ["verify"]],
    [{ type: "record_verification_result", runId: "r", status: "running" }, ["record_result"]],
    [{ type: "start_bootstrap", operations: ["s"] }, ["bootstrap"]],
    [{ type: "record_bootstrap_result", runId: "r", status: "running" }, ["record_result"]],
    [{ type: "activate" }, ["activate"]],
    [{ type: "cancel" }, ["cancel"]],
  ])("%j needs %j", (input, capabilities) => {
    expect(requiredCapabilities(verified("partially_succeeded"), parseCommand(input), testContext())).toEqual(
      capabilities,
    );
  });
});

describe("update_provider_connection regression (property seed 959828328)", () => {
  it("makes a verification stale even when it was pinned to a revision ahead of the provider", async () => {
    const { parseDraft, applyCommand, parseCommand } = await import("../../src/index.js");
    const draft = parseDraft({
      id: "d-1",
      workspaceId: "a",
      version: 1,
      schemaVersion: 1,
      lifecycle: {
        state: "draft",
        currentCheckpoint: "verify_access",
        lastCompletedCheckpoint: "connect_provider",
        reason: "provider_changed",
      },
      identity: { tenantId: "a", displayName: "Contoso" },
      provider: { connectionId: "d", revision: 1 },
      verification: {
        runId: "r-1",
        operation: "verify_access",
        status: "completed",
        outcome: "succeeded",
        startedAt: "2026-01-01T00:00:00.000Z",
        completedAt: "2026-01-01T00:00:00.000Z",
        providerConnectionId: "d",
        providerRevision: 2,
      },
      bootstrap: null,
      activation: null,
      cancellation: null,
      invalidation: null,
      createdAt: "2026-01-01T00:00:00.000Z",
      updatedAt: "2026-01-01T00:00:00.000Z",
      createdBy: "a",
      updatedBy: "a",
    });
    const outcome = applyCommand(
      draft,
      parseCommand({ type: "update_provider_connection", connectionId: "d" }),
      testContext(),
    );
    expect(outcome.draft.provider?.revision).toBe(3);
    expect(outcome.draft.lifecycle).toMatchObject({ state: "draft", reason: "provider_changed" });
    expect(evaluateReadiness(outcome.draft).ready).toBe(false);
  });
});
