import type * as z from "zod/mini";
import { en } from "zod/locales";
import type { ValidationIssue } from "./errors.js";

/**
 * Parse options that give zod issues English messages without configuring zod globally (the
 * package never changes your zod settings).
 */
export const PARSE_OPTIONS: {
  /** zod's English error map. */
  readonly error: z.core.$ZodErrorMap;
} = {
  error: /* @__PURE__ */ en().localeError,
};

/**
 * Parses with zod's fast path and, only when the input fails, parses again with English
 * messages (passing an error map to every parse would turn zod's compiled fast path off).
 */
export function safeParseWithMessages<T>(
  schema: z.ZodMiniType<T>,
  input: unknown,
):
  | {
      /** The input passed. */
      success: true;
      /** The parsed value. */
      data: T;
    }
  | {
      /** The input failed. */
      success: false;
      /** Every zod issue, with English messages. */
      issues: readonly z.core.$ZodIssue[];
    } {
  const fast = schema.safeParse(input);
  if (fast.success) return { success: true, data: fast.data };
  const slow = schema.safeParse(input, PARSE_OPTIONS);
  return slow.success ? { success: true, data: slow.data } : { success: false, issues: slow.error.issues };
}

/** Turns zod issues into plain, serialisable {@link ValidationIssue}s. */
export function toValidationIssues(issues: readonly z.core.$ZodIssue[]): ValidationIssue[] {
  return issues.flatMap((issue): ValidationIssue[] => {
    const path = issue.path.map((segment) => (typeof segment === "symbol" ? String(segment) : segment));
    // One issue per unknown key, at the key's own path, so the caller sees which field is wrong.
    if (issue.code === "unrecognized_keys") {
      return issue.keys.map((key) => ({
        code: issue.code,
        path: [...path, key],
        message: `unknown key ${JSON.stringify(key)}`,
      }));
    }
    return [{ code: issue.code, path, message: issue.message }];
  });
}
