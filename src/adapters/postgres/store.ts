/**
 * The PostgreSQL implementation of the `DraftStore` port.
 *
 * Every write is ONE SQL statement built from data-modifying CTEs, so it is atomic on its own
 * (no BEGIN/COMMIT round trips) and works unchanged on PostgreSQL-compatible distributed SQL:
 * - `commit`: a version-checked `UPDATE ... WHERE workspace_id = $ AND id = $ AND version = $`,
 *   then `INSERT ... SELECT ... FROM updated` for the audit rows, the idempotency row and the
 *   outbox journal row (./outbox.ts), so those inserts only happen when the update matched. A unique violation (open-draft index,
 *   idempotency key) fails the whole statement: nothing is written. When the update matched
 *   nothing, the same statement reads the latest committed row under its lock, recognises a
 *   re-send of a write that already applied, writes the engine's `conflict` entry
 *   (`CommitInput.conflict`) and reads the writer of the current version by key: a conflict
 *   costs one round trip (two when the winner committed while the statement waited for the lock).
 * - `appendConflict`: the conflict entry of a conflict seen on a load, and the writer of the
 *   version it observed, in one statement.
 * - `insert`: `INSERT ... ON CONFLICT (workspace_id, id) DO NOTHING` plus the same gated inserts.
 * - `appendAudit`: one `INSERT ... SELECT` that reads the draft's current version (no lock).
 *
 * Audit order needs no sequence (sequences on distributed SQL are cached per session or node and
 * do not give append order): each row is keyed by `(draft_version, seq)`. Entries written with a
 * commit or insert carry the version they produced and `seq` 0..n-1, so they are in version order
 * by construction (the compare-and-set makes each version unique). Entries that change no record
 * (`conflict`, `denied`) carry the version they observed and a `seq` from the server clock in
 * microseconds (x1000, plus their index), which sorts them after the commit they observed and
 * before any commit that completed after they were appended.
 */
import type * as PgModule from "pg";
import type { ClientBase, Pool, PoolConfig, QueryResult, QueryResultRow } from "pg";
import {
  ConfigurationError,
  type AuditEvent,
  type IdempotencyRecord,
  type OnboardingDraft,
} from "../../record/index.js";
import { encodeDraft } from "../../lifecycle/index.js";
import {
  assertIdentifier,
  encodeCursor,
  listCursor,
  auditKeyParts,
  readAuditPage,
  storeWrite,
  unlessApplied,
  type WriteAttempt,
  openTenantOf,
  type CommitInput,
  type DraftStore,
  type InsertInput,
  type ListOptions,
  type ListPage,
  type StoredDraft,
  type StoredChange,
  type WriteResult,
  parseStoredJson,
  idempotencyCutoff,
  auditEventFromRow,
  wrapStoreErrors,
  loadDriver,
  databaseNameOf,
  prefixedCollections,
  type SqlAuditRow,
  type OutboxStore,
  type StoreAdmin,
  type MigrateResult,
  type SchemaStatus,
  type StoreMigrateOptions,
} from "../../store/index.js";
import { checkOutboxEntries, journalInsert, postgresOutboxMethods } from "./outbox.js";
import { migratePostgres, postgresSchemaStatus, type PostgresMigrateTarget } from "./migrations.js";
import { postgresAdmin } from "./admin.js";
import {
  DEFAULT_POSTGRES_TABLE_PREFIX,
  postgresRawNames,
  postgresTableNames,
  type PostgresRawNames,
  type PostgresTableNames,
} from "./schema.js";

const ADAPTER = "postgres";
const SAVEPOINT = "onboarding_lifecycle_write";

/** Options shared by every way of giving the adapter a connection. */
export interface PostgresStoreBaseOptions {
  /**
   * Prefix of the three table names (`<prefix>drafts`, `<prefix>audit`, `<prefix>idempotency`).
   * Default `onboarding_`. Must match `^[A-Za-z_][A-Za-z0-9_]{0,47}$`.
   */
  readonly tablePrefix?: string;
  /**
   * How many times a write that failed with a transient error (`40001` serialization failure,
   * `40P01` deadlock, two audit entries of one draft stamped in the same microsecond) is attempted in total, outside a
   * caller's transaction. Default 5. Inside a joined transaction nothing is retried: the caller
   * owns the transaction and must retry it as a whole.
   */
  readonly maxAttempts?: number;
  /**
   * Run the adapter's statements as named prepared statements (parsed and planned once per
   * connection). Default `true`. Set `false` behind a connection pooler that does not support
   * protocol-level prepared statements (PgBouncer in transaction mode before 1.21, or without
   * `max_prepared_statements`).
   */
  readonly preparedStatements?: boolean;
}

/** Use a `pg.Pool` you own: every statement runs on its own pooled connection, in autocommit. */
export interface PostgresPoolOptions extends PostgresStoreBaseOptions {
  /** The pool. The adapter never ends it (`close()` is a no-op). */
  readonly pool: Pool;
  /** Not with `pool`. */
  readonly client?: never;
  /** Not with `pool`. */
  readonly connection?: never;
  /** Not with `pool`. */
  readonly inTransaction?: never;
}

/**
 * Use one connected client you own (`pg.Client` or a `PoolClient` you checked out).
 *
 * With `inTransaction: true` the client is inside a transaction you opened (`BEGIN`): the adapter
 * never issues `BEGIN`, `COMMIT` or `ROLLBACK` and wraps each write in a `SAVEPOINT`, so a rejected
 * write (version conflict, unique violation) leaves your transaction usable, and rolling your
 * transaction back rolls the adapter's writes back too.
 */
export interface PostgresClientOptions extends PostgresStoreBaseOptions {
  /** The client. The adapter never releases or ends it. */
  readonly client: ClientBase;
  /** `true` when `client` is inside a transaction the caller opened. Default `false`. */
  readonly inTransaction?: boolean;
  /** Not with `client`. */
  readonly pool?: never;
  /** Not with `client`. */
  readonly connection?: never;
}

/**
 * Let the adapter open its own `pg.Pool` (loaded with a dynamic `import("pg")` on first use);
 * `close()` ends it, and every call after `close()` rejects with `StoreError`.
 */
