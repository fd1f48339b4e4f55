/**
 * adapters/mysql/schema.ts — the MySQL / MariaDB tables of the adapter: their names, and the
 * latest schema as plain SQL text and as statements (for teams with their own migration tools).
 * `migrate()` does not run this text: it applies the numbered migrations of ./migrations.ts,
 * whose result a test holds to this same schema.
 *
 * May import: store/ (identifier checks).
 */
import { assertIdentifier } from "../../store/index.js";

/** The default prefix of the adapter's table names. */
export const DEFAULT_MYSQL_TABLE_PREFIX = "onboarding_";

/** The (unquoted) names of the tables the adapter uses. */
export interface MySqlTableNames {
  /** One row per draft: the query columns plus the canonical JSON document. */
  readonly drafts: string;
  /** One row per audit entry, in append order (`seq`, an AUTO_INCREMENT key). */
  readonly audit: string;
  /** One row per idempotency key of a workspace. */
  readonly idempotency: string;
  /** One row per outbox entry (`run.requested`, `run.cancelled`) with its delivery and run-liveness state. */
  readonly outbox: string;
  /**
   * The outbox journal: one row per commit with outbox entries (`seq`, an AUTO_INCREMENT key, and
   * the entries as one JSON text), appended by the commit and moved into `outbox` by the first
   * outbox operation that follows.
   */
  readonly journal: string;
  /** The schema-version table `migrate()` keeps: one row per applied migration (`version`, `name`, `applied_at`, `origin`). */
  readonly schemaVersion: string;
}

/**
 * The table names for a prefix, after checking the prefix is a plain SQL identifier (letters,
 * digits, underscores; at most 48 characters, so every table name stays within MySQL's 64).
 *
 * @throws {@link onboarding-lifecycle!ConfigurationError} for a prefix that is not a plain identifier.
 *
 * @example
 * ```ts
 * mysqlTableNames("crm_").drafts; // "crm_drafts"
 * ```
 */
export function mysqlTableNames(tablePrefix: string = DEFAULT_MYSQL_TABLE_PREFIX): MySqlTableNames {
  assertIdentifier(tablePrefix, "tablePrefix");
  return {
    drafts: `${tablePrefix}drafts`,
    audit: `${tablePrefix}audit`,
    idempotency: `${tablePrefix}idempotency`,
    outbox: `${tablePrefix}outbox`,
    journal: `${tablePrefix}outbox_journal`,
    schemaVersion: `${tablePrefix}schema_version`,
  };
}

/** Quotes an already validated identifier with backticks. */
export function quoteMySqlIdentifier(name: string): string {
  return `\`${assertIdentifier(name, "identifier")}\``;
}

/**
 * Ids, tenant ids and keys are `VARBINARY`: byte comparison, so `'A' <> 'a'` and trailing
 * spaces are significant (`utf8mb4_bin` is a PAD SPACE collation on both MySQL 8 and MariaDB,
 * where `'a' = 'a '`). 128 characters of UTF-8 need at most 512 bytes.
 */
const ID = "VARBINARY(512)";
/** Idempotency keys: up to 255 characters, at most 1020 bytes of UTF-8. */
const KEY = "VARBINARY(1020)";
/** ISO-8601 UTC timestamps as text: lexicographic order is time order, and the value is exact. */
const TIMESTAMP = "VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin";
/** Vocabulary words (states, checkpoints, audit kinds). */
const WORD = "VARCHAR(32) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin";
/** JSON documents as text: byte-exact on both servers (MariaDB's JSON type is LONGTEXT anyway). */
const DOCUMENT = "LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin";
/** Free text (progress messages, delivery errors): at most 4096 characters, 16 KiB of UTF-8. */
const TEXT = "TEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin";
const TABLE_OPTIONS = "ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin ROW_FORMAT=DYNAMIC";

/**
 * The latest DDL of the adapter as separate statements (each idempotent: `CREATE TABLE IF NOT
 * EXISTS`, indexes declared inline). The schema-version table of `migrate()` is not part of it.
 *
 * @example
 * ```ts
 * for (const statement of mysqlSchemaStatements("crm_")) await connection.query(statement);
 * ```
 */
