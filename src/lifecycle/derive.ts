import {
  Checkpoint,
  LifecycleReason,
  LifecycleState,
  RunOutcome,
  RunStatus,
  isActiveRunStatus,
} from "../vocabulary/index.js";
import type { CheckpointRun, Lifecycle, OnboardingDraft } from "../record/index.js";

/**
 * The parts of a draft the lifecycle depends on. `deriveLifecycle` reads nothing else, so it can
 * run on partial documents (for example while upgrading a legacy row).
 */
export type LifecycleInput = Pick<
  OnboardingDraft,
  "identity" | "provider" | "verification" | "bootstrap" | "activation" | "cancellation" | "invalidation"
>;

/**
 * Whether the draft's verification was made against another provider connection or revision
 * than the one selected now.
 */
export function isVerificationStale(draft: Pick<OnboardingDraft, "provider" | "verification">): boolean {
  const { provider, verification } = draft;
  if (provider === null || verification === null) return false;
  return (
    verification.providerConnectionId !== provider.connectionId || verification.providerRevision !== provider.revision
  );
}

/**
 * The bootstrap runs that count: the latest run of each operation, in first-request order.
 * Earlier runs of an operation are history (superseded by a retry).
 */
export function currentBootstrapRuns(draft: Pick<OnboardingDraft, "bootstrap">): CheckpointRun[] {
  const runs = draft.bootstrap?.runs ?? [];
  const latest = new Map<string, CheckpointRun>();
  for (const run of runs) {
    latest.delete(run.operation);
    latest.set(run.operation, run);
  }
  return [...latest.values()];
}

/** Above this many runs the flag scan uses a map instead of a quadratic, allocation-free scan. */
const SMALL_RUN_COUNT = 32;

/** A current bootstrap run is queued or running. */
export const BOOTSTRAP_ACTIVE = 1;
/** A current bootstrap run completed with failed, blocked or cancelled. */
export const BOOTSTRAP_FAILED = 2;
/** At least one bootstrap run exists. */
export const BOOTSTRAP_STARTED = 4;
/** {@link bootstrapRunFlags}: a current bootstrap run was expired for lack of reports. */
export const BOOTSTRAP_TIMED_OUT = 8;

function runFlags(run: CheckpointRun): number {
  if (run.status !== RunStatus.Completed) return BOOTSTRAP_ACTIVE;
  if (isGoodBootstrapOutcome(run.outcome)) return 0;
  return run.timedOut === true ? BOOTSTRAP_FAILED | BOOTSTRAP_TIMED_OUT : BOOTSTRAP_FAILED;
}

/**
 * The state of the current bootstrap runs (the latest run of each operation) as bit flags
 * ({@link BOOTSTRAP_ACTIVE}, {@link BOOTSTRAP_FAILED}, {@link BOOTSTRAP_STARTED}). Same answer as
 * inspecting {@link currentBootstrapRuns}, without allocating for the usual handful of runs:
 * the lifecycle and readiness hot paths call it on every read.
 */
export function bootstrapRunFlags(draft: Pick<OnboardingDraft, "bootstrap">): number {
  const bootstrap = draft.bootstrap;
  if (bootstrap === null) return 0;
  const runs = bootstrap.runs;
  const count = runs.length;
  if (count === 0) return 0;
  let flags = BOOTSTRAP_STARTED;
  if (count > SMALL_RUN_COUNT) {
    for (const run of currentBootstrapRuns(draft)) flags |= runFlags(run);
    return flags;
  }
  outer: for (let i = 0; i < count; i += 1) {
    const run = runs[i] as CheckpointRun;
    for (let j = i + 1; j < count; j += 1) {
      if ((runs[j] as CheckpointRun).operation === run.operation) continue outer; // superseded
    }
    flags |= runFlags(run);
  }
  return flags;
}

/** The latest (current) bootstrap run of `operation`, or `undefined` when it never ran. */
export function latestBootstrapRun(
  draft: Pick<OnboardingDraft, "bootstrap">,
  operation: string,
): CheckpointRun | undefined {
  const runs = draft.bootstrap?.runs;
  if (runs === undefined) return undefined;
  for (let i = runs.length - 1; i >= 0; i -= 1) {
    const run = runs[i] as CheckpointRun;
    if (run.operation === operation) return run;
  }
  return undefined;
}

const FAILED_VERIFICATION_REASON = {
  [RunOutcome.Failed]: LifecycleReason.VerificationFailed,
  [RunOutcome.Blocked]: LifecycleReason.VerificationBlocked,
  [RunOutcome.Cancelled]: LifecycleReason.VerificationCancelled,
} as const;

