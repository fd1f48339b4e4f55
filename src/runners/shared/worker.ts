import { ConfigurationError, isOnboardingError, type OnboardingDraft } from "../../record/index.js";
import { currentBootstrapRuns, isVerificationStale } from "../../lifecycle/index.js";
import type { Feedback } from "../../commands/index.js";
import type { Actor, MutationResult } from "../../engine/index.js";
import type { RunJob } from "./job.js";
import { sendUntilLanded, storableMessage } from "./report.js";
import { startHeartbeat } from "./heartbeat.js";
import type { RunJobResult, RunOperation, RunResult, RunWorkerOptions, RunnerEvent } from "./types.js";

const OUTCOMES: ReadonlySet<string> = new Set(["succeeded", "partially_succeeded", "failed", "blocked", "cancelled"]);

/**
 * A feedback saying the run is not current: superseded or stale, its draft terminal, or expired
 * by `expireStuckRuns` (which may happen between the worker's read of the draft and its report).
 */
const isIgnored = (feedback: Feedback): boolean =>
  feedback === "ignored_stale_result" || feedback === "ignored_terminal" || feedback === "ignored_expired_run";

/** @internal Calls `onEvent`, never letting it throw into the worker. */
export function emitter(onEvent: ((event: RunnerEvent) => void) | undefined): (event: RunnerEvent) => void {
  return (event) => {
    try {
      onEvent?.(event);
    } catch {
      // a logger's failure is not the run's
    }
  };
}

/** Whether the draft still waits for this job's run: current, not completed, draft not terminal. */
export function isRunCurrent(draft: OnboardingDraft, job: RunJob): boolean {
  const state = draft.lifecycle.state;
  if (state === "completed" || state === "cancelled") return false;
  if (job.checkpoint === "verify_access") {
    const run = draft.verification;
    return run !== null && run.runId === job.runId && run.status !== "completed" && !isVerificationStale(draft);
  }
  const run = currentBootstrapRuns(draft).find((candidate) => candidate.runId === job.runId);
  return run !== undefined && run.status !== "completed";
}

/** Sends a `record_*_result` report until it lands (see `sendUntilLanded`). */
function report<TActor extends Actor>(
  options: RunWorkerOptions<TActor>,
  job: RunJob,
  result: { readonly status: "running" } | ({ readonly status: "completed" } & RunResult),
  stop: AbortSignal | undefined,
  emit: (event: RunnerEvent) => void,
): Promise<MutationResult> {
  const body = {
    runId: job.runId,
    status: result.status,
    ...(result.status === "completed" ? { outcome: result.outcome } : {}),
    ...(result.status === "completed" && result.message !== undefined
      ? { message: storableMessage(result.message) }
      : {}),
  };
  const send = (): Promise<MutationResult> =>
    job.checkpoint === "verify_access"
      ? options.engine.execute(
          job.workspaceId,
          job.draftId,
          { type: "record_verification_result", ...body },
          { actor: options.actor },
        )
      : options.engine.execute(
          job.workspaceId,
          job.draftId,
          { type: "record_bootstrap_result", ...body },
          { actor: options.actor },
        );
  return sendUntilLanded(send, options.reportRetry ?? {}, stop, (notice) =>
    emit({ type: "report_retry", job, status: result.status, ...notice }),
  );
}

/** The draft, or `null` when it no longer exists (deleted, or never in this workspace). */
async function loadDraft<TActor extends Actor>(
  options: RunWorkerOptions<TActor>,
  job: RunJob,
): Promise<OnboardingDraft | null> {
  try {
    return await options.engine.get(job.workspaceId, job.draftId, { actor: options.actor });
  } catch (error) {
    if (isOnboardingError(error) && error.code === "draft_not_found") return null;
    throw error;
  }
}

