/**
 * adapters/sqlite/outbox — the outbox half of the SQLite store: the journal a commit writes and
 * its absorption into the outbox table, leases taken in one `BEGIN IMMEDIATE` transaction,
 * delivery outcomes, keyset listing, and the run-liveness fields of `run.requested` records.
 *
 * The journal: a commit's entries go, as one JSON array, into the `outbox` column of the
 * commit's first audit row (see {@link journalOf}), so the commit touches no b-tree it did not
 * touch before: in WAL every extra b-tree is one more 4 KB page in the commit's write. Every
 * outbox operation first absorbs the journal (see {@link SqliteOutbox.absorb}): the entries of
 * audit rows above the watermark (`outbox_mark`) become pending records of the outbox table
 * (`ON CONFLICT DO NOTHING`), and the mark moves past them, in one `BEGIN IMMEDIATE`
 * transaction. SQLite writes are serial and `seq` is `AUTOINCREMENT`, so `seq` order is commit
 * order and no row can appear below a `seq` already seen: a watermark is enough, and an entry
 * whose commit returned is in the outbox table before any operation that starts afterwards
 * reads it. When there is nothing to absorb the check is one read statement (no write lock).
 *
 * May import: record/, store/ and better-sqlite3 *types*. Never a driver at run time, never engine/.
 */
import type BetterSqlite3 from "better-sqlite3";
import { CorruptRecordError, MAX_OUTBOX_ERROR_LENGTH, type OutboxEntry } from "../../record/index.js";
import {
  checkOutboxLimit,
  compareOutboxOrder,
  encodeOutboxCursor,
  outboxCursor,
  outboxCutoff,
  parseStoredJson,
  type OutboxCursorPosition,
  type ClaimOutboxInput,
  type ListOutboxOptions,
  type OutboxEntryRef,
  type OutboxPage,
  type OutboxSettlement,
  type OutboxStore,
  type ReleaseOutboxInput,
  type SettleOutboxInput,
} from "../../store/index.js";
import type { SqliteTableNames } from "./schema.js";

/** An outbox row as SQLite returns it (snake_case columns). */
interface OutboxRow {
  readonly workspace_id: string;
  readonly entry_id: string;
  readonly draft_id: string;
  readonly run_id: string;
  readonly kind: string;
  readonly checkpoint: string;
  readonly operation: string;
  readonly provider_connection_id: string;
  readonly provider_revision: number;
  readonly draft_version: number;
  readonly event_id: string;
  readonly created_at: string;
  readonly status: string;
  readonly attempts: number;
  readonly available_at: string;
  readonly lease_owner: string | null;
  readonly lease_until: string | null;
  readonly last_error: string | null;
  readonly delivered_at: string | null;
  readonly reported_at: string | null;
  readonly progress_message: string | null;
  readonly progress_percent: number | null;
  readonly settled_at: string | null;
}

/** The row as a plain record with exactly the `OutboxRecord` fields (unvalidated: the caller checks it). */
function recordOf(row: OutboxRow): Record<string, unknown> {
  return {
    entryId: row.entry_id,
    workspaceId: row.workspace_id,
    draftId: row.draft_id,
    runId: row.run_id,
    kind: row.kind,
    checkpoint: row.checkpoint,
    operation: row.operation,
    providerConnectionId: row.provider_connection_id,
    providerRevision: row.provider_revision,
    draftVersion: row.draft_version,
    eventId: row.event_id,
    createdAt: row.created_at,
    status: row.status,
    attempts: row.attempts,
    availableAt: row.available_at,
    leaseOwner: row.lease_owner,
    leaseUntil: row.lease_until,
    lastError: row.last_error,
    deliveredAt: row.delivered_at,
    reportedAt: row.reported_at,
    progressMessage: row.progress_message,
    progressPercent: row.progress_percent,
    settledAt: row.settled_at,
  };
}

/** The keyset position of a row: (createdAt, workspaceId, entryId). */
function positionOf(row: OutboxRow): OutboxCursorPosition {
  return { createdAt: row.created_at, workspaceId: row.workspace_id, entryId: row.entry_id };
}

