/**
 * adapters/memory — the embedded default store: everything in process memory, stored as
 * canonical JSON strings so callers can never alias what is stored.
 *
 * May import: vocabulary/, record/, lifecycle/ (the codec) and store/. Never engine/.
 *
 * @module onboarding-lifecycle/adapters/memory
 */
export * from "./store.js";
