/**
 * The PostgreSQL tables of the adapter: their names, and the latest schema as plain SQL text and
 * as statements (`CREATE ... IF NOT EXISTS`, for teams with their own migration tool). Both come
 * from the same function. `migrate()` does not run this text: it applies the numbered migrations
 * of ./migrations.ts, whose result a test holds to this same schema.
 *
 * The schema only uses what PostgreSQL-compatible distributed SQL engines (CockroachDB,
 * YugabyteDB) also support: `text`, `integer`, `bigint`, `double precision`, composite primary
 * keys, plain and unique secondary indexes, `IF NOT EXISTS`, and for the outbox table partial and
 * expression indexes (CockroachDB 21.2+, YugabyteDB 2.6+). No sequences, no serial/identity
 * columns, no column collations, no triggers, no extensions. The exception is the outbox journal
 * (migration 7): its autovacuum parameters, and its absorb by `ctid` in ./outbox.ts, are
 * PostgreSQL's own.
 */
import { assertIdentifier } from "../../store/index.js";

/**
 * The default table prefix: tables `onboarding_drafts`, `onboarding_audit`, `onboarding_idempotency`,
 * `onboarding_outbox`.
 */
export const DEFAULT_POSTGRES_TABLE_PREFIX = "onboarding_";

/**
 * The (quoted) names of every table and index the adapter uses for one prefix. Index and
 * constraint names are short (at most 15 characters after the prefix) so that a 48-character
 * prefix still fits PostgreSQL's 63-byte identifier limit without truncation.
 */
export interface PostgresTableNames {
  /** The drafts table (one row per draft, the document plus queryable columns). */
  readonly drafts: string;
  /** The audit table (one row per audit entry, ordered per draft by `(draft_version, seq)`). */
  readonly audit: string;
  /** The idempotency table (one row per (workspace, key)). */
  readonly idempotency: string;
  /** Primary key constraint of the drafts table: `(workspace_id, id)`. */
  readonly draftsPrimaryKey: string;
  /** Unique index enforcing one open draft per (workspace, tenant): `(workspace_id, open_tenant_id)`. */
  readonly openTenantIndex: string;
  /** Index for "drafts in state X" listings: `(workspace_id, state, created_at, id)`. */
  readonly stateIndex: string;
  /** Index for unfiltered listings: `(workspace_id, created_at, id)`. */
  readonly createdIndex: string;
  /** Index for "drafts of a tenant" queries: `(workspace_id, tenant_id)`. */
  readonly tenantIndex: string;
  /** Primary key constraint of the audit table: `(workspace_id, draft_id, draft_version, seq)`. */
  readonly auditPrimaryKey: string;
  /** Primary key constraint of the idempotency table: `(workspace_id, key)`. */
  readonly idempotencyPrimaryKey: string;
  /** Index of the idempotency table on `created_at` (for `pruneIdempotency`). */
  readonly idempotencyCreatedIndex: string;
  /** The outbox table (one row per outbox entry, with its delivery and run-liveness state). */
  readonly outbox: string;
  /**
   * The outbox journal: one row per commit that wrote outbox entries (the entries as JSON text),
   * no index. Outbox operations move its rows into {@link PostgresTableNames.outbox} first.
   */
  readonly outboxJournal: string;
  /** Primary key constraint of the outbox table: `(workspace_id, entry_id)`. */
  readonly outboxPrimaryKey: string;
  /** Partial index of the pending entries in claim order: `(created_at, workspace_id, entry_id, available_at)`. */
  readonly outboxClaimIndex: string;
  /** Partial index of the unsettled `run.requested` records by `coalesce(reported_at, created_at)`. */
  readonly outboxStaleIndex: string;
  /**
   * Partial index of the `run.requested` records (progress reports, run settlement, a draft's run
   * records): `(workspace_id, draft_id, run_id)`.
   */
  readonly outboxRunsIndex: string;
  /** Partial index of the entries no longer pending, for listings by status: `(status, created_at, workspace_id, entry_id)`. */
  readonly outboxDoneIndex: string;
  /** Partial index of the entries no longer pending, for listings of one workspace: `(workspace_id, status, created_at, entry_id)`. */
  readonly outboxWorkspaceDoneIndex: string;
  /** The schema-version table `migrate()` keeps: one row per applied migration (`version`, `name`, `applied_at`, `origin`). */
  readonly schemaVersion: string;
  /** Primary key constraint of the schema-version table: `(version)`. */
  readonly schemaVersionPrimaryKey: string;
}

