import {
  context,
  isSpanContextValid,
  SpanKind,
  trace,
  type Attributes,
  type Context,
  type Span,
} from "@opentelemetry/api";
import type { OutboxRecord } from "../record/index.js";
import type { DeliveryEnd, DeliveryInfo, DeliveryTrace } from "../dispatch/index.js";
import { TelemetryAttribute } from "./names.js";
import type { DescribableStore } from "./describe.js";
import { recordError } from "./errors.js";
import type { Telemetry } from "./telemetry.js";

/**
 * One delivery of an outbox entry by the dispatcher: its span (`onboarding.deliver run.requested`,
 * a child of the active context) and, when it ends, the delivery count and the dispatch lag.
 */
export class DeliverySpan implements DeliveryTrace {
  readonly #telemetry: Telemetry;
  readonly #span: Span;
  readonly #context: Context;
  readonly #recording: boolean;
  /** Whether the span carries a real context (an SDK made it), worth making the active one. */
  readonly #active: boolean;
  /** The low-cardinality attributes of the dispatch metrics. */
  readonly #metric: Attributes;

  constructor(telemetry: Telemetry, entry: OutboxRecord, info: DeliveryInfo) {
    this.#telemetry = telemetry;
    const store = telemetry.resolve(info.store as DescribableStore);
    this.#metric = {
      [TelemetryAttribute.OutboxKind]: entry.kind,
      [TelemetryAttribute.Checkpoint]: entry.checkpoint,
      [TelemetryAttribute.Store]: store.name,
    };
    const parent = context.active();
    this.#span = telemetry.startSpan(
      `onboarding.deliver ${entry.kind}`,
      {
        kind: SpanKind.PRODUCER,
        attributes: {
          ...this.#metric,
          [TelemetryAttribute.WorkspaceId]: entry.workspaceId,
          [TelemetryAttribute.DraftId]: entry.draftId,
          [TelemetryAttribute.RunId]: entry.runId,
          [TelemetryAttribute.EntryId]: entry.entryId,
          [TelemetryAttribute.Attempt]: info.attempt,
        },
      },
      parent,
    );
    this.#recording = this.#span.isRecording();
    this.#active = isSpanContextValid(this.#span.spanContext());
    this.#context = this.#active ? trace.setSpan(parent, this.#span) : parent;
  }

  /** Whether following this delivery would record nothing at all (no SDK span, no metrics). */
  get idle(): boolean {
    return !this.#active && this.#telemetry.instruments === null;
  }

  run<T>(body: () => Promise<T>): Promise<T> {
    return this.#active ? context.with(this.#context, body) : body();
  }

  end(result: DeliveryEnd): void {
    const instruments = this.#telemetry.instruments;
    const outcome = result.delivered ? "delivered" : "failed";
    instruments?.deliveries.add(1, { ...this.#metric, [TelemetryAttribute.DeliveryOutcome]: outcome });
    if (result.delivered) instruments?.dispatchLag.record(result.lagMs / 1000, this.#metric);
    if (this.#recording) {
      this.#span.setAttribute(TelemetryAttribute.DeliveryOutcome, outcome);
      this.#span.setAttribute("onboarding.dispatch.lag_ms", result.lagMs);
      if (result.error !== null) recordError(this.#span, new DeliveryFailure(result.error));
    }
    this.#span.end();
  }
}

/** A failed delivery's text as an error, for the span's exception event (`error.type` `delivery_failed`). */
class DeliveryFailure extends Error {
  override readonly name = "delivery_failed";
}
