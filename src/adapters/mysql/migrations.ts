/**
 * adapters/mysql/migrations.ts — the numbered migrations of the MySQL / MariaDB schema and the
 * runner behind `migrateMySql()` / `store.migrate()`.
 *
 * Each migration is frozen SQL text; `mysqlSchemaSql()` in schema.ts is the resulting latest
 * schema (a test holds the two to the same catalog). The history, reconstructed from the
 * unversioned `migrate()` of earlier commits so that databases they created are recognised:
 *
 * 1. `base_tables`: drafts, audit and idempotency with their first keys;
 * 2. `idempotency_created_index`: the key `pruneIdempotency` deletes by;
 * 3. `audit_run_ids`: audit entries (whole JSON documents here) get `runIds` (an array) for the
 *    comma-joined `runId` they were written with;
 * 4. `outbox`: the outbox table of background runs, its keys inline;
 * 5. `outbox_fewer_keys`: the outbox's secondary keys cut from six to three (one `runs` key for
 *    the four a commit's entry went into beside the claim and stale ones), in one `ALTER TABLE`,
 *    so the outbox write costs a commit less;
 * 6. `outbox_journal`: the outbox journal, the one row a commit writes for its entries (moved
 *    into the outbox by the next outbox operation). Entries already in the outbox stay as they are.
 *
 * Concurrency: one connection holds `GET_LOCK('olc_migrate:<prefix>', timeout)` for the whole
 * run (the lock is server-wide, so the same prefix in two databases of one server migrates one
 * after the other). MySQL and MariaDB commit every DDL statement on its own, so a migration
 * cannot be rolled back with its version row: each is one statement or re-runnable, and a
 * migration found already in place (a crash after its DDL, before its row) is only recorded.
 *
 * May import: store/ (migration helpers, the error wrapper), record/ (errors), ./schema.js, and
 * `mysql2` for types only.
 */
import type { Connection, Pool, PoolConnection, RowDataPacket } from "mysql2/promise";
import { ConfigurationError } from "../../record/index.js";
import {
  assertApplied,
  currentFromRecorded,
  detectBaseline,
  migrationScript,
  missingShape,
  publicMigrations,
  runMigrations,
  statusOf,
  stepOf,
  targetVersion,
  wrapStoreErrors,
  type CatalogSnapshot,
  type InspectedVersion,
  type MigrateOptions,
  type MigrateResult,
  type MigrationContext,
  type MigrationSession,
  type MigrationStep,
  type SchemaMigration,
  type SchemaStatus,
} from "../../store/index.js";
import { DEFAULT_MYSQL_TABLE_PREFIX, mysqlTableNames, type MySqlTableNames } from "./schema.js";

const ADAPTER = "mysql";
const DEFAULT_LOCK_TIMEOUT_MS = 60_000;
const ER_DUP_ENTRY = 1062;

/** What {@link migrateMySql} and {@link mysqlSchemaStatus} run on: a `mysql2/promise` pool (one connection is taken for the run) or a connection. */
export type MySqlMigrateTarget = Pool | Connection;

/** Options of {@link migrateMySql}: the shared {@link MigrateOptions} plus the lock wait. */
export interface MySqlMigrateOptions extends MigrateOptions {
  /**
   * How long to wait for another process's migration to finish (`GET_LOCK`), in milliseconds,
   * rounded up to whole seconds. Default 60000.
   */
  readonly lockTimeoutMs?: number;
}

/** Options of {@link mysqlSchemaStatus}. */
export interface MySqlSchemaStatusOptions {
  /** The table prefix (default `onboarding_`). */
  readonly tablePrefix?: string;
}

// Column types as the first release wrote them (frozen here; schema.ts has the same for the latest schema).
const ID = "VARBINARY(512)";
const KEY = "VARBINARY(1020)";
const TIMESTAMP = "VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin";
const WORD = "VARCHAR(32) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin";
const DOCUMENT = "LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin";
const TEXT = "TEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin";
const TABLE_OPTIONS = "ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin ROW_FORMAT=DYNAMIC";

/** The catalog keeps names as the server reports them; compared in lower case (`lower_case_table_names`). */
const low = (name: string): string => name.toLowerCase();

