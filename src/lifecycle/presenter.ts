import {
  CHECKPOINTS,
  Checkpoint,
  LifecycleReason,
  LifecycleState,
  RunOutcome,
  RunStatus,
  checkpointIndex,
  type LifecycleReason as LifecycleReasonType,
  type RunOutcome as RunOutcomeType,
  type RunStatus as RunStatusType,
} from "../vocabulary/index.js";
import type { CheckpointRun, OnboardingDraft, RunProgress } from "../record/index.js";
import { currentBootstrapRuns, deriveLifecycle } from "./derive.js";
import { evaluateReadiness, type Readiness, type ReadinessOptions, type ReadinessPolicy } from "./readiness.js";
import { resolveStage, type Stage, type StageOptions } from "./stage.js";

/** How a checkpoint looks in the wizard's progress list. */
export type CheckpointStatus = "complete" | "current" | "in_progress" | "blocked" | "stale" | "pending";

/** A badge colour family, mapped by the UI to its design system. */
export type Tone = "neutral" | "info" | "success" | "warning" | "danger";

/** One background run as a UI shows it. */
export interface RunView {
  /** The run's id. */
  readonly runId: string;
  /** What the run does. */
  readonly operation: string;
  /** Its status. */
  readonly status: RunStatusType;
  /** Its outcome once completed. */
  readonly outcome: RunOutcomeType | null;
  /** Translation key of the status/outcome label, e.g. `onboarding.run.failed`. */
  readonly labelKey: string;
  /** Badge tone. */
  readonly tone: Tone;
  /** Monitoring link from `runUrl`, or `null` when no `runUrl` was given. */
  readonly url: string | null;
  /** The worker's message, if any. */
  readonly message: string | null;
  /** Whether the engine expired the run because no worker reported in time. */
  readonly timedOut: boolean;
  /**
   * The worker's last progress report while the run is active (from `engine.runProgress`, passed
   * as `options.progress`), or `null`.
   */
  readonly progress: {
    /** The last progress message, or `null`. */
    readonly message: string | null;
    /** The last percent (0..100), or `null`. */
    readonly percent: number | null;
    /** When the worker last reported, or `null`. */
    readonly reportedAt: string | null;
  } | null;
}

/** One checkpoint as a UI shows it. */
export interface CheckpointView {
  /** Which checkpoint. */
  readonly checkpoint: Checkpoint;
  /** Its status in the progress list. */
  readonly status: CheckpointStatus;
  /** Translation key of the checkpoint's name, e.g. `onboarding.checkpoint.verify_access`. */
  readonly labelKey: string;
  /** Translation key of the status, e.g. `onboarding.checkpoint_status.stale`. */
  readonly statusLabelKey: string;
  /** Badge tone of the status. */
  readonly tone: Tone;
  /** Runs attached to this checkpoint (verification, current bootstrap runs). */
  readonly runs: readonly RunView[];
}

/** What a UI shows for a draft. */
export interface DraftView {
  /** The draft's id. */
  readonly draftId: string;
  /** Its version (send it back as `expectedVersion` or `If-Match`). */
  readonly version: number;
  /** Lifecycle state. */
  readonly state: LifecycleState;
  /** Translation key of the state, e.g. `onboarding.state.action_required`. */
  readonly stateLabelKey: string;
  /** Badge tone of the state. */
  readonly tone: Tone;
  /** Lifecycle reason. */
  readonly reason: LifecycleReasonType | null;
  /** Translation key of the reason, or `null`. */
  readonly reasonLabelKey: string | null;
  /** Wizard stage and polling hint. */
  readonly stage: Stage;
  /** Readiness for activation. */
  readonly readiness: Readiness;
  /** Every checkpoint in wizard order. */
  readonly checkpoints: readonly CheckpointView[];
}

/** Options of {@link describeDraft}. */
export interface DescribeOptions extends StageOptions, ReadinessOptions {
  /** Builds a monitoring link for a run, e.g. `(id) => \`/ops/runs/${id}\``. */
  readonly runUrl?: (runId: string) => string;
  /** Readiness policy (same as the engine's). */
  readonly policy?: ReadinessPolicy;
  /** Run progress reports (`engine.runProgress`), shown on the runs they belong to while active. */
  readonly progress?: readonly RunProgress[];
}

const STATE_TONE: Record<LifecycleState, Tone> = {
  draft: "neutral",
  verifying: "info",
  action_required: "danger",
  bootstrapping: "info",
  ready_for_activation: "success",
  completed: "success",
  cancelled: "neutral",
};

