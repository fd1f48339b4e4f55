/**
 * A history of concurrent operations, as a linearizability checker reads it: when each
 * operation was invoked, when it returned, and how it ended. Times come from one logical clock
 * (every invocation and every completion ticks it), so two operations overlap exactly when
 * their intervals do, whatever the wall clock did. Histories recorded in several processes use
 * a clock comparable across them instead ({@link wallClock}) and are merged with
 * {@link mergeHistories}.
 */

/**
 * How an operation ended:
 * - `ok`: it returned `output`; the checker places it somewhere between its invocation and its return.
 * - `fail`: it definitely took no effect (a refused command, a rejected input); the checker leaves it out.
 * - `unknown`: the caller cannot tell whether it took effect (a timeout, a lost reply, a
 *   `StoreError` after the write was sent): it may take effect at any point after its
 *   invocation, or never.
 * - `pending`: never completed; read as `unknown`.
 */
export type OperationStatus = "pending" | "ok" | "fail" | "unknown";

/** One operation of a {@link History}. */
export interface HistoryOperation<I, O> {
  /** Its index in the history (stable: the order of invocation). */
  readonly id: number;
  /**
   * What the operation is about, for P-compositionality: operations on different partitions
   * (drafts) never constrain each other, so each partition is checked on its own.
   */
  readonly partition: string;
  /** Who ran it (for reports; the checker does not need it). */
  readonly client: string;
  /** What was asked. */
  readonly input: I;
  /** The logical time of the invocation. */
  readonly invokedAt: number;
  /** The logical time of the completion; `null` while pending. An `unknown` one never returns, for the checker. */
  readonly returnedAt: number | null;
  /** How it ended. */
  readonly status: OperationStatus;
  /** What it returned (`ok` only, else `null`). */
  readonly output: O | null;
}

/**
 * Records operations as concurrent clients run them: call {@link History.invoke} right before
 * the operation starts and one of {@link History.ok}, {@link History.fail} or
 * {@link History.unknown} right after it settles.
 */
export interface History<I, O> {
  /** Records an invocation and returns the operation's id. */
  invoke(partition: string, client: string, input: I): number;
  /** Records that operation `id` returned `output`. */
  ok(id: number, output: O): void;
  /** Records that operation `id` definitely took no effect. */
  fail(id: number): void;
  /** Records that operation `id` may or may not have taken effect. */
  unknown(id: number): void;
  /** A snapshot of every operation so far, in invocation order. */
  operations(): readonly HistoryOperation<I, O>[];
  /** How many operations were invoked. */
  readonly size: number;
}

/** Options of {@link createHistory}. */
export interface HistoryOptions {
  /**
   * Where invocation and completion times come from. Default: the history's own logical clock
   * (1, 2, 3, ...), exact within one process. Pass {@link wallClock} to record in several
   * processes and merge the parts with {@link mergeHistories}; the clock must never go back.
   */
  readonly clock?: () => number;
}

/**
 * A clock comparable across the processes of one machine: `performance.timeOrigin +
 * performance.now()`, in milliseconds since the epoch with sub-millisecond resolution, and
 * monotonic within a process. Two processes' readings agree to within their time origins'
 * error (well under a millisecond on one machine; `mergeHistories`' `uncertaintyMs` allows for it).
 *
 * @example
 * ```ts
 * const history = createDraftHistory({ clock: wallClock });
 * ```
 */
export function wallClock(): number {
  return performance.timeOrigin + performance.now();
}

/**
 * A new, empty {@link History} with its own logical clock (or the given `clock`).
 *
 * @example
 * ```ts
 * const history = createHistory<RegisterInput, RegisterOutput>();
 * const id = history.invoke("draft-1", "client-a", { type: "read" });
 * history.ok(id, { type: "read", version: 1, value: "a1" });
 * checkLinearizability(history).ok; // true
 * ```
 */
