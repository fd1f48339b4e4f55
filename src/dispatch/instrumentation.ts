/**
 * The dispatcher's instrumentation hook: told about every delivery, so tracing and metrics can
 * follow an outbox entry from its commit to its queue (the dispatch lag). Free of any
 * dependency; `openTelemetry()` of `onboarding-lifecycle/opentelemetry` implements it.
 */
import type { OutboxRecord } from "../record/index.js";
import type { OutboxStore } from "../store/index.js";

/** What the dispatcher knows when a delivery starts, besides the entry. */
export interface DeliveryInfo {
  /** Which delivery of the entry this is (1 for the first). */
  readonly attempt: number;
  /** The dispatcher's lease owner id. */
  readonly owner: string;
  /** The dispatcher's store (a `DraftStore` in practice), for its `name` and `describe()`. */
  readonly store: OutboxStore;
}

/** How a delivery ended. */
export interface DeliveryEnd {
  /** Whether `deliver` resolved (the entry is then settled `delivered`). */
  readonly delivered: boolean;
  /** The failure's text when `deliver` threw, else `null`. */
  readonly error: string | null;
  /** When it ended, on the dispatcher's clock (epoch milliseconds). */
  readonly at: number;
  /** Milliseconds from the entry's `createdAt` (its commit) to `at`: the dispatch lag. */
  readonly lagMs: number;
}

/**
 * One delivery, as an instrumentation follows it: `run` is called once with the call of
 * `deliver` (and must hand back its promise unchanged), then `end` once. A throw from `end` is
 * ignored.
 */
export interface DeliveryTrace {
  /** Runs the delivery (OpenTelemetry: with the delivery's span as the active context). */
  run<T>(body: () => Promise<T>): Promise<T>;
  /** The delivery ended. */
  end(result: DeliveryEnd): void;
}

/**
 * Tracing and metrics for a dispatcher: `DispatcherOptions.instrumentation`. Return
 * `undefined` to leave a delivery alone.
 *
 * @example
 * ```ts
 * import { openTelemetry } from "onboarding-lifecycle/opentelemetry";
 *
 * const dispatcher = createDispatcher({
 *   store,
 *   deliver: async (entry) => log.info("queued", entry.runId), // hand the entry to your queue
 *   instrumentation: openTelemetry(),
 * });
 * ```
 */
export interface DispatchInstrumentation {
  /** A delivery of `entry` starts. */
  startDelivery(entry: OutboxRecord, info: DeliveryInfo): DeliveryTrace | undefined;
}
