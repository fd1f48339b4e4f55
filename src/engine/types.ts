import type { Capability, LifecycleState } from "../vocabulary/index.js";
import type { AuditEvent, OnboardingDraft } from "../record/index.js";
import type { ReadinessPolicy } from "../lifecycle/index.js";
import type { Feedback } from "../commands/index.js";
import type { DraftStore } from "../store/index.js";
import type { EngineObserver, ObserverErrorHandler } from "./events.js";
import type { EngineInstrumentation } from "./instrumentation.js";

/** Who is acting: a user, a service account or a worker. Only `id` is read by the engine. */
export interface Actor {
  /** A stable id, recorded in the draft and the audit trail (1..128 characters). */
  readonly id: string;
}

/**
 * Your authorization rule: may `actor` use `capability` on `draft` (`null` for `create` and
 * `list`)? Return `true` to allow. Denials throw `AuthorizationError` and are audited.
 *
 * @example
 * ```ts
 * const authorize: Authorize<User> = (user, capability, draft) =>
 *   draft === null || user.workspaces.includes(draft.workspaceId)
 *     ? capability !== "override_readiness" || user.role === "owner"
 *     : false;
 * ```
 */
export type Authorize<TActor extends Actor = Actor> = (
  actor: TActor,
  capability: Capability,
  draft: OnboardingDraft | null,
) => boolean | Promise<boolean>;

/** The engine's source of time. Inject a fake one in tests. */
export interface Clock {
  /** The current time, as epoch milliseconds or a `Date`. */
  now(): number | Date;
}

/** The engine's source of ids. Inject a deterministic one in tests. */
export interface IdGenerator {
  /** A new draft id. */
  draftId(): string;
  /** A new run id (verification and bootstrap runs). */
  runId(): string;
  /** A new audit event id. */
  eventId(): string;
}

/** How background results retry on version conflicts: bounded, exponential, full jitter. */
export interface RetryOptions {
  /** Attempts in total, including the first. Default 8. */
  readonly attempts?: number;
  /** First backoff ceiling in milliseconds. Default 5. */
  readonly baseDelayMs?: number;
  /** Largest backoff ceiling in milliseconds. Default 250. */
  readonly maxDelayMs?: number;
  /** Random source for the jitter, in [0, 1). Default `Math.random`. */
  readonly random?: () => number;
  /** Waits; default a `setTimeout` promise. */
  readonly sleep?: (ms: number) => Promise<void>;
}

/**
 * Options of {@link createOnboardingEngine}: only `store` and `authorize` are required; the
 * rest have production defaults, and `clock` / `ids` are the seams tests inject.
 *
 * @example
 * ```ts
 * import { createMemoryStore } from "onboarding-lifecycle/adapters/memory";
 *
 * let tick = 0;
 * const options: EngineOptions = {
 *   store: createMemoryStore(),
 *   authorize: (actor, capability) => capability !== "override_readiness" || actor.id === "owner",
 *   policy: { verificationMaxAgeMs: 24 * 60 * 60 * 1000, requiredBootstrapOperations: ["sync_directory"] },
 *   clock: { now: () => Date.UTC(2025, 0, 1) + tick++ * 1000 }, // a fixed clock in tests
 *   ids: { draftId: () => `d-${tick}`, runId: () => `r-${tick}`, eventId: () => `e-${tick}` },
 *   retry: { attempts: 4 },
 *   runLeaseMs: 10 * 60 * 1000,
 * };
 * const engine = createOnboardingEngine(options);
 * ```
 *
 * @sortStrategy source-order
 */
