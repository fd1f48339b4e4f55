/**
 * What faults to inject, and the seeded schedule that decides them: every decision is a pure
 * function of (seed, method, the call's number for that method, what is decided; a dropped
 * connection is decided over all calls), so the same seed gives the same faults to the same
 * calls, run after run.
 */
import type { DraftStore } from "../../store/index.js";

/**
 * A method of the storage port (`DraftStore`), the unit faults are decided per. Not `describe`
 * (a synchronous description for telemetry, no I/O) nor `admin` (an object of its own).
 */
export type StoreMethod = Exclude<keyof DraftStore, "name" | "stores" | "close" | "describe" | "admin">;

/** Every port method, checked against {@link StoreMethod} so a new one cannot be missed. */
export const PORT_METHODS: Readonly<Record<StoreMethod, true>> = {
  load: true,
  insert: true,
  commit: true,
  appendAudit: true,
  appendConflict: true,
  listAudit: true,
  findOpenDraft: true,
  loadIdempotency: true,
  pruneIdempotency: true,
  list: true,
  claimOutbox: true,
  settleOutbox: true,
  releaseOutbox: true,
  listOutbox: true,
  requeueOutbox: true,
  recordRunProgress: true,
  listRunRecords: true,
  findStaleRuns: true,
  settleRuns: true,
  pruneOutbox: true,
};

/** The plan of {@link injectFaults}: which faults, how often. Every rate is a probability in [0, 1]. */
export interface FaultPlan {
  /** The seed of the schedule: the same seed gives the same faults to the same calls. */
  readonly seed: number;
  /** The methods that are writes (their faults come before or after the store saw them). Default `["commit", "insert"]`. */
  readonly writes?: readonly StoreMethod[];
  /** Rate of writes that fail before they reach the store: nothing is written. */
  readonly failBefore?: number;
  /**
   * Rate of writes that reach the store and whose caller gets an error anyway, as when the
   * connection drops after the database committed: the outcome is unknown to the caller (the
   * write may have applied or been rejected), and the error is the same as for a failure.
   */
  readonly failAfter?: number;
  /** Rate of calls of the other methods (reads, audit appends) that fail before they reach the store. */
  readonly failOther?: number;
  /** Added latency on any call. */
  readonly latency?: {
    /** Rate of calls delayed. */
    readonly rate: number;
    /** Shortest delay in milliseconds (default 0). */
    readonly minMs?: number;
    /** Longest delay in milliseconds. */
    readonly maxMs: number;
  };
  /**
   * Reordered concurrent commits: each commit is held until `window` commits wait or `holdMs`
   * passed since the first of them, then they are sent to the store one after another in a
   * shuffled order (so the store sees them in an order their callers did not send them in).
   */
  readonly reorder?: {
    /** How many commits a batch holds at most (2 or more). */
    readonly window: number;
    /** How long the first commit of a batch waits at most, in milliseconds. */
    readonly holdMs: number;
  };
  /**
   * Dropped connections: at this rate per call the connection drops while the call is in
   * flight. That call and every other call in flight lose their replies (a write among them
   * may have applied), and every call fails, without reaching the store, for the next `calls`
   * calls (default 10) or for `ms` milliseconds; then the connection is back.
   */
  readonly disconnect?: {
    /** Rate of calls during which the connection drops. */
    readonly rate: number;
    /** How many calls the outage lasts (default 10, unless `ms` is given). */
    readonly calls?: number;
    /** How long the outage lasts in milliseconds (instead of `calls`). */
    readonly ms?: number;
  };
}

/** What a decision is about: each gets its own stream of numbers. */
export const Decision = {
  Disconnect: 1,
  Latency: 2,
  LatencyMs: 3,
  Before: 4,
  After: 5,
  Other: 6,
  Shuffle: 7,
} as const;

function fmix(value: number): number {
  let h = value >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function streamOf(name: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < name.length; i += 1) hash = Math.imul(hash ^ name.charCodeAt(i), 0x01000193);
  return hash >>> 0;
}

/**
 * The schedule's number in [0, 1) for one decision about the `call`-th call of `stream` (a
 * method name, or `"*"` for decisions over every call): a hash, not a sequence, so decisions
 * about one method never shift those about another.
 */
export function scheduled(seed: number, stream: string, call: number, decision: number): number {
  const h = fmix(fmix(fmix(fmix(seed ^ 0x9e3779b9) ^ streamOf(stream)) ^ call) ^ decision);
  return h / 0x1_0000_0000;
}

/** A seeded permutation of `0 .. size - 1` (Fisher-Yates on the schedule's numbers). */
export function shuffled(seed: number, batch: number, size: number): number[] {
  const order = Array.from({ length: size }, (_, i) => i);
  for (let i = size - 1; i > 0; i -= 1) {
    const j = Math.floor(scheduled(seed, "reorder", batch * 1024 + i, Decision.Shuffle) * (i + 1));
    [order[i], order[j]] = [order[j] as number, order[i] as number];
  }
  return order;
}
