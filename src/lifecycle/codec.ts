import {
  CorruptRecordError,
  OnboardingDraftSchema,
  SCHEMA_VERSION,
  safeParseWithMessages,
  toValidationIssues,
  type CheckpointRun,
  type OnboardingDraft,
  type ValidationIssue,
  type Bootstrap,
  type Verification,
  BootstrapSchema,
  CheckpointRunSchema,
  MAX_BOOTSTRAP_RUNS,
  VerificationSchema,
  isConsistentRun,
  isId,
  isVersion,
} from "../record/index.js";
import type * as z from "zod/mini";
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
 * The result is a fresh, deep-frozen draft with its keys in canonical order (see
 * {@link isSealedDraft}): mutate it through commands, never in place. Passing a draft this
 * function (or the engine) returned is free: a frozen value that passed the schema once cannot
 * fail it later, so it is returned as it is.
 *
 * @throws {@link CorruptRecordError} naming the first failing path; never a `TypeError`.
 *
 * @example
 * ```ts
 * const draft = parseDraft(JSON.parse(row.document));
 * ```
 */
export function parseDraft(document: unknown): OnboardingDraft {
  if (isSealedDraft(document)) return document;
  const result = safeParseWithMessages(OnboardingDraftSchema, upgradeDraft(document));
  if (!result.success) {
    throw new CorruptRecordError(toValidationIssues(result.issues), idOf(document));
  }
  const draft = result.data;
  checkLifecycle(draft);
  sealed().add(deepFreeze(draft));
  return draft;
}

/** Throws when the persisted lifecycle is not the one the decision table derives. */
function checkLifecycle(draft: OnboardingDraft): void {
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
}

/**
 * The registry of sealed drafts: deep-frozen drafts that passed the zod schema. It lives on
 * `globalThis` under a `Symbol.for` key (per schema version) so the separately bundled CommonJS
 * entry points share it with each other and with the ESM build.
 */
const SEALED_KEY: unique symbol = Symbol.for(`onboarding-lifecycle.sealed-drafts.v${SCHEMA_VERSION}`) as never;
let sealedValues: WeakSet<object> | undefined;

function sealed(): WeakSet<object> {
  if (sealedValues === undefined) {
    const global = globalThis as { [SEALED_KEY]?: WeakSet<object> };
    sealedValues = global[SEALED_KEY] ??= new WeakSet();
  }
  return sealedValues;
}

/** Freezes a plain JSON value and everything under it (stops at parts already frozen). */
function deepFreeze<T extends object>(value: T): T {
  if (Object.isFrozen(value)) return value;
  if (Array.isArray(value)) {
    for (let index = 0; index < value.length; index += 1) {
      const child: unknown = value[index];
      if (typeof child === "object" && child !== null) deepFreeze(child);
    }
  } else {
    const record = value as Record<string, unknown>;
    for (const key in record) {
      const child = record[key];
      if (typeof child === "object" && child !== null) deepFreeze(child);
    }
  }
  return Object.freeze(value);
}

/**
 * Whether a value is a sealed draft: deep-frozen, canonical and already validated by
 * {@link parseDraft} or {@link sealDraft}. Such a value can never change, so reading it again
 * needs no second validation, and a store may keep it without copying it.
 *
 * @example
 * ```ts
 * const draft = await engine.get("ws-1", draftId, { actor });
 * isSealedDraft(draft); // true: engine results are sealed
 * ```
 */
export function isSealedDraft(value: unknown): value is OnboardingDraft {
  return typeof value === "object" && value !== null && sealed().has(value);
}

type Fields = Record<string, unknown>;

const isRecord = (value: unknown): value is Fields =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/**
 * Validates a run field by field against the sealed run it replaces: a field equal to the
 * previous run's is already valid, any other is parsed with its own schema, then the run's
 * consistency rule is checked. The result (keys in schema order, frozen) is what parsing the
 * whole run would return. `undefined` when anything fails: the caller then parses the whole run,
 * so the issues are reported exactly as before. The run schemas have no object-level check but
 * run consistency (a test pins that).
 */