function baseTables(t: MySqlTableNames): MigrationStep<CatalogSnapshot> {
  return {
    version: 1,
    name: "base_tables",
    rerunnable: true,
    statements: [
      `CREATE TABLE IF NOT EXISTS \`${t.drafts}\` (
  \`workspace_id\` ${ID} NOT NULL,
  \`id\` ${ID} NOT NULL,
  \`version\` BIGINT UNSIGNED NOT NULL,
  \`state\` ${WORD} NOT NULL,
  \`current_checkpoint\` ${WORD} NULL,
  \`tenant_id\` ${ID} NULL,
  \`open_tenant_id\` ${ID} NULL,
  \`created_at\` ${TIMESTAMP} NOT NULL,
  \`updated_at\` ${TIMESTAMP} NOT NULL,
  \`document\` ${DOCUMENT} NOT NULL,
  PRIMARY KEY (\`workspace_id\`, \`id\`),
  UNIQUE KEY \`open_tenant\` (\`workspace_id\`, \`open_tenant_id\`),
  KEY \`state_created\` (\`workspace_id\`, \`state\`, \`created_at\`, \`id\`),
  KEY \`created\` (\`workspace_id\`, \`created_at\`, \`id\`),
  KEY \`tenant\` (\`workspace_id\`, \`tenant_id\`)
) ${TABLE_OPTIONS}`,
      `CREATE TABLE IF NOT EXISTS \`${t.audit}\` (
  \`seq\` BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  \`workspace_id\` ${ID} NOT NULL,
  \`draft_id\` ${ID} NOT NULL,
  \`event_id\` ${ID} NOT NULL,
  \`kind\` ${WORD} NOT NULL,
  \`command_type\` ${ID} NOT NULL,
  \`actor_id\` ${ID} NOT NULL,
  \`at\` ${TIMESTAMP} NOT NULL,
  \`from_version\` BIGINT UNSIGNED NULL,
  \`to_version\` BIGINT UNSIGNED NULL,
  \`state\` ${WORD} NULL,
  \`event\` ${DOCUMENT} NOT NULL,
  PRIMARY KEY (\`seq\`),
  KEY \`draft_seq\` (\`workspace_id\`, \`draft_id\`, \`seq\`)
) ${TABLE_OPTIONS}`,
      `CREATE TABLE IF NOT EXISTS \`${t.idempotency}\` (
  \`workspace_id\` ${ID} NOT NULL,
  \`idempotency_key\` ${KEY} NOT NULL,
  \`draft_id\` ${ID} NOT NULL,
  \`command_type\` ${ID} NOT NULL,
  \`created_at\` ${TIMESTAMP} NOT NULL,
  \`record\` ${DOCUMENT} NOT NULL,
  PRIMARY KEY (\`workspace_id\`, \`idempotency_key\`)
) ${TABLE_OPTIONS}`,
    ],
    missing: (s) => [
      ...missingShape(s, low(t.drafts), { indexes: ["primary", "open_tenant", "state_created", "created", "tenant"] }),
      ...missingShape(s, low(t.audit), { indexes: ["primary", "draft_seq"] }),
      ...missingShape(s, low(t.idempotency), { indexes: ["primary"] }),
    ],
  };
}

/** One `ALTER TABLE`: MySQL 8 has no `ADD KEY IF NOT EXISTS`, so a re-run is recognised by the key instead. */
function idempotencyCreatedIndex(t: MySqlTableNames): MigrationStep<CatalogSnapshot> {
  return {
    version: 2,
    name: "idempotency_created_index",
    rerunnable: false,
    statements: [`ALTER TABLE \`${t.idempotency}\` ADD KEY \`created\` (\`created_at\`)`],
    missing: (s) => missingShape(s, low(t.idempotency), { indexes: ["created"] }),
  };
}

/**
 * `runIds` for the comma-joined `runId` of entries written before it. The whole `runId` is
 * JSON-quoted first and then split at its commas (JSON escaping never makes or removes a comma),
 * so ids with quotes or backslashes come out right. Matches nothing the second time.
 */
function auditRunIds(t: MySqlTableNames): MigrationStep<CatalogSnapshot> {
  return {
    version: 3,
    name: "audit_run_ids",
    rerunnable: true,
    statements: [
      `UPDATE \`${t.audit}\`
   SET \`event\` = JSON_REMOVE(JSON_SET(\`event\`, '$.runIds',
         IF(JSON_TYPE(JSON_EXTRACT(\`event\`, '$.runId')) = 'NULL',
            JSON_ARRAY(),
            JSON_EXTRACT(CONCAT('[', REPLACE(JSON_QUOTE(JSON_UNQUOTE(JSON_EXTRACT(\`event\`, '$.runId'))), ',', '","'), ']'), '$'))),
       '$.runId')
 WHERE JSON_CONTAINS_PATH(\`event\`, 'one', '$.runId')`,
    ],
    missing: (s) => [
      ...missingShape(s, low(t.audit)),
      ...(s.facts.has("audit:runId") ? [`audit entries with runId in ${t.audit}`] : []),
    ],
  };
}

