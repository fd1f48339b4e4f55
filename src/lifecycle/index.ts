/**
 * lifecycle/ — the pure core: the lifecycle deriver (the decision table), the readiness
 * evaluator, the stage resolver, the UI presenter, the Mermaid rendering of the lifecycle
 * diagram, and the record codec. The codec is one concern per file: `upgrade.ts` (legacy
 * documents), `parse.ts` (validation into sealed drafts), `sealed.ts` (the sealed-draft
 * registry), `seal.ts` (incremental sealing of a command's result) and `encode.ts` (canonical
 * JSON), with the field lists they share derived from the schema in `draft-shape.ts`. No clock,
 * no randomness, no I/O: every input is an argument.
 *
 * May import: vocabulary/, record/ and zod. Never commands/, engine/, store/ or an adapter.
 */
export * from "./derive.js";
export * from "./readiness.js";
export * from "./stage.js";
export * from "./presenter.js";
export * from "./diagram.js";
// The codec: named exports, so the folder-internal helpers (registering a sealed draft, the
// lifecycle check) stay inside lifecycle/.
export { upgradeDraft } from "./upgrade.js";
export { parseDraft, safeParseDraft } from "./parse.js";
export { isSealedDraft } from "./sealed.js";
export { sealDraft } from "./seal.js";
export { canonicalDraft, encodeDraft } from "./encode.js";
