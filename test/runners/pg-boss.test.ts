/**
 * The pg-boss runner against a real pg-boss 10 on PostgreSQL (127.0.0.1:5432, its own schema
 * `pgboss_runners_<random>`, dropped after): relay dedupe and cancel, and the worker's full path
 * against an engine on the memory store, including a job whose run was superseded.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pg from "pg";
import PgBoss from "pg-boss";
import { createPgBossRelay, createPgBossWorker, runJobId, type RunWorker } from "../../src/runners/pg-boss/index.js";
import { serviceAvailable, uniqueSuffix } from "../support/services.js";
import { POSTGRES_URL, probePostgres } from "../adapters/fixtures/postgres-support.js";
import { eventLog, eventually, memoryEngine, operator, outboxRecord, startedVerification, worker } from "./support.js";

const up = await serviceAvailable("PostgreSQL (pg-boss runner)", probePostgres);
const schema = `pgboss_runners_${uniqueSuffix()}`;
const ws = `ws-pgboss-${uniqueSuffix()}`;

describe.skipIf(!up)("pg-boss runner", () => {
  let boss: PgBoss;
  let queueCount = 0;
  const newQueue = async (): Promise<string> => {
    queueCount += 1;
    const name = `runs-${queueCount}`;
    await boss.createQueue(name);
    return name;
  };

  beforeAll(async () => {
    boss = new PgBoss({ connectionString: POSTGRES_URL, schema, max: 4, supervise: false, schedule: false });
    boss.on("error", () => undefined);
    await boss.start();
  });

  afterAll(async () => {
    await boss?.stop({ graceful: false, wait: true, timeout: 5_000 });
    const client = new pg.Client({ connectionString: POSTGRES_URL });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await client.end();
  });

  it("sends one job per run, however often the entry is delivered", async () => {
    const queue = await newQueue();
    const deliver = createPgBossRelay({ boss, queue });
    const entry = outboxRecord(ws, "draft-1", "run-1");
    await deliver(entry);
    await deliver(entry);
    await deliver({ ...entry, attempts: 2 });
    expect(await boss.getQueueSize(queue)).toBe(1);
    const job = await boss.getJobById<Record<string, unknown>>(queue, runJobId(ws, "run-1"));
    expect(job?.data).toMatchObject({
      workspaceId: ws,
      draftId: "draft-1",
      runId: "run-1",
      operation: "verify_access",
    });
    // still none new after the job ran and completed
    const [fetched] = await boss.fetch(queue);
    expect(fetched?.id).toBe(runJobId(ws, "run-1"));
    await boss.complete(queue, runJobId(ws, "run-1"));
    await deliver(entry);
    expect(await boss.getQueueSize(queue)).toBe(0);
    expect((await boss.getJobById(queue, runJobId(ws, "run-1")))?.state).toBe("completed");
  });

  it("cancels a job that has not started; a cancelled entry for an unknown job changes nothing", async () => {
    const queue = await newQueue();
    const deliver = createPgBossRelay({ boss, queue });
    await deliver(outboxRecord(ws, "draft-2", "run-2"));
    await deliver(outboxRecord(ws, "draft-2", "run-2", { kind: "run.cancelled" }));
    expect((await boss.getJobById(queue, runJobId(ws, "run-2")))?.state).toBe("cancelled");
    await deliver(outboxRecord(ws, "draft-2", "run-404", { kind: "run.cancelled" }));
    await deliver(outboxRecord(ws, "draft-2", "run-2"));
    expect((await boss.getJobById(queue, runJobId(ws, "run-2")))?.state).toBe("cancelled");
  });

  describe("the worker", () => {
    let runner: RunWorker | undefined;
    afterAll(async () => runner?.close());

    it("runs a delivered run to its result, and drops a superseded one", async () => {
      const queue = await newQueue();
      const engine = memoryEngine();
      const deliver = createPgBossRelay({ boss, queue });
      const current = await startedVerification(engine, ws);
      const stale = await startedVerification(engine, ws);
      // supersede the second draft's run before any worker sees it
      await engine.execute(
        ws,
        stale.draftId,
        { type: "select_provider", connectionId: "conn-2" },
        { actor: operator, expectedVersion: stale.version },
      );
      await deliver(outboxRecord(ws, current.draftId, current.runId));
      await deliver(outboxRecord(ws, stale.draftId, stale.runId));
      const log = eventLog();
      const ran: string[] = [];
      runner = await createPgBossWorker({
        boss,
        queue,
        engine,
        actor: worker,
        pollingIntervalSeconds: 0.5,
        onEvent: log.onEvent,
        operations: {
          verify_access: async (job, { progress }) => {
            ran.push(job.runId);
            await progress("checking", 50);
            return { outcome: "succeeded", message: "verified" };
          },
        },
      });
      const verification = await eventually(async () => {
        const draft = await engine.get(ws, current.draftId, { actor: operator });
        return draft.verification?.status === "completed" ? draft.verification : undefined;
      }, "the verification result");
      expect(verification).toMatchObject({ runId: current.runId, outcome: "succeeded", message: "verified" });
      await eventually(
        async () => (log.events.some((event) => event.type === "job_dropped") ? true : undefined),
        "the superseded job to be dropped",
      );
      expect(ran).toEqual([current.runId]);
      const states = await eventually(async () => {
        const jobs = await Promise.all(
          [current.runId, stale.runId].map((runId) => boss.getJobById(queue, runJobId(ws, runId))),
        );
        const found = jobs.map((job) => job?.state);
        return found.every((state) => state === "completed") ? found : undefined;
      }, "both jobs to complete in pg-boss");
      expect(states).toEqual(["completed", "completed"]);
      await runner.close();
      runner = undefined;
    });
  });
});
