/**
 * adapters/postgres/migrations.ts — the numbered migrations of the PostgreSQL schema and the
 * runner behind `migratePostgres()` / `store.migrate()`.
 *
 * Each migration is frozen SQL text: what a release created stays what it was, and every later
 * change is a new number (`postgresSchemaSql()` in schema.ts is the resulting latest schema, and
 * a test holds the two to the same catalog). The history, reconstructed from the unversioned
 * `migrate()` of earlier commits so that databases they created are recognised:
 *
 * 1. `base_tables`: drafts (with the per-draft `audit_seq` counter of the first layout), its four
 *    indexes, audit ordered by `position`, idempotency;
 * 2. `audit_order`: audit keyed by `(draft_version, seq)` instead of a position reserved on the
 *    draft row (rows keep their order), `audit_seq` dropped;
 * 3. `idempotency_created_index`: the index `pruneIdempotency` deletes by;
 * 4. `audit_run_ids`: `run_ids` (a JSON array) replaces the comma-joined `run_id`;
 * 5. `outbox`: the outbox table of background runs and its indexes;
 * 6. `outbox_partial_indexes`: the outbox's secondary indexes partial and fewer (a new entry goes
 *    into three or four indexes instead of seven), so the outbox write costs a commit less;
 * 7. `outbox_journal`: the index-less journal a commit appends its outbox entries to, moved into
 *    the outbox by its operations (entries already in the outbox stay as they are).
 *
 * Concurrency: one connection holds `pg_advisory_lock(key)` (a 64-bit key derived from the table
 * prefix) for the whole run, and each migration runs in its own transaction together with its row
 * in `<prefix>schema_version` (PostgreSQL's DDL is transactional), so a crash leaves a migration
 * either applied and recorded or not at all. Inside a caller's transaction the lock is
 * `pg_advisory_xact_lock` and nothing is committed. Engines whose advisory locks are stubs
 * (CockroachDB) still cannot record a version twice: the loser's transaction fails or finds the
 * row, rolls back and reports the migration as applied by the other.
 *
 * May import: store/ (migration helpers, the error wrapper), record/ (errors), ./schema.js, and
 * `pg` for types only.
 */
