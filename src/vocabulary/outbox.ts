/**
 * What an outbox entry asks a queue to do. Commands that start runs write `run.requested` entries
 * in the same atomic commit as the draft; a run that a later command supersedes (provider
 * changed, draft cancelled, a `supersede` start) gets a `run.cancelled` entry.
 *
 * @example
 * ```ts
 * import { OutboxKind, type OutboxRecord } from "onboarding-lifecycle";
 * declare const entry: OutboxRecord;
 * declare const queue: { add(name: string, data: unknown, options: { jobId: string }): Promise<unknown> };
 *
 * if (entry.kind === OutboxKind.RunRequested) await queue.add(entry.operation, entry, { jobId: entry.runId });
 * ```
 */
export const OutboxKind = {
  /** A run was started: enqueue it. */
  RunRequested: "run.requested",
  /** A run was superseded or its draft cancelled: drop its job. */
  RunCancelled: "run.cancelled",
} as const;

/** One of the values of {@link OutboxKind}. */
export type OutboxKind = (typeof OutboxKind)[keyof typeof OutboxKind];

/**
 * Where an outbox entry is in its delivery: `pending` (waiting for, or held by, a dispatcher),
 * `delivered` (handed to `deliver` successfully), `dead` (failed `maxAttempts` times; parked
 * until someone requeues it).
 */
export const OutboxStatus = {
  /** Waiting for a dispatcher, or leased by one. */
  Pending: "pending",
  /** Delivered. */
  Delivered: "delivered",
  /** Parked after too many failed deliveries; requeue it by hand. */
  Dead: "dead",
} as const;

/** One of the values of {@link OutboxStatus}. */
export type OutboxStatus = (typeof OutboxStatus)[keyof typeof OutboxStatus];

/** The checkpoints whose work runs in the background: `verify_access` and `bootstrap`. */
export type RunCheckpoint = "verify_access" | "bootstrap";

/**
 * What `start_verification` / `start_bootstrap` do while a current run of the same checkpoint or
 * operation is queued or running (as Temporal's conflict policy):
 * `attach` returns the existing run (feedback `deduped`, the default), `supersede` cancels it
 * and starts a new one, `reject` throws `RunActiveError`.
 */
export const RunStartPolicy = {
  /** Return the existing run (feedback `deduped`); nothing is written. */
  Attach: "attach",
  /** Cancel the active run (outcome `cancelled`, a `run.cancelled` entry) and start a new one. */
  Supersede: "supersede",
  /** Refuse with `RunActiveError`. */
  Reject: "reject",
} as const;

/** One of the values of {@link RunStartPolicy}. */
export type RunStartPolicy = (typeof RunStartPolicy)[keyof typeof RunStartPolicy];