function sealRunAgainst(shape: Readonly<Record<string, z.ZodMiniType>>, value: unknown, previous: Fields): Fields | undefined {
  if (!isRecord(value)) return undefined;
  const out: Fields = {};
  for (const key in shape) {
    const field = value[key];
    if (field === previous[key]) {
      if (field !== undefined) out[key] = field;
      continue;
    }
    const result = shape[key]!.safeParse(field);
    if (!result.success) return undefined;
    if (result.data !== undefined) out[key] = result.data;
  }
  return isConsistentRun(out as unknown as CheckpointRun) ? Object.freeze(out) : undefined;
}

const sealVerification = (value: unknown, previous: Verification): Verification | null | undefined =>
  sealRunAgainst(VerificationSchema.shape, value, previous) as Verification | undefined;

/**
 * Validates a bootstrap checkpoint against the sealed one it replaces: the operations list and
 * every run it shares with the previous one are already valid; a changed run is validated field
 * by field against the run at the same position (or parsed whole when new). `undefined` when
 * anything fails (the caller parses the whole value and reports the issues).
 */
function sealBootstrap(value: unknown, previous: Bootstrap): Bootstrap | null | undefined {
  if (!isRecord(value)) return undefined;
  let operations = value["operations"];
  if (operations !== previous.operations) {
    const result = BootstrapSchema.shape.operations.safeParse(operations);
    if (!result.success) return undefined;
    operations = Object.freeze(result.data);
  }
  let runs = value["runs"];
  if (runs !== previous.runs) {
    if (!Array.isArray(runs) || runs.length > MAX_BOOTSTRAP_RUNS) return undefined;
    const sealedRuns: unknown[] = [];
    // Runs shared with the previous bootstrap, found by identity (a set for long lists, so a
    // draft with thousands of runs stays linear).
    const shared = previous.runs.length > 16 ? new Set<unknown>(previous.runs) : null;
    for (let index = 0; index < runs.length; index += 1) {
      const run: unknown = runs[index];
      if (shared === null ? previous.runs.includes(run as CheckpointRun) : shared.has(run)) {
        sealedRuns.push(run);
        continue;
      }
      const before = previous.runs[index];
      let sealedRun: unknown = before === undefined ? undefined : sealRunAgainst(CheckpointRunSchema.shape, run, before);
      if (sealedRun === undefined) {
        const result = CheckpointRunSchema.safeParse(run);
        if (!result.success) return undefined;
        sealedRun = Object.freeze(result.data);
      }
      sealedRuns.push(sealedRun);
    }
    runs = Object.freeze(sealedRuns);
  }
  return Object.freeze({ operations, runs }) as Bootstrap;
}

/**
 * Validates a draft about to be written and returns it sealed: deep-frozen, keys in canonical
 * order, registered as valid (see {@link isSealedDraft}). The lifecycle must equal
 * `deriveLifecycle(draft)`. The input is not modified.
 *
 * Pass the sealed draft a reducer started from as `previous`: every top-level field the result
 * shares with it (the same object or the same primitive) is already known to be valid, so only
 * what the command changed is checked with its zod schema.
 *
 * @throws {@link CorruptRecordError} naming every failing path.
 *
 * @example
 * ```ts
 * const context = { now: new Date().toISOString(), actorId: "u-1", nextRunId: () => crypto.randomUUID(), policy: {} };
 * const outcome = applyCommand(draft, parseCommand({ type: "cancel" }), context);
 * if (outcome.changed) await save(sealDraft(outcome.draft, draft));
 * ```
 */
