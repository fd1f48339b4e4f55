/**
 * vocabulary/ — the words of the onboarding lifecycle: lifecycle states, checkpoints, run
 * statuses and outcomes, lifecycle reasons and capabilities, each an `as const` object plus
 * its union type, with small pure helpers.
 *
 * May import: nothing (this is the bottom layer).
 */
export * from "./lifecycle-state.js";
export * from "./checkpoint.js";
export * from "./run.js";
export * from "./reason.js";
export * from "./capability.js";
export * from "./blocker.js";
export * from "./outbox.js";
