/**
 * Paging of a draft's audit trail ({@link DraftStore.listAudit}): the one check of its options,
 * the one reading of an integer position, and a ready-made page of a trail kept as an array, so
 * every adapter reports a bad page the same way (a `ValidationError`, never a driver error).
 */
import { ValidationError } from "../record/index.js";
import type { AuditPageOptions, StoredAuditEntry } from "./port.js";

/** {@link AuditPageOptions} checked and filled in by {@link readAuditPage}. */
export interface AuditPageRequest {
  /** The position to start after, or `null` to start at the walk's first end. */
  readonly after: string | null;
  /** At most this many entries, or `null` for all of them. */
  readonly limit: number | null;
  /** Whether the walk goes from the newest entry toward the oldest. */
  readonly backward: boolean;
}

function invalid(path: string, code: "invalid_cursor" | "invalid_value", message: string): ValidationError {
  return new ValidationError("options", [{ code, path: [path], message }]);
}

/**
 * Checks the `page` argument of `listAudit` (for callers that bypass the types) and fills in the
 * defaults: the whole trail, forward. What `after` means is the store's own business
 * ({@link auditSequence} reads the common integer kind).
 *
 * @throws {@link ValidationError} (`options`, path `after`, `limit` or `direction`).
 *
 * @example
 * ```ts
 * const { after, limit, backward } = readAuditPage({ after: "41", limit: 100 });
 * // after "41", limit 100, backward false
 * ```
 */
export function readAuditPage(page: AuditPageOptions | undefined): AuditPageRequest {
  if (page === undefined || page === null) return { after: null, limit: null, backward: false };
  if (typeof page !== "object") throw invalid("page", "invalid_value", "listAudit: page must be an object");
  const { after, limit, direction } = page;
  if (after !== undefined && (typeof after !== "string" || after.length === 0 || after.length > 256)) {
    throw invalid("after", "invalid_cursor", "listAudit: after must be a position this store returned");
  }
  if (limit !== undefined && !(typeof limit === "number" && Number.isSafeInteger(limit) && limit >= 1)) {
    throw invalid("limit", "invalid_value", `listAudit: limit must be a positive integer, got ${String(limit)}`);
  }
  if (direction !== undefined && direction !== "forward" && direction !== "backward") {
    throw invalid("direction", "invalid_value", `listAudit: direction must be "forward" or "backward"`);
  }
  return { after: after ?? null, limit: limit ?? null, backward: direction === "backward" };
}

/** Canonical decimal text of a non-negative safe integer: no sign, no leading zero, no exponent. */
const SEQUENCE = /^(0|[1-9][0-9]{0,15})$/;

/**
 * Reads a position written as a non-negative integer in decimal (a sequence column, a list
 * index), the notation of every shipped store but PostgreSQL's. Only the canonical text
 * `String(n)` is accepted, so one entry has one position.
 *
 * @throws {@link ValidationError} (`options`, path `after`) for anything else.
 *
 * @example
 * ```ts
 * auditSequence("41"); // 41
 * auditSequence("041"); // throws ValidationError
 * ```
 */
export function auditSequence(position: string): number {
  const value = SEQUENCE.test(position) ? Number(position) : Number.NaN;
  if (Number.isSafeInteger(value)) return value;
  throw invalid("after", "invalid_cursor", "listAudit: not a position of this store");
}

/** Canonical decimal text of an integer: no plus sign, no leading zero, no `-0`. */
const INTEGER = /^(0|-?[1-9][0-9]{0,18})$/;

/**
 * @internal Reads a position written as integers joined by `:` (a composite key, such as
 * PostgreSQL's `(draft_version, seq)`), each in canonical decimal and within its inclusive
 * `[min, max]`. Returns the parts as decimal text (for a driver's `bigint` parameter).
 *
 * @throws {@link ValidationError} (`options`, path `after`) for anything else.
 */
export function auditKeyParts(position: string, ranges: readonly (readonly [bigint, bigint])[]): string[] {
  const parts = position.split(":");
  const fits =
    parts.length === ranges.length &&
    parts.every((part, index) => {
      const range = ranges[index];
      return range !== undefined && INTEGER.test(part) && BigInt(part) >= range[0] && BigInt(part) <= range[1];
    });
  if (fits) return parts;
  throw invalid("after", "invalid_cursor", "listAudit: not a position of this store");
}

/**
 * One page of a trail a store keeps as an array in append order (an in-process store, a file):
 * each entry's position is its index. The slice is read, never the rest of the array.
 *
 * @throws {@link ValidationError} for a bad `page` ({@link readAuditPage}, {@link auditSequence}).
 *
 * @example
 * ```ts
 * declare const trail: readonly unknown[]; // the draft's entries, oldest first
 * const page = sliceAuditTrail(trail, { after: "9", limit: 10 }); // entries 10..19
 * ```
 */
export function sliceAuditTrail(trail: readonly unknown[], page?: AuditPageOptions): StoredAuditEntry[] {
  const { after, limit, backward } = readAuditPage(page);
  const from = after === null ? null : auditSequence(after);
  let start: number;
  let end: number;
  if (backward) {
    end = Math.min(from ?? trail.length, trail.length);
    start = limit === null ? 0 : Math.max(0, end - limit);
  } else {
    start = from === null ? 0 : from + 1;
    end = limit === null ? trail.length : Math.min(trail.length, start + limit);
  }
  const entries: StoredAuditEntry[] = [];
  for (let index = start; index < end; index += 1) {
    entries.push({ event: trail[index], position: String(index) });
  }
  return backward ? entries.reverse() : entries;
}
