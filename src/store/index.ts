/**
 * store/ — the storage port (`DraftStore`) and what each method promises, plus helpers shared by
 * adapters: keyset cursors, SQL identifier checks, stored-JSON parsing (idempotency records),
 * the one error wrapper and the one rejection signal, and the store's description for telemetry
 * (`StoreDescriptor`). Decoding drafts is the engine's.
 *
 * May import: vocabulary/, record/ and lifecycle/ (the codec). Never a driver, never engine/.
 */
export * from "./port.js";
export * from "./descriptor.js";
export * from "./outbox.js";
export * from "./cutoff.js";
export * from "./cursor.js";
export * from "./sql.js";
export * from "./json.js";
export * from "./errors.js";
export * from "./rejection.js";
export * from "./outbox-paging.js";
export * from "./audit-paging.js";
export * from "./admin.js";
export * from "./migrations.js";
