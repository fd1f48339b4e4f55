/**
 * The onboarding draft and its parts as named, read-only interfaces: what `parseDraft`, the
 * engine and every store hand out. The zod schemas in `schema.ts` stay the source of truth;
 * these interfaces exist so the API reference and editors show each part by name with its
 * fields, instead of one anonymous type expanded wherever a draft appears.
 * `test/types/schema-interfaces.test-d.ts` proves each one equal to the read-only output of its schema,
 * so the two cannot drift.
 *
 * May import: vocabulary/ (types only). Not schema.ts, which re-exports these names (the type
 * test is what ties the two together).
 */
import type { Checkpoint, LifecycleReason, LifecycleState, RunOutcome, RunStatus } from "../vocabulary/index.js";

/**
 * The persisted lifecycle of a draft: always equal to `deriveLifecycle(draft)`, stored so a
 * store can filter and index by state.
 *
 * @sortStrategy source-order
 */
export interface Lifecycle {
  /** The lifecycle state. */
  readonly state: LifecycleState;
  /** The checkpoint the operator works on now; `null` for terminal drafts. */
  readonly currentCheckpoint: Checkpoint | null;
  /** The last checkpoint that is done, or `null` before identification. */
  readonly lastCompletedCheckpoint: Checkpoint | null;
  /** Why the draft is in this state, when the state alone does not say it. */
  readonly reason: LifecycleReason | null;
}

/**
 * The customer tenant being onboarded (set by `identify`).
 *
 * @sortStrategy source-order
 */
export interface Identity {
  /** The customer tenant's id (1..128 characters); one open draft per tenant and workspace. */
  readonly tenantId: string;
  /** The name operators see. */
  readonly displayName: string;
  /** The tenant's primary DNS domain, lower-cased. */
  readonly primaryDomain?: string | undefined;
}

/**
 * The selected provider connection; `revision` grows by one on every inline edit.
 *
 * @sortStrategy source-order
 */
export interface Provider {
  /** The selected provider connection. */
  readonly connectionId: string;
  /** 1 when selected; +1 on every inline edit of the connection (`update_provider_connection`). */
  readonly revision: number;
}

/**
 * One background run: the verification run or one bootstrap operation's run. `outcome` and
 * `completedAt` are set exactly when `status` is `completed`.
 *
 * @sortStrategy source-order
 */
export interface CheckpointRun {
  /** The run's id (from the engine's id generator). */
  readonly runId: string;
  /** What the run does (`verify_access`, a bootstrap operation name). */
  readonly operation: string;
  /** Where the run is: `queued`, `running` or `completed`. */
  readonly status: RunStatus;
  /** How it ended; set exactly when `status` is `completed`. */
  readonly outcome: RunOutcome | null;
  /** When the run was queued (ISO-8601). */
  readonly startedAt: string;
  /** When the worker reported completion; set exactly when `status` is `completed`. */
  readonly completedAt: string | null;
  /** The worker's last message, if it sent one. */
  readonly message?: string | undefined;
  /**
   * Set (to `true`) when the engine expired the run because no worker reported on it for longer
   * than its lease (`expireStuckRuns`); the run is then `completed` with outcome `failed`.
   */
  readonly timedOut?: true | undefined;
}

/**
 * The verification run, pinned to the provider connection and revision it verified: when the
 * draft's {@link Provider} differs, the verification is stale (`verification_stale`).
 *
 * @sortStrategy source-order
 */
export interface Verification extends CheckpointRun {
  /** The connection this run verified. */
  readonly providerConnectionId: string;
  /** The connection revision this run verified; another revision makes it stale. */
  readonly providerRevision: number;
}

/**
 * The bootstrap checkpoint: requested operations and every run started for them, in order.
 *
 * @sortStrategy source-order
 */
export interface Bootstrap {
  /** Every operation requested so far, in first-request order (at most `MAX_BOOTSTRAP_OPERATIONS`). */
  readonly operations: readonly string[];
  /**
   * Every run started, oldest first (at most `MAX_BOOTSTRAP_RUNS`); the latest run of an
   * operation is the one that counts (see `currentBootstrapRuns`).
   */
  readonly runs: readonly CheckpointRun[];
}

