/**
 * adapters/sqlite/schema — the latest SQLite DDL of the adapter as statements and as plain SQL
 * text (for teams with their own migration tools), and the table names derived from a validated
 * prefix. `migrate()` does not run this text: it applies the numbered migrations of
 * ./migrations.ts, whose result a test holds to this same schema.
 *
 * May import: store/ (identifier checks). Never a driver, never engine/.
 */
import { assertIdentifier } from "../../store/index.js";

/**
 * The default table prefix: tables `onboarding_drafts`, `onboarding_audit`, `onboarding_idempotency`,
 * `onboarding_outbox`, `onboarding_outbox_mark`.
 */
export const DEFAULT_SQLITE_TABLE_PREFIX = "onboarding_";

/** The names of the adapter's tables and indexes for one prefix (all validated identifiers). */
export interface SqliteTableNames {
  /** One row per draft: queryable columns plus the canonical JSON document. */
  readonly drafts: string;
  /**
   * One row per audit entry, in append order (`seq`). The first entry of a commit with outbox
   * entries also carries them, as JSON in its `outbox` column: the outbox journal.
   */
  readonly audit: string;
  /** One row per idempotency key of a workspace. */
  readonly idempotency: string;
  /** The unique index enforcing one open draft per (workspace, tenant). */
  readonly openTenantIndex: string;
  /** The index behind "drafts of a workspace in state X", keyset-ordered. */
  readonly stateIndex: string;
  /** The index behind the unfiltered keyset listing. */
  readonly createdIndex: string;
  /** The index behind "the audit trail of a draft". */
  readonly auditDraftIndex: string;
  /** The index behind `pruneIdempotency` (records by `created_at`). */
  readonly idempotencyCreatedIndex: string;
  /** One row per outbox entry (the entry plus its delivery and run-liveness state). */
  readonly outbox: string;
  /** The partial index behind `claimOutbox` and listings of pending entries (pending entries in claim order). */
  readonly outboxPendingIndex: string;
  /** The partial expression index behind `findStaleRuns` (unsettled runs by last report). */
  readonly outboxStaleIndex: string;
  /** The partial index behind `recordRunProgress`, `settleRuns` and `listRunRecords` (`run.requested` records by draft and run). */
  readonly outboxRunsIndex: string;
  /** The partial index behind listings of delivered and dead entries, and `pruneOutbox` (by status, in listing order). */
  readonly outboxDoneIndex: string;
  /** The partial index behind listings of one workspace's delivered and dead entries. */
  readonly outboxWorkspaceDoneIndex: string;
  /** The outbox journal's watermark: one row, the highest audit `seq` whose entries are in `outbox`. */
  readonly outboxMark: string;
  /** The schema-version table `migrate()` keeps: one row per applied migration (`version`, `name`, `applied_at`, `origin`). */
  readonly schemaVersion: string;
}

/**
 * The table and index names for a prefix.
 *
 * @param tablePrefix letters, digits and underscores, starting with a letter or underscore; the
 *   longest derived name must stay within 48 characters.
 * @throws `ConfigurationError` when the prefix (or a name derived from it) is not a plain identifier.
 *
 * @example
 * ```ts
 * sqliteTableNames("app_").drafts; // "app_drafts"
 * ```
 */
export function sqliteTableNames(tablePrefix: string = DEFAULT_SQLITE_TABLE_PREFIX): SqliteTableNames {
  if (tablePrefix !== "") assertIdentifier(tablePrefix, "tablePrefix");
  const name = (suffix: string): string => assertIdentifier(`${tablePrefix}${suffix}`, "tablePrefix");
  return {
    drafts: name("drafts"),
    audit: name("audit"),
    idempotency: name("idempotency"),
    openTenantIndex: name("drafts_open_tenant_uq"),
    stateIndex: name("drafts_state_idx"),
    createdIndex: name("drafts_created_idx"),
    auditDraftIndex: name("audit_draft_idx"),
    idempotencyCreatedIndex: name("idem_created_idx"),
    outbox: name("outbox"),
    outboxPendingIndex: name("outbox_pending_idx"),
    outboxStaleIndex: name("outbox_stale_idx"),
    outboxRunsIndex: name("outbox_runs_idx"),
    outboxDoneIndex: name("outbox_done_idx"),
    outboxWorkspaceDoneIndex: name("outbox_ws_done_idx"),
    outboxMark: name("outbox_mark"),
    schemaVersion: name("schema_version"),
  };
}

