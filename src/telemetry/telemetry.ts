import {
  INVALID_SPAN_CONTEXT,
  trace,
  type Context,
  type Span,
  type SpanOptions,
  type Tracer,
} from "@opentelemetry/api";
import type { StoreDescriptor } from "../store/index.js";
import type { Instruments } from "./metrics.js";
import { resolveStore, type DescribableStore, type ResolvedStore } from "./describe.js";

/** What the spans and measurements of one `openTelemetry()` share. */
export interface Telemetry {
  /** The tracer, or `null` when tracing is off (`tracer: false`). */
  readonly tracer: Tracer | null;
  /** The instruments, or `null` when metrics are off (`meter: false`). */
  readonly instruments: Instruments | null;
  /** Whether store calls get spans of their own. */
  readonly storeSpans: boolean;
  /** Starts a span under `parent` (a non-recording one when tracing is off). */
  startSpan(name: string, options: SpanOptions, parent: Context): Span;
  /** A store's description, resolved once per store. */
  resolve(store: DescribableStore): ResolvedStore;
}

/** Builds the shared part of an `openTelemetry()`. */
export function createTelemetry(
  tracer: Tracer | null,
  instruments: Instruments | null,
  storeSpans: boolean,
  database: Partial<StoreDescriptor>,
): Telemetry {
  const resolved = new WeakMap<object, ResolvedStore>();
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
  };
}
