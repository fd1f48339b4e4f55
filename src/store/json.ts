import { CorruptRecordError } from "../record/index.js";

/**
 * Parses a stored JSON value (text or a driver's `Buffer`) for a `DraftStore` read. Text that is
 * not JSON, and the JSON literal `null` (which a read would otherwise turn into "no such
 * record"), are reported as `CorruptRecordError`; every other value is returned raw for the
 * engine to validate.
 *
 * @param raw the stored value: a string, a `Buffer`, or anything else (stringified)
 * @param what what the value is, for the message (`draft document`, `audit entry`, ...)
 * @param recordId the record's id, if known
 *
 * @example
 * ```ts
 * import Database from "better-sqlite3";
 * const db = new Database(":memory:");
 * const id = "draft-1";
 * const row = db.prepare("select document from drafts where id = ?").get(id) as { document: string } | undefined;
 * const document = row === undefined ? null : parseStoredJson(row.document, "draft document", id);
 * ```
 */
export function parseStoredJson(raw: unknown, what: string, recordId: string | null): unknown {
  const text = typeof raw === "string" ? raw : raw instanceof Uint8Array ? new TextDecoder().decode(raw) : String(raw);
  let value: unknown;
  try {
    value = JSON.parse(text) as unknown;
  } catch (error) {
    throw new CorruptRecordError(
      [{ code: "invalid_json", path: [], message: `stored ${what} is not JSON: ${(error as Error).message}` }],
      recordId,
    );
  }
  if (value === null) {
    throw new CorruptRecordError(
      [{ code: "invalid_type", path: [], message: `stored ${what} is JSON null` }],
      recordId,
    );
  }
  return value;
}
