import {
  BlockerCode,
  Checkpoint,
  OVERRIDABLE_BLOCKER_CODES,
  RunOutcome,
  isActiveRunStatus,
  type Blocker,
  type OverridableBlockerCode,
} from "../vocabulary/index.js";
import { ConfigurationError, type OnboardingDraft } from "../record/index.js";
import {
  BOOTSTRAP_ACTIVE,
  BOOTSTRAP_FAILED,
  BOOTSTRAP_TIMED_OUT,
  bootstrapRunFlags,
  isVerificationStale,
  latestBootstrapRun,
} from "./derive.js";

/**
 * Rules that tighten or relax readiness. Every field is optional; the default policy blocks on
 * everything and lets only `verification_warnings` be overridden.
 *
 * @example
 * ```ts
 * const policy: ReadinessPolicy = {
 *   verificationMaxAgeMs: 24 * 60 * 60 * 1000,
 *   requiredBootstrapOperations: ["sync_directory"],
 * };
 * ```
 */
export interface ReadinessPolicy {
  /** A verification completed longer ago than this blocks with `verification_expired`. Needs `now`. */
  readonly verificationMaxAgeMs?: number;
  /** Bootstrap operations whose latest run must have succeeded before activation. */
  readonly requiredBootstrapOperations?: readonly string[];
  /**
   * Which blocker codes an override may pass. Only codes that leave the lifecycle in
   * `ready_for_activation` are allowed. Default: `["verification_warnings"]`.
   */
  readonly overridableBlockers?: readonly OverridableBlockerCode[];
}

/** What {@link evaluateReadiness} reports. */
export interface Readiness {
  /** Activation may proceed without an override. */
  readonly ready: boolean;
  /** Not ready, but every blocker is overridable: activation with an override reason may proceed. */
  readonly overridable: boolean;
  /** Everything standing in the way, in checkpoint order. Empty when `ready`. */
  readonly blockers: readonly Blocker[];
}

/** A point in time for readiness checks: epoch milliseconds, a `Date` or an ISO string. */
export type Instant = number | Date | string;

/** Options of {@link evaluateReadiness} besides the policy. */
export interface ReadinessOptions {
  /** The current time, needed when the policy has `verificationMaxAgeMs`. Injected, never read. */
  readonly now?: Instant;
}

const DEFAULT_OVERRIDABLE: readonly OverridableBlockerCode[] = [BlockerCode.VerificationWarnings];

const MESSAGES: Record<BlockerCode, string> = {
  terminal: "The draft is completed or cancelled.",
  identity_missing: "Identify the tenant first.",
  provider_missing: "Select a provider connection.",
  verification_missing: "Verify access through the provider connection.",
  verification_stale: "The provider connection changed since access was verified; verify again.",
  verification_in_progress: "Access verification is still running.",
  verification_failed: "Access verification failed.",
  verification_timed_out: "No worker reported on the access verification in time; start it again.",
  verification_blocked: "Access verification was blocked.",
  verification_cancelled: "Access verification was cancelled.",
  verification_expired: "The access verification is too old; verify again.",
  verification_warnings: "Access verification finished with warnings.",
  bootstrap_in_progress: "Bootstrap operations are still running.",
  bootstrap_failed: "A bootstrap operation failed, was blocked or was cancelled.",
  bootstrap_timed_out: "No worker reported on a bootstrap operation in time; start it again.",
  bootstrap_required: "A required bootstrap operation has not succeeded.",
};

/** Turns an {@link Instant} into epoch milliseconds. */
export function toEpochMs(instant: Instant): number {
  if (typeof instant === "number") return instant;
  if (instant instanceof Date) return instant.getTime();
  return Date.parse(instant);
}

/**
 * Evaluates whether a draft may be activated, and what blocks it. Pure: time comes only from
 * `options.now`.
 *
 * `ready` means activation may proceed; `overridable` means only overridable blockers remain, so
 * an activation with an override reason (and the override capability) may proceed. Readiness
 * agrees with the lifecycle: `ready || overridable` implies `ready_for_activation`.
 *
 * @throws {@link ConfigurationError} when the policy asks for an age check but `now` is missing,
 *   or declares a blocker overridable that may not be.
 *
 * @example
 * ```ts
 * const { ready, overridable, blockers } = evaluateReadiness(draft, policy, { now: Date.now() });
 * if (!ready && !overridable) showBlockers(blockers);
 * ```
 */
