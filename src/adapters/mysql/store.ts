/**
 * adapters/mysql/store.ts — the `DraftStore` on MySQL 8 / MariaDB 10.11 through `mysql2/promise`.
 *
 * May import: store/ (port, cursors, identifiers), record/ (types, errors), vocabulary/ and
 * `mysql2` — types only at top level; the driver itself is loaded with a dynamic `import()` only
 * when the adapter opens its own pool. I/O only: the engine encodes and decodes drafts.
 *
 * Isolation: the adapter never changes the session's isolation level; it works the same under
 * the default REPEATABLE READ and under READ COMMITTED. Inside a write transaction every
 * statement is a write (the version-checked `UPDATE` is a locking, "current" read of the latest
 * committed row, never of a snapshot), and every plain read (`load`, the actual version after a
 * conflict, the owner of an open-draft slot) runs outside a transaction in autocommit mode, so it
 * sees the latest committed data.
 *
 * Galera (MariaDB Galera Cluster): a write that loses certification to a write committed on
 * another node fails with ER_LOCK_DEADLOCK at `COMMIT` (or earlier, when the replicated write
 * aborts it), after its `UPDATE` reported one affected row. Nothing of it was applied, so it is
 * handled as every deadlock is: run again, where it meets the winner's row (a version conflict)
 * or key (a duplicate key), and, should the server keep aborting it, reported as the rejection a
 * concurrent writer causes, never as a driver error. Reads on a node may lag the cluster:
 * `causalReads` makes them wait for it. A node outside the primary component refuses every
 * statement (1047): a `StoreError` whose cause is a `GaleraNodeUnavailable` (errors.ts).
 */
import type { Pool, PoolConnection, PoolOptions, ResultSetHeader, RowDataPacket } from "mysql2/promise";
import { type AuditEvent, type IdempotencyRecord, type OnboardingDraft, type OutboxEntry } from "../../record/index.js";
import type { LifecycleState } from "../../vocabulary/index.js";
import {
  auditSequence,
  encodeCursor,
  listCursor,
  readAuditPage,
  type AuditPageRequest,
  storeWrite,
  unlessApplied as settleRejection,
  type WriteAttempt,
  openTenantOf,
  type CommitInput,
  type DraftStore,
  type OutboxStore,
  type InsertInput,
  type ListOptions,
  type ListPage,
  type StoredDraft,
  type WriteResult,
  parseStoredJson,
  idempotencyCutoff,
  loadDriver,
  wrapStoreErrors,
  type StoreAdmin,
  type MigrateResult,
  type SchemaStatus,
  type StoreMigrateOptions,
  databaseNameOf,
  prefixedCollections,
} from "../../store/index.js";
import { DEFAULT_MYSQL_TABLE_PREFIX, mysqlTableNames, type MySqlTableNames } from "./schema.js";
import { migrateMySql, mysqlSchemaStatus } from "./migrations.js";
import { createMySqlOutbox } from "./outbox.js";
import { namedServerError } from "./errors.js";
import { mysqlAdmin } from "./admin.js";

const ADAPTER = "mysql";

/** Options shared by both ways of creating the store. */
interface MySqlStoreCommonOptions {
  /** Prefix of the table names (default `onboarding_`); a plain SQL identifier. */
  readonly tablePrefix?: string;
  /**
   * MariaDB Galera Cluster: run the store's reads, the start of its write transactions and the
   * outbox's statements with `wsrep_sync_wait = 7` (per statement, MariaDB's `SET STATEMENT ...
   * FOR`), so each waits until its node has applied every transaction the cluster committed
   * before it began: a read after a commit on another node sees that commit, and an outbox
   * settlement after a claim on another node finds the lease. Default `false`: a statement sees
   * what its node has applied so far (draft writes stay safe either way: a commit based on a
   * stale read is rejected as a version conflict). Costs one round of the cluster's group
   * communication per statement. MariaDB only (MySQL has no `SET STATEMENT`; on a MySQL-based
   * Galera set `wsrep_sync_wait` for the session or the server instead).
   */
  readonly causalReads?: boolean;
}

/** The store uses a pool the caller created and owns (and closes). */
export interface MySqlStorePoolOptions extends MySqlStoreCommonOptions {
  /**
   * A `mysql2/promise` pool. Its connections must use the utf8mb4 character set (the mysql2
   * default) and autocommit (the server default). `close()` of the store leaves it open.
   */
  readonly pool: Pool;
}

