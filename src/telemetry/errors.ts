import { SpanStatusCode, type Span } from "@opentelemetry/api";
import { isOnboardingError } from "../record/errors.js";
import { TelemetryAttribute } from "./names.js";

/** The class of an error, for `error.type`: its stable `code`, or its name. */
export function errorTypeOf(error: unknown): string {
  if (isOnboardingError(error)) return error.code;
  return error instanceof Error ? error.name : "_OTHER";
}

/** Records `error` on `span`: status ERROR, the exception event, `error.type` (and the code). */
export function recordError(span: Span, error: unknown): string {
  const type = errorTypeOf(error);
  span.setAttribute(TelemetryAttribute.ErrorType, type);
  if (isOnboardingError(error)) span.setAttribute(TelemetryAttribute.ErrorCode, error.code);
  if (error instanceof Error) span.recordException(error);
  span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
  return type;
}
