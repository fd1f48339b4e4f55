import { createNoopMeter, metrics, trace, type Meter, type Tracer } from "@opentelemetry/api";
import type { OutboxRecord } from "../record/index.js";
import type { StoreDescriptor } from "../store/index.js";
import type { EngineInstrumentation, OperationInfo, OperationTrace } from "../engine/index.js";
import type { DeliveryInfo, DeliveryTrace, DispatchInstrumentation } from "../dispatch/index.js";
import { DeliverySpan } from "./delivery.js";
import { createInstruments } from "./metrics.js";
import { INSTRUMENTATION_SCOPE } from "./names.js";
import { OperationSpan } from "./operation.js";
import { createTelemetry } from "./telemetry.js";

/** Options of {@link openTelemetry}. */
export interface OpenTelemetryOptions {
  /**
   * The tracer spans are started on. Default: `trace.getTracer("onboarding-lifecycle")` of the
   * global tracer provider (the one `NodeSDK` or `provider.register()` set). `false`: no spans.
   */
  readonly tracer?: Tracer | false;
  /**
   * The meter the instruments are created on. Default: `metrics.getMeter("onboarding-lifecycle")`
   * of the global meter provider, taken when `openTelemetry()` is called (set the provider
   * first). `false`: no metrics.
   */
  readonly meter?: Meter | false;
  /** Whether each store call gets a span of its own (CLIENT, `db.*` attributes). Default `true`. */
  readonly storeSpans?: boolean;
  /**
   * Overrides what the store says of itself (`DraftStore.describe()`): e.g.
   * `{ system: "mariadb" }` for the MySQL adapter on MariaDB, or `{ namespace: "app" }` when the
   * database name comes from the environment rather than the connection options.
   */
  readonly database?: Partial<StoreDescriptor>;
}

/** What {@link openTelemetry} returns: an instrumentation for engines and dispatchers alike. */
export interface OpenTelemetryInstrumentation extends EngineInstrumentation, DispatchInstrumentation {
  /**
   * An engine operation starts: its span and measurements (`undefined`, so the engine runs it
   * plain, when neither an SDK span nor a metric would record anything).
   */
  startOperation(info: OperationInfo, parent: OperationTrace | null): OperationTrace | undefined;
  /** A delivery starts: its span, the delivery count and the dispatch lag (`undefined` when nothing would record). */
  startDelivery(entry: OutboxRecord, info: DeliveryInfo): DeliveryTrace | undefined;
}

/**
 * OpenTelemetry tracing and metrics for the engine and the dispatcher: a span per engine
 * operation (`onboarding.execute identify`, ...) with the command, workspace, draft, versions,
 * outcome, conflict and retry counts; a CLIENT span per store call following the stable
 * database semantic conventions (`db.system.name`, `db.operation.name`, `db.collection.name`,
 * `db.namespace`); a span per delivery; and the metrics `onboarding.operation.duration`,
 * `onboarding.conflicts`, `onboarding.retries`, `onboarding.dispatch.lag`,
 * `onboarding.dispatch.deliveries` and `db.client.operation.duration`. Errors are recorded
 * with their stable `code`. With no SDK registered an operation costs one no-op span and is then
 * run plain; without this instrumentation nothing of OpenTelemetry is even loaded.
 *
 * @example
 * ```ts
 * import { createOnboardingEngine, createDispatcher } from "onboarding-lifecycle";
 * import { openTelemetry } from "onboarding-lifecycle/opentelemetry";
 *
 * const telemetry = openTelemetry(); // the global tracer and meter providers
 * const engine = createOnboardingEngine({ store, authorize, instrumentation: telemetry });
 * const dispatcher = createDispatcher({
 *   store,
 *   deliver: async (entry) => log.info("queued", entry.runId), // hand the entry to your queue
 *   instrumentation: telemetry,
 * });
 * ```
 */
export function openTelemetry(options: OpenTelemetryOptions = {}): OpenTelemetryInstrumentation {
  const tracer = options.tracer === false ? null : (options.tracer ?? trace.getTracer(INSTRUMENTATION_SCOPE));
  const given = options.meter === false ? null : (options.meter ?? metrics.getMeter(INSTRUMENTATION_SCOPE));
  // The API's no-op meter (no meter provider registered) records nothing, ever: skip the work.
  const meter = given === createNoopMeter() ? null : given;
  const telemetry = createTelemetry(
    tracer,
    meter === null ? null : createInstruments(meter),
    options.storeSpans ?? true,
    options.database ?? {},
  );
  return {
    startOperation(info, parent) {
      const operation = new OperationSpan(telemetry, info, parent instanceof OperationSpan ? parent : null);
      return operation.idle ? undefined : operation;
    },
    startDelivery(entry, info) {
      const delivery = new DeliverySpan(telemetry, entry, info);
      return delivery.idle ? undefined : delivery;
    },
  };
}
