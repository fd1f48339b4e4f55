import type PgBoss from "pg-boss";
import type { Actor } from "../../engine/index.js";
import { parseRunJob } from "../shared/job.js";
import { runJob } from "../shared/worker.js";
import type { RunWorkerOptions } from "../shared/types.js";
import { createJobTracker, type RunWorker } from "../shared/tracker.js";

/** The pg-boss methods the worker calls (a started `PgBoss` instance fits). */
export type PgBossWorkClient = Pick<PgBoss, "work" | "offWork">;

/** Options of {@link createPgBossWorker}. */
export interface PgBossWorkerOptions<TActor extends Actor = Actor> extends RunWorkerOptions<TActor> {
  /** Your started pg-boss instance. */
  readonly boss: PgBossWorkClient;
  /** The queue the relay sends to. */
  readonly queue: string;
  /** How many jobs run at once (one `boss.work` subscription each). Default 1. */
  readonly concurrency?: number;
  /** Polling interval of each subscription, in seconds (pg-boss's `pollingIntervalSeconds`). */
  readonly pollingIntervalSeconds?: number;
}

/**
 * A pg-boss worker for runs: subscribes to `queue` and runs each job through {@link runJob}
 * (check the run is current, report `running`, heartbeat, report the result until it lands).
 * A job whose run is no longer current completes without running. A job fails in pg-boss (and
 * is retried by its `retryLimit`) only when it cannot be handled: no such operation, a
 * non-retryable report error, or a forced close.
 *
 * pg-boss expires an active job after its `expireInSeconds` (default 15 minutes) and hands it
 * out again: set it above your longest run, or a second worker may start a run still running.
 *
 * @example
 * ```ts
 * declare const boss: import("pg-boss");
 * const worker = await createPgBossWorker({
 *   boss,
 *   queue: "onboarding-runs",
 *   engine,
 *   actor: { id: "verification-worker" },
 *   operations: {
 *     verify_access: async (job, { signal, progress }) => {
 *       await progress("checking the tenant's consent", 50);
 *       return signal.aborted ? { outcome: "cancelled" } : { outcome: "succeeded" };
 *     },
 *   },
 * });
 * // on shutdown: waits for running jobs (and their result reports)
 * await worker.close();
 * ```
 */
export async function createPgBossWorker<TActor extends Actor>(
  options: PgBossWorkerOptions<TActor>,
): Promise<RunWorker> {
  const tracker = createJobTracker();
  const handler = async (jobs: PgBoss.Job<unknown>[]): Promise<void> => {
    for (const job of jobs) {
      await tracker.track((signal) => runJob(parseRunJob(job.data), options, signal));
    }
  };
  const workOptions = {
    batchSize: 1,
    ...(options.pollingIntervalSeconds === undefined ? {} : { pollingIntervalSeconds: options.pollingIntervalSeconds }),
  };
  const ids: string[] = [];
  for (let i = 0; i < Math.max(1, options.concurrency ?? 1); i += 1) {
    ids.push(await options.boss.work<unknown>(options.queue, workOptions, handler));
  }
  return {
    async close(closeOptions) {
      await Promise.all(ids.map((id) => options.boss.offWork({ id })));
      await tracker.close(closeOptions);
    },
  };
}