/** The store opens (with a dynamic `import("mysql2/promise")`) and owns its pool. */
export interface MySqlStoreConnectionOptions extends MySqlStoreCommonOptions {
  /**
   * A connection URI (`mysql://user:pass@127.0.0.1:3306/db`) or `mysql2` pool options. The
   * character set is forced to utf8mb4. `close()` of the store ends the pool.
   */
  readonly connection: string | PoolOptions;
}

/** Options of {@link createMySqlStore}: either a caller-owned `pool` or `connection` options. */
export type MySqlStoreOptions = MySqlStorePoolOptions | MySqlStoreConnectionOptions;

/** A {@link DraftStore} (with its {@link OutboxStore} half) on MySQL / MariaDB, plus its schema management. */
export interface MySqlStore extends DraftStore, OutboxStore {
  /** The table names this store reads and writes. */
  readonly tables: MySqlTableNames;
  /**
   * Brings the schema to the latest version (see {@link migrateMySql}): idempotent, safe to run
   * on every start-up and from several processes at once.
   */
  migrate(options?: StoreMigrateOptions): Promise<MigrateResult>;
  /** Where the schema stands: its version, the latest, the pending migrations (reads only; see {@link mysqlSchemaStatus}). */
  schemaStatus(): Promise<SchemaStatus>;
  /** Ends the pool when the store opened it itself; a no-op for a caller's pool. */
  close(): Promise<void>;
  /** The pool in use (opening it first when the store owns it). */
  pool(): Promise<Pool>;
  /** Counts per state, a scan of every document and a rewrite that keeps the version (see `StoreAdmin`). */
  readonly admin: StoreAdmin;
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

/** How many times a transaction is retried after a deadlock or a vanished open-draft owner. */
const MAX_ATTEMPTS = 5;
const ER_DUP_ENTRY = 1062;
const ER_LOCK_DEADLOCK = 1213;
const ER_PARSE_ERROR = 1064;

type Param = string | number | null;

/**
 * The `read` operations that are plain SELECTs in autocommit mode: they take no row locks, so
 * with `causalReads` a 1205 they get can only come from the causality wait (errors.ts).
 */
const LOCK_FREE_READS = new Set([
  "load",
  "findOpenDraft",
  "loadIdempotency",
  "listAudit",
  "commit",
  "list",
  "countDrafts",
  "scanDrafts",
]);

/** What a failed transaction step was doing, so a duplicate key can be classified. */
type Step = "insert_draft" | "update_draft" | "insert_idempotency" | "insert_audit" | "insert_outbox" | "other";

/** Before running a transaction the server aborted again: a few jittered ms, so a replicated winner can land. */
function pause(attempt: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.floor(Math.random() * 4 * attempt)));
}

/** mysql2 marks errors after which the connection is unusable as `fatal`. */
function isFatal(error: unknown): boolean {
  return typeof error === "object" && error !== null && (error as { fatal?: unknown }).fatal === true;
}

function errno(error: unknown): number | undefined {
  if (typeof error === "object" && error !== null && "errno" in error) {
    const value = error.errno;
    if (typeof value === "number") return value;
  }
  return undefined;
}

/** The index name of an ER_DUP_ENTRY message (`... for key 'open_tenant'`, MySQL 8: `'t.open_tenant'`). */
function duplicateKeyName(error: unknown): string | null {
  const message = error instanceof Error ? error.message : "";
  const match = /for key '([^']*)'$/.exec(message);
  if (match === null || match[1] === undefined) return null;
  const name = match[1];
  return name.slice(name.lastIndexOf(".") + 1);
}

function text(value: unknown): string {
  if (typeof value === "string") return value;
  if (Buffer.isBuffer(value)) return value.toString("utf8");
  return String(value);
}

/** A draft row as the engine decodes it: the document as the driver returned it and the version column. */
function storedDraft(row: RowDataPacket, draftId: string): StoredDraft {
  return { document: row["document"], version: row["version"] as number | string | bigint | null, draftId };
}

function parseJson(raw: unknown, what: string, recordId: string | null): unknown {
  return parseStoredJson(raw, what, recordId);
}

function auditRow(event: AuditEvent): Param[] {
  return [
    event.workspaceId,
    event.draftId,
    event.eventId,
    event.kind,
    event.commandType,
    event.actorId,
    event.at,
    event.fromVersion,
    event.toVersion,
    event.state,
    JSON.stringify(event),
  ];
}