const STATUS_TONE: Record<CheckpointStatus, Tone> = {
  complete: "success",
  current: "info",
  in_progress: "info",
  blocked: "danger",
  stale: "warning",
  pending: "neutral",
};

const OUTCOME_TONE: Record<RunOutcomeType, Tone> = {
  succeeded: "success",
  partially_succeeded: "warning",
  failed: "danger",
  blocked: "danger",
  cancelled: "neutral",
};

function runView(run: CheckpointRun, runUrl: DescribeOptions["runUrl"], progress?: readonly RunProgress[]): RunView {
  const report = run.status === RunStatus.Completed ? undefined : progress?.find((p) => p.runId === run.runId);
  const key = run.status === RunStatus.Completed ? (run.outcome ?? RunOutcome.Failed) : run.status;
  return {
    runId: run.runId,
    operation: run.operation,
    status: run.status,
    outcome: run.outcome,
    labelKey: `onboarding.run.${key}`,
    tone: run.outcome !== null ? OUTCOME_TONE[run.outcome] : "info",
    url: runUrl ? runUrl(run.runId) : null,
    message: run.message ?? null,
    timedOut: run.timedOut === true,
    progress:
      report === undefined ? null : { message: report.message, percent: report.percent, reportedAt: report.reportedAt },
  };
}

/**
 * Turns a draft into what a wizard UI shows: the state badge, the stage and polling hint,
 * readiness, and one entry per checkpoint with its status, label keys, badge tone and run
 * links. Pure; labels are translation keys so the UI owns the wording.
 *
 * @example
 * ```ts
 * const view = describeDraft(draft, { runUrl: (id) => `/monitoring/runs/${id}` });
 * for (const c of view.checkpoints) render(t(c.labelKey), t(c.statusLabelKey), c.tone);
 * ```
 */
export function describeDraft(draft: OnboardingDraft, options: DescribeOptions = {}): DraftView {
  const lifecycle = deriveLifecycle(draft);
  const stage = resolveStage(draft, options);
  const readiness = evaluateReadiness(draft, options.policy, options.now === undefined ? {} : { now: options.now });
  const current = lifecycle.currentCheckpoint;
  const checkpoints = CHECKPOINTS.map((checkpoint): CheckpointView => {
    const status = checkpointStatus(
      checkpoint,
      lifecycle.state,
      current,
      lifecycle.lastCompletedCheckpoint,
      lifecycle.reason,
    );
    const runs =
      checkpoint === Checkpoint.VerifyAccess && draft.verification
        ? [runView(draft.verification, options.runUrl, options.progress)]
        : checkpoint === Checkpoint.Bootstrap
          ? currentBootstrapRuns(draft).map((run) => runView(run, options.runUrl, options.progress))
          : [];
    return {
      checkpoint,
      status,
      labelKey: `onboarding.checkpoint.${checkpoint}`,
      statusLabelKey: `onboarding.checkpoint_status.${status}`,
      tone: STATUS_TONE[status],
      runs,
    };
  });
  const tone =
    lifecycle.state === LifecycleState.ReadyForActivation && lifecycle.reason === LifecycleReason.VerificationWarnings
      ? "warning"
      : STATE_TONE[lifecycle.state];
  return {
    draftId: draft.id,
    version: draft.version,
    state: lifecycle.state,
    stateLabelKey: `onboarding.state.${lifecycle.state}`,
    tone,
    reason: lifecycle.reason,
    reasonLabelKey: lifecycle.reason === null ? null : `onboarding.reason.${lifecycle.reason}`,
    stage,
    readiness,
    checkpoints,
  };
}

function checkpointStatus(
  checkpoint: Checkpoint,
  state: LifecycleState,
  current: Checkpoint | null,
  lastCompleted: Checkpoint | null,
  reason: LifecycleReasonType | null,
): CheckpointStatus {
  if (current === null) {
    // Terminal: completed marks everything complete; cancelled keeps what was completed.
    if (state === LifecycleState.Completed) return "complete";
    return lastCompleted !== null && checkpointIndex(checkpoint) <= checkpointIndex(lastCompleted)
      ? "complete"
      : "pending";
  }
  const index = checkpointIndex(checkpoint);
  const currentIndex = checkpointIndex(current);
  if (index < currentIndex) return "complete";
  if (index > currentIndex) return "pending";
  if (reason === LifecycleReason.ProviderChanged) return "stale";
  if (state === LifecycleState.Verifying || state === LifecycleState.Bootstrapping) return "in_progress";
  if (state === LifecycleState.ActionRequired) return "blocked";
  return "current";
}
