/**
 * What the model-based run knows about its one draft, and what it predicts from that alone
 * (never from the engine's answer): the feedback, version bump, error and lifecycle of every
 * command, and which runs are active, so the outbox entries each commit must write follow.
 */
import type { Command, OperatorCommand, WorkerCommand } from "../commands/index.js";
import { ErrorCode, type ErrorCode as ErrorCodeType } from "../record/index.js";
import {
  LifecycleReason,
  LifecycleState,
  RunStartPolicy,
  type RunCheckpoint,
  type RunOutcome,
} from "../vocabulary/index.js";

/** The identity the model expects a draft to have. */
export interface ModelIdentity {
  /** The tenant. */
  readonly tenantId: string;
  /** Its display name. */
  readonly displayName: string;
}

/** One run the draft has had, as the model predicts it. */
export interface ModelRun {
  /** The run's id (the engine's, learnt from the start's `runIds`). */
  readonly runId: string;
  /** The checkpoint it serves. */
  readonly checkpoint: RunCheckpoint;
  /** Its operation. */
  readonly operation: string;
  /** Its status. */
  status: "queued" | "running" | "completed";
  /** Its outcome once completed. */
  outcome: RunOutcome | null;
  /** Whether `expire_run` completed it. */
  timedOut: boolean;
  /** Whether it is still the draft's current run (not superseded, not invalidated by a provider change). */
  current: boolean;
  /** When it was started (model clock, epoch ms). */
  readonly startedAt: number;
  /** When a worker last reported on it (a progress report or a committed `running` result), or `null`. */
  reportedAt: number | null;
  /** The last progress message, or `null`. */
  progressMessage: string | null;
  /** The last progress percent, or `null`. */
  progressPercent: number | null;
  /** Whether a `run.cancelled` entry is due (it was active and something other than its own result ended it). */
  cancelled: boolean;
}

/** Who made the draft's current version, as `VersionConflictError.changedBy` must say. */
export interface ModelWriter {
  /** The writer's actor id. */
  readonly actorId: string;
  /** The command that wrote it. */
  readonly commandType: string;
  /** Whether it was a worker command. */
  readonly worker: boolean;
}

/** What the model predicts a command does: an error with this code, or a result. */
export type Prediction =
  | {
      /** The error code the engine must throw. */
      readonly error: ErrorCodeType;
      /** For `run_active`: the active runs the error names. */
      readonly runIds?: readonly string[];
    }
  | {
      /** The feedback of the result. */
      readonly feedback: string;
      /** Whether the version grows by one (an audited commit). */
      readonly bumps: boolean;
      /** The result's `runIds`; `null` when they are new ids the model cannot know (then `starts` says how many). */
      readonly runIds: readonly string[] | null;
      /** How many new runs the commit starts (`runIds` are their ids, in order), with their operation. */
      readonly starts?: readonly string[];
    };

/** The part of the model the predictions read and the effects write. */
export interface ModelKnowledge {
  /** Whether the draft is terminal. */
  terminal: boolean;
  /** Every run the draft has had, by id. */
  readonly runs: Map<string, ModelRun>;
  /** The tenant identity, or `null`. */
  identity: ModelIdentity | null;
  /** The selected provider connection, or `null`. */
  connectionId: string | null;
  /** How the draft ended, once terminal (`overridden`: activated with the readiness override recorded). */
  ending: "activated" | "overridden" | "cancelled" | null;
}

const GOOD: readonly (RunOutcome | null)[] = ["succeeded", "partially_succeeded"];

/** Whether a run is current and queued or running on an open draft (what `activeRuns` lists). */
export function isActive(model: ModelKnowledge, run: ModelRun): boolean {
  return !model.terminal && run.current && run.status !== "completed";
}

/** The current verification run, if any. */
export function currentVerification(model: ModelKnowledge): ModelRun | undefined {
  return [...model.runs.values()].find((run) => run.checkpoint === "verify_access" && run.current);
}

/** The current bootstrap runs (the latest of each operation). */
export function currentBootstrap(model: ModelKnowledge): ModelRun[] {
  return [...model.runs.values()].filter((run) => run.checkpoint === "bootstrap" && run.current);
}

const result = (feedback: string, bumps: boolean, runIds: readonly string[] | null = []): Prediction => ({
  feedback,
  bumps,
  runIds,
});