export function createHistory<I, O>(options: HistoryOptions = {}): History<I, O> {
  const operations: HistoryOperation<I, O>[] = [];
  let logical = 0;
  const tick = options.clock ?? ((): number => (logical += 1));
  const complete = (id: number, status: Exclude<OperationStatus, "pending">, output: O | null): void => {
    const operation = operations[id];
    if (operation === undefined) throw new Error(`no operation ${id} in this history`);
    if (operation.status !== "pending") throw new Error(`operation ${id} already completed (${operation.status})`);
    operations[id] = { ...operation, status, output, returnedAt: tick() };
  };
  return {
    invoke(partition, client, input) {
      const id = operations.length;
      operations.push({
        id,
        partition,
        client,
        input,
        invokedAt: tick(),
        returnedAt: null,
        status: "pending",
        output: null,
      });
      return id;
    },
    ok: (id, output) => complete(id, "ok", output),
    fail: (id) => complete(id, "fail", null),
    unknown: (id) => complete(id, "unknown", null),
    operations: () => operations.slice(),
    get size() {
      return operations.length;
    },
  };
}

/** Options of {@link mergeHistories}. */
export interface MergeHistoriesOptions {
  /**
   * How far apart two parts' clocks may be, in milliseconds (default 0): every operation's
   * interval is widened by it on both sides, so an operation is only taken to precede another
   * when it returned more than twice this before the other was invoked. Larger is safer (a
   * history is never rejected for a clock error within it) and weaker (fewer orders are fixed).
   */
  readonly uncertaintyMs?: number;
}

const STATUSES: ReadonlySet<string> = new Set(["pending", "ok", "fail", "unknown"]);

function checkedOperation(value: unknown, part: number, index: number): HistoryOperation<unknown, unknown> {
  const where = `part ${part}, operation ${index}`;
  if (typeof value !== "object" || value === null) throw new Error(`mergeHistories: ${where} is not an object`);
  const op = value as Record<string, unknown>;
  if (typeof op["partition"] !== "string") throw new Error(`mergeHistories: ${where} has no partition`);
  if (typeof op["client"] !== "string") throw new Error(`mergeHistories: ${where} has no client`);
  const status = op["status"];
  if (typeof status !== "string" || !STATUSES.has(status)) throw new Error(`mergeHistories: ${where} has no status`);
  const invokedAt = op["invokedAt"];
  const returnedAt = op["returnedAt"] ?? null;
  if (typeof invokedAt !== "number" || !Number.isFinite(invokedAt))
    throw new Error(`mergeHistories: ${where} has no invocation time`);
  if (returnedAt !== null && (typeof returnedAt !== "number" || returnedAt < invokedAt))
    throw new Error(`mergeHistories: ${where} returned before it was invoked`);
  if (status === "ok" && returnedAt === null) throw new Error(`mergeHistories: ${where} is ok without a return time`);
  return {
    id: 0,
    partition: op["partition"],
    client: op["client"],
    input: op["input"],
    invokedAt,
    returnedAt,
    status: status as OperationStatus,
    output: status === "ok" ? (op["output"] ?? null) : null,
  };
}

/**
 * Merges histories recorded apart (in several processes, each with a {@link wallClock}
 * history, written out as JSON with `JSON.stringify(history.operations())`) into one the
 * checker reads: the operations of every part, in invocation order, numbered afresh. The
 * operations' fields are checked (partition, client, status, times), not their inputs and
 * outputs: those are the model's, and are taken as they are.
 *
 * @param parts each part's operations (`history.operations()`, or that parsed back from JSON)
 * @throws Error naming the part and operation when one is malformed
 *
 * @example
 * ```ts
 * import { readFileSync } from "node:fs";
 *
 * const parts = ["a.json", "b.json"].map((file): unknown[] => JSON.parse(readFileSync(file, "utf8")));
 * const merged = mergeHistories<RegisterInput, RegisterOutput>(parts, { uncertaintyMs: 1 });
 * checkLinearizability(merged).ok;
 * ```
 */
export function mergeHistories<I, O>(
  parts: readonly (readonly unknown[])[],
  options: MergeHistoriesOptions = {},
): HistoryOperation<I, O>[] {
  const widen = options.uncertaintyMs ?? 0;
  if (!(widen >= 0) || !Number.isFinite(widen)) throw new Error("mergeHistories: uncertaintyMs must be >= 0");
  const all = parts.flatMap((part, p) => part.map((value, i) => checkedOperation(value, p, i)));
  all.sort((a, b) => a.invokedAt - b.invokedAt);
  return all.map((operation, id) => ({
    ...operation,
    id,
    invokedAt: operation.invokedAt - widen,
    returnedAt: operation.returnedAt === null ? null : operation.returnedAt + widen,
    input: operation.input as I,
    output: operation.output as O | null,
  }));
}
