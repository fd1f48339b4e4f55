/**
 * How an instrumentation reads what an engine operation returned or threw: the outcome names of
 * {@link OperationOutcome}. Used by `onboarding-lifecycle/opentelemetry`, which imports this file
 * alone: it loads two modules of record/ and nothing else of the engine.
 */
import type { Feedback } from "../commands/index.js";
import { ErrorCode } from "../record/error-code.js";
import { isOnboardingError } from "../record/errors.js";
import type { OnboardingDraft } from "../record/index.js";
import { EngineOperation, OperationOutcome, type OperationEnd } from "./instrumentation.js";
import type { CreateResult, MutationResult } from "./types.js";

const REFUSALS: ReadonlySet<string> = new Set([
  ErrorCode.TerminalDraft,
  ErrorCode.NotReady,
  ErrorCode.InvalidTransition,
  ErrorCode.OpenDraftExists,
  ErrorCode.IdempotencyKeyReuse,
  ErrorCode.RunActive,
  ErrorCode.UnknownRun,
]);

/**
 * The outcome of an operation that threw `error`.
 *
 * @example
 * ```ts
 * const trace: Pick<OperationTrace, "fail"> = {
 *   fail: (error) => console.warn("operation failed:", outcomeOfError(error)),
 * };
 * ```
 */
export function outcomeOfError(error: unknown): OperationOutcome {
  if (!isOnboardingError(error)) return OperationOutcome.Error;
  switch (error.code) {
    case ErrorCode.VersionConflict:
      return OperationOutcome.Conflict;
    case ErrorCode.Forbidden:
      return OperationOutcome.Denied;
    case ErrorCode.Validation:
      return OperationOutcome.Invalid;
    case ErrorCode.DraftNotFound:
      return OperationOutcome.NotFound;
    default:
      return REFUSALS.has(error.code) ? OperationOutcome.Refused : OperationOutcome.Error;
  }
}

/** The outcome of a command that returned: what its result says was (or was not) written. */
function outcomeOfCommand(feedback: Feedback, committed: boolean, replayed: boolean): OperationOutcome {
  if (replayed) return OperationOutcome.Replayed;
  if (committed) return OperationOutcome.Committed;
  if (feedback === "deduped") return OperationOutcome.Deduped;
  if (feedback === "recorded") return OperationOutcome.Recorded;
  return feedback.startsWith("ignored_") ? OperationOutcome.Ignored : OperationOutcome.Unchanged;
}

/** How many items a read handed back: an array's length, or a page's `drafts` / a report's `expired`. */
function countOf(result: unknown): number | null {
  if (Array.isArray(result)) return result.length;
  const page = result as { drafts?: unknown; entries?: unknown; expired?: unknown } | null;
  const items = page?.drafts ?? page?.entries ?? page?.expired;
  return Array.isArray(items) ? items.length : null;
}

/**
 * What an operation's result says: its outcome, the draft and version it ended on, whether it
 * wrote, the feedback, the state and how many items came back.
 *
 * @example
 * ```ts
 * const trace: Pick<OperationTrace, "end"> = {
 *   end: (result) => console.info(summarizeOperation("execute", result).outcome),
 * };
 * ```
 */
export function summarizeOperation(operation: EngineOperation, result: unknown): OperationEnd {
  if (operation === EngineOperation.Execute) {
    const { draft, version, event, feedback, replayed, state } = result as MutationResult;
    const committed = event !== null;
    const outcome = outcomeOfCommand(feedback, committed, replayed);
    return { outcome, draftId: draft.id, version, committed, feedback, state, count: null };
  }
  if (operation === EngineOperation.Create) {
    const { draft, created, replayed } = result as CreateResult;
    const outcome = replayed
      ? OperationOutcome.Replayed
      : created
        ? OperationOutcome.Created
        : OperationOutcome.Resumed;
    const { id, version, lifecycle } = draft;
    return { outcome, draftId: id, version, committed: created, feedback: null, state: lifecycle.state, count: null };
  }
  if (operation === EngineOperation.Get) {
    const { id, version, lifecycle } = result as OnboardingDraft;
    const state = lifecycle.state;
    return { outcome: OperationOutcome.Ok, draftId: id, version, committed: false, feedback: null, state, count: null };
  }
  const count = countOf(result);
  return {
    outcome: OperationOutcome.Ok,
    draftId: null,
    version: null,
    committed: false,
    feedback: null,
    state: null,
    count,
  };
}
