import {
  CorruptRecordError,
  OnboardingDraftSchema,
  SCHEMA_VERSION,
  safeParseWithMessages,
  toValidationIssues,
  type CheckpointRun,
  type OnboardingDraft,
} from "../record/index.js";
import { deriveLifecycle, lifecycleEquals } from "./derive.js";

const PLACEHOLDER_LIFECYCLE = {
  state: "draft",
  currentCheckpoint: "identify",
  lastCompletedCheckpoint: null,
  reason: null,
} as const;

function idOf(value: unknown): string | null {
  if (typeof value === "object" && value !== null && "id" in value) {
    const id = (value as { id: unknown }).id;
    if (typeof id === "string") return id;
  }
  return null;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Brings a document written before this package (or by an older schema version) to the current
 * shape: a missing `schemaVersion` means a legacy row, which gets `version` 1 (unless it has
 * one), the current `schemaVersion`, `invalidation: null` when absent, and a freshly derived
 * `lifecycle`. Documents already at the current schema version are returned unchanged. Pure.
 *
 * The result still has to pass {@link parseDraft}; `upgradeDraft` only fills what older shapes
 * lacked.
 *
 * @example
 * ```ts
 * // Adopt a row from before the package existed:
 * const draft = parseDraft(upgradeDraft(legacyRow));
 * ```
 */
export function upgradeDraft(document: unknown): unknown {
  if (!isPlainObject(document)) return document;
  if (document["schemaVersion"] === SCHEMA_VERSION) return document;
  if (document["schemaVersion"] !== undefined) return document; // unknown future version: let parse report it
  const upgraded: Record<string, unknown> = {
    ...document,
    version: document["version"] ?? 1,
    schemaVersion: SCHEMA_VERSION,
    identity: document["identity"] ?? null,
    provider: document["provider"] ?? null,
    verification: document["verification"] ?? null,
    bootstrap: document["bootstrap"] ?? null,
    activation: document["activation"] ?? null,
    cancellation: document["cancellation"] ?? null,
    invalidation: document["invalidation"] ?? null,
  };
  upgraded["updatedAt"] ??= upgraded["createdAt"];
  upgraded["updatedBy"] ??= upgraded["createdBy"];
  const structural = OnboardingDraftSchema.safeParse({ ...upgraded, lifecycle: PLACEHOLDER_LIFECYCLE });
  // A broken legacy row keeps a placeholder lifecycle, so parsing reports the real problem
  // (say `provider.connectionId`) rather than the lifecycle it could not derive.
  upgraded["lifecycle"] = structural.success ? deriveLifecycle(structural.data) : PLACEHOLDER_LIFECYCLE;
  return upgraded;
}


/**
 * Validates a stored document and returns the typed draft. Legacy documents (no
 * `schemaVersion`) are upgraded first (see {@link upgradeDraft}). The persisted lifecycle must
 * equal `deriveLifecycle(draft)`; a document that disagrees was edited by hand and is reported.
 *
 * @throws {@link CorruptRecordError} naming the first failing path; never a `TypeError`.
 *
 * @example
 * ```ts
 * const draft = parseDraft(JSON.parse(row.document));
 * ```
 */
export function parseDraft(document: unknown): OnboardingDraft {
  const result = safeParseWithMessages(OnboardingDraftSchema, upgradeDraft(document));
  if (!result.success) {
    throw new CorruptRecordError(toValidationIssues(result.issues), idOf(document));
  }
  const draft = result.data;
  const derived = deriveLifecycle(draft);
  if (!lifecycleEquals(draft.lifecycle, derived)) {
    throw new CorruptRecordError(
      [
        {
          code: "custom",
          path: ["lifecycle"],
          message: `persisted lifecycle ${JSON.stringify(draft.lifecycle)} differs from the derived ${JSON.stringify(derived)}`,
        },
      ],
      draft.id,
    );
  }
  return draft;
}

/**
 * Like {@link parseDraft} but returns a result instead of throwing.
 *
 * @example
 * ```ts
 * const result = safeParseDraft(value);
 * if (!result.success) console.warn(result.error.path);
 * ```
 */
export function safeParseDraft(
  document: unknown,
):
  | {
      /** The document is a valid draft. */
      success: true;
      /** The validated draft. */
      draft: OnboardingDraft;
    }
  | {
      /** The document is not a valid draft. */
      success: false;
      /** What is wrong with it. */
      error: CorruptRecordError;
    } {
  try {
    return { success: true, draft: parseDraft(document) };
  } catch (error) {
    if (error instanceof CorruptRecordError) return { success: false, error };
    throw error;
  }
}

/**
 * Serialises a draft to canonical JSON: keys in schema order, unknown keys dropped. Equal drafts
 * encode to equal strings, so `encodeDraft(parseDraft(JSON.parse(encodeDraft(d))))` is
 * `encodeDraft(d)` byte for byte, whatever key order a database returned. It does not validate
 * (drafts come from `parseDraft` or the reducers); use `parseDraft` for untrusted input.
 *
 * @example
 * ```ts
 * await db.query("update drafts set document = $1 ...", [encodeDraft(draft)]);
 * ```
 */
export function encodeDraft(draft: OnboardingDraft): string {
  return JSON.stringify(canonicalDraft(draft));
}

function canonicalRun(run: CheckpointRun): CheckpointRun {
  const out: CheckpointRun = {
    runId: run.runId,
    operation: run.operation,
    status: run.status,
    outcome: run.outcome,
    startedAt: run.startedAt,
    completedAt: run.completedAt,
  };
  if (run.message !== undefined) out.message = run.message;
  return out;
}

/**
 * The draft with its keys in canonical (schema) order and unknown keys removed: a fresh object
 * sharing nothing with the input.
 */
export function canonicalDraft(draft: OnboardingDraft): OnboardingDraft {
  const { lifecycle, identity, provider, verification, bootstrap, activation, cancellation, invalidation } = draft;
  return {
    id: draft.id,
    workspaceId: draft.workspaceId,
    version: draft.version,
    schemaVersion: draft.schemaVersion,
    lifecycle: {
      state: lifecycle.state,
      currentCheckpoint: lifecycle.currentCheckpoint,
      lastCompletedCheckpoint: lifecycle.lastCompletedCheckpoint,
      reason: lifecycle.reason,
    },
    identity:
      identity === null
        ? null
        : identity.primaryDomain === undefined
          ? { tenantId: identity.tenantId, displayName: identity.displayName }
          : { tenantId: identity.tenantId, displayName: identity.displayName, primaryDomain: identity.primaryDomain },
    provider: provider === null ? null : { connectionId: provider.connectionId, revision: provider.revision },
    verification:
      verification === null
        ? null
        : {
            ...canonicalRun(verification),
            providerConnectionId: verification.providerConnectionId,
            providerRevision: verification.providerRevision,
          },
    bootstrap:
      bootstrap === null ? null : { operations: [...bootstrap.operations], runs: bootstrap.runs.map(canonicalRun) },
    activation:
      activation === null
        ? null
        : {
            at: activation.at,
            by: activation.by,
            override: activation.override === null ? null : { reason: activation.override.reason },
          },
    cancellation:
      cancellation === null ? null : { at: cancellation.at, by: cancellation.by, reason: cancellation.reason },
    invalidation:
      invalidation === null
        ? null
        : {
            cause: invalidation.cause,
            at: invalidation.at,
            by: invalidation.by,
            verificationRunId: invalidation.verificationRunId,
            bootstrapRunIds: [...invalidation.bootstrapRunIds],
          },
    createdAt: draft.createdAt,
    updatedAt: draft.updatedAt,
    createdBy: draft.createdBy,
    updatedBy: draft.updatedBy,
  };
}
