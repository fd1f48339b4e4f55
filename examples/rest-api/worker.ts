/**
 * examples/rest-api — the worker process that runs verification and bootstrap runs for the
 * wizard, beside the API server (a separate process on the same database):
 *
 * - the package's outbox dispatcher (`createDispatcher`) claims the `run.requested` entries the
 *   server's engine committed with the drafts, from the shared store;
 * - each becomes a job run by the runners' pipeline (`runJob`: check the run is current, report
 *   `running`, run the operation under a heartbeat, report the result until it lands);
 * - every report goes through the REST API with `onboarding-lifecycle/client`, as `worker-1`
 *   (the API authorizes workers to `record_result`), so the page sees progress and outcomes the
 *   way an operator's browser reads them.
 *
 * In production put a queue between the two (the BullMQ and pg-boss runners, see
 * examples/worker): it retries a job whose worker crashed. Here a job that throws is only logged;
 * the run's lease (the expiry task below) turns a run nobody finished into a timed-out failure.
 *
 * The provider is simulated, steered by the connection id so a demo (and the browser tests) can
 * ask for each outcome: a connection id containing `fail` fails verification with the
 * provider's message, `block` blocks it, `warn` verifies with warnings, `bootfail` fails the
 * policy assignment, and `hold` keeps the run going (reporting progress) until the line
 * `release` arrives on stdin. Anything else succeeds after a few steps.
 *
 * Run: `npx tsx examples/rest-api/worker.ts` (DATABASE_URL and TABLE_PREFIX as the server's;
 * API_URL, default http://127.0.0.1:3000; WORKER_ID, WORKER_STEP_MS, HEARTBEAT_MS,
 * DISPATCH_POLL_MS). It prints one JSON line per event (`{"event":"ready"}` first).
 */
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import {
  createDispatcher,
  createOnboardingEngine,
  type Actor,
  type CommandInput,
  type Dispatcher,
  type MutationResult,
} from "../../src/index.js";
import { createOnboardingClient, type OnboardingClient } from "../../src/client/index.js";
import {
  runJob,
  runJobFromEntry,
  type RunJob,
  type RunOperation,
  type RunResult,
  type RunnerEngine,
  type RunnerEvent,
} from "../../src/runners/bullmq/index.js";
import { openStore, type ExampleStore } from "./store.js";
import { DEFAULT_BOOTSTRAP_OPERATIONS } from "./wizard-routes.js";

/** Waits `ms`, or rejects as soon as `signal` aborts. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason as Error);
    const abort = (): void => {
      clearTimeout(timer);
      reject(signal.reason as Error);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", abort);
      resolve();
    }, ms);
    signal.addEventListener("abort", abort, { once: true });
  });
}

/** The simulated cloud provider: outcomes chosen by the connection id (see the header). */
export interface SimulatedProvider {
  /** The operations that call it, by name (`verify_access` and every bootstrap operation). */
  readonly operations: Readonly<Record<string, RunOperation>>;
  /** Lets every held run go on. */
  release(): void;
}

const VERIFY_RESULTS: readonly (readonly [string, (connection: string) => RunResult])[] = [
  [
    "fail",
    (connection) => ({
      outcome: "failed",
      message:
        `Admin consent is missing for connection ${connection}: the onboarding app has not been granted ` +
        "Directory.ReadWrite.All (AADSTS65001). Ask a Global Administrator to grant consent, then verify again.",
    }),
  ],
  [
    "block",
    () => ({
      outcome: "blocked",
      message: "The Conditional Access policy 'Block legacy authentication' blocks the onboarding app's sign-in.",
    }),
  ],
  [
    "warn",
    () => ({
      outcome: "partially_succeeded",
      message:
        "Access verified, but 2 of 14 permissions are missing: Policy.ReadWrite.ConditionalAccess and " +
        "AuditLog.Read.All. Baseline policies that need them will be skipped.",
    }),
  ],
];

const STEP_MESSAGES: Readonly<Record<string, string>> = {
  create_admin_group: "Created the group 'Tenant admins (managed)' with 2 members.",
  assign_baseline_policies: "Assigned 7 baseline policies.",
};

