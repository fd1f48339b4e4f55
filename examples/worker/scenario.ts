/**
 * The worker example told end to end on Redis: the Redis adapter as the store, BullMQ as the
 * queue (own key prefixes, every key deleted at the end), the dispatcher of `dispatch.ts` and the
 * runner worker of `worker.ts` in this one process (in an app: the web app, a dispatcher process
 * and worker processes, all on the same store). It shows:
 * - `start_verification` commits a `run.requested` outbox entry; the dispatcher hands it to the
 *   BullMQ relay, which adds one job; the worker runs it, reports progress, and the result makes
 *   the draft `ready_for_activation`;
 * - a queued run superseded before any worker took it (the operator picked another connection):
 *   its `run.cancelled` entry removes the waiting job from the queue;
 * - the stale-result rule: while a verification runs, the operator edits the provider
 *   connection; the run's `run.cancelled` entry reaches the queue (the job is running, so it is
 *   left to its worker), the worker's late result is answered `ignored_stale_result` and changes
 *   nothing, and the runner drops the job;
 * - a failed bootstrap operation re-run by the operator.
 *
 * Run it: `npx tsx examples/worker/scenario.ts` (needs Redis on 127.0.0.1:6379, or set
 * REDIS_HOST / REDIS_PORT; without one it says so and exits 0).
 */
import { pathToFileURL } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import {
  createOnboardingEngine,
  type AuditEvent,
  type Authorize,
  type CommandInput,
  type Dispatcher,
  type MutationResult,
  type OnboardingDraft,
  type OnboardingEngine,
} from "../../src/index.js";
import { createRedisStore } from "../../src/adapters/redis/index.js";
import {
  bullMqRunMarkerKey,
  runJobId,
  type BullMqRunWorker,
  type RunnerEvent,
} from "../../src/runners/bullmq/index.js";
import { startDispatcher } from "./dispatch.js";
import {
  BOOTSTRAP_OPERATIONS,
  RUNS_QUEUE,
  simulatedProvider,
  startWorker,
  type ProviderApi,
  type WorkerReport,
} from "./worker.js";

/** The example's actors: an operator (a person) and two service identities. */
export interface ExampleActor {
  readonly id: string;
  readonly role: "operator" | "worker";
}

const operator: ExampleActor = { id: "operator-ana", role: "operator" };
const workerActor: ExampleActor = { id: "svc-onboarding-worker", role: "worker" };
const janitor: ExampleActor = { id: "svc-run-janitor", role: "worker" };

/** Services may only look and report on runs; operators may do everything else. */
const authorize: Authorize<ExampleActor> = (actor, capability) =>
  actor.role === "worker" ? capability === "view" || capability === "record_result" : capability !== "record_result";

/** Where Redis is (`REDIS_HOST`, `REDIS_PORT`; default 127.0.0.1:6379). */
export const REDIS = {
  host: process.env["REDIS_HOST"] ?? "127.0.0.1",
  port: Number(process.env["REDIS_PORT"] ?? 6379),
};

