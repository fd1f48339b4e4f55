import type { Counter, Histogram, Meter } from "@opentelemetry/api";
import { DB_BUCKETS, LAG_BUCKETS, OPERATION_BUCKETS, TelemetryMetric } from "./names.js";

/** The instruments of one `openTelemetry()`, created once on its meter. */
export interface Instruments {
  readonly operationDuration: Histogram;
  readonly conflicts: Counter;
  readonly retries: Counter;
  readonly dispatchLag: Histogram;
  readonly deliveries: Counter;
  readonly dbDuration: Histogram;
}

/** Creates the instruments (with their bucket advice) on `meter`. */
export function createInstruments(meter: Meter): Instruments {
  const seconds = (name: string, description: string, buckets: readonly number[]): Histogram =>
    meter.createHistogram(name, { unit: "s", description, advice: { explicitBucketBoundaries: [...buckets] } });
  return {
    operationDuration: seconds(
      TelemetryMetric.OperationDuration,
      "Duration of onboarding engine operations (execute, create, get, history, list, runProgress, expireStuckRuns).",
      OPERATION_BUCKETS,
    ),
    conflicts: meter.createCounter(TelemetryMetric.Conflicts, {
      unit: "{conflict}",
      description: "Version conflicts: stale expected versions and compare-and-set writes lost to a concurrent writer.",
    }),
    retries: meter.createCounter(TelemetryMetric.Retries, {
      unit: "{retry}",
      description: "Commands that went round again after losing a compare-and-set write.",
    }),
    dispatchLag: seconds(
      TelemetryMetric.DispatchLag,
      "Time from an outbox entry's commit to its delivery by the dispatcher.",
      LAG_BUCKETS,
    ),
    deliveries: meter.createCounter(TelemetryMetric.Deliveries, {
      unit: "{delivery}",
      description: "Outbox deliveries by outcome (delivered, failed).",
    }),
    dbDuration: seconds(TelemetryMetric.DbOperationDuration, "Duration of database client operations.", DB_BUCKETS),
  };
}
