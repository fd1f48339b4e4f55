/**
 * The BullMQ runner against a real BullMQ 6 on Redis (127.0.0.1:6379, its own prefix, removed
 * after; BullMQ's keys carry no hash tag): relay dedupe (also after the first job was removed, thanks to the marker key), cancel,
 * and the worker's full path against an engine on the memory store.
 */
import { afterAll, describe, expect, it } from "vitest";
import { Queue } from "bullmq";
import {
  bullMqRunMarkerKey,
  createBullMqRelay,
  createBullMqWorker,
  runJobId,
  type BullMqRunWorker,
} from "../../src/runners/bullmq/index.js";
import { serviceAvailable, uniqueSuffix } from "../support/services.js";
import { deleteKeysMatching, probeRedis, standaloneClient } from "../adapters/fixtures/redis-harness.js";
import { eventLog, eventually, memoryEngine, operator, outboxRecord, startedVerification, worker } from "./support.js";

const up = await serviceAvailable("Redis (BullMQ runner)", probeRedis);
const prefix = `ol-runners-${uniqueSuffix()}`;
const connection = { host: "127.0.0.1", port: 6379, maxRetriesPerRequest: null };
const ws = `ws-bullmq-${uniqueSuffix()}`;

describe.skipIf(!up)("BullMQ runner", () => {
  const queues: Queue[] = [];
  let count = 0;
  const newQueue = (): Queue => {
    count += 1;
    const queue = new Queue(`runs-${count}`, { connection, prefix });
    queues.push(queue);
    return queue;
  };

  afterAll(async () => {
    for (const queue of queues) await queue.close();
    const client = standaloneClient();
    await deleteKeysMatching(client, `${prefix}:*`); // BullMQ keys: `<prefix>:<queue>:...`, no hash tag
    await client.quit();
  });

  it("adds one job per run, however often the entry is delivered, even after the job was removed", async () => {
    const queue = newQueue();
    const deliver = createBullMqRelay({ queue });
    const entry = outboxRecord(ws, "draft-1", "run-1");
    await deliver(entry);
    await deliver(entry);
    expect(await queue.getJobCounts("waiting")).toEqual({ waiting: 1 });
    const id = runJobId(ws, "run-1");
    const job = await queue.getJob(id);
    expect(job?.name).toBe("verify_access");
    expect(job?.data).toMatchObject({ workspaceId: ws, draftId: "draft-1", runId: "run-1" });
    expect(await queue.remove(id)).toBe(1);
    await deliver(entry);
    expect(await queue.getJobCounts("waiting")).toEqual({ waiting: 0 });
  });

  it("shows why the marker is needed: without it BullMQ adds a removed job's id again", async () => {
    const queue = newQueue();
    const deliver = createBullMqRelay({ queue });
    const entry = outboxRecord(ws, "draft-1b", "run-1b");
    await deliver(entry);
    const id = runJobId(ws, "run-1b");
    await queue.remove(id);
    const client = standaloneClient();
    await client.del(bullMqRunMarkerKey(queue, id));
    await client.quit();
    await deliver(entry);
    expect(await queue.getJobCounts("waiting")).toEqual({ waiting: 1 });
  });

  it("removes a waiting job on run.cancelled, and a late run.requested of that run adds nothing", async () => {
    const queue = newQueue();
    const deliver = createBullMqRelay({ queue });
    await deliver(outboxRecord(ws, "draft-2", "run-2"));
    await deliver(outboxRecord(ws, "draft-2", "run-2", { kind: "run.cancelled" }));
    expect(await queue.getJob(runJobId(ws, "run-2"))).toBeUndefined();
    await deliver(outboxRecord(ws, "draft-3", "run-3", { kind: "run.cancelled" }));
    await deliver(outboxRecord(ws, "draft-3", "run-3"));
    expect(await queue.getJobCounts("waiting")).toEqual({ waiting: 0 });
  });

  describe("the worker", () => {
    let runner: BullMqRunWorker | undefined;
    afterAll(async () => runner?.close());

    it("runs a delivered run to its result, and drops a superseded one", async () => {
      const queue = newQueue();
      const engine = memoryEngine();
      const deliver = createBullMqRelay({ queue });
      const current = await startedVerification(engine, ws);
      const stale = await startedVerification(engine, ws);
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
      runner = await createBullMqWorker({
        connection,
        queue: queue.name,
        workerOptions: { prefix },
        engine,
        actor: worker,
        onEvent: log.onEvent,
        operations: {
          verify_access: async (job, { progress }) => {
            ran.push(job.runId);
            await progress("checking", 50);
            return { outcome: "succeeded" };
          },
        },
      });
      const verification = await eventually(async () => {
        const draft = await engine.get(ws, current.draftId, { actor: operator });
        return draft.verification?.status === "completed" ? draft.verification : undefined;
      }, "the verification result");
      expect(verification).toMatchObject({ runId: current.runId, outcome: "succeeded" });
      const values = await eventually(async () => {
        const jobs = await Promise.all([current.runId, stale.runId].map((runId) => queue.getJob(runJobId(ws, runId))));
        return jobs.every((job) => job?.finishedOn !== undefined)
          ? jobs.map((job): unknown => job?.returnvalue)
          : undefined;
      }, "both jobs to finish in BullMQ");
      expect(values).toEqual([
        { status: "completed", outcome: "succeeded", feedback: "recorded" },
        { status: "dropped", reason: "not_current" },
      ]);
      expect(ran).toEqual([current.runId]);
      await runner.close();
      runner = undefined;
    });
  });
});