export interface PostgresConnectionOptions extends PostgresStoreBaseOptions {
  /** A connection string (`postgres://user@127.0.0.1:5432/db`) or a full `pg` pool config. */
  readonly connection: string | PoolConfig;
  /**
   * Called when an IDLE pooled connection fails (the server restarted or failed over, an idle
   * timeout or `pg_terminate_backend` closed it). Such an error is no failed operation: the pool
   * drops the connection and the next call opens a new one. Without this option the error is
   * ignored (the adapter always listens, so it never becomes an unhandled `'error'` event that
   * ends the process). Use it to log. An exception thrown by the callback is ignored.
   */
  readonly onError?: (error: Error) => void;
  /** Not with `connection`. */
  readonly pool?: never;
  /** Not with `connection`. */
  readonly client?: never;
  /** Not with `connection`. */
  readonly inTransaction?: never;
}

/** Options of {@link createPostgresStore}: exactly one of `pool`, `client` or `connection`. */
export type PostgresStoreOptions = PostgresPoolOptions | PostgresClientOptions | PostgresConnectionOptions;

/**
 * A `DraftStore` backed by PostgreSQL (or a PostgreSQL-compatible distributed SQL engine), with
 * its transactional outbox (`OutboxStore`, table `<prefix>outbox`).
 */
export interface PostgresStore extends DraftStore, OutboxStore {
  /** Always `postgres`. */
  readonly name: "postgres";
  /** The validated table prefix. */
  readonly tablePrefix: string;
  /** The quoted table, index and constraint names this store uses. */
  readonly tables: PostgresTableNames;
  /** Counts per state, a scan of every document and a rewrite that keeps the version (see `StoreAdmin`). */
  readonly admin: StoreAdmin;
  /**
   * Brings the schema to the latest version (see `migratePostgres`): idempotent, safe to run on
   * every start-up and from several processes at once. With a `client` in your transaction
   * (`inTransaction`), the migrations join it.
   */
  migrate(options?: StoreMigrateOptions): Promise<MigrateResult>;
  /** Where the schema stands: its version, the latest, the pending migrations (reads only; see `postgresSchemaStatus`). */
  schemaStatus(): Promise<SchemaStatus>;
  /**
   * Deletes the idempotency records created before `before` (a UTC ISO-8601 instant; build it
   * with `idempotencyCutoff`) and resolves to how many went. Always present on this adapter.
   */
  pruneIdempotency(before: string): Promise<number>;
  /**
   * Appends one `conflict` entry and reads who wrote the version it names, in one statement (see
   * {@link DraftStore.appendConflict}). Always present on this adapter; its `commit` also writes
   * {@link CommitInput.conflict} on a miss.
   */
  appendConflict(event: AuditEvent): Promise<StoredChange | null>;
  /**
   * Deletes the outbox records that are done with (delivered before `before`, and cancelled or
   * settled; see {@link OutboxStore.pruneOutbox}) in every workspace, in one statement, and
   * resolves to how many went. Always present on this adapter.
   */
  pruneOutbox(before: string): Promise<number>;
  /**
   * The same store (same tables) bound to a client that is inside a transaction you opened: its
   * writes join your transaction (see {@link PostgresClientOptions}).
   *
   * @example
   * ```ts
   * const client = await pool.connect();
   * try {
   *   await client.query("BEGIN");
   *   const engine = createOnboardingEngine({ store: store.joinTransaction(client), authorize });
   *   await engine.execute(ws, id, command, options);
   *   await client.query("INSERT INTO outbox ...");
   *   await client.query("COMMIT");
   * } catch (error) {
   *   await client.query("ROLLBACK");
   *   throw error;
   * } finally {
   *   client.release();
   * }
   * ```
   */
  joinTransaction(client: ClientBase): PostgresStore;
  /**
   * Ends the pool the adapter opened itself (`connection` option); every later call of that
   * store rejects with `StoreError` ("the store is closed"), and calling `close()` again does
   * nothing. With `pool` or `client` it does nothing (the connection is yours).
   */
  close(): Promise<void>;
}

/** What a query target must offer: `pg.Pool`, `pg.Client` and `PoolClient` all do. */
interface Queryable {
  query<R extends QueryResultRow>(text: string, values?: unknown[]): Promise<QueryResult<R>>;
  query<R extends QueryResultRow>(config: { name?: string; text: string; values?: unknown[] }): Promise<QueryResult<R>>;
}

interface Executor {
  readonly inTransaction: boolean;
  /** The database the connection names, for `describe()` (telemetry's `db.namespace`). */
  readonly database?: string | undefined;
  target(): Promise<Queryable>;
}

interface DraftRow extends QueryResultRow {
  readonly document: string;
  /** The compare-and-set column, checked against the document's `version` on every read. */
  readonly version: number;
}

interface ListRow extends DraftRow {
  readonly id: string;
  readonly created_at: string;
}

interface AuditRow extends QueryResultRow, SqlAuditRow {}

interface WriteRow extends QueryResultRow {
  readonly written: number;
  readonly audited: number;
  readonly current_version?: number | null;
}

/** What a commit that missed, or a conflict entry's statement, read of the stored record and its writer. */
interface MissRow extends QueryResultRow {
  /** The latest committed version (read under the row lock), `null` when the draft is gone. */
  readonly current_version: number | null;
  readonly current_document: string | null;
  /** The first audit entry of that version (its `committed` or `created` entry), when the snapshot sees it. */
  readonly landed_event: string | null;
  readonly landed_kind: string | null;
  readonly landed_actor: string | null;
  readonly landed_command: string | null;
  /** How many conflict entries the statement wrote (0 or 1). */
  readonly conflicted: number;
}

/** The commit's row: the write's counts, and on a miss what it read. */
interface CommitRow extends MissRow {
  readonly written: number;
  readonly audited: number;
  /** This write's own first entry is stored (an earlier send of it applied). */
  readonly applied: boolean;
}

/** The driver error fields the adapter reads (`pg.DatabaseError`, CockroachDB, YugabyteDB). */
interface DriverError {
  readonly code?: unknown;
  readonly constraint?: unknown;
  readonly message?: unknown;
}

function driverError(error: unknown): DriverError | null {
  return typeof error === "object" && error !== null ? error : null;
}

function sqlState(error: unknown): string | null {
  const code = driverError(error)?.code;
  return typeof code === "string" ? code : null;
}