/** Resolves when Redis answers a PING within a second; rejects with the reason otherwise. */
export async function redisReachable(redis = REDIS): Promise<void> {
  const client = new Redis({
    ...redis,
    lazyConnect: true,
    connectTimeout: 1000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  let cause: unknown;
  client.on("error", (error) => (cause ??= error));
  try {
    await client.connect();
    await client.ping();
  } catch (error) {
    throw cause instanceof Error ? cause : error;
  } finally {
    client.disconnect();
  }
}

/** A runner event, flattened for the log and the test. */
export interface RunEvent {
  readonly type: RunnerEvent["type"];
  readonly draftId: string;
  readonly runId: string;
  /** `job_dropped`: why. */
  readonly reason?: string;
  /** `run_completed`: the feedback on the result. */
  readonly feedback?: string;
}

/** What {@link runScenario} returns, for the test. */
export interface ScenarioResult {
  /** Every entry the dispatcher handed to the queue, in order. */
  readonly deliveries: readonly {
    readonly kind: string;
    readonly draftId: string;
    readonly runId: string;
    readonly operation: string;
  }[];
  /** Every report the worker sent, with the engine's answer. */
  readonly reports: readonly WorkerReport[];
  /** The runner's events. */
  readonly events: readonly RunEvent[];
  /** Fabrikam's first run, superseded while queued: was its job still in the queue afterwards? */
  readonly supersededQueued: { readonly runId: string; readonly jobState: string; readonly marker: string | null };
  /** Contoso's first run, made stale while running: its job's state when `run.cancelled` arrived, and the marker. */
  readonly staleRunning: { readonly runId: string; readonly jobState: string; readonly marker: string | null };
  readonly contoso: OnboardingDraft;
  readonly fabrikam: OnboardingDraft;
  readonly contosoHistory: readonly AuditEvent[];
  /** Keys of this run left in Redis after the clean-up (0). */
  readonly leftoverKeys: number;
}

/** A promise with its resolve function, to hold simulated work until something happened. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open = (): void => {};
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

/** Polls `check` every 20 ms until it returns something truthy; throws after `timeoutMs`. */
async function until<T>(check: () => T | undefined | false, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** Deletes (or, with `dryRun`, counts) the keys matching a SCAN pattern. */
async function deleteKeys(client: Redis, pattern: string, dryRun = false): Promise<number> {
  let count = 0;
  let cursor = "0";
  for (let i = 0; i < 10_000; i += 1) {
    const [next, keys] = await client.scan(cursor, "MATCH", pattern, "COUNT", 500);
    count += keys.length;
    if (!dryRun && keys.length > 0) await client.del(...keys);
    cursor = next;
    if (cursor === "0") break;
  }
  return count;
}

/** What the acts of the story share. */
interface Stage {
  readonly workspaceId: string;
  readonly engine: OnboardingEngine<ExampleActor>;
  readonly queue: Queue;
  readonly client: Redis;
  /** BullMQ's key prefix of this run. */
  readonly prefix: string;
  readonly log: (line: string) => void;
  readonly names: Map<string, string>;
  readonly deliveries: ScenarioResult["deliveries"][number][];
  readonly reports: WorkerReport[];
  readonly events: RunEvent[];
  /** The processes' handles, and what lets held work go, for the clean-up. */
  readonly started: { dispatcher?: Dispatcher; runner?: BullMqRunWorker; release?: () => void };
}

const short = (id: string): string => id.slice(0, 8);
const nameOf = (stage: Stage, draftId: string): string => stage.names.get(draftId) ?? draftId;
const describeDraft = (draft: OnboardingDraft): string =>
  `${draft.lifecycle.state}${draft.lifecycle.reason === null ? "" : `/${draft.lifecycle.reason}`} v${draft.version}`;

/** An operator command, always with the version just read (optimistic locking). */
async function operate(stage: Stage, draftId: string, command: CommandInput): Promise<MutationResult> {
  const { engine, workspaceId } = stage;
  const current = await engine.get(workspaceId, draftId, { actor: operator });
  const result = await engine.execute(workspaceId, draftId, command, {
    actor: operator,
    expectedVersion: current.version,
  });
  const runs = result.runIds.length === 0 ? "" : `, runs ${result.runIds.map(short).join(" ")}`;
  stage.log(
    `operator  ${command.type.padEnd(30)} ${nameOf(stage, draftId).padEnd(8)} -> ${describeDraft(result.draft)} (${result.feedback}${runs})`,
  );
  return result;
}

/** The one run a start command started. */
function startedRun(result: MutationResult): string {
  const [runId] = result.runIds;
  if (runId === undefined) throw new Error(`expected a new run, got ${result.feedback}`);
  return runId;
}

const delivered = (stage: Stage, kind: string, runId: string): boolean =>
  stage.deliveries.some((entry) => entry.kind === kind && entry.runId === runId);
const happened = (stage: Stage, type: RunEvent["type"], runId: string): RunEvent | undefined =>
  stage.events.find((event) => event.type === type && event.runId === runId);

/** The queue's view of a run's job: its state and the relay's marker. */
async function jobOf(stage: Stage, runId: string): Promise<{ runId: string; jobState: string; marker: string | null }> {
  const id = runJobId(stage.workspaceId, runId);
  return {
    runId,
    jobState: await stage.queue.getJobState(id),
    marker: await stage.client.get(bullMqRunMarkerKey(stage.queue, id)),
  };
}

/** Act 1: two tenants queue a verification; Fabrikam's is superseded before any worker is up. */
async function actQueued(stage: Stage): Promise<{
  contosoId: string;
  contosoRun: string;
  fabrikamId: string;
  fabrikamRun: string;
  superseded: ScenarioResult["supersededQueued"];
}> {
  const { engine, workspaceId, log } = stage;
  const create = async (tenantId: string, displayName: string, connectionId: string): Promise<[string, string]> => {
    const { draft } = await engine.create(workspaceId, { identity: { tenantId, displayName } }, { actor: operator });
    stage.names.set(draft.id, displayName);
    await operate(stage, draft.id, { type: "select_provider", connectionId });
    return [draft.id, startedRun(await operate(stage, draft.id, { type: "start_verification" }))];
  };
  log("--- two tenants start a verification: each commit carries a run.requested outbox entry");
  const [contosoId, contosoRun] = await create("tenant-contoso", "Contoso", "conn-contoso-1");
  const [fabrikamId, fabrikamRun] = await create("tenant-fabrikam", "Fabrikam", "conn-fabrikam-1");
  await until(
    () => delivered(stage, "run.requested", contosoRun) && delivered(stage, "run.requested", fabrikamRun),
    "both jobs",
  );
  log(`queue     ${await stage.queue.getWaitingCount()} jobs waiting (no worker is up yet)`);

  log("--- Fabrikam's operator picked the wrong connection: the queued run is superseded");
  await operate(stage, fabrikamId, { type: "select_provider", connectionId: "conn-fabrikam-2" });
  await until(() => delivered(stage, "run.cancelled", fabrikamRun), "Fabrikam's run.cancelled");
  const superseded = await jobOf(stage, fabrikamRun);
  log(
    `queue     job of run ${short(fabrikamRun)}: ${superseded.jobState} (removed while waiting), marker "${superseded.marker}"`,
  );
  const again = startedRun(await operate(stage, fabrikamId, { type: "start_verification" }));
  return { contosoId, contosoRun, fabrikamId, fabrikamRun: again, superseded };
}

/**
 * The provider as this story needs it: Contoso's first access check is a slow call (held until
 * `release()`, and deaf to its signal, as a call without a timeout would be), and Fabrikam's
 * first policy assignment is throttled. Everything else is {@link simulatedProvider}.
 */
function storyProvider(contosoId: string, fabrikamId: string, log: (line: string) => void) {
  const slowCall = gate();
  const state = { inFlight: false, throttled: false };
  const simulated = simulatedProvider(20);
  const provider: ProviderApi = {
    checkAccess: async (job, signal) => {
      if (job.draftId !== contosoId || state.inFlight) return simulated.checkAccess(job, signal);
      state.inFlight = true;
      log(
        `provider  checking Contoso's access on ${job.providerConnectionId} rev ${job.providerRevision} (slow call...)`,
      );
      await slowCall.promise;
      return { outcome: "succeeded", message: "all permissions granted" };
    },
    runStep: async (job, signal) => {
      if (job.draftId === fabrikamId && job.operation === "assign_baseline_policies" && !state.throttled) {
        state.throttled = true;
        throw new Error("provider API throttled the request (429)");
      }
      return simulated.runStep(job, signal);
    },
  };
  return { provider, state, release: slowCall.open };
}

/** Starts the runner worker, logging its events and every report with the engine's answer. */
async function startRunner(stage: Stage, provider: ProviderApi): Promise<void> {
  stage.started.runner = await startWorker({
    engine: stage.engine,
    actor: workerActor,
    connection: { ...REDIS, maxRetriesPerRequest: null },
    prefix: stage.prefix,
    provider,
    onReport: (report) => {
      stage.reports.push(report);
      stage.log(
        `worker    ${report.type.padEnd(30)} ${nameOf(stage, report.draftId).padEnd(8)} ${report.detail} -> ${report.feedback} (${report.state} v${report.version})`,
      );
    },
    onEvent: (event) => {
      const flat: RunEvent = {
        type: event.type,
        draftId: event.job.draftId,
        runId: event.job.runId,
        ...(event.type === "job_dropped" ? { reason: event.reason } : {}),
        ...(event.type === "run_completed" ? { feedback: event.feedback } : {}),
      };
      stage.events.push(flat);
      if (event.type === "job_dropped") {
        stage.log(`runner    job of run ${short(flat.runId)} dropped (${event.reason}): nothing more is reported`);
      }
      if (event.type === "heartbeat_failed" || event.type === "report_retry") console.error(event.type, event.error);
    },
  });
}

/** Act 2: the worker starts; Contoso's connection is edited while its verification runs. */
async function actStale(
  stage: Stage,
  act1: Awaited<ReturnType<typeof actQueued>>,
  story: ReturnType<typeof storyProvider>,
): Promise<ScenarioResult["staleRunning"]> {
  const { log } = stage;
  log("--- the worker starts; Contoso's operator edits the connection while its verification runs");
  await startRunner(stage, story.provider);
  await until(() => story.state.inFlight, "Contoso's slow call");
  await operate(stage, act1.contosoId, { type: "update_provider_connection", connectionId: "conn-contoso-1" });
  await until(() => delivered(stage, "run.cancelled", act1.contosoRun), "Contoso's run.cancelled");
  const stale = await jobOf(stage, act1.contosoRun);
  log(`queue     job of run ${short(stale.runId)}: ${stale.jobState} (left to its worker), marker "${stale.marker}"`);
  story.release();
  await until(() => happened(stage, "job_dropped", act1.contosoRun), "the stale job to be dropped");
  log("          => the result was made against revision 1; the connection is at revision 2: ignored");
  await until(() => happened(stage, "run_completed", act1.fabrikamRun), "Fabrikam's verification");
  return stale;
}

/** Act 3: Contoso verified again; both bootstrapped (Fabrikam's step re-run); both activated. */
async function actFinish(
  stage: Stage,
  contosoId: string,
  fabrikamId: string,
): Promise<[OnboardingDraft, OnboardingDraft]> {
  const { log } = stage;
  const completed = (runIds: readonly string[], what: string): Promise<unknown> =>
    until(() => runIds.every((runId) => happened(stage, "run_completed", runId) !== undefined), what);
  log("--- Contoso is verified again, against revision 2");
  await completed(
    [startedRun(await operate(stage, contosoId, { type: "start_verification" }))],
    "Contoso's verification",
  );

  log("--- bootstrap both; Fabrikam's policy assignment is throttled once, and re-run");
  const operations = [...BOOTSTRAP_OPERATIONS];
  const contosoRuns = (await operate(stage, contosoId, { type: "start_bootstrap", operations })).runIds;
  const fabrikamRuns = (await operate(stage, fabrikamId, { type: "start_bootstrap", operations })).runIds;
  await completed([...contosoRuns, ...fabrikamRuns], "the bootstrap runs");
  const retry = await operate(stage, fabrikamId, { type: "start_bootstrap", operations: ["assign_baseline_policies"] });
  await completed(retry.runIds, "Fabrikam's re-run");

  log("--- activation");
  const contoso = (await operate(stage, contosoId, { type: "activate" })).draft;
  const fabrikam = (await operate(stage, fabrikamId, { type: "activate" })).draft;
  return [contoso, fabrikam];
}

/** The story, act by act, on a stage whose resources {@link runScenario} owns. */
async function tell(stage: Stage): Promise<Omit<ScenarioResult, "leftoverKeys">> {
  stage.started.dispatcher = startDispatcher({
    store: stage.engine.store,
    engine: stage.engine,
    actor: janitor,
    queue: stage.queue,
    pollIntervalMs: 50,
    onDelivered: (entry) => {
      stage.deliveries.push({
        kind: entry.kind,
        draftId: entry.draftId,
        runId: entry.runId,
        operation: entry.operation,
      });
      stage.log(
        `dispatch  ${entry.kind.padEnd(30)} ${nameOf(stage, entry.draftId).padEnd(8)} run ${short(entry.runId)} ${entry.operation} -> queue`,
      );
    },
  });
  const act1 = await actQueued(stage);
  const story = storyProvider(act1.contosoId, act1.fabrikamId, stage.log);
  stage.started.release = story.release;
  const staleRunning = await actStale(stage, act1, story);
  const [contoso, fabrikam] = await actFinish(stage, act1.contosoId, act1.fabrikamId);
  const contosoHistory = (await stage.engine.history(stage.workspaceId, act1.contosoId, { actor: operator })).entries;
  const { deliveries, reports, events } = stage;
  return {
    deliveries,
    reports,
    events,
    supersededQueued: act1.superseded,
    staleRunning,
    contoso,
    fabrikam,
    contosoHistory,
  };
}

/**
 * Runs the whole story on Redis; `log` receives one human-readable line per step. Every key it
 * wrote (store and BullMQ, under one random prefix) is deleted at the end, also on failure.
 */
export async function runScenario(log: (line: string) => void = console.log): Promise<ScenarioResult> {
  const base = `example-worker-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
  const client = new Redis({ ...REDIS, lazyConnect: true });
  await client.connect();
  const queue = new Queue(RUNS_QUEUE, { connection: { ...REDIS, maxRetriesPerRequest: null }, prefix: `${base}-bull` });
  const stage: Stage = {
    workspaceId: "ws-acme-msp",
    engine: createOnboardingEngine<ExampleActor>({
      store: createRedisStore({ client, keyPrefix: `${base}-store` }),
      authorize,
    }),
    queue,
    client,
    prefix: `${base}-bull`,
    log,
    names: new Map(),
    deliveries: [],
    reports: [],
    events: [],
    started: {},
  };
  let story: Omit<ScenarioResult, "leftoverKeys">;
  let leftoverKeys: number;
  let failed = true;
  try {
    story = await tell(stage);
    failed = false;
  } finally {
    // After a failure, let any held call go and abort what still runs instead of waiting for it.
    if (failed) stage.started.release?.();
    await stage.started.runner?.close({ force: failed });
    await stage.started.dispatcher?.stop();
    await queue.close();
    await deleteKeys(client, `*${base}*`);
    leftoverKeys = await deleteKeys(client, `*${base}*`, true);
    await client.quit();
  }
  log(`--- done; the example's keys were deleted (${leftoverKeys} left)`);
  return { ...story, leftoverKeys };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    await redisReachable();
  } catch (error) {
    console.log(
      `This example needs Redis at ${REDIS.host}:${REDIS.port} (set REDIS_HOST / REDIS_PORT), which did not answer: ` +
        `${error instanceof Error ? error.message : String(error)}. Nothing was run.`,
    );
    process.exit(0);
  }
  await runScenario();
}