import { ConfigurationError } from "../../record/index.js";
import {
  assertApplied,
  detectBaseline,
  currentFromRecorded,
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
import { DEFAULT_POSTGRES_TABLE_PREFIX, postgresTableNames, type PostgresTableNames } from "./schema.js";

const ADAPTER = "postgres";
const DEFAULT_LOCK_TIMEOUT_MS = 60_000;

/** The result of one statement, as far as the migrations read it. */
export interface PostgresMigrateQueryResult {
  /** The rows returned (objects keyed by column name). */
  readonly rows: readonly unknown[];
}

/** A connection the migrations run on: a `pg.Client`, or a `PoolClient` you checked out. */
export interface PostgresMigrateConnection {
  /** Runs one statement with optional `$n` parameters. */
  query(text: string, values?: unknown[]): Promise<PostgresMigrateQueryResult>;
}

/** A client checked out of a pool (`PoolClient`). */
export interface PostgresMigratePoolClient extends PostgresMigrateConnection {
  /** Hands the client back to its pool; `true` (or an error) destroys it instead. */
  release(destroy?: boolean | Error): void;
}

/** A `pg.Pool`: the migrations check out one client and hold the lock on it for the whole run. */
export interface PostgresMigratePool extends PostgresMigrateConnection {
  /** Checks out a client. */
  connect(): Promise<PostgresMigratePoolClient>;
  /** The pool's client count: how a pool is told from a client, whose `connect()` opens itself. */
  readonly totalCount: number;
}

/**
 * What {@link migratePostgres} and {@link postgresSchemaStatus} run on: a `pg.Pool` (one client is
 * checked out and the advisory lock held on it) or a connected client (`pg.Client`, a `PoolClient`).
 */
export type PostgresMigrateTarget = PostgresMigratePool | PostgresMigrateConnection;

/** Options of {@link migratePostgres}: the shared {@link MigrateOptions} plus PostgreSQL's own. */
export interface PostgresMigrateOptions extends MigrateOptions {
  /**
   * Whether the target is a client inside a transaction of the caller: then the lock is
   * `pg_advisory_xact_lock` (released by your COMMIT or ROLLBACK), nothing is committed here, and a
   * failure aborts your transaction. Default `false`.
   */
  readonly inTransaction?: boolean;
  /**
   * How long to wait for another process's migration to finish (the advisory lock), in
   * milliseconds. Default 60000. Not used with `inTransaction` (your session's `lock_timeout`
   * applies).
   */
  readonly lockTimeoutMs?: number;
}

/** Options of {@link postgresSchemaStatus}. */
export interface PostgresSchemaStatusOptions {
  /** The table prefix (default `onboarding_`). */
  readonly tablePrefix?: string;
}

function bare(quoted: string): string {
  return quoted.slice(1, -1);
}

/** The `<prefix>schema_version` table (quoted) and its primary key. */
function versionTable(prefix: string): { readonly table: string; readonly primaryKey: string } {
  const t = postgresTableNames(prefix);
  return { table: t.schemaVersion, primaryKey: t.schemaVersionPrimaryKey };
}

/** The first layout (tables, their first indexes): the DDL of the first commit, as it ran. */
function baseTables(t: PostgresTableNames): MigrationStep<CatalogSnapshot> {
  return {
    version: 1,
    name: "base_tables",
    rerunnable: true,
    statements: [
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
  audit_seq          bigint  NOT NULL DEFAULT 0,
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
  position         bigint  NOT NULL,
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
  run_id           text    NULL,
  capability       text    NULL,
  state            text    NULL,
  CONSTRAINT ${t.auditPrimaryKey} PRIMARY KEY (workspace_id, draft_id, position)
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
    ],
    missing: (s) => [
      ...missingShape(s, bare(t.drafts), {
        indexes: [t.openTenantIndex, t.stateIndex, t.createdIndex, t.tenantIndex].map(bare),
      }),
      ...missingShape(s, bare(t.audit)),
      ...missingShape(s, bare(t.idempotency)),
    ],
  };
}

/**
 * Audit rows keyed by `(draft_version, seq)`. An old row's `draft_version` is the draft's version
 * when it was appended (the highest `to_version` at or before its position, 0 before the draft
 * existed) and its `seq` its position: positions grow per draft and so does that version, so the
 * new order is the old one, and new entries (a higher version, or a clock-based `seq` far above
 * any position) sort after every old one.
 */
function auditOrder(t: PostgresTableNames): MigrationStep<CatalogSnapshot> {
  return {
    version: 2,
    name: "audit_order",
    rerunnable: false,
    statements: [
      `ALTER TABLE ${t.audit} ADD COLUMN draft_version integer NULL, ADD COLUMN seq bigint NULL`,
      `UPDATE ${t.audit} AS a SET draft_version = o.observed, seq = a.position
FROM (
  SELECT workspace_id, draft_id, position,
    coalesce(max(to_version) OVER (PARTITION BY workspace_id, draft_id ORDER BY position ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW), 0) AS observed
  FROM ${t.audit}
) AS o
WHERE a.workspace_id = o.workspace_id AND a.draft_id = o.draft_id AND a.position = o.position`,
      `ALTER TABLE ${t.audit} ALTER COLUMN draft_version SET NOT NULL, ALTER COLUMN seq SET NOT NULL`,
      `ALTER TABLE ${t.audit} DROP CONSTRAINT ${t.auditPrimaryKey}`,
      `ALTER TABLE ${t.audit} ADD CONSTRAINT ${t.auditPrimaryKey} PRIMARY KEY (workspace_id, draft_id, draft_version, seq)`,
      `ALTER TABLE ${t.audit} DROP COLUMN position`,
      `ALTER TABLE ${t.drafts} DROP COLUMN audit_seq`,
    ],
    missing: (s) => [
      ...missingShape(s, bare(t.audit), { columns: ["draft_version", "seq"], without: ["position"] }),
      ...missingShape(s, bare(t.drafts), { without: ["audit_seq"] }),
    ],
  };
}

function idempotencyCreatedIndex(t: PostgresTableNames): MigrationStep<CatalogSnapshot> {
  return {
    version: 3,
    name: "idempotency_created_index",
    rerunnable: true,
    statements: [`CREATE INDEX IF NOT EXISTS ${t.idempotencyCreatedIndex} ON ${t.idempotency} (created_at)`],
    missing: (s) => missingShape(s, bare(t.idempotency), { indexes: [bare(t.idempotencyCreatedIndex)] }),
  };
}

/** `run_ids` (JSON text) from the comma-joined `run_id`: the split the old writer's join undoes. */
function auditRunIds(t: PostgresTableNames): MigrationStep<CatalogSnapshot> {
  return {
    version: 4,
    name: "audit_run_ids",
    rerunnable: false,
    statements: [
      `ALTER TABLE ${t.audit} ADD COLUMN run_ids text NOT NULL DEFAULT '[]'`,
      `UPDATE ${t.audit} SET run_ids = to_jsonb(string_to_array(run_id, ','))::text WHERE run_id IS NOT NULL`,
      `ALTER TABLE ${t.audit} ALTER COLUMN run_ids DROP DEFAULT`,
      `ALTER TABLE ${t.audit} DROP COLUMN run_id`,
    ],
    missing: (s) => missingShape(s, bare(t.audit), { columns: ["run_ids"], without: ["run_id"] }),
  };
}

/** The outbox indexes of version 5 that version 6 replaces (no longer in `PostgresTableNames`). */
function legacyOutboxIndexes(t: PostgresTableNames): {
  readonly run: string;
  readonly draft: string;
  readonly status: string;
  readonly workspace: string;
} {
  const prefix = bare(t.outbox).slice(0, -"outbox".length);
  return {
    run: `"${prefix}o_run"`,
    draft: `"${prefix}o_draft"`,
    status: `"${prefix}o_status"`,
    workspace: `"${prefix}o_workspace"`,
  };
}

/** The indexes version 6 adds. */
function partialOutboxIndexes(t: PostgresTableNames): readonly string[] {
  return [t.outboxRunsIndex, t.outboxDoneIndex, t.outboxWorkspaceDoneIndex];
}

/**
 * The outbox of background runs: one migration, its table and indexes as first released. The
 * closing `SET (fillfactor = 50)` is for tables created by the one commit that lacked it; on any
 * other it changes nothing.
 */
function outbox(t: PostgresTableNames): MigrationStep<CatalogSnapshot> {
  const legacy = legacyOutboxIndexes(t);
  const indexes = [t.outboxClaimIndex, t.outboxStaleIndex, legacy.run, legacy.draft, legacy.status, legacy.workspace];
  return {
    version: 5,
    name: "outbox",
    rerunnable: true,
    statements: [
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
      `CREATE INDEX IF NOT EXISTS ${t.outboxClaimIndex} ON ${t.outbox} (created_at, workspace_id, entry_id, available_at) WHERE status = 'pending'`,
      `CREATE INDEX IF NOT EXISTS ${t.outboxStaleIndex} ON ${t.outbox} ((coalesce(reported_at, created_at)), workspace_id, entry_id) WHERE kind = 'run.requested' AND settled_at IS NULL`,
      `CREATE INDEX IF NOT EXISTS ${legacy.run} ON ${t.outbox} (workspace_id, run_id)`,
      `CREATE INDEX IF NOT EXISTS ${legacy.draft} ON ${t.outbox} (workspace_id, draft_id, created_at, entry_id)`,
      `CREATE INDEX IF NOT EXISTS ${legacy.status} ON ${t.outbox} (status, created_at, workspace_id, entry_id)`,
      `CREATE INDEX IF NOT EXISTS ${legacy.workspace} ON ${t.outbox} (workspace_id, created_at, entry_id)`,
      `ALTER TABLE ${t.outbox} SET (fillfactor = 50)`,
    ],
    // A database that already has version 6's indexes (made from `postgresSchemaSql()` of a later
    // release, without a schema-version table) has this version's table in place too.
    missing: (s) => [
      ...(missingShape(s, bare(t.outbox), { indexes: partialOutboxIndexes(t).map(bare) }).length === 0
        ? []
        : missingShape(s, bare(t.outbox), { indexes: indexes.map(bare) })),
      ...(s.tables.has(bare(t.outbox)) && !s.facts.has("outbox:fillfactor=50")
        ? [`fillfactor 50 on ${bare(t.outbox)}`]
        : []),
    ],
  };
}

/**
 * Version 6: the outbox's secondary indexes partial and keyed for exactly the queries that read
 * by them (see `outboxIndexStatements` in ./schema.ts). The four plain indexes every new entry
 * went into go; `o_runs` (`run.requested` only), `o_done` and `o_ws_done` (entries no longer
 * pending, which a commit never writes) replace them. `o_claim` and `o_stale` stay as they were.
 */
function outboxPartialIndexes(t: PostgresTableNames): MigrationStep<CatalogSnapshot> {
  const legacy = legacyOutboxIndexes(t);
  const dropped = [legacy.run, legacy.draft, legacy.status, legacy.workspace];
  return {
    version: 6,
    name: "outbox_partial_indexes",
    rerunnable: true,
    statements: [
      `CREATE INDEX IF NOT EXISTS ${t.outboxRunsIndex} ON ${t.outbox} (workspace_id, draft_id, run_id) WHERE kind = 'run.requested'`,
      `CREATE INDEX IF NOT EXISTS ${t.outboxDoneIndex} ON ${t.outbox} (status, created_at, workspace_id, entry_id) WHERE status <> 'pending'`,
      `CREATE INDEX IF NOT EXISTS ${t.outboxWorkspaceDoneIndex} ON ${t.outbox} (workspace_id, status, created_at, entry_id) WHERE status <> 'pending'`,
      ...dropped.map((index) => `DROP INDEX IF EXISTS ${index}`),
    ],
    missing: (s) =>
      missingShape(s, bare(t.outbox), {
        indexes: partialOutboxIndexes(t).map(bare),
        withoutIndexes: dropped.map(bare),
      }),
  };
}

/**
 * Version 7: the outbox journal (see `outboxJournalStatement` in ./schema.ts). Nothing moves:
 * the outbox's rows stay valid, and the journal starts empty.
 */
function outboxJournal(t: PostgresTableNames): MigrationStep<CatalogSnapshot> {
  return {
    version: 7,
    name: "outbox_journal",
    rerunnable: true,
    statements: [
      `CREATE TABLE IF NOT EXISTS ${t.outboxJournal} (
  entries text NOT NULL
) WITH (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 1000)`,
    ],
    missing: (s) => missingShape(s, bare(t.outboxJournal), { columns: ["entries"] }),
  };
}

/** @internal Every migration of a (validated) prefix, with the checks that recognise it. */
function postgresSteps(prefix: string): readonly MigrationStep<CatalogSnapshot>[] {
  const t = postgresTableNames(prefix);
  return [
    baseTables(t),
    auditOrder(t),
    idempotencyCreatedIndex(t),
    auditRunIds(t),
    outbox(t),
    outboxPartialIndexes(t),
    outboxJournal(t),
  ];
}

/**
 * The numbered migrations of the PostgreSQL schema for a table prefix, oldest first: what
 * `migrate()` applies to bring a database from any earlier version to the latest. For teams
 * with their own migration tool: apply them in order, one file each ({@link postgresMigrationSql}).
 *
 * @throws {@link onboarding-lifecycle!ConfigurationError} when the prefix is not a plain SQL identifier.
 *
 * @example
 * ```ts
 * import { writeFileSync } from "node:fs";
 * import { postgresMigrationSql, postgresMigrations } from "onboarding-lifecycle/adapters/postgres";
 * for (const { version, name } of postgresMigrations("app_")) {
 *   writeFileSync(`migrations/V${version}__onboarding_${name}.sql`, postgresMigrationSql(version, "app_"));
 * }
 * ```
 */
export function postgresMigrations(prefix: string = DEFAULT_POSTGRES_TABLE_PREFIX): readonly SchemaMigration[] {
  return publicMigrations(postgresSteps(prefix));
}

/**
 * One migration as a plain SQL script (a comment naming it, then its statements, each ended by
 * `;`). It does not touch `<prefix>schema_version`: a database migrated only by your own tool is
 * recognised by its tables the first time `migrate()` runs on it.
 *
 * @param version 1 ..the latest (`postgresMigrations().length`).
 * @param prefix the table prefix (default `onboarding_`).
 * @throws {@link onboarding-lifecycle!ConfigurationError} for an unknown version or an invalid prefix.
 *
 * @example
 * ```ts
 * console.log(postgresMigrationSql(5)); // the outbox table and its indexes
 * ```
 */
export function postgresMigrationSql(version: number, prefix: string = DEFAULT_POSTGRES_TABLE_PREFIX): string {
  return migrationScript(ADAPTER, stepOf(postgresSteps(prefix), version));
}

/** The advisory-lock key of a prefix: FNV-1a (64-bit) of a fixed namespace and the prefix, as a signed bigint. */
function lockKey(prefix: string): string {
  let hash = 0xcbf29ce484222325n;
  for (const byte of new TextEncoder().encode(`onboarding-lifecycle:migrate:${prefix}`)) {
    hash = BigInt.asUintN(64, (hash ^ BigInt(byte)) * 0x100000001b3n);
  }
  return BigInt.asIntN(64, hash).toString();
}

function sqlState(error: unknown): unknown {
  return (error as { code?: unknown } | null)?.code;
}

/** Rows of a result, typed as the caller expects them (the catalog's own queries). */
function rowsOf<Row>(result: PostgresMigrateQueryResult): readonly Row[] {
  return result.rows as readonly Row[];
}

/** The catalog of a prefix's tables in the current schema: columns, indexes and the outbox's fill factor. */
async function snapshot(client: PostgresMigrateConnection, prefix: string): Promise<CatalogSnapshot> {
  const t = postgresTableNames(prefix);
  const names = [t.drafts, t.audit, t.idempotency, t.outbox, t.outboxJournal, versionTable(prefix).table].map(bare);
  const columns = rowsOf<{ table_name: string; column_name: string }>(
    await client.query(
      "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = ANY($1::text[])",
      [names],
    ),
  );
  const indexes = rowsOf<{ tablename: string; indexname: string }>(
    await client.query(
      "SELECT tablename, indexname FROM pg_indexes WHERE schemaname = current_schema() AND tablename = ANY($1::text[])",
      [names],
    ),
  );
  const options = rowsOf<{ options: string | null }>(
    await client.query(
      `SELECT array_to_string(c.reloptions, ',') AS options FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = current_schema() AND c.relname = $1`,
      [bare(t.outbox)],
    ),
  );
  const tables = new Map<string, Set<string>>();
  for (const row of columns) tables.set(row.table_name, (tables.get(row.table_name) ?? new Set()).add(row.column_name));
  const facts = new Set<string>();
  if ((options[0]?.options ?? "").split(",").includes("fillfactor=50")) facts.add("outbox:fillfactor=50");
  return { tables, indexes: new Set(indexes.map((row) => `${row.tablename}.${row.indexname}`)), facts };
}

/** The current version: recorded, or (no rows) found by inspecting the catalog. */
async function inspect(
  client: PostgresMigrateConnection,
  steps: readonly MigrationStep<CatalogSnapshot>[],
  context: MigrationContext,
): Promise<InspectedVersion> {
  const catalog = await snapshot(client, context.tablePrefix);
  const { table } = versionTable(context.tablePrefix);
  if (catalog.tables.has(bare(table))) {
    const rows = rowsOf<{ version: number }>(await client.query(`SELECT version FROM ${table}`));
    const recorded = rows.map((row) => Number(row.version));
    if (recorded.length > 0) return { current: currentFromRecorded(recorded, steps.length, context), detected: false };
  }
  return { current: detectBaseline(steps, catalog, context), detected: true };
}

/** Runs DDL that may race with another process's `CREATE ... IF NOT EXISTS` on the catalog (without a working lock). */
async function racingDdl(client: PostgresMigrateConnection, statement: string, inTransaction: boolean): Promise<void> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      await client.query(statement);
      return;
    } catch (error) {
      const state = sqlState(error);
      // unique_violation / duplicate_table / duplicate_object on the catalog, or a serialization failure / deadlock
      const raced =
        state === "23505" || state === "42P07" || state === "42710" || state === "40001" || state === "40P01";
      if (!raced || attempt >= 5 || inTransaction) throw error;
      await new Promise((resolve) => setTimeout(resolve, 10 * attempt));
    }
  }
}