/**
 * The readiness override recorded on an {@link Activation}: why the operator activated anyway.
 *
 * @sortStrategy source-order
 */
export interface ActivationOverride {
  /** Why the operator overrode the remaining (overridable) blockers. */
  readonly reason: string;
}

/**
 * Activation: when, by whom, and the override if readiness was overridden.
 *
 * @sortStrategy source-order
 */
export interface Activation {
  /** When the draft was activated (ISO-8601). */
  readonly at: string;
  /** The actor who activated it. */
  readonly by: string;
  /** Set when readiness was overridden (lifecycle reason `override`), else `null`. */
  readonly override: ActivationOverride | null;
}

/**
 * Cancellation: when, by whom and why.
 *
 * @sortStrategy source-order
 */
export interface Cancellation {
  /** When the draft was cancelled (ISO-8601). */
  readonly at: string;
  /** The actor who cancelled it. */
  readonly by: string;
  /** Why, if the operator said. */
  readonly reason: string | null;
}

/**
 * What changed the provider: `provider_changed` (another connection was selected) or
 * `provider_updated` (the connection was edited inline).
 */
export type InvalidationCause = "provider_changed" | "provider_updated";

/**
 * What a provider change invalidated, kept until verification starts again.
 *
 * @sortStrategy source-order
 */
export interface Invalidation {
  /** Whether another connection was selected or the connection was edited inline. */
  readonly cause: InvalidationCause;
  /** When the provider changed (ISO-8601). */
  readonly at: string;
  /** Who changed it. */
  readonly by: string;
  /** The verification run the change invalidated, if any. */
  readonly verificationRunId: string | null;
  /** The bootstrap runs the change cleared. */
  readonly bootstrapRunIds: readonly string[];
}

/**
 * The onboarding draft (schema version 1): a JSON-serialisable, read-only document, validated
 * by {@link OnboardingDraftSchema} on every read. Drafts the engine and `parseDraft` return are
 * deep-frozen; change one only through a command.
 *
 * @example
 * ```ts
 * const draft = await engine.get("ws-1", draftId, { actor });
 * draft.lifecycle.state;          // "verifying"
 * draft.verification?.status;     // "queued"
 * draft.identity?.displayName;    // "Contoso"
 * ```
 *
 * @sortStrategy source-order
 */
export interface OnboardingDraft {
  /** The draft's id, unique within its workspace. */
  readonly id: string;
  /** The workspace that owns the draft; every access is scoped by it. */
  readonly workspaceId: string;
  /** 1 at creation, exactly +1 per committed mutation; send it back as `expectedVersion`. */
  readonly version: number;
  /**
   * The document's schema version ({@link SCHEMA_VERSION}, the one this release writes); older
   * documents are upgraded on read.
   */
  readonly schemaVersion: 1;
  /** The canonical lifecycle, persisted for querying; always equal to `deriveLifecycle(draft)`. */
  readonly lifecycle: Lifecycle;
  /** The tenant being onboarded, or `null` before the `identify` step. */
  readonly identity: Identity | null;
  /** The selected provider connection, or `null`. */
  readonly provider: Provider | null;
  /** The latest verification run, or `null` (never verified, or cleared by a provider change). */
  readonly verification: Verification | null;
  /** The bootstrap checkpoint, or `null` when bootstrap never started. */
  readonly bootstrap: Bootstrap | null;
  /** Set when the draft was activated (terminal). */
  readonly activation: Activation | null;
  /** Set when the draft was cancelled (terminal). */
  readonly cancellation: Cancellation | null;
  /** What the last provider change invalidated, until verification starts again. */
  readonly invalidation: Invalidation | null;
  /** When the draft was created (ISO-8601, UTC). */
  readonly createdAt: string;
  /** When the last mutation was committed. */
  readonly updatedAt: string;
  /** The actor who created the draft. */
  readonly createdBy: string;
  /** The actor of the last committed mutation. */
  readonly updatedBy: string;
}
