/**
 * adapters/sqlite/migrations.ts — the numbered migrations of the SQLite schema and the runner
 * behind `migrateSqlite()` / `store.migrate()`.
 *
 * Each migration is frozen SQL text; `sqliteSchemaSql()` in schema.ts is the resulting latest
 * schema (a test holds the two to the same catalog). The history, reconstructed from the
 * unversioned `migrate()` of earlier commits so that databases they created are recognised:
 *
 * 1. `base_tables`: drafts, audit and idempotency (STRICT) with their first indexes;
 * 2. `idempotency_created_index`: the index `pruneIdempotency` deletes by;
 * 3. `audit_run_ids`: `run_ids` (a JSON array) replaces the comma-joined `run_id` (the added
 *    column keeps its `DEFAULT '[]'`: SQLite cannot drop a default without rebuilding the table,
 *    and every write sets the column anyway);
 * 4. `outbox`: the outbox table of background runs and its indexes;
 * 5. `outbox_partial_indexes`: the outbox's secondary indexes partial and fewer (a new entry goes
 *    into three or four b-trees beside the table instead of six), so the outbox write costs a
 *    commit less;
 * 6. `outbox_journal`: the commit writes its outbox entries as JSON in a new `outbox` column of
 *    its first audit row (no row, no b-tree of its own: the cheapest durable append), and the
 *    outbox operations move them into the outbox table past the watermark table `outbox_mark`,
 *    which starts at the highest audit `seq` (entries written before are in the outbox table).
 *
 * Concurrency: the whole run (inspection, every pending migration and its row in
 * `<prefix>schema_version`) is one `BEGIN IMMEDIATE` transaction, so other connections and
 * processes wait for it (`busy_timeout`) and then find the schema migrated; a crash rolls all of
 * it back. A dry run is a read transaction.
 *
 * May import: store/ (migration helpers, the error wrapper), ./schema.js, and better-sqlite3 types.
 */
import type BetterSqlite3 from "better-sqlite3";
import {
  assertApplied,
  currentFromRecorded,
  detectBaseline,
  migrationScript,
  missingShape,
  planMigrations,
  publicMigrations,
  statusOf,
  stepOf,
  targetVersion,
  wrapStoreErrors,
  type CatalogSnapshot,
  type InspectedVersion,
  type MigrateOptions,
  type MigrateResult,
  type MigrationContext,
  type MigrationStep,
  type SchemaMigration,
  type SchemaStatus,
} from "../../store/index.js";
import { DEFAULT_SQLITE_TABLE_PREFIX, sqliteTableNames, type SqliteTableNames } from "./schema.js";

const ADAPTER = "sqlite";

/** Options of {@link migrateSqlite} (the shared {@link MigrateOptions}; the lock wait is the connection's `busy_timeout`). */
export type SqliteMigrateOptions = MigrateOptions;

/** Options of {@link sqliteSchemaStatus}. */
export interface SqliteSchemaStatusOptions {
  /** The table prefix (default `onboarding_`). */
  readonly tablePrefix?: string;
}

function baseTables(t: SqliteTableNames): MigrationStep<CatalogSnapshot> {
  return {
    version: 1,
    name: "base_tables",
    rerunnable: true,
    statements: [
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
  run_id           TEXT,
  capability       TEXT,
  state            TEXT
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
    ],
    missing: (s) => [
      ...missingShape(s, t.drafts, { indexes: [t.openTenantIndex, t.stateIndex, t.createdIndex] }),
      ...missingShape(s, t.audit, { indexes: [t.auditDraftIndex] }),
      ...missingShape(s, t.idempotency),
    ],
  };
}

function idempotencyCreatedIndex(t: SqliteTableNames): MigrationStep<CatalogSnapshot> {
  return {
    version: 2,
    name: "idempotency_created_index",
    rerunnable: true,
    statements: [
      `CREATE INDEX IF NOT EXISTS "${t.idempotencyCreatedIndex}"
  ON "${t.idempotency}" (created_at)`,
    ],
    missing: (s) => missingShape(s, t.idempotency, { indexes: [t.idempotencyCreatedIndex] }),
  };
}

