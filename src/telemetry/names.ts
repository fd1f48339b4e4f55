/**
 * The names telemetry is written under: span attributes, metric instruments and their buckets.
 * The `db.*` and `error.type` keys are OpenTelemetry's stable semantic conventions, spelled out
 * here (the tests check them against `@opentelemetry/semantic-conventions`) so the package
 * needs nothing at run time but `@opentelemetry/api`.
 */

/**
 * The attribute keys of the engine's spans and metrics.
 *
 * @example
 * ```ts
 * import type { ReadableSpan } from "@opentelemetry/sdk-trace-base";
 *
 * const conflicts = (spans: readonly ReadableSpan[]) =>
 *   spans.filter((span) => span.attributes[TelemetryAttribute.Outcome] === "conflict");
 * ```
 */
export const TelemetryAttribute = {
  /** The engine operation (`execute`, `create`, `get`, ...). Spans and metrics. */
  Operation: "onboarding.operation",
  /** The command's type (`execute` only). Spans and metrics. */
  CommandType: "onboarding.command.type",
  /** How the operation ended (`committed`, `replayed`, `conflict`, `denied`, ...). Spans and metrics. */
  Outcome: "onboarding.outcome",
  /** The store's `name` (`memory`, `postgres`, ...). Spans and metrics. */
  Store: "onboarding.store.name",
  /** The workspace. Spans only (never a metric attribute). */
  WorkspaceId: "onboarding.workspace.id",
  /** The draft. Spans only. */
  DraftId: "onboarding.draft.id",
  /** The caller's `expectedVersion`. Spans only. */
  ExpectedVersion: "onboarding.version.expected",
  /** The version the operation wrote (commits and creates). Spans only. */
  CommittedVersion: "onboarding.version.committed",
  /** The stored version a stale command ran into (`conflict`). Spans only. */
  ActualVersion: "onboarding.version.actual",
  /** The command's feedback (`applied`, `queued`, `ignored_stale_result`, ...). Spans only. */
  Feedback: "onboarding.feedback",
  /** The draft's lifecycle state afterwards. Spans only. */
  State: "onboarding.lifecycle.state",
  /** Items handed back (drafts listed, audit entries, runs expired). Spans only. */
  Count: "onboarding.result.count",
  /** Compare-and-set writes of the operation that lost to a concurrent writer. Spans only. */
  Conflicts: "onboarding.conflicts",
  /** Times the operation went round again after a lost write. Spans only. */
  Retries: "onboarding.retries",
  /** The stable `code` of the error the operation threw. Spans only. */
  ErrorCode: "onboarding.error.code",
  /** Why a store write was rejected (`version_conflict`, `idempotency_key_exists`, ...). Store spans. */
  WriteRejected: "onboarding.write.rejected",
  /** `stale_version` (a `VersionConflictError`) or `lost_write` (a lost compare-and-set). Conflict metric. */
  ConflictKind: "onboarding.conflict.kind",
  /** An outbox entry's kind (`run.requested`, `run.cancelled`). Delivery spans and dispatch metrics. */
  OutboxKind: "onboarding.outbox.kind",
  /** A run's checkpoint (`verify_access`, `bootstrap`). Delivery spans and dispatch metrics. */
  Checkpoint: "onboarding.run.checkpoint",
  /** The run an outbox entry is about. Delivery spans only. */
  RunId: "onboarding.run.id",
  /** The outbox entry. Delivery spans only. */
  EntryId: "onboarding.outbox.entry.id",
  /** Which delivery of the entry this is (1 for the first). Delivery spans only. */
  Attempt: "onboarding.delivery.attempt",
  /** `delivered` or `failed`. Delivery metric. */
  DeliveryOutcome: "onboarding.delivery.outcome",
  /** Semantic conventions: the database system (`postgresql`, `mysql`, `sqlite`, `redis`, `memory`). */
  DbSystemName: "db.system.name",
  /** Semantic conventions: the database (name, file, index). */
  DbNamespace: "db.namespace",
  /** Semantic conventions: the table a store call is about. */
  DbCollectionName: "db.collection.name",
  /** Semantic conventions: the store call (the port's method: `load`, `commit`, ...). */
  DbOperationName: "db.operation.name",
  /** Semantic conventions: the class of error an operation ended with (the error's `code`, or its name). */
  ErrorType: "error.type",
} as const;

/**
 * The metric instruments, all created on the meter given to `openTelemetry()`.
 *
 * @example
 * ```ts
 * import { AggregationType, MeterProvider } from "@opentelemetry/sdk-metrics";
 *
 * // Coarser buckets for the operation histogram, with an SDK view.
 * const provider = new MeterProvider({
 *   views: [
 *     {
 *       instrumentName: TelemetryMetric.OperationDuration,
 *       aggregation: { type: AggregationType.EXPLICIT_BUCKET_HISTOGRAM, options: { boundaries: [0.001, 0.01, 0.1, 1] } },
 *     },
 *   ],
 * });
 * ```
 */
export const TelemetryMetric = {
  /** Histogram, seconds: every engine operation, by operation, command type, outcome and store. */
  OperationDuration: "onboarding.operation.duration",
  /** Counter: version conflicts, by kind (`stale_version`, `lost_write`), command type and store. */
  Conflicts: "onboarding.conflicts",
  /** Counter: retries after a lost write, by command type and store. */
  Retries: "onboarding.retries",
  /** Histogram, seconds: from an outbox entry's commit to its delivery, by kind and checkpoint. */
  DispatchLag: "onboarding.dispatch.lag",
  /** Counter: deliveries by outcome (`delivered`, `failed`), kind and checkpoint. */
  Deliveries: "onboarding.dispatch.deliveries",
  /** Histogram, seconds (semantic conventions): every store call, by `db.*` attributes and `error.type`. */
  DbOperationDuration: "db.client.operation.duration",
} as const;

/** The operation histogram's buckets, in seconds: an in-process engine answers in tens of microseconds. */
export const OPERATION_BUCKETS: readonly number[] = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];
/** The store-call histogram's buckets, in seconds (the semantic conventions' advice, with a finer start). */
export const DB_BUCKETS: readonly number[] = [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10];
/** The dispatch lag's buckets, in seconds: from a poll interval up to an hour. */
export const LAG_BUCKETS: readonly number[] = [
  0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600,
];

/** The name of the tracer and the meter `openTelemetry()` takes from the global providers. */
export const INSTRUMENTATION_SCOPE = "onboarding-lifecycle";
