/**
 * The cut-offs of the pruning methods ({@link DraftStore.pruneIdempotency},
 * {@link OutboxStore.pruneOutbox}): any instant a caller gives, as the UTC text stores compare.
 */
import { ValidationError } from "../record/index.js";

/**
 * Normalises the cut-off of {@link DraftStore.pruneIdempotency}: a `Date`, epoch milliseconds or
 * any ISO-8601 string becomes the UTC form the engine stamps records with
 * (`2026-01-01T00:00:00.000Z`), so stores can compare it with stored `createdAt` text.
 *
 * @throws {@link ValidationError} for a value that is not a valid instant.
 *
 * @example
 * ```ts
 * const dayAgo = idempotencyCutoff(Date.now() - 24 * 3600 * 1000);
 * ```
 */
export function idempotencyCutoff(before: string | number | Date): string {
  const instant = before instanceof Date ? before : new Date(before);
  if (Number.isNaN(instant.getTime())) {
    throw new ValidationError("options", [
      { code: "invalid_value", path: ["before"], message: `not a valid instant: ${String(before)}` },
    ]);
  }
  return instant.toISOString();
}

/**
 * Normalises the cut-off of {@link OutboxStore.pruneOutbox} (as {@link idempotencyCutoff} does
 * for idempotency records): a `Date`, epoch milliseconds or any ISO-8601 string becomes the UTC
 * form stores compare `deliveredAt` with (`2026-01-01T00:00:00.000Z`).
 *
 * @throws `ValidationError` for a value that is not a valid instant.
 *
 * @example
 * ```ts
 * const weekAgo = outboxCutoff(Date.now() - 7 * 24 * 3600 * 1000);
 * ```
 */
export function outboxCutoff(before: string | number | Date): string {
  return idempotencyCutoff(before);
}
