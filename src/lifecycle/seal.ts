/**
 * Incremental sealing: validating a draft about to be written against the sealed draft the
 * command started from, parsing only the fields (and, inside the verification and bootstrap,
 * only the run fields) that changed. The per-field plan is derived from
 * `OnboardingDraftSchema.shape`; this is the engine's hot path (bench/engine.ts).
 */
import type * as z from "zod/mini";
import {
  BootstrapSchema,
  CheckpointRunSchema,
  CorruptRecordError,
  IdSchema,
  MAX_BOOTSTRAP_RUNS,
  VerificationSchema,
  VersionSchema,
  isConsistentRun,
  isId,
  isVersion,
  safeParseWithMessages,
  toValidationIssues,
  type Bootstrap,
  type CheckpointRun,
  type OnboardingDraft,
  type ValidationIssue,
  type Verification,
} from "../record/index.js";
import { draftKeys, draftShape, schemaNode } from "./draft-shape.js";
import { checkLifecycle, idOf, parseDraft } from "./parse.js";
import { deepFreeze, isSealedDraft, registerSealed } from "./sealed.js";

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
function sealRunAgainst(
  shape: Readonly<Record<string, z.ZodMiniType>>,
  value: unknown,
  previous: CheckpointRun,
): Fields | undefined {
  if (!isRecord(value)) return undefined;
  // Read by key, as the shape names them (a run interface has no index signature).
  const prior = previous as unknown as Fields;
  const out: Fields = {};
  for (const key in shape) {
    const field = value[key];
    if (field === prior[key]) {
      if (field !== undefined) out[key] = field;
      continue;
    }
    const schema = shape[key];
    if (schema === undefined) continue;
    const result = schema.safeParse(field);
    if (!result.success) return undefined;
    if (result.data !== undefined) out[key] = result.data;
  }
  return isConsistentRun(out as unknown as CheckpointRun) ? Object.freeze(out) : undefined;
}

const sealVerification = (value: unknown, previous: Verification): Verification | undefined =>
  sealRunAgainst(VerificationSchema.shape, value, previous) as Verification | undefined;

/**
 * Validates a bootstrap checkpoint against the sealed one it replaces: the operations list and
 * every run it shares with the previous one are already valid; a changed run is validated field
 * by field against the run at the same position (or parsed whole when new). `undefined` when
 * anything fails (the caller parses the whole value and reports the issues).
 */
function sealBootstrap(value: unknown, previous: Bootstrap): Bootstrap | undefined {
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
      let sealedRun: unknown =
        before === undefined ? undefined : sealRunAgainst(CheckpointRunSchema.shape, run, before);
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

/** How one top-level field of the draft is sealed. */
interface FieldPlan {
  /** The field. */
  readonly key: keyof OnboardingDraft;
  /** Its schema in `OnboardingDraftSchema.shape`. */
  readonly schema: z.ZodMiniType;
  /** A plain predicate that accepts exactly what `schema` accepts (skips a zod parse), if there is one. */
  readonly accepts: ((value: unknown) => boolean) | undefined;
  /** Validates a changed value against the sealed one it replaces; `undefined` when that fails. */
  readonly againstPrevious: ((value: unknown, previous: never) => unknown) | undefined;
}

let plans: readonly FieldPlan[] | undefined;

/**
 * The sealing plan of every top-level field, in schema order, derived from the schema: a field
 * whose schema is `IdSchema` or `VersionSchema` is checked with its plain predicate (`isId`,
 * `isVersion`; property tests pin each to its schema); a nullable verification or bootstrap is
 * sealed against the previous one; everything else is parsed whole when it changed.
 */
function fieldPlans(): readonly FieldPlan[] {
  if (plans !== undefined) return plans;
  const predicates = new Map<unknown, (value: unknown) => boolean>([
    [IdSchema, isId],
    [VersionSchema, isVersion],
  ]);
  const incremental = new Map<unknown, (value: unknown, previous: never) => unknown>([
    [VerificationSchema, sealVerification],
    [BootstrapSchema, sealBootstrap],
  ]);
  const shape = draftShape();
  plans = Object.freeze(
    draftKeys().map((key): FieldPlan => {
      const schema: z.ZodMiniType = shape[key];
      const node = schemaNode(schema);
      return Object.freeze({
        key,
        schema,
        accepts: predicates.get(schema),
        againstPrevious: node.kind === "nullable" ? incremental.get(node.inner) : undefined,
      });
    }),
  );
  return plans;
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
  const source = input as Fields;
  const base = previous !== undefined && isSealedDraft(previous) ? (previous as unknown as Fields) : null;
  const fields = fieldPlans();
  let issues: ValidationIssue[] | null = null;
  // Keys in schema order (the order `canonicalDraft` writes), so the result encodes canonically.
  const next: Fields = {};
  for (const field of fields) {
    const key = field.key;
    const value = source[key];
    const prior = base === null ? undefined : base[key];
    // The same object or the same primitive as in the sealed draft the command started from is
    // already known to be valid.
    if (base !== null && value === prior) {
      next[key] = value;
      continue;
    }
    if (field.accepts !== undefined && field.accepts(value)) {
      next[key] = value;
      continue;
    }
    if (field.againstPrevious !== undefined && prior !== undefined && prior !== null) {
      const sealedPart = field.againstPrevious(value, prior as never);
      if (sealedPart !== undefined) {
        next[key] = sealedPart;
        continue;
      }
      // Anything that fails field by field is parsed whole below, which reports the issues.
    }
    const result = field.schema.safeParse(value);
    if (result.success) {
      const parsed: unknown = result.data;
      next[key] = typeof parsed === "object" && parsed !== null ? deepFreeze(parsed) : parsed;
      continue;
    }
    const slow = safeParseWithMessages(field.schema, value);
    if (!slow.success) {
      issues ??= [];
      for (const issue of toValidationIssues(slow.issues)) issues.push({ ...issue, path: [key, ...issue.path] });
    }
    next[key] = value;
  }
  if (issues !== null) throw new CorruptRecordError(issues, idOf(draft));
  const sealed = next as unknown as OnboardingDraft;
  checkLifecycle(sealed);
  registerSealed(Object.freeze(sealed));
  return sealed;
}
