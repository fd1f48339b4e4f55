/**
 * adapters/mysql/outbox.ts — the outbox half of the MySQL / MariaDB store: the entries a commit
 * writes, leases taken with `SELECT ... FOR UPDATE SKIP LOCKED` and one `UPDATE` in one
 * transaction, delivery outcomes in one statement, keyset listing, and the run-liveness fields of
 * `run.requested` records.
 *
 * A commit appends its entries to the outbox *journal* (one row: an AUTO_INCREMENT `seq` and the
 * entries as one JSON text, no secondary key), the cheapest durable append InnoDB has, inside its
 * transaction. Every outbox operation (settling and releasing aside: they act on claimed entries)
 * first *absorbs* the journal: one autocommit read of its newest `seq` (all it costs when the
 * journal is empty), else batches of journal rows locked in `seq` order (`FOR UPDATE`, blocking,
 * so a concurrent reader waits for rows another absorber is moving), inserted into the indexed
 * outbox table as pending records (`ON DUPLICATE KEY UPDATE` keeps an entry already moved), and
 * deleted, in one READ COMMITTED transaction each. An entry of a commit that returned is
 * therefore seen by every operation that starts after it. Deadlocks, lock wait timeouts and
 * (Galera) lost certifications retry the absorb.
 *
 * May import: store/ (port, argument checks, error wrapper), record/ and `mysql2` types only.
 *
 * Timestamps are text (`VARCHAR ... utf8mb4_bin`) and compared as text: every one is
 * `toISOString()` output, so text order is time order and values come back byte for byte. Ids are
 * `VARBINARY`, compared byte by byte, so ids that only look alike stay apart.
 */
import type { Pool, PoolConnection, ResultSetHeader, RowDataPacket } from "mysql2/promise";
import { newOutboxState, type OutboxEntry } from "../../record/index.js";
import {
  checkOutboxLimit,
  encodeOutboxCursor,
  outboxCursor,
  outboxCutoff,
  wrapStoreErrors,
  type OutboxEntryRef,
  type OutboxSettlement,
  type OutboxStore,
} from "../../store/index.js";

const ADAPTER = "mysql";
const MAX_ATTEMPTS = 5;
const ER_LOCK_DEADLOCK = 1213;
const ER_LOCK_WAIT_TIMEOUT = 1205;
/** Journal rows (commits) moved per absorb transaction: a backlog never makes one statement enormous. */
const ABSORB_BATCH = 200;
/** Outbox rows per `INSERT` of an absorb (15 values each). */
const ABSORB_INSERT_ROWS = 500;
/** Absorbs lost to a deadlock, a lock wait timeout or (Galera) a certification conflict, retried. */
const ABSORB_ATTEMPTS = 10;
/** The outbox methods that run without an absorb first (see `absorbing`). */
const DIRECT = new Set(["settleOutbox", "releaseOutbox"]);

type Param = string | number | null;

/** How a column comes back: ids as `Buffer` (VARBINARY), numbers maybe as strings (big-number options). */
type Decode = "text" | "number" | "text?" | "number?";

/** Every `OutboxRecord` field with its column, in the record's order. */
const FIELDS: readonly (readonly [field: string, column: string, decode: Decode])[] = [
  ["entryId", "entry_id", "text"],
  ["workspaceId", "workspace_id", "text"],
  ["draftId", "draft_id", "text"],
  ["runId", "run_id", "text"],
  ["kind", "kind", "text"],
  ["checkpoint", "checkpoint", "text"],
  ["operation", "operation", "text"],
  ["providerConnectionId", "provider_connection_id", "text"],
  ["providerRevision", "provider_revision", "number"],
  ["draftVersion", "draft_version", "number"],
  ["eventId", "event_id", "text"],
  ["createdAt", "created_at", "text"],
  ["status", "status", "text"],
  ["attempts", "attempts", "number"],
  ["availableAt", "available_at", "text"],
  ["leaseOwner", "lease_owner", "text?"],
  ["leaseUntil", "lease_until", "text?"],
  ["lastError", "last_error", "text?"],
  ["deliveredAt", "delivered_at", "text?"],
  ["reportedAt", "reported_at", "text?"],
  ["progressMessage", "progress_message", "text?"],
  ["progressPercent", "progress_percent", "number?"],
  ["settledAt", "settled_at", "text?"],
];

