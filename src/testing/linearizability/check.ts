/**
 * The checker's entry points: split a history per partition (P-compositionality: a history is
 * linearizable exactly when each partition's is, as Porcupine and Knossos split per key), search
 * each one, and on failure explain the first failing partition.
 */
import { explain, formatCounterexample, type Counterexample } from "./counterexample.js";
import { searchOperations } from "./counterexample.js";
import type { History, HistoryOperation } from "./history.js";
import type { LinearizabilityModel } from "./model.js";
import { versionRegister, type RegisterInput, type RegisterOutput, type RegisterStart } from "./register.js";
import { searchLinearization, type SearchLimits } from "./search.js";

/** Options of {@link checkLinearizability} and {@link checkModelLinearizability}. */
export interface LinearizabilityOptions {
  /** Give up after this long, whole check included (verdict `timeout`). Default 60 000 ms. */
  readonly timeoutMs?: number;
  /** Give up on a partition after this many search steps (verdict `timeout`). Default 20 000 000. */
  readonly maxSteps?: number;
  /** Build a counterexample when a partition fails (default `true`). Shrinking gets at most a fifth of `timeoutMs`, and 5 s. */
  readonly explain?: boolean;
}

/** Options of {@link checkLinearizability}: where each draft's register starts. */
export interface RegisterCheckOptions extends LinearizabilityOptions {
  /**
   * The version and document digest of a partition before its history; default version 0 and
   * `""` (the draft does not exist yet: record its `create` as a commit from version 0).
   */
  readonly start?: (partition: string) => RegisterStart;
}

/** The verdict of a check: `timeout` means no verdict (the search ran out of steps or time). */
export type LinearizabilityVerdict = "linearizable" | "not_linearizable" | "timeout";

/** The verdict on one partition. */
export interface PartitionVerdict {
  /** The partition (draft). */
  readonly partition: string;
  /** Operations checked (those that failed are left out: they took no effect). */
  readonly operations: number;
  /** Of those, how many had an unknown outcome (or never completed). */
  readonly unknown: number;
  /** Its verdict. */
  readonly verdict: LinearizabilityVerdict;
  /** Search steps taken (placements tried and backtracks). */
  readonly steps: number;
  /** Time taken, in milliseconds. */
  readonly ms: number;
}

/** What {@link checkLinearizability} found. */
export interface LinearizabilityResult<I, O> {
  /** `true` when every partition is linearizable. */
  readonly ok: boolean;
  /** `not_linearizable` when a partition is; `timeout` when none is proven so but one ran out of time. */
  readonly verdict: LinearizabilityVerdict;
  /** Operations checked, over every partition. */
  readonly operations: number;
  /** Of those, how many had an unknown outcome. */
  readonly unknown: number;
  /** One verdict per partition, in partition order. */
  readonly partitions: readonly PartitionVerdict[];
  /** Why the first failing partition fails, or `null`. */
  readonly counterexample: Counterexample<I, O> | null;
  /** A human-readable summary (with the counterexample when there is one), for a test's failure message. */
  readonly report: string;
  /** Time taken, in milliseconds. */
  readonly ms: number;
}

function operationsOf<I, O>(
  history: History<I, O> | readonly HistoryOperation<I, O>[],
): readonly HistoryOperation<I, O>[] {
  const operations =
    "operations" in history && typeof history.operations === "function"
      ? history.operations()
      : (history as readonly HistoryOperation<I, O>[]);
  for (const operation of operations) {
    if (operation.status === "ok" && (operation.returnedAt === null || operation.returnedAt < operation.invokedAt)) {
      throw new Error(`operation #${operation.id} returned before it was invoked (or has no return time)`);
    }
  }
  return operations;
}