/**
 * `run_ids` (JSON text) from the comma-joined `run_id`: the whole id list is JSON-quoted first and
 * then split at its commas (JSON escaping never makes or removes a comma), so every id comes out
 * as a correctly escaped string.
 */
function auditRunIds(t: SqliteTableNames): MigrationStep<CatalogSnapshot> {
  return {
    version: 3,
    name: "audit_run_ids",
    rerunnable: false,
    statements: [
      `ALTER TABLE "${t.audit}" ADD COLUMN run_ids TEXT NOT NULL DEFAULT '[]'`,
      `UPDATE "${t.audit}" SET run_ids = '[' || replace(json_quote(run_id), ',', '","') || ']' WHERE run_id IS NOT NULL`,
      `ALTER TABLE "${t.audit}" DROP COLUMN run_id`,
    ],
    missing: (s) => missingShape(s, t.audit, { columns: ["run_ids"], without: ["run_id"] }),
  };
}

/** The outbox indexes of version 4 that version 5 replaces (no longer in `SqliteTableNames`). */
function legacyOutboxIndexes(t: SqliteTableNames): readonly [string, string, string, string] {
  const prefix = t.outbox.slice(0, -"outbox".length);
  return [
    `${prefix}outbox_claim_idx`,
    `${prefix}outbox_run_idx`,
    `${prefix}outbox_draft_idx`,
    `${prefix}outbox_created_idx`,
  ];
}

/** The indexes version 5 adds. */
function partialOutboxIndexes(t: SqliteTableNames): readonly string[] {
  return [t.outboxPendingIndex, t.outboxRunsIndex, t.outboxDoneIndex, t.outboxWorkspaceDoneIndex];
}

/** The outbox of background runs: one migration, its table and indexes as first released. */
function outbox(t: SqliteTableNames): MigrationStep<CatalogSnapshot> {
  const [claimIndex, runIndex, draftIndex, createdIndex] = legacyOutboxIndexes(t);
  return {
    version: 4,
    name: "outbox",
    rerunnable: true,
    statements: [
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
      `CREATE INDEX IF NOT EXISTS "${claimIndex}"
  ON "${t.outbox}" (status, available_at)`,
      `CREATE INDEX IF NOT EXISTS "${t.outboxStaleIndex}"
  ON "${t.outbox}" (coalesce(reported_at, created_at), workspace_id, entry_id)
  WHERE kind = 'run.requested' AND settled_at IS NULL`,
      `CREATE INDEX IF NOT EXISTS "${runIndex}"
  ON "${t.outbox}" (workspace_id, run_id)`,
      `CREATE INDEX IF NOT EXISTS "${draftIndex}"
  ON "${t.outbox}" (workspace_id, draft_id, created_at, entry_id)`,
      `CREATE INDEX IF NOT EXISTS "${createdIndex}"
  ON "${t.outbox}" (created_at, workspace_id, entry_id)`,
    ],
    // A database that already has version 5's indexes (made from `sqliteSchemaSql()` of a later
    // release, without a schema-version table) has this version's table in place too.
    missing: (s) =>
      missingShape(s, t.outbox, { indexes: [...partialOutboxIndexes(t), t.outboxStaleIndex] }).length === 0
        ? []
        : missingShape(s, t.outbox, {
            indexes: [claimIndex, t.outboxStaleIndex, runIndex, draftIndex, createdIndex],
          }),
  };
}

/**
 * Version 5: the outbox's secondary indexes partial and keyed for exactly the statements that read
 * by them (see `sqliteOutboxIndexStatements` in ./schema.ts): the claim, run, draft and created
 * indexes every new entry went into go; pending, runs, done and workspace-done indexes replace
 * them. The stale-runs index stays as it was.
 */
