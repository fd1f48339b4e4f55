import * as z from "zod/mini";
import {
  IdSchema,
  ValidationError,
  VersionSchema,
  isId,
  isVersion,
  safeParseWithMessages,
  toValidationIssues,
} from "../record/index.js";

/**
 * The engine's checks of its call arguments (ids, keys, versions): each one is a zod schema,
 * plus an exact pre-check of the common valid case so a well-formed call does not pay for a
 * zod parse of a single string. A value the pre-check does not accept goes through zod, which
 * decides and writes the issues. A property in `test/engine/engine.test.ts` proves the
 * pre-checks never accept what the schema refuses.
 */

/** The rule of every id argument (workspace, draft, actor): the record's id rule, 1 to 128 UTF-16 code units. */
export const IdArgumentSchema = IdSchema;
/** The rule of an idempotency key: absent, or 1 to 255 UTF-16 code units. */
export const KeyArgumentSchema = z.optional(z.string().check(z.minLength(1), z.maxLength(255)));
/** The rule of an `expectedVersion`: the record's version rule, a safe integer of at least 1. */
export const VersionArgumentSchema = VersionSchema;

/** Exact pre-check of {@link IdArgumentSchema}. */
export const isIdArgument = isId;
/** Exact pre-check of {@link KeyArgumentSchema}. */
export const isKeyArgument = (value: unknown): value is string | undefined =>
  value === undefined || (typeof value === "string" && value.length >= 1 && value.length <= 255);
/** Exact pre-check of {@link VersionArgumentSchema}. */
export const isVersionArgument = isVersion;

/**
 * Validates one call argument: `accepts` first, zod when it does not.
 *
 * @throws {@link ValidationError} (target `options`) with the zod issues under `path`.
 */
export function checkArgument<T>(
  schema: z.ZodMiniType<T>,
  accepts: (value: unknown) => value is T,
  value: unknown,
  path: readonly (string | number)[],
): T {
  if (accepts(value)) return value;
  const result = safeParseWithMessages(schema, value);
  if (result.success) return result.data;
  throw new ValidationError(
    "options",
    toValidationIssues(result.issues).map((issue) => ({ ...issue, path: [...path, ...issue.path] })),
  );
}
