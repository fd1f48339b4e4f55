/**
 * The engine's instrumentation hook (issue 12): a small interface, free of any dependency, that
 * tracing and metrics plug into (`openTelemetry()` of `onboarding-lifecycle/opentelemetry`, or
 * your own). The engine decides once, at construction, whether it has one: without it the
 * operations are the plain functions, with nothing wrapped and nothing checked per call.
 * `outcome.ts` has the helpers an instrumentation reads results and errors with.
 */
import type { CommandType, Feedback } from "../commands/index.js";
import type { LifecycleState } from "../vocabulary/index.js";
import type { DraftStore } from "../store/index.js";

/**
 * The engine operations an instrumentation is told about, one per engine method.
 *
 * @example
 * ```ts
 * const slow = (operation: EngineOperation) => operation === EngineOperation.ExpireStuckRuns;
 * ```
 */
export const EngineOperation = {
  /** `engine.execute`: one command. */
  Execute: "execute",
  /** `engine.create`. */
  Create: "create",
  /** `engine.get`. */
  Get: "get",
  /** `engine.history`. */
  History: "history",
  /** `engine.list`. */
  List: "list",
  /** `engine.runProgress`. */
  RunProgress: "runProgress",
  /** `engine.expireStuckRuns` (its expiries are `execute` operations inside it). */
  ExpireStuckRuns: "expireStuckRuns",
} as const;

/** One of the values of {@link EngineOperation}. */
export type EngineOperation = (typeof EngineOperation)[keyof typeof EngineOperation];

/**
 * How an engine operation ended, in a few words that make good metric attributes (the precise
 * feedback and error code travel beside it).
 *
 * @example
 * ```ts
 * const wrote = (outcome: OperationOutcome) =>
 *   outcome === OperationOutcome.Committed || outcome === OperationOutcome.Created;
 * ```
 */
export const OperationOutcome = {
  /** A command wrote a new version (its audit entry and outbox entries with it). */
  Committed: "committed",
  /** `create` inserted a draft. */
  Created: "created",
  /** `create` returned the tenant's open draft (`onExisting: "resume"`). */
  Resumed: "resumed",
  /** An idempotency key got its first outcome back; nothing was written. */
  Replayed: "replayed",
  /** A run start found the run already queued or running; nothing was written. */
  Deduped: "deduped",
  /** A worker's report was ignored (stale, duplicate, terminal draft, expired run). */
  Ignored: "ignored",
  /** A progress report was stored beside the draft, without a new version. */
  Recorded: "recorded",
  /** The command asked for what the draft already was; nothing was written. */
  Unchanged: "unchanged",
  /** A read (`get`, `history`, `list`, `runProgress`) or `expireStuckRuns` completed. */
  Ok: "ok",
  /** A stale `expectedVersion` (`VersionConflictError`). */
  Conflict: "conflict",
  /** `authorize` refused (`AuthorizationError`). */
  Denied: "denied",
  /** Bad input (`ValidationError`). */
  Invalid: "invalid",
  /** No such draft in the workspace (`DraftNotFoundError`). */
  NotFound: "not_found",
  /** The lifecycle refused the command (terminal draft, not ready, invalid transition, open draft exists, ...). */
  Refused: "refused",
  /** Anything else: the store failed, retries ran out, a corrupt record, an unexpected error. */
  Error: "error",
} as const;

/** One of the values of {@link OperationOutcome}. */
export type OperationOutcome = (typeof OperationOutcome)[keyof typeof OperationOutcome];

/** What the engine knows when an operation starts (arguments as given, before validation). */
export interface OperationInfo {
  /** Which operation. */
  readonly operation: EngineOperation;
  /** The workspace argument, when it is a well-formed id (else `null`: the call will fail validation). */
  readonly workspaceId: string | null;
  /** The draft argument, when it is a well-formed id (`null` for `create`, `list`, `expireStuckRuns`). */
  readonly draftId: string | null;
  /** The command's type, when it is a known one (`execute` only; never free text from the caller). */
  readonly commandType: CommandType | null;
  /** The caller's `expectedVersion` (operator commands of `execute` only). */
  readonly expectedVersion: number | null;
  /** The engine's store, for its `name` and `describe()`. */
  readonly store: DraftStore;
}

/** What an operation's result says, in the same words for every operation ({@link summarizeOperation}). */
export interface OperationEnd {
  /** How it ended. */
  readonly outcome: OperationOutcome;
  /** The draft it ended on (a new draft's id for `create`), or `null`. */
  readonly draftId: string | null;
  /** The draft's version handed back, or `null`. */
  readonly version: number | null;
  /** Whether this operation wrote that version (a commit or an insert). */
  readonly committed: boolean;
  /** The command's feedback (`applied`, `queued`, `ignored_stale_result`, ...), or `null`. */
  readonly feedback: Feedback | null;
  /** The draft's lifecycle state afterwards, or `null`. */
  readonly state: LifecycleState | null;
  /** How many items came back (drafts listed, audit entries, progress reports, runs expired), or `null`. */
  readonly count: number | null;
}

/**
 * One operation, as an instrumentation follows it. The engine calls `run` once with the
 * operation's body, routes every store call of the operation through `storeCall`, reports
 * retries, and ends with exactly one of `end` or `fail`. `run` and `storeCall` must call their
 * function once and hand back its promise (result or rejection) unchanged; a throw from
 * `retried`, `end` or `fail` is ignored, so an instrumentation never breaks a command.
 */
export interface OperationTrace {
  /** Runs the operation's body (OpenTelemetry: with the operation's span as the active context). */
  run<T>(body: () => Promise<T>): Promise<T>;
  /** Runs one store call of the operation (`method` is the port method: `load`, `commit`, ...). */
  storeCall<T>(method: string, call: () => Promise<T>): Promise<T>;
  /** A write lost its compare-and-set and the command goes round again (`attempt` from 1, after `delayMs`). */
  retried(attempt: number, delayMs: number): void;
  /**
   * The operation succeeded with `result`, what the engine method returns: a `MutationResult`
   * (`execute`), a `CreateResult` (`create`), a draft (`get`), the audit entries (`history`), a
   * `DraftPage` (`list`), the progress reports (`runProgress`) or the `ExpireStuckRunsReport`
   * (`expireStuckRuns`). {@link summarizeOperation} reads any of them.
   */
  end(result: unknown): void;
  /** The operation threw `error`, rethrown to the caller after this (see {@link outcomeOfError}). */
  fail(error: unknown): void;
}

/**
 * Tracing and metrics for an engine: `EngineOptions.instrumentation`. Called at the start of
 * every operation; return `undefined` to leave that operation alone.
 *
 * @example
 * ```ts
 * import { openTelemetry } from "onboarding-lifecycle/opentelemetry";
 *
 * const engine = createOnboardingEngine({ store, authorize, instrumentation: openTelemetry() });
 * ```
 */
export interface EngineInstrumentation {
  /**
   * An operation starts. `parent` is the operation it runs inside (the `execute` of each
   * expiry inside `expireStuckRuns`), or `null`.
   */
  startOperation(info: OperationInfo, parent: OperationTrace | null): OperationTrace | undefined;
}

/** Calls an instrumentation's hook; a throw from it is dropped (an instrumentation never breaks a command). */
export function quietly(hook: () => void): void {
  try {
    hook();
  } catch {
    // Nowhere to report to that could not itself fail; the operation's own outcome stands.
  }
}
