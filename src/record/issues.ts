import * as z from "zod/mini";
import type { ValidationIssue } from "./errors.js";

/**
 * Parse options that give zod issues English messages without configuring zod globally (the
 * package never changes your zod settings).
 */
export const PARSE_OPTIONS: { readonly error: z.core.$ZodErrorMap } = {
  error: /* @__PURE__ */ z.locales.en().localeError,
};

/** Turns zod issues into plain, serialisable {@link ValidationIssue}s. */
export function toValidationIssues(issues: readonly z.core.$ZodIssue[]): ValidationIssue[] {
  return issues.map((issue) => ({
    code: issue.code,
    path: issue.path.map((segment) => (typeof segment === "symbol" ? String(segment) : segment)),
    message: issue.message,
  }));
}
