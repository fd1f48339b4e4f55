/**
 * linearizability/ — a linearizability checker for the draft's version register, in the manner
 * of Porcupine and Knossos (none exists for JavaScript): record every concurrent operation's
 * invocation and outcome (`history.ts`, or `engine.ts` for an engine's calls), split the history
 * per draft, and search each draft's part for a linearization (`search.ts`: Wing and Gong's
 * algorithm with Lowe's memoization) under a sequential specification (`model.ts`;
 * `register.ts` is the draft's). A failure is explained by a shrunk counterexample
 * (`counterexample.ts`).
 *
 * May import: the package's engine, lifecycle, commands and record (for `engine.ts` only);
 * node built-ins. The search itself imports nothing.
 */
export {
  createHistory,
  mergeHistories,
  wallClock,
  type History,
  type HistoryOperation,
  type HistoryOptions,
  type MergeHistoriesOptions,
  type OperationStatus,
} from "./history.js";
export type { LinearizabilityModel } from "./model.js";
export type { RegisterInput, RegisterOutput, RegisterStart } from "./register.js";
export type { Counterexample } from "./counterexample.js";
export {
  assertLinearizable,
  checkLinearizability,
  checkModelLinearizability,
  type LinearizabilityOptions,
  type LinearizabilityResult,
  type LinearizabilityVerdict,
  type PartitionVerdict,
  type RegisterCheckOptions,
} from "./check.js";
export {
  createDraftHistory,
  draftDigest,
  draftPartition,
  recordingEngine,
  type DraftHistory,
  type DraftOperation,
  type RecordingEngine,
} from "./engine.js";
