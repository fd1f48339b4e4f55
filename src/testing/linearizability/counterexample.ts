/**
 * What a failed check prints: the operation that cannot be placed (its return ends the shortest
 * prefix of the partition's history that is not linearizable), a linearization of everything
 * before that return, and a minimal failing sub-history, shrunk one operation at a time.
 */
import type { HistoryOperation } from "./history.js";
import type { LinearizabilityModel } from "./model.js";
import { searchLinearization, type SearchLimits, type SearchOperation } from "./search.js";

/** Why a partition's history is not linearizable, as small as the checker could make it. */
export interface Counterexample<I, O> {
  /** The partition (draft) whose history fails. */
  readonly partition: string;
  /**
   * The operation that cannot be placed: once it returned, the history up to then (the
   * shortest failing prefix) has no linearization.
   */
  readonly operation: HistoryOperation<I, O>;
  /** How many operations the shortest failing prefix holds (those invoked before that return). */
  readonly prefixSize: number;
  /**
   * A linearization of the longest linearizable prefix (every event before that return), in
   * order: the operations placed, each with the outcome it had.
   */
  readonly linearization: readonly HistoryOperation<I, O>[];
  /** The model state that linearization ends in, described. */
  readonly state: string;
  /**
   * A minimal failing sub-history, in invocation order: it is not linearizable, it is once the
   * outcome of {@link Counterexample.operation} is forgotten (so that answer is what no order
   * explains), and removing any other one of its operations breaks one of the two. Operations
   * still running when the prefix ends are shown `pending`.
   */
  readonly minimal: readonly HistoryOperation<I, O>[];
  /** `false` when the time for shrinking ran out first (`minimal` is then smaller, not minimal). */
  readonly minimized: boolean;
}

/**
 * The search's view of a partition's operations (failed ones are already left out), without
 * those the model says can never take effect; `kept[i]` is the operation of `search[i]`.
 */
export function searchOperations<S, I, O>(
  model: LinearizabilityModel<S, I, O>,
  operations: readonly HistoryOperation<I, O>[],
): { readonly kept: readonly HistoryOperation<I, O>[]; readonly search: SearchOperation<I, O>[] } {
  const never = model.ineffective?.(operations);
  const kept =
    never === undefined || never.size === 0 ? operations : operations.filter((operation) => !never.has(operation.id));
  return { kept, search: toSearch(kept) };
}

function toSearch<I, O>(operations: readonly HistoryOperation<I, O>[]): SearchOperation<I, O>[] {
  return operations.map((operation) =>
    operation.status === "ok"
      ? {
          input: operation.input,
          output: operation.output as O,
          known: true,
          call: operation.invokedAt,
          ret: operation.returnedAt,
        }
      : { input: operation.input, output: undefined, known: false, call: operation.invokedAt, ret: null },
  );
}

/** The history as it stood at logical time `time`: what returned later is still pending. */
function prefixAt<I, O>(operations: readonly HistoryOperation<I, O>[], time: number): HistoryOperation<I, O>[] {
  return operations
    .filter((operation) => operation.invokedAt <= time)
    .map((operation) =>
      operation.status !== "ok" || (operation.returnedAt !== null && operation.returnedAt <= time)
        ? operation
        : { ...operation, status: "pending", output: null, returnedAt: null },
    );
}

interface Explainer<S, I, O> {
  readonly model: LinearizabilityModel<S, I, O>;
  readonly partition: string;
  readonly limits: () => SearchLimits;
}

function search<S, I, O>(explainer: Explainer<S, I, O>, operations: readonly HistoryOperation<I, O>[]) {
  const { kept, search: prepared } = searchOperations(explainer.model, operations);
  const result = searchLinearization(explainer.model, explainer.partition, prepared, explainer.limits());
  const placed = result.verdict === "linearizable" ? result.order.map((at) => kept[at] as HistoryOperation<I, O>) : [];
  return { ...result, placed };
}

/** Proven not linearizable (a search that ran out of time proves nothing). */
const fails = <S, I, O>(explainer: Explainer<S, I, O>, operations: readonly HistoryOperation<I, O>[]): boolean =>
  search(explainer, operations).verdict === "not_linearizable";

