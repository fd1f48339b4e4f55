/**
 * dispatch/ — the outbox dispatcher: claims pending outbox entries with a lease, hands each to a
 * `deliver` function (bounded concurrency, aborted before its lease ends), settles the outcomes
 * in one batched write (delivered, retried with backoff, or parked `dead` with an audit entry),
 * lists and requeues dead entries, and runs scheduled tasks on the same loop. All timing goes
 * through an injected clock and sleep. `instrumentation.ts` is the tracing hook of deliveries
 * (types only, no dependency).
 *
 * May import: vocabulary/, record/ and the store port (store/). Never engine/ (the engine's
 * scheduled work comes in as a `task`), never an adapter or a driver.
 */
export { createDispatcher } from "./dispatcher.js";
export type {
  Dispatcher,
  DispatcherOptions,
  DispatchReport,
  DispatchStore,
  DispatchBackoff,
  DispatchTask,
  DeliveryContext,
  ListDeadOptions,
  DeadPage,
  RequeueRef,
} from "./types.js";
export type { DispatchInstrumentation, DeliveryTrace, DeliveryInfo, DeliveryEnd } from "./instrumentation.js";
