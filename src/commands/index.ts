/**
 * commands/ — one module per command (input schema, required capabilities, guard and immer
 * recipe), the discriminated union of all commands, and the pure reducer `applyCommand` that
 * turns (draft, command, context) into the next draft with a re-derived lifecycle.
 *
 * May import: vocabulary/, record/, lifecycle/, zod and immer. Never engine/, store/ or an adapter.
 */
export * from "./define.js";
export * from "./identify.js";
export * from "./select-provider.js";
export * from "./update-provider-connection.js";
export * from "./start-verification.js";
export * from "./record-verification-result.js";
export * from "./start-bootstrap.js";
export * from "./record-bootstrap-result.js";
export * from "./activate.js";
export * from "./cancel.js";
export * from "./run-reports.js";
export * from "./reducer.js";
export * from "./create.js";