/** Whether `error` is a unique violation of the named constraint or index. */
function violates(error: unknown, constraint: string): boolean {
  if (sqlState(error) !== "23505") return false;
  const details = driverError(error);
  if (details?.constraint === constraint) return true;
  return typeof details?.message === "string" && details.message.includes(`"${constraint}"`);
}

function isTransient(error: unknown): boolean {
  const state = sqlState(error);
  return state === "40001" || state === "40P01";
}

/**
 * Parses stored JSON text. Text that is not JSON, or that is JSON `null` (which `load` could not
 * tell from "no such row"), is reported as {@link CorruptRecordError}; any other value is returned
 * raw for the engine to validate.
 */
function parseStored(text: string, recordId: string, what: string): unknown {
  return parseStoredJson(text, what, recordId);
}

/** The ranges of an audit row's key, `<draft_version>:<seq>`: its position (an `integer` and a `bigint`). */
const AUDIT_KEY_RANGES = [
  [0n, 2_147_483_647n],
  [-(2n ** 63n), 2n ** 63n - 1n],
] as const;

/** Collects positional parameters: every value goes through `$n`, never into the SQL text. */
class Params {
  readonly values: unknown[] = [];
  add(value: unknown, cast?: "text" | "integer" | "bigint"): string {
    this.values.push(value);
    return cast === undefined ? `$${this.values.length}` : `$${this.values.length}::${cast}`;
  }
}

const AUDIT_COLUMNS = [
  ["workspace_id", "text", (e: AuditEvent) => e.workspaceId],
  ["draft_id", "text", (e: AuditEvent) => e.draftId],
  ["event_id", "text", (e: AuditEvent) => e.eventId],
  ["kind", "text", (e: AuditEvent) => e.kind],
  ["command_type", "text", (e: AuditEvent) => e.commandType],
  ["actor_id", "text", (e: AuditEvent) => e.actorId],
  ["at", "text", (e: AuditEvent) => e.at],
  ["from_version", "integer", (e: AuditEvent) => e.fromVersion],
  ["to_version", "integer", (e: AuditEvent) => e.toVersion],
  ["expected_version", "integer", (e: AuditEvent) => e.expectedVersion],
  ["actual_version", "integer", (e: AuditEvent) => e.actualVersion],
  ["idempotency_key", "text", (e: AuditEvent) => e.idempotencyKey],
  ["feedback", "text", (e: AuditEvent) => e.feedback],
  ["run_ids", "text", (e: AuditEvent) => (e.runIds.length === 0 ? "[]" : JSON.stringify(e.runIds))],
  ["capability", "text", (e: AuditEvent) => e.capability],
  ["state", "text", (e: AuditEvent) => e.state],
] as const;

const AUDIT_COLUMN_NAMES = AUDIT_COLUMNS.map(([name]) => name).join(", ");

/**
 * An `INSERT ... SELECT` of `events` into the audit table, one row per row of `source` (zero rows
 * when the gating statement matched nothing). `version` and `seqBase` are SQL expressions over
 * `source`; entry i (1-based) gets `seq = seqBase + i`.
 */
function auditInsert(
  table: string,
  source: string,
  version: string,
  seqBase: string,
  events: readonly AuditEvent[],
  params: Params,
): string {
  const rows = events.map((event, index) => {
    const cells = AUDIT_COLUMNS.map(([, cast, get]) => params.add(get(event), cast));
    return `(${index + 1}, ${cells.join(", ")})`;
  });
  const selected = AUDIT_COLUMNS.map(([name]) => `v.${name}`).join(", ");
  return `INSERT INTO ${table} (draft_version, seq, ${AUDIT_COLUMN_NAMES})
    SELECT ${version}, ${seqBase} + v.ord, ${selected}
    FROM ${source} CROSS JOIN (VALUES ${rows.join(", ")}) AS v(ord, ${AUDIT_COLUMN_NAMES})
    RETURNING 1`;
}

function idempotencyInsert(table: string, source: string, record: IdempotencyRecord, params: Params): string {
  return `INSERT INTO ${table} (workspace_id, key, draft_id, command_type, fingerprint, created_at, record)
    SELECT ${params.add(record.workspaceId, "text")}, ${params.add(record.key, "text")}, ${params.add(record.draftId, "text")},
      ${params.add(record.commandType, "text")}, ${params.add(record.fingerprint, "text")},
      ${params.add(record.createdAt, "text")}, ${params.add(encodeIdempotency(record), "text")}
    FROM ${source}
    RETURNING 1`;
}

/**
 * An `INSERT ... SELECT` of one `conflict` entry, one row per row of `source` that passes
 * `where`: `overrides` replaces columns by SQL expressions over `source` (the stored version and
 * state), and `seq` is `seqBase + 1` (a clock-based base, as `appendAudit` gives it).
 */
function conflictInsert(
  table: string,
  source: string,
  version: string,
  seqBase: string,
  event: AuditEvent,
  params: Params,
  overrides: Readonly<Record<string, string>>,
  where: string,
): string {
  const cells = AUDIT_COLUMNS.map(([name, cast, get]) => overrides[name] ?? params.add(get(event), cast));
  return `INSERT INTO ${table} (draft_version, seq, ${AUDIT_COLUMN_NAMES})
    SELECT ${version}, ${seqBase} + 1, ${cells.join(", ")}
    FROM ${source}
    WHERE ${where}
    RETURNING 1`;
}

/**
 * On a miss only: the statement's transaction commits without waiting for its WAL flush
 * (`synchronous_commit = off`, for this transaction alone). A miss writes nothing but its
 * `conflict` entry, and waiting for that flush while holding the draft's row lock would serialise
 * every losing writer on the disk. A committed version and its entries are always flushed.
 */
const RELAXED_MISS = `relaxed AS (
  SELECT set_config('synchronous_commit', 'off', true) FROM current
)`;

/** The server clock in microseconds x 1000: the `seq` base of entries that change no record. */
const CLOCK_SEQ_BASE = "floor(extract(epoch FROM clock_timestamp()) * 1000000)::bigint * 1000";

