import type { OnboardingDraft, RunProgress } from "../record/index.js";
import type { ReadinessPolicy } from "../lifecycle/index.js";
import type { CommandInput, CommandType, OperatorCommand, WorkerCommand } from "../commands/index.js";
import type { DraftStore } from "../store/index.js";
import { createContext, type EngineContext } from "./context.js";
import { createCreate } from "./create.js";
import { createExecute } from "./execute.js";
import { createReads } from "./reads.js";
import { instrumentedOperations, type EngineOperations } from "./instrumented.js";
import type { HistoryOptions, HistoryPage } from "./history.js";
import type { EngineEventOf, EngineEventType, EngineObserver } from "./events.js";
import {
  DEFAULT_RUN_LEASE_MS,
  expireStuckRuns,
  runProgress,
  type ExpireStuckRunsOptions,
  type ExpireStuckRunsReport,
} from "./runs-api.js";
import type {
  Actor,
  CreateOptions,
  CreateResult,
  DraftPage,
  EngineOptions,
  ExecuteOptions,
  ListDraftsOptions,
  MutationResult,
  ReadOptions,
  WorkerExecuteOptions,
} from "./types.js";

type UnionToIntersection<U> = (U extends unknown ? (u: U) => void : never) extends (i: infer I) => void ? I : never;
type IsUnion<T> = [T] extends [UnionToIntersection<T>] ? false : true;

/**
 * What the run-time overload of `execute` accepts: values whose command type is not known
 * statically (`unknown`, `any`, a `type: string`, or a union over several command types). A value with one known
 * command type must match the typed overloads; one with an unknown `type` never matches.
 */
export type RuntimeCommand<C> = unknown extends C
  ? unknown
  : [C] extends [
        {
          /** The command's type. */
          readonly type: infer T;
        },
      ]
    ? string extends T
      ? unknown
      : [T] extends [CommandType]
        ? IsUnion<T> extends true
          ? unknown
          : never
        : never
    : never;

/**
 * The mutation engine returned by {@link createOnboardingEngine}: create and read drafts, run
 * commands on them, page through their audit trail, and keep background runs honest. Every
 * method takes the acting actor in its options and is authorized through `authorize`.
 *
 * @sortStrategy source-order
 */
