/**
 * adapters/mysql/errors.ts — the server errors the MySQL adapter names before the one error
 * wrapper (`wrapStoreErrors` / `storeWrite`) turns them into `StoreError`.
 *
 * May import: nothing of the package (a leaf). I/O free.
 *
 * MariaDB Galera: a node that is not part of the cluster's primary component (cut off by a
 * network partition, still joining, or left alone after the others failed) refuses every
 * statement with ER_UNKNOWN_COM_ERROR (1047, SQLSTATE 08S01) "WSREP has not yet prepared node
 * for application use". Nothing was applied, and the same call may succeed on another node: the
 * adapter reports it as a `StoreError` whose cause is a {@link GaleraNodeUnavailable}, so the
 * message says so instead of showing the driver's text.
 */

/** @internal MariaDB's ER_UNKNOWN_COM_ERROR: on a Galera node, "WSREP has not yet prepared node for application use". */
export const ER_UNKNOWN_COM_ERROR = 1047;

/**
 * The cause of the `StoreError` a call gets from a Galera node outside the primary component
 * (server error 1047). `retryable`: the statement was refused, so the call may be sent again,
 * to another node (or to this one once it has rejoined).
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
  /** The server's error number (1047). */
  readonly errno = ER_UNKNOWN_COM_ERROR;
  /** The driver's error code (`ER_UNKNOWN_COM_ERROR`). */
  readonly code = "ER_UNKNOWN_COM_ERROR";
  /** The node refused the statement: sending the call again (elsewhere) is safe. */
  readonly retryable = true;

  /** @param cause the driver's error */
  constructor(cause: unknown) {
    super(
      "the MariaDB Galera node is not part of the cluster's primary component (server error 1047, " +
        '"WSREP has not yet prepared node for application use"): the statement was refused; ' +
        "send the call to another node, or again once this one has rejoined",
      { cause },
    );
    this.name = "GaleraNodeUnavailable";
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
 * @internal `error` as the adapter reports it: a Galera node's 1047 becomes a {@link GaleraNodeUnavailable}
 * (the driver's error its cause); anything else is returned unchanged.
 */
export function namedServerError(error: unknown): unknown {
  return errnoOf(error) === ER_UNKNOWN_COM_ERROR ? new GaleraNodeUnavailable(error) : error;
}