/** Claim order, in process (`RETURNING` gives rows in no particular order). */
function byCreated(a: OutboxRow, b: OutboxRow): number {
  return compareOutboxOrder(positionOf(a), positionOf(b));
}

/** A settlement's error as stored: at most `MAX_OUTBOX_ERROR_LENGTH` characters. */
function storedError(error: string): string {
  return error.length <= MAX_OUTBOX_ERROR_LENGTH ? error : error.slice(0, MAX_OUTBOX_ERROR_LENGTH);
}

/** Audit rows one absorb transaction reads at most (it loops until none are left). */
const ABSORB_BATCH = 1000;
/** Entries after which one absorb transaction stops, at a row boundary (a commit may carry many). */
const ABSORB_ENTRIES = 1000;
/**
 * How far (in audit rows without entries) the mark may lag before a read that found nothing
 * advances it: the empty check scans that gap, so it stays short.
 */
const MARK_GAP = 1000;

/**
 * The journal text of a commit's entries (its first audit row's `outbox` column), or `null`.
 * The entries are plain JSON objects of exactly the `OutboxEntry` fields the engine built.
 */
export function journalOf(entries: readonly OutboxEntry[] | undefined): string | null {
  return entries === undefined || entries.length === 0 ? null : JSON.stringify(entries);
}

/** What the empty check reads: the mark, the highest `seq`, and whether a row above the mark has entries. */
interface JournalState {
  readonly mark: number;
  readonly top: number | null;
  readonly found: number;
}

/** The entries of one journal row, as parsed (unvalidated: SQLite's `NOT NULL` and `STRICT` types check them). */
function journalEntries(seq: number, text: string): readonly Record<string, unknown>[] {
  const value = parseStoredJson(text, "outbox journal", `audit seq ${seq}`);
  if (!Array.isArray(value)) {
    throw new CorruptRecordError(
      [{ code: "invalid_type", path: [], message: "stored outbox journal is not a JSON array" }],
      `audit seq ${seq}`,
    );
  }
  return value as Record<string, unknown>[];
}

/** The values of {@link COLUMNS} before `status` of a journal entry (`available_at` is its `createdAt`). */
function entryValues(e: Record<string, unknown>): unknown[] {
  return [
    e["workspaceId"],
    e["entryId"],
    e["draftId"],
    e["runId"],
    e["kind"],
    e["checkpoint"],
    e["operation"],
    e["providerConnectionId"],
    e["providerRevision"],
    e["draftVersion"],
    e["eventId"],
    e["createdAt"],
    e["createdAt"],
  ];
}

const COLUMNS =
  "workspace_id, entry_id, draft_id, run_id, kind, checkpoint, operation, provider_connection_id, " +
  "provider_revision, draft_version, event_id, created_at, status, attempts, available_at";

/** The term of the partial indexes of entries no longer pending. */
const NOT_PENDING = "status <> 'pending'";

/** Each status with the terms that let SQLite read it, in listing order, from its partial index. */
const STATUS_TERMS: Readonly<Record<string, string>> = {
  pending: "status = 'pending'",
  delivered: `status = 'delivered' AND ${NOT_PENDING}`,
  dead: `status = 'dead' AND ${NOT_PENDING}`,
};

