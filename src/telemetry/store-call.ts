import { context, SpanKind, trace, type Context } from "@opentelemetry/api";
import type { ResolvedStore } from "./describe.js";
import { errorTypeOf, recordError } from "./errors.js";
import { TelemetryAttribute } from "./names.js";
import type { Telemetry } from "./telemetry.js";

/** Why a write was rejected, when `result` is a port write's rejection. */
export function rejectionOf(result: unknown): string | null {
  if (typeof result !== "object" || result === null) return null;
  const { ok, reason } = result as { ok?: unknown; reason?: unknown };
  return ok === false && typeof reason === "string" ? reason : null;
}

/** One store call of an operation: what it needs besides the call itself. */
export interface StoreCallContext {
  readonly telemetry: Telemetry;
  readonly store: ResolvedStore;
  /** The operation's context (the parent of the call's span). */
  readonly parent: Context;
  /** Whether the operation's span records (else the call gets no span of its own). */
  readonly recording: boolean;
  /** Told the reason of a rejected write. */
  readonly rejected: (reason: string) => void;
}

/**
 * One store call: a CLIENT span under the operation (when it records) following the database
 * semantic conventions, the `db.client.operation.duration` measurement, and the call itself run
 * with the span as the active context (so a driver's own instrumentation nests under it).
 */
export function traceStoreCall<T>(at: StoreCallContext, method: string, call: () => Promise<T>): Promise<T> {
  const { telemetry } = at;
  const shape = at.store.call(method);
  const histogram = telemetry.instruments?.dbDuration;
  if (!at.recording || !telemetry.storeSpans) {
    if (histogram === undefined) return call().then((result) => settled(at, result));
    const started = performance.now();
    return call().then(
      (result) => {
        histogram.record((performance.now() - started) / 1000, shape.attributes);
        return settled(at, result);
      },
      (error: unknown) => {
        const type = errorTypeOf(error);
        histogram.record((performance.now() - started) / 1000, {
          ...shape.attributes,
          [TelemetryAttribute.ErrorType]: type,
        });
        throw error;
      },
    );
  }
  const span = telemetry.startSpan(shape.name, { kind: SpanKind.CLIENT, attributes: shape.attributes }, at.parent);
  const started = performance.now();
  return context.with(trace.setSpan(at.parent, span), call).then(
    (result) => {
      const reason = rejectionOf(result);
      if (reason !== null) span.setAttribute(TelemetryAttribute.WriteRejected, reason);
      histogram?.record((performance.now() - started) / 1000, shape.attributes);
      span.end();
      return settled(at, result);
    },
    (error: unknown) => {
      const type = recordError(span, error);
      histogram?.record((performance.now() - started) / 1000, {
        ...shape.attributes,
        [TelemetryAttribute.ErrorType]: type,
      });
      span.end();
      throw error;
    },
  );
}

/** Tells the operation about a rejected write, and hands the result on. */
function settled<T>(at: StoreCallContext, result: T): T {
  const reason = rejectionOf(result);
  if (reason !== null) at.rejected(reason);
  return result;
}
