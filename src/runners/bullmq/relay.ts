import type { JobsOptions, Queue } from "bullmq";
import type { OutboxRecord } from "../../record/index.js";
import { runJobFromEntry, runJobId } from "../shared/job.js";
import type { RunRelay } from "../shared/relay.js";

/** The BullMQ queue methods the relay calls (a `new Queue(name, { connection })` fits). */
export type BullMqRelayQueue = Pick<Queue, "add" | "getJobState" | "remove" | "qualifiedName"> &
  Partial<Pick<Queue, "getBackend">>;

/** The two commands the marker needs, on the queue's own Redis connection. */
interface MarkerClient {
  get(key: string): Promise<string | null>;
  set(key: string, value: string, ttlMs: number): Promise<unknown>;
}

/**
 * The queue's Redis connection: BullMQ 6 hands it out as `queue.getBackend().client` (whose
 * `set` takes `{ PX }`), BullMQ 5 as `queue.client` (ioredis: `set(key, value, "PX", ms)`).
 */
async function markerClient(queue: BullMqRelayQueue): Promise<MarkerClient> {
  if (queue.getBackend !== undefined) {
    const client = await queue.getBackend().client;
    return { get: (key) => client.get(key), set: (key, value, ttlMs) => client.set(key, value, { PX: ttlMs }) };
  }
  const legacy = (queue as unknown as { readonly client: Promise<RedisV5Client> }).client;
  const client = await legacy;
  return { get: (key) => client.get(key), set: (key, value, ttlMs) => client.set(key, value, "PX", ttlMs) };
}

/** The ioredis methods BullMQ 5's `queue.client` offers the marker. */
interface RedisV5Client {
  get(key: string): Promise<string | null>;
  set(key: string, value: string, mode: "PX", ttlMs: number): Promise<unknown>;
}

/** Options of {@link createBullMqRelay}. */
export interface BullMqRelayOptions {
  /** Your BullMQ queue (the runner never opens a connection of its own). */
  readonly queue: BullMqRelayQueue;
  /** Options of every job (`attempts`, `backoff`, `removeOnComplete`, ...); the `jobId` is always the run's. */
  readonly jobOptions?: Omit<JobsOptions, "jobId">;
  /** How long the per-run marker key lives, in milliseconds. Default 30 days. */
  readonly markerTtlMs?: number;
}

/** The default life of a run's marker key: 30 days. */
export const DEFAULT_RUN_MARKER_TTL_MS = 30 * 24 * 60 * 60 * 1000;

/** Job states in which a job has not started yet, so removing it loses no work. */
const NOT_STARTED: ReadonlySet<string> = new Set(["waiting", "delayed", "prioritized", "waiting-children"]);

/**
 * The marker key of a run's job: beside the queue's own keys (`<prefix>:<queue>:...`, so a
 * hash-tagged prefix such as `{bull}` keeps it in the queue's Redis Cluster slot).
 *
 * @example
 * ```ts
 * declare const queue: import("bullmq").Queue;
 * bullMqRunMarkerKey(queue, runJobId("ws-1", "run-1")); // "bull:onboarding-runs:onboarding-run:<uuid>"
 * ```
 */
export function bullMqRunMarkerKey(queue: Pick<Queue, "qualifiedName">, jobId: string): string {
  return `${queue.qualifiedName}:onboarding-run:${jobId}`;
}

/**
 * The relay to BullMQ: the dispatcher's `deliver`. A `run.requested` entry adds one job named
 * after the operation, whose data is the run ({@link RunJob}) and whose `jobId` is
 * {@link runJobId} of the run. BullMQ ignores an `add` with the id of a job it still holds,
 * but adds again once that job was removed (`removeOnComplete`, `removeOnFail`, by hand): so
 * the relay also keeps a marker key per run, checked before the `add` and set after it. A crash
 * between the two lets a redelivery add the job once more; its worker then finds the run
 * running or completed: a completed run is dropped, and a run still running is in its own
 * job's hands (that job's worker holds BullMQ's lock), which is why the window is harmless.
 *
 * A `run.cancelled` entry sets the marker too (a late `run.requested` of that run enqueues
 * nothing) and removes the job while it waits; a job already running is left to its worker,
 * whose next heartbeat is ignored, which aborts it.
 *
 * @example
 * ```ts
 * import { Queue } from "bullmq";
 *
 * const queue = new Queue("onboarding-runs", { connection: { host: "127.0.0.1", port: 6379 } });
 * const deliver = createBullMqRelay({ queue, jobOptions: { attempts: 5, backoff: { type: "exponential", delay: 1000 } } });
 * ```
 */
export function createBullMqRelay(options: BullMqRelayOptions): RunRelay {
  const { queue } = options;
  const ttl = options.markerTtlMs ?? DEFAULT_RUN_MARKER_TTL_MS;
  return async (entry: OutboxRecord): Promise<void> => {
    const id = runJobId(entry.workspaceId, entry.runId);
    const key = bullMqRunMarkerKey(queue, id);
    const client = await markerClient(queue);
    if (entry.kind === "run.requested") {
      if ((await client.get(key)) !== null) return;
      await queue.add(entry.operation, { ...runJobFromEntry(entry) }, { ...options.jobOptions, jobId: id });
      await client.set(key, "requested", ttl);
      return;
    }
    await client.set(key, "cancelled", ttl);
    if (NOT_STARTED.has(await queue.getJobState(id))) await queue.remove(id);
  };
}
