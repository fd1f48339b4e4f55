/**
 * Canonical encoding: a draft as JSON with its keys in schema order and unknown keys dropped, so
 * equal drafts encode to equal bytes. The canonical form is derived from
 * `OnboardingDraftSchema`: objects in shape order (an absent optional field stays absent),
 * nullable values, arrays, and leaves copied as they are.
 */
import type * as z from "zod/mini";
import { OnboardingDraftSchema, type OnboardingDraft } from "../record/index.js";
import { schemaNode } from "./draft-shape.js";
import { isSealedDraft } from "./sealed.js";

type Canonicalise = (value: unknown) => unknown;

/** A function that copies a value of `schema` into canonical form (fresh objects and arrays, keys in shape order). */
function canonicaliser(schema: z.core.$ZodType): Canonicalise {
  const node = schemaNode(schema);
  switch (node.kind) {
    case "object": {
      const fields = Object.entries(node.shape).map(([key, field]) => {
        return { key, copy: canonicaliser(field), optional: schemaNode(field).kind === "optional" };
      });
      return (value) => {
        const source = value as Record<string, unknown>;
        const out: Record<string, unknown> = {};
        for (const { key, copy, optional } of fields) {
          const field = source[key];
          if (optional && field === undefined) continue;
          out[key] = copy(field);
        }
        return out;
      };
    }
    case "nullable": {
      const copy = canonicaliser(node.inner);
      return (value) => (value === null ? null : copy(value));
    }
    case "optional": {
      const copy = canonicaliser(node.inner);
      return (value) => (value === undefined ? undefined : copy(value));
    }
    case "array": {
      const copy = canonicaliser(node.element);
      return (value) => (value as readonly unknown[]).map((element) => copy(element));
    }
    case "leaf":
      return (value) => value;
  }
}

let canonical: Canonicalise | undefined;

/**
 * The draft with its keys in canonical (schema) order and unknown keys removed: a fresh object
 * sharing nothing with the input. Internal: what `encodeDraft` and sealing build on (a stored
 * document whose keys came back in the database's order gets the schema's order).
 */
export function canonicalDraft(draft: OnboardingDraft): OnboardingDraft {
  canonical ??= canonicaliser(OnboardingDraftSchema);
  return canonical(draft) as OnboardingDraft;
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
