/**
 * record/ — the zod schemas of the onboarding draft, its runs and its audit events, the codec
 * that parses, upgrades and encodes stored documents, and the package's error classes.
 *
 * May import: vocabulary/ and zod. Nothing else.
 */
import * as z from "zod/mini";
import { Checkpoint, LifecycleReason, LifecycleState, RunOutcome, RunStatus } from "../vocabulary/index.js";

/** The schema version this release writes. Older documents are upgraded on read. */
export const SCHEMA_VERSION = 1 as const;

/** An opaque id: 1 to 128 characters. */
export const IdSchema = z.string().check(z.minLength(1), z.maxLength(128));

/** An ISO-8601 timestamp with a `Z` or numeric offset. */
export const TimestampSchema = z.iso.datetime({ offset: true });

/** Free text written by an operator (names, reasons, messages): at most 4096 characters. */
const TextSchema = z.string().check(z.maxLength(4096));

/** Non-empty operator text (a display name, an override reason). */
const RequiredTextSchema = z.string().check(z.minLength(1), z.maxLength(4096));

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
export const LifecycleSchema = z.object({
  state: LifecycleStateSchema,
  currentCheckpoint: z.nullable(CheckpointSchema),
  lastCompletedCheckpoint: z.nullable(CheckpointSchema),
  reason: z.nullable(LifecycleReasonSchema),
});

/** The customer tenant being onboarded. */
export const IdentitySchema = z.object({
  tenantId: IdSchema,
  displayName: RequiredTextSchema,
  primaryDomain: z.optional(z.string().check(z.minLength(1), z.maxLength(253))),
});

/** The selected provider connection; `revision` grows by one on every inline edit. */
export const ProviderSchema = z.object({
  connectionId: IdSchema,
  revision: z.int().check(z.gte(1)),
});

const runShape = {
  runId: IdSchema,
  operation: IdSchema,
  status: RunStatusSchema,
  outcome: z.nullable(RunOutcomeSchema),
  startedAt: TimestampSchema,
  completedAt: z.nullable(TimestampSchema),
  message: z.optional(TextSchema),
};

/** `outcome` and `completedAt` are set exactly when `status` is `completed`. */
const runConsistency = z.superRefine(
  (run: { status: string; outcome: string | null; completedAt: string | null }, ctx) => {
    const completed = run.status === "completed";
    if (completed !== (run.outcome !== null)) {
      ctx.addIssue({
        code: "custom",
        path: ["outcome"],
        message: completed ? "a completed run needs an outcome" : "only a completed run has an outcome",
        input: run.outcome,
      });
    }
    if (completed !== (run.completedAt !== null)) {
      ctx.addIssue({
        code: "custom",
        path: ["completedAt"],
        message: completed ? "a completed run needs completedAt" : "only a completed run has completedAt",
        input: run.completedAt,
      });
    }
  },
);

/** One background run (verification or one bootstrap operation). */
export const CheckpointRunSchema = z.object(runShape).check(runConsistency);

/** The verification run, pinned to the provider connection and revision it verified. */
export const VerificationSchema = z
  .object({
    ...runShape,
    providerConnectionId: IdSchema,
    providerRevision: z.int().check(z.gte(1)),
  })
  .check(runConsistency);

/** The bootstrap checkpoint: requested operations and every run started for them, in order. */
export const BootstrapSchema = z.object({
  operations: z.array(IdSchema).check(z.maxLength(256)),
  runs: z.array(CheckpointRunSchema).check(z.maxLength(4096)),
});

/** Activation: when, by whom, and the override reason if readiness was overridden. */
export const ActivationSchema = z.object({
  at: TimestampSchema,
  by: IdSchema,
  override: z.nullable(z.object({ reason: RequiredTextSchema })),
});

/** Cancellation: when, by whom and why. */
export const CancellationSchema = z.object({
  at: TimestampSchema,
  by: IdSchema,
  reason: z.nullable(TextSchema),
});

/** What a provider change invalidated, kept until verification starts again. */
export const InvalidationSchema = z.object({
  cause: z.enum(["provider_changed", "provider_updated"]),
  at: TimestampSchema,
  by: IdSchema,
  verificationRunId: z.nullable(IdSchema),
  bootstrapRunIds: z.array(IdSchema),
});

/** The full onboarding draft document (schema version 1). */
export const OnboardingDraftSchema = z.object({
  id: IdSchema,
  workspaceId: IdSchema,
  version: z.int().check(z.gte(1), z.lte(Number.MAX_SAFE_INTEGER)),
  schemaVersion: z.literal(SCHEMA_VERSION),
  lifecycle: LifecycleSchema,
  identity: z.nullable(IdentitySchema),
  provider: z.nullable(ProviderSchema),
  verification: z.nullable(VerificationSchema),
  bootstrap: z.nullable(BootstrapSchema),
  activation: z.nullable(ActivationSchema),
  cancellation: z.nullable(CancellationSchema),
  invalidation: z.nullable(InvalidationSchema),
  createdAt: TimestampSchema,
  updatedAt: TimestampSchema,
  createdBy: IdSchema,
  updatedBy: IdSchema,
});

/** The persisted lifecycle of a draft. */
export type Lifecycle = z.output<typeof LifecycleSchema>;
/** The tenant identity of a draft. */
export type Identity = z.output<typeof IdentitySchema>;
/** The selected provider connection of a draft. */
export type Provider = z.output<typeof ProviderSchema>;
/** One background run. */
export type CheckpointRun = z.output<typeof CheckpointRunSchema>;
/** The verification run with the connection and revision it verified. */
export type Verification = z.output<typeof VerificationSchema>;
/** The bootstrap checkpoint. */
export type Bootstrap = z.output<typeof BootstrapSchema>;
/** The activation record. */
export type Activation = z.output<typeof ActivationSchema>;
/** The cancellation record. */
export type Cancellation = z.output<typeof CancellationSchema>;
/** What a provider change invalidated. */
export type Invalidation = z.output<typeof InvalidationSchema>;
/** The onboarding draft: a JSON-serialisable document, validated on every read. */
export type OnboardingDraft = z.output<typeof OnboardingDraftSchema>;
