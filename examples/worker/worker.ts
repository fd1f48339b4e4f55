/**
 * examples/worker — a background worker that processes verification and bootstrap runs.
 *
 * The engine never runs cloud work itself: operators queue runs (`start_verification`,
 * `start_bootstrap`), and a worker like this one picks them up, marks them `running`, does the
 * work and reports the result with `record_verification_result` / `record_bootstrap_result`.
 * Worker reports carry a `runId` instead of an `expectedVersion`; the engine re-reads and retries
 * on version conflicts, and a report on a run that is no longer current (the operator changed the
 * provider connection meanwhile, or started a newer run, or the draft became terminal) is
 * IGNORED and reported back as `ignored_stale_result` / `ignored_terminal` — never applied.
 *
 * This file only imports the public root entry (in an app: `from "onboarding-lifecycle"`).
 *
 * Scope: one worker instance per set of workspaces. The engine has no lease on runs: two workers
 * may both pick the same queued run. That is safe (the second completed report comes back as
 * `ignored_duplicate_result`) but wasteful; with several worker processes, hand out runs through
 * a job queue keyed by `runId` instead of polling.
 */
import {
  RunStatus,
  currentBootstrapRuns,
  type Actor,
  type CheckpointRun,
  type Feedback,
  type OnboardingDraft,
  type OnboardingEngine,
  type UnsuccessfulRunOutcome,
  type SuccessfulRunOutcome,
} from "../../src/index.js";

/** The kind of run a job is about. */
export type JobKind = "verification" | "bootstrap";

/** One unit of work the worker picked up. */
export interface Job {
  readonly kind: JobKind;
  readonly workspaceId: string;
  readonly draftId: string;
  readonly run: CheckpointRun;
  /** The draft as the worker saw it when it marked the run running. */
  readonly draft: OnboardingDraft;
}

/** What the work function returns. */
export interface WorkResult {
  readonly outcome: SuccessfulRunOutcome | UnsuccessfulRunOutcome;
  readonly message?: string;
}

/** Does the actual (here: simulated) work of a job. Throwing counts as outcome `failed`. */
export type Work = (job: Job, signal: AbortSignal) => Promise<WorkResult>;

/** One line of the worker's log: what it reported and what the engine answered. */
export interface WorkerEvent {
  readonly kind: JobKind;
  readonly workspaceId: string;
  readonly draftId: string;
  readonly runId: string;
  readonly operation: string;
  /** What the worker reported. */
  readonly reported: "running" | WorkResult["outcome"];
  /** The engine's feedback (`recorded`, `ignored_stale_result`, ...). */
  readonly feedback: Feedback;
  /** The draft's lifecycle state after the report. */
  readonly state: OnboardingDraft["lifecycle"]["state"];
}

/** Options of {@link createWorker}. */
export interface WorkerOptions<TActor extends Actor = Actor> {
  readonly engine: OnboardingEngine<TActor>;
  /** The workspaces this worker serves. */
  readonly workspaceIds: readonly string[];
  /** The worker's service identity; needs the `view` and `record_result` capabilities. */
  readonly actor: TActor;
  /** Verification work. */
  readonly verify: Work;
  /** Bootstrap work (one call per operation run). */
  readonly bootstrap: Work;
  /** Called for every report the worker sends, with the engine's answer. */
  readonly onEvent?: (event: WorkerEvent) => void;
  /** Page size of the polling queries (default 50). */
  readonly pageSize?: number;
}

/** A worker: `tick()` processes everything queued right now; `run()` polls until aborted. */
export interface Worker {
  /** Finds queued runs, processes them concurrently, and resolves when all of them reported. */
  tick(signal?: AbortSignal): Promise<readonly WorkerEvent[]>;
  /** Calls `tick()` every `intervalMs` until `signal` aborts; resolves after the last tick. */
  run(options: { readonly signal: AbortSignal; readonly intervalMs?: number }): Promise<void>;
}