/** The outbox of background runs: one migration, its table and keys as first released. */
function outbox(t: MySqlTableNames): MigrationStep<CatalogSnapshot> {
  return {
    version: 4,
    name: "outbox",
    rerunnable: true,
    statements: [
      `CREATE TABLE IF NOT EXISTS \`${t.outbox}\` (
  \`workspace_id\` ${ID} NOT NULL,
  \`entry_id\` ${ID} NOT NULL,
  \`draft_id\` ${ID} NOT NULL,
  \`run_id\` ${ID} NOT NULL,
  \`kind\` ${WORD} NOT NULL,
  \`checkpoint\` ${WORD} NOT NULL,
  \`operation\` ${ID} NOT NULL,
  \`provider_connection_id\` ${ID} NOT NULL,
  \`provider_revision\` BIGINT UNSIGNED NOT NULL,
  \`draft_version\` BIGINT UNSIGNED NOT NULL,
  \`event_id\` ${ID} NOT NULL,
  \`created_at\` ${TIMESTAMP} NOT NULL,
  \`status\` ${WORD} NOT NULL,
  \`attempts\` INT NOT NULL,
  \`available_at\` ${TIMESTAMP} NOT NULL,
  \`lease_owner\` ${ID} NULL,
  \`lease_until\` ${TIMESTAMP} NULL,
  \`last_error\` ${TEXT} NULL,
  \`delivered_at\` ${TIMESTAMP} NULL,
  \`reported_at\` ${TIMESTAMP} NULL,
  \`progress_message\` ${TEXT} NULL,
  \`progress_percent\` DOUBLE NULL,
  \`settled_at\` ${TIMESTAMP} NULL,
  \`watch_at\` ${TIMESTAMP} AS (CASE WHEN \`kind\` = 'run.requested' AND \`settled_at\` IS NULL THEN COALESCE(\`reported_at\`, \`created_at\`) END) VIRTUAL,
  PRIMARY KEY (\`workspace_id\`, \`entry_id\`),
  KEY \`claim\` (\`status\`, \`created_at\`, \`workspace_id\`, \`entry_id\`),
  KEY \`listing\` (\`created_at\`, \`workspace_id\`, \`entry_id\`),
  KEY \`workspace_listing\` (\`workspace_id\`, \`created_at\`, \`entry_id\`),
  KEY \`run\` (\`workspace_id\`, \`run_id\`),
  KEY \`draft_runs\` (\`workspace_id\`, \`draft_id\`, \`created_at\`, \`entry_id\`),
  KEY \`stale\` (\`watch_at\`, \`workspace_id\`, \`entry_id\`)
) ${TABLE_OPTIONS}`,
    ],
    // A table with version 5's keys (from `mysqlSchemaSql()` of a later release, without a
    // schema-version table) has this version in place too.
    missing: (s) =>
      missingShape(s, low(t.outbox), { indexes: ["primary", "claim", "runs", "stale"] }).length === 0
        ? []
        : missingShape(s, low(t.outbox), {
            indexes: ["primary", "claim", "listing", "workspace_listing", "run", "draft_runs", "stale"],
          }),
  };
}

/**
 * Version 5: one `ALTER TABLE` (atomic, as MySQL and MariaDB run each DDL statement) that adds the
 * `runs` key and drops the four keys it and `claim` make redundant. MySQL 8 has no `IF EXISTS`
 * for keys, so a re-run is recognised by the keys instead.
 */
function outboxFewerKeys(t: MySqlTableNames): MigrationStep<CatalogSnapshot> {
  const dropped = ["listing", "workspace_listing", "run", "draft_runs"];
  return {
    version: 5,
    name: "outbox_fewer_keys",
    rerunnable: false,
    statements: [
      `ALTER TABLE \`${t.outbox}\` ADD KEY \`runs\` (\`workspace_id\`, \`draft_id\`, \`run_id\`), ` +
        dropped.map((key) => `DROP KEY \`${key}\``).join(", "),
    ],
    missing: (s) => missingShape(s, low(t.outbox), { indexes: ["runs"], withoutIndexes: dropped }),
  };
}