/** The idempotency record as JSON, its draft in the codec's canonical form. */
function encodeIdempotency(record: IdempotencyRecord): string {
  const draft = JSON.parse(encodeDraft(record.outcome.draft)) as OnboardingDraft;
  return JSON.stringify({ ...record, outcome: { ...record.outcome, draft } });
}

/** A statement name derived from its text (64-bit FNV-1a), so equal texts share one prepared statement. */
function statementName(text: string): string {
  let high = 0xcbf29ce4;
  let low = 0x84222325;
  for (let index = 0; index < text.length; index += 1) {
    low ^= text.charCodeAt(index);
    // Multiply the 64-bit state by the FNV prime 0x100000001b3, in two 32-bit halves.
    const lowProduct = Math.imul(low, 0x1b3) >>> 0;
    const carry = Math.floor((low * 0x1b3) / 0x100000000) >>> 0;
    high = (Math.imul(high, 0x1b3) + (low << 8) + carry) >>> 0;
    low = lowProduct;
  }
  return `onboarding_${high.toString(16).padStart(8, "0")}${low.toString(16).padStart(8, "0")}`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Creates a PostgreSQL `DraftStore`. Give it a `pool` (recommended), a `client` (optionally inside
 * your own transaction), or a `connection` for a pool the adapter opens and `close()` ends.
 * Call `migrate()` on start-up (or apply `postgresMigrationSql(version, prefix)` with your migration tool).
 *
 * @throws {@link onboarding-lifecycle!ConfigurationError} when `tablePrefix` is not a plain SQL identifier or the
 * options name no connection.
 *
 * @example
 * ```ts
 * import pg from "pg";
 * import { createOnboardingEngine } from "onboarding-lifecycle";
 * import { createPostgresStore } from "onboarding-lifecycle/adapters/postgres";
 *
 * const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL });
 * const store = createPostgresStore({ pool, tablePrefix: "onboarding_" });
 * await store.migrate();
 * const engine = createOnboardingEngine({ store, authorize: () => true });
 * ```
 */
export function createPostgresStore(options: PostgresStoreOptions): PostgresStore {
  const prefix = assertIdentifier(options.tablePrefix ?? DEFAULT_POSTGRES_TABLE_PREFIX, "tablePrefix");
  const maxAttempts = options.maxAttempts ?? 5;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1 || maxAttempts > 100) {
    throw new ConfigurationError("maxAttempts", "maxAttempts must be an integer from 1 to 100");
  }
  const given = (["pool", "client", "connection"] as const).filter(
    (key) => (options as unknown as Record<string, unknown>)[key] !== undefined,
  );
  if (given.length !== 1) {
    throw new ConfigurationError(
      "pool",
      `createPostgresStore needs exactly one of \`pool\`, \`client\` or \`connection\`, got ${given.length === 0 ? "none" : given.join(" and ")}`,
    );
  }
  let owned: Promise<Pool> | null = null;
  let closed = false;
  let executor: Executor;
  if ("pool" in options && options.pool !== undefined) {
    const pool = options.pool;
    executor = {
      inTransaction: false,
      database: databaseNameOf(pool.options),
      target: () => Promise.resolve(pool as Queryable),
    };
  } else if ("client" in options && options.client !== undefined) {
    const client = options.client;
    executor = {
      inTransaction: options.inTransaction === true,
      database: databaseNameOf(client),
      target: () => Promise.resolve(client as Queryable),
    };
  } else if ("connection" in options && options.connection !== undefined) {
    const connection = options.connection;
    const onError = options.onError;
    executor = {
      inTransaction: false,
      database: databaseNameOf(connection),
      target: () => {
        // Plain Error: `guard` reports it as StoreError(ADAPTER, operation, ...). No new pool.
        if (closed) return Promise.reject(new Error("the store is closed"));
        owned ??= loadDriver("pg", "connection", () => import("pg")).then((module) => {
          const Pg = (module as unknown as { default?: typeof PgModule }).default ?? module;
          const pool = new Pg.Pool(typeof connection === "string" ? { connectionString: connection } : connection);
          // An idle connection closed by the server makes the pool emit 'error'; with no listener
          // that event would end the process. The pool has already dropped the connection.
          pool.on("error", (error: Error) => {
            try {
              onError?.(error);
            } catch {
              // A failing listener must not turn into an uncaught exception either.
            }
          });
          return pool;
        });
        return owned;
      },
    };
  } else {
    throw new ConfigurationError("pool", "createPostgresStore needs one of `pool`, `client` or `connection`");
  }
  const ownsPool = "connection" in options && options.connection !== undefined;
  const store = buildStore(prefix, maxAttempts, options.preparedStatements !== false, executor, async () => {
    if (!ownsPool) return;
    closed = true;
    const pending = owned;
    owned = null;
    // A pool that never loaded (driver missing) has nothing to end.
    const pool = pending === null ? null : await pending.catch(() => null);
    if (pool !== null) await pool.end();
  });
  return store;
}

/** A draft row as the engine decodes it: the document text, the version column and the id. */
function storedDraft(row: ListRow): StoredDraft {
  return { document: row.document, version: row.version, draftId: row.id };
}

