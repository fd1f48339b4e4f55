import type * as z from "zod/mini";
import type { ValidationIssue } from "./errors.js";

/** Turns zod issues into plain, serialisable {@link ValidationIssue}s. */
export function toValidationIssues(issues: readonly z.core.$ZodIssue[]): ValidationIssue[] {
  return issues.map((issue) => ({
    code: issue.code,
    path: issue.path.map((segment) => (typeof segment === "symbol" ? String(segment) : segment)),
    message: issue.message,
  }));
}