/** The runner's view of one connection (see `runMigrations`). */
function session(
  client: PostgresMigrateConnection,
  steps: readonly MigrationStep<CatalogSnapshot>[],
  context: MigrationContext,
  inTransaction: boolean,
): MigrationSession {
  const { table, primaryKey } = versionTable(context.tablePrefix);
  const record = (migration: SchemaMigration, origin: "migrate" | "detected") =>
    client.query(
      `INSERT INTO ${table} (version, name, applied_at, origin) VALUES ($1, $2, $3, $4) ON CONFLICT (version) DO NOTHING RETURNING version`,
      [migration.version, migration.name, new Date().toISOString(), origin],
    );
  const recordedNow = async (version: number): Promise<boolean> =>
    (await client.query(`SELECT 1 FROM ${table} WHERE version = $1`, [version])).rows.length > 0;
  return {
    inspect: () => inspect(client, steps, context),
    async prepare() {
      await racingDdl(
        client,
        `CREATE TABLE IF NOT EXISTS ${table} (
  version    integer NOT NULL,
  name       text    NOT NULL,
  applied_at text    NOT NULL,
  origin     text    NOT NULL,
  CONSTRAINT ${primaryKey} PRIMARY KEY (version)
)`,
        inTransaction,
      );
    },
    async recordBaseline(migrations: readonly SchemaMigration[]) {
      for (const migration of migrations) await record(migration, "detected");
    },
    async apply(migration: SchemaMigration): Promise<boolean> {
      const applyStatements = async () => {
        for (const statement of migration.statements) await client.query(statement);
        const step = stepOf(steps, migration.version);
        assertApplied(step, await snapshot(client, context.tablePrefix), context, steps.length);
      };
      if (inTransaction) {
        await applyStatements();
        return (await record(migration, "migrate")).rows.length > 0;
      }
      await client.query("BEGIN");
      try {
        await applyStatements();
        const won = (await record(migration, "migrate")).rows.length > 0;
        await client.query(won ? "COMMIT" : "ROLLBACK");
        return won;
      } catch (error) {
        await client.query("ROLLBACK");
        // Without a working lock another migrator may have applied it first: then this one lost.
        if (await recordedNow(migration.version)) return false;
        throw error;
      }
    },
  };
}

