/**
 * adapters/mysql/errors.ts — the server errors the MySQL adapter names before the one error
 * wrapper (`wrapStoreErrors` / `storeWrite`) turns them into `StoreError`.
 *
 * May import: nothing of the package (a leaf). I/O free.
 *
 * MariaDB Galera: a node that is not part of the cluster's primary component (cut off by a
 * network partition, still joining, or left alone after the others failed) refuses every
 * statement with ER_UNKNOWN_COM_ERROR (1047, SQLSTATE 08S01) "WSREP has not yet prepared node
 * for application use"; a transaction it was running when it lost the primary component fails
 * with ER_ERROR_DURING_COMMIT (1180) "... Not connected to Primary Component"; and with
 * `causalReads`, the causality wait (`wsrep_sync_wait`) in front of a read or a transaction start
 * fails there with ER_LOCK_WAIT_TIMEOUT (1205), as it does on a node that lags the cluster by more
 * than its causal read timeout (such a statement takes no row locks, so that is the only way it
 * gets 1205). The same call may
 * succeed on another node: the adapter reports both as a `StoreError` whose cause is a
 * {@link GaleraNodeUnavailable}, so the message says so instead of showing the driver's text.
 */

/** @internal MariaDB's ER_UNKNOWN_COM_ERROR: on a Galera node, "WSREP has not yet prepared node for application use". */
export const ER_UNKNOWN_COM_ERROR = 1047;
/** @internal MariaDB's ER_ERROR_DURING_COMMIT: on Galera, also a transaction cut off from the primary component. */
export const ER_ERROR_DURING_COMMIT = 1180;
/** @internal ER_LOCK_WAIT_TIMEOUT: what a failed causality wait (`wsrep_sync_wait`) reports. */
export const ER_LOCK_WAIT_TIMEOUT = 1205;

const CODES: Record<number, string> = {
  [ER_UNKNOWN_COM_ERROR]: "ER_UNKNOWN_COM_ERROR",
  [ER_ERROR_DURING_COMMIT]: "ER_ERROR_DURING_COMMIT",
  [ER_LOCK_WAIT_TIMEOUT]: "ER_LOCK_WAIT_TIMEOUT",
};
const WHAT: Record<number, string> = {
  [ER_UNKNOWN_COM_ERROR]: '"WSREP has not yet prepared node for application use"',
  [ER_ERROR_DURING_COMMIT]: '"Not connected to Primary Component"',
  [ER_LOCK_WAIT_TIMEOUT]: "from the causality wait, wsrep_sync_wait",
};

/**
 * The cause of the `StoreError` a call gets from a Galera node outside the primary component
 * (server error 1047, or 1180 "Not connected to Primary Component" for a transaction that was
 * running when the node lost it; 1205 for a `causalReads` read or transaction start whose causality
 * wait failed: on a non-primary node it fails at once). `retryable`: the call may be sent again, to another node (or
 * to this one once it has rejoined); with its idempotency key, it is applied at most once.
 *
 * @example
 * ```ts
 * import { StoreError } from "onboarding-lifecycle";
 * import { GaleraNodeUnavailable } from "onboarding-lifecycle/adapters/mysql";
 *
 * declare const error: unknown;
 * if (error instanceof StoreError && error.cause instanceof GaleraNodeUnavailable) {
 *   // this node is cut off from the cluster: send the call to another node
 * }
 * ```
 */
export class GaleraNodeUnavailable extends Error {
  /** The server's error number: 1047 (a statement refused), 1180 (a transaction cut off) or 1205 (a causality wait failed). */
  readonly errno: number;
  /** The driver's error code (`ER_UNKNOWN_COM_ERROR`, `ER_ERROR_DURING_COMMIT` or `ER_LOCK_WAIT_TIMEOUT`). */
  readonly code: string;
  /** The node cannot serve the call now: send it again, elsewhere, with the same idempotency key. */
  readonly retryable = true;

  /** @param cause the driver's error @param errno its error number */
  constructor(cause: unknown, errno: number = ER_UNKNOWN_COM_ERROR) {
    super(
      errno === ER_LOCK_WAIT_TIMEOUT
        ? `the MariaDB Galera node could not wait for the cluster's latest commits (server error 1205 ${WHAT[errno]}): ` +
            "it is not part of the cluster's primary component, or lags it by more than its causal read timeout; " +
            "send the call to another node, or again once this one has caught up"
        : `the MariaDB Galera node is not part of the cluster's primary component (server error ${errno}, ` +
            `${WHAT[errno] ?? "WSREP"}): send the call to another node, or again once this one has rejoined`,
      { cause },
    );
    this.name = "GaleraNodeUnavailable";
    this.errno = errno;
    this.code = CODES[errno] ?? "ER_UNKNOWN_COM_ERROR";
  }
}

function errnoOf(error: unknown): number | undefined {
  if (typeof error === "object" && error !== null && "errno" in error) {
    const value = (error as { errno?: unknown }).errno;
    if (typeof value === "number") return value;
  }
  return undefined;
}

/**
 * @internal `error` as the adapter reports it: a Galera node's 1047, its 1180 for a lost
 * primary component, or (`causalWait`: the statement was a causal read or transaction start,
 * which takes no row locks) a 1205 becomes a {@link GaleraNodeUnavailable} (the driver's error
 * its cause); anything else is returned unchanged.
 */
export function namedServerError(error: unknown, causalWait = false): unknown {
  const errno = errnoOf(error);
  if (errno === ER_LOCK_WAIT_TIMEOUT && causalWait) return new GaleraNodeUnavailable(error, errno);
  if (errno === ER_UNKNOWN_COM_ERROR) return new GaleraNodeUnavailable(error, errno);
  if (errno === ER_ERROR_DURING_COMMIT && error instanceof Error && /primary component/i.test(error.message))
    return new GaleraNodeUnavailable(error, errno);
  return error;
}
