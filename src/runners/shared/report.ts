import { isOnboardingError } from "../../record/index.js";

/** How a runner retries a run report (`running`, the result) that did not land. */
export interface ReportRetryOptions {
  /** First backoff ceiling in milliseconds. Default 100. */
  readonly baseDelayMs?: number;
  /** Largest backoff ceiling in milliseconds. Default 30 000. */
  readonly maxDelayMs?: number;
  /** Random source for the full jitter, in [0, 1). Default `Math.random`. */
  readonly random?: () => number;
}

/** The defaults of {@link ReportRetryOptions}. */
const DEFAULTS = { baseDelayMs: 100, maxDelayMs: 30_000 } as const;

/**
 * Whether a report that threw is worth sending again: the engine ran out of conflict retries
 * (`retry_exhausted`), the store failed (`store_failure`, a lost connection), or something
 * that is not one of the package's errors (a network error of a remote engine). Every other
 * error of the package (validation, authorization, a missing draft, a corrupt record) would
 * fail the same way again.
 *
 * @example
 * ```ts
 * isRetryableReportError(new Error("ECONNRESET")); // true
 * ```
 */
export function isRetryableReportError(error: unknown): boolean {
  if (!isOnboardingError(error)) return true;
  return error.code === "retry_exhausted" || error.code === "store_failure" || error.code === "version_conflict";
}

/** @internal What {@link sendUntilLanded} reports before each wait. */
export interface RetryNotice {
  /** The attempt that failed (1 for the first). */
  readonly attempt: number;
  /** How long it waits before the next one. */
  readonly delayMs: number;
  /** What the attempt threw. */
  readonly error: unknown;
}

/** Waits `ms`, or less when `signal` aborts (never rejects). */
export function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted === true) {
      resolve();
      return;
    }
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}

/** Whether `signal` has aborted (a call, so a check after an `await` is not narrowed away). */
const aborted = (signal: AbortSignal | undefined): boolean => signal?.aborted === true;

/**
 * @internal Sends a report until it lands: retries retryable errors with exponential backoff and
 * full jitter, without an attempt limit (a lost result is worse than a late one). Stops only on
 * a non-retryable error (thrown), or when `stop` aborts (the last error is thrown: the job then
 * fails in its queue and is retried from there).
 */
export async function sendUntilLanded<T>(
  send: () => Promise<T>,
  options: ReportRetryOptions,
  stop: AbortSignal | undefined,
  onRetry: (notice: RetryNotice) => void,
): Promise<T> {
  const base = options.baseDelayMs ?? DEFAULTS.baseDelayMs;
  const max = options.maxDelayMs ?? DEFAULTS.maxDelayMs;
  const random = options.random ?? Math.random;
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await send();
    } catch (error) {
      if (!isRetryableReportError(error) || aborted(stop)) throw error;
      const ceiling = Math.min(max, base * 2 ** Math.min(attempt - 1, 30));
      const delayMs = Math.floor(random() * ceiling);
      onRetry({ attempt, delayMs, error });
      await pause(delayMs, stop);
      if (aborted(stop)) throw error;
    }
  }
}

/** The longest run message the engine stores. */
const MAX_MESSAGE_LENGTH = 4096;

/**
 * @internal A message the engine accepts: lone surrogates and NUL replaced, cut to 4096 UTF-16
 * code units (an error message can be anything; a report refused for its message would be lost).
 */
export function storableMessage(text: string): string {
  return text
    .slice(0, MAX_MESSAGE_LENGTH)
    .replaceAll("\u0000", "\uFFFD")
    .replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, "\uFFFD");
}
