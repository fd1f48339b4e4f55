/**
 * The zod schemas of the onboarding draft and its parts, the rules of ids, keys and text every
 * adapter stores exactly, and the record limits (`MAX_VERSION`, bootstrap limits).
 *
 * May import: vocabulary/ and zod. Nothing else.
 */
import * as z from "zod/mini";
import { compiledObject } from "./object.js";
import { Checkpoint, LifecycleReason, LifecycleState, RunOutcome, RunStatus } from "../vocabulary/index.js";

/** The schema version this release writes. Older documents are upgraded on read. */
export const SCHEMA_VERSION = 1 as const;

// A lone surrogate (UTF-8 cannot encode it: drivers turn every one into U+FFFD, so two different
// ids would be stored as the same bytes) or U+0000 (PostgreSQL text cannot hold it). Matched on
// UTF-16 code units, without the `u` flag.
// eslint-disable-next-line no-control-regex -- U+0000 is exactly what this rule refuses
const UNSTORABLE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]|\u0000/;

/**
 * Whether every storage adapter stores `value` exactly, byte for byte: well-formed Unicode (no
 * lone surrogate) without U+0000. Every id, key and text field of a record must be; anything
 * else is refused with `ValidationError` before it reaches a store.
 *
 * @example
 * ```ts
 * isStorableText("Contoso GmbH"); // true
 * isStorableText("w\uD800");      // false: a lone surrogate
 * ```
 */
export const isStorableText = (value: string): boolean => !UNSTORABLE.test(value);

/** The refinement that applies {@link isStorableText} to a string schema. */
export const storableText = z.refine<string>(isStorableText, {
  message: "must be well-formed Unicode without U+0000 (lone surrogates and NUL cannot be stored exactly)",
});

/** An opaque id: 1 to 128 characters, stored exactly by every adapter (see {@link isStorableText}). */
export const IdSchema = z.string().check(z.minLength(1), z.maxLength(128), storableText);

/**
 * Exactly the values {@link IdSchema} accepts, as a plain predicate (a storable string of 1 to
 * 128 UTF-16 code units): lets hot paths skip a zod parse of a valid id. A property test pins
 * the two.
 */
export const isId = (value: unknown): value is string =>
  typeof value === "string" && value.length >= 1 && value.length <= 128 && isStorableText(value);

/** An idempotency key: 1 to 255 characters, stored exactly by every adapter. */
export const IdempotencyKeySchema = z.string().check(z.minLength(1), z.maxLength(255), storableText);

/** Exactly the values {@link IdempotencyKeySchema} accepts, as a plain predicate (see {@link isId}). */
export const isIdempotencyKey = (value: unknown): value is string =>
  typeof value === "string" && value.length >= 1 && value.length <= 255 && isStorableText(value);

/** An ISO-8601 timestamp with a `Z` or numeric offset. */
export const TimestampSchema = z.iso.datetime({ offset: true });

/** Free text written by an operator (names, reasons, messages): at most 4096 storable characters. */
export const TextSchema = z.string().check(z.maxLength(4096), storableText);

/** Non-empty operator text (a display name, an override reason). */
export const RequiredTextSchema = z.string().check(z.minLength(1), z.maxLength(4096), storableText);

/** The lifecycle state enum schema. */
export const LifecycleStateSchema = z.enum(LifecycleState);
/** The checkpoint enum schema. */
export const CheckpointSchema = z.enum(Checkpoint);
/** The run status enum schema. */
export const RunStatusSchema = z.enum(RunStatus);
/** The run outcome enum schema. */
export const RunOutcomeSchema = z.enum(RunOutcome);
/** The lifecycle reason enum schema. */
export const LifecycleReasonSchema = z.enum(LifecycleReason);

/** The persisted lifecycle: always equal to `deriveLifecycle(draft)`. */
export const LifecycleSchema = compiledObject({
  /** The lifecycle state. */
  state: LifecycleStateSchema,
  /** The checkpoint the operator works on now; `null` for terminal drafts. */
  currentCheckpoint: z.nullable(CheckpointSchema),
  /** The last checkpoint that is done, or `null` before identification. */
  lastCompletedCheckpoint: z.nullable(CheckpointSchema),
  /** Why the draft is in this state, when the state alone does not say it. */
  reason: z.nullable(LifecycleReasonSchema),
});

/** The customer tenant being onboarded. */
export const IdentitySchema = compiledObject({
  /** The customer tenant's id (1..128 characters); one open draft per tenant and workspace. */
  tenantId: IdSchema,
  /** The name operators see. */
  displayName: RequiredTextSchema,
  /** The tenant's primary DNS domain, lower-cased. */
  primaryDomain: z.optional(z.string().check(z.minLength(1), z.maxLength(253), storableText)),
});