/** The raw (unquoted) names, used to recognise constraints in driver errors. */
export interface PostgresRawNames {
  /** See {@link PostgresTableNames.draftsPrimaryKey}. */
  readonly draftsPrimaryKey: string;
  /** See {@link PostgresTableNames.openTenantIndex}. */
  readonly openTenantIndex: string;
  /** See {@link PostgresTableNames.auditPrimaryKey}. */
  readonly auditPrimaryKey: string;
  /** See {@link PostgresTableNames.idempotencyPrimaryKey}. */
  readonly idempotencyPrimaryKey: string;
  /** See {@link PostgresTableNames.outboxPrimaryKey}. */
  readonly outboxPrimaryKey: string;
}

function quote(identifier: string): string {
  return `"${identifier}"`;
}

/** @internal The raw constraint names for a (validated) prefix. */
export function postgresRawNames(prefix: string): PostgresRawNames {
  return {
    draftsPrimaryKey: `${prefix}d_pk`,
    openTenantIndex: `${prefix}d_open_tenant`,
    auditPrimaryKey: `${prefix}a_pk`,
    idempotencyPrimaryKey: `${prefix}i_pk`,
    outboxPrimaryKey: `${prefix}o_pk`,
  };
}

/**
 * The quoted table, index and constraint names for a table prefix.
 *
 * @throws {@link onboarding-lifecycle!ConfigurationError} when the prefix is not a plain SQL identifier (see
 * `assertIdentifier`).
 *
 * @example
 * ```ts
 * postgresTableNames("app_").drafts; // "\"app_drafts\""
 * ```
 */
export function postgresTableNames(prefix: string = DEFAULT_POSTGRES_TABLE_PREFIX): PostgresTableNames {
  assertIdentifier(prefix, "tablePrefix");
  const raw = postgresRawNames(prefix);
  return {
    drafts: quote(`${prefix}drafts`),
    audit: quote(`${prefix}audit`),
    idempotency: quote(`${prefix}idempotency`),
    draftsPrimaryKey: quote(raw.draftsPrimaryKey),
    openTenantIndex: quote(raw.openTenantIndex),
    stateIndex: quote(`${prefix}d_state`),
    createdIndex: quote(`${prefix}d_created`),
    tenantIndex: quote(`${prefix}d_tenant`),
    auditPrimaryKey: quote(raw.auditPrimaryKey),
    idempotencyPrimaryKey: quote(raw.idempotencyPrimaryKey),
    idempotencyCreatedIndex: quote(`${prefix}i_created`),
    outbox: quote(`${prefix}outbox`),
    outboxJournal: quote(`${prefix}outbox_journal`),
    outboxPrimaryKey: quote(raw.outboxPrimaryKey),
    outboxClaimIndex: quote(`${prefix}o_claim`),
    outboxStaleIndex: quote(`${prefix}o_stale`),
    outboxRunsIndex: quote(`${prefix}o_runs`),
    outboxDoneIndex: quote(`${prefix}o_done`),
    outboxWorkspaceDoneIndex: quote(`${prefix}o_ws_done`),
    schemaVersion: quote(`${prefix}schema_version`),
    schemaVersionPrimaryKey: quote(`${prefix}v_pk`),
  };
}

/**
 * The latest schema as DDL statements, in order, without trailing semicolons. Every statement is
 * idempotent (`IF NOT EXISTS`). The schema-version table of `migrate()` is not part of it.
 *
 * @throws {@link onboarding-lifecycle!ConfigurationError} when the prefix is not a plain SQL identifier.
 *
 * @example
 * ```ts
 * for (const statement of postgresSchemaStatements("app_")) await client.query(statement);
 * ```
 */