/** Version 6: the outbox journal (one `CREATE TABLE IF NOT EXISTS`, so re-runnable). */
function outboxJournal(t: MySqlTableNames): MigrationStep<CatalogSnapshot> {
  return {
    version: 6,
    name: "outbox_journal",
    rerunnable: true,
    statements: [
      `CREATE TABLE IF NOT EXISTS \`${t.journal}\` (
  \`seq\` BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  \`entries\` ${DOCUMENT} NOT NULL,
  PRIMARY KEY (\`seq\`)
) ${TABLE_OPTIONS}`,
    ],
    missing: (s) => missingShape(s, low(t.journal), { columns: ["seq", "entries"], indexes: ["primary"] }),
  };
}

/** Every migration of a (validated) prefix, with the checks that recognise it. */
function mysqlSteps(prefix: string): readonly MigrationStep<CatalogSnapshot>[] {
  const t = mysqlTableNames(prefix);
  return [baseTables(t), idempotencyCreatedIndex(t), auditRunIds(t), outbox(t), outboxFewerKeys(t), outboxJournal(t)];
}

/**
 * The numbered migrations of the MySQL / MariaDB schema for a table prefix, oldest first: what
 * `migrate()` applies to bring a database from any earlier version to the latest. For teams
 * with their own migration tool: apply them in order, one file each ({@link mysqlMigrationSql}).
 *
 * @throws {@link onboarding-lifecycle!ConfigurationError} when the prefix is not a plain SQL identifier.
 *
 * @example
 * ```ts
 * import { writeFileSync } from "node:fs";
 * import { mysqlMigrationSql, mysqlMigrations } from "onboarding-lifecycle/adapters/mysql";
 * for (const { version, name } of mysqlMigrations("crm_")) {
 *   writeFileSync(`migrations/V${version}__onboarding_${name}.sql`, mysqlMigrationSql(version, "crm_"));
 * }
 * ```
 */
export function mysqlMigrations(tablePrefix: string = DEFAULT_MYSQL_TABLE_PREFIX): readonly SchemaMigration[] {
  return publicMigrations(mysqlSteps(tablePrefix));
}

/**
 * One migration as a plain SQL script (a comment naming it, then its statements, each ended by
 * `;`). It does not touch `<prefix>schema_version`: a database migrated only by your own tool is
 * recognised by its tables the first time `migrate()` runs on it.
 *
 * @param version 1 ..the latest (`mysqlMigrations().length`).
 * @param tablePrefix the table prefix (default `onboarding_`).
 * @throws {@link onboarding-lifecycle!ConfigurationError} for an unknown version or an invalid prefix.
 *
 * @example
 * ```ts
 * console.log(mysqlMigrationSql(2, "crm_")); // ALTER TABLE `crm_idempotency` ADD KEY ...
 * ```
 */
export function mysqlMigrationSql(version: number, tablePrefix: string = DEFAULT_MYSQL_TABLE_PREFIX): string {
  return migrationScript(ADAPTER, stepOf(mysqlSteps(tablePrefix), version));
}

const UTF8MB4 = /^utf8mb4/i;

/** Refuses a connection that does not talk utf8mb4, the only character set in which every string round-trips. */
async function checkCharset(connection: Connection): Promise<void> {
  const [rows] = await connection.query<RowDataPacket[]>(
    "SELECT @@character_set_client AS client, @@character_set_connection AS conn, @@character_set_results AS results",
  );
  const row = rows[0];
  const charsets = [row?.["client"], row?.["conn"], row?.["results"]].map(String);
  if (!charsets.every((charset) => UTF8MB4.test(charset))) {
    throw new ConfigurationError(
      "pool",
      `the MySQL connection must use the utf8mb4 character set (charset: "utf8mb4"), got ${charsets.join("/")}`,
    );
  }
}

function versionTable(prefix: string): string {
  return mysqlTableNames(prefix).schemaVersion;
}