/** The journal's statements: the empty check, one batch, the mark. */
function buildJournalSql(t: SqliteTableNames) {
  const audit = `"${t.audit}"`;
  const mark = `coalesce((SELECT seq FROM "${t.outboxMark}" WHERE id = 1), 0)`;
  return {
    // One read: `seq > m.seq` is a range of the audit table's rowid, from the mark up.
    journalState:
      `SELECT m.seq AS mark, (SELECT max(seq) FROM ${audit}) AS top, ` +
      `EXISTS (SELECT 1 FROM ${audit} WHERE seq > m.seq AND outbox IS NOT NULL) AS found FROM (SELECT ${mark} AS seq) AS m`,
    journalMark: `SELECT ${mark}`,
    journalTop: `SELECT coalesce(max(seq), 0) FROM ${audit}`,
    journalRows: `SELECT seq, outbox FROM ${audit} WHERE seq > ? AND outbox IS NOT NULL ORDER BY seq LIMIT ?`,
    // Never backwards: a concurrent absorber may have moved it further already.
    advanceMark:
      `INSERT INTO "${t.outboxMark}" (id, seq) VALUES (1, ?) ` +
      `ON CONFLICT (id) DO UPDATE SET seq = max(seq, excluded.seq)`,
    absorbEntry:
      `INSERT INTO "${t.outbox}" (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?) ` +
      `ON CONFLICT DO NOTHING`,
  } as const;
}

function buildOutboxSql(t: SqliteTableNames) {
  const outbox = `"${t.outbox}"`;
  const mine = `workspace_id = ? AND entry_id = ? AND status = 'pending' AND lease_owner = ?`;
  const stale = `kind = 'run.requested' AND settled_at IS NULL`;
  return {
    insert: `INSERT INTO ${outbox} (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?)`,
    claim:
      `UPDATE ${outbox} SET lease_owner = @owner, lease_until = @leaseUntil, attempts = attempts + 1 ` +
      `WHERE (workspace_id, entry_id) IN (SELECT workspace_id, entry_id FROM ${outbox} ` +
      `WHERE status = 'pending' AND available_at <= @now AND (lease_until IS NULL OR lease_until <= @now) ` +
      `ORDER BY created_at, workspace_id, entry_id LIMIT @limit) RETURNING *`,
    delivered:
      `UPDATE ${outbox} SET status = 'delivered', delivered_at = ?, last_error = NULL, lease_owner = NULL, ` +
      `lease_until = NULL WHERE ${mine}`,
    retry: `UPDATE ${outbox} SET available_at = ?, last_error = ?, lease_owner = NULL, lease_until = NULL WHERE ${mine}`,
    dead: `UPDATE ${outbox} SET status = 'dead', last_error = ?, lease_owner = NULL, lease_until = NULL WHERE ${mine}`,
    release: `UPDATE ${outbox} SET lease_owner = NULL, lease_until = NULL, attempts = max(attempts - 1, 0) WHERE ${mine}`,
    requeue:
      `UPDATE ${outbox} SET status = 'pending', attempts = 0, available_at = ?, lease_owner = NULL, ` +
      `lease_until = NULL WHERE workspace_id = ? AND entry_id = ? AND status = 'dead'`,
    progress:
      `UPDATE ${outbox} SET reported_at = max(coalesce(reported_at, @at), @at), ` +
      `progress_message = coalesce(@message, progress_message), progress_percent = coalesce(@percent, progress_percent) ` +
      `WHERE workspace_id = @workspaceId AND run_id = @runId AND draft_id = @draftId AND kind = 'run.requested'`,
    runRecords:
      `SELECT * FROM ${outbox} WHERE workspace_id = ? AND draft_id = ? AND kind = 'run.requested' ` +
      `ORDER BY created_at, entry_id`,
    // The terms of the partial index, repeated verbatim, so SQLite uses it.
    stale:
      `SELECT * FROM ${outbox} WHERE ${stale} AND coalesce(reported_at, created_at) < ? ` +
      `ORDER BY coalesce(reported_at, created_at), workspace_id, entry_id LIMIT ?`,
    settleRuns:
      `UPDATE ${outbox} SET settled_at = ? WHERE workspace_id = ? AND draft_id = ? AND ${stale} ` +
      `AND run_id IN (SELECT value FROM json_each(?))`,
    // Done with: delivered before the cut-off, and cancelled or its run settled. `status <> 'pending'`
    // is the done index's term, repeated so SQLite uses it.
    prune:
      `DELETE FROM ${outbox} WHERE status = 'delivered' AND ${NOT_PENDING} AND delivered_at < ? ` +
      `AND (kind = 'run.cancelled' OR settled_at IS NOT NULL)`,
    ...buildJournalSql(t),
  } as const;
}