/** What a worker command does, or `"unknown"` when it names a run the draft never had (`unknown_run`). */
export function predictWorker(model: ModelKnowledge, command: WorkerCommand): Prediction | "unknown" {
  const ids = [command.runId];
  if (model.terminal) return result("ignored_terminal", false, ids);
  const run = model.runs.get(command.runId);
  if (run === undefined) return "unknown";
  const verificationResult = command.type === "record_verification_result";
  const bootstrapResult = command.type === "record_bootstrap_result";
  // A result names its checkpoint; findCurrentRun (progress, expiry) takes either.
  const wrongKind =
    (verificationResult && run.checkpoint !== "verify_access") || (bootstrapResult && run.checkpoint !== "bootstrap");
  if (!run.current || wrongKind) return result("ignored_stale_result", false, ids);
  if (run.status === "completed") {
    return result(run.timedOut ? "ignored_expired_run" : "ignored_duplicate_result", false, ids);
  }
  switch (command.type) {
    case "record_verification_result":
    case "record_bootstrap_result":
      if (command.status === "running" && run.status === "running" && command.message === undefined) {
        return result("unchanged", false, ids);
      }
      return result("recorded", true, ids);
    case "record_verification_progress":
    case "record_bootstrap_progress": {
      const checkpoint = command.type === "record_verification_progress" ? "verify_access" : "bootstrap";
      return result(run.checkpoint === checkpoint ? "recorded" : "ignored_stale_result", false, ids);
    }
    case "expire_run":
      return result("expired", true, ids);
  }
}

/** Marks every active run as ended by something else than its result (a `run.cancelled` is due). */
function endActiveRuns(model: ModelKnowledge, runs: Iterable<ModelRun>): void {
  for (const run of runs) {
    if (isActive(model, run)) run.cancelled = true;
  }
}

/** Applies a predicted worker result to the model (`at`: the commit's time on the model clock). */
export function applyWorker(model: ModelKnowledge, command: WorkerCommand, prediction: Prediction, at: number): void {
  if ("error" in prediction || prediction.feedback !== (command.type === "expire_run" ? "expired" : "recorded")) return;
  const run = model.runs.get(command.runId);
  if (run === undefined) return;
  switch (command.type) {
    case "record_verification_result":
    case "record_bootstrap_result":
      run.status = command.status;
      if (command.status === "completed") run.outcome = command.outcome ?? null;
      else run.reportedAt = at; // a committed `running` report is a heartbeat too
      return;
    case "record_verification_progress":
    case "record_bootstrap_progress":
      run.reportedAt = at;
      run.progressMessage = command.message ?? run.progressMessage;
      run.progressPercent = command.percent ?? run.progressPercent;
      return;
    case "expire_run":
      run.cancelled = true;
      run.status = "completed";
      run.outcome = "failed";
      run.timedOut = true;
  }
}

function invalid(): Prediction {
  return { error: ErrorCode.InvalidTransition };
}

function predictStartVerification(
  model: ModelKnowledge,
  command: Extract<Command, { type: "start_verification" }>,
): Prediction {
  if (model.identity === null || model.connectionId === null) return invalid();
  const verification = currentVerification(model);
  if (verification !== undefined && isActive(model, verification)) {
    const policy = command.policy ?? RunStartPolicy.Attach;
    if (policy === RunStartPolicy.Attach) return result("deduped", false, [verification.runId]);
    if (policy === RunStartPolicy.Reject) return { error: ErrorCode.RunActive, runIds: [verification.runId] };
  }
  if (currentBootstrap(model).some((run) => isActive(model, run))) return invalid();
  return { feedback: "queued", bumps: true, runIds: null, starts: [command.operation ?? "verify_access"] };
}

function predictStartBootstrap(
  model: ModelKnowledge,
  command: Extract<Command, { type: "start_bootstrap" }>,
): Prediction {
  const verification = currentVerification(model);
  if (verification === undefined || verification.status !== "completed" || !GOOD.includes(verification.outcome)) {
    return invalid();
  }
  const active = new Map(
    currentBootstrap(model)
      .filter((run) => isActive(model, run))
      .map((run) => [run.operation, run.runId] as const),
  );
  const busy = command.operations.filter((operation) => active.has(operation));
  const policy = command.policy ?? RunStartPolicy.Attach;
  if (policy === RunStartPolicy.Reject && busy.length > 0) {
    return { error: ErrorCode.RunActive, runIds: busy.map((operation) => active.get(operation) ?? "") };
  }
  const starts =
    policy === RunStartPolicy.Supersede ? command.operations : command.operations.filter((op) => !active.has(op));
  if (starts.length === 0) {
    return result(
      "deduped",
      false,
      command.operations.map((operation) => active.get(operation) ?? ""),
    );
  }
  return { feedback: "queued", bumps: true, runIds: null, starts };
}

function predictActivate(model: ModelKnowledge, command: Extract<Command, { type: "activate" }>): Prediction {
  const { state, reason } = predictLifecycle(model);
  if (state !== LifecycleState.ReadyForActivation) return { error: ErrorCode.NotReady };
  if (reason === LifecycleReason.VerificationWarnings && command.override === undefined) {
    return { error: ErrorCode.NotReady };
  }
  return result("activated", true);
}

