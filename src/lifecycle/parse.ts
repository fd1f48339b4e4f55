/**
 * Parsing stored documents into sealed drafts: upgrade, zod validation, the lifecycle check,
 * deep freeze and registration.
 */
import {
  CorruptRecordError,
  OnboardingDraftSchema,
  safeParseWithMessages,
  toValidationIssues,
  type OnboardingDraft,
} from "../record/index.js";
import { deriveLifecycle, lifecycleEquals } from "./derive.js";
import { deepFreeze, isSealedDraft, registerSealed } from "./sealed.js";
import { upgradeDraft } from "./upgrade.js";

/**
 * The `id` of a document when it has a string one (for the error), else `null`. Internal to
 * lifecycle/.
 *
 * @internal
 */
export function idOf(value: unknown): string | null {
  if (typeof value === "object" && value !== null && "id" in value) {
    const id = value.id;
    if (typeof id === "string") return id;
  }
  return null;
}

/**
 * Throws when the persisted lifecycle is not the one the decision table derives. Internal to
 * lifecycle/.
 *
 * @internal
 */
export function checkLifecycle(draft: OnboardingDraft): void {
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
  registerSealed(deepFreeze(draft));
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
export function safeParseDraft(document: unknown):
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
