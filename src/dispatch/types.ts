import type { OutboxRecord } from "../record/index.js";
import type { DraftStore, OutboxStore } from "../store/index.js";
import type { DispatchInstrumentation } from "./instrumentation.js";

/** What a dispatcher needs of a store: the outbox methods and `appendAudit` (for `delivery_dead` / `delivery_requeued`). */
export type DispatchStore = OutboxStore & Pick<DraftStore, "appendAudit">;

/** What `deliver` is told besides the entry. */
export interface DeliveryContext {
  /**
   * Aborted shortly before the entry's lease ends (so that no two dispatchers ever deliver the
   * same entry at once): stop and throw when it fires. Not aborted by `stop()`: a delivery that
   * has started is let finish.
   */
  readonly signal: AbortSignal;
  /** Which delivery of this entry this is: 1 for the first, counting every claim. */
  readonly attempt: number;
}

/** Exponential backoff of failed deliveries (and of loop errors). */
export interface DispatchBackoff {
  /** The delay after the first failure, in ms (default 1000). */
  readonly baseMs?: number;
  /** The longest delay, in ms (default 300_000: 5 minutes). */
  readonly maxMs?: number;
  /** Full jitter: a random delay from 0 up to the exponential one (default `true`). */
  readonly jitter?: boolean;
}

/** Work the dispatcher's loop runs every `everyMs` (the engine's stuck-run expiry, say). */
export interface DispatchTask {
  /** How often, in ms (> 0). The first run is when the loop starts. */
  readonly everyMs: number;
  /** The work; its rejection is reported through `onError`. `signal` is aborted by `stop()`. */
  readonly run: (signal: AbortSignal) => Promise<unknown>;
}

/** Options of {@link createDispatcher}. */
export interface DispatcherOptions {
  /** The store whose outbox is dispatched. */
  readonly store: DispatchStore;
  /**
   * Hands one entry on (to a queue, a worker, a webhook). Resolving marks the entry delivered;
   * throwing retries it later with backoff, up to `maxAttempts` deliveries, then parks it `dead`.
   * Delivery is at least once: make it idempotent (`entry.runId` is a good job id).
   */
  readonly deliver: (entry: OutboxRecord, context: DeliveryContext) => Promise<void>;
  /** This dispatcher's lease owner id (default `dispatcher-<random UUID>`); unique per process. */
  readonly owner?: string;
  /** Ids of the audit entries the dispatcher writes (default random UUIDs). */
  readonly newId?: () => string;
  /** The current time (default `Date.now`). */
  readonly clock?: () => Date | number;
  /** How long a claim holds its entries, in ms (default 30_000; 1000 to 86_400_000). */
  readonly leaseMs?: number;
  /** At most this many entries per claim (default 100; 1 to 1000). */
  readonly batchSize?: number;
  /** At most this many deliveries in flight (default 10; 1 to 1000). */
  readonly concurrency?: number;
  /** Deliveries before an entry is parked `dead` (default 10; 1 to 1000). */
  readonly maxAttempts?: number;
  /** Retry backoff (default 1 s doubling up to 5 min, with full jitter). */
  readonly backoff?: DispatchBackoff;
  /** The jitter's randomness, in [0, 1) (default `Math.random`). */
  readonly random?: () => number;
  /** How long the loop waits after a claim that found nothing, in ms (default 1000). */
  readonly pollIntervalMs?: number;
  /** Waits `ms` or until `signal` aborts (default a `setTimeout`); injectable for tests. */
  readonly sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Aborting it stops the dispatcher, as `stop()` does. */
  readonly signal?: AbortSignal;
  /** Errors of the loop (store down, a corrupt record, a failed task); the loop keeps going, with backoff. Default `console.error`. */
  readonly onError?: (error: unknown) => void;
  /** Called after every `runOnce` of the loop. */
  readonly onTick?: (report: DispatchReport) => void;
  /** Scheduled work run on the same loop, between claims. */
  readonly tasks?: readonly DispatchTask[];
  /**
   * Tracing and metrics of deliveries (a span per delivery, the dispatch lag from an entry's
   * commit to its delivery): `openTelemetry()` of `onboarding-lifecycle/opentelemetry`, or your
   * own {@link DispatchInstrumentation}.
   */
  readonly instrumentation?: DispatchInstrumentation;
}

/** What one `runOnce` did. */
export interface DispatchReport {
  /** Entries claimed (corrupt ones included: they are reported, not delivered, and left to their lease). */
  readonly claimed: number;
  /** Deliveries that succeeded (settled `delivered`). */
  readonly delivered: number;
  /** Deliveries that failed and will be retried (settled `pending` with a later `availableAt`). */
  readonly retried: number;
  /** Deliveries that failed for the last time (settled `dead`). */
  readonly dead: number;
  /** Claimed entries given back undelivered (stopping, or too little lease left to start). */
  readonly released: number;
  /** Settles that changed nothing: the lease had ended and another dispatcher took the entry over. */
  readonly lost: number;
}

/** One page of {@link Dispatcher.listDead}. */
export interface DeadPage {
  /** The dead entries, validated, oldest first. */
  readonly entries: OutboxRecord[];
  /** Pass back as `cursor` for the next page; `null` on the last page. */
  readonly nextCursor: string | null;
}

/** Options of {@link Dispatcher.listDead}. */
export interface ListDeadOptions {
  /** Only this workspace's entries. */
  readonly workspaceId?: string;
  /** At most this many (1 to 500, default 100). */
  readonly limit?: number;
  /** The previous page's `nextCursor`. */
  readonly cursor?: string | null;
}

/** An entry to requeue. */
export interface RequeueRef {
  /** The entry's workspace. */
  readonly workspaceId: string;
  /** The entry. */
  readonly entryId: string;
  /** Who requeues it, for the `delivery_requeued` audit entry (default the dispatcher's owner id). */
  readonly actorId?: string;
}

/** A running (or stopped) outbox dispatcher; see {@link createDispatcher}. */
export interface Dispatcher {
  /** One claim, the deliveries (at most `concurrency` at once), one batched settle. Calls are serialised. */
  runOnce(): Promise<DispatchReport>;
  /** Starts the loop: `runOnce` until a claim finds nothing, then waits `pollIntervalMs`. No-op when running. */
  start(): void;
  /**
   * Stops claiming, lets deliveries in flight finish (their outcome is settled), releases the
   * claimed entries not started yet; resolves when all of that is done.
   */
  stop(): Promise<void>;
  /** One page of dead entries, oldest first. */
  listDead(options?: ListDeadOptions): Promise<DeadPage>;
  /** Makes a dead entry pending again (attempts 0) and audits it; `false` when it is not dead. */
  requeue(ref: RequeueRef): Promise<boolean>;
  /** Whether the loop is running (from `start()` until `stop()` resolves). */
  readonly running: boolean;
  /** The lease owner id this dispatcher claims with. */
  readonly owner: string;
}
