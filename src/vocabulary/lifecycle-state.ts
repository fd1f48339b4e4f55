/**
 * The states an onboarding draft can be in, as derived by `deriveLifecycle`.
 *
 * @example
 * ```ts
 * import { LifecycleState } from "onboarding-lifecycle";
 * if (draft.lifecycle.state === LifecycleState.ReadyForActivation) showActivateButton();
 * ```
 */
export const LifecycleState = {
  /** Data is still being collected (identity, provider or verification missing or stale). */
  Draft: "draft",
  /** A verification run is queued or running. */
  Verifying: "verifying",
  /** A run failed, was blocked or was cancelled: an operator must act. */
  ActionRequired: "action_required",
  /** A bootstrap run is queued or running. */
  Bootstrapping: "bootstrapping",
  /** Every checkpoint before activation is satisfied. */
  ReadyForActivation: "ready_for_activation",
  /** Terminal: the draft was activated. */
  Completed: "completed",
  /** Terminal: the draft was cancelled. */
  Cancelled: "cancelled",
} as const;

/** One of the values of {@link LifecycleState}. */
export type LifecycleState = (typeof LifecycleState)[keyof typeof LifecycleState];

/** Every lifecycle state, in the order a draft usually moves through them. */
export const LIFECYCLE_STATES: readonly LifecycleState[] = Object.freeze(Object.values(LifecycleState));

/** The lifecycle states no command can leave. */
export type TerminalLifecycleState = typeof LifecycleState.Completed | typeof LifecycleState.Cancelled;

/** The terminal lifecycle states: `completed` and `cancelled`. */
export const TERMINAL_STATES: readonly TerminalLifecycleState[] = Object.freeze([
  LifecycleState.Completed,
  LifecycleState.Cancelled,
]);

/**
 * Whether a lifecycle state is terminal (`completed` or `cancelled`); narrows the type.
 *
 * @example
 * ```ts
 * const editable = !isTerminal(draft.lifecycle.state); // terminal drafts never change again
 * ```
 */
export function isTerminal(state: LifecycleState): state is TerminalLifecycleState {
  return state === LifecycleState.Completed || state === LifecycleState.Cancelled;
}

/** Whether an unknown value is one of the {@link LifecycleState} strings. */
export function isLifecycleState(value: unknown): value is LifecycleState {
  return typeof value === "string" && (LIFECYCLE_STATES as readonly string[]).includes(value);
}