/** The simulated provider, each call taking `stepMs` per step. */
export function simulatedProvider(
  stepMs: number,
  bootstrapOperations = DEFAULT_BOOTSTRAP_OPERATIONS,
): SimulatedProvider {
  let released: () => void = () => {};
  let gate = new Promise<void>((resolve) => (released = resolve));
  const holdIfAsked = (job: RunJob, signal: AbortSignal): Promise<void> => {
    if (!job.providerConnectionId.includes("hold")) return Promise.resolve();
    return new Promise((resolve, reject) => {
      signal.addEventListener("abort", () => reject(signal.reason as Error), { once: true });
      void gate.then(resolve);
    });
  };
  const verifyAccess: RunOperation = async (job, { signal, progress }) => {
    const connection = job.providerConnectionId;
    await progress(`Reading the admin consent of connection ${connection}`, 10);
    await holdIfAsked(job, signal);
    await pause(stepMs, signal);
    await progress("Checking the 14 permissions the onboarding needs", 60);
    await pause(stepMs, signal);
    const special = VERIFY_RESULTS.find(([marker]) => connection.includes(marker));
    return special === undefined
      ? { outcome: "succeeded", message: "All 14 permissions are granted." }
      : special[1](connection);
  };
  const step: RunOperation = async (job, { signal, progress }) => {
    await progress(`${job.operation.replaceAll("_", " ")}: calling the provider`, 30);
    await holdIfAsked(job, signal);
    await pause(stepMs, signal);
    await progress(`${job.operation.replaceAll("_", " ")}: checking the result`, 80);
    await pause(stepMs, signal);
    if (job.operation === "assign_baseline_policies" && job.providerConnectionId.includes("bootfail")) {
      return {
        outcome: "failed",
        message:
          "The provider throttled the request (HTTP 429, retry after 120 s): 3 of 7 baseline policies were assigned.",
      };
    }
    return { outcome: "succeeded", message: STEP_MESSAGES[job.operation] ?? `${job.operation} done.` };
  };
  const operations: Record<string, RunOperation> = { verify_access: verifyAccess };
  for (const name of bootstrapOperations) operations[name] = step;
  return {
    operations,
    release() {
      released();
      gate = new Promise<void>((resolve) => (released = resolve));
    },
  };
}

/**
 * The engine as the runner uses it (`get` and `execute`), over the REST API: one client per
 * workspace, acting as `actorId`. Worker reports need no `If-Match`; the client's retries and
 * the runner's "until it lands" loop carry them over a server restart.
 */
export function httpRunnerEngine(apiUrl: string, actorId: string): RunnerEngine<Actor> {
  const clients = new Map<string, OnboardingClient>();
  const clientOf = (workspaceId: string): OnboardingClient => {
    let client = clients.get(workspaceId);
    if (client === undefined) {
      client = createOnboardingClient({
        baseUrl: apiUrl,
        workspaceId,
        headers: { "x-actor-id": actorId },
        backoff: { baseMs: 100, maxMs: 2_000 },
      });
      clients.set(workspaceId, client);
    }
    return client;
  };
  const execute = async (workspaceId: string, draftId: string, command: unknown): Promise<MutationResult> => ({
    ...(await clientOf(workspaceId).execute(draftId, command as CommandInput)),
    event: null, // the API does not send the audit entry; the runner never reads it
  });
  return {
    get: (workspaceId, draftId) => clientOf(workspaceId).get(draftId),
    // One implementation behind the engine's overloads (the runner sends worker commands only).
    execute,
  };
}

/** Options of {@link startRunWorker}. */
export interface RunWorkerProcessOptions {
  /** The store the server writes to (its outbox is claimed here). */
  readonly store: ExampleStore;
  /** The API the reports go to. */
  readonly apiUrl: string;
  /** The worker's identity (an id starting with `worker`). */
  readonly actor: Actor;
  /** The operations to run. */
  readonly operations: Readonly<Record<string, RunOperation>>;
  /** Heartbeat period while an operation runs. */
  readonly heartbeatMs: number;
  /** The dispatcher's wait after a claim that found nothing. */
  readonly pollIntervalMs: number;
  /** Told what happens (for the log). */
  readonly onEvent: (event: Record<string, unknown>) => void;
}

