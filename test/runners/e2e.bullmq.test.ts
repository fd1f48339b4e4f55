/**
 * End to end with a real BullMQ 6 on Redis (127.0.0.1:6379; its own BullMQ prefix and store key
 * prefix, removed after), every side in its own process: this file is the application (an engine
 * on the Redis adapter, and a BullMQ `Queue` to inspect the jobs); a child runs the dispatcher
 * with the BullMQ relay (and `expireStuckRuns` as a dispatcher task); other children run BullMQ
 * workers (short locks, so a killed worker's job is found stalled quickly). A draft goes from
 * `start_verification` to `completed`; then a worker is SIGKILLed mid-run: the run is expired, a
 * restarted worker completes the draft and, finding the killed worker's job stalled, runs it
 * again and drops it (the run is no longer current).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Queue } from "bullmq";
import type { Redis } from "ioredis";
import { createOnboardingEngine, type OnboardingEngine } from "../../src/index.js";
import { createRedisStore, type RedisStore } from "../../src/adapters/redis/index.js";
import { bullMqRunMarkerKey, runJobId } from "../../src/runners/bullmq/index.js";
import { serviceAvailable, uniqueSuffix } from "../support/services.js";
import {
  REDIS_HOST,
  REDIS_PORT,
  deleteKeysMatching,
  deleteKeysWithPrefix,
  probeRedis,
  standaloneClient,
} from "../adapters/fixtures/redis-harness.js";
import { POSTGRES_URL } from "../adapters/fixtures/postgres-support.js";
import type { E2eConfig } from "./fixtures/e2e-side.js";
import { droppedLine, eventsOf, startSide, until, type Side } from "./e2e-support.js";
import { completesADraft, expectQuietSides, survivesAKill, type E2eContext } from "./e2e-scenario.js";

const up = await serviceAvailable("Redis (BullMQ end-to-end)", probeRedis);
const suffix = uniqueSuffix();
const ws = `ws-e2e-bullmq-${suffix}`;
const config: E2eConfig = {
  backend: "bullmq",
  label: "dispatcher",
  postgresUrl: POSTGRES_URL,
  redis: { host: REDIS_HOST, port: REDIS_PORT },
  storePrefix: `ol-e2e-${suffix}`,
  bossSchema: "unused",
  bullPrefix: `ol-e2e-bull-${suffix}`,
  queue: "onboarding-runs",
  runLeaseMs: 2_500,
  heartbeatMs: 250,
  expireEveryMs: 300,
  mode: "succeed",
  lockDurationMs: 2_000,
  stalledIntervalMs: 1_000,
  deadlineMs: 120_000,
};

describe.skipIf(!up)("end to end: BullMQ, the Redis store, one process per side", () => {
  const sides: Side[] = [];
  let client: Redis;
  let store: RedisStore;
  let engine: OnboardingEngine;
  let queue: Queue;
  let dispatcher: Side;
  const figures = { runs: 0, workers: 0, kills: 0, redeliveriesDropped: 0 };

  /** A run's job: its state and what the worker's processor returned. */
  const jobOf = async (runId: string): Promise<{ state: string; returnvalue: unknown } | undefined> => {
    const job = await queue.getJob(runJobId(ws, runId));
    return job === undefined ? undefined : { state: await job.getState(), returnvalue: job.returnvalue as unknown };
  };
  const jobCount = async (): Promise<number> =>
    Object.values(await queue.getJobCounts()).reduce((sum, count) => sum + count, 0);

  beforeAll(async () => {
    client = standaloneClient();
    store = createRedisStore({ client, keyPrefix: config.storePrefix });
    engine = createOnboardingEngine({ store, authorize: () => true });
    queue = new Queue(config.queue, {
      connection: { ...config.redis, maxRetriesPerRequest: null },
      prefix: config.bullPrefix,
    });
    await queue.waitUntilReady();
    dispatcher = await startSide("dispatcher", config);
    sides.push(dispatcher);
  }, 60_000);

  afterAll(async () => {
    await Promise.all(sides.map((side) => side.stop()));
    await queue?.close();
    if (client !== undefined) {
      await deleteKeysWithPrefix(client, config.storePrefix);
      await deleteKeysMatching(client, `${config.bullPrefix}:*`);
      await client.quit();
    }
    console.log(
      `e2e BullMQ: ${figures.runs} runs, ${figures.workers + 2} processes (app, dispatcher, ${figures.workers} workers), ` +
        `${figures.kills} worker SIGKILL survived, ${figures.redeliveriesDropped} stalled job dropped`,
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
    for (const runId of runIds) {
      const job = await until(async () => {
        const found = await jobOf(runId);
        return found?.state === "completed" ? found : undefined;
      }, `run ${runId}'s job to complete`);
      expect(job.returnvalue).toMatchObject({ status: "completed", outcome: "succeeded", feedback: "recorded" });
      expect(await client.get(bullMqRunMarkerKey(queue, runJobId(ws, runId)))).toBe("requested");
    }
    expect(await jobCount()).toBe(runIds.length);
  }, 45_000);

  it("a worker SIGKILLed mid-run: the run is expired, a restarted worker completes the draft, the stalled job is dropped", async () => {
    const { killedRun, retryRun, restarted } = await survivesAKill(context());
    figures.kills += 1;
    figures.runs += 2;
    // The run.cancelled came while the job was active: the marker says cancelled, the job was left.
    expect(await client.get(bullMqRunMarkerKey(queue, runJobId(ws, killedRun)))).toBe("cancelled");
    // The killed worker's lock lapses; the restarted worker finds the job stalled, takes it
    // again, and drops it: the run is no longer current.
    await restarted.waitFor(droppedLine(killedRun), "the stalled job to be dropped");
    figures.redeliveriesDropped += 1;
    expect(eventsOf(restarted, killedRun)).toEqual(["job_dropped"]);
    const old = await until(async () => {
      const found = await jobOf(killedRun);
      return found?.state === "completed" ? found : undefined;
    }, "the stalled job to complete");
    expect(old.returnvalue).toEqual({ status: "dropped", reason: "not_current" });
    expect((await jobOf(retryRun))?.state).toBe("completed");
    expect(await jobCount()).toBe(figures.runs);
    expectQuietSides(sides);
  }, 50_000);
});
