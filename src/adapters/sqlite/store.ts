/**
 * adapters/sqlite/store — the `DraftStore` on better-sqlite3 12.x: version-checked commits inside
 * one synchronous `BEGIN IMMEDIATE` transaction, the open-draft rule and idempotency keys
 * enforced by unique indexes, keyset listing, WAL and busy handling.
 *
 * May import: vocabulary/, record/, store/ and better-sqlite3 *types*. I/O only: the engine
 * encodes and decodes drafts.
 * The driver itself is loaded with a dynamic `import()` only when the adapter opens its own
 * connection, so it stays an optional peer dependency. Never engine/.
 */
import type BetterSqlite3 from "better-sqlite3";
import {
  ConfigurationError,
  type AuditEvent,
  type IdempotencyRecord,
  type OnboardingDraft,
} from "../../record/index.js";
import {
  encodeCursor,
  listCursor,
  rejectWrite,
  storeWrite,
  unlessApplied,
  wrapStoreErrors,
  openTenantOf,
  type CommitInput,
  type DraftStore,
  type OutboxStore,
  type InsertInput,
  type ListPage,
  type StoredDraft,
  type WriteResult,
  parseStoredJson,
  idempotencyCutoff,
  loadDriver,
  auditEventFromRow,
  type SqlAuditRow,
  type StoredAuditEntry,
  type AuditPageRequest,
  auditSequence,
  readAuditPage,
  type StoreAdmin,
  type MigrateResult,
  type SchemaStatus,
  type StoreMigrateOptions,
  prefixedCollections,
} from "../../store/index.js";
import { DEFAULT_SQLITE_TABLE_PREFIX, sqliteTableNames, type SqliteTableNames } from "./schema.js";
import { readSqliteSchemaStatus, runSqliteMigrations } from "./migrations.js";
import { SqliteOutbox, journalOf, sqliteOutboxMethods } from "./outbox.js";
import { sqliteAdmin } from "./admin.js";

/** A better-sqlite3 connection (`new Database(...)`), as typed by `@types/better-sqlite3`. */
export type SqliteDatabase = BetterSqlite3.Database;

/** Options shared by both ways of creating a SQLite store. */
export interface SqliteStoreCommonOptions {
  /**
   * Prefix of the table and index names (default `onboarding_`): letters, digits and underscores,
   * starting with a letter or underscore. Validated; never taken from user input.
   */
  readonly tablePrefix?: string;
  /**
   * How long (milliseconds) a statement waits for another connection's lock before SQLite
   * reports `SQLITE_BUSY` (the `busy_timeout` pragma). Default 5000. Applied to connections the
   * adapter opens; applied to a caller's `database` only when given explicitly.
   */
  readonly busyTimeoutMs?: number;
}

/** Use a better-sqlite3 connection the caller owns; `close()` leaves it open. */
export interface SqliteStoreDatabaseOptions extends SqliteStoreCommonOptions {
  /** The caller's connection. Its journal mode is left as it is (WAL is recommended for files). */
  readonly database: SqliteDatabase;
  /** Not allowed together with `database`. */
  readonly filename?: never;
}

/** Let the adapter open (and later close) its own connection. */
export interface SqliteStoreFilenameOptions extends SqliteStoreCommonOptions {
  /**
   * A database file path (opened in WAL journal mode), or `":memory:"` for a private in-memory
   * database that lives as long as the store. better-sqlite3 is imported on first use.
   */
  readonly filename: string;
  /** Not allowed together with `filename`. */
  readonly database?: never;
}

/** Options of {@link createSqliteStore}: either `database` or `filename`. */
export type SqliteStoreOptions = SqliteStoreDatabaseOptions | SqliteStoreFilenameOptions;