/**
 * The adapter's latest DDL as separate statements, without trailing semicolons: five STRICT
 * tables and their indexes. Every statement is `CREATE ... IF NOT EXISTS`, so running them again
 * is harmless. `migrateSqlite` (and `store.migrate()`) reach the same schema through the numbered
 * migrations (`sqliteMigrations`), and keep `<prefix>schema_version` besides.
 *
 * - `drafts`: primary key `(workspace_id, id)`; `open_tenant_id` is the tenant while the draft is
 *   open and `NULL` otherwise, under a unique index on `(workspace_id, open_tenant_id)` (SQLite
 *   treats NULLs as distinct, and the index is partial on `open_tenant_id IS NOT NULL`);
 *   `document` is the canonical JSON written by `encodeDraft`, byte for byte.
 * - `audit`: an `AUTOINCREMENT` sequence `seq` gives the append order; one column per
 *   `AuditEvent` field, and `outbox`: `NULL`, except on the first entry of a commit that wrote
 *   outbox entries, where it holds them as a JSON array (the outbox journal; never part of the
 *   audit entry a read returns).
 * - `idempotency`: primary key `(workspace_id, key)`; `record` is the whole `IdempotencyRecord` as JSON.
 * - `outbox`: primary key `(workspace_id, entry_id)`; one column per `OutboxRecord` field
 *   (snake_case), timestamps as ISO-8601 text. A database made before the outbox existed gets
 *   the table (migration 4) the next time it is migrated. Every outbox operation first moves the
 *   journal's entries with `seq` above the watermark into this table.
 * - `outbox_mark`: the journal's watermark, one row: the highest audit `seq` whose entries are
 *   in `outbox` (migration 6).
 *
 * @param tablePrefix defaults to `onboarding_`; validated as an identifier.
 * @throws `ConfigurationError` for an invalid prefix.
 *
 * @example
 * ```ts
 * for (const statement of sqliteSchemaStatements("app_")) db.exec(statement);
 * ```
 */
export function sqliteSchemaStatements(tablePrefix: string = DEFAULT_SQLITE_TABLE_PREFIX): readonly string[] {
  const t = sqliteTableNames(tablePrefix);
  return [
    `CREATE TABLE IF NOT EXISTS "${t.drafts}" (
  workspace_id       TEXT    NOT NULL,
  id                 TEXT    NOT NULL,
  version            INTEGER NOT NULL CHECK (version >= 1),
  state              TEXT    NOT NULL,
  current_checkpoint TEXT,
  tenant_id          TEXT,
  open_tenant_id     TEXT,
  created_at         TEXT    NOT NULL,
  updated_at         TEXT    NOT NULL,
  document           TEXT    NOT NULL,
  PRIMARY KEY (workspace_id, id)
) STRICT`,
    `CREATE UNIQUE INDEX IF NOT EXISTS "${t.openTenantIndex}"
  ON "${t.drafts}" (workspace_id, open_tenant_id)
  WHERE open_tenant_id IS NOT NULL`,
    `CREATE INDEX IF NOT EXISTS "${t.stateIndex}"
  ON "${t.drafts}" (workspace_id, state, created_at, id)`,
    `CREATE INDEX IF NOT EXISTS "${t.createdIndex}"
  ON "${t.drafts}" (workspace_id, created_at, id)`,
    `CREATE TABLE IF NOT EXISTS "${t.audit}" (
  seq              INTEGER PRIMARY KEY AUTOINCREMENT,
  event_id         TEXT    NOT NULL,
  workspace_id     TEXT    NOT NULL,
  draft_id         TEXT    NOT NULL,
  kind             TEXT    NOT NULL,
  command_type     TEXT    NOT NULL,
  actor_id         TEXT    NOT NULL,
  at               TEXT    NOT NULL,
  from_version     INTEGER,
  to_version       INTEGER,
  expected_version INTEGER,
  actual_version   INTEGER,
  idempotency_key  TEXT,
  feedback         TEXT,
  run_ids          TEXT    NOT NULL,
  capability       TEXT,
  state            TEXT,
  outbox           TEXT
) STRICT`,
    `CREATE INDEX IF NOT EXISTS "${t.auditDraftIndex}"
  ON "${t.audit}" (workspace_id, draft_id, seq)`,
    `CREATE TABLE IF NOT EXISTS "${t.idempotency}" (
  workspace_id TEXT NOT NULL,
  key          TEXT NOT NULL,
  draft_id     TEXT NOT NULL,
  command_type TEXT NOT NULL,
  created_at   TEXT NOT NULL,
  record       TEXT NOT NULL,
  PRIMARY KEY (workspace_id, key)
) STRICT`,
    `CREATE INDEX IF NOT EXISTS "${t.idempotencyCreatedIndex}"
  ON "${t.idempotency}" (created_at)`,
    ...outboxSchemaStatements(t),
  ];
}