/** The lock wait ran out; `lock_timeout` is already restored, so the client may be reused. */
class LockWaitTimeout extends Error {}

/** Takes the session advisory lock, waiting at most `timeoutMs`, and leaves `lock_timeout` as it was. */
async function lock(client: PostgresMigrateConnection, key: string, timeoutMs: number, prefix: string): Promise<void> {
  const previous = rowsOf<{ value: string }>(await client.query("SELECT current_setting('lock_timeout') AS value"))[0];
  await client.query("SELECT set_config('lock_timeout', $1, false)", [`${timeoutMs}ms`]);
  try {
    await client.query("SELECT pg_advisory_lock($1::bigint)", [key]);
  } catch (error) {
    if (sqlState(error) === "55P03") {
      throw new LockWaitTimeout(
        `timed out after ${timeoutMs} ms waiting for the migration lock of "${prefix}" (another process is migrating)`,
        { cause: error },
      );
    }
    throw error;
  } finally {
    await client.query("SELECT set_config('lock_timeout', $1, false)", [previous?.value ?? "0"]);
  }
}

function isPool(target: PostgresMigrateTarget): target is PostgresMigratePool {
  return typeof (target as Partial<PostgresMigratePool>).totalCount === "number" && "connect" in target;
}

function lockTimeout(value: number | undefined): number {
  if (value === undefined) return DEFAULT_LOCK_TIMEOUT_MS;
  if (!Number.isInteger(value) || value < 1 || value > 2_147_483_647) {
    throw new ConfigurationError("lockTimeoutMs", `lockTimeoutMs must be a positive integer, got ${String(value)}`);
  }
  return value;
}