export function postgresSchemaStatements(prefix: string = DEFAULT_POSTGRES_TABLE_PREFIX): readonly string[] {
  const t = postgresTableNames(prefix);
  return [
    `CREATE TABLE IF NOT EXISTS ${t.drafts} (
  workspace_id       text    NOT NULL,
  id                 text    NOT NULL,
  version            integer NOT NULL CHECK (version >= 1),
  state              text    NOT NULL,
  current_checkpoint text    NULL,
  tenant_id          text    NULL,
  open_tenant_id     text    NULL,
  created_at         text    NOT NULL,
  updated_at         text    NOT NULL,
  document           text    NOT NULL,
  CONSTRAINT ${t.draftsPrimaryKey} PRIMARY KEY (workspace_id, id)
)`,
    `CREATE UNIQUE INDEX IF NOT EXISTS ${t.openTenantIndex} ON ${t.drafts} (workspace_id, open_tenant_id)`,
    `CREATE INDEX IF NOT EXISTS ${t.stateIndex} ON ${t.drafts} (workspace_id, state, created_at, id)`,
    `CREATE INDEX IF NOT EXISTS ${t.createdIndex} ON ${t.drafts} (workspace_id, created_at, id)`,
    `CREATE INDEX IF NOT EXISTS ${t.tenantIndex} ON ${t.drafts} (workspace_id, tenant_id)`,
    `CREATE TABLE IF NOT EXISTS ${t.audit} (
  workspace_id     text    NOT NULL,
  draft_id         text    NOT NULL,
  draft_version    integer NOT NULL,
  seq              bigint  NOT NULL,
  event_id         text    NOT NULL,
  kind             text    NOT NULL,
  command_type     text    NOT NULL,
  actor_id         text    NOT NULL,
  at               text    NOT NULL,
  from_version     integer NULL,
  to_version       integer NULL,
  expected_version integer NULL,
  actual_version   integer NULL,
  idempotency_key  text    NULL,
  feedback         text    NULL,
  run_ids          text    NOT NULL,
  capability       text    NULL,
  state            text    NULL,
  CONSTRAINT ${t.auditPrimaryKey} PRIMARY KEY (workspace_id, draft_id, draft_version, seq)
)`,
    `CREATE TABLE IF NOT EXISTS ${t.idempotency} (
  workspace_id text NOT NULL,
  key          text NOT NULL,
  draft_id     text NOT NULL,
  command_type text NOT NULL,
  fingerprint  text NOT NULL,
  created_at   text NOT NULL,
  record       text NOT NULL,
  CONSTRAINT ${t.idempotencyPrimaryKey} PRIMARY KEY (workspace_id, key)
)`,
    `CREATE INDEX IF NOT EXISTS ${t.idempotencyCreatedIndex} ON ${t.idempotency} (created_at)`,
    ...outboxStatements(t),
  ];
}

/**
 * The outbox table and its indexes (migration 5 of ./migrations.ts creates them in a database
 * made before the outbox). Timestamps are `toISOString()` text, like every other timestamp of the adapter. Half-empty pages
 * (`fillfactor = 50`) let a claim's update (lease and attempts, no indexed column) stay on its page
 * as a HOT update, without new index entries: claims get about three times faster.
 */
function outboxStatements(t: PostgresTableNames): readonly string[] {
  return [
    `CREATE TABLE IF NOT EXISTS ${t.outbox} (
  workspace_id           text             NOT NULL,
  entry_id               text             NOT NULL,
  draft_id               text             NOT NULL,
  run_id                 text             NOT NULL,
  kind                   text             NOT NULL,
  checkpoint             text             NOT NULL,
  operation              text             NOT NULL,
  provider_connection_id text             NOT NULL,
  provider_revision      integer          NOT NULL,
  draft_version          integer          NOT NULL,
  event_id               text             NOT NULL,
  created_at             text             NOT NULL,
  status                 text             NOT NULL,
  attempts               integer          NOT NULL,
  available_at           text             NOT NULL,
  lease_owner            text             NULL,
  lease_until            text             NULL,
  last_error             text             NULL,
  delivered_at           text             NULL,
  reported_at            text             NULL,
  progress_message       text             NULL,
  progress_percent       double precision NULL,
  settled_at             text             NULL,
  CONSTRAINT ${t.outboxPrimaryKey} PRIMARY KEY (workspace_id, entry_id)
) WITH (fillfactor = 50)`,
    ...outboxIndexStatements(t),
    outboxJournalStatement(t),
  ];
}

/**
 * @internal The outbox journal (migration 7 of ./migrations.ts adds it). A commit appends one row
 * (its entries as JSON text) to a table with no index at all: the cheapest durable append, where
 * the outbox row and its three or four index entries cost a commit about a sixth of its
 * throughput. Rows live until the next outbox operation moves them (./outbox.ts), so the table is
 * mostly dead tuples: autovacuum runs on it after a fixed number of them (not a fraction of a
 * table that is usually empty), so the "anything to move?" probe does not scan garbage for long.
 */
export function outboxJournalStatement(t: PostgresTableNames): string {
  return `CREATE TABLE IF NOT EXISTS ${t.outboxJournal} (
  entries text NOT NULL
) WITH (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 1000)`;
}

