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
 * with ER_ERROR_DURING_COMMIT (1180) "... Not connected to Primary Component". The same call may
 * succeed on another node: the adapter reports both as a `StoreError` whose cause is a
 * {@link GaleraNodeUnavailable}, so the message says so instead of showing the driver's text.
 */

/** @internal MariaDB's ER_UNKNOWN_COM_ERROR: on a Galera node, "WSREP has not yet prepared node for application use". */
export const ER_UNKNOWN_COM_ERROR = 1047;
/** @internal MariaDB's ER_ERROR_DURING_COMMIT: on Galera, also a transaction cut off from the primary component. */
export const ER_ERROR_DURING_COMMIT = 1180;

/**
 * The cause of the `StoreError` a call gets from a Galera node outside the primary component
 * (server error 1047, or 1180 "Not connected to Primary Component" for a transaction that was
 * running when the node lost it). `retryable`: the call may be sent again, to another node (or
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
  /** The server's error number: 1047 (a statement refused) or 1180 (a transaction cut off). */
  readonly errno: number;
  /** The driver's error code (`ER_UNKNOWN_COM_ERROR` or `ER_ERROR_DURING_COMMIT`). */
  readonly code: string;
  /** The node cannot serve the call now: send it again, elsewhere, with the same idempotency key. */
  readonly retryable = true;

  /** @param cause the driver's error @param errno its error number */
  constructor(cause: unknown, errno: number = ER_UNKNOWN_COM_ERROR) {
    super(
      `the MariaDB Galera node is not part of the cluster's primary component (server error ${errno}, ` +
        `"${errno === ER_UNKNOWN_COM_ERROR ? "WSREP has not yet prepared node for application use" : "Not connected to Primary Component"}"): ` +
        "send the call to another node, or again once this one has rejoined",
      { cause },
    );
    this.name = "GaleraNodeUnavailable";
    this.errno = errno;
    this.code = errno === ER_UNKNOWN_COM_ERROR ? "ER_UNKNOWN_COM_ERROR" : "ER_ERROR_DURING_COMMIT";
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
 * @internal `error` as the adapter reports it: a Galera node's 1047, or its 1180 for a lost
 * primary component, becomes a {@link GaleraNodeUnavailable} (the driver's error its cause);
 * anything else is returned unchanged.
 */
export function namedServerError(error: unknown): unknown {
  const errno = errnoOf(error);
  if (errno === ER_UNKNOWN_COM_ERROR) return new GaleraNodeUnavailable(error, errno);
  if (errno === ER_ERROR_DURING_COMMIT && error instanceof Error && /primary component/i.test(error.message))
    return new GaleraNodeUnavailable(error, errno);
  return error;
}
