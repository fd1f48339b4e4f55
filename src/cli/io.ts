/**
 * What a CLI run reads and writes, injected so tests can run it in process and the bin can
 * hand it the real process.
 */

/** An output stream: `process.stdout`, `process.stderr`, or a test's buffer. */
export interface CliStream {
  /** Writes text. */
  write(text: string): unknown;
  /** Whether the stream is a terminal (progress bars are drawn only there). */
  readonly isTTY?: boolean;
  /** The terminal's width, when it is one. */
  readonly columns?: number;
}

/** The environment of one run. */
export interface CliIo {
  /** Results (tables, JSON, SQL). */
  readonly stdout: CliStream;
  /** Errors and progress. */
  readonly stderr: CliStream;
  /** Environment variables (`ONBOARDING_DATABASE_URL`, `ONBOARDING_PREFIX`). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The current time in epoch milliseconds. */
  readonly now: () => number;
  /** Aborted on SIGINT / SIGTERM: long commands stop at the next safe point. */
  readonly signal?: AbortSignal;
}
