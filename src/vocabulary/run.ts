/**
 * Where a background run (verification or bootstrap operation) is in its own life.
 *
 * @example
 * ```ts
 * const active = run.status !== RunStatus.Completed;
 * ```
 */
export const RunStatus = {
  /** Accepted, not yet picked up by a worker. */
  Queued: "queued",
  /** A worker is executing it. */
  Running: "running",
  /** Finished; the run carries an outcome. */
  Completed: "completed",
} as const;

/** One of the values of {@link RunStatus}. */
export type RunStatus = (typeof RunStatus)[keyof typeof RunStatus];

/** Every run status. */
export const RUN_STATUSES: readonly RunStatus[] = Object.freeze(Object.values(RunStatus));

/** The statuses of a run that has not finished yet. */
export type ActiveRunStatus = typeof RunStatus.Queued | typeof RunStatus.Running;

/** Whether a run status means the run is still active (queued or running); narrows the type. */
export function isActiveRunStatus(status: RunStatus): status is ActiveRunStatus {
  return status === RunStatus.Queued || status === RunStatus.Running;
}

/**
 * How a completed run ended. Only a `completed` run has an outcome.
 *
 * @example
 * ```ts
 * if (run.outcome === RunOutcome.PartiallySucceeded) showWarnings(run.message);
 * ```
 */
export const RunOutcome = {
  /** Everything worked. */
  Succeeded: "succeeded",
  /** It worked with warnings (activation needs an override by default). */
  PartiallySucceeded: "partially_succeeded",
  /** It did not work. */
  Failed: "failed",
  /** Something outside the run prevented it (permissions, policy). */
  Blocked: "blocked",
  /** It was cancelled before it finished. */
  Cancelled: "cancelled",
} as const;

/** One of the values of {@link RunOutcome}. */
export type RunOutcome = (typeof RunOutcome)[keyof typeof RunOutcome];

/** Every run outcome. */
export const RUN_OUTCOMES: readonly RunOutcome[] = Object.freeze(Object.values(RunOutcome));

/** The outcomes that count as success (possibly with warnings). */
export type SuccessfulRunOutcome = typeof RunOutcome.Succeeded | typeof RunOutcome.PartiallySucceeded;

/** The outcomes that require an operator to act. */
export type UnsuccessfulRunOutcome = Exclude<RunOutcome, SuccessfulRunOutcome>;

/** Whether an outcome counts as success (`succeeded` or `partially_succeeded`); narrows the type. */
export function isSuccessfulOutcome(outcome: RunOutcome): outcome is SuccessfulRunOutcome {
  return outcome === RunOutcome.Succeeded || outcome === RunOutcome.PartiallySucceeded;
}
