/**
 * testing/ — the conformance kit adapter authors run under their test runner, the fast-check
 * arbitraries of drafts and commands, the model-based run, and fault-injecting store wrappers.
 *
 * May import: everything in the package except adapters. Imports fast-check (an optional peer
 * dependency needed only by this entry).
 *
 * @module onboarding-lifecycle/testing
 */
export {
  describeStoreConformance,
  assertDraftInvariants,
  freshWorkspace,
  type ConformanceHarness,
  type ConformanceOptions,
  type TestRunner,
} from "./conformance.js";
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
export { modelRunArbitrary, runModel, type DraftModel, type DraftReal } from "./model.js";
export { withFaults, type FaultOptions } from "./faults.js";
