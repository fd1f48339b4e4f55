import type { Draft } from "immer";
import type * as z from "zod/mini";
import type { Capability } from "../vocabulary/index.js";
import type { OnboardingDraft } from "../record/index.js";
import type { ReadinessPolicy } from "../lifecycle/index.js";

/**
 * What a command tells its caller about what happened, beyond the new draft:
 * - `applied`: the change was made;
 * - `queued`: a run was started (verification or bootstrap);
 * - `deduped`: the run was already queued or running; nothing new was started;
 * - `unchanged`: the command asked for what the draft already was; nothing was written;
 * - `recorded`: a worker's run progress or result was recorded;
 * - `activated` / `cancelled`: the draft reached a terminal state;
 * - `ignored_stale_result`: a worker reported on a run that is no longer current;
 * - `ignored_duplicate_result`: a worker reported again on a run that already completed;
 * - `ignored_terminal`: a worker reported on a completed or cancelled draft;
 * - `expired`: a stuck run was expired (`expire_run`);
 * - `ignored_expired_run`: a worker reported on a run that was expired.
 */
export const Feedback = {
  /** The change was made. */
  Applied: "applied",
  /** A run was started (verification or bootstrap). */
  Queued: "queued",
  /** The run was already queued or running; nothing new was started. */
  Deduped: "deduped",
  /** The command asked for what the draft already was; nothing was written. */
  Unchanged: "unchanged",
  /** A worker's run progress or result was recorded. */
  Recorded: "recorded",
  /** A run nobody reported on in time was expired (`expire_run`). */
  Expired: "expired",
  /** The draft was activated (terminal). */
  Activated: "activated",
  /** The draft was cancelled (terminal). */
  Cancelled: "cancelled",
  /** A worker reported on a run that is no longer current; nothing was written. */
  IgnoredStaleResult: "ignored_stale_result",
  /** A worker reported again on a run that already completed; nothing was written. */
  IgnoredDuplicateResult: "ignored_duplicate_result",
  /** A worker reported on a completed or cancelled draft; nothing was written. */
  IgnoredTerminal: "ignored_terminal",
  /** A worker reported on a run the engine had expired for lack of reports; nothing was written. */
  IgnoredExpiredRun: "ignored_expired_run",
} as const;

/** One of the values of {@link Feedback}. */
export type Feedback = (typeof Feedback)[keyof typeof Feedback];

/**
 * Everything a reducer may know besides the draft and the command. Injected, so reducers stay
 * pure: the same draft, command and context always give the same result.
 */
export interface CommandContext {
  /** The current time as an ISO-8601 string (from the engine's clock). */
  readonly now: string;
  /** The acting user or worker. */
  readonly actorId: string;
  /** Returns the id for the next run this command starts (from the engine's id generator). */
  readonly nextRunId: () => string;
  /** The readiness policy activation is checked against. */
  readonly policy: ReadinessPolicy;
}

/** A reducer's decision: change the draft with an immer recipe, or leave it as it is. */
export type Decision =
  | {
      /** Change the draft. */
      readonly kind: "apply";
      /** What to tell the caller. */
      readonly feedback: Feedback;
      /** Runs the command started or reported on. */
      readonly runIds: readonly string[];
      /** The immer recipe; mutates the draft proxy in place. */
      readonly recipe: (draft: Draft<OnboardingDraft>) => void;
    }
  | {
      /** Leave the draft as it is; nothing is written. */
      readonly kind: "noop";
      /** What to tell the caller. */
      readonly feedback: Feedback;
      /** Runs the command reported on (for example the existing run of a deduped start). */
      readonly runIds: readonly string[];
    };

/**
 * One command: its input schema, the capabilities it needs, and its pure decision (guard plus
 * immer recipe). The engine only orchestrates these.
 */
export interface CommandDefinition<
  TType extends string,
  TCommand extends {
    /** The command's discriminant. */
    readonly type: TType;
  },
> {
  /** The discriminant. */
  readonly type: TType;
  /** The zod schema of the command input. */
  readonly schema: z.ZodMiniType<TCommand>;
  /**
   * Whether this is a background worker's report: it carries a `runId` instead of an
   * `expectedVersion`, is retried on conflict and is ignored (not refused) on terminal drafts.
   */
  readonly worker: boolean;
  /**
   * Whether this is a progress report (a heartbeat): its decision never changes the draft, and a
   * `recorded` one is stored beside the record without a version bump.
   */
  readonly progress?: boolean;
  /** The capabilities the actor needs for this command on this draft. */
  capabilities(command: TCommand, draft: OnboardingDraft, context: CommandContext): readonly Capability[];
  /**
   * Checks the guard against the current draft and decides what to do. Throws a typed error
   * (`InvalidTransitionError`, `NotReadyError`) when the command is not possible.
   */
  decide(draft: OnboardingDraft, command: TCommand, context: CommandContext): Decision;
}

/** Declares a command (an identity function that fixes the types). */
export function defineCommand<
  TType extends string,
  TCommand extends {
    /** The command's discriminant. */
    readonly type: TType;
  },
>(definition: CommandDefinition<TType, TCommand>): CommandDefinition<TType, TCommand> {
  return definition;
}

/** A decision that changes nothing. */
export function noop(feedback: Feedback, runIds: readonly string[] = []): Decision {
  return { kind: "noop", feedback, runIds };
}

/** A decision that applies `recipe`. */
export function apply(
  feedback: Feedback,
  recipe: (draft: Draft<OnboardingDraft>) => void,
  runIds: readonly string[] = [],
): Decision {
  return { kind: "apply", feedback, recipe, runIds };
}
