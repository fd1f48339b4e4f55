/**
 * examples/worker — the worker side of background runs: the application's operations, run by the
 * BullMQ runner (`createBullMqWorker`).
 *
 * The engine never runs cloud work itself. An operator's `start_verification` / `start_bootstrap`
 * commits a `run.requested` outbox entry with the draft; the dispatcher (`dispatch.ts`) moves it
 * to a BullMQ queue; the runner's worker takes the job, checks the run is still current, reports
 * `running`, calls the operation below with a heartbeat (and every `progress()` it reports), and
 * sends the result until it lands. What the application writes is only the operations: one
 * function per operation name, calling the provider's API.
 *
 * A report on a run that is no longer current (the operator edited the provider connection
 * meanwhile, started a newer run, or the draft became terminal) is answered with an `ignored_*`
 * feedback and changes nothing; the runner then drops the job.
 *
 * In an app the imports are `onboarding-lifecycle` and `onboarding-lifecycle/runners/bullmq`.
 */
import type { ConnectionOptions } from "bullmq";
import type { Actor, Feedback, MutationResult, WorkerExecuteOptions } from "../../src/index.js";
import {
  createBullMqWorker,
  type BullMqRunWorker,
  type RunJob,
  type RunOperation,
  type RunResult,
  type RunnerEngine,
  type RunnerEvent,
} from "../../src/runners/bullmq/index.js";

/** The queue both sides use (the relay adds to it, the worker takes from it). */
export const RUNS_QUEUE = "onboarding-runs";

/** The bootstrap operations this app knows (`start_bootstrap` names some of them). */
export const BOOTSTRAP_OPERATIONS = ["create_admin_group", "assign_baseline_policies"] as const;

/**
 * The provider's API as the operations call it. Simulated in this example (see
 * {@link simulatedProvider}); in an app, HTTP calls to the cloud provider that honour `signal`.
 */
export interface ProviderApi {
  /** Checks the permissions granted to the connection. */
  checkAccess(job: RunJob, signal: AbortSignal): Promise<RunResult>;
  /** Executes one bootstrap step (`job.operation`). */
  runStep(job: RunJob, signal: AbortSignal): Promise<RunResult>;
}

/** Waits `ms`, or rejects as soon as `signal` aborts. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  const reason = (): Error => (signal.reason instanceof Error ? signal.reason : new Error("aborted"));
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(reason());
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", abort);
      resolve();
    }, ms);
    const abort = (): void => {
      clearTimeout(timer);
      reject(reason());
    };
    signal.addEventListener("abort", abort, { once: true });
  });
}

/** A provider whose calls take `delayMs` and succeed. */
export function simulatedProvider(delayMs = 20): ProviderApi {
  return {
    checkAccess: async (_job, signal) => (await pause(delayMs, signal), { outcome: "succeeded" }),
    runStep: async (job, signal) => (
      await pause(delayMs, signal),
      { outcome: "succeeded", message: `${job.operation} done` }
    ),
  };
}

/**
 * The application's operations: `verify_access` and every bootstrap operation, each reporting
 * its progress through the runner's `progress()` (a heartbeat that never bumps the draft version).
 * A throw is reported by the runner as outcome `failed` with the error's message.
 */
export function createOperations(provider: ProviderApi): Readonly<Record<string, RunOperation>> {
  const verifyAccess: RunOperation = async (job, { signal, progress }) => {
    await progress(`reading the consent of connection ${job.providerConnectionId}`, 10);
    // The slow call. The heartbeat goes on meanwhile (every `heartbeatMs`); if the run stops
    // being current, `signal` aborts and the call should give up.
    return provider.checkAccess(job, signal);
  };
  const step: RunOperation = async (job, { signal, progress }) => {
    await progress(`${job.operation}: calling the provider`, 50);
    return provider.runStep(job, signal);
  };
  const operations: Record<string, RunOperation> = { verify_access: verifyAccess };
  for (const name of BOOTSTRAP_OPERATIONS) operations[name] = step;
  return operations;
}

