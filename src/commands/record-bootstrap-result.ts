import * as z from "zod/mini";
import { compiledStrictObject } from "../record/index.js";
import { Capability, RunStatus, type RunOutcome } from "../vocabulary/index.js";
import { currentBootstrapRuns } from "../lifecycle/index.js";
import { runReportConsistency, runReportShape } from "./shared.js";
import { Feedback, apply, defineCommand, noop } from "./define.js";

/** Input of `record_bootstrap_result`: a worker reports progress or the result of a bootstrap run. */
export const RecordBootstrapResultCommandSchema = compiledStrictObject({
  /** The command type. */
  type: z.literal("record_bootstrap_result"),
  ...runReportShape,
}).check(runReportConsistency);

/**
 * The `record_bootstrap_result` command: a worker's report that it picked the bootstrap run up or
 * finished it (as {@link RecordBootstrapResultCommandSchema} parses it).
 *
 * @sortStrategy source-order
 */
export interface RecordBootstrapResultCommand {
  /** The command type. */
  readonly type: "record_bootstrap_result";
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
 * `record_bootstrap_result` (worker): records progress or the result of one bootstrap run. A
 * report on a run that is unknown (cleared by a provider change) or superseded by a newer run
 * of the same operation is ignored; so is a second report on a completed run.
 */
export const recordBootstrapResult = defineCommand({
  type: "record_bootstrap_result",
  schema: RecordBootstrapResultCommandSchema,
  worker: true,
  capabilities: () => [Capability.RecordResult],
  decide(draft, command, context) {
    const run = currentBootstrapRuns(draft).find((candidate) => candidate.runId === command.runId);
    if (run === undefined) return noop(Feedback.IgnoredStaleResult, [command.runId]);
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
        const target = d.bootstrap?.runs.find((candidate) => candidate.runId === command.runId);
        if (target === undefined) return;
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
