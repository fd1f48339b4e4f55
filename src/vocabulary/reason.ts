/**
 * Why a draft is in its lifecycle state, when the state alone does not say it
 * (the `reason` column of the decision table).
 *
 * @example
 * ```ts
 * if (draft.lifecycle.reason === LifecycleReason.ProviderChanged) notify("verify again");
 * ```
 */
export const LifecycleReason = {
  /** The draft was cancelled. */
  Cancelled: "cancelled",
  /** The draft was activated with a readiness override. */
  Override: "override",
  /** The provider connection changed after verification or bootstrap; they must run again. */
  ProviderChanged: "provider_changed",
  /** The verification run failed. */
  VerificationFailed: "verification_failed",
  /** The verification run was blocked. */
  VerificationBlocked: "verification_blocked",
  /** The verification run was cancelled. */
  VerificationCancelled: "verification_cancelled",
  /** No worker reported on the verification run for longer than its lease; it was expired. */
  VerificationTimedOut: "verification_timed_out",
  /** A bootstrap run failed, was blocked or was cancelled. */
  BootstrapFailed: "bootstrap_failed",
  /** No worker reported on a bootstrap run for longer than its lease; it was expired. */
  BootstrapTimedOut: "bootstrap_timed_out",
  /** Verification succeeded with warnings. */
  VerificationWarnings: "verification_warnings",
} as const;

/** One of the values of {@link LifecycleReason}. */
export type LifecycleReason = (typeof LifecycleReason)[keyof typeof LifecycleReason];

/** Every lifecycle reason. */
export const LIFECYCLE_REASONS: readonly LifecycleReason[] = Object.freeze(Object.values(LifecycleReason));