/** The SQLite `DraftStore` with its outbox, plus schema management and access to its connection. */
export interface SqliteStore extends DraftStore, OutboxStore {
  /** Always `"sqlite"`. */
  readonly name: "sqlite";
  /** The table and index names this store uses. */
  readonly tables: SqliteTableNames;
  /** Counts per state, a scan of every document and a rewrite that keeps the version (see `StoreAdmin`). */
  readonly admin: StoreAdmin;
  /**
   * Brings the schema to the latest version (see `migrateSqlite`) in one `BEGIN IMMEDIATE`
   * transaction. Idempotent; safe to run from several connections and processes at once.
   */
  migrate(options?: StoreMigrateOptions): Promise<MigrateResult>;
  /** Where the schema stands: its version, the latest, the pending migrations (reads only; see `sqliteSchemaStatus`). */
  schemaStatus(): Promise<SchemaStatus>;
  /** The connection in use (opening it first when the adapter owns it). */
  database(): Promise<SqliteDatabase>;
  /**
   * Closes the connection if the adapter opened it; a caller's `database` stays open. Either
   * way the store refuses further calls. Idempotent.
   */
  close(): Promise<void>;
  /**
   * Deletes the idempotency records created before `before` in every workspace and resolves to
   * how many went (see {@link DraftStore.pruneIdempotency}). Always present on this store.
   */
  pruneIdempotency(before: string): Promise<number>;
  /**
   * Deletes the outbox records that are done with (delivered before `before`, and cancelled or
   * settled) in every workspace and resolves to how many went (see {@link OutboxStore.pruneOutbox}).
   * Always present on this store.
   */
  pruneOutbox(before: string): Promise<number>;
}

const ADAPTER = "sqlite";
const DEFAULT_BUSY_TIMEOUT_MS = 5000;
/** Extra attempts after `SQLITE_BUSY` escaped the busy handler (e.g. `SQLITE_BUSY_RECOVERY`). */
const MAX_BUSY_RETRIES = 8;

function errorCode(error: unknown): string | null {
  if (typeof error === "object" && error !== null && "code" in error) {
    const code = error.code;
    if (typeof code === "string") return code;
  }
  return null;
}