/** The index of the first return after which the history fails (binary search: failing prefixes stay failing). */
function firstFailingReturn<S, I, O>(
  explainer: Explainer<S, I, O>,
  operations: readonly HistoryOperation<I, O>[],
  returns: readonly number[],
): number {
  let lo = 0;
  let hi = returns.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (fails(explainer, prefixAt(operations, returns[mid] as number))) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** `operations` with `culprit`'s outcome forgotten: it is pending again, as before its return. */
export function withPending<I, O>(
  operations: readonly HistoryOperation<I, O>[],
  culprit: number,
): HistoryOperation<I, O>[] {
  return operations.map((operation) =>
    operation.id === culprit ? { ...operation, status: "pending", output: null, returnedAt: null } : operation,
  );
}

/**
 * Shrinks a failing history blamed on `culprit`: drops operations latest first, keeping a drop
 * when the rest still fails and still linearizes with the culprit's outcome unknown (so the
 * blame stays on the culprit's answer, and dropping the writes that lead up to the state it
 * contradicts is refused).
 */
function shrink<S, I, O>(
  explainer: Explainer<S, I, O>,
  failing: readonly HistoryOperation<I, O>[],
  culprit: number,
  deadline: number,
): { minimal: HistoryOperation<I, O>[]; minimized: boolean } {
  let current = failing.slice();
  const candidates = failing.filter((operation) => operation.id !== culprit).sort((a, b) => b.invokedAt - a.invokedAt);
  for (const candidate of candidates) {
    if (performance.now() > deadline) return { minimal: current, minimized: false };
    const trial = current.filter((operation) => operation.id !== candidate.id);
    if (fails(explainer, trial) && search(explainer, withPending(trial, culprit)).verdict === "linearizable") {
      current = trial;
    }
  }
  return { minimal: current, minimized: true };
}

/**
 * The counterexample of a partition whose history is not linearizable.
 *
 * @param limits the limits of each search it runs
 * @param shrinkUntil a `performance.now()` instant after which shrinking stops
 */
export function explain<S, I, O>(
  model: LinearizabilityModel<S, I, O>,
  partition: string,
  operations: readonly HistoryOperation<I, O>[],
  limits: () => SearchLimits,
  shrinkUntil: number,
): Counterexample<I, O> | null {
  const explainer: Explainer<S, I, O> = { model, partition, limits };
  const returns = operations
    .filter((operation) => operation.status === "ok")
    .map((operation) => operation.returnedAt as number)
    .sort((a, b) => a - b);
  if (returns.length === 0) return null;
  const index = firstFailingReturn(explainer, operations, returns);
  const time = returns[index] as number;
  const operation = operations.find((candidate) => candidate.status === "ok" && candidate.returnedAt === time);
  if (operation === undefined) return null;
  const failing = prefixAt(operations, time);
  const before = prefixAt(operations, time - 0.5);
  const witness = search(explainer, before);
  const linearization = witness.placed;
  const state =
    witness.verdict === "linearizable" ? model.describeState(witness.final) : "(no linearization found in time)";
  const { minimal, minimized } = shrink(explainer, failing, operation.id, shrinkUntil);
  return { partition, operation, prefixSize: failing.length, linearization, state, minimal, minimized };
}

const plural = (count: number, noun: string): string => `${count} ${noun}${count === 1 ? "" : "s"}`;

/** One operation on one line: id, client, interval and what it did. */
export function describeOperation<S, I, O>(
  model: LinearizabilityModel<S, I, O>,
  operation: HistoryOperation<I, O>,
): string {
  const interval = `[${operation.invokedAt}..${operation.returnedAt ?? ""}]`;
  const output = operation.status === "ok" ? (operation.output as O) : undefined;
  const what = model.describeOperation(operation.input, output);
  return `#${operation.id} ${operation.client} ${interval} ${what}`;
}

/** The counterexample as text, for a failing test's message. */
export function formatCounterexample<S, I, O>(
  model: LinearizabilityModel<S, I, O>,
  example: Counterexample<I, O>,
): string {
  const line = (operation: HistoryOperation<I, O>): string => `    ${describeOperation(model, operation)}`;
  const shown = example.linearization.slice(-12);
  const hidden = example.linearization.length - shown.length;
  return [
    `  Partition ${JSON.stringify(example.partition)}: the operation that cannot be placed is`,
    line(example.operation),
    `  Shortest failing prefix: ${plural(example.prefixSize, "operation")}. Everything before that return linearizes` +
      ` (${plural(example.linearization.length, "operation")} placed), ending in ${example.state}:`,
    ...(hidden > 0 ? [`    ... ${hidden} earlier operations`] : []),
    ...shown.map(line),
    `  ${example.minimized ? "Minimal" : "Smaller (shrinking ran out of time)"} failing sub-history` +
      ` (${plural(example.minimal.length, "operation")}, in invocation order):`,
    ...example.minimal.map(line),
  ].join("\n");
}