/**
 * Creates the MySQL / MariaDB store. Pass a `mysql2/promise` pool you own, or `connection`
 * options for a pool the store opens lazily (dynamic import of `mysql2/promise`) and ends in
 * `close()`. Call `migrate()` on start-up (or apply `mysqlMigrationSql(version, prefix)` with your migration tool).
 *
 * Guarantees: `commit` is one transaction — a version-checked `UPDATE` (`WHERE workspace_id = ?
 * AND id = ? AND version = ?`), then the idempotency row and the audit rows; a conflict or a
 * duplicate key rolls everything back. The open-draft rule is the unique index
 * `(workspace_id, open_tenant_id)`. Every value is a `?` parameter of a prepared statement.
 * A rejected write whose first audit entry (`eventId`) is already stored for the draft was
 * applied before (re-sent after a lost reply) and reports `{ ok: true }`. Reads check the
 * `version` column against the document (a mismatch is `CorruptRecordError`).
 *
 * @throws {@link onboarding-lifecycle!ConfigurationError} for an invalid `tablePrefix` (and, from
 *   the first call, when a store given `connection` finds `mysql2` not installed).
 *
 * @example
 * ```ts
 * import { createPool } from "mysql2/promise";
 * import { createMySqlStore } from "onboarding-lifecycle/adapters/mysql";
 *
 * const pool = createPool({ host: "127.0.0.1", user: "app", database: "app", charset: "utf8mb4" });
 * const store = createMySqlStore({ pool, tablePrefix: "onboarding_" });
 * await store.migrate();
 * const engine = createOnboardingEngine({ store, authorize: () => true });
 * ```
 */