function isBusy(error: unknown): boolean {
  const code = errorCode(error);
  return code !== null && (code.startsWith("SQLITE_BUSY") || code.startsWith("SQLITE_LOCKED"));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Jittered exponential backoff: 5, 10, 20 ... ms, capped at 200 ms, times [0.5, 1). */
function busyBackoff(attempt: number): number {
  return Math.min(200, 5 * 2 ** attempt) * (0.5 + Math.random() / 2);
}

interface DraftRow {
  readonly document: string;
  readonly version: number;
  readonly created_at: string;
  readonly id: string;
}

function validateBusyTimeout(value: number | undefined): number {
  if (value === undefined) return DEFAULT_BUSY_TIMEOUT_MS;
  if (!Number.isInteger(value) || value < 0 || value > 2_147_483_647) {
    throw new ConfigurationError("busyTimeoutMs", `busyTimeoutMs must be a non-negative integer, got ${String(value)}`);
  }
  return value;
}

/** Everything bound to one open connection: SQL text, lazily prepared statements, transactions. */
class Connection {
  readonly #db: SqliteDatabase;
  readonly #statements = new Map<string, BetterSqlite3.Statement<unknown[], unknown>>();
  readonly #sql: ReturnType<typeof buildSql>;
  readonly commitTx: BetterSqlite3.Transaction<(input: CommitInput) => WriteResult>;
  readonly insertTx: BetterSqlite3.Transaction<(input: InsertInput) => WriteResult>;
  readonly appendTx: BetterSqlite3.Transaction<(events: readonly AuditEvent[]) => void>;
  /** The outbox statements and the journal's absorption (`commit` writes the journal itself). */
  readonly outbox: SqliteOutbox;

  constructor(db: SqliteDatabase, tables: SqliteTableNames) {
    this.#db = db;
    this.#sql = buildSql(tables);
    this.outbox = new SqliteOutbox(db, tables);
    this.commitTx = db.transaction((input: CommitInput) => this.#commit(input));
    this.insertTx = db.transaction((input: InsertInput) => this.#insert(input));
    this.appendTx = db.transaction((events: readonly AuditEvent[]) => this.#appendAudit(events));
  }

  get db(): SqliteDatabase {
    return this.#db;
  }

  /** The prepared statement for one of the SQL texts of {@link buildSql}, prepared on first use. */
  stmt(key: keyof ReturnType<typeof buildSql>): BetterSqlite3.Statement<unknown[], unknown> {
    let statement = this.#statements.get(key);
    if (statement === undefined) {
      statement = this.#db.prepare<unknown[], unknown>(this.#sql[key]).safeIntegers(false);
      this.#statements.set(key, statement);
    }
    return statement;
  }

  loadDocument(workspaceId: string, draftId: string): StoredDraft | null {
    const row = this.stmt("loadDocument").get(workspaceId, draftId) as
      Pick<DraftRow, "version" | "document"> | undefined;
    return row === undefined ? null : { document: row.document, version: row.version, draftId };
  }

  findOpenDocument(workspaceId: string, tenantId: string): StoredDraft | null {
    const row = this.stmt("findOpen").get(workspaceId, tenantId) as
      Pick<DraftRow, "id" | "version" | "document"> | undefined;
    return row === undefined ? null : { document: row.document, version: row.version, draftId: row.id };
  }

  /** Whether an audit entry with this id is stored for the draft (a re-sent write already applied). */
  eventStored(workspaceId: string, draftId: string, eventId: string): boolean {
    return this.stmt("eventStored").get(workspaceId, draftId, eventId) !== undefined;
  }

  loadIdempotency(workspaceId: string, key: string): unknown {
    const text = this.stmt("loadIdempotency").pluck().get(workspaceId, key) as string | undefined;
    return text === undefined ? null : parseStoredJson(text, "idempotency record", key);
  }

  /** One index range of a draft's trail: `seq` after `after` (or before it, backward), `-1`: no limit. */
  listAudit(workspaceId: string, draftId: string, page: AuditPageRequest): StoredAuditEntry[] {
    const after = page.after === null ? null : auditSequence(page.after);
    const rows = (
      page.backward
        ? this.stmt("listAuditBackward").all(workspaceId, draftId, after ?? Number.MAX_SAFE_INTEGER, page.limit ?? -1)
        : this.stmt("listAudit").all(workspaceId, draftId, after ?? -1, page.limit ?? -1)
    ) as (SqlAuditRow & { seq: number })[];
    return rows.map((row) => ({ event: auditEventFromRow(row), position: String(row.seq) }));
  }

  list(
    workspaceId: string,
    state: string | undefined,
    limit: number,
    after: { createdAt: string; id: string } | null,
  ): ListPage {
    const params: unknown[] = [workspaceId];
    let key: "listAll" | "listAllAfter" | "listState" | "listStateAfter";
    if (state === undefined) {
      key = after === null ? "listAll" : "listAllAfter";
    } else {
      key = after === null ? "listState" : "listStateAfter";
      params.push(state);
    }
    if (after !== null) params.push(after.createdAt, after.id);
    params.push(limit + 1);
    const rows = this.stmt(key).all(...params) as DraftRow[];
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      drafts: page.map((row) => ({ document: row.document, version: row.version, draftId: row.id })),
      nextCursor:
        rows.length > limit && last !== undefined ? encodeCursor({ createdAt: last.created_at, id: last.id }) : null,
    };
  }

  /** Rolls the transaction back with `open_draft_exists`, naming the draft that holds the slot. */
  #openDraftExists(workspaceId: string, tenantId: string | null): never {
    const existing =
      tenantId === null ? undefined : (this.stmt("openIdOf").pluck().get(workspaceId, tenantId) as string | undefined);
    if (existing === undefined) {
      throw new Error(`unique index on open_tenant_id violated but no open draft found for tenant ${String(tenantId)}`);
    }
    return rejectWrite({ ok: false, reason: "open_draft_exists", existingDraftId: existing });
  }

  #draftValues(draft: OnboardingDraft, document: string): unknown[] {
    return [
      draft.version,
      draft.lifecycle.state,
      draft.lifecycle.currentCheckpoint,
      draft.identity === null ? null : draft.identity.tenantId,
      openTenantOf(draft),
      draft.updatedAt,
      document,
    ];
  }

  #commit(input: CommitInput): WriteResult {
    const { draft } = input;
    let changes: number;
    try {
      const values = [...this.#draftValues(draft, input.document), draft.workspaceId, draft.id, input.expectedVersion];
      changes =
        input.basis === undefined
          ? this.stmt("updateDraft").run(...values).changes
          : this.stmt("updateDraftOnBasis").run(...values, input.basis).changes;
    } catch (error) {
      if (errorCode(error) === "SQLITE_CONSTRAINT_UNIQUE")
        this.#openDraftExists(draft.workspaceId, openTenantOf(draft));
      throw error;
    }
    if (changes !== 1) {
      const actual = this.stmt("versionOf").pluck().get(draft.workspaceId, draft.id) as number | undefined;
      rejectWrite({ ok: false, reason: "version_conflict", actualVersion: actual ?? null });
    }
    // The entries ride on the first audit row (the journal, see ./outbox.ts): no row of their own.
    const carried = input.events.length > 0;
    this.#appendAudit(input.events, carried ? journalOf(input.outbox) : null);
    this.#insertIdempotency(input.idempotency);
    if (!carried) this.outbox.insertEntries(input.outbox);
    return { ok: true };
  }

  #insert(input: InsertInput): WriteResult {
    const { draft } = input;
    try {
      this.stmt("insertDraft").run(
        draft.workspaceId,
        draft.id,
        draft.createdAt,
        ...this.#draftValues(draft, input.document),
      );
    } catch (error) {
      const code = errorCode(error);
      if (code === "SQLITE_CONSTRAINT_PRIMARYKEY" || code === "SQLITE_CONSTRAINT_UNIQUE") {
        // SQLite reports whichever index it checked first; an existing id wins over the tenant rule.
        if (this.stmt("versionOf").pluck().get(draft.workspaceId, draft.id) !== undefined) {
          rejectWrite({ ok: false, reason: "draft_exists" });
        }
        if (code === "SQLITE_CONSTRAINT_UNIQUE") this.#openDraftExists(draft.workspaceId, openTenantOf(draft));
      }
      throw error;
    }
    this.#appendAudit([input.event]);
    this.#insertIdempotency(input.idempotency);
    return { ok: true };
  }

  #insertIdempotency(record: IdempotencyRecord | null): void {
    if (record === null) return;
    try {
      this.stmt("insertIdempotency").run(
        record.workspaceId,
        record.key,
        record.draftId,
        record.commandType,
        record.createdAt,
        JSON.stringify(record),
      );
    } catch (error) {
      const code = errorCode(error);
      if (code === "SQLITE_CONSTRAINT_PRIMARYKEY" || code === "SQLITE_CONSTRAINT_UNIQUE") {
        rejectWrite({ ok: false, reason: "idempotency_key_exists" });
      }
      throw error;
    }
  }

  /**
   * Inserts the entries in order; the first carries `journal` (a commit's outbox entries), if any.
   * Rows without one name no `outbox` column, so inserts and appends still work on a schema from
   * before migration 6 (only a commit with entries needs it).
   */
  #appendAudit(events: readonly AuditEvent[], journal: string | null = null): void {
    let outbox = journal;
    for (const e of events) {
      this.stmt(outbox === null ? "insertAudit" : "insertAuditJournal").run(
        e.eventId,
        e.workspaceId,
        e.draftId,
        e.kind,
        e.commandType,
        e.actorId,
        e.at,
        e.fromVersion,
        e.toVersion,
        e.expectedVersion,
        e.actualVersion,
        e.idempotencyKey,
        e.feedback,
        e.runIds.length === 0 ? "[]" : JSON.stringify(e.runIds),
        e.capability,
        e.state,
        ...(outbox === null ? [] : [outbox]),
      );
      outbox = null;
    }
  }
}