export function mysqlSchemaStatements(tablePrefix: string = DEFAULT_MYSQL_TABLE_PREFIX): readonly string[] {
  const t = mysqlTableNames(tablePrefix);
  return [
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
  PRIMARY KEY (\`workspace_id\`, \`idempotency_key\`),
  KEY \`created\` (\`created_at\`)
) ${TABLE_OPTIONS}`,
    outboxTableStatement(t.outbox),
    journalTableStatement(t.journal),
  ];
}

/**
 * The outbox journal: the cheapest durable append InnoDB has (one row at the end of the primary
 * key, no secondary key), which is all a commit writes for its entries. Migration 6 of
 * ./migrations.ts creates it.
 */
function journalTableStatement(table: string): string {
  return `CREATE TABLE IF NOT EXISTS \`${table}\` (
  \`seq\` BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  \`entries\` ${DOCUMENT} NOT NULL,
  PRIMARY KEY (\`seq\`)
) ${TABLE_OPTIONS}`;
}

/**
 * The outbox table, with as few secondary keys as its queries need, since a commit's entry goes
 * into every one (InnoDB has no partial indexes). `claim` serves the claim (pending rows read in
 * claim order, so a `LIMIT n ... FOR UPDATE SKIP LOCKED` locks only the rows it reads instead of
 * every due row before a sort), every listing (one branch per status, merged) and the prune;
 * `runs` progress reports, `settleRuns` and `listRunRecords`. `watch_at` (generated: the last
 * report, else the request, of an unsettled `run.requested` row; NULL otherwise) is what
 * `findStaleRuns` reads through `stale`. Migration 5 of ./migrations.ts brought the keys of
 * version 4 (also `listing`, `workspace_listing`, `run`, `draft_runs`) to these.
 */
function outboxTableStatement(table: string): string {
  return `CREATE TABLE IF NOT EXISTS \`${table}\` (
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
  KEY \`stale\` (\`watch_at\`, \`workspace_id\`, \`entry_id\`),
  KEY \`runs\` (\`workspace_id\`, \`draft_id\`, \`run_id\`)
) ${TABLE_OPTIONS}`;
}

/**
 * The latest DDL of the adapter as one plain SQL script (statements end with `;`), for creating a
 * new database with migration tools such as Flyway, Liquibase, Knex or plain `mysql < schema.sql`.
 * Running it twice is harmless. To upgrade an existing database, apply the pending versions of
 * `mysqlMigrationSql` instead.
 *
 * @example
 * ```ts
 * import { writeFileSync } from "node:fs";
 * writeFileSync("V1__onboarding.sql", mysqlSchemaSql("onboarding_"));
 * ```
 */
export function mysqlSchemaSql(tablePrefix: string = DEFAULT_MYSQL_TABLE_PREFIX): string {
  return `${mysqlSchemaStatements(tablePrefix).join(";\n\n")};\n`;
}

/**
 * The statements that remove the adapter's tables, the schema-version table included (tests,
 * uninstall). Never run by `migrate`.
 *
 * @example
 * ```ts
 * for (const statement of mysqlDropSchemaStatements("test_")) await pool.query(statement);
 * ```
 */
export function mysqlDropSchemaStatements(tablePrefix: string = DEFAULT_MYSQL_TABLE_PREFIX): readonly string[] {
  const t = mysqlTableNames(tablePrefix);
  return [t.journal, t.outbox, t.idempotency, t.audit, t.drafts, t.schemaVersion].map(
    (name) => `DROP TABLE IF EXISTS \`${name}\``,
  );
}

/**
 * {@link mysqlDropSchemaStatements} as one SQL script (statements end with `;`; running it in one
 * `query` needs `multipleStatements`).
 *
 * @example
 * ```ts
 * import { writeFileSync } from "node:fs";
 * writeFileSync("drop.sql", mysqlDropSchemaSql("test_"));
 * ```
 */
export function mysqlDropSchemaSql(tablePrefix: string = DEFAULT_MYSQL_TABLE_PREFIX): string {
  return mysqlDropSchemaStatements(tablePrefix)
    .map((statement) => `${statement};\n`)
    .join("");
}
