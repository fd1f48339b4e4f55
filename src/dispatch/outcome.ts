import { MAX_OUTBOX_ERROR_LENGTH, type AuditEvent, type AuditKind, type OutboxRecord } from "../record/index.js";

/** The delay before retry `attempt` (1-based): `min(maxMs, baseMs * 2^(attempt-1))`, or a random part of it with jitter. */
export function retryDelay(
  policy: { readonly baseMs: number; readonly maxMs: number; readonly jitter: boolean; readonly random: () => number },
  attempt: number,
): number {
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, attempt - 1));
  if (!policy.jitter) return ceiling;
  const draw = policy.random();
  return Math.floor((Number.isFinite(draw) ? Math.min(Math.max(draw, 0), 1) : 0) * ceiling);
}

/** Lone surrogates and NUL: what no adapter stores exactly. */
// eslint-disable-next-line no-control-regex
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * The text of a delivery error as an outbox record keeps it: the message (or the value), made
 * storable (lone surrogates and NUL become U+FFFD) and cut to `MAX_OUTBOX_ERROR_LENGTH`
 * characters without splitting a surrogate pair. Never throws.
 */
export function errorText(error: unknown): string {
  let text: string;
  try {
    text = error instanceof Error ? error.message || error.name : String(error);
  } catch {
    text = "delivery failed (the error could not be read)";
  }
  text = (text === "" ? "delivery failed" : text).replace(UNSTORABLE, "\uFFFD");
  if (text.length <= MAX_OUTBOX_ERROR_LENGTH) return text;
  let cut = MAX_OUTBOX_ERROR_LENGTH;
  const last = text.charCodeAt(cut - 1);
  if (last >= 0xd800 && last <= 0xdbff) cut -= 1;
  return text.slice(0, cut);
}

/** The audit entry a dispatcher writes on an entry's draft (`delivery_dead`, `delivery_requeued`). */
export function deliveryAudit(input: {
  readonly eventId: string;
  readonly kind: AuditKind;
  readonly record: OutboxRecord;
  readonly actorId: string;
  readonly at: string;
}): AuditEvent {
  const { record } = input;
  return Object.freeze({
    eventId: input.eventId,
    workspaceId: record.workspaceId,
    draftId: record.draftId,
    kind: input.kind,
    commandType: record.kind,
    actorId: input.actorId,
    at: input.at,
    fromVersion: null,
    toVersion: null,
    expectedVersion: null,
    actualVersion: null,
    idempotencyKey: null,
    feedback: null,
    runIds: Object.freeze([record.runId]),
    capability: null,
    state: null,
  });
}

/** The error a delivery's signal is aborted with when its lease is about to end. */
export function leaseEndingError(record: OutboxRecord, leaseUntil: string): Error {
  const error = new Error(
    `the lease on outbox entry ${record.entryId} ends at ${leaseUntil}: delivery aborted so that no other dispatcher runs it at the same time`,
  );
  error.name = "AbortError";
  return error;
}
