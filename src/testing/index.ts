/**
 * testing/ — the conformance kit adapter authors run under their test runner (`conformance/`,
 * one file per section), the per-draft invariants (`invariants.ts`), the fast-check arbitraries
 * of drafts and commands, the model-based run, fault-injecting store wrappers (`faults/`) and a
 * linearizability checker of concurrent histories (`linearizability/`). The dependencies point
 * one way: the kit's sections use the model, the invariants, the faults and the checker; the
 * model uses the invariants; nothing imports the kit.
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
export {
  injectFaults,
  withFaults,
  injectedFaultOf,
  InjectedFault,
  formatFault,
  FAULT_KINDS,
  type FaultController,
  type FaultCounts,
  type FaultKind,
  type FaultOptions,
  type FaultPlan,
  type FaultRecord,
  type FaultyStore,
  type StoreMethod,
} from "./faults/index.js";
export {
  assertLinearizable,
  checkLinearizability,
  checkModelLinearizability,
  createDraftHistory,
  createHistory,
  draftDigest,
  draftPartition,
  mergeHistories,
  recordingEngine,
  wallClock,
  type Counterexample,
  type DraftHistory,
  type DraftOperation,
  type History,
  type HistoryOperation,
  type HistoryOptions,
  type LinearizabilityModel,
  type LinearizabilityOptions,
  type LinearizabilityResult,
  type LinearizabilityVerdict,
  type MergeHistoriesOptions,
  type OperationStatus,
  type PartitionVerdict,
  type RecordingEngine,
  type RegisterCheckOptions,
  type RegisterInput,
  type RegisterOutput,
  type RegisterStart,
} from "./linearizability/index.js";