export function evaluateReadiness(
  draft: OnboardingDraft,
  policy: ReadinessPolicy = {},
  options: ReadinessOptions = {},
): Readiness {
  const overridableCodes = policy.overridableBlockers ?? DEFAULT_OVERRIDABLE;
  if (overridableCodes !== DEFAULT_OVERRIDABLE) {
    for (const code of overridableCodes) {
      if (!OVERRIDABLE_BLOCKER_CODES.includes(code)) {
        throw new ConfigurationError(
          "policy.overridableBlockers",
          `Blocker ${String(code)} cannot be overridable: it keeps the lifecycle out of ready_for_activation`,
        );
      }
    }
  }
  if (policy.verificationMaxAgeMs !== undefined && options.now === undefined) {
    // Checked up front, not only when a verification is old enough to matter, so a missing clock
    // shows on the first call instead of on the first verified draft in production.
    throw new ConfigurationError(
      "now",
      "evaluateReadiness needs options.now when the policy sets verificationMaxAgeMs",
    );
  }
  const blockers: Blocker[] = [];

  // Rows 1 and 2 of the decision table: cancelled or activated is terminal.
  if (draft.cancellation !== null || draft.activation !== null) {
    add(blockers, overridableCodes, BlockerCode.Terminal, Checkpoint.Activate);
    return finish(blockers);
  }
  if (draft.identity === null) add(blockers, overridableCodes, BlockerCode.IdentityMissing, Checkpoint.Identify);
  if (draft.provider === null) add(blockers, overridableCodes, BlockerCode.ProviderMissing, Checkpoint.ConnectProvider);

  const verification = draft.verification;
  let verified = false;
  if (verification === null) {
    add(blockers, overridableCodes, BlockerCode.VerificationMissing, Checkpoint.VerifyAccess);
  } else if (isVerificationStale(draft)) {
    add(blockers, overridableCodes, BlockerCode.VerificationStale, Checkpoint.VerifyAccess);
  } else if (isActiveRunStatus(verification.status)) {
    add(blockers, overridableCodes, BlockerCode.VerificationInProgress, Checkpoint.VerifyAccess);
  } else if (verification.timedOut === true) {
    add(blockers, overridableCodes, BlockerCode.VerificationTimedOut, Checkpoint.VerifyAccess);
  } else if (verification.outcome === RunOutcome.Failed || verification.outcome === null) {
    add(blockers, overridableCodes, BlockerCode.VerificationFailed, Checkpoint.VerifyAccess);
  } else if (verification.outcome === RunOutcome.Blocked) {
    add(blockers, overridableCodes, BlockerCode.VerificationBlocked, Checkpoint.VerifyAccess);
  } else if (verification.outcome === RunOutcome.Cancelled) {
    add(blockers, overridableCodes, BlockerCode.VerificationCancelled, Checkpoint.VerifyAccess);
  } else {
    verified = true;
    if (policy.verificationMaxAgeMs !== undefined) {
      if (options.now === undefined) {
        throw new ConfigurationError(
          "now",
          "evaluateReadiness needs options.now when the policy sets verificationMaxAgeMs",
        );
      }
      const completedAt = toEpochMs(verification.completedAt ?? verification.startedAt);
      if (toEpochMs(options.now) - completedAt > policy.verificationMaxAgeMs) {
        add(blockers, overridableCodes, BlockerCode.VerificationExpired, Checkpoint.VerifyAccess);
      }
    }
    if (verification.outcome === RunOutcome.PartiallySucceeded) {
      add(blockers, overridableCodes, BlockerCode.VerificationWarnings, Checkpoint.VerifyAccess);
    }
  }

  const required = policy.requiredBootstrapOperations;
  if (verified || draft.bootstrap !== null) {
    const flags = bootstrapRunFlags(draft);
    if ((flags & BOOTSTRAP_ACTIVE) !== 0)
      add(blockers, overridableCodes, BlockerCode.BootstrapInProgress, Checkpoint.Bootstrap);
    if ((flags & BOOTSTRAP_FAILED) !== 0)
      add(blockers, overridableCodes, BlockerCode.BootstrapFailed, Checkpoint.Bootstrap);
    if ((flags & BOOTSTRAP_TIMED_OUT) !== 0)
      add(blockers, overridableCodes, BlockerCode.BootstrapTimedOut, Checkpoint.Bootstrap);
    if (required !== undefined && required.length > 0) {
      for (const operation of required) {
        const outcome = latestBootstrapRun(draft, operation)?.outcome;
        if (outcome !== RunOutcome.Succeeded && outcome !== RunOutcome.PartiallySucceeded) {
          add(blockers, overridableCodes, BlockerCode.BootstrapRequired, Checkpoint.Bootstrap);
          break;
        }
      }
    }
  } else if (required !== undefined && required.length > 0) {
    add(blockers, overridableCodes, BlockerCode.BootstrapRequired, Checkpoint.Bootstrap);
  }
  return finish(blockers);
}

function add(
  blockers: Blocker[],
  overridableCodes: readonly OverridableBlockerCode[],
  code: BlockerCode,
  checkpoint: Checkpoint,
): void {
  blockers.push({
    code,
    checkpoint,
    overridable: (overridableCodes as readonly BlockerCode[]).includes(code),
    message: MESSAGES[code],
  });
}

function finish(blockers: Blocker[]): Readiness {
  const ready = blockers.length === 0;
  let overridable = !ready;
  for (let i = 0; overridable && i < blockers.length; i += 1) overridable = (blockers[i] as Blocker).overridable;
  return { ready, overridable, blockers };
}
