/**
 * runners/pg-boss — the pg-boss runner (`onboarding-lifecycle/runners/pg-boss`): `relay.ts`
 * (`createPgBossRelay`, the dispatcher's `deliver` for a pg-boss queue) and `worker.ts`
 * (`createPgBossWorker`, which runs each job through the shared `runJob`).
 *
 * May import: runners/shared/, record/, engine/ (types), node built-ins; pg-boss only with
 * `import type` (the caller passes its own started instance).
 *
 * @module onboarding-lifecycle/runners/pg-boss
 */
export { createPgBossRelay, type PgBossRelayClient, type PgBossRelayOptions } from "./relay.js";
export { createPgBossWorker, type PgBossWorkClient, type PgBossWorkerOptions } from "./worker.js";
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
