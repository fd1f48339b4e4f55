/**
 * testing/ — the conformance kit adapter authors run under their test runner (`conformance/`,
 * one file per section), the per-draft invariants (`invariants.ts`), the fast-check arbitraries
 * of drafts and commands, the model-based run, and fault-injecting store wrappers. The
 * dependencies point one way: the kit's sections use the model and the invariants, the model
 * uses the invariants, nothing imports the kit.
 *
 * May import: everything in the package except adapters. Imports fast-check (an optional peer
 * dependency needed only by this entry).
 *
 * @module onboarding-lifecycle/testing
 */
export {
  describeStoreConformance,
  freshWorkspace,
  type ConformanceHarness,
  type ConformanceOptions,
  type TestRunner,
} from "./conformance/index.js";
export { assertDraftInvariants } from "./invariants.js";
export { withDocument, storedDraft, type WriteFields, type DocumentField } from "./conformance/shared.js";
export { decodeStoredDraft } from "../engine/document-cache.js";
export {
  structuralDraftArbitrary,
  reachableDraftArbitrary,
  commandArbitrary,
  hostileStringArbitrary,
  timestampArbitrary,
  smallIdArbitrary,
  happyPathCommand,
  runIdsOf,
  testContext,
} from "./arbitraries.js";
export {
  modelRunArbitrary,
  runModel,
  type DraftModel,
  type DraftReal,
  type ModelKnowledge,
  type ModelIdentity,
  type ModelRun,
  type ModelWriter,
} from "./model.js";
export { withFaults, type FaultOptions } from "./faults.js";