export interface EngineOptions<TActor extends Actor = Actor> {
  /** Where drafts, audit entries and idempotency records live. */
  readonly store: DraftStore;
  /** Your authorization rule (required: there is no "allow all" default). */
  readonly authorize: Authorize<TActor>;
  /** Time source. Default: the system clock. */
  readonly clock?: Clock;
  /** Id source. Default: `crypto.randomUUID()`. */
  readonly ids?: IdGenerator;
  /** Readiness policy applied to activation. */
  readonly policy?: ReadinessPolicy;
  /** Retry of background results on conflict. */
  readonly retry?: RetryOptions;
  /**
   * How long a run may go without a worker's report (a `record_*_progress` heartbeat or a
   * `running` result) before `expireStuckRuns` expires it. Default 5 minutes.
   */
  readonly runLeaseMs?: number;
  /**
   * How many decoded drafts the engine keeps (default 1000; 0 turns the cache off). A stored
   * document whose text is byte-for-byte the one this engine last wrote or read is not parsed
   * again, and a command on such a draft is computed from it and committed with that text as
   * `basis` (no read before the write; the store writes only if the text is still stored).
   */
  readonly documentCacheSize?: number;
  /**
   * The write gate (default `true`): inside this engine, the commits to one draft go one at a
   * time, in arrival order. When a commit lands, every waiting operator command (without an
   * idempotency key) that expects an older version is certainly stale: it gets its
   * `VersionConflictError` (with the draft this engine just wrote as `current`) without a
   * compare-and-set, and the `conflict` entries of all of them are appended in one `appendAudit`
   * call, stored before any of them is thrown. Everything else goes to the store as without the
   * gate; across processes the store's compare-and-set still decides. A draft with one writer
   * never waits. `false` sends every
   * command's compare-and-set to the store at once.
   */
  readonly writeGate?: boolean;
  /**
   * Observers of the engine's events (`command.committed`, `command.conflict`, `run.requested`,
   * ...; see {@link EngineEvent}), called after the outcome is known, each on a microtask: the
   * engine never waits for them and a throw or a rejection never reaches the caller (it goes to
   * `onObserverError`). With none (and no `engine.on` listener) no event is even built.
   *
   * @example
   * ```ts
   * const engine = createOnboardingEngine({
   *   store: createMemoryStore(),
   *   authorize: () => true,
   *   observe: (event) => {
   *     if (event.type === "command.conflict") console.warn("stale write", event.draftId, event.changedBy);
   *   },
   * });
   * ```
   */
  readonly observe?: EngineObserver | readonly EngineObserver[];
  /** Where an observer's throw or rejection goes, with the event. Default `console.error`. */
  readonly onObserverError?: ObserverErrorHandler;
  /**
   * Tracing and metrics: a span per operation and per store call, durations, conflicts and
   * retries (`openTelemetry()` of `onboarding-lifecycle/opentelemetry`, or your own
   * {@link EngineInstrumentation}). Without it nothing is wrapped or measured.
   *
   * @example
   * ```ts
   * import { openTelemetry } from "onboarding-lifecycle/opentelemetry";
   *
   * const engine = createOnboardingEngine({ store, authorize, instrumentation: openTelemetry() });
   * ```
   */
  readonly instrumentation?: EngineInstrumentation;
}

/**
 * Options of `engine.execute` for operator commands.
 *
 * @example
 * ```ts
 * const options: ExecuteOptions = { actor, expectedVersion: draft.version, idempotencyKey: crypto.randomUUID() };
 * await engine.execute("ws-1", draft.id, { type: "cancel", reason: "duplicate tenant" }, options);
 * ```
 */
export interface ExecuteOptions<TActor extends Actor = Actor> {
  /** Who acts. */
  readonly actor: TActor;
  /** The version the caller's view is based on; a different stored version is a conflict. */
  readonly expectedVersion: number;
  /** Makes retries safe: the same key with the same command returns the first outcome. */
  readonly idempotencyKey?: string;
}

/**
 * Options of `engine.execute` for worker reports (`record_*_result`): no `expectedVersion`.
 *
 * @example
 * ```ts
 * const options: WorkerExecuteOptions = { actor: { id: "bootstrap-worker" }, idempotencyKey: `report-${runId}` };
 * await engine.execute("ws-1", draftId, { type: "record_bootstrap_result", runId, status: "running" }, options);
 * ```
 */