export interface OnboardingEngine<TActor extends Actor = Actor> {
  /** The store the engine writes to. */
  readonly store: DraftStore;
  /** The readiness policy activation is checked against. */
  readonly policy: ReadinessPolicy;
  /**
   * Creates a draft (optionally identified right away). At most one open draft per tenant and
   * workspace: `onExisting: "resume"` returns the existing one, `"error"` (default) throws
   * `OpenDraftExistsError`.
   *
   * @example
   * ```ts
   * const input = { identity: { tenantId: "t-1", displayName: "Contoso" } };
   * const { draft, created } = await engine.create("ws-1", input, { actor, onExisting: "resume" });
   * // created: false when the tenant's open draft was resumed
   * ```
   */
  create(workspaceId: string, input: unknown, options: CreateOptions<TActor>): Promise<CreateResult>;
  /**
   * Reads a draft (needs `view`). Never locks, never changes the version.
   *
   * @example
   * ```ts
   * const draft = await engine.get("ws-1", draftId, { actor });
   * const { step, polling } = resolveStage(draft); // the wizard step to show, and whether to poll
   * ```
   */
  get(workspaceId: string, draftId: string, options: ReadOptions<TActor>): Promise<OnboardingDraft>;
  /**
   * Runs an operator command with a version check: `expectedVersion` is the version the
   * operator's screen shows; another stored version is a `VersionConflictError`.
   *
   * @example
   * ```ts
   * const result = await engine.execute("ws-1", draft.id, { type: "start_verification" }, {
   *   actor,
   *   expectedVersion: draft.version,
   *   idempotencyKey: "verify-click-42", // a retry of the same click is replayed, not repeated
   * });
   * result.feedback; // "queued" ("deduped" while a run is already active)
   * ```
   */
  execute(
    workspaceId: string,
    draftId: string,
    command: OperatorCommand | Extract<CommandInput, { type: OperatorCommand["type"] }>,
    options: ExecuteOptions<TActor>,
  ): Promise<MutationResult>;
  /**
   * Records a background worker's report on a run (matched by `runId`, retried on conflict).
   *
   * @example
   * ```ts
   * const worker = { id: "verify-worker" };
   * const report = { runId, status: "completed", outcome: "succeeded" } as const;
   * const command = { type: "record_verification_result", ...report } as const;
   * const { feedback } = await engine.execute("ws-1", draftId, command, { actor: worker });
   * // "recorded", or "ignored_stale_result" when the run is no longer current
   * ```
   */
  execute(
    workspaceId: string,
    draftId: string,
    command: WorkerCommand | Extract<CommandInput, { type: WorkerCommand["type"] }>,
    options: WorkerExecuteOptions<TActor>,
  ): Promise<MutationResult>;
  /**
   * Runs a command that is only known at run time (validated like any other): an `unknown` or
   * `any` value (a request body) or a `Command` union. A literal command the two overloads above
   * refuse (an operator command without `expectedVersion`, an unknown `type`) stays a type error.
   *
   * @example
   * ```ts
   * // A request body: the engine validates it (`ValidationError` for bad input).
   * const result = await engine.execute("ws-1", draftId, req.body, { actor, expectedVersion: 3 });
   * ```
   */
  execute<const C>(
    workspaceId: string,
    draftId: string,
    command: C & RuntimeCommand<C>,
    options: ExecuteOptions<TActor> | WorkerExecuteOptions<TActor>,
  ): Promise<MutationResult>;
  /**
   * One page of a draft's audit trail, {@link onboarding-lifecycle!AuditEvent} entries (needs `view`): at most `limit` entries (1..1000, default
   * 100), oldest first (append order) or, with `order: "newest_first"`, from the latest back.
   * Pass the page's `nextCursor` as `cursor` for the next one; it is `null` on the last page.
   * Cursors are opaque and tied to the draft and the order: a malformed or altered one, or one of
   * another draft, is a `ValidationError`, as is a `limit` out of range. Each page is one range
   * read of the store, whatever the length of the trail.
   *
   * @example
   * ```ts
   * const latest = await engine.history("ws-1", draftId, { actor, order: "newest_first", limit: 20 });
   * let page = await engine.history("ws-1", draftId, { actor, limit: 500 });
   * for (;;) {
   *   for (const entry of page.entries) console.log(entry.toVersion, entry.kind, entry.commandType);
   *   if (page.nextCursor === null) break;
   *   page = await engine.history("ws-1", draftId, { actor, limit: 500, cursor: page.nextCursor });
   * }
   * ```
   */
  history(workspaceId: string, draftId: string, options: HistoryOptions<TActor>): Promise<HistoryPage>;
  /**
   * Lists drafts of a workspace, keyset-paginated (needs `view` with a `null` draft).
   *
   * @example
   * ```ts
   * const query = { actor, state: "action_required", limit: 20 } as const;
   * const { drafts, nextCursor } = await engine.list("ws-1", query);
   * if (nextCursor !== null) await engine.list("ws-1", { ...query, cursor: nextCursor }); // page 2
   * ```
   */
  list(workspaceId: string, options: ListDraftsOptions<TActor>): Promise<DraftPage>;
  /**
   * The last progress report of every run of a draft (needs `view`): what `describeDraft` shows
   * beside the draft. Heartbeats live beside the versioned record, so reading them never
   * changes the draft's version.
   *
   * @example
   * ```ts
   * const progress = await engine.runProgress("ws-1", draftId, { actor });
   * const view = describeDraft(draft, { progress });
   * ```
   */
  runProgress(workspaceId: string, draftId: string, options: ReadOptions<TActor>): Promise<readonly RunProgress[]>;
  /**
   * Expires runs no worker reported on for longer than their lease (`runLeaseMs`): each still
   * current one is completed as `failed` with `timedOut`, so the lifecycle says
   * `action_required` (`verification_timed_out` / `bootstrap_timed_out`), audited as an
   * `expire_run` command, and a late result for it is ignored (`ignored_expired_run`). Run it
   * on a schedule (the dispatcher can); all timing is on the engine's clock.
   *
   * @example
   * ```ts
   * const { expired } = await engine.expireStuckRuns({ actor: { id: "system" } });
   * ```
   */
  expireStuckRuns(options: ExpireStuckRunsOptions<TActor>): Promise<ExpireStuckRunsReport>;
  /**
   * Listens to the engine's events of one type (or `"*"` for all), like `EngineOptions.observe`:
   * called after the outcome is known, on a microtask, never waited for; a throw or a rejection
   * goes to `onObserverError`. Returns the unsubscribe.
   *
   * @example
   * ```ts
   * const off = engine.on("command.conflict", (event) => {
   *   console.warn("stale write on", event.draftId, "by", event.changedBy?.actorId);
   * });
   * off();
   * ```
   */
  on<T extends EngineEventType | "*">(type: T, listener: EngineObserver<EngineEventOf<T>>): () => void;
}