/** The selected provider connection; `revision` grows by one on every inline edit. */
export const ProviderSchema = compiledObject({
  /** The selected provider connection. */
  connectionId: IdSchema,
  /** 1 when selected; +1 on every inline edit of the connection. */
  revision: z.int().check(z.gte(1)),
});

const runShape = {
  /** The run's id (from the engine's id generator). */
  runId: IdSchema,
  /** What the run does (`verify_access`, a bootstrap operation name). */
  operation: IdSchema,
  /** Where the run is: `queued`, `running` or `completed`. */
  status: RunStatusSchema,
  /** How it ended; set exactly when `status` is `completed`. */
  outcome: z.nullable(RunOutcomeSchema),
  /** When the run was queued. */
  startedAt: TimestampSchema,
  /** When the worker reported completion; set exactly when `status` is `completed`. */
  completedAt: z.nullable(TimestampSchema),
  /** The worker's last message, if it sent one. */
  message: z.optional(TextSchema),
  /**
   * Set (to `true`) when the engine expired the run because no worker reported on it for longer
   * than its lease (`expireStuckRuns`); the run is then `completed` with outcome `failed`.
   */
  timedOut: z.optional(z.literal(true)),
};

/**
 * `outcome` and `completedAt` are set exactly when `status` is `completed`. A plain `z.check`
 * (it pushes onto the parse's issue list) rather than `z.superRefine`, which attaches an
 * `addIssue` closure to every parse and costs more than the rest of the run's parse.
 */
const runConsistency = z.check<{
  status: string;
  outcome: string | null;
  completedAt: string | null;
  timedOut?: true | undefined;
}>((payload) => {
  const run = payload.value;
  if (run.timedOut === true && run.outcome !== "failed") {
    payload.issues.push({
      code: "custom",
      path: ["timedOut"],
      message: "only a failed run can have timed out",
      input: run.timedOut,
    });
  }
  const completed = run.status === "completed";
  if (completed !== (run.outcome !== null)) {
    payload.issues.push({
      code: "custom",
      path: ["outcome"],
      message: completed ? "a completed run needs an outcome" : "only a completed run has an outcome",
      input: run.outcome,
    });
  }
  if (completed !== (run.completedAt !== null)) {
    payload.issues.push({
      code: "custom",
      path: ["completedAt"],
      message: completed ? "a completed run needs completedAt" : "only a completed run has completedAt",
      input: run.completedAt,
    });
  }
});

/**
 * Whether a run satisfies {@link runConsistency} (`outcome` and `completedAt` set exactly when
 * `status` is `completed`): the same rule as a plain predicate, for code that validates a run
 * field by field (`sealDraft`).
 */
export function isConsistentRun(run: {
  status: string;
  outcome: string | null;
  completedAt: string | null;
  timedOut?: true | undefined;
}): boolean {
  const completed = run.status === "completed";
  if (run.timedOut === true && run.outcome !== "failed") return false;
  return completed === (run.outcome !== null) && completed === (run.completedAt !== null);
}

/** The most bootstrap operations a draft keeps (a `start_bootstrap` past it is refused). */
export const MAX_BOOTSTRAP_OPERATIONS = 256;

/** The most bootstrap runs a draft keeps (a `start_bootstrap` past it is refused). */
export const MAX_BOOTSTRAP_RUNS = 4096;

/** One background run (verification or one bootstrap operation). */
export const CheckpointRunSchema = compiledObject(runShape).check(runConsistency);

/** The verification run, pinned to the provider connection and revision it verified. */
export const VerificationSchema = z
  .object({
    ...runShape,
    /** The connection this run verified. */
    providerConnectionId: IdSchema,
    /** The connection revision this run verified; another revision makes it stale. */
    providerRevision: z.int().check(z.gte(1)),
  })
  .check(runConsistency);

/** The bootstrap checkpoint: requested operations and every run started for them, in order. */
export const BootstrapSchema = compiledObject({
  /** Every operation requested so far, in first-request order. */
  operations: z.array(IdSchema).check(z.maxLength(MAX_BOOTSTRAP_OPERATIONS)),
  /** Every run started, oldest first; the latest run of an operation is the one that counts. */
  runs: z.array(CheckpointRunSchema).check(z.maxLength(MAX_BOOTSTRAP_RUNS)),
});