export interface WorkerExecuteOptions<TActor extends Actor = Actor> {
  /** Who acts (the worker's service identity). */
  readonly actor: TActor;
  /** Ignored for worker reports (they are matched by `runId` and retried on conflict). */
  readonly expectedVersion?: number;
  /** Makes retries safe. */
  readonly idempotencyKey?: string;
}

/** What a command produced. */
export interface MutationResult {
  /** The draft after the command (unchanged for no-op feedback). */
  readonly draft: OnboardingDraft;
  /** Its version: send it back as the next `expectedVersion`. */
  readonly version: number;
  /** What happened (`applied`, `queued`, `deduped`, `ignored_stale_result`, ...). */
  readonly feedback: Feedback;
  /** The audit entry of the commit, or `null` when nothing was written. */
  readonly event: AuditEvent | null;
  /** Runs the command started or reported on. */
  readonly runIds: readonly string[];
  /** True when this is the remembered outcome of an earlier request with the same idempotency key. */
  readonly replayed: boolean;
  /** The lifecycle state after the command (same as `draft.lifecycle.state`). */
  readonly state: LifecycleState;
}

/** What to do when `create` names a tenant that already has an open draft. */
export type OnExisting = "resume" | "error";

/**
 * Options of `engine.create`.
 *
 * @example
 * ```ts
 * const options: CreateOptions = { actor, onExisting: "resume", idempotencyKey: "create-t-1" };
 * await engine.create("ws-1", { identity: { tenantId: "t-1", displayName: "Contoso" } }, options);
 * ```
 */
export interface CreateOptions<TActor extends Actor = Actor> {
  /** Who acts. */
  readonly actor: TActor;
  /** `resume` returns the tenant's open draft; `error` (default) throws `OpenDraftExistsError`. */
  readonly onExisting?: OnExisting;
  /** Makes retries safe. */
  readonly idempotencyKey?: string;
}

/** What `engine.create` produced. */
export interface CreateResult {
  /** The new draft, or the tenant's open draft when resumed. */
  readonly draft: OnboardingDraft;
  /** False when an existing open draft was resumed (or replayed). */
  readonly created: boolean;
  /** The `created` audit entry, or `null` when resumed. */
  readonly event: AuditEvent | null;
  /** True when this is the remembered outcome of an earlier request with the same key. */
  readonly replayed: boolean;
}

/**
 * Options of the reads `engine.get` and `engine.runProgress`: who reads (`engine.history` takes
 * `HistoryOptions`, these plus its page). Every engine method takes its actor the same way, in
 * its options object.
 *
 * @example
 * ```ts
 * const options: ReadOptions = { actor: { id: "u-1" } };
 * const draft = await engine.get("ws-1", draftId, options);
 * ```
 */
export interface ReadOptions<TActor extends Actor = Actor> {
  /** Who reads (needs `view` on the draft). */
  readonly actor: TActor;
}

/**
 * Options of `engine.list`: who lists, and which page.
 *
 * @example
 * ```ts
 * const options: ListDraftsOptions = { actor, state: "verifying", limit: 50, cursor: null };
 * const { drafts, nextCursor } = await engine.list("ws-1", options);
 * ```
 */
export interface ListDraftsOptions<TActor extends Actor = Actor> extends EngineListOptions {
  /** Who lists (needs `view` with a `null` draft). */
  readonly actor: TActor;
}

/** The page and filter options of `engine.list`. */
export interface EngineListOptions {
  /** Only drafts in this state. */
  readonly state?: LifecycleState;
  /** Page size, 1..500; default 50. */
  readonly limit?: number;
  /** The `nextCursor` of the previous page. */
  readonly cursor?: string | null;
}

/** One page of `engine.list`. */
export interface DraftPage {
  /** Validated drafts, ordered by (`createdAt`, `id`). */
  readonly drafts: readonly OnboardingDraft[];
  /** Cursor of the next page, `null` on the last one. */
  readonly nextCursor: string | null;
}
