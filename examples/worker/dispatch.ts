/**
 * examples/worker — the dispatcher side: moves the outbox's entries to the BullMQ queue.
 *
 * `createDispatcher` claims pending outbox entries with a lease, hands each to `deliver` and
 * marks it delivered (at least once: a crash between the two delivers it again). `deliver` is
 * the BullMQ runner's relay: `run.requested` adds one job whose id is derived from the run
 * (`runJobId(workspaceId, runId)`), so a second delivery adds nothing; `run.cancelled` removes
 * the job if it still waits (a running one is aborted by its worker's next heartbeat). On the same
 * loop, a task expires the runs nobody reported on for longer than the engine's `runLeaseMs`.
 *
 * In an app the imports are `onboarding-lifecycle` and `onboarding-lifecycle/runners/bullmq`.
 */
import type { Queue } from "bullmq";
import {
  createDispatcher,
  type Actor,
  type Dispatcher,
  type DispatchStore,
  type OnboardingEngine,
  type OutboxRecord,
} from "../../src/index.js";
import { createBullMqRelay } from "../../src/runners/bullmq/index.js";

/** Options of {@link startDispatcher}. */
export interface StartDispatcherOptions<TActor extends Actor> {
  /** The application's store (the engine's). */
  readonly store: DispatchStore;
  /** The engine, for `expireStuckRuns`. */
  readonly engine: Pick<OnboardingEngine<TActor>, "expireStuckRuns">;
  /** The actor of the expiry task: needs `record_result`. */
  readonly actor: TActor;
  /** The BullMQ queue of runs (`new Queue(RUNS_QUEUE, { connection, prefix })`). */
  readonly queue: Queue;
  /** The wait after a claim that found nothing (default 1000 ms). */
  readonly pollIntervalMs?: number;
  /** How often stuck runs are expired (default every minute). */
  readonly expireEveryMs?: number;
  /** Told every entry handed to the queue. */
  readonly onDelivered?: (entry: OutboxRecord) => void;
  /** Loop errors (default `console.error`). */
  readonly onError?: (error: unknown) => void;
}

/** Creates and starts the dispatcher; `await dispatcher.stop()` on shutdown. */
export function startDispatcher<TActor extends Actor>(options: StartDispatcherOptions<TActor>): Dispatcher {
  const relay = createBullMqRelay({
    queue: options.queue,
    // BullMQ's own retries of a job whose worker failed it; completed jobs kept for a while.
    jobOptions: { attempts: 5, backoff: { type: "exponential", delay: 1000 }, removeOnComplete: 1000 },
  });
  const dispatcher = createDispatcher({
    store: options.store,
    deliver: async (entry, context) => {
      await relay(entry, context);
      options.onDelivered?.(entry);
    },
    tasks: [
      { everyMs: options.expireEveryMs ?? 60_000, run: () => options.engine.expireStuckRuns({ actor: options.actor }) },
    ],
    ...(options.pollIntervalMs === undefined ? {} : { pollIntervalMs: options.pollIntervalMs }),
    onError: options.onError ?? ((error) => console.error("outbox dispatcher:", error)),
  });
  dispatcher.start();
  return dispatcher;
}