function outboxPartialIndexes(t: SqliteTableNames): MigrationStep<CatalogSnapshot> {
  const dropped = legacyOutboxIndexes(t);
  return {
    version: 5,
    name: "outbox_partial_indexes",
    rerunnable: true,
    statements: [
      `CREATE INDEX IF NOT EXISTS "${t.outboxPendingIndex}"
  ON "${t.outbox}" (created_at, workspace_id, entry_id)
  WHERE status = 'pending'`,
      `CREATE INDEX IF NOT EXISTS "${t.outboxRunsIndex}"
  ON "${t.outbox}" (workspace_id, draft_id, run_id)
  WHERE kind = 'run.requested'`,
      `CREATE INDEX IF NOT EXISTS "${t.outboxDoneIndex}"
  ON "${t.outbox}" (status, created_at, workspace_id, entry_id)
  WHERE status <> 'pending'`,
      `CREATE INDEX IF NOT EXISTS "${t.outboxWorkspaceDoneIndex}"
  ON "${t.outbox}" (workspace_id, status, created_at, entry_id)
  WHERE status <> 'pending'`,
      ...dropped.map((index) => `DROP INDEX IF EXISTS "${index}"`),
    ],
    missing: (s) => missingShape(s, t.outbox, { indexes: partialOutboxIndexes(t), withoutIndexes: [...dropped] }),
  };
}

/**
 * Version 6: the outbox journal. The column is nullable without a default, so adding it rewrites
 * no row; the mark starts at the highest `seq`, as every entry written so far is in the outbox
 * table already.
 */
function outboxJournal(t: SqliteTableNames): MigrationStep<CatalogSnapshot> {
  return {
    version: 6,
    name: "outbox_journal",
    rerunnable: false,
    statements: [
      `ALTER TABLE "${t.audit}" ADD COLUMN outbox TEXT`,
      `CREATE TABLE IF NOT EXISTS "${t.outboxMark}" (
  id  INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
  seq INTEGER NOT NULL
) STRICT`,
      `INSERT OR IGNORE INTO "${t.outboxMark}" (id, seq) SELECT 1, coalesce(max(seq), 0) FROM "${t.audit}"`,
    ],
    missing: (s) => [...missingShape(s, t.audit, { columns: ["outbox"] }), ...missingShape(s, t.outboxMark)],
  };
}

/** Every migration of a (validated) prefix, with the checks that recognise it. */
function sqliteSteps(tablePrefix: string): readonly MigrationStep<CatalogSnapshot>[] {
  const t = sqliteTableNames(tablePrefix);
  return [
    baseTables(t),
    idempotencyCreatedIndex(t),
    auditRunIds(t),
    outbox(t),
    outboxPartialIndexes(t),
    outboxJournal(t),
  ];
}

/**
 * The numbered migrations of the SQLite schema for a table prefix, oldest first: what `migrate()`
 * applies to bring a database from any earlier version to the latest. For teams with their own
 * migration tool: apply them in order, one file each ({@link sqliteMigrationSql}).
 *
 * @throws `ConfigurationError` when the prefix is not a plain identifier.
 *
 * @example
 * ```ts
 * import { writeFileSync } from "node:fs";
 * import { sqliteMigrationSql, sqliteMigrations } from "onboarding-lifecycle/adapters/sqlite";
 * for (const { version, name } of sqliteMigrations("app_")) {
 *   writeFileSync(`migrations/${String(version).padStart(4, "0")}_onboarding_${name}.sql`, sqliteMigrationSql(version, "app_"));
 * }
 * ```
 */
export function sqliteMigrations(tablePrefix: string = DEFAULT_SQLITE_TABLE_PREFIX): readonly SchemaMigration[] {
  return publicMigrations(sqliteSteps(tablePrefix));
}