function buildSql(t: SqliteTableNames) {
  const drafts = `"${t.drafts}"`;
  const audit = `"${t.audit}"`;
  const idempotency = `"${t.idempotency}"`;
  const auditColumns =
    "event_id, workspace_id, draft_id, kind, command_type, actor_id, at, from_version, to_version, " +
    "expected_version, actual_version, idempotency_key, feedback, run_ids, capability, state";
  const listHead = `SELECT document, version, created_at, id FROM ${drafts} WHERE workspace_id = ?`;
  // A row-value comparison: SQLite seeks the index to the cursor instead of filtering from the start.
  const after = ` AND (created_at, id) > (?, ?)`;
  const listTail = ` ORDER BY created_at, id LIMIT ?`;
  const auditHead =
    `SELECT seq, event_id, workspace_id, draft_id, kind, command_type, actor_id, at, from_version, to_version, ` +
    `expected_version, actual_version, idempotency_key, feedback, run_ids, capability, state FROM ${audit} ` +
    `WHERE workspace_id = ? AND draft_id = ?`;
  return {
    // Reads select the version column too: the engine checks it against the document.
    loadDocument: `SELECT version, document FROM ${drafts} WHERE workspace_id = ? AND id = ?`,
    findOpen: `SELECT id, version, document FROM ${drafts} WHERE workspace_id = ? AND open_tenant_id = ?`,
    openIdOf: `SELECT id FROM ${drafts} WHERE workspace_id = ? AND open_tenant_id = ?`,
    versionOf: `SELECT version FROM ${drafts} WHERE workspace_id = ? AND id = ?`,
    updateDraft:
      `UPDATE ${drafts} SET version = ?, state = ?, current_checkpoint = ?, tenant_id = ?, open_tenant_id = ?, ` +
      `updated_at = ?, document = ? WHERE workspace_id = ? AND id = ? AND version = ?`,
    // A commit computed from the engine's cached draft: the stored text must still be its basis.
    updateDraftOnBasis:
      `UPDATE ${drafts} SET version = ?, state = ?, current_checkpoint = ?, tenant_id = ?, open_tenant_id = ?, ` +
      `updated_at = ?, document = ? WHERE workspace_id = ? AND id = ? AND version = ? AND document = ?`,
    insertDraft:
      `INSERT INTO ${drafts} (workspace_id, id, created_at, version, state, current_checkpoint, tenant_id, ` +
      `open_tenant_id, updated_at, document) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    insertAudit: `INSERT INTO ${audit} (${auditColumns}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    // The first row of a commit with outbox entries: they ride on it as the journal.
    insertAuditJournal: `INSERT INTO ${audit} (${auditColumns}, outbox) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    // Both walks are one range of the (workspace_id, draft_id, seq) index; LIMIT -1 is no limit.
    listAudit: `${auditHead} AND seq > ? ORDER BY seq LIMIT ?`,
    listAuditBackward: `${auditHead} AND seq < ? ORDER BY seq DESC LIMIT ?`,
    // Rejection path only: scans one draft's entries through the audit index (no extra index to
    // maintain on every write).
    eventStored: `SELECT 1 FROM ${audit} WHERE workspace_id = ? AND draft_id = ? AND event_id = ? LIMIT 1`,
    loadIdempotency: `SELECT record FROM ${idempotency} WHERE workspace_id = ? AND key = ?`,
    pruneIdempotency: `DELETE FROM ${idempotency} WHERE created_at < ?`,
    insertIdempotency: `INSERT INTO ${idempotency} (workspace_id, key, draft_id, command_type, created_at, record) VALUES (?, ?, ?, ?, ?, ?)`,
    listAll: listHead + listTail,
    listAllAfter: listHead + after + listTail,
    listState: `${listHead} AND state = ?${listTail}`,
    listStateAfter: `${listHead} AND state = ?${after}${listTail}`,
  } as const;
}

/**
 * Creates the SQLite storage adapter on better-sqlite3 12.x.
 *
 * - Pass `database` to use a connection you own (it is never closed by the store), or `filename`
 *   (a path or `":memory:"`) to let the store open its own: better-sqlite3 is imported on first
 *   use, files are switched to WAL journal mode, and `close()` closes it.
 * - Every write is one synchronous better-sqlite3 transaction started with `BEGIN IMMEDIATE`:
 *   version-checked `UPDATE`, audit `INSERT`s, idempotency `INSERT`, `COMMIT`. Unique violations
 *   (open draft per tenant, idempotency key, draft id) become `WriteRejection`s with nothing written.
 *   A commit's outbox entries are written in that same transaction, as JSON in the `outbox`
 *   column of its first audit row (the journal); every outbox operation first moves them into the
 *   outbox table (see ./outbox.ts), so they are there for any operation after the commit returned.
 * - `claimOutbox` is one `BEGIN IMMEDIATE` transaction (an `UPDATE ... RETURNING` of the oldest
 *   claimable entries), so two connections never lease the same entry at once.
 * - A rejected write whose first audit entry (`eventId`) is already stored for the draft was
 *   applied before (re-sent after a lost reply): it reports `{ ok: true }`.
 * - Reads check the `version` column against the document: a mismatch is `CorruptRecordError`.
 * - `SQLITE_BUSY` is first absorbed by the `busy_timeout` pragma; one that still escapes is retried
 *   a bounded number of times (8, jittered backoff up to 200 ms) before it becomes a `StoreError`.
 * - Other driver errors are wrapped in `StoreError`; a stored document that is not JSON is a
 *   `CorruptRecordError`.
 *
 * Call `migrate()` before first use (or apply `sqliteMigrationSql(version, prefix)` with your own tool).
 *
 * @throws `ConfigurationError` for an invalid `tablePrefix` or `busyTimeoutMs`, or when neither
 *   or both of `database` and `filename` are given.
 *
 * @example
 * ```ts
 * import { createOnboardingEngine } from "onboarding-lifecycle";
 * import { createSqliteStore } from "onboarding-lifecycle/adapters/sqlite";
 *
 * const store = createSqliteStore({ filename: "onboarding.db" });
 * await store.migrate();
 * const engine = createOnboardingEngine({ store, authorize: () => true });
 * // ...
 * await store.close();
 * ```
 */
export function createSqliteStore(options: SqliteStoreOptions): SqliteStore {
  const given = options as { database?: unknown; filename?: unknown };
  const hasDatabase = given.database !== undefined;
  const hasFilename = given.filename !== undefined;
  if (hasDatabase === hasFilename) {
    throw new ConfigurationError("database", "createSqliteStore needs exactly one of `database` and `filename`");
  }
  if (hasFilename && (typeof given.filename !== "string" || given.filename === "")) {
    throw new ConfigurationError("filename", 'filename must be a non-empty path or ":memory:"');
  }
  const tables = sqliteTableNames(options.tablePrefix ?? DEFAULT_SQLITE_TABLE_PREFIX);
  const tablePrefix = options.tablePrefix ?? DEFAULT_SQLITE_TABLE_PREFIX;
  const busyTimeoutMs = validateBusyTimeout(options.busyTimeoutMs);

  let connection: Promise<Connection> | null = null;
  let owned: SqliteDatabase | null = null;
  let closed = false;

  async function withBusyRetry<T>(fn: () => T): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return fn();
      } catch (error) {
        if (!isBusy(error) || attempt >= MAX_BUSY_RETRIES) throw error;
      }
      await sleep(busyBackoff(attempt));
    }
  }

  async function open(): Promise<Connection> {
    if (options.database !== undefined) {
      const db = options.database;
      if (options.busyTimeoutMs !== undefined) db.pragma(`busy_timeout = ${busyTimeoutMs}`);
      return new Connection(db, tables);
    }
    const module = (await loadDriver("better-sqlite3", "filename", () => import("better-sqlite3"))) as {
      default?: typeof BetterSqlite3;
    } & typeof BetterSqlite3;
    const Driver = module.default ?? module;
    const db = new Driver(options.filename, { timeout: busyTimeoutMs });
    try {
      db.pragma(`busy_timeout = ${busyTimeoutMs}`);
      if (!db.memory) await withBusyRetry(() => db.pragma("journal_mode = WAL"));
    } catch (error) {
      db.close();
      throw error;
    }
    owned = db;
    return new Connection(db, tables);
  }

  function connect(): Promise<Connection> {
    if (connection === null) {
      connection = open();
      // A failed open is retried by the next call instead of being remembered forever.
      connection.catch(() => {
        connection = null;
      });
    }
    return connection;
  }

  /** Runs `fn` on the open connection, retrying `SQLITE_BUSY`; unwrapped (see `run`, `write`). */
  async function onConnection<T>(fn: (conn: Connection) => T): Promise<T> {
    if (closed) throw new Error("the store is closed");
    const conn = await connect();
    if (closed) throw new Error("the store is closed");
    return withBusyRetry(() => fn(conn));
  }

  function run<T>(operation: string, fn: (conn: Connection) => T): Promise<T> {
    return wrapStoreErrors(ADAPTER, operation, () => onConnection(fn));
  }

  /** One write transaction; a rejection it throws (`rejectWrite`, which rolls it back) becomes the result. */
  function write(operation: string, fn: (conn: Connection) => WriteResult): Promise<WriteResult> {
    return storeWrite(ADAPTER, operation, () => onConnection(fn));
  }

  /**
   * A rejected write whose first audit entry is already stored for the draft was applied before
   * (the same write re-sent, e.g. after a lost reply): it reports applied. Looked up after the
   * transaction rolled back, so this attempt's own rows are never seen.
   */
  function settle(operation: string, draft: OnboardingDraft, event: AuditEvent | undefined) {
    // An applied write skips the extra promise of the lookup: this is every write's path.
    return (result: WriteResult): WriteResult | Promise<WriteResult> =>
      result.ok
        ? result
        : unlessApplied(result, event, (eventId) =>
            run(operation, (conn) => conn.eventStored(draft.workspaceId, draft.id, eventId)),
          );
  }

  const store: SqliteStore = {
    name: ADAPTER,
    tables,
    describe: () => ({
      system: "sqlite",
      namespace: options.filename ?? options.database.name,
      collections: prefixedCollections(tablePrefix),
    }),
    migrate: (migrateOptions: StoreMigrateOptions = {}) =>
      run("migrate", (conn) => runSqliteMigrations(conn.db, { ...migrateOptions, tablePrefix })),
    schemaStatus: () => run("schemaStatus", (conn) => readSqliteSchemaStatus(conn.db, tablePrefix)),
    database: () => run("database", (conn) => conn.db),
    load: (workspaceId, draftId) => run("load", (conn) => conn.loadDocument(workspaceId, draftId)),
    findOpenDraft: (workspaceId, tenantId) =>
      run("findOpenDraft", (conn) => conn.findOpenDocument(workspaceId, tenantId)),
    loadIdempotency: (workspaceId, key) => run("loadIdempotency", (conn) => conn.loadIdempotency(workspaceId, key)),
    async pruneIdempotency(before) {
      const cutoff = idempotencyCutoff(before);
      return run("pruneIdempotency", (conn) => conn.stmt("pruneIdempotency").run(cutoff).changes);
    },
    async listAudit(workspaceId, draftId, page) {
      const request = readAuditPage(page);
      return run("listAudit", (conn) => conn.listAudit(workspaceId, draftId, request));
    },
    async list(workspaceId, listOptions) {
      // limit and state were checked by the engine; only the cursor is the store's to read.
      const after = listCursor(listOptions.cursor);
      return run("list", (conn) => conn.list(workspaceId, listOptions.state, listOptions.limit, after));
    },
    insert: (input) =>
      write("insert", (conn) => conn.insertTx.immediate(input)).then(settle("insert", input.draft, input.event)),
    commit: (input) =>
      write("commit", (conn) => conn.commitTx.immediate(input)).then(settle("commit", input.draft, input.events[0])),
    async appendAudit(events) {
      if (events.length === 0) return;
      await run("appendAudit", (conn) => conn.appendTx.immediate(events));
    },
    ...sqliteOutboxMethods((operation, fn) => run(operation, (conn) => fn(conn.outbox))),
    admin: sqliteAdmin(tables, (operation, fn) => run(operation, (conn) => fn(conn.db))),
    async close() {
      if (closed) return;
      closed = true;
      const pending = connection;
      connection = null;
      if (pending !== null) await pending.catch(() => undefined);
      if (owned !== null) {
        const db = owned;
        owned = null;
        await wrapStoreErrors(ADAPTER, "close", async () => {
          if (db.open) db.close();
        });
      }
    },
  };
  return store;
}
