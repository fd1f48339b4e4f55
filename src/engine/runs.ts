import { AuditEventSchema, type OnboardingDraft } from "../record/index.js";

/**
 * Whether the draft itself still names the run: its verification, any bootstrap run (superseded
 * ones are kept), or a run the last provider change cleared.
 */
export function draftHadRun(draft: OnboardingDraft, runId: string): boolean {
  if (draft.verification?.runId === runId) return true;
  if (draft.bootstrap?.runs.some((run) => run.runId === runId) === true) return true;
  const invalidation = draft.invalidation;
  return (
    invalidation !== null && (invalidation.verificationRunId === runId || invalidation.bootstrapRunIds.includes(runId))
  );
}

/**
 * Whether an audit entry of the draft is a committed one that started or reported on the run
 * (verification runs replaced by a newer one are named only there). An entry that fails
 * validation is not: this only decides between "stale" and "unknown".
 */
export function auditStartedRun(entry: unknown, runId: string): boolean {
  const parsed = AuditEventSchema.safeParse(entry);
  return parsed.success && parsed.data.kind === "committed" && parsed.data.runIds.includes(runId);
}
