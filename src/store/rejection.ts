/**
 * The one way an adapter signals a rejected write (see {@link WriteRejection}): a write path
 * returns the rejection as a value, and where a driver needs an exception to roll a transaction
 * back (better-sqlite3's `db.transaction`) it throws it with {@link rejectWrite}, which
 * {@link storeWrite} turns back into the value. Scripted stores (Redis Lua) reply with the same
 * reason names, decoded once by {@link writeResultFromReply}.
 */
import type { AuditEvent } from "../record/index.js";
import type { WriteRejection, WriteResult } from "./port.js";
import { WriteRejected, storeFailure } from "./errors.js";

/**
 * Aborts the current write (rolling its transaction back) and makes {@link storeWrite} report
 * `rejection`. Only for drivers whose transactions roll back on an exception; everywhere else
 * return the rejection.
 *
 * @example (internal helper, not exported from the package root, so not type-checked)
 * ```text
 * declare const changes: number;
 * if (changes !== 1) rejectWrite({ ok: false, reason: "version_conflict", actualVersion: null });
 * ```
 */
export function rejectWrite(rejection: WriteRejection): never {
  throw new WriteRejected(rejection);
}

/**
 * What one attempt of a write reports: its result, or `"retry"` when the attempt hit a transient
 * state (a deadlock, an open-draft owner that vanished between the violation and the lookup) and
 * nothing was written, so running it again is safe.
 */
export type WriteAttempt = WriteResult | "retry";

/**
 * Runs one write of an adapter: driver errors become `StoreError` (as `wrapStoreErrors` does) and a rejection thrown with {@link rejectWrite} is returned as the write's result.
 *
 * @example (internal helper, not exported from the package root, so not type-checked)
 * ```text
 * declare function runTransaction(): WriteResult;
 * const result = await storeWrite("my-store", "commit", async () => runTransaction());
 * ```
 */
export async function storeWrite(
  adapter: string,
  operation: string,
  run: () => Promise<WriteResult>,
): Promise<WriteResult> {
  // One frame, not wrapStoreErrors inside a catch: this is every write's hot path.
  try {
    return await run();
  } catch (error) {
    if (error instanceof WriteRejected) return error.rejection;
    throw storeFailure(adapter, operation, error);
  }
}

/**
 * The port's rule for a write sent again after it applied (its reply was lost): a rejected write
 * whose first audit entry is already stored is reported `{ ok: true }`. `stored` is asked only on
 * the rejection path and only when there is an entry to recognise the write by.
 *
 * @example (internal helper, not exported from the package root, so not type-checked)
 * ```text
 * declare const result: WriteResult;
 * declare const events: readonly AuditEvent[];
 * declare function eventStored(eventId: string): Promise<boolean>;
 * const settled = await unlessApplied(result, events[0], eventStored);
 * ```
 */
export async function unlessApplied(
  result: WriteResult,
  event: AuditEvent | undefined,
  stored: (eventId: string) => Promise<boolean>,
): Promise<WriteResult> {
  if (result.ok || event === undefined) return result;
  return (await stored(event.eventId)) ? { ok: true } : result;
}

/**
 * Decodes the reply of a scripted write (a Redis Lua script, a stored procedure): `["ok"]`, or
 * `[reason, detail]` where `reason` is a {@link WriteRejection} reason and `detail` the stored
 * version (`version_conflict`, empty when the draft is gone) or the holder's id
 * (`open_draft_exists`).
 *
 * @throws Error for any other reply (the caller's `wrapStoreErrors` reports it as `StoreError`).
 *
 * @example (internal helper, not exported from the package root, so not type-checked)
 * ```text
 * writeResultFromReply(["version_conflict", "3"]); // { ok: false, reason: "version_conflict", actualVersion: 3 }
 * ```
 */
export function writeResultFromReply(reply: unknown): WriteResult {
  const parts = Array.isArray(reply) ? reply.map(replyText) : [];
  const [status, detail] = parts;
  switch (status) {
    case "ok":
      return { ok: true };
    case "version_conflict":
      if (detail === null || detail === undefined || detail === "")
        return { ok: false, reason: "version_conflict", actualVersion: null };
      if (/^[0-9]+$/.test(detail)) return { ok: false, reason: "version_conflict", actualVersion: Number(detail) };
      break;
    case "open_draft_exists":
      if (typeof detail === "string" && detail !== "")
        return { ok: false, reason: "open_draft_exists", existingDraftId: detail };
      break;
    case "idempotency_key_exists":
      return { ok: false, reason: "idempotency_key_exists" };
    case "draft_exists":
      return { ok: false, reason: "draft_exists" };
  }
  throw new Error(`unexpected write reply ${JSON.stringify(parts)}`);
}

function replyText(value: unknown): string | null {
  if (typeof value === "string") return value;
  if (value instanceof Uint8Array) return new TextDecoder().decode(value);
  return null;
}