/**
 * Creates the mutation engine: every command is validated, authorized, guarded against the
 * current lifecycle, applied (immer), re-derived and committed with a version check, its audit
 * entry and its idempotency record, atomically, through the given store.
 *
 * @example
 * ```ts
 * import { createOnboardingEngine } from "onboarding-lifecycle";
 * import { createMemoryStore } from "onboarding-lifecycle/adapters/memory";
 *
 * const engine = createOnboardingEngine({
 *   store: createMemoryStore(),
 *   authorize: (actor, capability) => capability !== "override_readiness" || actor.id === "owner",
 * });
 * const { draft } = await engine.create("ws-1", { identity: { tenantId: "t-1", displayName: "Contoso" } }, { actor: { id: "u-1" } });
 * const result = await engine.execute("ws-1", draft.id, { type: "select_provider", connectionId: "conn-1" }, {
 *   actor: { id: "u-1" },
 *   expectedVersion: draft.version,
 * });
 * result.draft.lifecycle.currentCheckpoint; // "verify_access"
 * ```
 */
export function createOnboardingEngine<TActor extends Actor = Actor>(
  options: EngineOptions<TActor>,
): OnboardingEngine<TActor> {
  const context = createContext(options);
  const leaseMs = options.runLeaseMs ?? DEFAULT_RUN_LEASE_MS;
  // Decided once: without an instrumentation the operations are the plain functions.
  const operations =
    options.instrumentation === undefined
      ? plainOperations(context, leaseMs)
      : instrumentedOperations(context, options.instrumentation, leaseMs);
  // One implementation behind the three typed overloads of `execute`.
  const execute: OnboardingEngine<TActor>["execute"] = operations.execute;
  return {
    store: context.store,
    policy: context.policy,
    ...operations,
    execute,
    on: (type, listener) => context.events.on(type, listener),
  };
}

/** The operations of an engine without instrumentation. */
function plainOperations<TActor extends Actor>(
  context: EngineContext<TActor>,
  leaseMs: number,
): EngineOperations<TActor> {
  const { get, history, list } = createReads(context);
  const execute = createExecute(context);
  return {
    create: createCreate(context),
    get,
    execute,
    history,
    list,
    runProgress: (workspaceId, draftId, readOptions) => runProgress(context, workspaceId, draftId, readOptions),
    expireStuckRuns: (expireOptions) => expireStuckRuns(context, execute, expireOptions, leaseMs),
  };
}
