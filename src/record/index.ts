/**
 * record/ — the zod schemas of the onboarding draft, its runs and its audit events with the
 * named interfaces they parse to (`draft.ts`, `audit.ts`; a type test keeps each equal to its
 * schema), the package's error classes, and the mapping of an audit entry to a CloudEvent
 * (`cloud-event.ts`).
 *
 * May import: vocabulary/ and zod. Nothing else. (The codec that parses stored documents lives
 * in lifecycle/, because checking and backfilling the persisted lifecycle needs the deriver.)
 */
export * from "./schema.js";
export * from "./errors.js";
export * from "./issues.js";
export * from "./audit.js";
export * from "./object.js";
export * from "./outbox.js";
export * from "./cloud-event.js";
