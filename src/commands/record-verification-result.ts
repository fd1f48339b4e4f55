import * as z from "zod/mini";
import { compiledStrictObject } from "../record/index.js";
import { Capability, RunStatus, type RunOutcome } from "../vocabulary/index.js";
import { isVerificationStale } from "../lifecycle/index.js";
import { runReportConsistency, runReportShape } from "./shared.js";
import { Feedback, apply, defineCommand, noop } from "./define.js";

/** Input of `record_verification_result`: a worker reports progress or the result of a verification run. */
export const RecordVerificationResultCommandSchema = compiledStrictObject({
  /** The command type. */
  type: z.literal("record_verification_result"),
  ...runReportShape,
}).check(runReportConsistency);

/**
 * The `record_verification_result` command: a worker's report that it picked the verification run up or
 * finished it (as {@link RecordVerificationResultCommandSchema} parses it).
 *
 * @sortStrategy source-order
 */
export interface RecordVerificationResultCommand {
  /** The command type. */
  readonly type: "record_verification_result";
  /** The run being reported on (as returned in `runIds` when it was started). */
  readonly runId: string;
  /** `running` when the worker picked the run up, `completed` when it finished. */
  readonly status: "running" | "completed";
  /** How the run ended; required exactly when `status` is `completed`. */
  readonly outcome?: RunOutcome | undefined;
  /** A message for operators (warnings, the error), stored on the run. */
  readonly message?: string | undefined;
}

/**
 * `record_verification_result` (worker): records that the run started (`running`) or finished
 * (`completed` with an outcome). A report on a run that is not the current one (superseded by a
 * newer run, or made against a provider that has since changed) is ignored, never applied; so is
 * a second report on a completed run.
 */
export const recordVerificationResult = defineCommand({
  type: "record_verification_result",
  schema: RecordVerificationResultCommandSchema,
  worker: true,
  capabilities: () => [Capability.RecordResult],
  decide(draft, command, context) {
    const run = draft.verification;
    if (run === null || run.runId !== command.runId || isVerificationStale(draft)) {
      return noop(Feedback.IgnoredStaleResult, [command.runId]);
    }
    if (run.status === RunStatus.Completed) {
      return noop(run.timedOut === true ? Feedback.IgnoredExpiredRun : Feedback.IgnoredDuplicateResult, [
        command.runId,
      ]);
    }
    if (command.status === RunStatus.Running && run.status === RunStatus.Running && command.message === undefined) {
      return noop(Feedback.Unchanged, [command.runId]);
    }
    return apply(
      Feedback.Recorded,
      (d) => {
        const target = d.verification;
        if (target === null) return;
        target.status = command.status;
        if (command.status === RunStatus.Completed) {
          target.outcome = command.outcome ?? null;
          target.completedAt = context.now;
        }
        if (command.message !== undefined) target.message = command.message;
      },
      [command.runId],
    );
  },
});
