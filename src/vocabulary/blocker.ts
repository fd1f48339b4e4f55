import type { Checkpoint } from "./checkpoint.js";

/**
 * Why a draft may not be activated (yet). Returned by `evaluateReadiness` and carried by
 * `NotReadyError`.
 *
 * @example
 * ```ts
 * const fixable = readiness.blockers.filter((b) => b.code !== BlockerCode.Terminal);
 * ```
 */
export const BlockerCode = {
  /** The draft is completed or cancelled. */
  Terminal: "terminal",
  /** No tenant identity yet. */
  IdentityMissing: "identity_missing",
  /** No provider connection selected. */
  ProviderMissing: "provider_missing",
  /** Access was never verified (or the verification was cleared by a provider change). */
  VerificationMissing: "verification_missing",
  /** The verification was made against another connection or revision. */
  VerificationStale: "verification_stale",
  /** A verification run is queued or running. */
  VerificationInProgress: "verification_in_progress",
  /** The verification run failed. */
  VerificationFailed: "verification_failed",
  /** No worker reported on the verification run for longer than its lease; it was expired. */
  VerificationTimedOut: "verification_timed_out",
  /** The verification run was blocked. */
  VerificationBlocked: "verification_blocked",
  /** The verification run was cancelled. */
  VerificationCancelled: "verification_cancelled",
  /** The verification is older than the policy's `verificationMaxAgeMs`. */
  VerificationExpired: "verification_expired",
  /** Verification succeeded with warnings (overridable by default). */
  VerificationWarnings: "verification_warnings",
  /** A bootstrap run is queued or running. */
  BootstrapInProgress: "bootstrap_in_progress",
  /** A bootstrap run failed, was blocked or was cancelled. */
  BootstrapFailed: "bootstrap_failed",
  /** No worker reported on a bootstrap run for longer than its lease; it was expired. */
  BootstrapTimedOut: "bootstrap_timed_out",
  /** A bootstrap operation the policy requires has not succeeded. */
  BootstrapRequired: "bootstrap_required",
} as const;

/** One of the values of {@link BlockerCode}. */
export type BlockerCode = (typeof BlockerCode)[keyof typeof BlockerCode];

/** Every blocker code. */
export const BLOCKER_CODES: readonly BlockerCode[] = Object.freeze(Object.values(BlockerCode));

/**
 * The blocker codes a policy may declare overridable. Only these: every other blocker also
 * keeps the lifecycle out of `ready_for_activation`, and an override must never activate a
 * draft the lifecycle does not consider ready.
 */
export type OverridableBlockerCode =
  | typeof BlockerCode.VerificationWarnings
  | typeof BlockerCode.VerificationExpired
  | typeof BlockerCode.BootstrapRequired;

/** The codes that may be made overridable by policy. */
export const OVERRIDABLE_BLOCKER_CODES: readonly OverridableBlockerCode[] = Object.freeze([
  BlockerCode.VerificationWarnings,
  BlockerCode.VerificationExpired,
  BlockerCode.BootstrapRequired,
]);

/** One reason a draft is not ready for activation. */
export interface Blocker {
  /** The stable code. */
  readonly code: BlockerCode;
  /** The checkpoint the operator must revisit (`activate` for `terminal`). */
  readonly checkpoint: Checkpoint;
  /** Whether an activation override (reason + capability) may pass this blocker. */
  readonly overridable: boolean;
  /** An English description for logs and fallback UI. */
  readonly message: string;
}
