import { context, SpanKind, trace, type Attributes, type Context } from "@opentelemetry/api";
import { collectionOf, type ResolvedStore } from "./describe.js";
import { errorTypeOf, recordError } from "./errors.js";
import { TelemetryAttribute } from "./names.js";
import type { Telemetry } from "./telemetry.js";

/** Why a write was rejected, when `result` is a port write's rejection. */
export function rejectionOf(result: unknown): string | null {
  if (typeof result !== "object" || result === null) return null;
  const { ok, reason } = result as { ok?: unknown; reason?: unknown };
  return ok === false && typeof reason === "string" ? reason : null;
}

/**
 * One store call: a CLIENT span under `parent` (when `recording`) following the database
 * semantic conventions, the `db.client.operation.duration` measurement, and the call itself run
 * with the span as the active context (so a driver's own instrumentation nests under it).
 * `rejected` is told the reason of a rejected write.
 */
export async function traceStoreCall<T>(
  telemetry: Telemetry,
  store: ResolvedStore,
  parent: Context,
  recording: boolean,
  method: string,
  call: () => Promise<T>,
  rejected: (reason: string) => void,
): Promise<T> {
  const collection = collectionOf(store, method);
  const attributes: Attributes = { ...store.attributes, [TelemetryAttribute.DbOperationName]: method };
  if (collection !== undefined) attributes[TelemetryAttribute.DbCollectionName] = collection;
  const target = collection ?? store.namespace;
  const span =
    recording && telemetry.storeSpans
      ? telemetry.startSpan(
          target === undefined ? method : `${method} ${target}`,
          { kind: SpanKind.CLIENT, attributes },
          parent,
        )
      : null;
  const started = performance.now();
  try {
    const result = await (span === null ? call() : context.with(trace.setSpan(parent, span), call));
    const reason = rejectionOf(result);
    if (reason !== null) {
      rejected(reason);
      span?.setAttribute(TelemetryAttribute.WriteRejected, reason);
    }
    telemetry.instruments?.dbDuration.record((performance.now() - started) / 1000, attributes);
    return result;
  } catch (error) {
    const type = span === null ? errorTypeOf(error) : recordError(span, error);
    telemetry.instruments?.dbDuration.record((performance.now() - started) / 1000, {
      ...attributes,
      [TelemetryAttribute.ErrorType]: type,
    });
    throw error;
  } finally {
    span?.end();
  }
}