/** Creates a polling worker over an engine. */
export function createWorker<TActor extends Actor = Actor>(options: WorkerOptions<TActor>): Worker {
  const { engine, actor } = options;
  const pageSize = options.pageSize ?? 50;
  /** Runs this worker is processing right now (so a `running` run is not picked twice). */
  const inFlight = new Set<string>();

  async function* draftsIn(workspaceId: string, state: "verifying" | "bootstrapping"): AsyncGenerator<OnboardingDraft> {
    let cursor: string | null = null;
    // Bounded: at most 1000 pages per state and tick.
    for (let page = 0; page < 1000; page += 1) {
      const result: Awaited<ReturnType<typeof engine.list>> = await engine.list(workspaceId, {
        actor,
        state,
        limit: pageSize,
        cursor,
      });
      yield* result.drafts;
      cursor = result.nextCursor;
      if (cursor === null) return;
    }
  }

  /**
   * Queued runs, plus `running` runs this worker is not processing: those were abandoned by a
   * previous worker process that died mid-run (single-worker assumption, see the file header).
   */
  const pickable = (run: CheckpointRun): boolean =>
    (run.status === RunStatus.Queued || run.status === RunStatus.Running) && !inFlight.has(run.runId);

  async function findJobs(): Promise<Omit<Job, "draft">[]> {
    const jobs: Omit<Job, "draft">[] = [];
    for (const workspaceId of options.workspaceIds) {
      for await (const draft of draftsIn(workspaceId, "verifying")) {
        if (draft.verification !== null && pickable(draft.verification)) {
          jobs.push({ kind: "verification", workspaceId, draftId: draft.id, run: draft.verification });
        }
      }
      for await (const draft of draftsIn(workspaceId, "bootstrapping")) {
        for (const run of currentBootstrapRuns(draft)) {
          if (pickable(run)) jobs.push({ kind: "bootstrap", workspaceId, draftId: draft.id, run });
        }
      }
    }
    return jobs;
  }

  async function report(
    job: Omit<Job, "draft">,
    reported: WorkerEvent["reported"],
    message?: string,
  ): Promise<{ event: WorkerEvent; draft: OnboardingDraft }> {
    const type = job.kind === "verification" ? "record_verification_result" : "record_bootstrap_result";
    const command =
      reported === "running"
        ? { type, runId: job.run.runId, status: "running" as const }
        : {
            type,
            runId: job.run.runId,
            status: "completed" as const,
            outcome: reported,
            ...(message === undefined ? {} : { message: message.slice(0, 4096) }),
          };
    const result = await engine.execute(job.workspaceId, job.draftId, command, { actor });
    const event: WorkerEvent = {
      kind: job.kind,
      workspaceId: job.workspaceId,
      draftId: job.draftId,
      runId: job.run.runId,
      operation: job.run.operation,
      reported,
      feedback: result.feedback,
      state: result.state,
    };
    options.onEvent?.(event);
    return { event, draft: result.draft };
  }

  async function process(job: Omit<Job, "draft">, signal: AbortSignal): Promise<WorkerEvent[]> {
    inFlight.add(job.run.runId);
    try {
      const started = await report(job, "running");
      // `unchanged` means it was already running (an abandoned run we adopt); anything ignored
      // means the run is no longer current: do not do the work at all.
      if (started.event.feedback !== "recorded" && started.event.feedback !== "unchanged") return [started.event];
      const work = job.kind === "verification" ? options.verify : options.bootstrap;
      let result: WorkResult;
      try {
        result = await work({ ...job, draft: started.draft }, signal);
      } catch (error) {
        result = { outcome: "failed", message: error instanceof Error ? error.message : String(error) };
      }
      const finished = await report(job, result.outcome, result.message);
      return [started.event, finished.event];
    } finally {
      inFlight.delete(job.run.runId);
    }
  }

  async function tick(signal: AbortSignal = new AbortController().signal): Promise<readonly WorkerEvent[]> {
    const jobs = await findJobs();
    const results = await Promise.all(jobs.map((job) => process(job, signal)));
    return results.flat();
  }

  async function run({
    signal,
    intervalMs = 1000,
  }: {
    readonly signal: AbortSignal;
    readonly intervalMs?: number;
  }): Promise<void> {
    while (!signal.aborted) {
      await tick(signal);
      if (signal.aborted) return;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, intervalMs);
        function done(): void {
          clearTimeout(timer);
          signal.removeEventListener("abort", done);
          resolve();
        }
        signal.addEventListener("abort", done, { once: true });
      });
    }
  }

  return { tick, run };
}