function partitionsOf<I, O>(operations: readonly HistoryOperation<I, O>[]): Map<string, HistoryOperation<I, O>[]> {
  const partitions = new Map<string, HistoryOperation<I, O>[]>();
  for (const operation of operations) {
    if (operation.status === "fail") continue;
    const list = partitions.get(operation.partition);
    if (list === undefined) partitions.set(operation.partition, [operation]);
    else list.push(operation);
  }
  return new Map([...partitions].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function summary(verdicts: readonly PartitionVerdict[], ms: number): string {
  const operations = verdicts.reduce((sum, verdict) => sum + verdict.operations, 0);
  const unknown = verdicts.reduce((sum, verdict) => sum + verdict.unknown, 0);
  const largest = verdicts.reduce((max, verdict) => Math.max(max, verdict.operations), 0);
  return `${operations} operations (${unknown} of unknown outcome) on ${verdicts.length} partition${verdicts.length === 1 ? "" : "s"} (largest ${largest}), checked in ${Math.round(ms)} ms`;
}

function reportOf<S, I, O>(
  model: LinearizabilityModel<S, I, O>,
  verdicts: readonly PartitionVerdict[],
  example: Counterexample<I, O> | null,
  ms: number,
): string {
  const failing = verdicts.filter((verdict) => verdict.verdict === "not_linearizable");
  const slow = verdicts.filter((verdict) => verdict.verdict === "timeout");
  if (failing.length === 0 && slow.length === 0) return `linearizable: ${summary(verdicts, ms)}`;
  const head =
    failing.length > 0
      ? `NOT linearizable: ${failing.length} of ${verdicts.length} partitions fail (${failing.map((verdict) => JSON.stringify(verdict.partition)).join(", ")}); ${summary(verdicts, ms)}`
      : `no verdict (timeout) on ${slow.length} partitions; ${summary(verdicts, ms)}`;
  return example === null ? head : `${head}\n${formatCounterexample(model, example)}`;
}

/**
 * Decides whether a history is linearizable under any sequential specification (a
 * {@link LinearizabilityModel}); {@link checkLinearizability} is this with the draft's version
 * register.
 *
 * @example
 * ```ts
 * declare const model: LinearizabilityModel<number, "inc", number>;
 * const history = createHistory<"inc", number>();
 * history.ok(history.invoke("counter", "a", "inc"), 1);
 * checkModelLinearizability(model, history).verdict; // "linearizable"
 * ```
 */
export function checkModelLinearizability<S, I, O>(
  model: LinearizabilityModel<S, I, O>,
  history: History<I, O> | readonly HistoryOperation<I, O>[],
  options: LinearizabilityOptions = {},
): LinearizabilityResult<I, O> {
  const started = performance.now();
  const timeoutMs = options.timeoutMs ?? 60_000;
  const deadline = started + timeoutMs;
  const limits = (): SearchLimits => ({ maxSteps: options.maxSteps ?? 20_000_000, deadline });
  const verdicts: PartitionVerdict[] = [];
  let example: Counterexample<I, O> | null = null;
  for (const [partition, operations] of partitionsOf(operationsOf(history))) {
    const begun = performance.now();
    const result = searchLinearization(model, partition, searchOperations(model, operations).search, limits());
    const unknown = operations.filter((operation) => operation.status !== "ok").length;
    verdicts.push({
      partition,
      operations: operations.length,
      unknown,
      verdict: result.verdict,
      steps: result.steps,
      ms: performance.now() - begun,
    });
    if (result.verdict === "not_linearizable" && example === null && options.explain !== false) {
      const shrinkUntil = Math.min(deadline, performance.now() + Math.min(timeoutMs / 5, 5_000));
      example = explain(model, partition, operations, limits, shrinkUntil);
    }
  }
  const verdict: LinearizabilityVerdict = verdicts.some((v) => v.verdict === "not_linearizable")
    ? "not_linearizable"
    : verdicts.some((v) => v.verdict === "timeout")
      ? "timeout"
      : "linearizable";
  const ms = performance.now() - started;
  return {
    ok: verdict === "linearizable",
    verdict,
    operations: verdicts.reduce((sum, v) => sum + v.operations, 0),
    unknown: verdicts.reduce((sum, v) => sum + v.unknown, 0),
    partitions: verdicts,
    counterexample: example,
    report: reportOf(model, verdicts, example, ms),
    ms,
  };
}

/**
 * Decides whether a history of drafts' version registers is linearizable: whether its
 * operations (reads, version-checked commits, idempotent replays, each `ok`, failed or of
 * unknown outcome) could have taken effect one at a time, each at some instant between its
 * invocation and its return, in an order every answer agrees with. Operations of unknown
 * outcome may take effect at any point after their invocation, or never. The history is split
 * per draft and each draft searched with Wing and Gong's algorithm and Lowe's memoization.
 *
 * On failure, `counterexample` (and `report`) names the operation that cannot be placed, a
 * linearization of everything before it, and a minimal failing sub-history.
 *
 * @example
 * ```ts
 * const history = createDraftHistory();
 * const a = history.invoke("d1", "a", { type: "commit", expectedVersion: 1 });
 * const b = history.invoke("d1", "b", { type: "commit", expectedVersion: 1 });
 * history.ok(a, { type: "committed", version: 2, value: "x", replayed: false });
 * history.ok(b, { type: "committed", version: 2, value: "y", replayed: false });
 * const result = checkLinearizability(history, { start: () => ({ version: 1, value: "v1" }) });
 * result.ok; // false: two commits from version 1 cannot both win
 * console.log(result.report);
 * ```
 */
export function checkLinearizability(
  history: History<RegisterInput, RegisterOutput> | readonly HistoryOperation<RegisterInput, RegisterOutput>[],
  options: RegisterCheckOptions = {},
): LinearizabilityResult<RegisterInput, RegisterOutput> {
  return checkModelLinearizability(versionRegister(options.start), history, options);
}

/**
 * Throws an `Error` carrying the report (the counterexample) unless the history is
 * linearizable; returns the result otherwise, for its figures.
 *
 * @example
 * ```ts
 * declare const history: DraftHistory;
 * const { operations, ms } = assertLinearizable(history);
 * ```
 */
export function assertLinearizable(
  history: History<RegisterInput, RegisterOutput> | readonly HistoryOperation<RegisterInput, RegisterOutput>[],
  options: RegisterCheckOptions = {},
): LinearizabilityResult<RegisterInput, RegisterOutput> {
  const result = checkLinearizability(history, options);
  if (!result.ok) throw new Error(`history is not linearizable\n${result.report}`);
  return result;
}
