/**
 * engine/ — orchestration: validate -> authorize -> guard -> reduce -> re-derive -> one
 * version-checked commit with its audit entry and idempotency record; retries of background
 * results; idempotent replays; conflict and denial audit entries.
 *
 * May import: vocabulary/, record/, lifecycle/, commands/ and the store port (store/). Never a
 * driver or an adapter.
 */
export * from "./engine.js";
export * from "./types.js";
export { toIso } from "./defaults.js";
