import * as z from "zod/mini";
import { IdSchema, InvalidTransitionError, TextSchema, type OnboardingDraft } from "../record/index.js";

/** An opaque id in a command: the record's id rule (1..128 characters of storable text). */
export const CommandIdSchema = IdSchema;

/** Throws {@link InvalidTransitionError} for `draft` when `condition` is false. */
export function ensure(
  condition: boolean,
  draft: OnboardingDraft,
  commandType: string,
  requirement: string,
): asserts condition {
  if (!condition) throw new InvalidTransitionError(draft.id, commandType, draft.lifecycle.state, requirement);
}

/** The run-report part shared by both `record_*_result` commands. */
export const runReportShape = {
  /** The run being reported on (as returned in `runIds` when it was started). */
  runId: CommandIdSchema,
  /** `running` when the worker picked the run up, `completed` when it finished. */
  status: z.enum(["running", "completed"]),
  /** How the run ended; required exactly when `status` is `completed`. */
  outcome: z.optional(z.enum(["succeeded", "partially_succeeded", "failed", "blocked", "cancelled"])),
  /** A message for operators (warnings, the error), stored on the run. */
  message: z.optional(TextSchema),
};

/** A report must carry an outcome exactly when it says the run completed (a plain, cheap `z.check`). */
export const runReportConsistency = z.check<{ status: string; outcome?: string | undefined }>((payload) => {
  const report = payload.value;
  if ((report.status === "completed") !== (report.outcome !== undefined)) {
    payload.issues.push({
      code: "custom",
      path: ["outcome"],
      message:
        report.status === "completed" ? "a completed run needs an outcome" : "only a completed run has an outcome",
      input: report.outcome,
    });
  }
});
