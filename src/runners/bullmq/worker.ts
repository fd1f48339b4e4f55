import type { ConnectionOptions, Worker, WorkerOptions } from "bullmq";
import { loadDriver } from "../../store/index.js";
import type { Actor } from "../../engine/index.js";
import { parseRunJob } from "../shared/job.js";
import { runJob } from "../shared/worker.js";
import type { RunJobResult, RunWorkerOptions } from "../shared/types.js";
import { createJobTracker, type JobTracker, type RunWorker } from "../shared/tracker.js";

/** A BullMQ processor: what `new Worker(name, processor, options)` takes. */
export type BullMqRunProcessor = (
  job: {
    /** The job's data (a run payload put there by the relay). */
    readonly data: unknown;
  },
  token?: string,
  signal?: AbortSignal,
) => Promise<RunJobResult>;

/** Options of {@link createBullMqWorker}. */
export interface BullMqWorkerOptions<TActor extends Actor = Actor> extends RunWorkerOptions<TActor> {
  /** The Redis connection of the worker (BullMQ opens its own blocking connection from it). */
  readonly connection: ConnectionOptions;
  /** The queue's name (the relay's queue). */
  readonly queue: string;
  /** How many jobs run at once. Default 1. */
  readonly concurrency?: number;
  /** Further BullMQ worker options (`prefix`, `lockDuration`, ...). */
  readonly workerOptions?: Omit<WorkerOptions, "connection" | "concurrency" | "autorun">;
}

/** A running BullMQ runner worker. */
export interface BullMqRunWorker extends RunWorker {
  /** The BullMQ worker (for its events: `failed`, `error`, ...). */
  readonly worker: Worker;
}

/** One signal aborted when either is (`AbortSignal.any` needs Node 20.3). */
function eitherSignal(first: AbortSignal, second: AbortSignal | undefined): AbortSignal {
  if (second === undefined) return first;
  const controller = new AbortController();
  const abort = (signal: AbortSignal) => () => controller.abort(signal.reason);
  for (const signal of [first, second]) {
    if (signal.aborted) abort(signal)();
    else signal.addEventListener("abort", abort(signal), { once: true });
  }
  return controller.signal;
}

/** The processor behind a tracker (shared by the two factories). */
function processorOf<TActor extends Actor>(options: RunWorkerOptions<TActor>, tracker: JobTracker): BullMqRunProcessor {
  return (job, _token, signal) =>
    tracker.track((closing) => runJob(parseRunJob(job.data), options, eitherSignal(closing, signal)));
}

/**
 * A BullMQ processor for runs, for a `Worker` you construct yourself: runs each job through
 * {@link runJob} (check the run is current, report `running`, heartbeat, report the result
 * until it lands). The job's return value is what `runJob` did.
 *
 * @example
 * ```ts
 * import { Worker } from "bullmq";
 *
 * const processor = createBullMqProcessor({
 *   engine,
 *   actor: { id: "verification-worker" },
 *   operations: { verify_access: async () => ({ outcome: "succeeded" }) },
 * });
 * const worker = new Worker("onboarding-runs", processor, { connection: { host: "127.0.0.1", port: 6379 } });
 * ```
 */
export function createBullMqProcessor<TActor extends Actor>(options: RunWorkerOptions<TActor>): BullMqRunProcessor {
  return processorOf(options, createJobTracker());
}

/**
 * A BullMQ worker for runs: loads `bullmq` (an optional peer dependency; a `ConfigurationError`
 * naming it when it is not installed), starts a `Worker` on `queue` with the
 * {@link createBullMqProcessor} processor, and closes gracefully: `close()` stops taking jobs
 * and waits for the running ones, result reports included.
 *
 * @example
 * ```ts
 * const runner = await createBullMqWorker({
 *   connection: { host: "127.0.0.1", port: 6379 },
 *   queue: "onboarding-runs",
 *   engine,
 *   actor: { id: "verification-worker" },
 *   operations: { verify_access: async (job, { progress }) => (await progress("checking"), { outcome: "succeeded" }) },
 * });
 * await runner.close();
 * ```
 */
export async function createBullMqWorker<TActor extends Actor>(
  options: BullMqWorkerOptions<TActor>,
): Promise<BullMqRunWorker> {
  const bullmq = await loadDriver("bullmq", "connection", () => import("bullmq"));
  const tracker = createJobTracker();
  const worker = new bullmq.Worker(options.queue, processorOf(options, tracker), {
    ...options.workerOptions,
    connection: options.connection,
    concurrency: Math.max(1, options.concurrency ?? 1),
  });
  return {
    worker,
    async close(closeOptions) {
      const force = closeOptions?.force === true;
      const stopped = worker.close(force);
      await tracker.close(closeOptions);
      await stopped;
    },
  };
}
