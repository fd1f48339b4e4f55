/**
 * Argument checks shared by the adapters' outbox methods: the `limit` ranges of the
 * `OutboxStore` port and the opaque keyset cursor of `listOutbox` over (`createdAt`,
 * `workspaceId`, `entryId`). Pure.
 */
import { ValidationError } from "../record/index.js";
import { encodeCursor, listCursor } from "./cursor.js";

/** The most entries one `claimOutbox` or `findStaleRuns` call takes. */
export const MAX_OUTBOX_BATCH = 1000;

/** The most entries one `listOutbox` page holds. */
export const MAX_OUTBOX_PAGE = 500;

/**
 * `limit` when it is an integer from 1 to `max`.
 *
 * @throws {@link ValidationError} (`options`, path `limit`) otherwise.
 *
 * @example (internal helper, not exported from the package root, so not type-checked)
 * ```text
 * outboxLimit(100, MAX_OUTBOX_BATCH); // 100
 * outboxLimit(0, MAX_OUTBOX_BATCH); // throws ValidationError
 * ```
 */
export function outboxLimit(limit: unknown, max: number): number {
  if (typeof limit === "number" && Number.isInteger(limit) && limit >= 1 && limit <= max) return limit;
  throw new ValidationError("options", [
    { code: "invalid_limit", path: ["limit"], message: `limit must be an integer from 1 to ${max}` },
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

/**
 * The opaque `nextCursor` of a `listOutbox` page ending at `position`.
 *
 * @example (internal helper, not exported from the package root, so not type-checked)
 * ```text
 * encodeOutboxCursor({ createdAt: "2026-01-01T00:00:00.000Z", workspaceId: "ws", entryId: "e-1" });
 * ```
 */
export function encodeOutboxCursor(position: OutboxCursorPosition): string {
  return encodeCursor({ createdAt: position.createdAt, id: JSON.stringify([position.workspaceId, position.entryId]) });
}

/**
 * The position a `ListOutboxOptions.cursor` names: `null` for the first page.
 *
 * @throws {@link ValidationError} (`options`, path `cursor`) for a cursor not made by {@link encodeOutboxCursor}.
 */
export function outboxCursor(cursor: string | null | undefined): OutboxCursorPosition | null {
  const position = listCursor(cursor);
  if (position === null) return null;
  let ids: unknown = null;
  try {
    ids = JSON.parse(position.id);
  } catch {
    // reported below
  }
  if (Array.isArray(ids) && ids.length === 2 && typeof ids[0] === "string" && typeof ids[1] === "string") {
    return { createdAt: position.createdAt, workspaceId: ids[0], entryId: ids[1] };
  }
  throw new ValidationError("options", [{ code: "invalid_cursor", path: ["cursor"], message: "malformed cursor" }]);
}