type OutboxSqlKey = keyof ReturnType<typeof buildOutboxSql>;

/** The outbox statements and transactions bound to one open connection. */
export class SqliteOutbox {
  readonly #db: BetterSqlite3.Database;
  readonly #outbox: string;
  readonly #sql: ReturnType<typeof buildOutboxSql>;
  readonly #statements = new Map<string, BetterSqlite3.Statement<unknown[], unknown>>();
  readonly #claimTx: BetterSqlite3.Transaction<(input: ClaimOutboxInput) => OutboxRow[]>;
  readonly #settleTx: BetterSqlite3.Transaction<(input: SettleOutboxInput) => number>;
  readonly #releaseTx: BetterSqlite3.Transaction<(input: ReleaseOutboxInput) => number>;
  readonly #absorbTx: BetterSqlite3.Transaction<() => boolean>;

  constructor(db: BetterSqlite3.Database, tables: SqliteTableNames) {
    this.#db = db;
    this.#outbox = `"${tables.outbox}"`;
    this.#sql = buildOutboxSql(tables);
    this.#claimTx = db.transaction((input: ClaimOutboxInput) => {
      const { owner, leaseUntil, now, limit } = input;
      return this.#stmt("claim").all({ owner, leaseUntil, now, limit }) as OutboxRow[];
    });
    this.#settleTx = db.transaction((input: SettleOutboxInput) => {
      let changed = 0;
      for (const settlement of input.settlements) changed += this.#settleOne(input.owner, input.at, settlement);
      return changed;
    });
    this.#releaseTx = db.transaction((input: ReleaseOutboxInput) => {
      const statement = this.#stmt("release");
      let changed = 0;
      for (const ref of input.entries) changed += statement.run(ref.workspaceId, ref.entryId, input.owner).changes;
      return changed;
    });
    this.#absorbTx = db.transaction(() => this.#absorbBatch());
  }

  /**
   * Moves the journal into the outbox table: every entry of a commit that returned before this
   * call is a record of the table when it returns. Nothing to move costs one read statement (a
   * mark lagging by more than `MARK_GAP` entry-less rows is moved up by one more statement);
   * otherwise batches of `ABSORB_BATCH` audit rows, each one `BEGIN IMMEDIATE` transaction, until
   * a batch comes up short. Idempotent, and safe against absorbers on other connections: each
   * batch re-reads the mark under the write lock, and records already there are left alone.
   */
  absorb(): void {
    const state = this.#stmt("journalState").get() as JournalState;
    if (state.found === 0) {
      // Every row up to `top` was committed when this one statement read it, and has no entries.
      if (state.top !== null && state.top - state.mark > MARK_GAP) this.#stmt("advanceMark").run(state.top);
      return;
    }
    while (this.#absorbTx.immediate()) {
      // A full batch: more may follow.
    }
  }

  /**
   * One batch of {@link absorb}, inside its transaction: up to `ABSORB_BATCH` journal rows, ending
   * early at a row boundary once `ABSORB_ENTRIES` entries are in. Whether more may follow.
   */
  #absorbBatch(): boolean {
    const mark = this.#stmt("journalMark").pluck().get() as number;
    const rows = this.#stmt("journalRows").all(mark, ABSORB_BATCH) as { seq: number; outbox: string }[];
    const insert = this.#stmt("absorbEntry");
    let moved = 0;
    for (const [index, row] of rows.entries()) {
      const entries = journalEntries(row.seq, row.outbox);
      for (const entry of entries) insert.run(...entryValues(entry));
      moved += entries.length;
      if (moved >= ABSORB_ENTRIES && index < rows.length - 1) return this.#advance(row.seq);
    }
    const last = rows[rows.length - 1];
    if (rows.length === ABSORB_BATCH && last !== undefined) return this.#advance(last.seq);
    // A short batch read everything up to the top: the mark skips the entry-less rows too.
    this.#stmt("advanceMark").run(this.#stmt("journalTop").pluck().get());
    return false;
  }

  /** Moves the mark to `seq` (never back); more journal rows may follow it. */
  #advance(seq: number): true {
    this.#stmt("advanceMark").run(seq);
    return true;
  }

  /** The prepared statement for one of the SQL texts of {@link buildOutboxSql}, prepared on first use. */
  #stmt(key: OutboxSqlKey): BetterSqlite3.Statement<unknown[], unknown> {
    return this.#prepared(key, this.#sql[key]);
  }

  /** A prepared statement cached under `key` (one per listing filter combination). */
  #prepared(key: string, sql: string): BetterSqlite3.Statement<unknown[], unknown> {
    let statement = this.#statements.get(key);
    if (statement === undefined) {
      statement = this.#db.prepare<unknown[], unknown>(sql).safeIntegers(false);
      this.#statements.set(key, statement);
    }
    return statement;
  }

  /**
   * Writes a commit's entries as new pending records of the outbox table directly; call inside
   * the commit's transaction. Only for a commit without an audit entry to carry its journal.
   */
  insertEntries(entries: readonly OutboxEntry[] | undefined): void {
    if (entries === undefined || entries.length === 0) return;
    const statement = this.#stmt("insert");
    for (const e of entries) {
      statement.run(
        e.workspaceId,
        e.entryId,
        e.draftId,
        e.runId,
        e.kind,
        e.checkpoint,
        e.operation,
        e.providerConnectionId,
        e.providerRevision,
        e.draftVersion,
        e.eventId,
        e.createdAt,
        e.createdAt,
      );
    }
  }

  claim(input: ClaimOutboxInput): unknown[] {
    return this.#claimTx.immediate(input).sort(byCreated).map(recordOf);
  }

  settle(input: SettleOutboxInput): number {
    return input.settlements.length === 0 ? 0 : this.#settleTx.immediate(input);
  }

  #settleOne(owner: string, at: string, s: OutboxSettlement): number {
    const where = [s.workspaceId, s.entryId, owner];
    switch (s.status) {
      case "delivered":
        return this.#stmt("delivered").run(at, ...where).changes;
      case "pending":
        return this.#stmt("retry").run(s.availableAt, storedError(s.error), ...where).changes;
      case "dead":
        return this.#stmt("dead").run(storedError(s.error), ...where).changes;
      default:
        throw new Error(`unknown settlement status ${String((s as { status: unknown }).status)}`);
    }
  }

  release(input: ReleaseOutboxInput): number {
    return input.entries.length === 0 ? 0 : this.#releaseTx.immediate(input);
  }

  list(options: ListOutboxOptions, after: OutboxCursorPosition | null): OutboxPage {
    const where: string[] = [];
    const params: unknown[] = [];
    if (options.workspaceId !== undefined) {
      where.push("workspace_id = ?");
      params.push(options.workspaceId);
    }
    if (after !== null) {
      where.push("(created_at, workspace_id, entry_id) > (?, ?, ?)");
      params.push(after.createdAt, after.workspaceId, after.entryId);
    }
    const order = "ORDER BY created_at, workspace_id, entry_id LIMIT ?";
    // One branch per status, each read in listing order from its partial index, then merged.
    const statuses = options.status === undefined ? Object.keys(STATUS_TERMS) : [options.status];
    const values: unknown[] = [];
    const branches = statuses.map((status) => {
      const term = STATUS_TERMS[status];
      values.push(...(term === undefined ? [status] : []), ...params, options.limit + 1);
      return `SELECT * FROM ${this.#outbox} WHERE ${[term ?? "status = ?", ...where].join(" AND ")} ${order}`;
    });
    const sql =
      branches.length === 1
        ? branches.join("")
        : `${branches.map((branch) => `SELECT * FROM (${branch})`).join(" UNION ALL ")} ${order}`;
    if (branches.length > 1) values.push(options.limit + 1);
    const key = `list:${statuses.map((status) => STATUS_TERMS[status] ?? "?").join("|")}:${where.join(" AND ")}`;
    const rows = this.#prepared(key, sql).all(...values) as OutboxRow[];
    const page = rows.slice(0, options.limit);
    const last = page[page.length - 1];
    return {
      entries: page.map(recordOf),
      nextCursor: rows.length > options.limit && last !== undefined ? encodeOutboxCursor(positionOf(last)) : null,
    };
  }

  requeue(input: OutboxEntryRef & { readonly at: string }): boolean {
    return this.#stmt("requeue").run(input.at, input.workspaceId, input.entryId).changes > 0;
  }

  recordProgress(input: Parameters<OutboxStore["recordRunProgress"]>[0]): boolean {
    const { workspaceId, draftId, runId, at, message, percent } = input;
    return this.#stmt("progress").run({ workspaceId, draftId, runId, at, message, percent }).changes > 0;
  }

  runRecords(workspaceId: string, draftId: string): unknown[] {
    return (this.#stmt("runRecords").all(workspaceId, draftId) as OutboxRow[]).map(recordOf);
  }

  staleRuns(before: string, limit: number): unknown[] {
    return (this.#stmt("stale").all(before, limit) as OutboxRow[]).map(recordOf);
  }

  settleRuns(input: Parameters<OutboxStore["settleRuns"]>[0]): number {
    const { workspaceId, draftId, runIds, at } = input;
    if (runIds.length === 0) return 0;
    return this.#stmt("settleRuns").run(at, workspaceId, draftId, JSON.stringify(runIds)).changes;
  }

  prune(cutoff: string): number {
    return this.#stmt("prune").run(cutoff).changes;
  }
}

/** Runs one outbox operation on the store's connection (busy retry and error wrapping included). */
export type SqliteOutboxRunner = <T>(operation: string, fn: (outbox: SqliteOutbox) => T) => Promise<T>;

/**
 * The `OutboxStore` methods of the SQLite store, over the store's own runner. Each first absorbs
 * the journal ({@link SqliteOutbox.absorb}), then runs as one statement or one transaction.
 * Limits and cursors are read with the shared `checkOutboxLimit` / `outboxCursor`.
 */
export function sqliteOutboxMethods(run: SqliteOutboxRunner): OutboxStore & Required<Pick<OutboxStore, "pruneOutbox">> {
  const absorbed: SqliteOutboxRunner = (operation, fn) =>
    run(operation, (outbox) => {
      outbox.absorb();
      return fn(outbox);
    });
  return {
    async claimOutbox(input) {
      checkOutboxLimit("claimOutbox", input.limit);
      return absorbed("claimOutbox", (outbox) => outbox.claim(input));
    },
    settleOutbox: (input) => absorbed("settleOutbox", (outbox) => outbox.settle(input)),
    releaseOutbox: (input) => absorbed("releaseOutbox", (outbox) => outbox.release(input)),
    async listOutbox(options) {
      checkOutboxLimit("listOutbox", options.limit);
      const after = outboxCursor(options.cursor);
      return absorbed("listOutbox", (outbox) => outbox.list(options, after));
    },
    requeueOutbox: (input) => absorbed("requeueOutbox", (outbox) => outbox.requeue(input)),
    recordRunProgress: (input) => absorbed("recordRunProgress", (outbox) => outbox.recordProgress(input)),
    listRunRecords: (workspaceId, draftId) =>
      absorbed("listRunRecords", (outbox) => outbox.runRecords(workspaceId, draftId)),
    async findStaleRuns(input) {
      checkOutboxLimit("findStaleRuns", input.limit);
      return absorbed("findStaleRuns", (outbox) => outbox.staleRuns(input.before, input.limit));
    },
    settleRuns: (input) => absorbed("settleRuns", (outbox) => outbox.settleRuns(input)),
    async pruneOutbox(before) {
      const cutoff = outboxCutoff(before);
      return absorbed("pruneOutbox", (outbox) => outbox.prune(cutoff));
    },
  };
}