/** One report the worker sent, with the engine's answer (for the log). */
export interface WorkerReport {
  readonly workspaceId: string;
  readonly draftId: string;
  readonly runId: string;
  /** `record_verification_result`, `record_bootstrap_progress`, ... */
  readonly type: string;
  /** `running` / `completed <outcome>` for a result, `<percent>% <message>` for progress. */
  readonly detail: string;
  /** The engine's feedback: `recorded`, `ignored_stale_result`, ... */
  readonly feedback: Feedback;
  /** The draft's version after the report (progress never changes it). */
  readonly version: number;
  readonly state: MutationResult["state"];
}

/** Reads a field of a command the runner sent (its heartbeats are typed `unknown`). */
function field(command: unknown, name: string): unknown {
  return typeof command === "object" && command !== null ? (command as Record<string, unknown>)[name] : undefined;
}

/** What a `record_*` command said, for {@link WorkerReport.detail}. */
function detailOf(command: unknown): string {
  const type = String(field(command, "type"));
  if (type.endsWith("_result")) {
    const status = String(field(command, "status"));
    return status === "completed" ? `completed ${String(field(command, "outcome"))}` : status;
  }
  const percent = field(command, "percent");
  const message = field(command, "message");
  return [typeof percent === "number" ? `${percent}%` : "", typeof message === "string" ? message : ""]
    .filter((part) => part !== "")
    .join(" ");
}

/**
 * The engine as the worker uses it, telling `onReport` every report it sends and the answer: the
 * runner's own events say what it did with a job, this says what the engine said to each report.
 */
export function withReportLog<TActor extends Actor>(
  engine: RunnerEngine<TActor>,
  onReport: (report: WorkerReport) => void,
): RunnerEngine<TActor> {
  const execute = async (
    workspaceId: string,
    draftId: string,
    command: unknown,
    options: WorkerExecuteOptions<TActor>,
  ): Promise<MutationResult> => {
    const result = await engine.execute(workspaceId, draftId, command, options);
    onReport({
      workspaceId,
      draftId,
      runId: String(field(command, "runId")),
      type: String(field(command, "type")),
      detail: detailOf(command),
      feedback: result.feedback,
      version: result.version,
      state: result.state,
    });
    return result;
  };
  return {
    get: (workspaceId, draftId, options) => engine.get(workspaceId, draftId, options),
    // One implementation behind the engine's overloads (the runner sends worker commands only).
    execute,
  };
}

/** Options of {@link startWorker}. */
export interface StartWorkerOptions<TActor extends Actor> {
  /** The engine, on the application's store. */
  readonly engine: RunnerEngine<TActor>;
  /** The worker's service identity: needs `view` and `record_result`. */
  readonly actor: TActor;
  /** Redis, for BullMQ (`maxRetriesPerRequest: null`, as BullMQ's workers require). */
  readonly connection: ConnectionOptions;
  /** BullMQ's key prefix (default `bull`); the relay's queue must use the same. */
  readonly prefix?: string;
  /** The provider's API (default {@link simulatedProvider}). */
  readonly provider?: ProviderApi;
  /** Jobs at once (default 2). */
  readonly concurrency?: number;
  /** Heartbeat interval (default the runner's 10 s). */
  readonly heartbeatMs?: number;
  /** The runner's events: `run_started`, `run_completed`, `job_dropped`, ... */
  readonly onEvent?: (event: RunnerEvent) => void;
  /** Every report and the engine's answer. */
  readonly onReport?: (report: WorkerReport) => void;
}

/** Starts a worker on {@link RUNS_QUEUE}; `close()` stops taking jobs and waits for the running ones. */
export function startWorker<TActor extends Actor>(options: StartWorkerOptions<TActor>): Promise<BullMqRunWorker> {
  const { onReport, onEvent, heartbeatMs } = options;
  return createBullMqWorker({
    connection: options.connection,
    queue: RUNS_QUEUE,
    concurrency: options.concurrency ?? 2,
    ...(options.prefix === undefined ? {} : { workerOptions: { prefix: options.prefix } }),
    engine: onReport === undefined ? options.engine : withReportLog(options.engine, onReport),
    actor: options.actor,
    operations: createOperations(options.provider ?? simulatedProvider()),
    ...(heartbeatMs === undefined ? {} : { heartbeatMs }),
    ...(onEvent === undefined ? {} : { onEvent }),
  });
}
