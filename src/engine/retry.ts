import type { RetryOptions } from "./types.js";

/** Retry options with every default filled in. */
export interface ResolvedRetry {
  readonly attempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  readonly random: () => number;
  readonly sleep: (ms: number) => Promise<void>;
}

/** Fills the defaults of {@link RetryOptions}. */
export function resolveRetry(options: RetryOptions = {}): ResolvedRetry {
  return {
    attempts: Math.max(1, Math.floor(options.attempts ?? 8)),
    baseDelayMs: Math.max(0, options.baseDelayMs ?? 5),
    maxDelayMs: Math.max(0, options.maxDelayMs ?? 250),
    random: options.random ?? Math.random,
    sleep: options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
  };
}

/** Exponential backoff with full jitter: a random delay below min(max, base * 2^(attempt-1)). */
export function backoffDelay(retry: ResolvedRetry, attempt: number): number {
  const ceiling = Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.floor(retry.random() * ceiling);
}
