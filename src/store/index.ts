/**
 * store/ — the storage port (`DraftStore`) and what each method promises, plus helpers shared by
 * adapters: keyset cursors and SQL identifier checks.
 *
 * May import: vocabulary/ and record/. Never a driver, never engine/.
 */
export * from "./port.js";
export * from "./cursor.js";
export * from "./sql.js";
export * from "./json.js";
export * from "./errors.js";