function buildStore(
  prefix: string,
  maxAttempts: number,
  prepared: boolean,
  executor: Executor,
  closeOwned: () => Promise<void>,
): PostgresStore {
  const t = postgresTableNames(prefix);
  const raw: PostgresRawNames = postgresRawNames(prefix);
  const attempts = executor.inTransaction ? 1 : maxAttempts;

  async function query<R extends QueryResultRow>(text: string, values: unknown[]): Promise<QueryResult<R>> {
    const target = await executor.target();
    return run<R>(target, text, values);
  }

  function run<R extends QueryResultRow>(target: Queryable, text: string, values: unknown[]): Promise<QueryResult<R>> {
    return prepared ? target.query<R>({ name: statementName(text), text, values }) : target.query<R>(text, values);
  }

  /** Runs one write statement; inside a joined transaction, within a savepoint. */
  async function writeStatement<R extends QueryResultRow>(text: string, values: unknown[]): Promise<QueryResult<R>> {
    if (!executor.inTransaction) return query<R>(text, values);
    const target = await executor.target();
    await target.query(`SAVEPOINT ${SAVEPOINT}`);
    try {
      const result = await run<R>(target, text, values);
      await target.query(`RELEASE SAVEPOINT ${SAVEPOINT}`);
      return result;
    } catch (error) {
      try {
        await target.query(`ROLLBACK TO SAVEPOINT ${SAVEPOINT}`);
        await target.query(`RELEASE SAVEPOINT ${SAVEPOINT}`);
      } catch {
        // The transaction is unusable (connection lost...): report the original error.
      }
      throw error;
    }
  }

  /** Wraps driver failures in `StoreError`; lets the package's own errors through. */
  function guard<T>(operation: string, run: () => Promise<T>): Promise<T> {
    return wrapStoreErrors(ADAPTER, operation, run);
  }

  /** Retries a write after transient failures (never inside a joined transaction). */
  async function retrying<T>(run: (attempt: number) => Promise<T>): Promise<Exclude<T, "retry">> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        const result = await run(attempt);
        if (result !== "retry") return result as Exclude<T, "retry">;
        if (attempt >= attempts) throw new Error(`write did not settle after ${attempt} attempts`);
      } catch (error) {
        const retryable = isTransient(error) || violates(error, raw.auditPrimaryKey);
        if (!retryable || attempt >= attempts) throw error;
      }
      await sleep(Math.floor(Math.random() * 4 * attempt));
    }
  }

  async function openDraftIdOf(workspaceId: string, tenantId: string): Promise<string | null> {
    const result = await query<{ id: string }>(
      `SELECT id FROM ${t.drafts} WHERE workspace_id = $1 AND open_tenant_id = $2`,
      [workspaceId, tenantId],
    );
    return result.rows[0]?.id ?? null;
  }

  /**
   * Whether the write whose first audit entry is `event` has already happened. A write stores its
   * first entry at (the version it produces, seq 0), so a write re-sent after it applied (a client
   * or proxy repeating it after a lost reply) finds its own entry there: one primary-key lookup,
   * asked only once the write was rejected. Without an entry (`events: []`) nothing identifies it.
   */
  async function alreadyApplied(draft: OnboardingDraft, event: AuditEvent | undefined): Promise<boolean> {
    if (event === undefined) return false;
    const result = await query<{ applied: number }>(
      `SELECT 1 AS applied FROM ${t.audit}
        WHERE workspace_id = $1 AND draft_id = $2 AND draft_version = $3 AND seq = 0 AND event_id = $4`,
      [draft.workspaceId, draft.id, draft.version, event.eventId],
    );
    return result.rows.length > 0;
  }

  /**
   * One statement that reads the latest committed row of a draft and the first audit entry of a
   * version (`target`, or the row's own when `null`), and appends `entry` (a `conflict`) keyed
   * as `appendAudit` keys its entries, under the row lock. With `miss` (after a commit missed),
   * the entry takes the stored version and state, and is only written when the stored version is
   * not `expected` and the entry of that version is not the commit's own (`own`: it applied).
   */
  async function conflictStatement(
    workspaceId: string,
    draftId: string,
    options: {
      readonly target: number | null;
      readonly entry: AuditEvent | null;
      readonly miss: { readonly expected: number; readonly own: string | null } | null;
    },
  ): Promise<MissRow> {
    const params = new Params();
    const ws = params.add(workspaceId, "text");
    const id = params.add(draftId, "text");
    const { entry, miss } = options;
    const lock = entry === null ? "" : " FOR UPDATE";
    const ctes = [
      `observed AS (
  SELECT coalesce(max(l.version), 0) AS version, max(l.state) AS state, max(l.document) AS document,
    count(l.version)::integer AS found, ${CLOCK_SEQ_BASE} AS base
  FROM (SELECT version, state, document FROM ${t.drafts} WHERE workspace_id = ${ws} AND id = ${id}${lock}) AS l
)`,
      `landed AS (
  SELECT a.event_id, a.kind, a.actor_id, a.command_type FROM ${t.audit} AS a, observed AS o
  WHERE a.workspace_id = ${ws} AND a.draft_id = ${id} AND a.seq = 0
    AND a.draft_version = coalesce(${params.add(options.target, "integer")}, o.version)
)`,
    ];
    if (entry !== null) {
      const where =
        miss === null
          ? "true"
          : `o.found > 0 AND o.version <> ${params.add(miss.expected, "integer")}
      AND NOT EXISTS (SELECT 1 FROM landed WHERE landed.event_id = ${params.add(miss.own, "text")})`;
      const overrides: Record<string, string> = miss === null ? {} : { actual_version: "o.version", state: "o.state" };
      ctes.push(
        `conflicted AS (\n  ${conflictInsert(t.audit, "observed AS o", "o.version", "o.base", entry, params, overrides, where)}\n)`,
      );
    }
    const text = `WITH ${ctes.join(",\n")}
SELECT CASE WHEN o.found > 0 THEN o.version END AS current_version, o.document AS current_document,
  l.event_id AS landed_event, l.kind AS landed_kind, l.actor_id AS landed_actor, l.command_type AS landed_command,
  ${entry === null ? "0" : "(SELECT count(*) FROM conflicted)::integer"} AS conflicted
FROM observed AS o LEFT JOIN landed AS l ON true`;
    const result = await writeStatement<MissRow>(text, params.values);
    const row = result.rows[0];
    if (row === undefined) throw new Error("the conflict statement returned no row");
    return row;
  }

  /** Who wrote the version a miss row read: its `committed` entry; `null` for `created`; `undefined` when not seen. */
  function changeOf(row: MissRow): StoredChange | null | undefined {
    if (row.landed_event === null) return undefined;
    if (row.landed_kind !== "committed" || row.landed_actor === null || row.landed_command === null) return null;
    return { actorId: row.landed_actor, commandType: row.landed_command };
  }

  /**
   * A commit that matched no row: a re-send of a write that already applied (reported applied), or
   * a version conflict carrying the latest committed row, whether the statement wrote the
   * conflict entry, and who wrote that row's version. When the winning commit finished while the
   * statement waited for the row lock, its snapshot did not see that commit's entry: one keyed
   * read (no lock) finds it.
   */
  async function missed(
    draft: OnboardingDraft,
    document: string,
    expectedVersion: number,
    basis: string | undefined,
    own: string | null,
    row: MissRow,
  ): Promise<WriteAttempt> {
    const actual = row.current_version;
    if (actual === null || row.current_document === null) {
      return { ok: false, reason: "version_conflict", actualVersion: null, current: null };
    }
    let landed: Pick<MissRow, "landed_event" | "landed_kind" | "landed_actor" | "landed_command"> = row;
    if (row.landed_event === null) landed = await firstEntryOf(draft.workspaceId, draft.id, actual);
    if (own !== null && landed.landed_event === own) return { ok: true }; // sent again after it applied
    if (own !== null && landed.landed_event === null && row.current_document === document) return { ok: true };
    // The same version: a stale basis (other bytes), else impossible with monotonic versions.
    if (actual === expectedVersion && basis === undefined) return "retry";
    const changedBy = changeOf({ ...row, ...landed });
    return {
      ok: false,
      reason: "version_conflict",
      actualVersion: actual,
      current: { document: row.current_document, version: actual, draftId: draft.id },
      conflictAudited: row.conflicted > 0,
      ...(changedBy === undefined ? {} : { changedBy }),
    };
  }

  /** The first audit entry of a version (its `committed` or `created` entry): one primary-key read. */
  async function firstEntryOf(
    workspaceId: string,
    draftId: string,
    version: number,
  ): Promise<Pick<MissRow, "landed_event" | "landed_kind" | "landed_actor" | "landed_command">> {
    const result = await query<{ event_id: string; kind: string; actor_id: string; command_type: string }>(
      `SELECT event_id, kind, actor_id, command_type FROM ${t.audit}
        WHERE workspace_id = $1 AND draft_id = $2 AND draft_version = $3 AND seq = 0`,
      [workspaceId, draftId, version],
    );
    const found = result.rows[0];
    return found === undefined
      ? { landed_event: null, landed_kind: null, landed_actor: null, landed_command: null }
      : {
          landed_event: found.event_id,
          landed_kind: found.kind,
          landed_actor: found.actor_id,
          landed_command: found.command_type,
        };
  }

  /** A rejection of a write, unless that very write is already stored (then it is reported applied). */
  function rejectUnlessApplied(
    draft: OnboardingDraft,
    event: AuditEvent | undefined,
    rejection: WriteResult,
  ): Promise<WriteResult> {
    return unlessApplied(rejection, event, () => alreadyApplied(draft, event));
  }

  /** Inside the error wrapper: an entry of another draft is reported as `StoreError`. */
  function checkEvents(events: readonly AuditEvent[], draft: OnboardingDraft): void {
    for (const event of events) {
      if (event.workspaceId !== draft.workspaceId || event.draftId !== draft.id) {
        throw new Error(`audit event ${event.eventId} belongs to another draft than ${draft.workspaceId}/${draft.id}`);
      }
    }
  }

  const store: PostgresStore = {
    ...postgresOutboxMethods({ tables: t, query, write: writeStatement, guard, analyze: !executor.inTransaction }),
    name: "postgres",
    tablePrefix: prefix,
    tables: t,
    admin: postgresAdmin({
      tables: t,
      query,
      write: writeStatement,
      guard,
      isOpenTenantViolation: (error) => violates(error, raw.openTenantIndex),
    }),
    describe: () => ({
      system: "postgresql",
      ...(executor.database === undefined ? {} : { namespace: executor.database }),
      collections: prefixedCollections(prefix),
    }),

    async migrate(options: StoreMigrateOptions = {}) {
      return guard("migrate", async () =>
        migratePostgres((await executor.target()) as PostgresMigrateTarget, {
          ...options,
          tablePrefix: prefix,
          inTransaction: executor.inTransaction,
        }),
      );
    },

    async schemaStatus() {
      return guard("schemaStatus", async () =>
        postgresSchemaStatus((await executor.target()) as PostgresMigrateTarget, { tablePrefix: prefix }),
      );
    },

    joinTransaction(client: ClientBase): PostgresStore {
      return buildStore(
        prefix,
        maxAttempts,
        prepared,
        {
          inTransaction: true,
          database: databaseNameOf(client) ?? executor.database,
          target: () => Promise.resolve(client as Queryable),
        },
        () => Promise.resolve(),
      );
    },

    async close() {
      await guard("close", closeOwned);
    },

    async load(workspaceId, draftId) {
      const rows = await guard("load", async () => {
        const result = await query<DraftRow>(
          `SELECT version, document FROM ${t.drafts} WHERE workspace_id = $1 AND id = $2`,
          [workspaceId, draftId],
        );
        return result.rows;
      });
      const row = rows[0];
      return row === undefined ? null : { document: row.document, version: row.version, draftId };
    },

    async pruneIdempotency(before) {
      const cutoff = idempotencyCutoff(before);
      return guard("pruneIdempotency", async () => {
        const result = await query(`DELETE FROM ${t.idempotency} WHERE created_at < $1`, [cutoff]);
        return result.rowCount ?? 0;
      });
    },

    async findOpenDraft(workspaceId, tenantId) {
      const rows = await guard("findOpenDraft", async () => {
        const result = await query<ListRow>(
          `SELECT id, created_at, version, document FROM ${t.drafts} WHERE workspace_id = $1 AND open_tenant_id = $2`,
          [workspaceId, tenantId],
        );
        return result.rows;
      });
      const row = rows[0];
      return row === undefined ? null : storedDraft(row);
    },

    async loadIdempotency(workspaceId, key) {
      const rows = await guard("loadIdempotency", async () => {
        const result = await query<{ record: string }>(
          `SELECT record FROM ${t.idempotency} WHERE workspace_id = $1 AND key = $2`,
          [workspaceId, key],
        );
        return result.rows;
      });
      const row = rows[0];
      return row === undefined ? null : parseStored(row.record, key, "idempotency record");
    },

    async listAudit(workspaceId, draftId, page) {
      const { after, limit, backward } = readAuditPage(page);
      const params = new Params();
      let sql = `SELECT draft_version, seq::text AS seq, ${AUDIT_COLUMN_NAMES} FROM ${t.audit}
        WHERE workspace_id = ${params.add(workspaceId)} AND draft_id = ${params.add(draftId)}`;
      // A row comparison on the primary key's last two columns: one index range, either way.
      if (after !== null) {
        const [version, seq] = auditKeyParts(after, AUDIT_KEY_RANGES);
        sql += ` AND (draft_version, seq) ${backward ? "<" : ">"} (${params.add(version, "integer")}, ${params.add(seq, "bigint")})`;
      }
      sql += backward ? " ORDER BY draft_version DESC, seq DESC" : " ORDER BY draft_version, seq";
      if (limit !== null) sql += ` LIMIT ${params.add(limit, "bigint")}`;
      return guard("listAudit", async () => {
        const result = await query<AuditRow & { draft_version: number; seq: string }>(sql, params.values);
        return result.rows.map((row) => ({
          event: auditEventFromRow(row),
          position: `${row.draft_version}:${row.seq}`,
        }));
      });
    },

    async list(workspaceId, options: ListOptions): Promise<ListPage> {
      // limit and state were checked by the engine; only the cursor is the store's to read.
      const limit = options.limit;
      const cursor = listCursor(options.cursor);
      const params = new Params();
      const conditions = [`workspace_id = ${params.add(workspaceId)}`];
      if (options.state !== undefined) conditions.push(`state = ${params.add(options.state)}`);
      if (cursor !== null)
        conditions.push(`(created_at, id) > (${params.add(cursor.createdAt)}, ${params.add(cursor.id)})`);
      const text = `SELECT id, created_at, version, document FROM ${t.drafts}
        WHERE ${conditions.join(" AND ")}
        ORDER BY created_at, id
        LIMIT ${params.add(limit + 1, "integer")}`;
      const rows = await guard("list", async () => (await query<ListRow>(text, params.values)).rows);
      const page = rows.slice(0, limit);
      const last = page[page.length - 1];
      return {
        drafts: page.map(storedDraft),
        nextCursor:
          rows.length > limit && last !== undefined ? encodeCursor({ createdAt: last.created_at, id: last.id }) : null,
      };
    },

    async insert(input: InsertInput): Promise<WriteResult> {
      const { draft, event, idempotency } = input;
      const openTenant = openTenantOf(draft);
      const document = input.document;
      return storeWrite(ADAPTER, "insert", () =>
        retrying<WriteAttempt>(async () => {
          checkEvents([event], draft);
          const params = new Params();
          const ws = params.add(draft.workspaceId, "text");
          const id = params.add(draft.id, "text");
          const ctes = [
            `inserted AS (
  INSERT INTO ${t.drafts} (workspace_id, id, version, state, current_checkpoint, tenant_id, open_tenant_id, created_at, updated_at, document)
  VALUES (${ws}, ${id}, ${params.add(draft.version, "integer")}, ${params.add(draft.lifecycle.state, "text")},
    ${params.add(draft.lifecycle.currentCheckpoint, "text")}, ${params.add(draft.identity?.tenantId ?? null, "text")},
    ${params.add(openTenant, "text")}, ${params.add(draft.createdAt, "text")}, ${params.add(draft.updatedAt, "text")},
    ${params.add(document, "text")})
  ON CONFLICT (workspace_id, id) DO NOTHING
  RETURNING version
)`,
            `audited AS (\n  ${auditInsert(t.audit, "inserted", "inserted.version", "-1", [event], params)}\n)`,
          ];
          if (idempotency !== null)
            ctes.push(`remembered AS (\n  ${idempotencyInsert(t.idempotency, "inserted", idempotency, params)}\n)`);
          const text = `WITH ${ctes.join(",\n")}
SELECT (SELECT count(*) FROM inserted)::integer AS written, (SELECT count(*) FROM audited)::integer AS audited`;
          try {
            const result = await writeStatement<WriteRow>(text, params.values);
            const row = result.rows[0];
            if (row !== undefined && row.written === 1) return { ok: true };
            return rejectUnlessApplied(draft, event, { ok: false, reason: "draft_exists" });
          } catch (error) {
            if (violates(error, raw.idempotencyPrimaryKey)) {
              return rejectUnlessApplied(draft, event, { ok: false, reason: "idempotency_key_exists" });
            }
            if (openTenant !== null && violates(error, raw.openTenantIndex)) {
              if (await alreadyApplied(draft, event)) return { ok: true };
              const existing = await openDraftIdOf(draft.workspaceId, openTenant);
              if (existing === null) return "retry"; // the other draft closed meanwhile: try again
              return { ok: false, reason: "open_draft_exists", existingDraftId: existing };
            }
            throw error;
          }
        }),
      );
    },

    async commit(input: CommitInput): Promise<WriteResult> {
      const { draft, expectedVersion, events, idempotency, basis, conflict } = input;
      const outbox = input.outbox ?? [];
      const openTenant = openTenantOf(draft);
      const document = input.document;
      const own = events[0]?.eventId ?? null;
      return storeWrite(ADAPTER, "commit", () =>
        retrying<WriteAttempt>(async () => {
          checkEvents(events, draft);
          if (conflict !== undefined) checkEvents([conflict], draft);
          checkOutboxEntries(outbox, draft.workspaceId, draft.id);
          const params = new Params();
          const ws = params.add(draft.workspaceId, "text");
          const id = params.add(draft.id, "text");
          const expected = params.add(expectedVersion, "integer");
          const documentParam = params.add(document, "text");
          const ctes = [
            `updated AS (
  UPDATE ${t.drafts}
  SET version = ${params.add(draft.version, "integer")}, state = ${params.add(draft.lifecycle.state, "text")},
    current_checkpoint = ${params.add(draft.lifecycle.currentCheckpoint, "text")},
    tenant_id = ${params.add(draft.identity?.tenantId ?? null, "text")}, open_tenant_id = ${params.add(openTenant, "text")},
    updated_at = ${params.add(draft.updatedAt, "text")}, document = ${documentParam}
  WHERE workspace_id = ${ws} AND id = ${id} AND version = ${expected}${
    basis === undefined ? "" : ` AND document = ${params.add(basis, "text")}`
  }
  RETURNING version
)`,
          ];
          if (events.length > 0)
            ctes.push(`audited AS (\n  ${auditInsert(t.audit, "updated", "updated.version", "-1", events, params)}\n)`);
          if (idempotency !== null)
            ctes.push(`remembered AS (\n  ${idempotencyInsert(t.idempotency, "updated", idempotency, params)}\n)`);
          if (outbox.length > 0)
            ctes.push(
              `queued AS (\n  ${journalInsert(t.outboxJournal, "updated", outbox, (value) => params.add(value))}\n)`,
            );
          // On a miss only (the UPDATE matched nothing): the latest committed row, locked (in READ
          // COMMITTED a locking read that waited for a concurrent commit returns the row that
          // commit wrote), and the first audit entry of its version as this statement's snapshot
          // sees it (visible unless the winning commit finished while this statement waited). A
          // stored document byte-identical to this write's is this write, sent again after it
          // applied: no conflict. Otherwise the conflict entry is written here, keyed as
          // `appendAudit` keys it (the version observed, the clock read under the row lock).
          ctes.push(`current AS (
  SELECT version, state, document FROM ${t.drafts}
  WHERE workspace_id = ${ws} AND id = ${id} AND NOT EXISTS (SELECT 1 FROM updated)
  FOR UPDATE
)`);
          ctes.push(`landed AS (
  SELECT a.event_id, a.kind, a.actor_id, a.command_type FROM ${t.audit} AS a JOIN current AS c ON a.draft_version = c.version
  WHERE a.workspace_id = ${ws} AND a.draft_id = ${id} AND a.seq = 0
)`);
          // This very write, stored by an earlier send of it (its first entry, at the version it writes).
          ctes.push(`mine AS (
  SELECT 1 AS applied FROM ${t.audit}
  WHERE workspace_id = ${ws} AND draft_id = ${id} AND draft_version = ${params.add(draft.version, "integer")} AND seq = 0
    AND event_id = ${params.add(own, "text")} AND NOT EXISTS (SELECT 1 FROM updated)
)`);
          if (conflict !== undefined) {
            const where = `c.version <> ${expected} AND c.document IS DISTINCT FROM ${documentParam}
      AND NOT EXISTS (SELECT 1 FROM mine)`;
            const insert = conflictInsert(
              t.audit,
              "current AS c",
              "c.version",
              CLOCK_SEQ_BASE,
              conflict,
              params,
              { actual_version: "c.version", state: "c.state" },
              where,
            );
            ctes.push(`conflicted AS (\n  ${insert}\n)`);
            // Never in a caller's transaction: the setting would last until its COMMIT.
            if (!executor.inTransaction) ctes.push(RELAXED_MISS);
          }
          // `relaxed` is referenced so that it runs (a plain SELECT in WITH runs only when read).
          const conflictCount =
            conflict === undefined
              ? "0"
              : executor.inTransaction
                ? "(SELECT count(*) FROM conflicted)::integer"
                : "(SELECT count(*) FROM conflicted)::integer + (SELECT count(*) FROM relaxed)::integer * 0";
          const text = `WITH ${ctes.join(",\n")}
SELECT (SELECT count(*) FROM updated)::integer AS written,
  ${events.length > 0 ? "(SELECT count(*) FROM audited)::integer" : "0"} AS audited,
  c.version AS current_version, c.document AS current_document,
  l.event_id AS landed_event, l.kind AS landed_kind, l.actor_id AS landed_actor, l.command_type AS landed_command,
  ${conflictCount} AS conflicted,
  EXISTS (SELECT 1 FROM mine) AS applied
FROM (SELECT 1) AS one LEFT JOIN current AS c ON true LEFT JOIN landed AS l ON true`;
          let row: CommitRow | undefined;
          try {
            row = (await writeStatement<CommitRow>(text, params.values)).rows[0];
          } catch (error) {
            if (violates(error, raw.idempotencyPrimaryKey)) {
              return rejectUnlessApplied(draft, events[0], { ok: false, reason: "idempotency_key_exists" });
            }
            if (openTenant !== null && violates(error, raw.openTenantIndex)) {
              if (await alreadyApplied(draft, events[0])) return { ok: true };
              const existing = await openDraftIdOf(draft.workspaceId, openTenant);
              if (existing === null) return "retry";
              return { ok: false, reason: "open_draft_exists", existingDraftId: existing };
            }
            throw error;
          }
          if (row === undefined) throw new Error("the commit statement returned no row");
          if (row.written === 1 || row.applied) return { ok: true };
          return missed(draft, document, expectedVersion, basis, own, row);
        }),
      );
    },

    async appendConflict(event) {
      return guard("appendConflict", async () =>
        retrying(async () => {
          const row = await conflictStatement(event.workspaceId, event.draftId, {
            target: event.actualVersion,
            entry: event,
            miss: null,
          });
          return changeOf(row) ?? null;
        }),
      );
    },

    async appendAudit(events) {
      if (events.length === 0) return;
      const groups = new Map<string, AuditEvent[]>();
      for (const event of events) {
        const key = JSON.stringify([event.workspaceId, event.draftId]);
        const group = groups.get(key);
        if (group === undefined) groups.set(key, [event]);
        else group.push(event);
      }
      await guard("appendAudit", async () => {
        for (const whole of groups.values()) {
          // At most 999 entries per statement: `seq` leaves room for 999 per microsecond.
          for (let start = 0; start < whole.length; start += 999) {
            const group = whole.slice(start, start + 999);
            const first = group[0] as AuditEvent;
            await retrying(async () => {
              const params = new Params();
              const ws = params.add(first.workspaceId, "text");
              const id = params.add(first.draftId, "text");
              // The version the entries observed (0 before the draft exists) and a clock-based
              // seq base, far above the seq (0..n-1) of the entries committed with that version.
              // The draft's row is locked (FOR UPDATE) while the entries get their key, as a
              // commit's UPDATE locks it: per draft, key order is then commit order, so a reader
              // paging by key never sees an entry before an earlier one still in flight (a gap
              // behind its cursor). The clock is read after the lock is granted (the aggregate
              // projects once its input, the locked row, is read).
              const observed = `(SELECT coalesce(max(locked.version), 0) AS version,
    floor(extract(epoch FROM clock_timestamp()) * 1000000)::bigint * 1000 AS base
    FROM (SELECT version FROM ${t.drafts} WHERE workspace_id = ${ws} AND id = ${id} FOR UPDATE) AS locked) AS observed`;
              await writeStatement(
                auditInsert(t.audit, observed, "observed.version", "observed.base", group, params),
                params.values,
              );
              return true;
            });
          }
        }
      });
    },
  };
  return store;
}