/**
 * Derives the canonical lifecycle of a draft: the decision table of the design contract,
 * first matching row wins. Pure: it reads only its argument.
 *
 * | # | condition | state | current | last completed | reason |
 * |---|---|---|---|---|---|
 * | 1 | cancelled | cancelled | null | as rows 3-12 | cancelled |
 * | 2 | activated | completed | null | activate | override or null |
 * | 3 | no identity | draft | identify | null | null |
 * | 4 | no provider | draft | connect_provider | identify | null |
 * | 5 | no verification | draft | verify_access | connect_provider | provider_changed if cleared by a provider change |
 * | 6 | stale verification | draft | verify_access | connect_provider | provider_changed |
 * | 7 | verification active | verifying | verify_access | connect_provider | null |
 * | 8 | verification failed/blocked/cancelled | action_required | verify_access | connect_provider | verification_* (verification_timed_out when expired) |
 * | 9 | bootstrap run active | bootstrapping | bootstrap | verify_access | null |
 * | 10 | bootstrap run failed/blocked/cancelled | action_required | bootstrap | verify_access | bootstrap_failed (bootstrap_timed_out when expired) |
 * | 11 | bootstrap never started | ready_for_activation | bootstrap | verify_access | verification_warnings or null |
 * | 12 | otherwise | ready_for_activation | activate | bootstrap | as row 11 |
 *
 * @example
 * ```ts
 * const { state, currentCheckpoint, reason } = deriveLifecycle(draft);
 * ```
 */
export function deriveLifecycle(draft: LifecycleInput): Lifecycle {
  if (draft.cancellation !== null) {
    return {
      state: LifecycleState.Cancelled,
      currentCheckpoint: null,
      lastCompletedCheckpoint: deriveOpen(draft).lastCompletedCheckpoint,
      reason: LifecycleReason.Cancelled,
    };
  }
  if (draft.activation !== null) {
    return {
      state: LifecycleState.Completed,
      currentCheckpoint: null,
      lastCompletedCheckpoint: Checkpoint.Activate,
      reason: draft.activation.override !== null ? LifecycleReason.Override : null,
    };
  }
  return deriveOpen(draft);
}

/** Rows 3 to 12: the lifecycle of a draft that is neither cancelled nor activated. */
function deriveOpen(draft: LifecycleInput): Lifecycle {
  if (draft.identity === null) {
    return row(LifecycleState.Draft, Checkpoint.Identify, null, null);
  }
  if (draft.provider === null) {
    return row(LifecycleState.Draft, Checkpoint.ConnectProvider, Checkpoint.Identify, null);
  }
  const verification = draft.verification;
  if (verification === null) {
    return row(
      LifecycleState.Draft,
      Checkpoint.VerifyAccess,
      Checkpoint.ConnectProvider,
      draft.invalidation !== null ? LifecycleReason.ProviderChanged : null,
    );
  }
  if (isVerificationStale(draft)) {
    return row(
      LifecycleState.Draft,
      Checkpoint.VerifyAccess,
      Checkpoint.ConnectProvider,
      LifecycleReason.ProviderChanged,
    );
  }
  if (isActiveRunStatus(verification.status)) {
    return row(LifecycleState.Verifying, Checkpoint.VerifyAccess, Checkpoint.ConnectProvider, null);
  }
  const outcome = verification.outcome ?? RunOutcome.Failed;
  if (outcome === RunOutcome.Failed || outcome === RunOutcome.Blocked || outcome === RunOutcome.Cancelled) {
    return row(
      LifecycleState.ActionRequired,
      Checkpoint.VerifyAccess,
      Checkpoint.ConnectProvider,
      verification.timedOut === true ? LifecycleReason.VerificationTimedOut : FAILED_VERIFICATION_REASON[outcome],
    );
  }
  const flags = bootstrapRunFlags(draft);
  if ((flags & BOOTSTRAP_ACTIVE) !== 0) {
    return row(LifecycleState.Bootstrapping, Checkpoint.Bootstrap, Checkpoint.VerifyAccess, null);
  }
  if ((flags & BOOTSTRAP_FAILED) !== 0) {
    return row(
      LifecycleState.ActionRequired,
      Checkpoint.Bootstrap,
      Checkpoint.VerifyAccess,
      (flags & BOOTSTRAP_TIMED_OUT) !== 0 ? LifecycleReason.BootstrapTimedOut : LifecycleReason.BootstrapFailed,
    );
  }
  const warnings = outcome === RunOutcome.PartiallySucceeded ? LifecycleReason.VerificationWarnings : null;
  if (flags === 0) {
    return row(LifecycleState.ReadyForActivation, Checkpoint.Bootstrap, Checkpoint.VerifyAccess, warnings);
  }
  return row(LifecycleState.ReadyForActivation, Checkpoint.Activate, Checkpoint.Bootstrap, warnings);
}

function isGoodBootstrapOutcome(outcome: RunOutcome | null): boolean {
  return outcome === RunOutcome.Succeeded || outcome === RunOutcome.PartiallySucceeded;
}

function row(
  state: LifecycleState,
  currentCheckpoint: Checkpoint | null,
  lastCompletedCheckpoint: Checkpoint | null,
  reason: LifecycleReason | null,
): Lifecycle {
  return { state, currentCheckpoint, lastCompletedCheckpoint, reason };
}

/** Whether two lifecycles are equal field by field. */
export function lifecycleEquals(a: Lifecycle, b: Lifecycle): boolean {
  return (
    a.state === b.state &&
    a.currentCheckpoint === b.currentCheckpoint &&
    a.lastCompletedCheckpoint === b.lastCompletedCheckpoint &&
    a.reason === b.reason
  );
}