export function sealDraft(draft: OnboardingDraft, previous?: OnboardingDraft): OnboardingDraft {
  const input: unknown = draft;
  if (isSealedDraft(input)) return input;
  if (typeof input !== "object" || input === null) return parseDraft(input);
  const base = previous !== undefined && isSealedDraft(previous) ? previous : null;
  const issues: ValidationIssue[] = [];
  const shape = OnboardingDraftSchema.shape;
  // `value === previous` (the same object or the same primitive as in the sealed draft the
  // command started from) is already known to be valid. Fields are read by name, not by a
  // computed key: that keeps every property access monomorphic.
  const part = <T>(
    value: T,
    previous: T | undefined,
    schema: z.ZodMiniType<T>,
    key: keyof OnboardingDraft,
    againstPrevious?: (value: unknown, previous: NonNullable<T>) => T | undefined,
    accepts?: (value: unknown) => boolean,
  ): T => {
    if (base !== null && value === previous) return value;
    if (accepts !== undefined && accepts(value)) return value;
    if (againstPrevious !== undefined && previous !== undefined && previous !== null) {
      const sealedPart = againstPrevious(value, previous);
      if (sealedPart !== undefined) return sealedPart;
      // Anything that fails field by field is parsed whole below, which reports the issues.
    }
    const result = schema.safeParse(value);
    if (result.success) {
      const parsed = result.data;
      return typeof parsed === "object" && parsed !== null ? deepFreeze(parsed) : parsed;
    }
    const slow = safeParseWithMessages(schema, value);
    if (!slow.success) {
      for (const issue of toValidationIssues(slow.issues)) issues.push({ ...issue, path: [key, ...issue.path] });
    }
    return value;
  };
  // Keys in schema order (the order `canonicalDraft` writes), so the result encodes canonically.
  const next: OnboardingDraft = {
    id: part(draft.id, base?.id, shape.id, "id", undefined, isId),
    workspaceId: part(draft.workspaceId, base?.workspaceId, shape.workspaceId, "workspaceId", undefined, isId),
    version: part(draft.version, base?.version, shape.version, "version", undefined, isVersion),
    schemaVersion: part(draft.schemaVersion, base?.schemaVersion, shape.schemaVersion, "schemaVersion"),
    lifecycle: part(draft.lifecycle, base?.lifecycle, shape.lifecycle, "lifecycle"),
    identity: part(draft.identity, base?.identity, shape.identity, "identity"),
    provider: part(draft.provider, base?.provider, shape.provider, "provider"),
    verification: part(draft.verification, base?.verification, shape.verification, "verification", sealVerification),
    bootstrap: part(draft.bootstrap, base?.bootstrap, shape.bootstrap, "bootstrap", sealBootstrap),
    activation: part(draft.activation, base?.activation, shape.activation, "activation"),
    cancellation: part(draft.cancellation, base?.cancellation, shape.cancellation, "cancellation"),
    invalidation: part(draft.invalidation, base?.invalidation, shape.invalidation, "invalidation"),
    createdAt: part(draft.createdAt, base?.createdAt, shape.createdAt, "createdAt"),
    updatedAt: part(draft.updatedAt, base?.updatedAt, shape.updatedAt, "updatedAt"),
    createdBy: part(draft.createdBy, base?.createdBy, shape.createdBy, "createdBy", undefined, isId),
    updatedBy: part(draft.updatedBy, base?.updatedBy, shape.updatedBy, "updatedBy", undefined, isId),
  };
  if (issues.length > 0) throw new CorruptRecordError(issues, idOf(draft));
  checkLifecycle(next);
  sealed().add(Object.freeze(next));
  return next;
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
  // A sealed draft is a zod output: keys already in schema order, unknown keys already gone.
  return JSON.stringify(isSealedDraft(draft) ? draft : canonicalDraft(draft));
}

function canonicalRun(run: CheckpointRun): CheckpointRun {
  const out = {
    runId: run.runId,
    operation: run.operation,
    status: run.status,
    outcome: run.outcome,
    startedAt: run.startedAt,
    completedAt: run.completedAt,
  };
  return run.message === undefined ? out : { ...out, message: run.message };
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
