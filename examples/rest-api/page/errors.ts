/**
 * page/errors.ts — an error the client rejected with, as the operator reads it: a title, a
 * sentence, a list (the blockers of a refused activation), the inputs to fix (a validation
 * error's issues), and whether trying again can help. The client gives back the package's own
 * error classes, so this is `instanceof` and their data, never a status code. Pure: no DOM.
 */
import {
  AuthorizationError,
  DraftNotFoundError,
  InvalidTransitionError,
  NetworkError,
  NotReadyError,
  OpenDraftExistsError,
  ResponseError,
  TerminalDraftError,
  ValidationError,
  isOnboardingError,
} from "../../../src/client/index.js";
import { BLOCKER_TEXT, CAPABILITY_TEXT, ERROR_TITLES, FIELD_LABELS, REQUIREMENT_TEXT } from "./messages.js";

/** An error, in words. */
export interface ErrorText {
  /** The notice's heading. */
  readonly title: string;
  /** What happened and what to do. */
  readonly detail: string;
  /** Items to list (blockers). */
  readonly items: readonly string[];
  /** Messages for inputs, by input name (from a validation error). */
  readonly fields: Readonly<Record<string, string>>;
  /** Whether "Try again" can help (no answer, a server failure). */
  readonly retry: boolean;
}

/** What {@link describeError} needs to know about the page. */
export interface ErrorContext {
  /** The acting operator's name. */
  readonly actorName: string;
  /** The input a validation issue's path belongs to (`["override", "reason"]` → `overrideReason`). */
  readonly fieldOf: (path: readonly (string | number)[]) => string | null;
}

const text = (title: string, detail: string, more: Partial<ErrorText> = {}): ErrorText => ({
  title,
  detail,
  items: [],
  fields: {},
  retry: false,
  ...more,
});

/** A validation issue in an operator's words (zod's own messages are written for developers). */
function issueText(issue: ValidationError["issues"][number], label: string | undefined): string {
  const what = label ?? "This value";
  switch (issue.code) {
    case "too_small":
      return `${what} cannot be empty.`;
    case "too_big":
      return `${what} is too long.`;
    case "invalid_type":
      return `${what} is required.`;
    default:
      return `${what}: ${issue.message}`;
  }
}

function validation(error: ValidationError, context: ErrorContext): ErrorText {
  const fields: Record<string, string> = {};
  const items: string[] = [];
  for (const issue of error.issues) {
    const field = context.fieldOf(issue.path);
    if (field === null) items.push(issueText(issue, undefined));
    else fields[field] ??= issueText(issue, FIELD_LABELS[field]);
  }
  const named = Object.keys(fields).map((field) => FIELD_LABELS[field] ?? field);
  const detail = `Nothing was saved. Fix ${named.length > 0 ? named.join(", ") : "the input"} and try again.`;
  return text(ERROR_TITLES.validation_failed, detail, { fields, items: named.length > 0 ? [] : items });
}

/**
 * Describes what the client threw.
 *
 * @example
 * ```ts
 * const { title, detail } = describeError(error, { actorName: "Omar Operator", fieldOf: () => null });
 * ```
 */
export function describeError(error: unknown, context: ErrorContext): ErrorText {
  if (error instanceof ValidationError) return validation(error, context);
  if (error instanceof NotReadyError) {
    const items = error.blockers.map((blocker) => BLOCKER_TEXT[blocker.code] ?? blocker.message);
    const detail = error.overridable
      ? "Only warnings remain: someone who may override readiness can activate with a reason."
      : "The server checked the draft again and found what still stands in the way:";
    return text(ERROR_TITLES.not_ready, detail, { items });
  }
  if (error instanceof AuthorizationError) {
    return text(
      ERROR_TITLES.forbidden,
      `You (${context.actorName}) may not ${CAPABILITY_TEXT[error.capability]}. Nothing was changed.`,
    );
  }
  if (error instanceof TerminalDraftError) {
    return text(ERROR_TITLES.terminal_draft, `This onboarding is already ${error.state}: nothing can change any more.`);
  }
  if (error instanceof InvalidTransitionError) {
    return text(ERROR_TITLES.invalid_transition, REQUIREMENT_TEXT[error.requirement] ?? error.message);
  }
  if (error instanceof DraftNotFoundError) {
    return text(
      ERROR_TITLES.draft_not_found,
      "No onboarding with this link exists in this workspace. Start one, or resume one from the list.",
    );
  }
  if (error instanceof OpenDraftExistsError) {
    return text(
      ERROR_TITLES.open_draft_exists,
      `Tenant ${error.tenantId} already has an open onboarding: resume it from the list.`,
    );
  }
  if (error instanceof NetworkError) {
    return text(
      ERROR_TITLES.network_error,
      "Nothing you typed is lost. Check your connection and try again when the server is back.",
      { retry: true },
    );
  }
  if (error instanceof ResponseError) {
    const title = ERROR_TITLES[error.code as keyof typeof ERROR_TITLES] ?? ERROR_TITLES.unexpected_response;
    return text(
      title,
      `The server answered with HTTP ${error.status}. Nothing you typed is lost: try again in a moment.`,
      {
        retry: error.status >= 500,
      },
    );
  }
  if (isOnboardingError(error)) {
    return text(ERROR_TITLES[error.code], error.message, {
      retry: error.code === "store_failure" || error.code === "retry_exhausted",
    });
  }
  return text("Something went wrong", error instanceof Error ? error.message : String(error), { retry: true });
}
