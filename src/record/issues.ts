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
  return issues.map((issue) => ({
    code: issue.code,
    path: issue.path.map((segment) => (typeof segment === "symbol" ? String(segment) : segment)),
    message: issue.message,
  }));
}
