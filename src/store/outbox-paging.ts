/**
 * Argument checks and keyset cursors for the outbox half of the port ({@link OutboxStore}): the
 * same limits and the same cursor format for every adapter, so an adapter checks nothing itself
 * beyond calling these. No engine stands in front of a dispatcher's calls, so the store checks.
 */
import { ValidationError } from "../record/index.js";
import type { OutboxStore } from "./outbox.js";

/** The largest `limit` each outbox method accepts (the smallest is 1). */
export const OUTBOX_LIMITS = {
  /** `claimOutbox`: at most 1000 entries per claim. */
  claimOutbox: 1000,
  /** `listOutbox`: at most 500 entries per page. */
  listOutbox: 500,
  /** `findStaleRuns`: at most 1000 runs per call. */
  findStaleRuns: 1000,
} as const satisfies Partial<Record<keyof OutboxStore, number>>;

/**
 * Checks the `limit` of an outbox call: an integer from 1 to `OUTBOX_LIMITS[method]`.
 *
 * @throws {@link ValidationError} (`options`, path `limit`) for any other value.
 *
 * @example
 * ```ts
 * declare const input: ClaimOutboxInput;
 * checkOutboxLimit("claimOutbox", input.limit); // throws for 0, 1.5 or 1001
 * ```
 */
export function checkOutboxLimit(method: keyof typeof OUTBOX_LIMITS, limit: number): void {
  const max = OUTBOX_LIMITS[method];
  if (typeof limit === "number" && Number.isInteger(limit) && limit >= 1 && limit <= max) return;
  throw new ValidationError("options", [
    {
      code: "invalid_value",
      path: ["limit"],
      message: `${method}: limit must be an integer from 1 to ${max}, got ${String(limit)}`,
    },
  ]);
}

/** The position an outbox cursor encodes: the last record of the previous page. */
export interface OutboxCursorPosition {
  /** Its `createdAt`. */
  readonly createdAt: string;
  /** Its `workspaceId`. */
  readonly workspaceId: string;
  /** Its `entryId`. */
  readonly entryId: string;
}

function toBase64Url(text: string): string {
  let binary = "";
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromBase64Url(encoded: string): string {
  if (!/^[A-Za-z0-9_-]*$/.test(encoded)) throw new Error("not base64url");
  const binary = atob(encoded.replace(/-/g, "+").replace(/_/g, "/"));
  return new TextDecoder("utf-8", { fatal: true }).decode(Uint8Array.from(binary, (char) => char.charCodeAt(0)));
}

/**
 * Encodes the last record of a `listOutbox` page as an opaque, URL-safe cursor.
 *
 * @example
 * ```ts
 * declare const more: boolean;
 * declare const last: OutboxCursorPosition;
 * const nextCursor = more ? encodeOutboxCursor(last) : null;
 * ```
 */
export function encodeOutboxCursor(position: OutboxCursorPosition): string {
  return toBase64Url(JSON.stringify(["outbox", position.createdAt, position.workspaceId, position.entryId]));
}

/**
 * The position a `ListOutboxOptions.cursor` names: `null` for the first page (no cursor).
 *
 * @throws {@link ValidationError} (`options`, path `cursor`) for a cursor {@link encodeOutboxCursor} did not make.
 *
 * @example
 * ```ts
 * declare const options: ListOutboxOptions;
 * const after = outboxCursor(options.cursor); // null, or { createdAt, workspaceId, entryId }
 * ```
 */
export function outboxCursor(cursor: string | null | undefined): OutboxCursorPosition | null {
  if (cursor === undefined || cursor === null) return null;
  let value: unknown;
  try {
    value = typeof cursor === "string" ? JSON.parse(fromBase64Url(cursor)) : null;
  } catch {
    value = null;
  }
  if (
    Array.isArray(value) &&
    value.length === 4 &&
    value[0] === "outbox" &&
    value.slice(1).every((part) => typeof part === "string")
  ) {
    return { createdAt: value[1] as string, workspaceId: value[2] as string, entryId: value[3] as string };
  }
  throw new ValidationError("options", [{ code: "invalid_cursor", path: ["cursor"], message: "malformed cursor" }]);
}

/**
 * Compares two records by the outbox order, (`createdAt`, `workspaceId`, `entryId`) ascending,
 * each compared as text by UTF-16 code units (what `<` on strings does): for stores that sort
 * in process.
 *
 * @example
 * ```ts
 * declare const records: OutboxCursorPosition[];
 * records.sort(compareOutboxOrder);
 * ```
 */
export function compareOutboxOrder(a: OutboxCursorPosition, b: OutboxCursorPosition): number {
  for (const key of ["createdAt", "workspaceId", "entryId"] as const) {
    if (a[key] < b[key]) return -1;
    if (a[key] > b[key]) return 1;
  }
  return 0;
}

/**
 * The epoch milliseconds of a timestamp argument of an outbox call (for stores that index by
 * number, such as Redis sorted-set scores).
 *
 * @throws {@link ValidationError} (`options`, at `path`) for text that is not an instant.
 *
 * @example
 * ```ts
 * declare const input: ClaimOutboxInput;
 * const score = outboxInstantMs(input.now, "now");
 * ```
 */
export function outboxInstantMs(text: string, path: string): number {
  const ms = typeof text === "string" ? Date.parse(text) : Number.NaN;
  if (!Number.isNaN(ms)) return ms;
  throw new ValidationError("options", [
    { code: "invalid_value", path: [path], message: `not a valid timestamp: ${String(text)}` },
  ]);
}

const STATUSES: readonly string[] = ["pending", "delivered", "dead"];

/**
 * Checks an outbox status argument (a `listOutbox` filter, a settlement's status), for callers
 * that bypass the types.
 *
 * @throws {@link ValidationError} (`options`, at `path`) for anything but an `OutboxStatus`.
 *
 * @example
 * ```ts
 * declare const options: ListOutboxOptions;
 * if (options.status !== undefined) checkOutboxStatus(options.status, "status");
 * ```
 */
export function checkOutboxStatus(value: unknown, path: string): void {
  if (typeof value === "string" && STATUSES.includes(value)) return;
  throw outboxStatusError(value, path);
}

/**
 * The `ValidationError` for an unknown outbox status at `path` (for a `switch` that has a case
 * for every status and throws in its `default`).
 *
 * @example
 * ```ts
 * declare const status: never;
 * throw outboxStatusError(status, "settlements.status");
 * ```
 */
export function outboxStatusError(value: unknown, path: string): ValidationError {
  return new ValidationError("options", [
    { code: "invalid_value", path: [path], message: `unknown outbox status ${String(value)}` },
  ]);
}
