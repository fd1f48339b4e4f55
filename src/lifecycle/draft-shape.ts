/**
 * What the codec reads from the draft's zod schema instead of listing fields by hand: the
 * top-level keys in schema order (the canonical order of a stored draft), the nullable ones, and
 * a small view of a zod schema's definition (object, nullable, optional, array, or a leaf).
 * Internal to lifecycle/: the upgrade, the incremental sealing and the canonical encoding all
 * derive their field lists from here, so a field added to `OnboardingDraftSchema` reaches all
 * three.
 */
import type * as z from "zod/mini";
import { OnboardingDraftSchema, type OnboardingDraft } from "../record/index.js";

/** A zod schema seen through its definition: only the kinds the codec distinguishes. */
export type SchemaNode =
  | { readonly kind: "object"; readonly shape: Readonly<Record<string, z.core.$ZodType>> }
  | { readonly kind: "nullable" | "optional"; readonly inner: z.core.$ZodType }
  | { readonly kind: "array"; readonly element: z.core.$ZodType }
  | { readonly kind: "leaf" };

/** The kind of a zod schema (its definition's `type`), with what the codec needs to walk it. */
export function schemaNode(schema: z.core.$ZodType): SchemaNode {
  const def = schema._zod.def;
  switch (def.type) {
    case "object":
      return { kind: "object", shape: (def as z.core.$ZodObjectDef).shape };
    case "nullable":
      return { kind: "nullable", inner: (def as z.core.$ZodNullableDef).innerType };
    case "optional":
      return { kind: "optional", inner: (def as z.core.$ZodOptionalDef).innerType };
    case "array":
      return { kind: "array", element: (def as z.core.$ZodArrayDef).element };
    default:
      return { kind: "leaf" };
  }
}

/** The draft's top-level fields and their schemas, in schema order. */
export type DraftShape = typeof OnboardingDraftSchema.shape;

/** The draft schema's shape (`OnboardingDraftSchema.shape`). */
export const draftShape = (): DraftShape => OnboardingDraftSchema.shape;

let keys: readonly (keyof OnboardingDraft)[] | undefined;

/** The draft's top-level keys in schema order: the order `encodeDraft` writes. */
export function draftKeys(): readonly (keyof OnboardingDraft)[] {
  return (keys ??= Object.freeze(Object.keys(OnboardingDraftSchema.shape) as (keyof OnboardingDraft)[]));
}

let nullableKeys: readonly (keyof OnboardingDraft)[] | undefined;

/** The top-level keys whose schema is nullable (`identity`, `provider`, ... `invalidation`), in schema order. */
export function nullableDraftKeys(): readonly (keyof OnboardingDraft)[] {
  const shape = draftShape();
  return (nullableKeys ??= Object.freeze(draftKeys().filter((key) => schemaNode(shape[key]).kind === "nullable")));
}
