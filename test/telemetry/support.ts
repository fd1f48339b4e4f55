/**
 * The OpenTelemetry SDK as a test sees it: a tracer provider exporting to memory
 * (`InMemorySpanExporter` through a `SimpleSpanProcessor`, so a span is exported when it ends)
 * and a meter provider with a reader the test collects from on demand.
 */
import type { Attributes, HrTime } from "@opentelemetry/api";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
  type Sampler,
} from "@opentelemetry/sdk-trace-base";
import { DataPointType, MeterProvider, MetricReader } from "@opentelemetry/sdk-metrics";

/** A reader that exports nothing by itself: `collect()` is the test's. */
class CollectingReader extends MetricReader {
  protected onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
  protected onShutdown(): Promise<void> {
    return Promise.resolve();
  }
}

/** One data point of a metric: its attributes and its value (a sum, or a histogram's count and sum). */
export interface Point {
  readonly attributes: Attributes;
  /** A counter's value. */
  readonly value?: number;
  /** A histogram's count. */
  readonly count?: number;
  /** A histogram's sum. */
  readonly sum?: number;
  /** A histogram's bucket boundaries. */
  readonly boundaries?: readonly number[];
}

/** Spans and metrics in memory (every span sampled, unless a `sampler` says otherwise). */
export function inMemoryTelemetry(options: { readonly sampler?: Sampler } = {}) {
  const exporter = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({
    spanProcessors: [new SimpleSpanProcessor(exporter)],
    ...(options.sampler === undefined ? {} : { sampler: options.sampler }),
  });
  const reader = new CollectingReader();
  const meterProvider = new MeterProvider({ readers: [reader] });
  const tracer = tracerProvider.getTracer("test");
  const meter = meterProvider.getMeter("test");

  /** Every data point of the metric `name` collected so far. */
  async function points(name: string): Promise<Point[]> {
    const { resourceMetrics } = await reader.collect();
    const found: Point[] = [];
    for (const scope of resourceMetrics.scopeMetrics) {
      for (const metric of scope.metrics) {
        if (metric.descriptor.name !== name) continue;
        for (const point of metric.dataPoints) {
          if (metric.dataPointType === DataPointType.HISTOGRAM) {
            const value = point.value as { count: number; sum?: number; buckets: { boundaries: number[] } };
            found.push({
              attributes: point.attributes,
              count: value.count,
              sum: value.sum ?? 0,
              boundaries: value.buckets.boundaries,
            });
          } else {
            found.push({ attributes: point.attributes, value: point.value as number });
          }
        }
      }
    }
    return found;
  }

  /** Every metric's descriptor name and unit collected so far. */
  async function descriptors(): Promise<{ name: string; unit: string }[]> {
    const { resourceMetrics } = await reader.collect();
    return resourceMetrics.scopeMetrics.flatMap((scope) =>
      scope.metrics.map((metric) => ({ name: metric.descriptor.name, unit: metric.descriptor.unit })),
    );
  }

  return {
    tracer,
    meter,
    tracerProvider,
    spans: (): ReadableSpan[] => exporter.getFinishedSpans(),
    reset: () => exporter.reset(),
    points,
    descriptors,
    shutdown: async () => {
      await tracerProvider.shutdown();
      await meterProvider.shutdown();
    },
  };
}

/** The spans named `name`. */
export const named = (spans: readonly ReadableSpan[], name: string): ReadableSpan[] =>
  spans.filter((span) => span.name === name);

/** The children of `parent` among `spans`. */
export const childrenOf = (spans: readonly ReadableSpan[], parent: ReadableSpan): ReadableSpan[] =>
  spans.filter((span) => span.parentSpanContext?.spanId === parent.spanContext().spanId);

/** Sums a metric's points whose attributes include `match`. */
export function total(points: readonly Point[], match: Attributes = {}, field: "value" | "count" = "value"): number {
  return points
    .filter((point) => Object.entries(match).every(([key, value]) => point.attributes[key] === value))
    .reduce((sum, point) => sum + (point[field] ?? 0), 0);
}

/** An `HrTime` in milliseconds. */
export const ms = (time: HrTime): number => time[0] * 1000 + time[1] / 1e6;