/** The catalog of a prefix's tables in the current database: columns, keys, and old-shaped audit entries. */
async function snapshot(connection: Connection, prefix: string): Promise<CatalogSnapshot> {
  const t = mysqlTableNames(prefix);
  const names = [t.drafts, t.audit, t.idempotency, t.outbox, t.journal, t.schemaVersion];
  const [columns] = await connection.query<RowDataPacket[]>(
    "SELECT TABLE_NAME AS t, COLUMN_NAME AS c FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME IN (?)",
    [names],
  );
  const [keys] = await connection.query<RowDataPacket[]>(
    "SELECT DISTINCT TABLE_NAME AS t, INDEX_NAME AS i FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME IN (?)",
    [names],
  );
  const tables = new Map<string, Set<string>>();
  for (const row of columns) {
    const table = low(String(row["t"]));
    tables.set(table, (tables.get(table) ?? new Set()).add(low(String(row["c"]))));
  }
  const facts = new Set<string>();
  if (tables.has(low(t.audit))) {
    // One scan, only while no version is recorded: entries written before `runIds` existed.
    const [legacy] = await connection.query<RowDataPacket[]>(
      `SELECT 1 AS found FROM \`${t.audit}\` WHERE JSON_CONTAINS_PATH(\`event\`, 'one', '$.runId') LIMIT 1`,
    );
    if (legacy.length > 0) facts.add("audit:runId");
  }
  return { tables, indexes: new Set(keys.map((row) => low(`${String(row["t"])}.${String(row["i"])}`))), facts };
}

/** The current version: recorded, or (no rows) found by inspecting the catalog. */
async function inspect(
  connection: Connection,
  steps: readonly MigrationStep<CatalogSnapshot>[],
  context: MigrationContext,
): Promise<InspectedVersion> {
  const table = versionTable(context.tablePrefix);
  const [present] = await connection.query<RowDataPacket[]>(
    "SELECT 1 AS found FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?",
    [table],
  );
  if (present.length > 0) {
    const [rows] = await connection.query<RowDataPacket[]>(`SELECT \`version\` FROM \`${table}\``);
    const recorded = rows.map((row) => Number(row["version"]));
    if (recorded.length > 0) return { current: currentFromRecorded(recorded, steps.length, context), detected: false };
  }
  return { current: detectBaseline(steps, await snapshot(connection, context.tablePrefix), context), detected: true };
}

/** The runner's view of one connection (see `runMigrations`). */
function session(
  connection: Connection,
  steps: readonly MigrationStep<CatalogSnapshot>[],
  context: MigrationContext,
): MigrationSession {
  const table = versionTable(context.tablePrefix);
  async function record(migration: SchemaMigration, origin: "migrate" | "detected"): Promise<boolean> {
    try {
      await connection.query(
        `INSERT INTO \`${table}\` (\`version\`, \`name\`, \`applied_at\`, \`origin\`) VALUES (?, ?, ?, ?)`,
        [migration.version, migration.name, new Date().toISOString(), origin],
      );
      return true;
    } catch (error) {
      if ((error as { errno?: unknown } | null)?.errno === ER_DUP_ENTRY) return false;
      throw error;
    }
  }
  return {
    inspect: () => inspect(connection, steps, context),
    async prepare() {
      await connection.query(`CREATE TABLE IF NOT EXISTS \`${table}\` (
  \`version\` INT UNSIGNED NOT NULL,
  \`name\` ${WORD.replace("32", "128")} NOT NULL,
  \`applied_at\` ${TIMESTAMP} NOT NULL,
  \`origin\` ${WORD} NOT NULL,
  PRIMARY KEY (\`version\`)
) ${TABLE_OPTIONS}`);
    },
    async recordBaseline(migrations) {
      for (const migration of migrations) await record(migration, "detected");
    },
    async apply(migration) {
      const step = stepOf(steps, migration.version);
      // DDL commits itself: a migration that cannot run twice and whose statement ran before a
      // crash (without its row) is only recorded.
      if (!step.rerunnable && step.missing(await snapshot(connection, context.tablePrefix)).length === 0) {
        return record(migration, "detected");
      }
      for (const statement of migration.statements) await connection.query(statement);
      assertApplied(step, await snapshot(connection, context.tablePrefix), context, steps.length);
      return record(migration, "migrate");
    },
  };
}

function lockTimeoutSeconds(value: number | undefined): number {
  const ms = value ?? DEFAULT_LOCK_TIMEOUT_MS;
  if (!Number.isInteger(ms) || ms < 1 || ms > 2_147_483_647) {
    throw new ConfigurationError("lockTimeoutMs", `lockTimeoutMs must be a positive integer, got ${String(value)}`);
  }
  return Math.ceil(ms / 1000);
}

function isPool(target: MySqlMigrateTarget): target is Pool {
  return typeof (target as Partial<Pool>).getConnection === "function";
}

