/**
 * The CLI's exit codes and its one error line: what a script can rely on. The table is the
 * contract (specs/009-observability/cli.md); a code never changes meaning.
 */
import { isOnboardingError, ErrorCode } from "../index.js";

/**
 * The process exit codes of `onboarding-lifecycle`.
 *
 * @example (the CLI's own code, not a package export, so not type-checked)
 * ```text
 * if (code === ExitCode.PendingMigrations) console.log("run onboarding-lifecycle migrate");
 * ```
 */
export const ExitCode = {
  /** The command did what it was asked. */
  Ok: 0,
  /** The operation failed: the store could not be reached or refused, a stored record is corrupt, a bug. */
  Failed: 1,
  /** The command line was wrong: an unknown command or option, a bad value, a connection string the CLI cannot use. */
  Usage: 2,
  /** What the command names does not exist (`inspect` of a draft that is not in the workspace). */
  NotFound: 3,
  /** `status --check`: the schema has migrations to apply. */
  PendingMigrations: 4,
  /** The command finished, but some items could not be processed (`backfill`: rows it could not upgrade). */
  Partial: 5,
  /** Interrupted (SIGINT / SIGTERM) before it finished; what was done is kept, a re-run continues. */
  Interrupted: 130,
} as const;

/** One of the values of {@link ExitCode}. */
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** The error code printed for an error that is not the package's own (a bug, or an unexpected failure). */
export const INTERNAL_ERROR_CODE = "internal_error";

/** The code of a command line the CLI refuses (unknown command, option, missing argument). */
export const USAGE_ERROR_CODE = ErrorCode.Validation;

/** A usage problem found by the CLI itself (not by the package): printed with `validation_failed`, exit 2. */
export class UsageError extends Error {
  /** @param message what is wrong, for the one error line */
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** The exit code an error ends the process with. */
export function exitCodeOf(error: unknown): ExitCode {
  if (error instanceof UsageError) return ExitCode.Usage;
  if (!isOnboardingError(error)) return ExitCode.Failed;
  switch (error.code) {
    case ErrorCode.Validation:
    case ErrorCode.Configuration:
      return ExitCode.Usage;
    case ErrorCode.DraftNotFound:
      return ExitCode.NotFound;
    default:
      return ExitCode.Failed;
  }
}

/** The stable code of an error: the package's `code`, `validation_failed` for usage, else `internal_error`. */
export function errorCodeOf(error: unknown): string {
  if (error instanceof UsageError) return USAGE_ERROR_CODE;
  return isOnboardingError(error) ? error.code : INTERNAL_ERROR_CODE;
}

/** An error's message on one line (driver messages can span several). */
function oneLine(text: string): string {
  return text.replace(/\s*\r?\n\s*/g, " ").trim();
}

/**
 * The one line an error prints on stderr: `onboarding-lifecycle: <code>: <message>`, or with
 * `--json` a JSON object `{"error":{"code","message","exitCode"}}` on one line.
 */
export function errorLine(error: unknown, json: boolean): string {
  const code = errorCodeOf(error);
  const message = oneLine(error instanceof Error ? error.message : String(error));
  if (json) return `${JSON.stringify({ error: { code, message, exitCode: exitCodeOf(error) } })}\n`;
  return `onboarding-lifecycle: ${code}: ${message}\n`;
}