export function createMySqlStore(options: MySqlStoreOptions): MySqlStore {
  const tablePrefix = options.tablePrefix ?? DEFAULT_MYSQL_TABLE_PREFIX;
  /**
   * Galera's causality wait, when asked for, before every read, START TRANSACTION and outbox
   * statement: 7 = reads, updates and deletes, inserts (the outbox's are conditional UPDATEs).
   */
  const causal = options.causalReads === true ? "SET STATEMENT wsrep_sync_wait = 7 FOR " : "";
  const startTransaction = `${causal}START TRANSACTION`;
  const tables = mysqlTableNames(tablePrefix);
  const owned = !("pool" in options);
  let poolPromise: Promise<Pool> | null = "pool" in options ? Promise.resolve(options.pool) : null;
  /** The pool once known, so the hot path skips a promise hop. */
  let ready: Pool | null = "pool" in options ? options.pool : null;
  let closed = false;

  function getPool(): Promise<Pool> {
    if (closed) {
      return wrapStoreErrors(ADAPTER, "pool", () => Promise.reject(new Error("the store was closed")));
    }
    if (poolPromise === null) {
      const connection = (options as MySqlStoreConnectionOptions).connection;
      poolPromise = loadDriver("mysql2", "connection", () => import("mysql2/promise")).then((driver) => {
        const config: PoolOptions =
          typeof connection === "string"
            ? { uri: connection, charset: "utf8mb4" }
            : { ...connection, charset: "utf8mb4" };
        ready = driver.createPool(config);
        return ready;
      });
      poolPromise.catch(() => undefined);
    }
    return poolPromise;
  }

  const D = `\`${tables.drafts}\``;
  const A = `\`${tables.audit}\``;
  const I = `\`${tables.idempotency}\``;

  const SQL = {
    // Reads select the version column too: the engine checks it against the document.
    load: `SELECT \`version\`, \`document\` FROM ${D} WHERE \`workspace_id\` = ? AND \`id\` = ?`,
    version: `SELECT \`version\` FROM ${D} WHERE \`workspace_id\` = ? AND \`id\` = ?`,
    exists: `SELECT 1 AS \`found\` FROM ${D} WHERE \`workspace_id\` = ? AND \`id\` = ?`,
    openOwner: `SELECT \`id\` FROM ${D} WHERE \`workspace_id\` = ? AND \`open_tenant_id\` = ?`,
    findOpen: `SELECT \`id\`, \`version\`, \`document\` FROM ${D} WHERE \`workspace_id\` = ? AND \`open_tenant_id\` = ?`,
    insertDraft:
      `INSERT INTO ${D} (\`workspace_id\`, \`id\`, \`version\`, \`state\`, \`current_checkpoint\`, \`tenant_id\`, ` +
      `\`open_tenant_id\`, \`created_at\`, \`updated_at\`, \`document\`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    updateDraft:
      `UPDATE ${D} SET \`version\` = ?, \`state\` = ?, \`current_checkpoint\` = ?, \`tenant_id\` = ?, ` +
      `\`open_tenant_id\` = ?, \`updated_at\` = ?, \`document\` = ? ` +
      `WHERE \`workspace_id\` = ? AND \`id\` = ? AND \`version\` = ?`,
    // A commit computed from the engine's cached draft: the stored text must still be its basis
    // (utf8mb4_bin: a byte comparison, up to trailing spaces, which JSON ignores anyway).
    updateDraftOnBasis:
      `UPDATE ${D} SET \`version\` = ?, \`state\` = ?, \`current_checkpoint\` = ?, \`tenant_id\` = ?, ` +
      `\`open_tenant_id\` = ?, \`updated_at\` = ?, \`document\` = ? ` +
      `WHERE \`workspace_id\` = ? AND \`id\` = ? AND \`version\` = ? AND \`document\` = ?`,
    insertIdempotency:
      `INSERT INTO ${I} (\`workspace_id\`, \`idempotency_key\`, \`draft_id\`, \`command_type\`, \`created_at\`, \`record\`) ` +
      `VALUES (?, ?, ?, ?, ?, ?)`,
    loadIdempotency: `SELECT \`record\` FROM ${I} WHERE \`workspace_id\` = ? AND \`idempotency_key\` = ?`,
    pruneIdempotency: `DELETE FROM ${I} WHERE \`created_at\` < ?`,
    lockDraft: `SELECT 1 FROM ${D} WHERE \`workspace_id\` = ? AND \`id\` = ? FOR UPDATE`,
    // Rejection path only: scans one draft's entries through `draft_seq` (no extra index to
    // maintain on every write).
    eventStored: `SELECT 1 AS \`found\` FROM ${A} WHERE \`workspace_id\` = ? AND \`draft_id\` = ? AND \`event_id\` = ? LIMIT 1`,
  } as const;

  const auditColumns =
    "(`workspace_id`, `draft_id`, `event_id`, `kind`, `command_type`, `actor_id`, `at`, `from_version`, `to_version`, `state`, `event`)";
  const auditInsertSql = new Map<number, string>();
  function insertAuditSql(count: number): string {
    let sql = auditInsertSql.get(count);
    if (sql === undefined) {
      sql = `INSERT INTO ${A} ${auditColumns} VALUES ${Array.from({ length: count }, () => "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)").join(", ")}`;
      if (count <= 8) auditInsertSql.set(count, sql);
    }
    return sql;
  }

  /**
   * One page of a draft's trail: one range of the `draft_seq` index (`seq` after or before the
   * position, then `LIMIT`). Pushes the page's parameters after the draft's two.
   */
  function auditPageSql(page: AuditPageRequest, params: Param[]): string {
    let sql = `SELECT CAST(\`seq\` AS CHAR) AS \`position\`, \`event\` FROM ${A} WHERE \`workspace_id\` = ? AND \`draft_id\` = ?`;
    if (page.after !== null) {
      sql += page.backward ? " AND `seq` < ?" : " AND `seq` > ?";
      params.push(String(auditSequence(page.after)));
    }
    sql += page.backward ? " ORDER BY `seq` DESC" : " ORDER BY `seq`";
    if (page.limit !== null) {
      sql += " LIMIT ?";
      params.push(String(page.limit)); // a string: see `list`
    }
    return sql;
  }

  async function rows(sql: string, params: readonly Param[]): Promise<RowDataPacket[]> {
    const pool = ready !== null && !closed ? ready : await getPool();
    const [result] = await pool.execute<RowDataPacket[]>(causal + sql, params as Param[]);
    return result;
  }

  /**
   * Runs a read, wrapping driver failures in StoreError (our own errors pass through; a Galera
   * node's 1047 is named first, see errors.ts).
   */
  function read<T>(operation: string, run: () => Promise<T>): Promise<T> {
    return wrapStoreErrors(ADAPTER, operation, async () => {
      try {
        return await run();
      } catch (error) {
        throw namedServerError(error, causal !== "" && LOCK_FREE_READS.has(operation));
      }
    });
  }

  async function openOwner(workspaceId: string, tenantId: string): Promise<string | null> {
    const found = await rows(SQL.openOwner, [workspaceId, tenantId]);
    return found[0] === undefined ? null : text(found[0]["id"]);
  }

  async function actualVersion(workspaceId: string, draftId: string): Promise<number | null> {
    const found = await rows(SQL.version, [workspaceId, draftId]);
    return found[0] === undefined ? null : Number(found[0]["version"]);
  }

  async function rollback(connection: PoolConnection): Promise<boolean> {
    try {
      await connection.query("ROLLBACK");
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Runs `body` in a transaction on a dedicated connection. A rejection returned by `body` (or
   * derived from a duplicate key by `classify`) rolls back; deadlocks and `"retry"` run it again.
   * A transaction the server still aborts (ER_LOCK_DEADLOCK: an InnoDB deadlock, a Galera
   * certification failure) after `MAX_ATTEMPTS` runs applied nothing: `aborted` names the
   * rejection that explains it, else the driver's error goes to the one error wrapper
   * (`storeWrite`), as every other failure does.
   */
  function transaction(
    operation: string,
    body: (connection: PoolConnection, step: (s: Step) => void) => Promise<WriteResult>,
    classify: (step: Step, error: unknown) => Promise<WriteAttempt | null>,
    aborted: () => Promise<WriteResult | null>,
  ): Promise<WriteResult> {
    return storeWrite(ADAPTER, operation, async () => {
      for (let attempt = 1; ; attempt += 1) {
        const connection = await (ready !== null && !closed ? ready : await getPool()).getConnection();
        let step: Step = "other";
        let healthy = true;
        let outcome: WriteResult;
        try {
          await connection.query(startTransaction);
        } catch (error) {
          // A pooled connection that died while idle: nothing was written, so a fresh one may retry.
          connection.destroy();
          if (isFatal(error) && attempt < MAX_ATTEMPTS) continue;
          throw namedServerError(error, causal !== "");
        }
        try {
          outcome = await body(connection, (s) => {
            step = s;
          });
          if (!outcome.ok) {
            healthy = await rollback(connection);
          } else {
            step = "other";
            await connection.query("COMMIT");
          }
        } catch (error) {
          healthy = await rollback(connection);
          if (!healthy) {
            connection.destroy();
            throw namedServerError(error);
          }
          connection.release();
          const code = errno(error);
          let classified: WriteAttempt | null = null;
          if (code === ER_DUP_ENTRY) classified = await classify(step, error);
          else if (code === ER_LOCK_DEADLOCK) classified = "retry";
          if (classified === "retry") {
            if (attempt < MAX_ATTEMPTS) {
              if (code === ER_LOCK_DEADLOCK) await pause(attempt);
              continue;
            }
            const rejection = code === ER_LOCK_DEADLOCK ? await aborted() : null;
            if (rejection !== null) return rejection;
            throw error;
          }
          if (classified !== null) return classified;
          throw namedServerError(error);
        }
        if (healthy) connection.release();
        else connection.destroy();
        return outcome;
      }
    });
  }

  const outbox = createMySqlOutbox({
    table: tables.outbox,
    journal: tables.journal,
    pool: () => (ready !== null && !closed ? ready : getPool()),
    causal,
  });

  // The database a pool was made for: mysql2 keeps it on the core pool's connection config.
  const namespace =
    "pool" in options
      ? databaseNameOf(
          (options.pool as { pool?: { config?: { connectionConfig?: unknown } } }).pool?.config?.connectionConfig,
        )
      : databaseNameOf(options.connection);
  const store: MySqlStore = {
    name: ADAPTER,
    tables,
    describe: () => ({
      system: "mysql",
      ...(namespace === undefined ? {} : { namespace }),
      collections: prefixedCollections(tablePrefix),
    }),
    ...outbox.methods,
    admin: mysqlAdmin({
      tables,
      pool: () => (ready !== null && !closed ? Promise.resolve(ready) : getPool()),
      guard: read,
    }),

    async migrate(migrateOptions: StoreMigrateOptions = {}) {
      return migrateMySql(await getPool(), { ...migrateOptions, tablePrefix });
    },

    async schemaStatus() {
      return mysqlSchemaStatus(await getPool(), { tablePrefix });
    },

    async close() {
      if (!owned || closed) return;
      closed = true;
      const pending = poolPromise;
      poolPromise = null;
      ready = null;
      if (pending !== null) await wrapStoreErrors(ADAPTER, "close", async () => (await pending).end());
    },

    pool: getPool,

    pruneIdempotency(before) {
      let cutoff: string;
      try {
        cutoff = idempotencyCutoff(before);
      } catch (error) {
        return Promise.reject(error);
      }
      return read("pruneIdempotency", async () => {
        const pool = ready !== null && !closed ? ready : await getPool();
        const [result] = await pool.execute<ResultSetHeader>(SQL.pruneIdempotency, [cutoff]);
        return result.affectedRows;
      });
    },

    load(workspaceId, draftId) {
      return read("load", async () => {
        const found = await rows(SQL.load, [workspaceId, draftId]);
        const row = found[0];
        return row === undefined ? null : storedDraft(row, draftId);
      });
    },

    findOpenDraft(workspaceId, tenantId) {
      return read("findOpenDraft", async () => {
        const found = await rows(SQL.findOpen, [workspaceId, tenantId]);
        const row = found[0];
        return row === undefined ? null : storedDraft(row, text(row["id"]));
      });
    },

    loadIdempotency(workspaceId, key) {
      return read("loadIdempotency", async () => {
        const found = await rows(SQL.loadIdempotency, [workspaceId, key]);
        return found[0] === undefined ? null : parseJson(found[0]["record"], "idempotency record", key);
      });
    },

    listAudit(workspaceId, draftId, page) {
      let sql: string;
      const params: Param[] = [workspaceId, draftId];
      try {
        sql = auditPageSql(readAuditPage(page), params);
      } catch (error) {
        return Promise.reject(error);
      }
      return read("listAudit", async () => {
        const found = await rows(sql, params);
        return found.map((row) => ({
          event: parseJson(row["event"], "audit entry", draftId),
          position: text(row["position"]),
        }));
      });
    },

    async appendAudit(events) {
      if (events.length === 0) return;
      const groups = new Map<string, AuditEvent[]>();
      for (const event of events) {
        const key = JSON.stringify([event.workspaceId, event.draftId]);
        groups.set(key, [...(groups.get(key) ?? []), event]);
      }
      // Each draft's entries get their `seq` while its row is locked, as a commit's do: per
      // draft, seq order is then commit order, so a reader paging by seq never sees a later entry
      // before an earlier one still in flight (which would leave a gap behind its cursor).
      for (const group of groups.values()) {
        const first = group[0] as AuditEvent;
        await transaction(
          "appendAudit",
          async (connection) => {
            await connection.execute(SQL.lockDraft, [first.workspaceId, first.draftId]);
            await connection.execute(insertAuditSql(group.length), group.flatMap(auditRow));
            return { ok: true };
          },
          async () => null,
          // Aborted every time (Galera: each replicated commit of the draft aborts the lock
          // holder): the entries still land, as one autocommit INSERT without the lock.
          async () => {
            const pool = ready !== null && !closed ? ready : await getPool();
            await pool.execute(insertAuditSql(group.length), group.flatMap(auditRow));
            return { ok: true };
          },
        );
      }
    },

    insert(input: InsertInput) {
      const { draft } = input;
      const written = transaction(
        "insert",
        async (connection, step) => {
          step("insert_draft");
          await connection.execute(SQL.insertDraft, [
            draft.workspaceId,
            draft.id,
            draft.version,
            ...stateColumns(draft),
            draft.createdAt,
            draft.updatedAt,
            input.document,
          ]);
          await writeSideRows(connection, step, [input.event], input.idempotency);
          return { ok: true };
        },
        async (step, error) => {
          if (step === "insert_idempotency") return { ok: false, reason: "idempotency_key_exists" };
          if (step !== "insert_draft") return null;
          const key = duplicateKeyName(error);
          if (key === "PRIMARY") return { ok: false, reason: "draft_exists" };
          if (key !== "open_tenant" && (await rows(SQL.exists, [draft.workspaceId, draft.id])).length > 0) {
            return { ok: false, reason: "draft_exists" };
          }
          return openDraftRejection(draft);
        },
        () => insertAborted(draft, input.idempotency),
      );
      return written.then((result) => (result.ok ? result : unlessApplied("insert", draft, input.event, result)));
    },

    commit(input: CommitInput) {
      const { draft } = input;
      const written = transaction(
        "commit",
        async (connection, step) => {
          step("update_draft");
          const values: Param[] = [
            draft.version,
            ...stateColumns(draft),
            draft.updatedAt,
            input.document,
            draft.workspaceId,
            draft.id,
            input.expectedVersion,
          ];
          const [result] =
            input.basis === undefined
              ? await connection.execute<ResultSetHeader>(SQL.updateDraft, values)
              : await connection.execute<ResultSetHeader>(SQL.updateDraftOnBasis, [...values, input.basis]);
          // The version always changes, so affectedRows is 1 whether or not CLIENT_FOUND_ROWS is set.
          if (result.affectedRows === 0) return { ok: false, reason: "version_conflict", actualVersion: -1 };
          await writeSideRows(connection, step, input.events, input.idempotency, input.outbox);
          return { ok: true };
        },
        async (step, error) => {
          if (step === "insert_idempotency") return { ok: false, reason: "idempotency_key_exists" };
          if (step !== "update_draft") return null;
          void error; // the only unique index an UPDATE of these columns can break is open_tenant
          return openDraftRejection(draft);
        },
        // Aborted run after run: a writer on the draft keeps winning (the actual version is read below).
        () => Promise.resolve({ ok: false, reason: "version_conflict", actualVersion: -1 }),
      );
      return written.then(async (result) => {
        if (result.ok) return result;
        const outcome = await unlessApplied("commit", draft, input.events[0], result);
        if (outcome.ok || outcome.reason !== "version_conflict") return outcome;
        // Read after the rollback, in autocommit: the latest committed version (or null if gone).
        const version = await read("commit", () => actualVersion(draft.workspaceId, draft.id));
        return { ok: false, reason: "version_conflict", actualVersion: version };
      });
    },

    list(workspaceId: string, options: ListOptions): Promise<ListPage> {
      // limit and state were checked by the engine; only the cursor is the store's to read.
      const limit = options.limit;
      const state: LifecycleState | undefined = options.state;
      let position: ReturnType<typeof listCursor>;
      try {
        position = listCursor(options.cursor);
      } catch (error) {
        return Promise.reject(error);
      }
      const where = ["`workspace_id` = ?"];
      const params: Param[] = [workspaceId];
      if (state !== undefined) {
        where.push("`state` = ?");
        params.push(state);
      }
      if (position !== null) {
        where.push("`created_at` >= ? AND (`created_at` > ? OR `id` > ?)");
        params.push(position.createdAt, position.createdAt, position.id);
      }
      // LIMIT takes the validated integer (1..501) as a string parameter: MySQL 8.0.22+ rejects a
      // DOUBLE there, which is how mysql2 sends JS numbers to prepared statements.
      params.push(String(limit + 1));
      const sql =
        `SELECT \`created_at\`, \`id\`, \`version\`, \`document\` FROM ${D} WHERE ${where.join(" AND ")} ` +
        "ORDER BY `created_at`, `id` LIMIT ?";
      return read("list", async () => {
        const found = await rows(sql, params);
        const page = found.slice(0, limit);
        const drafts = page.map((row) => storedDraft(row, text(row["id"])));
        const last = page[page.length - 1];
        const nextCursor =
          found.length > limit && last !== undefined
            ? encodeCursor({ createdAt: text(last["created_at"]), id: text(last["id"]) })
            : null;
        return { drafts, nextCursor };
      });
    },
  };

  /**
   * Whether the server runs a compound statement (`BEGIN NOT ATOMIC ... END`, MariaDB 10.1.1+)
   * outside a stored program: unknown until the first commit with outbox entries tries one;
   * MySQL 8 answers with a parse error (which leaves the transaction as it was), and from then on
   * the audit rows and the entries go in two statements.
   */
  let compoundStatements: boolean | undefined;

  /**
   * The audit rows and a commit's outbox entries (one outbox journal row) in one round trip where
   * the server can, else two INSERTs. The compound statement is prepared (MariaDB prepares
   * `BEGIN NOT ATOMIC ... END` like any statement, and its text varies only with the number of
   * audit rows, so a connection keeps a handful): parsing it again on every commit was a good part
   * of its cost over the bare commit. A failure in either rolls the whole transaction back, as before.
   */
  async function insertAuditAndOutbox(
    connection: PoolConnection,
    step: (s: Step) => void,
    events: readonly AuditEvent[],
    entries: readonly OutboxEntry[],
  ): Promise<void> {
    if (compoundStatements !== false) {
      step("insert_audit");
      const entryInsert = outbox.insertStatement(entries);
      const sql = `BEGIN NOT ATOMIC ${insertAuditSql(events.length)}; ${entryInsert.sql}; END`;
      try {
        await connection.execute(sql, [...events.flatMap(auditRow), ...entryInsert.params]);
        compoundStatements = true;
        return;
      } catch (error) {
        if (compoundStatements === true || errno(error) !== ER_PARSE_ERROR) throw error;
        compoundStatements = false;
      }
    }
    await connection.execute(insertAuditSql(events.length), events.flatMap(auditRow));
    step("insert_outbox");
    await outbox.insertEntries(connection, entries);
  }

  async function writeSideRows(
    connection: PoolConnection,
    step: (s: Step) => void,
    events: readonly AuditEvent[],
    idempotency: IdempotencyRecord | null,
    entries: readonly OutboxEntry[] = [],
  ): Promise<void> {
    if (idempotency !== null) {
      step("insert_idempotency");
      await connection.execute(SQL.insertIdempotency, [
        idempotency.workspaceId,
        idempotency.key,
        idempotency.draftId,
        idempotency.commandType,
        idempotency.createdAt,
        JSON.stringify(idempotency),
      ]);
    }
    if (events.length > 0 && entries.length > 0) {
      await insertAuditAndOutbox(connection, step, events, entries);
      return;
    }
    if (events.length > 0) {
      step("insert_audit");
      await connection.execute(insertAuditSql(events.length), events.flatMap(auditRow));
    }
    if (entries.length > 0) {
      step("insert_outbox");
      await outbox.insertEntries(connection, entries);
    }
  }

  /**
   * A rejected write whose first audit entry is already stored for the draft was applied before
   * (the same write re-sent, e.g. after a lost reply): it is reported as applied, not rejected.
   * Runs after the rollback, in autocommit, so it sees only committed rows (never the rolled-back
   * rows of this attempt). A write without audit entries has nothing to recognise it by.
   */
  /**
   * A rejected write whose first audit entry is already stored for the draft was applied before
   * (the same write re-sent, e.g. after a lost reply): it is reported as applied, not rejected.
   * Runs after the rollback, in autocommit, so it sees only committed rows (never the rolled-back
   * rows of this attempt).
   */
  function unlessApplied(
    operation: string,
    draft: OnboardingDraft,
    event: AuditEvent | undefined,
    rejection: WriteResult,
  ): Promise<WriteResult> {
    return settleRejection(
      rejection,
      event,
      async (eventId) =>
        (await read(operation, () => rows(SQL.eventStored, [draft.workspaceId, draft.id, eventId]))).length > 0,
    );
  }

  /**
   * An insert the server kept aborting (Galera: certification lost to a concurrent insert on
   * another node): what that writer left in its way, read after the rollback. `null` when the
   * reads find nothing (the node has not applied it yet).
   */
  async function insertAborted(
    draft: OnboardingDraft,
    idempotency: IdempotencyRecord | null,
  ): Promise<WriteResult | null> {
    if ((await rows(SQL.exists, [draft.workspaceId, draft.id])).length > 0)
      return { ok: false, reason: "draft_exists" };
    const open = await openDraftRejection(draft);
    if (open !== "retry") return open;
    if (idempotency === null) return null;
    const keyed = await rows(SQL.loadIdempotency, [idempotency.workspaceId, idempotency.key]);
    return keyed.length > 0 ? { ok: false, reason: "idempotency_key_exists" } : null;
  }

  /** After a unique violation on the open-draft slot: who holds it (or retry if it was freed). */
  async function openDraftRejection(draft: OnboardingDraft): Promise<WriteAttempt> {
    const tenantId = openTenantOf(draft);
    if (tenantId === null) return "retry";
    const owner = await openOwner(draft.workspaceId, tenantId);
    if (owner === null || owner === draft.id) return "retry";
    return { ok: false, reason: "open_draft_exists", existingDraftId: owner };
  }

  return store;
}

/** The state columns of a draft: state, current_checkpoint, tenant_id, open_tenant_id. */
function stateColumns(draft: OnboardingDraft): [string, string | null, string | null, string | null] {
  return [
    draft.lifecycle.state,
    draft.lifecycle.currentCheckpoint,
    draft.identity?.tenantId ?? null,
    openTenantOf(draft),
  ];
}
