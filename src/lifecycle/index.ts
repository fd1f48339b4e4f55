/**
 * lifecycle/ — the pure core: the lifecycle deriver (the decision table), the readiness
 * evaluator, the stage resolver, the UI presenter and the record codec. No clock, no
 * randomness, no I/O: every input is an argument.
 *
 * May import: vocabulary/, record/ and zod. Never commands/, engine/, store/ or an adapter.
 */
export * from "./derive.js";
export * from "./readiness.js";
export * from "./stage.js";
export * from "./presenter.js";
export * from "./codec.js";
