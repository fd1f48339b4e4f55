import {
  INVALID_SPAN_CONTEXT,
  trace,
  type Attributes,
  type Context,
  type Span,
  type SpanOptions,
  type Tracer,
} from "@opentelemetry/api";
import type { StoreDescriptor } from "../store/index.js";
import type { Instruments } from "./metrics.js";
import { TelemetryAttribute } from "./names.js";
import { resolveStore, type DescribableStore, type ResolvedStore } from "./describe.js";

/** What the spans and measurements of one `openTelemetry()` share. */
export interface Telemetry {
  /** The tracer, or `null` when tracing is off (`tracer: false`). */
  readonly tracer: Tracer | null;
  /** The instruments, or `null` when metrics are off (`meter: false`, or the API's no-op meter). */
  readonly instruments: Instruments | null;
  /** Whether store calls get spans of their own. */
  readonly storeSpans: boolean;
  /** Starts a span under `parent` (a non-recording one when tracing is off). */
  startSpan(name: string, options: SpanOptions, parent: Context): Span;
  /** A store's description, resolved once per store. */
  resolve(store: DescribableStore): ResolvedStore;
  /**
   * The attributes of an operation's measurement: operation, command type, store and, with a
   * `key`, one more (`key`: `value`); the same object for the same values, so a measurement
   * allocates none.
   */
  labels(operation: string, commandType: string | null, store: string, key: string | null, value: string): Attributes;
}

/** Builds the shared part of an `openTelemetry()`. */
export function createTelemetry(
  tracer: Tracer | null,
  instruments: Instruments | null,
  storeSpans: boolean,
  database: Partial<StoreDescriptor>,
): Telemetry {
  const resolved = new WeakMap<object, ResolvedStore>();
  const labels = new Map<string, Attributes>();
  return {
    tracer,
    instruments,
    storeSpans,
    startSpan: (name, options, parent) =>
      tracer === null ? trace.wrapSpanContext(INVALID_SPAN_CONTEXT) : tracer.startSpan(name, options, parent),
    resolve(store) {
      let found = resolved.get(store);
      if (found === undefined) resolved.set(store, (found = resolveStore(store, database)));
      return found;
    },
    labels(operation, commandType, store, key, value) {
      // Bounded: operations x command types x stores x a handful of outcomes or kinds.
      const id = `${operation}\u0000${commandType ?? ""}\u0000${store}\u0000${key}\u0000${value}`;
      let found = labels.get(id);
      if (found === undefined) {
        found = { [TelemetryAttribute.Operation]: operation, [TelemetryAttribute.Store]: store };
        if (key !== null) found[key] = value;
        if (commandType !== null) found[TelemetryAttribute.CommandType] = commandType;
        labels.set(id, found);
      }
      return found;
    },
  };
}