/** The columns a commit writes: the entry's own fields plus status, attempts and availableAt. */
const INSERT_COLUMNS = [...FIELDS.slice(0, 15).map(([, column]) => `\`${column}\``)].join(", ");
const SELECT_COLUMNS = FIELDS.map(([, column]) => `\`${column}\``).join(", ");
const ORDER = "ORDER BY `created_at`, `workspace_id`, `entry_id`";

function text(value: unknown): string {
  if (typeof value === "string") return value;
  if (Buffer.isBuffer(value)) return value.toString("utf8");
  return String(value);
}

function decode(value: unknown, how: Decode): unknown {
  if (value === null || value === undefined) return how.endsWith("?") ? null : value;
  return how.startsWith("number") ? Number(value) : text(value);
}

/** A row as a plain record with exactly the `OutboxRecord` fields (raw: the caller validates it). */
function recordOf(row: RowDataPacket): Record<string, unknown> {
  const record: Record<string, unknown> = {};
  for (const [field, column, how] of FIELDS) record[field] = decode(row[column], how);
  return record;
}

function entryRow(entry: OutboxEntry): Param[] {
  const state = newOutboxState(entry);
  return [
    entry.entryId,
    entry.workspaceId,
    entry.draftId,
    entry.runId,
    entry.kind,
    entry.checkpoint,
    entry.operation,
    entry.providerConnectionId,
    entry.providerRevision,
    entry.draftVersion,
    entry.eventId,
    entry.createdAt,
    state.status,
    state.attempts,
    state.availableAt,
  ];
}

/** `(workspace_id = ? AND entry_id = ?) OR ...` for a list of entries, and its parameters. */
function keysWhere(entries: readonly OutboxEntryRef[]): { sql: string; params: Param[] } {
  return {
    sql: entries.map(() => "(`workspace_id` = ? AND `entry_id` = ?)").join(" OR "),
    params: entries.flatMap((entry) => [entry.workspaceId, entry.entryId]),
  };
}

/** The per-entry values of a settlement: status, availableAt (pending only) and lastError. */
function settlementRow(settlement: OutboxSettlement): Param[] {
  const { workspaceId, entryId } = settlement;
  switch (settlement.status) {
    case "delivered":
      return [workspaceId, entryId, "delivered", null, null];
    case "pending":
      return [workspaceId, entryId, "pending", settlement.availableAt, settlement.error];
    default:
      return [workspaceId, entryId, "dead", null, settlement.error];
  }
}

function errno(error: unknown): number | undefined {
  const value = typeof error === "object" && error !== null ? (error as { errno?: unknown }).errno : undefined;
  return typeof value === "number" ? value : undefined;
}

function isFatal(error: unknown): boolean {
  return typeof error === "object" && error !== null && (error as { fatal?: unknown }).fatal === true;
}

/** The `(workspace_id, entry_id)` of a journal row's entry (its first and second values). */
function keyOfRow(row: readonly Param[]): string {
  return `${String(row[1])}\u0000${String(row[0])}`;
}

/** A commit's entries as the journal keeps them: one JSON array of their outbox rows (the INSERT's values). */
function journalPayload(entries: readonly OutboxEntry[]): string {
  const rows = entries.map(entryRow);
  // The outbox's primary key caught a commit's duplicate entry before; the journal has none.
  const keys = new Set(rows.map(keyOfRow));
  if (keys.size !== rows.length) throw new Error("a commit's outbox entries repeat an entry id");
  return JSON.stringify(rows);
}