/** Activation: when, by whom, and the override reason if readiness was overridden. */
export const ActivationSchema = compiledObject({
  /** When the draft was activated. */
  at: TimestampSchema,
  /** The actor who activated it. */
  by: IdSchema,
  /** Set when readiness was overridden. */
  override: z.nullable(
    compiledObject({
      /** Why the operator overrode the remaining blockers. */
      reason: RequiredTextSchema,
    }),
  ),
});

/** Cancellation: when, by whom and why. */
export const CancellationSchema = compiledObject({
  /** When the draft was cancelled. */
  at: TimestampSchema,
  /** The actor who cancelled it. */
  by: IdSchema,
  /** Why, if the operator said. */
  reason: z.nullable(TextSchema),
});

/** What a provider change invalidated, kept until verification starts again. */
export const InvalidationSchema = compiledObject({
  /** `provider_changed`: another connection was selected; `provider_updated`: the connection was edited inline. */
  cause: z.enum(["provider_changed", "provider_updated"]),
  /** When the provider changed. */
  at: TimestampSchema,
  /** Who changed it. */
  by: IdSchema,
  /** The verification run the change invalidated, if any. */
  verificationRunId: z.nullable(IdSchema),
  /** The bootstrap runs the change cleared. */
  bootstrapRunIds: z.array(IdSchema),
});

/**
 * The highest version a draft can reach, on every adapter: 2^31 - 1, the largest value of a
 * 32-bit signed SQL `integer`. An `expectedVersion` above it is a `ValidationError`; a command on
 * a draft at this version is refused (`InvalidTransitionError`, requirement `version_limit`).
 */
export const MAX_VERSION = 2_147_483_647;

/** A record version: an integer from 1 to {@link MAX_VERSION} (1 on creation, +1 per committed change). */
export const VersionSchema = z.int().check(z.gte(1), z.lte(MAX_VERSION));

/** Exactly the values {@link VersionSchema} accepts, as a plain predicate (see {@link isId}). */
export const isVersion = (value: unknown): value is number =>
  typeof value === "number" && Number.isInteger(value) && value >= 1 && value <= MAX_VERSION;

/** The full onboarding draft document (schema version 1). */
export const OnboardingDraftSchema = compiledObject({
  /** The draft's id, unique within its workspace. */
  id: IdSchema,
  /** The workspace that owns the draft; every access is scoped by it. */
  workspaceId: IdSchema,
  /** 1 at creation, exactly +1 per committed mutation; send it back as `expectedVersion`. */
  version: VersionSchema,
  /** The document's schema version ({@link SCHEMA_VERSION}); older documents are upgraded on read. */
  schemaVersion: z.literal(SCHEMA_VERSION),
  /** The canonical lifecycle, persisted for querying; always equal to `deriveLifecycle(draft)`. */
  lifecycle: LifecycleSchema,
  /** The tenant being onboarded, or `null` before the `identify` step. */
  identity: z.nullable(IdentitySchema),
  /** The selected provider connection, or `null`. */
  provider: z.nullable(ProviderSchema),
  /** The latest verification run, or `null` (never verified, or cleared by a provider change). */
  verification: z.nullable(VerificationSchema),
  /** The bootstrap checkpoint, or `null` when bootstrap never started. */
  bootstrap: z.nullable(BootstrapSchema),
  /** Set when the draft was activated (terminal). */
  activation: z.nullable(ActivationSchema),
  /** Set when the draft was cancelled (terminal). */
  cancellation: z.nullable(CancellationSchema),
  /** What the last provider change invalidated, until verification starts again. */
  invalidation: z.nullable(InvalidationSchema),
  /** When the draft was created (ISO-8601, UTC). */
  createdAt: TimestampSchema,
  /** When the last mutation was committed. */
  updatedAt: TimestampSchema,
  /** The actor who created the draft. */
  createdBy: IdSchema,
  /** The actor of the last committed mutation. */
  updatedBy: IdSchema,
});

/**
 * A JSON-shaped type made read-only all the way down: what sealed drafts are at run time
 * (deep-frozen), so the compiler refuses an in-place change before the run time does.
 */
export type DeepReadonly<T> = T extends readonly (infer E)[]
  ? readonly DeepReadonly<E>[]
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T;

// The draft's types are named interfaces (draft.ts), proven equal to the read-only output of the
// schemas above by test/types/schema-interfaces.test-d.ts.
export type {
  Activation,
  ActivationOverride,
  Bootstrap,
  Cancellation,
  CheckpointRun,
  Identity,
  Invalidation,
  InvalidationCause,
  Lifecycle,
  OnboardingDraft,
  Provider,
  Verification,
} from "./draft.js";
