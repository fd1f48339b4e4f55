/**
 * A history of concurrent operations, as a linearizability checker reads it: when each
 * operation was invoked, when it returned, and how it ended. Times come from one logical clock
 * (every invocation and every completion ticks it), so two operations overlap exactly when
 * their intervals do, whatever the wall clock did.
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

/**
 * A new, empty {@link History} with its own logical clock.
 *
 * @example
 * ```ts
 * const history = createHistory<RegisterInput, RegisterOutput>();
 * const id = history.invoke("draft-1", "client-a", { type: "read" });
 * history.ok(id, { type: "read", version: 1, value: "a1" });
 * checkLinearizability(history).ok; // true
 * ```
 */
export function createHistory<I, O>(): History<I, O> {
  const operations: HistoryOperation<I, O>[] = [];
  let clock = 0;
  const complete = (id: number, status: Exclude<OperationStatus, "pending">, output: O | null): void => {
    const operation = operations[id];
    if (operation === undefined) throw new Error(`no operation ${id} in this history`);
    if (operation.status !== "pending") throw new Error(`operation ${id} already completed (${operation.status})`);
    operations[id] = { ...operation, status, output, returnedAt: (clock += 1) };
  };
  return {
    invoke(partition, client, input) {
      const id = operations.length;
      operations.push({
        id,
        partition,
        client,
        input,
        invokedAt: (clock += 1),
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
