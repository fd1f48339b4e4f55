/**
 * What the checker needs to know about the object a history ran against: a sequential
 * specification, as a pure step function over immutable states.
 */
import type { HistoryOperation } from "./history.js";

/**
 * The sequential specification of one partition of a history (one draft, for the version
 * register), as Porcupine's `Model`: a start state and a step function. States must be
 * immutable (the search keeps the state before each step to backtrack to), and `key` must give
 * equal strings exactly for states that behave the same from here on (it memoizes the search).
 *
 * @example
 * ```ts
 * // A plain counter: `inc` returns the new value.
 * const counter: LinearizabilityModel<number, "inc", number> = {
 *   init: () => 0,
 *   step: (state, _input, output) => (output === state + 1 ? output : undefined),
 *   stepUnknown: (state) => state + 1,
 *   key: (state) => String(state),
 *   describeOperation: (_input, output) => `inc -> ${output ?? "?"}`,
 *   describeState: (state) => String(state),
 * };
 * ```
 */
export interface LinearizabilityModel<S, I, O> {
  /** The state of a partition before its first operation. */
  init(partition: string): S;
  /**
   * The state after `input` answered `output` in `state`, or `undefined` when the object could
   * not have answered that in that state (the operation cannot be placed here).
   */
  step(state: S, input: I, output: O): S | undefined;
  /**
   * The state after an operation of unknown outcome takes effect in `state`, or `undefined`
   * when taking effect here would change nothing (a version-checked write from another
   * version): the search then does not place it, since never taking effect is always allowed
   * and keeps every later option open.
   */
  stepUnknown(state: S, input: I): S | undefined;
  /**
   * Optional, to keep the search small: the ids of operations of unknown outcome that can take
   * effect in no linearization of this partition, by the model's own rules (a version-checked
   * write from a version an acknowledged write claims, for the register). The search leaves them
   * out, which changes no verdict: it only spares it the orders where they take effect.
   */
  ineffective?(operations: readonly HistoryOperation<I, O>[]): ReadonlySet<number>;
  /** A string equal for equal states (the memo key of the search, with the set of placed operations). */
  key(state: S): string;
  /** One line about an operation, for reports (`output` is `undefined` when the outcome is unknown). */
  describeOperation(input: I, output: O | undefined): string;
  /** One line about a state, for reports. */
  describeState(state: S): string;
}