/** The outbox rows of a journal row, checked to be what {@link journalPayload} wrote. */
function journalRows(payload: unknown, seq: unknown): Param[][] {
  const rows: unknown = JSON.parse(text(payload));
  const valid =
    Array.isArray(rows) &&
    rows.every(
      (row) =>
        Array.isArray(row) && row.length === 15 && row.every((value) => value === null || typeof value !== "object"),
    );
  if (!valid) throw new Error(`outbox journal row ${text(seq)} is not a list of outbox rows`);
  return rows as Param[][];
}

/** What the store hands the outbox: its tables and its pool. */
export interface MySqlOutboxContext {
  /** The outbox table's (unquoted) name. */
  readonly table: string;
  /** The outbox journal's (unquoted) name: what a commit appends to. */
  readonly journal: string;
  /** The store's pool (opened on first use when the store owns it). */
  readonly pool: () => Pool | Promise<Pool>;
  /** Put before every statement and `START TRANSACTION` (the store's `causalReads`: Galera's causality wait). */
  readonly causal?: string;
}

/** The outbox methods of the store, plus the insert a commit runs inside its transaction. */
export interface MySqlOutbox {
  /** The `OutboxStore` methods, spread into the store. */
  readonly methods: OutboxStore & Required<Pick<OutboxStore, "pruneOutbox">>;
  /** Appends a commit's entries to the journal (one row) on the commit's connection; none: no statement. */
  insertEntries(connection: PoolConnection, entries: readonly OutboxEntry[] | undefined): Promise<void>;
  /** The journal `INSERT` of `entries` (at least one) and its parameter, to run in a compound statement. */
  insertStatement(entries: readonly OutboxEntry[]): { readonly sql: string; readonly params: Param[] };
}

/**
 * The outbox of a MySQL / MariaDB store on `context.table`. Every method runs inside the one
 * error wrapper; deadlocks (which roll back the whole statement or transaction, so nothing was
 * written) are retried a few times.
 */