/**
 * One migration as a plain SQL script (a comment naming it, then its statements, each ended by
 * `;`). It does not touch `<prefix>schema_version`: a database migrated only by your own tool is
 * recognised by its tables the first time `migrate()` runs on it.
 *
 * @param version 1 ..the latest (`sqliteMigrations().length`).
 * @param tablePrefix the table prefix (default `onboarding_`).
 * @throws `ConfigurationError` for an unknown version or an invalid prefix.
 *
 * @example
 * ```ts
 * console.log(sqliteMigrationSql(3)); // ALTER TABLE "onboarding_audit" ADD COLUMN run_ids ...
 * ```
 */
export function sqliteMigrationSql(version: number, tablePrefix: string = DEFAULT_SQLITE_TABLE_PREFIX): string {
  return migrationScript(ADAPTER, stepOf(sqliteSteps(tablePrefix), version));
}

/** The catalog of a prefix's tables in the `main` schema: columns and indexes. */
function snapshot(db: BetterSqlite3.Database, t: SqliteTableNames): CatalogSnapshot {
  const names = [t.drafts, t.audit, t.idempotency, t.outbox, t.outboxMark, t.schemaVersion];
  const marks = names.map(() => "?").join(", ");
  const columns = db
    .prepare(
      `SELECT m.name AS t, p.name AS c FROM sqlite_master AS m JOIN pragma_table_info(m.name) AS p
WHERE m.type = 'table' AND m.name IN (${marks})`,
    )
    .all(...names) as { t: string; c: string }[];
  const indexes = db
    .prepare(`SELECT tbl_name AS t, name AS i FROM sqlite_master WHERE type = 'index' AND tbl_name IN (${marks})`)
    .all(...names) as { t: string; i: string }[];
  const tables = new Map<string, Set<string>>();
  for (const row of columns) tables.set(row.t, (tables.get(row.t) ?? new Set()).add(row.c));
  return { tables, indexes: new Set(indexes.map((row) => `${row.t}.${row.i}`)), facts: new Set() };
}

/** The current version: recorded, or (no rows) found by inspecting the catalog. */
function inspect(
  db: BetterSqlite3.Database,
  steps: readonly MigrationStep<CatalogSnapshot>[],
  context: MigrationContext,
): InspectedVersion {
  const t = sqliteTableNames(context.tablePrefix);
  const catalog = snapshot(db, t);
  if (catalog.tables.has(t.schemaVersion)) {
    const rows = db.prepare(`SELECT version FROM "${t.schemaVersion}"`).all() as { version: number }[];
    const recorded = rows.map((row) => Number(row.version));
    if (recorded.length > 0) return { current: currentFromRecorded(recorded, steps.length, context), detected: false };
  }
  return { current: detectBaseline(steps, catalog, context), detected: true };
}

function record(db: BetterSqlite3.Database, table: string, migration: SchemaMigration, origin: string): void {
  db.prepare(`INSERT INTO "${table}" (version, name, applied_at, origin) VALUES (?, ?, ?, ?)`).run(
    migration.version,
    migration.name,
    new Date().toISOString(),
    origin,
  );
}

/**
 * @internal The synchronous run behind {@link migrateSqlite} and the store's `migrate()`: one
 * `BEGIN IMMEDIATE` transaction (a read transaction for a dry run). Throws what better-sqlite3
 * throws (the caller wraps it) and the package's own errors.
 */
