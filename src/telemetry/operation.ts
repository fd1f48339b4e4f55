import {
  context,
  isSpanContextValid,
  SpanKind,
  trace,
  type Attributes,
  type Context,
  type Span,
} from "@opentelemetry/api";
import { isOnboardingError } from "../record/errors.js";
import { outcomeOfError, summarizeOperation } from "../engine/outcome.js";
import type { OperationInfo, OperationOutcome, OperationTrace } from "../engine/index.js";
import type { ResolvedStore } from "./describe.js";
import { recordError } from "./errors.js";
import { TelemetryAttribute } from "./names.js";
import { traceStoreCall, type StoreCallContext } from "./store-call.js";
import type { Telemetry } from "./telemetry.js";

/** The span name of an operation: `onboarding.execute identify`, `onboarding.get`, ... */
function spanName(info: OperationInfo): string {
  return info.commandType === null
    ? `onboarding.${info.operation}`
    : `onboarding.${info.operation} ${info.commandType}`;
}

/** The attributes a span starts with (what a sampler sees). */
function startAttributes(info: OperationInfo, store: ResolvedStore): Attributes {
  const attributes: Attributes = {
    [TelemetryAttribute.Operation]: info.operation,
    [TelemetryAttribute.Store]: store.name,
  };
  if (info.workspaceId !== null) attributes[TelemetryAttribute.WorkspaceId] = info.workspaceId;
  if (info.draftId !== null) attributes[TelemetryAttribute.DraftId] = info.draftId;
  if (info.commandType !== null) attributes[TelemetryAttribute.CommandType] = info.commandType;
  if (info.expectedVersion !== null) attributes[TelemetryAttribute.ExpectedVersion] = info.expectedVersion;
  return attributes;
}

/**
 * One engine operation: its INTERNAL span (under the parent operation's span, or the active
 * context), the CLIENT spans of its store calls, and its measurements (duration, conflicts,
 * retries), all with the same low-cardinality attributes.
 */
export class OperationSpan implements OperationTrace {
  /** The operation's span (non-recording when tracing is off or the sampler dropped it). */
  readonly span: Span;
  /** The context the operation's body and its children run in. */
  readonly context: Context;
  /**
   * Whether the span carries a real context (an SDK made it, recording or sampled out): only
   * then is it worth making it the active context, so that what runs inside inherits it.
   */
  readonly #active: boolean;
  readonly #recording: boolean;
  readonly #telemetry: Telemetry;
  readonly #info: OperationInfo;
  readonly #store: ResolvedStore;
  readonly #calls: StoreCallContext | null;
  readonly #started = performance.now();
  #conflicts = 0;
  #retries = 0;

  constructor(telemetry: Telemetry, info: OperationInfo, parent: OperationSpan | null) {
    this.#telemetry = telemetry;
    this.#info = info;
    this.#store = telemetry.resolve(info.store);
    const parentContext = parent === null ? context.active() : parent.context;
    this.span = telemetry.startSpan(
      spanName(info),
      { kind: SpanKind.INTERNAL, attributes: startAttributes(info, this.#store) },
      parentContext,
    );
    this.#recording = this.span.isRecording();
    this.#active = isSpanContextValid(this.span.spanContext());
    this.context = this.#active ? trace.setSpan(parentContext, this.span) : parentContext;
    this.#calls =
      this.#recording || telemetry.instruments !== null
        ? {
            telemetry,
            store: this.#store,
            parent: this.context,
            recording: this.#recording,
            rejected: (reason) => this.#rejected(reason),
          }
        : null;
  }

  /** Whether following this operation would record nothing at all (no SDK span, no metrics). */
  get idle(): boolean {
    return !this.#active && this.#calls === null;
  }

  run<T>(body: () => Promise<T>): Promise<T> {
    return this.#active ? context.with(this.context, body) : body();
  }

  storeCall<T>(method: string, call: () => Promise<T>): Promise<T> {
    return this.#calls === null ? call() : traceStoreCall(this.#calls, method, call);
  }

  retried(attempt: number, delayMs: number): void {
    this.#retries += 1;
    this.#telemetry.instruments?.retries.add(1, this.#labels(null, ""));
    if (this.#recording) {
      this.span.addEvent("onboarding.retry", {
        "onboarding.retry.attempt": attempt,
        "onboarding.retry.delay_ms": delayMs,
      });
    }
  }

  end(value: unknown): void {
    const result = summarizeOperation(this.#info.operation, value);
    if (this.#recording) {
      const span = this.span;
      span.setAttribute(TelemetryAttribute.Outcome, result.outcome);
      if (result.draftId !== null && this.#info.draftId === null) {
        span.setAttribute(TelemetryAttribute.DraftId, result.draftId);
      }
      if (result.committed && result.version !== null) {
        span.setAttribute(TelemetryAttribute.CommittedVersion, result.version);
      }
      if (result.feedback !== null) span.setAttribute(TelemetryAttribute.Feedback, result.feedback);
      if (result.state !== null) span.setAttribute(TelemetryAttribute.State, result.state);
      if (result.count !== null) span.setAttribute(TelemetryAttribute.Count, result.count);
    }
    this.#finish(result.outcome);
  }

  fail(error: unknown): void {
    const outcome = outcomeOfError(error);
    if (outcome === "conflict") {
      this.#telemetry.instruments?.conflicts.add(1, this.#labels(TelemetryAttribute.ConflictKind, "stale_version"));
    }
    if (this.#recording) {
      this.span.setAttribute(TelemetryAttribute.Outcome, outcome);
      const actual = isOnboardingError(error) ? (error as { actualVersion?: unknown }).actualVersion : undefined;
      if (typeof actual === "number") this.span.setAttribute(TelemetryAttribute.ActualVersion, actual);
      recordError(this.span, error);
    }
    this.#finish(outcome);
  }

  /** A store write of this operation was rejected: a lost compare-and-set is a conflict. */
  #rejected(reason: string): void {
    if (reason !== "version_conflict") return;
    this.#conflicts += 1;
    this.#telemetry.instruments?.conflicts.add(1, this.#labels(TelemetryAttribute.ConflictKind, "lost_write"));
  }

  /** Ends the span with the counts, and records the duration. */
  #finish(outcome: OperationOutcome): void {
    this.#telemetry.instruments?.operationDuration.record(
      (performance.now() - this.#started) / 1000,
      this.#labels(TelemetryAttribute.Outcome, outcome),
    );
    if (this.#recording) {
      this.span.setAttribute(TelemetryAttribute.Conflicts, this.#conflicts);
      this.span.setAttribute(TelemetryAttribute.Retries, this.#retries);
    }
    this.span.end();
  }

  /** The metric attributes: operation, command type, store and one more; never an id. */
  #labels(key: string | null, value: string): Attributes {
    const { operation, commandType } = this.#info;
    return this.#telemetry.labels(operation, commandType, this.#store.name, key, value);
  }
}