/** A running worker. */
export interface RunWorkerProcess {
  /** Stops claiming, aborts the jobs in flight and waits for them. */
  stop(): Promise<void>;
}

const describeEvent = (event: RunnerEvent): Record<string, unknown> => ({
  event: event.type,
  runId: event.job.runId,
  operation: event.job.operation,
  ...(event.type === "run_completed" ? { outcome: event.outcome, feedback: event.feedback } : {}),
  ...(event.type === "job_dropped" ? { reason: event.reason } : {}),
  ...(event.type === "heartbeat_failed" || event.type === "report_retry" ? { error: String(event.error) } : {}),
});

/** Starts the dispatcher and the jobs it hands over. */
export function startRunWorker(options: RunWorkerProcessOptions): RunWorkerProcess {
  const engine = httpRunnerEngine(options.apiUrl, options.actor.id);
  const running = new Map<string, { readonly stop: AbortController; readonly done: Promise<void> }>();
  const start = (job: RunJob): void => {
    const stop = new AbortController();
    const done = runJob(
      job,
      {
        engine,
        actor: options.actor,
        operations: options.operations,
        heartbeatMs: options.heartbeatMs,
        onEvent: (event) => options.onEvent(describeEvent(event)),
      },
      stop.signal,
    )
      .catch((error: unknown) => options.onEvent({ event: "job_failed", runId: job.runId, error: String(error) }))
      .then(() => void running.delete(job.runId));
    running.set(job.runId, { stop, done });
  };
  // Expiring runs nobody reported on needs the store, not the API: a service engine for that only.
  const expiry = createOnboardingEngine({
    store: options.store,
    authorize: (actor, capability) => actor.id === options.actor.id && capability === "record_result",
  });
  const dispatcher: Dispatcher = createDispatcher({
    store: options.store,
    // A run.cancelled needs nothing here: the job's next heartbeat learns its run is not current.
    deliver: async (entry) => {
      if (entry.kind === "run.requested" && !running.has(entry.runId)) start(runJobFromEntry(entry));
    },
    pollIntervalMs: options.pollIntervalMs,
    tasks: [{ everyMs: 60_000, run: () => expiry.expireStuckRuns({ actor: options.actor }) }],
    onError: (error) => options.onEvent({ event: "dispatch_error", error: String(error) }),
  });
  dispatcher.start();
  return {
    async stop() {
      await dispatcher.stop();
      for (const job of running.values()) job.stop.abort(new Error("worker stopping"));
      await Promise.all([...running.values()].map((job) => job.done));
    },
  };
}

const numberFromEnv = (name: string, fallback: number): number => {
  const value = Number(process.env[name]);
  return Number.isFinite(value) && value > 0 ? value : fallback;
};

/** Runs the worker from the environment until SIGINT or SIGTERM (stdin's `release` lines let held runs go on). */
export async function main(): Promise<void> {
  const log = (event: Record<string, unknown>): void => void process.stdout.write(`${JSON.stringify(event)}\n`);
  const store = await openStore(process.env["DATABASE_URL"], process.env["TABLE_PREFIX"] ?? "onboarding_");
  const provider = simulatedProvider(numberFromEnv("WORKER_STEP_MS", 1_500));
  const worker = startRunWorker({
    store,
    apiUrl: process.env["API_URL"] ?? "http://127.0.0.1:3000",
    actor: { id: process.env["WORKER_ID"] ?? "worker-1" },
    operations: provider.operations,
    heartbeatMs: numberFromEnv("HEARTBEAT_MS", 3_000),
    pollIntervalMs: numberFromEnv("DISPATCH_POLL_MS", 500),
    onEvent: log,
  });
  const lines = createInterface({ input: process.stdin });
  lines.on("line", (line) => {
    if (line.trim() !== "release") return;
    provider.release();
    log({ event: "released" });
  });
  log({ event: "ready" });
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  lines.close();
  await worker.stop();
  await store.close();
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