/** What a fresh operator command does on an open draft. */
export function predictOperator(model: ModelKnowledge, command: OperatorCommand): Prediction {
  if (model.terminal) return { error: ErrorCode.TerminalDraft };
  switch (command.type) {
    case "identify": {
      const current = model.identity;
      if (current?.tenantId === command.tenantId && current.displayName === command.displayName) {
        return result("unchanged", false);
      }
      if (current !== null && current.tenantId !== command.tenantId && model.connectionId !== null) return invalid();
      return result("applied", true);
    }
    case "select_provider":
      if (model.identity === null) return invalid();
      return model.connectionId === command.connectionId ? result("unchanged", false) : result("applied", true);
    case "update_provider_connection":
      if (model.connectionId === null || model.connectionId !== command.connectionId) return invalid();
      return result("applied", true);
    case "start_verification":
      return predictStartVerification(model, command);
    case "start_bootstrap":
      return predictStartBootstrap(model, command);
    case "activate":
      return predictActivate(model, command);
    case "cancel":
      return result("cancelled", true);
  }
}

/** Adds the runs a start created, superseding the current runs they replace. */
function startRuns(model: ModelKnowledge, checkpoint: RunCheckpoint, started: readonly [string, string][], at: number) {
  for (const [runId, operation] of started) {
    for (const run of model.runs.values()) {
      if (run.checkpoint !== checkpoint || !run.current) continue;
      if (checkpoint === "bootstrap" && run.operation !== operation) continue;
      endActiveRuns(model, [run]); // only a `supersede` start replaces an active run
      run.current = false;
    }
    model.runs.set(runId, {
      runId,
      checkpoint,
      operation,
      status: "queued",
      outcome: null,
      timedOut: false,
      current: true,
      startedAt: at,
      reportedAt: null,
      progressMessage: null,
      progressPercent: null,
      cancelled: false,
    });
  }
}

/**
 * Applies an operator command's committed result to the model. `runIds` are the result's (the
 * ids of the runs a start created); `at` is the commit's time on the model clock.
 */
export function applyOperator(
  model: ModelKnowledge,
  command: OperatorCommand,
  prediction: Prediction,
  runIds: readonly string[],
  at: number,
): void {
  if ("error" in prediction || !prediction.bumps) return;
  const starts = prediction.starts ?? [];
  const started = starts.map((operation, index): [string, string] => [runIds[index] ?? "", operation]);
  switch (command.type) {
    case "identify":
      model.identity = { tenantId: command.tenantId, displayName: command.displayName };
      return;
    case "select_provider":
    case "update_provider_connection":
      endActiveRuns(model, model.runs.values());
      for (const run of model.runs.values()) run.current = false;
      model.connectionId = command.connectionId;
      return;
    case "start_verification":
      startRuns(model, "verify_access", started, at);
      return;
    case "start_bootstrap":
      startRuns(model, "bootstrap", started, at);
      return;
    case "activate":
    case "cancel": {
      // An override is recorded only when it was needed (verification warnings).
      const warnings = predictLifecycle(model).reason === LifecycleReason.VerificationWarnings;
      endActiveRuns(model, model.runs.values());
      model.terminal = true;
      model.ending = command.type === "cancel" ? "cancelled" : warnings ? "overridden" : "activated";
    }
  }
}

const VERIFICATION_REASON = {
  failed: LifecycleReason.VerificationFailed,
  blocked: LifecycleReason.VerificationBlocked,
  cancelled: LifecycleReason.VerificationCancelled,
} as const;

/** The lifecycle state and reason the draft must have, from the model alone. */
export function predictLifecycle(model: ModelKnowledge): { state: LifecycleState; reason: string | null } {
  if (model.ending === "cancelled") return { state: LifecycleState.Cancelled, reason: LifecycleReason.Cancelled };
  if (model.ending === "activated") return { state: LifecycleState.Completed, reason: null };
  if (model.ending === "overridden") return { state: LifecycleState.Completed, reason: LifecycleReason.Override };
  const verification = currentVerification(model);
  if (verification === undefined) return { state: LifecycleState.Draft, reason: null };
  if (verification.status !== "completed") return { state: LifecycleState.Verifying, reason: null };
  const outcome = verification.outcome ?? "failed";
  if (!GOOD.includes(outcome)) {
    const reason = verification.timedOut
      ? LifecycleReason.VerificationTimedOut
      : VERIFICATION_REASON[outcome as keyof typeof VERIFICATION_REASON];
    return { state: LifecycleState.ActionRequired, reason };
  }
  const runs = currentBootstrap(model);
  if (runs.some((run) => run.status !== "completed")) return { state: LifecycleState.Bootstrapping, reason: null };
  const failed = runs.filter((run) => !GOOD.includes(run.outcome));
  if (failed.length > 0) {
    const reason = failed.some((run) => run.timedOut)
      ? LifecycleReason.BootstrapTimedOut
      : LifecycleReason.BootstrapFailed;
    return { state: LifecycleState.ActionRequired, reason };
  }
  const warnings = outcome === "partially_succeeded" ? LifecycleReason.VerificationWarnings : null;
  return { state: LifecycleState.ReadyForActivation, reason: warnings };
}
