/**
 * runners/bullmq — the BullMQ runner (`onboarding-lifecycle/runners/bullmq`): `relay.ts`
 * (`createBullMqRelay`, the dispatcher's `deliver` for a BullMQ queue, with a marker key per
 * run) and `worker.ts` (`createBullMqProcessor` / `createBullMqWorker`, which run each job
 * through the shared `runJob`).
 *
 * May import: runners/shared/, record/, store/ (`loadDriver`), engine/ (types), node built-ins;
 * bullmq with `import type`, or a dynamic `import()` through `loadDriver` when the runner
 * constructs the `Worker`.
 *
 * @module onboarding-lifecycle/runners/bullmq
 */
export {
  DEFAULT_RUN_MARKER_TTL_MS,
  bullMqRunMarkerKey,
  createBullMqRelay,
  type BullMqRelayOptions,
  type BullMqRelayQueue,
} from "./relay.js";
export {
  createBullMqProcessor,
  createBullMqWorker,
  type BullMqRunProcessor,
  type BullMqRunWorker,
  type BullMqWorkerOptions,
} from "./worker.js";
export {
  DEFAULT_HEARTBEAT_MS,
  RUN_JOB_ID_NAMESPACE,
  isRetryableReportError,
  isRunCurrent,
  parseRunJob,
  runJob,
  runJobFromEntry,
  runJobId,
  type CloseOptions,
  type DeliveryContext,
  type ReportRetryOptions,
  type RunJob,
  type RunJobResult,
  type RunOperation,
  type RunOperationContext,
  type RunRelay,
  type RunResult,
  type RunWorker,
  type RunWorkerOptions,
  type RunnerEngine,
  type RunnerEvent,
} from "../shared/index.js";
