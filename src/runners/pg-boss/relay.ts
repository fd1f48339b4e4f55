import type PgBoss from "pg-boss";
import type { OutboxRecord } from "../../record/index.js";
import { runJobFromEntry, runJobId } from "../shared/job.js";
import type { RunRelay } from "../shared/relay.js";

/** The pg-boss methods the relay calls (a started `PgBoss` instance fits). */
export type PgBossRelayClient = Pick<PgBoss, "send" | "getJobById" | "cancel">;

/** Options of {@link createPgBossRelay}. */
export interface PgBossRelayOptions {
  /** Your started pg-boss instance (the runner never opens a connection of its own). */
  readonly boss: PgBossRelayClient;
  /** The pg-boss queue the runs go to (create it first: `await boss.createQueue(name)`). */
  readonly queue: string;
  /** Options of every `send` (retries, expiry, priority); the job `id` is always the run's. */
  readonly sendOptions?: Omit<PgBoss.SendOptions, "id" | "db">;
}

/** Job states in which a job has not started yet, so cancelling it loses no work. */
const NOT_STARTED: ReadonlySet<string> = new Set(["created", "retry"]);

/**
 * The relay to pg-boss: the dispatcher's `deliver`. A `run.requested` entry is sent as one job
 * whose payload is the run ({@link RunJob}) and whose id is {@link runJobId} of the run, so a
 * redelivered entry never enqueues twice: the job is looked up first (archive included), and a
 * second `send` with the same id is a no-op in pg-boss. A `run.cancelled` entry cancels the
 * run's job while it is `created` or `retry`; a job already running is left to its worker,
 * whose next heartbeat is ignored, which aborts it.
 *
 * @example
 * ```ts
 * import PgBoss from "pg-boss";
 *
 * const boss = new PgBoss({ connectionString: "postgres://127.0.0.1/app" });
 * await boss.start();
 * await boss.createQueue("onboarding-runs");
 * const deliver = createPgBossRelay({ boss, queue: "onboarding-runs", sendOptions: { retryLimit: 5 } });
 * ```
 */
export function createPgBossRelay(options: PgBossRelayOptions): RunRelay {
  const { boss, queue } = options;
  return async (entry: OutboxRecord): Promise<void> => {
    const id = runJobId(entry.workspaceId, entry.runId);
    if (entry.kind === "run.requested") {
      if ((await boss.getJobById(queue, id, { includeArchive: true })) !== null) return;
      await boss.send(queue, { ...runJobFromEntry(entry) }, { ...options.sendOptions, id });
      return;
    }
    const job = await boss.getJobById(queue, id);
    if (job !== null && NOT_STARTED.has(job.state)) await boss.cancel(queue, id);
  };
}
