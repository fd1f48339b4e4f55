import type { AuditEvent, AuditKind } from "../record/index.js";
import type { LifecycleState } from "../vocabulary/index.js";

/** The `runIds` of the many entries that name no run: one frozen array, shared. */
const NO_RUNS: readonly string[] = Object.freeze([]);

/**
 * Builds an audit entry, filling the fields a kind does not use with `null` (`runIds`: empty).
 * The entry and its `runIds` are frozen, so a store may keep it without copying it.
 */
export function auditEvent(input: {
  readonly eventId: string;
  readonly workspaceId: string;
  readonly draftId: string;
  readonly kind: AuditKind;
  readonly commandType: string;
  readonly actorId: string;
  readonly at: string;
  readonly fromVersion?: number | null;
  readonly toVersion?: number | null;
  readonly expectedVersion?: number | null;
  readonly actualVersion?: number | null;
  readonly idempotencyKey?: string | null;
  readonly feedback?: string | null;
  readonly runIds?: readonly string[];
  readonly capability?: string | null;
  readonly state?: LifecycleState | null;
}): AuditEvent {
  return Object.freeze({
    eventId: input.eventId,
    workspaceId: input.workspaceId,
    draftId: input.draftId,
    kind: input.kind,
    commandType: input.commandType,
    actorId: input.actorId,
    at: input.at,
    fromVersion: input.fromVersion ?? null,
    toVersion: input.toVersion ?? null,
    expectedVersion: input.expectedVersion ?? null,
    actualVersion: input.actualVersion ?? null,
    idempotencyKey: input.idempotencyKey ?? null,
    feedback: input.feedback ?? null,
    runIds: input.runIds === undefined || input.runIds.length === 0 ? NO_RUNS : Object.freeze([...input.runIds]),
    capability: input.capability ?? null,
    state: input.state ?? null,
  });
}
