import * as z from "zod/mini";
import {
  PercentSchema,
  TextSchema,
  compiledStrictObject,
  type CheckpointRun,
  type OnboardingDraft,
} from "../record/index.js";
import { Capability, RunStatus, type RunCheckpoint } from "../vocabulary/index.js";
import { currentBootstrapRuns, isVerificationStale } from "../lifecycle/index.js";
import { CommandIdSchema } from "./shared.js";
import { Feedback, apply, defineCommand, noop, type Decision } from "./define.js";

/**
 * The current run a worker names, with its checkpoint, or the feedback that says why there is
 * none: a run superseded or made stale (`ignored_stale_result`), or already finished
 * (`ignored_expired_run` when the engine expired it, else `ignored_duplicate_result`).
 */
export function findCurrentRun(
  draft: OnboardingDraft,
  runId: string,
): { readonly run: CheckpointRun; readonly checkpoint: RunCheckpoint } | { readonly ignored: Feedback } {
  const verification = draft.verification;
  let found: { run: CheckpointRun; checkpoint: RunCheckpoint } | null = null;
  if (verification !== null && verification.runId === runId) {
    if (isVerificationStale(draft)) return { ignored: Feedback.IgnoredStaleResult };
    found = { run: verification, checkpoint: "verify_access" };
  } else {
    const run = currentBootstrapRuns(draft).find((candidate) => candidate.runId === runId);
    if (run !== undefined) found = { run, checkpoint: "bootstrap" };
  }
  if (found === null) return { ignored: Feedback.IgnoredStaleResult };
  if (found.run.status === RunStatus.Completed) {
    return { ignored: found.run.timedOut === true ? Feedback.IgnoredExpiredRun : Feedback.IgnoredDuplicateResult };
  }
  return found;
}

const progressShape = {
  /** The run being reported on. */
  runId: CommandIdSchema,
  /** What the worker is doing, for operators. */
  message: z.optional(TextSchema),
  /** How far it got, 0 to 100. */
  percent: z.optional(PercentSchema),
};

/** Input of `record_verification_progress`: a worker's heartbeat on a verification run. */
export const RecordVerificationProgressCommandSchema = compiledStrictObject({
  /** The command type. */
  type: z.literal("record_verification_progress"),
  ...progressShape,
});

/**
 * The `record_verification_progress` command: a worker's heartbeat on a verification run (as
 * {@link RecordVerificationProgressCommandSchema} parses it).
 *
 * @sortStrategy source-order
 */
export interface RecordVerificationProgressCommand {
  /** The command type. */
  readonly type: "record_verification_progress";
  /** The run being reported on. */
  readonly runId: string;
  /** What the worker is doing, for operators. */
  readonly message?: string | undefined;
  /** How far it got, 0 to 100. */
  readonly percent?: number | undefined;
}

/** Input of `record_bootstrap_progress`: a worker's heartbeat on a bootstrap run. */
export const RecordBootstrapProgressCommandSchema = compiledStrictObject({
  /** The command type. */
  type: z.literal("record_bootstrap_progress"),
  ...progressShape,
});

/**
 * The `record_bootstrap_progress` command: a worker's heartbeat on a bootstrap run (as
 * {@link RecordBootstrapProgressCommandSchema} parses it).
 *
 * @sortStrategy source-order
 */
export interface RecordBootstrapProgressCommand {
  /** The command type. */
  readonly type: "record_bootstrap_progress";
  /** The run being reported on. */
  readonly runId: string;
  /** What the worker is doing, for operators. */
  readonly message?: string | undefined;
  /** How far it got, 0 to 100. */
  readonly percent?: number | undefined;
}

/** A progress report on a current, active run of `checkpoint` is recorded; anything else is ignored. */
function decideProgress(draft: OnboardingDraft, runId: string, checkpoint: RunCheckpoint): Decision {
  const found = findCurrentRun(draft, runId);
  if ("ignored" in found) return noop(found.ignored, [runId]);
  if (found.checkpoint !== checkpoint) return noop(Feedback.IgnoredStaleResult, [runId]);
  return noop(Feedback.Recorded, [runId]);
}

/**
 * `record_verification_progress` (worker): a heartbeat with an optional message and percent. It
 * never changes the draft or its version: the engine stores it beside the record (on the run's
 * outbox record), so an operator's open page stays current. A report on a run that is not the
 * current, active verification run is ignored.
 */
export const recordVerificationProgress = defineCommand({
  type: "record_verification_progress",
  schema: RecordVerificationProgressCommandSchema,
  worker: true,
  progress: true,
  capabilities: () => [Capability.RecordResult],
  decide: (draft, command) => decideProgress(draft, command.runId, "verify_access"),
});

/** `record_bootstrap_progress` (worker): as `record_verification_progress`, for a bootstrap run. */
export const recordBootstrapProgress = defineCommand({
  type: "record_bootstrap_progress",
  schema: RecordBootstrapProgressCommandSchema,
  worker: true,
  progress: true,
  capabilities: () => [Capability.RecordResult],
  decide: (draft, command) => decideProgress(draft, command.runId, "bootstrap"),
});

/** Input of `expire_run`: end a run nobody reported on for longer than its lease. */
export const ExpireRunCommandSchema = compiledStrictObject({
  /** The command type. */
  type: z.literal("expire_run"),
  /** The stuck run. */
  runId: CommandIdSchema,
  /** Why, for operators (stored as the run's message). */
  message: z.optional(TextSchema),
});

/**
 * The `expire_run` command: completes a stuck run as `failed` with `timedOut` (as
 * {@link ExpireRunCommandSchema} parses it; sent by `expireStuckRuns`).
 *
 * @sortStrategy source-order
 */
export interface ExpireRunCommand {
  /** The command type. */
  readonly type: "expire_run";
  /** The stuck run. */
  readonly runId: string;
  /** Why, for operators (stored as the run's message). */
  readonly message?: string | undefined;
}

/**
 * `expire_run` (worker; sent by `engine.expireStuckRuns`): completes a stuck run with outcome
 * `failed` and `timedOut: true`, so the lifecycle shows `action_required` with reason
 * `verification_timed_out` / `bootstrap_timed_out`. A late result for it is then ignored
 * (`ignored_expired_run`). A run that is no longer current or active is left alone.
 */
export const expireRun = defineCommand({
  type: "expire_run",
  schema: ExpireRunCommandSchema,
  worker: true,
  capabilities: () => [Capability.RecordResult],
  decide(draft, command, context) {
    const found = findCurrentRun(draft, command.runId);
    if ("ignored" in found) return noop(found.ignored, [command.runId]);
    const message = command.message ?? "No worker reported on the run in time.";
    return apply(
      Feedback.Expired,
      (d) => {
        const target =
          found.checkpoint === "verify_access"
            ? d.verification
            : d.bootstrap?.runs.find((candidate) => candidate.runId === command.runId);
        if (target === null || target === undefined) return;
        target.status = RunStatus.Completed;
        target.outcome = "failed";
        target.completedAt = context.now;
        target.message = message;
        target.timedOut = true;
      },
      [command.runId],
    );
  },
});