/**
 * @internal The outbox's secondary indexes (migration 6 of ./migrations.ts brings a version-5
 * table to them). Every one but the claim index is partial and keyed for exactly the queries of
 * ./outbox.ts that read by it, so a new entry (pending, and for `run.requested` unsettled) goes
 * into the primary key and two or three of them, not six:
 * - `o_claim` (pending): claims walk it in claim order and stop after `limit` available ones; it
 *   also serves listings of the pending entries;
 * - `o_stale` (unsettled `run.requested`): `findStaleRuns`;
 * - `o_runs` (`run.requested`): `recordRunProgress`, `settleRuns`, `listRunRecords`;
 * - `o_done` / `o_ws_done` (no longer pending, so a commit never writes them): listings of
 *   delivered and dead entries, across workspaces or in one, and `pruneOutbox`.
 */
export function outboxIndexStatements(t: PostgresTableNames): readonly string[] {
  return [
    `CREATE INDEX IF NOT EXISTS ${t.outboxClaimIndex} ON ${t.outbox} (created_at, workspace_id, entry_id, available_at) WHERE status = 'pending'`,
    `CREATE INDEX IF NOT EXISTS ${t.outboxStaleIndex} ON ${t.outbox} ((coalesce(reported_at, created_at)), workspace_id, entry_id) WHERE kind = 'run.requested' AND settled_at IS NULL`,
    `CREATE INDEX IF NOT EXISTS ${t.outboxRunsIndex} ON ${t.outbox} (workspace_id, draft_id, run_id) WHERE kind = 'run.requested'`,
    `CREATE INDEX IF NOT EXISTS ${t.outboxDoneIndex} ON ${t.outbox} (status, created_at, workspace_id, entry_id) WHERE status <> 'pending'`,
    `CREATE INDEX IF NOT EXISTS ${t.outboxWorkspaceDoneIndex} ON ${t.outbox} (workspace_id, status, created_at, entry_id) WHERE status <> 'pending'`,
  ];
}

/**
 * The complete latest DDL of the adapter as one SQL script: {@link postgresSchemaStatements},
 * each terminated by `;`. Feed it to your own migration tool (Flyway, Liquibase, node-pg-migrate,
 * Prisma `migrate diff`, Atlas...) for a new database instead of calling `migrate()`; to upgrade
 * an existing one, apply the pending versions of `postgresMigrationSql` instead.
 *
 * @param prefix the table prefix (default `onboarding_`); validated with `assertIdentifier`.
 * @throws {@link onboarding-lifecycle!ConfigurationError} when the prefix is not a plain SQL identifier.
 *
 * @example
 * ```ts
 * import { writeFileSync } from "node:fs";
 * import { postgresSchemaSql } from "onboarding-lifecycle/adapters/postgres";
 * writeFileSync("migrations/001_onboarding.sql", postgresSchemaSql("onboarding_"));
 * ```
 */
export function postgresSchemaSql(prefix: string = DEFAULT_POSTGRES_TABLE_PREFIX): string {
  return postgresSchemaStatements(prefix)
    .map((statement) => `${statement};\n`)
    .join("\n");
}

/**
 * The statements that drop the adapter's tables, the schema-version table included (indexes go
 * with them). For tests and uninstalls; not run by anything in the package.
 *
 * @param prefix the table prefix; validated with `assertIdentifier`.
 * @throws {@link onboarding-lifecycle!ConfigurationError} when the prefix is not a plain SQL identifier.
 *
 * @example
 * ```ts
 * for (const statement of postgresDropSchemaStatements("test_")) await pool.query(statement);
 * ```
 */
export function postgresDropSchemaStatements(prefix: string = DEFAULT_POSTGRES_TABLE_PREFIX): readonly string[] {
  const t = postgresTableNames(prefix);
  return [t.outboxJournal, t.outbox, t.idempotency, t.audit, t.drafts, t.schemaVersion].map(
    (name) => `DROP TABLE IF EXISTS ${name}`,
  );
}

/**
 * {@link postgresDropSchemaStatements} as one SQL script.
 *
 * @param prefix the table prefix; validated with `assertIdentifier`.
 * @throws {@link onboarding-lifecycle!ConfigurationError} when the prefix is not a plain SQL identifier.
 *
 * @example
 * ```ts
 * await pool.query(postgresDropSchemaSql("test_"));
 * ```
 */
export function postgresDropSchemaSql(prefix: string = DEFAULT_POSTGRES_TABLE_PREFIX): string {
  return postgresDropSchemaStatements(prefix)
    .map((statement) => `${statement};\n`)
    .join("");
}