/**
 * Runs one job, the same way for every queue: (a) drops it unless its run is current and not
 * completed; (b) reports `running`; (c) runs its operation with a heartbeat every `heartbeatMs`
 * (an ignored heartbeat aborts the operation: the run is no longer current); (d) reports the
 * result, retrying until it lands or the run is no longer current. Resolves with what it did;
 * throws when the job should fail in its queue (no operation of that name, a non-retryable
 * error, `stop` aborted before the result landed), so the queue retries it.
 *
 * @param stop aborts the job now (a forced close, the queue cancelling it): the operation's
 * signal aborts and reports stop being retried.
 *
 * @example
 * ```ts
 * declare const job: RunJob;
 * const result = await runJob(job, {
 *   engine,
 *   actor: { id: "verification-worker" },
 *   operations: { verify_access: async () => ({ outcome: "succeeded" }) },
 * });
 * ```
 */
export async function runJob<TActor extends Actor>(
  job: RunJob,
  options: RunWorkerOptions<TActor>,
  stop?: AbortSignal,
): Promise<RunJobResult> {
  const operation = Object.hasOwn(options.operations, job.operation) ? options.operations[job.operation] : undefined;
  if (operation === undefined) {
    throw new ConfigurationError("operations", `no operation named "${job.operation}" (run ${job.runId})`);
  }
  const emit = emitter(options.onEvent);
  const dropped = (reason: "not_current" | "superseded"): RunJobResult => {
    emit({ type: "job_dropped", job, reason });
    return { status: "dropped", reason };
  };
  const draft = await loadDraft(options, job);
  if (draft === null || !isRunCurrent(draft, job)) return dropped("not_current");
  const started = await report(options, job, { status: "running" }, stop, emit);
  if (isIgnored(started.feedback) || started.feedback === "ignored_duplicate_result") return dropped("not_current");
  emit({ type: "run_started", job });
  const result = await execute(operation, job, options, stop, emit);
  if (result === null) return dropped("superseded");
  const final = await report(options, job, { status: "completed", ...result }, stop, emit);
  if (isIgnored(final.feedback)) return dropped("superseded");
  emit({ type: "run_completed", job, outcome: result.outcome, feedback: final.feedback });
  return { status: "completed", outcome: result.outcome, feedback: final.feedback };
}

/** What a thrown value says, for the `failed` report. */
function messageOf(error: unknown): string {
  return error instanceof Error ? error.message || error.name : String(error);
}

/** The operation's result as the engine accepts it (an invalid one is a `failed` run). */
function checked(result: unknown, job: RunJob): RunResult {
  const candidate = result as Partial<RunResult> | null | undefined;
  if (typeof candidate?.outcome !== "string" || !OUTCOMES.has(candidate.outcome)) {
    return { outcome: "failed", message: `operation "${job.operation}" returned no valid outcome` };
  }
  const message = candidate.message;
  return typeof message === "string" ? { outcome: candidate.outcome, message } : { outcome: candidate.outcome };
}

/**
 * Runs the operation under its heartbeat. `null` when the run stopped being current while it
 * ran; a throw (the operation's) when `stop` aborted, so the job is retried, not failed.
 */
async function execute<TActor extends Actor>(
  operation: RunOperation,
  job: RunJob,
  options: RunWorkerOptions<TActor>,
  stop: AbortSignal | undefined,
  emit: (event: RunnerEvent) => void,
): Promise<RunResult | null> {
  const controller = new AbortController();
  const onStop = (): void => controller.abort(stop?.reason);
  if (stop?.aborted === true) onStop();
  else stop?.addEventListener("abort", onStop, { once: true });
  let superseded = false;
  const heart = startHeartbeat(options, job, emit, () => {
    superseded = true;
    controller.abort(new DOMException(`run ${job.runId} is no longer current`, "AbortError"));
  });
  try {
    const result = await operation(job, { signal: controller.signal, progress: heart.progress });
    return superseded ? null : checked(result, job);
  } catch (error) {
    if (superseded) return null;
    if (stop?.aborted === true) throw error;
    return { outcome: "failed", message: messageOf(error) };
  } finally {
    stop?.removeEventListener("abort", onStop);
    await heart.stop();
  }
}
