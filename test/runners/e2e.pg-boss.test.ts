/**
 * End to end with a real pg-boss 10 on PostgreSQL (127.0.0.1:5432; its own pg-boss schema and
 * store tables, dropped after), every side in its own process: this file is the application
 * (an engine on the PostgreSQL adapter, and the pg-boss instance that runs maintenance); a child
 * runs the dispatcher with the pg-boss relay (and `expireStuckRuns` as a dispatcher task); other
 * children run pg-boss workers. A draft goes from `start_verification` to `completed`; then a
 * worker is SIGKILLed mid-run: the run is expired, a restarted worker completes the draft, and
 * the killed worker's job, handed out again by pg-boss after its expiry, is dropped.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import PgBoss from "pg-boss";
import { createOnboardingEngine, type OnboardingEngine } from "../../src/index.js";
import { createPostgresStore, type PostgresStore } from "../../src/adapters/postgres/index.js";
import { runJobId } from "../../src/runners/pg-boss/index.js";
import { serviceAvailable, uniqueSuffix } from "../support/services.js";
import { POSTGRES_URL, dropTables, probePostgres, testPool } from "../adapters/fixtures/postgres-support.js";
import type { E2eConfig } from "./fixtures/e2e-side.js";
import { droppedLine, eventsOf, startSide, until, type Side } from "./e2e-support.js";
import { completesADraft, expectQuietSides, survivesAKill, type E2eContext } from "./e2e-scenario.js";

const up = await serviceAvailable("PostgreSQL (pg-boss end-to-end)", probePostgres);
const suffix = uniqueSuffix();
const ws = `ws-e2e-pgboss-${suffix}`;
const config: E2eConfig = {
  backend: "pg-boss",
  label: "dispatcher",
  postgresUrl: POSTGRES_URL,
  redis: { host: "127.0.0.1", port: 6379 },
  storePrefix: `pge2e_${suffix}_`,
  bossSchema: `pgboss_e2e_${suffix}`,
  bullPrefix: "unused",
  queue: "onboarding-runs",
  runLeaseMs: 2_500,
  heartbeatMs: 250,
  expireEveryMs: 300,
  mode: "succeed",
  lockDurationMs: 2_000,
  stalledIntervalMs: 1_000,
  deadlineMs: 120_000,
};
/** pg-boss hands an active job out again this long after it started (the killed worker's job). */
const EXPIRE_IN_SECONDS = 4;

describe.skipIf(!up)("end to end: pg-boss, the PostgreSQL store, one process per side", () => {
  const pool = testPool(4);
  const sides: Side[] = [];
  let store: PostgresStore;
  let engine: OnboardingEngine;
  let boss: PgBoss;
  let dispatcher: Side;
  const figures = { runs: 0, workers: 0, kills: 0, redeliveriesDropped: 0 };

  /** The queue's jobs (live and archived): id, state, retries. */
  const jobs = async (): Promise<{ id: string; state: string; retry_count: number }[]> => {
    const sql = (table: string): string =>
      `SELECT id::text, state::text, retry_count FROM ${config.bossSchema}.${table} WHERE name = $1`;
    const { rows } = await pool.query<{ id: string; state: string; retry_count: number }>(
      `${sql("job")} UNION ALL ${sql("archive")}`,
      [config.queue],
    );
    return rows;
  };

  beforeAll(async () => {
    store = createPostgresStore({ pool, tablePrefix: config.storePrefix });
    await store.migrate();
    engine = createOnboardingEngine({ store, authorize: () => true });
    // The application's pg-boss: creates the schema and the queue, and runs maintenance (expiry).
    boss = new PgBoss({
      connectionString: POSTGRES_URL,
      schema: config.bossSchema,
      max: 2,
      schedule: false,
      maintenanceIntervalSeconds: 1,
    });
    boss.on("error", (error) => console.error("app pg-boss:", error));
    await boss.start();
    await boss.createQueue(config.queue, { name: config.queue, retryLimit: 3, expireInSeconds: EXPIRE_IN_SECONDS });
    dispatcher = await startSide("dispatcher", config);
    sides.push(dispatcher);
  }, 60_000);

  afterAll(async () => {
    await Promise.all(sides.map((side) => side.stop()));
    await boss?.stop({ graceful: false, wait: true, timeout: 5_000 });
    await pool.query(`DROP SCHEMA IF EXISTS ${config.bossSchema} CASCADE`);
    await dropTables(pool, config.storePrefix);
    await pool.end();
    console.log(
      `e2e pg-boss: ${figures.runs} runs, ${figures.workers + 2} processes (app, dispatcher, ${figures.workers} workers), ` +
        `${figures.kills} worker SIGKILL survived, ${figures.redeliveriesDropped} late redelivery dropped`,
    );
  }, 60_000);

  const context = (): E2eContext => ({
    engine,
    store,
    workspaceId: ws,
    suffix,
    dispatcher,
    worker: async (label, mode) => {
      const side = await startSide("worker", { ...config, label, mode });
      sides.push(side);
      figures.workers += 1;
      return side;
    },
  });

  it("start_verification to completed: the outbox, the relay, a worker's progress and results", async () => {
    const runIds = await completesADraft(context());
    figures.runs += runIds.length;
    // Each run reached the queue exactly once: one job per run (its id the run's), all completed.
    const queued = await until(async () => {
      const found = await jobs();
      return found.length === runIds.length && found.every((job) => job.state === "completed") ? found : undefined;
    }, "the three jobs to complete in pg-boss");
    expect(queued.map((job) => job.id).sort()).toEqual(runIds.map((id) => runJobId(ws, id)).sort());
  }, 45_000);

  it("a worker SIGKILLed mid-run: the run is expired, a restarted worker completes the draft, the old job is dropped", async () => {
    const { killedRun, retryRun, restarted } = await survivesAKill(context());
    figures.kills += 1;
    figures.runs += 2;
    // pg-boss expires the killed worker's active job after EXPIRE_IN_SECONDS and hands it out
    // again: the restarted worker drops it (the run is no longer current). Had the expiry come
    // before the run.cancelled delivery, the relay would have cancelled the job (state retry).
    const oldJob = await until(async () => {
      const job = (await jobs()).find((candidate) => candidate.id === runJobId(ws, killedRun));
      return job?.state === "completed" || job?.state === "cancelled" ? job : undefined;
    }, "the killed worker's job to end in pg-boss");
    if (oldJob.state === "completed") {
      await restarted.waitFor(droppedLine(killedRun), "the killed worker's job to be dropped");
      expect(oldJob.retry_count).toBeGreaterThanOrEqual(1);
      expect(eventsOf(restarted, killedRun)).toEqual(["job_dropped"]);
      figures.redeliveriesDropped += 1;
    } else {
      expect(eventsOf(restarted, killedRun)).toEqual([]);
    }
    const states = new Map((await jobs()).map((job) => [job.id, job.state]));
    expect(states.get(runJobId(ws, retryRun))).toBe("completed");
    expect(states.size).toBe(figures.runs);
    expectQuietSides(sides);
  }, 50_000);
});