export function runSqliteMigrations(db: BetterSqlite3.Database, options: SqliteMigrateOptions = {}): MigrateResult {
  const tablePrefix = options.tablePrefix ?? DEFAULT_SQLITE_TABLE_PREFIX;
  const steps = sqliteSteps(tablePrefix);
  const target = targetVersion(options.to, steps.length);
  const context = { adapter: ADAPTER, tablePrefix };
  const t = sqliteTableNames(tablePrefix);
  const migrations = publicMigrations(steps);
  if (options.dryRun === true) {
    const { current } = db.transaction(() => inspect(db, steps, context)).deferred();
    const plan = planMigrations(migrations, current, target);
    return { from: plan.from, to: plan.to, applied: plan.pending, dryRun: true };
  }
  return db
    .transaction((): MigrateResult => {
      const { current, detected } = inspect(db, steps, context);
      const plan = planMigrations(migrations, current, target);
      if (detected) {
        db.exec(`CREATE TABLE IF NOT EXISTS "${t.schemaVersion}" (
  version    INTEGER NOT NULL PRIMARY KEY,
  name       TEXT    NOT NULL,
  applied_at TEXT    NOT NULL,
  origin     TEXT    NOT NULL
) STRICT`);
        for (const migration of migrations.slice(0, current)) record(db, t.schemaVersion, migration, "detected");
      }
      for (const migration of plan.pending) {
        for (const statement of migration.statements) db.exec(statement);
        assertApplied(stepOf(steps, migration.version), snapshot(db, t), context, steps.length);
        record(db, t.schemaVersion, migration, "migrate");
      }
      return { from: plan.from, to: plan.to, applied: plan.pending, dryRun: false };
    })
    .immediate();
}

/**
 * Brings the schema of a table prefix on a better-sqlite3 connection to the latest version (or to
 * `to`): every pending migration and its row in `<prefix>schema_version`, in one `BEGIN
 * IMMEDIATE` transaction. A database made by the unversioned `migrate()` of an earlier release
 * is recognised by its tables and recorded at the version it matches first. Safe to run from
 * several connections and processes on one file at once. The same as `store.migrate()`, for a
 * connection without a store.
 *
 * @returns from which version to which, and the migrations this call applied.
 * @throws `SchemaVersionError` when the database is newer than the package or its schema matches
 *   no release; `ConfigurationError` for an invalid prefix or `to`; `StoreError` when SQLite
 *   refuses a statement (nothing of the run is kept).
 *
 * @example
 * ```ts
 * import Database from "better-sqlite3";
 * const { from, to } = await migrateSqlite(new Database("onboarding.db"), { tablePrefix: "app_" });
 * ```
 */
export async function migrateSqlite(
  database: BetterSqlite3.Database,
  options: SqliteMigrateOptions = {},
): Promise<MigrateResult> {
  return wrapStoreErrors(ADAPTER, "migrate", async () => runSqliteMigrations(database, options));
}

/**
 * @internal The synchronous status behind {@link sqliteSchemaStatus} and the store's `schemaStatus()`.
 */
export function readSqliteSchemaStatus(db: BetterSqlite3.Database, tablePrefix: string): SchemaStatus {
  const steps = sqliteSteps(tablePrefix);
  const { current } = db.transaction(() => inspect(db, steps, { adapter: ADAPTER, tablePrefix })).deferred();
  return statusOf(steps, current);
}

/**
 * Where the schema of a table prefix stands: its version, the latest, and the pending migrations.
 * Reads only. A database without a schema-version table reports the version its tables match
 * (0 when there are none).
 *
 * @throws `SchemaVersionError` when the database is newer than the package or its schema matches
 *   no release; `StoreError` when a catalog query fails.
 *
 * @example
 * ```ts
 * const { current, latest, pending } = await sqliteSchemaStatus(db, { tablePrefix: "app_" });
 * if (pending.length > 0) console.log(`schema ${current} of ${latest}: run migrate`);
 * ```
 */
export async function sqliteSchemaStatus(
  database: BetterSqlite3.Database,
  options: SqliteSchemaStatusOptions = {},
): Promise<SchemaStatus> {
  const tablePrefix = options.tablePrefix ?? DEFAULT_SQLITE_TABLE_PREFIX;
  return wrapStoreErrors(ADAPTER, "schemaStatus", async () => readSqliteSchemaStatus(database, tablePrefix));
}