/** Runs `fn` holding the prefix's named lock on `connection`; resolves `false` for a connection left unsafe to reuse. */
async function locked<T>(
  connection: Connection,
  name: string,
  seconds: number,
  fn: () => Promise<T>,
): Promise<{ readonly value: T } | { readonly error: unknown; readonly reusable: boolean }> {
  const [rows] = await connection.query<RowDataPacket[]>("SELECT GET_LOCK(?, ?) AS got", [name, seconds]);
  if (Number(rows[0]?.["got"]) !== 1) {
    return {
      error: new Error(
        `timed out after ${seconds} s waiting for the migration lock ${name} (another process is migrating)`,
      ),
      reusable: true,
    };
  }
  let outcome: { readonly value: T } | { readonly error: unknown };
  try {
    outcome = { value: await fn() };
  } catch (error) {
    outcome = { error };
  }
  try {
    await connection.query("SELECT RELEASE_LOCK(?)", [name]);
  } catch (releaseError) {
    return { error: "error" in outcome ? outcome.error : releaseError, reusable: false };
  }
  return "error" in outcome ? { error: outcome.error, reusable: true } : outcome;
}

/**
 * Brings the schema of a table prefix to the latest version (or to `to`), applying each pending
 * migration and recording it in `<prefix>schema_version`. A database made by the unversioned
 * `migrate()` of an earlier release is recognised by its tables and recorded at the version it
 * matches first. Safe to run from several processes at once: they wait for each other on
 * `GET_LOCK`. Also checks that the connections talk `utf8mb4`. The same as `store.migrate()`.
 *
 * @returns from which version to which, and the migrations this call applied.
 * @throws {@link onboarding-lifecycle!SchemaVersionError} when the database is newer than the
 *   package or its schema matches no release (nothing is changed).
 * @throws {@link onboarding-lifecycle!ConfigurationError} when the connection character set is not
 *   utf8mb4, or for an invalid prefix, `to` or `lockTimeoutMs`.
 * @throws {@link onboarding-lifecycle!StoreError} when the server refuses a statement or the lock
 *   wait times out.
 *
 * @example
 * ```ts
 * const { from, to, applied } = await migrateMySql(pool, { tablePrefix: "crm_" });
 * console.log(`schema ${from} -> ${to}`, applied.map((m) => m.name));
 * ```
 */
export async function migrateMySql(
  target: MySqlMigrateTarget,
  options: MySqlMigrateOptions = {},
): Promise<MigrateResult> {
  const prefix = options.tablePrefix ?? DEFAULT_MYSQL_TABLE_PREFIX;
  const steps = mysqlSteps(prefix);
  targetVersion(options.to, steps.length);
  const seconds = lockTimeoutSeconds(options.lockTimeoutMs);
  const context = { adapter: ADAPTER, tablePrefix: prefix };
  return wrapStoreErrors(ADAPTER, "migrate", async () => {
    const connection: Connection | PoolConnection = isPool(target) ? await target.getConnection() : target;
    let reusable = true;
    try {
      await checkCharset(connection);
      if (options.dryRun === true) return await runMigrations(session(connection, steps, context), steps, options);
      const outcome = await locked(connection, `olc_migrate:${prefix}`, seconds, () =>
        runMigrations(session(connection, steps, context), steps, options),
      );
      if ("value" in outcome) return outcome.value;
      reusable = outcome.reusable;
      throw outcome.error;
    } finally {
      if (connection !== target) {
        // A connection whose RELEASE_LOCK failed may still hold the lock: closing it frees the lock.
        if (reusable) (connection as PoolConnection).release();
        else (connection as PoolConnection).destroy();
      }
    }
  });
}

/**
 * Where the schema of a table prefix stands: its version, the latest, and the pending migrations.
 * Reads only (no lock, no table created). A database without a schema-version table reports the
 * version its tables match (0 when there are none).
 *
 * @throws {@link onboarding-lifecycle!SchemaVersionError} when the database is newer than the
 *   package or its schema matches no release.
 * @throws {@link onboarding-lifecycle!StoreError} when a catalog query fails.
 *
 * @example
 * ```ts
 * const { current, latest, pending } = await mysqlSchemaStatus(pool, { tablePrefix: "crm_" });
 * if (pending.length > 0) console.log(`schema ${current} of ${latest}: run migrate`);
 * ```
 */
export async function mysqlSchemaStatus(
  target: MySqlMigrateTarget,
  options: MySqlSchemaStatusOptions = {},
): Promise<SchemaStatus> {
  const prefix = options.tablePrefix ?? DEFAULT_MYSQL_TABLE_PREFIX;
  const steps = mysqlSteps(prefix);
  return wrapStoreErrors(ADAPTER, "schemaStatus", async () => {
    const { current } = await inspect(target, steps, { adapter: ADAPTER, tablePrefix: prefix });
    return statusOf(steps, current);
  });
}