/**
 * Brings the schema of a table prefix to the latest version (or to `to`), applying each pending
 * migration in its own transaction and recording it in `<prefix>schema_version`. A database made
 * by the unversioned `migrate()` of an earlier release is recognised by its tables and recorded at
 * the version it matches first. Safe to run from several processes at once: they wait for each
 * other on an advisory lock (see the module notes). The same as `store.migrate()`.
 *
 * @returns from which version to which, and the migrations this call applied.
 * @throws {@link onboarding-lifecycle!SchemaVersionError} when the database is newer than the
 *   package or its schema matches no release (nothing is changed).
 * @throws {@link onboarding-lifecycle!ConfigurationError} for an invalid prefix, `to` or `lockTimeoutMs`.
 * @throws {@link onboarding-lifecycle!StoreError} when the server refuses a statement or the lock
 *   wait times out (the failed migration is rolled back).
 *
 * @example
 * ```ts
 * const { from, to, applied } = await migratePostgres(pool, { tablePrefix: "app_" });
 * console.log(`schema ${from} -> ${to}`, applied.map((m) => m.name));
 * const plan = await migratePostgres(pool, { tablePrefix: "app_", dryRun: true }); // changes nothing
 * ```
 */
export async function migratePostgres(
  target: PostgresMigrateTarget,
  options: PostgresMigrateOptions = {},
): Promise<MigrateResult> {
  const prefix = options.tablePrefix ?? DEFAULT_POSTGRES_TABLE_PREFIX;
  const steps = postgresSteps(prefix);
  targetVersion(options.to, steps.length);
  const timeoutMs = lockTimeout(options.lockTimeoutMs);
  const inTransaction = options.inTransaction === true;
  const context = { adapter: ADAPTER, tablePrefix: prefix };
  if (inTransaction && isPool(target)) {
    throw new ConfigurationError(
      "inTransaction",
      "inTransaction needs the client your transaction runs on, not a pool",
    );
  }
  return wrapStoreErrors(ADAPTER, "migrate", async () => {
    if (options.dryRun === true) return runMigrations(session(target, steps, context, false), steps, options);
    if (inTransaction) {
      await target.query("SELECT pg_advisory_xact_lock($1::bigint)", [lockKey(prefix)]);
      return runMigrations(session(target, steps, context, true), steps, options);
    }
    const client = isPool(target) ? await target.connect() : target;
    // A client whose unlock failed may still hold the lock: it is destroyed, never pooled again.
    const release = (destroy: boolean): void => {
      if (client !== target) (client as PostgresMigratePoolClient).release(destroy);
    };
    const key = lockKey(prefix);
    try {
      await lock(client, key, timeoutMs, prefix);
    } catch (error) {
      release(!(error instanceof LockWaitTimeout));
      throw error;
    }
    let outcome: { readonly value: MigrateResult } | { readonly error: unknown };
    try {
      outcome = { value: await runMigrations(session(client, steps, context, false), steps, options) };
    } catch (error) {
      outcome = { error };
    }
    try {
      await client.query("SELECT pg_advisory_unlock($1::bigint)", [key]);
    } catch (unlockError) {
      release(true);
      throw "error" in outcome ? outcome.error : unlockError;
    }
    release(false);
    if ("error" in outcome) throw outcome.error;
    return outcome.value;
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
 * const { current, latest, pending } = await postgresSchemaStatus(pool, { tablePrefix: "app_" });
 * if (pending.length > 0) console.log(`schema ${current} of ${latest}: run migrate`);
 * ```
 */
export async function postgresSchemaStatus(
  target: PostgresMigrateTarget,
  options: PostgresSchemaStatusOptions = {},
): Promise<SchemaStatus> {
  const prefix = options.tablePrefix ?? DEFAULT_POSTGRES_TABLE_PREFIX;
  const steps = postgresSteps(prefix);
  return wrapStoreErrors(ADAPTER, "schemaStatus", async () => {
    const { current } = await inspect(target, steps, { adapter: ADAPTER, tablePrefix: prefix });
    return statusOf(steps, current);
  });
}
