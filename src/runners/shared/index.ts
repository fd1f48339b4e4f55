/**
 * runners/shared — what the queue runners share: the job payload of a run and its job id
 * (`job.ts`), the one worker pipeline `runJob` (`worker.ts`, its types in `types.ts`: check the run is current, report
 * `running`, run the operation under a heartbeat, report the result until it lands), the
 * heartbeat (`heartbeat.ts`) and the report retry (`report.ts`). Not an entry point of its own:
 * each runner's subpath re-exports it.
 *
 * May import: vocabulary/, record/, lifecycle/, commands/ and engine/ (types only), and node
 * built-ins. Never a queue library or a driver.
 */
export { RUN_JOB_ID_NAMESPACE, parseRunJob, runJobFromEntry, runJobId, type RunJob } from "./job.js";
export { isRetryableReportError, type ReportRetryOptions } from "./report.js";
export { DEFAULT_HEARTBEAT_MS } from "./heartbeat.js";
export { isRunCurrent, runJob } from "./worker.js";
export {
  type RunJobResult,
  type RunOperation,
  type RunOperationContext,
  type RunResult,
  type RunWorkerOptions,
  type RunnerEngine,
  type RunnerEvent,
} from "./types.js";
export { type DeliveryContext, type RunRelay } from "./relay.js";
export { type CloseOptions, type RunWorker } from "./tracker.js";
