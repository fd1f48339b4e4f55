import type { OutboxRecord } from "../../record/index.js";

/** What the dispatcher passes to `deliver` besides the entry. */
export interface DeliveryContext {
  /** Aborted when the dispatcher stops or the entry's lease ends: stop early. */
  readonly signal: AbortSignal;
  /** The delivery attempt (1 for the first). */
  readonly attempt: number;
}

/**
 * A relay: the dispatcher's `deliver` function for one queue. `run.requested` enqueues the run's
 * job (at most once per run, however often the entry is delivered); `run.cancelled` removes the
 * job if it has not started. Resolving marks the entry delivered; a throw retries it later.
 */
export type RunRelay = (entry: OutboxRecord, context?: DeliveryContext) => Promise<void>;