export function createMySqlOutbox(context: MySqlOutboxContext): MySqlOutbox {
  const O = `\`${context.table}\``;
  const J = `\`${context.journal}\``;
  const insertSql = new Map<number, string>();
  const SQL = {
    journalInsert: `INSERT INTO ${J} (\`entries\`) VALUES (?)`,
    journalProbe: `SELECT \`seq\` FROM ${J} ORDER BY \`seq\` DESC LIMIT 1`,
    // Blocking locks (no SKIP LOCKED): a reader that meets rows another absorber is moving waits
    // for them to land in the outbox instead of reading past them.
    journalLock: `SELECT \`seq\`, \`entries\` FROM ${J} ORDER BY \`seq\` LIMIT ${ABSORB_BATCH} FOR UPDATE`,
    claimSelect:
      `SELECT ${SELECT_COLUMNS} FROM ${O} WHERE \`status\` = 'pending' AND \`available_at\` <= ? ` +
      `AND (\`lease_until\` IS NULL OR \`lease_until\` <= ?) ${ORDER} LIMIT ? FOR UPDATE SKIP LOCKED`,
    requeue:
      `UPDATE ${O} SET \`status\` = 'pending', \`attempts\` = 0, \`available_at\` = ?, \`lease_owner\` = NULL, ` +
      `\`lease_until\` = NULL WHERE \`workspace_id\` = ? AND \`entry_id\` = ? AND \`status\` = 'dead'`,
    progress:
      `UPDATE ${O} SET \`reported_at\` = CASE WHEN \`reported_at\` IS NULL OR \`reported_at\` < ? THEN ? ` +
      `ELSE \`reported_at\` END, \`progress_message\` = COALESCE(?, \`progress_message\`), ` +
      `\`progress_percent\` = COALESCE(?, \`progress_percent\`) ` +
      `WHERE \`workspace_id\` = ? AND \`run_id\` = ? AND \`draft_id\` = ? AND \`kind\` = 'run.requested'`,
    runExists:
      `SELECT 1 AS \`found\` FROM ${O} WHERE \`workspace_id\` = ? AND \`run_id\` = ? AND \`draft_id\` = ? ` +
      `AND \`kind\` = 'run.requested' LIMIT 1`,
    runRecords:
      `SELECT ${SELECT_COLUMNS} FROM ${O} WHERE \`workspace_id\` = ? AND \`draft_id\` = ? ` +
      `AND \`kind\` = 'run.requested' ORDER BY \`created_at\`, \`entry_id\``,
    staleRuns:
      `SELECT ${SELECT_COLUMNS} FROM ${O} WHERE \`watch_at\` < ? ` +
      "ORDER BY `watch_at`, `workspace_id`, `entry_id` LIMIT ?",
    // Done with: delivered before the cut-off, and cancelled or its run settled.
    prune:
      `DELETE FROM ${O} WHERE \`status\` = 'delivered' AND \`delivered_at\` < ? ` +
      "AND (`kind` = 'run.cancelled' OR `settled_at` IS NOT NULL)",
  } as const;

  const causal = context.causal ?? "";

  async function getPool(): Promise<Pool> {
    return context.pool();
  }

  /**
   * Runs `run` again after a deadlock (the server rolled everything back; on Galera also a
   * certification lost to another node), a few times at most, a few jittered ms apart so a
   * replicated winner can land. Then `exhausted`'s answer, if there is one, else the error.
   */
  async function retried<T>(operation: string, run: () => Promise<T>, exhausted?: () => T): Promise<T> {
    return wrapStoreErrors(ADAPTER, operation, async () => {
      for (let attempt = 1; ; attempt += 1) {
        try {
          return await run();
        } catch (error) {
          if (errno(error) !== ER_LOCK_DEADLOCK) throw error;
          if (attempt >= MAX_ATTEMPTS) {
            if (exhausted === undefined) throw error;
            return exhausted();
          }
          await new Promise((resolve) => setTimeout(resolve, Math.floor(Math.random() * 4 * attempt)));
        }
      }
    });
  }

  async function execute<T extends RowDataPacket[] | ResultSetHeader>(sql: string, params: Param[]): Promise<T> {
    const [result] = await (await getPool()).execute<T>(causal + sql, params);
    return result;
  }

  /**
   * Variable-length statements (lists of keys) go through the text protocol, so a dispatcher's
   * batches of every size never pile up server-side prepared statements.
   */
  async function query<T extends RowDataPacket[] | ResultSetHeader>(sql: string, params: Param[]): Promise<T> {
    const [result] = await (await getPool()).query<T>(causal + sql, params);
    return result;
  }

  /**
   * Runs `body` in a transaction on a dedicated connection (committed if it returns), READ
   * COMMITTED when asked (for the next transaction only, so the pooled session keeps its level).
   */
  async function inTransaction<T>(body: (connection: PoolConnection) => Promise<T>, readCommitted = false): Promise<T> {
    let connection: PoolConnection;
    for (let attempt = 1; ; attempt += 1) {
      connection = await (await getPool()).getConnection();
      try {
        if (readCommitted) await connection.query("SET TRANSACTION ISOLATION LEVEL READ COMMITTED");
        await connection.query(`${causal}START TRANSACTION`);
        break;
      } catch (error) {
        // A pooled connection that died while idle: nothing ran, so a fresh one may try again.
        connection.destroy();
        if (!isFatal(error) || attempt >= MAX_ATTEMPTS) throw error;
      }
    }
    try {
      const result = await body(connection);
      await connection.query("COMMIT");
      connection.release();
      return result;
    } catch (error) {
      let healthy = !isFatal(error);
      if (healthy) {
        try {
          await connection.query("ROLLBACK");
        } catch {
          healthy = false;
        }
      }
      if (healthy) connection.release();
      else connection.destroy();
      throw error;
    }
  }

  /**
   * Moves one batch of the journal into the outbox in one transaction: the oldest journal rows
   * locked (waiting for another absorber's), their entries inserted as the commit wrote them
   * before (an entry already there is kept, so a re-run changes nothing), the rows deleted.
   * READ COMMITTED takes no gap locks, so commits appending to the journal never wait for it.
   * Returns how many journal rows it moved and the last one's `seq`.
   */
  async function absorbBatch(connection: PoolConnection): Promise<{ moved: number; last: number }> {
    const [locked] = await connection.query<RowDataPacket[]>(SQL.journalLock);
    if (locked.length === 0) return { moved: 0, last: 0 };
    const rows = locked.flatMap((row) => journalRows(row["entries"], row["seq"]));
    for (let start = 0; start < rows.length; start += ABSORB_INSERT_ROWS) {
      const chunk = rows.slice(start, start + ABSORB_INSERT_ROWS);
      await connection.query(`${insertSqlFor(chunk.length)} ON DUPLICATE KEY UPDATE \`entry_id\` = \`entry_id\``, [
        ...chunk.flat(),
      ]);
    }
    const seqs = locked.map((row) => text(row["seq"]));
    await connection.query(`DELETE FROM ${J} WHERE \`seq\` IN (${seqs.map(() => "?").join(", ")})`, seqs);
    return { moved: locked.length, last: Number(seqs[seqs.length - 1]) };
  }

  /** One absorb transaction, run again after a deadlock, a lock wait timeout or a lost certification. */
  async function absorbOnce(): Promise<{ moved: number; last: number }> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await inTransaction(absorbBatch, true);
      } catch (error) {
        const code = errno(error);
        if ((code !== ER_LOCK_DEADLOCK && code !== ER_LOCK_WAIT_TIMEOUT) || attempt >= ABSORB_ATTEMPTS) throw error;
        await new Promise((resolve) => setTimeout(resolve, Math.floor(Math.random() * 4 * attempt)));
      }
    }
  }

  /**
   * Brings every entry of a commit that returned before this call into the outbox. An empty
   * journal costs one autocommit read (no transaction, no lock): the dispatcher's idle poll. The
   * newest `seq` it reads is the work to cover: every commit that returned before holds one at
   * most as large (AUTO_INCREMENT hands it out before the commit). Batches run until one reaches
   * it or comes back short (it read every committed row), so writers that keep appending cannot
   * keep a reader absorbing forever.
   */
  async function absorb(): Promise<void> {
    const [newest] = await execute<RowDataPacket[]>(SQL.journalProbe, []);
    if (newest === undefined) return;
    const target = Number(text(newest["seq"]));
    for (;;) {
      const { moved, last } = await absorbOnce();
      if (moved < ABSORB_BATCH || last >= target) return;
    }
  }

  /**
   * `methods` with the absorb in front of each, except settling and releasing: they act only on
   * entries a claim leased, and every claim absorbed first, so an absorb would change nothing.
   */
  function absorbing(methods: MySqlOutbox["methods"]): MySqlOutbox["methods"] {
    const wrapped: Record<string, unknown> = {};
    for (const [name, method] of Object.entries(methods) as [string, (...args: unknown[]) => Promise<unknown>][]) {
      wrapped[name] = DIRECT.has(name)
        ? method
        : async (...args: unknown[]) => {
            await wrapStoreErrors(ADAPTER, name, absorb);
            return method(...args);
          };
    }
    return wrapped as unknown as MySqlOutbox["methods"];
  }

  function insertSqlFor(count: number): string {
    let sql = insertSql.get(count);
    if (sql === undefined) {
      const row = `(${Array.from({ length: 15 }, () => "?").join(", ")})`;
      sql = `INSERT INTO ${O} (${INSERT_COLUMNS}) VALUES ${Array.from({ length: count }, () => row).join(", ")}`;
      if (count <= 8) insertSql.set(count, sql);
    }
    return sql;
  }

  async function claim(connection: PoolConnection, owner: string, now: string, leaseUntil: string, limit: number) {
    const [found] = await connection.execute<RowDataPacket[]>(SQL.claimSelect, [now, now, String(limit)]);
    if (found.length === 0) return [];
    const records = found.map(recordOf);
    const keys = keysWhere(
      records.map((record) => ({ workspaceId: text(record["workspaceId"]), entryId: text(record["entryId"]) })),
    );
    await connection.query(
      `UPDATE ${O} SET \`lease_owner\` = ?, \`lease_until\` = ?, \`attempts\` = \`attempts\` + 1 WHERE ${keys.sql}`,
      [owner, leaseUntil, ...keys.params],
    );
    // The rows stay locked until COMMIT, so the claimed state is exactly what the UPDATE wrote.
    return records.map((record) => ({
      ...record,
      leaseOwner: owner,
      leaseUntil,
      attempts: Number(record["attempts"]) + 1,
    }));
  }

  const direct: MySqlOutbox["methods"] = {
    async claimOutbox({ owner, now, leaseUntil, limit }) {
      checkOutboxLimit("claimOutbox", limit);
      return retried(
        "claimOutbox",
        () => inTransaction((connection) => claim(connection, owner, now, leaseUntil, limit)),
        // Every run lost its rows to claimers on other nodes (Galera): nothing leased this time.
        () => [],
      );
    },

    async settleOutbox({ owner, at, settlements }) {
      if (settlements.length === 0) return 0;
      // One statement: the outcomes as a derived table joined on the primary key. Assignments
      // read only the derived table's columns, so their order does not matter.
      const values = settlements
        .map((_, index) =>
          index === 0 ? "SELECT ? AS `ws`, ? AS `eid`, ? AS `st`, ? AS `av`, ? AS `err`" : "SELECT ?, ?, ?, ?, ?",
        )
        .join(" UNION ALL ");
      const sql =
        `UPDATE ${O} AS \`t\` JOIN (${values}) AS \`v\` ON \`t\`.\`workspace_id\` = \`v\`.\`ws\` AND \`t\`.\`entry_id\` = \`v\`.\`eid\` ` +
        "SET `t`.`status` = `v`.`st`, `t`.`available_at` = COALESCE(`v`.`av`, `t`.`available_at`), " +
        "`t`.`last_error` = `v`.`err`, " +
        "`t`.`delivered_at` = CASE WHEN `v`.`st` = 'delivered' THEN ? ELSE `t`.`delivered_at` END, " +
        "`t`.`lease_owner` = NULL, `t`.`lease_until` = NULL " +
        "WHERE `t`.`status` = 'pending' AND `t`.`lease_owner` = ?";
      const params = [...settlements.flatMap(settlementRow), at, owner];
      // lease_owner always changes (owner -> NULL), so affectedRows counts every row that matched.
      return retried("settleOutbox", async () => (await query<ResultSetHeader>(sql, params)).affectedRows);
    },

    async releaseOutbox({ owner, entries }) {
      if (entries.length === 0) return 0;
      const keys = keysWhere(entries);
      const sql =
        `UPDATE ${O} SET \`lease_owner\` = NULL, \`lease_until\` = NULL, ` +
        `\`attempts\` = CASE WHEN \`attempts\` > 0 THEN \`attempts\` - 1 ELSE 0 END ` +
        `WHERE \`status\` = 'pending' AND \`lease_owner\` = ? AND (${keys.sql})`;
      return retried(
        "releaseOutbox",
        async () => (await query<ResultSetHeader>(sql, [owner, ...keys.params])).affectedRows,
      );
    },

    async listOutbox(options) {
      checkOutboxLimit("listOutbox", options.limit);
      const after = outboxCursor(options.cursor);
      const where: string[] = [];
      const params: Param[] = [];
      if (options.workspaceId !== undefined) {
        where.push("`workspace_id` = ?");
        params.push(options.workspaceId);
      }
      if (after !== null) {
        where.push(
          "`created_at` >= ? AND (`created_at` > ? OR `workspace_id` > ? OR (`workspace_id` = ? AND `entry_id` > ?))",
        );
        params.push(after.createdAt, after.createdAt, after.workspaceId, after.workspaceId, after.entryId);
      }
      // One branch per status, each read in listing order through `claim` (status first), merged:
      // the outbox keeps no key per listing, since a commit's entry would go into each.
      const statuses = options.status === undefined ? ["pending", "delivered", "dead"] : [options.status];
      const limit = String(options.limit + 1);
      const branch = `SELECT ${SELECT_COLUMNS} FROM ${O} WHERE ${["`status` = ?", ...where].join(" AND ")} ${ORDER} LIMIT ?`;
      const sql =
        statuses.length === 1 ? branch : `${statuses.map(() => `(${branch})`).join(" UNION ALL ")} ${ORDER} LIMIT ?`;
      const values = statuses.flatMap((status) => [status, ...params, limit]);
      if (statuses.length > 1) values.push(limit);
      return wrapStoreErrors(ADAPTER, "listOutbox", async () => {
        const found = await execute<RowDataPacket[]>(sql, values);
        const entries = found.slice(0, options.limit).map(recordOf);
        const last = entries[entries.length - 1];
        const nextCursor =
          found.length > options.limit && last !== undefined
            ? encodeOutboxCursor({
                createdAt: text(last["createdAt"]),
                workspaceId: text(last["workspaceId"]),
                entryId: text(last["entryId"]),
              })
            : null;
        return { entries, nextCursor };
      });
    },

    async requeueOutbox({ workspaceId, entryId, at }) {
      return retried(
        "requeueOutbox",
        async () => (await execute<ResultSetHeader>(SQL.requeue, [at, workspaceId, entryId])).affectedRows > 0,
      );
    },

    async recordRunProgress({ workspaceId, draftId, runId, at, message, percent }) {
      return retried("recordRunProgress", async () => {
        const result = await execute<ResultSetHeader>(SQL.progress, [
          at,
          at,
          message,
          percent,
          workspaceId,
          runId,
          draftId,
        ]);
        // affectedRows counts matched rows under CLIENT_FOUND_ROWS (mysql2's default); a pool
        // without it reports 0 for a report that changed nothing, so look the record up then.
        if (result.affectedRows > 0) return true;
        return (await execute<RowDataPacket[]>(SQL.runExists, [workspaceId, runId, draftId])).length > 0;
      });
    },

    async listRunRecords(workspaceId, draftId) {
      return wrapStoreErrors(ADAPTER, "listRunRecords", async () =>
        (await execute<RowDataPacket[]>(SQL.runRecords, [workspaceId, draftId])).map(recordOf),
      );
    },

    async findStaleRuns({ before, limit }) {
      checkOutboxLimit("findStaleRuns", limit);
      return wrapStoreErrors(ADAPTER, "findStaleRuns", async () =>
        (await execute<RowDataPacket[]>(SQL.staleRuns, [before, String(limit)])).map(recordOf),
      );
    },

    async settleRuns({ workspaceId, draftId, runIds, at }) {
      const ids = [...new Set(runIds)];
      if (ids.length === 0) return 0;
      const sql =
        `UPDATE ${O} SET \`settled_at\` = ? WHERE \`workspace_id\` = ? AND \`draft_id\` = ? ` +
        `AND \`kind\` = 'run.requested' AND \`settled_at\` IS NULL AND \`run_id\` IN (${ids.map(() => "?").join(", ")})`;
      return retried(
        "settleRuns",
        async () => (await query<ResultSetHeader>(sql, [at, workspaceId, draftId, ...ids])).affectedRows,
      );
    },

    async pruneOutbox(before) {
      const cutoff = outboxCutoff(before);
      return retried("pruneOutbox", async () => (await execute<ResultSetHeader>(SQL.prune, [cutoff])).affectedRows);
    },
  };

  return {
    methods: absorbing(direct),
    async insertEntries(connection, entries) {
      if (entries === undefined || entries.length === 0) return;
      await connection.execute(SQL.journalInsert, [journalPayload(entries)]);
    },
    insertStatement(entries) {
      return { sql: SQL.journalInsert, params: [journalPayload(entries)] };
    },
  };
}