/** The outbox table and its indexes (part of {@link sqliteSchemaStatements}). */
function outboxSchemaStatements(t: SqliteTableNames): readonly string[] {
  return [
    `CREATE TABLE IF NOT EXISTS "${t.outbox}" (
  workspace_id           TEXT    NOT NULL,
  entry_id               TEXT    NOT NULL,
  draft_id               TEXT    NOT NULL,
  run_id                 TEXT    NOT NULL,
  kind                   TEXT    NOT NULL,
  checkpoint             TEXT    NOT NULL,
  operation              TEXT    NOT NULL,
  provider_connection_id TEXT    NOT NULL,
  provider_revision      INTEGER NOT NULL,
  draft_version          INTEGER NOT NULL,
  event_id               TEXT    NOT NULL,
  created_at             TEXT    NOT NULL,
  status                 TEXT    NOT NULL,
  attempts               INTEGER NOT NULL CHECK (attempts >= 0),
  available_at           TEXT    NOT NULL,
  lease_owner            TEXT,
  lease_until            TEXT,
  last_error             TEXT,
  delivered_at           TEXT,
  reported_at            TEXT,
  progress_message       TEXT,
  progress_percent       REAL,
  settled_at             TEXT,
  PRIMARY KEY (workspace_id, entry_id)
) STRICT`,
    ...sqliteOutboxIndexStatements(t),
    // The journal's watermark: at most one row (id 1); no row reads as 0 (a fresh, empty audit table).
    `CREATE TABLE IF NOT EXISTS "${t.outboxMark}" (
  id  INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
  seq INTEGER NOT NULL
) STRICT`,
  ];
}

/**
 * @internal The outbox's secondary indexes, as migration 5 of ./migrations.ts creates them. Each is
 * partial and keyed for exactly the statements of ./outbox.ts that read by it (which repeat its
 * `WHERE` terms verbatim, as SQLite needs to use a partial index), so a new entry (pending, and
 * for `run.requested` unsettled) goes into the primary key and two or three of them, not five:
 * pending entries in claim order; unsettled runs by last report; `run.requested` records by
 * draft and run; entries no longer pending (which a commit never writes) by status, across
 * workspaces and in one.
 */
export function sqliteOutboxIndexStatements(t: SqliteTableNames): readonly string[] {
  return [
    `CREATE INDEX IF NOT EXISTS "${t.outboxPendingIndex}"
  ON "${t.outbox}" (created_at, workspace_id, entry_id)
  WHERE status = 'pending'`,
    `CREATE INDEX IF NOT EXISTS "${t.outboxStaleIndex}"
  ON "${t.outbox}" (coalesce(reported_at, created_at), workspace_id, entry_id)
  WHERE kind = 'run.requested' AND settled_at IS NULL`,
    `CREATE INDEX IF NOT EXISTS "${t.outboxRunsIndex}"
  ON "${t.outbox}" (workspace_id, draft_id, run_id)
  WHERE kind = 'run.requested'`,
    `CREATE INDEX IF NOT EXISTS "${t.outboxDoneIndex}"
  ON "${t.outbox}" (status, created_at, workspace_id, entry_id)
  WHERE status <> 'pending'`,
    `CREATE INDEX IF NOT EXISTS "${t.outboxWorkspaceDoneIndex}"
  ON "${t.outbox}" (workspace_id, status, created_at, entry_id)
  WHERE status <> 'pending'`,
  ];
}

/**
 * The adapter's latest DDL as one plain SQL script: exactly {@link sqliteSchemaStatements}, each
 * terminated by `;`. Feed it to your own migration tool for a new database instead of calling
 * `migrateSqlite`; to upgrade an existing one, apply the pending versions of `sqliteMigrationSql`.
 *
 * @param tablePrefix defaults to `onboarding_`; validated as an identifier.
 * @throws `ConfigurationError` for an invalid prefix.
 *
 * @example
 * ```ts
 * import { sqliteSchemaSql } from "onboarding-lifecycle/adapters/sqlite";
 * await fs.writeFile("migrations/0001_onboarding.sql", sqliteSchemaSql("app_"));
 * ```
 */
export function sqliteSchemaSql(tablePrefix: string = DEFAULT_SQLITE_TABLE_PREFIX): string {
  return sqliteSchemaStatements(tablePrefix)
    .map((statement) => `${statement};\n`)
    .join("\n");
}

/**
 * The statements that remove the adapter's tables (and with them their indexes) for a prefix,
 * the schema-version table included.
 * For tests and tear-down scripts; never run by the adapter itself.
 *
 * @param tablePrefix defaults to `onboarding_`; validated as an identifier.
 *
 * @example
 * ```ts
 * for (const statement of sqliteDropSchemaStatements("test_")) db.exec(statement);
 * ```
 */
export function sqliteDropSchemaStatements(tablePrefix: string = DEFAULT_SQLITE_TABLE_PREFIX): readonly string[] {
  const t = sqliteTableNames(tablePrefix);
  return [t.drafts, t.audit, t.idempotency, t.outbox, t.outboxMark, t.schemaVersion].map(
    (name) => `DROP TABLE IF EXISTS "${name}"`,
  );
}

/**
 * {@link sqliteDropSchemaStatements} as one SQL script.
 *
 * @param tablePrefix defaults to `onboarding_`; validated as an identifier.
 *
 * @example
 * ```ts
 * db.exec(sqliteDropSchemaSql("test_"));
 * ```
 */
export function sqliteDropSchemaSql(tablePrefix: string = DEFAULT_SQLITE_TABLE_PREFIX): string {
  return sqliteDropSchemaStatements(tablePrefix)
    .map((statement) => `${statement};\n`)
    .join("");
}
