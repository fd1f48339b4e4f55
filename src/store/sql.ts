/**
 * Helpers shared by the SQL adapters: identifier validation and quoting. Values are never
 * interpolated into SQL; only validated identifiers (table names) are.
 */
import { ConfigurationError } from "../record/index.js";
import { parseStoredJson } from "./json.js";

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,47}$/;

/**
 * Checks that a configurable name (a table prefix or table name) is a plain SQL identifier:
 * a letter or underscore, then letters, digits or underscores, at most 48 characters.
 *
 * @throws {@link ConfigurationError} otherwise.
 */
export function assertIdentifier(name: string, option: string): string {
  if (!IDENTIFIER.test(name)) {
    throw new ConfigurationError(option, `${option} must match ${IDENTIFIER.source}, got ${JSON.stringify(name)}`);
  }
  return name;
}

/** An audit entry as SQL adapters store it: one snake_case column per `AuditEvent` field. */
export interface SqlAuditRow {
  /** `AuditEvent.eventId` */
  readonly event_id: string;
  /** `AuditEvent.workspaceId` */
  readonly workspace_id: string;
  /** `AuditEvent.draftId` */
  readonly draft_id: string;
  /** `AuditEvent.kind` */
  readonly kind: string;
  /** `AuditEvent.commandType` */
  readonly command_type: string;
  /** `AuditEvent.actorId` */
  readonly actor_id: string;
  /** `AuditEvent.at` */
  readonly at: string;
  /** `AuditEvent.fromVersion` */
  readonly from_version: number | null;
  /** `AuditEvent.toVersion` */
  readonly to_version: number | null;
  /** `AuditEvent.expectedVersion` */
  readonly expected_version: number | null;
  /** `AuditEvent.actualVersion` */
  readonly actual_version: number | null;
  /** `AuditEvent.idempotencyKey` */
  readonly idempotency_key: string | null;
  /** `AuditEvent.feedback` */
  readonly feedback: string | null;
  /** `AuditEvent.runIds`, as JSON text (`[]` when none) */
  readonly run_ids: string;
  /** `AuditEvent.capability` */
  readonly capability: string | null;
  /** `AuditEvent.state` */
  readonly state: string | null;
}

/**
 * Maps a stored audit row back to the raw `AuditEvent` shape (the engine validates it). The
 * `run_ids` text is parsed as JSON; text that is not JSON is a `CorruptRecordError`. Internal to
 * the SQL adapters: `rows.map(auditEventFromRow)`.
 */
export function auditEventFromRow(row: SqlAuditRow): Record<string, unknown> {
  return {
    eventId: row.event_id,
    workspaceId: row.workspace_id,
    draftId: row.draft_id,
    kind: row.kind,
    commandType: row.command_type,
    actorId: row.actor_id,
    at: row.at,
    fromVersion: row.from_version,
    toVersion: row.to_version,
    expectedVersion: row.expected_version,
    actualVersion: row.actual_version,
    idempotencyKey: row.idempotency_key,
    feedback: row.feedback,
    runIds: parseStoredJson(row.run_ids, "audit entry run ids", row.event_id),
    capability: row.capability,
    state: row.state,
  };
}
