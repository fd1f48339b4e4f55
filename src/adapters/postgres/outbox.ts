/**
 * The outbox half of the PostgreSQL store (`OutboxStore`): the journal row `commit` adds to its
 * one statement, the absorb that moves the journal into the outbox, and the dispatcher's and
 * workers' methods, each ONE statement:
 * - `commit` appends its entries, as one JSON text value, to `outbox_journal` (no key, no index:
 *   the cheapest durable append), not to the indexed outbox table;
 * - every method that can see a pending entry first absorbs the journal: one `SELECT 1 ... LIMIT
 *   1` when it is empty, else `DELETE ... RETURNING` of a batch (blocking `FOR UPDATE`) feeding
 *   `INSERT ... ON CONFLICT DO NOTHING` into the outbox, one statement per batch (see `absorbText`);
 * - `claimOutbox`: `UPDATE ... WHERE (workspace_id, entry_id) IN (SELECT ... ORDER BY ... LIMIT n
 *   FOR UPDATE SKIP LOCKED) RETURNING ...`: concurrent claimers skip each other's rows instead of
 *   waiting, and a row whose lease another claimer just took fails the re-check of the `WHERE`.
 * - `settleOutbox` / `releaseOutbox`: one `UPDATE ... FROM unnest($1::text[], ...)` for the whole
 *   batch, so a dispatcher needs two round trips per batch (claim, settle).
 * Timestamps are `toISOString()` text, compared as text (they sort like the instants they name).
 */
import type { QueryResult, QueryResultRow } from "pg";
import { MAX_OUTBOX_ERROR_LENGTH, type OutboxEntry } from "../../record/index.js";
import {
  checkOutboxLimit,
  encodeOutboxCursor,
  outboxCursor,
  outboxCutoff,
  type OutboxStore,
} from "../../store/index.js";
import type { PostgresTableNames } from "./schema.js";

/** What the outbox methods need of the store: its tables, its statements and its error wrapper. */
export interface PostgresOutboxContext {
  /** The store's quoted names. */
  readonly tables: PostgresTableNames;
  /** Runs a read (a prepared statement unless turned off). */
  readonly query: <R extends QueryResultRow>(text: string, values: unknown[]) => Promise<QueryResult<R>>;
  /** Runs a write (inside a joined transaction, within a savepoint). */
  readonly write: <R extends QueryResultRow>(text: string, values: unknown[]) => Promise<QueryResult<R>>;
  /** The one error wrapper (`wrapStoreErrors` for this adapter). */
  readonly guard: <T>(operation: string, run: () => Promise<T>) => Promise<T>;
  /** `false` in a caller's transaction: no `ANALYZE` after a large absorb (its lock would last until COMMIT). */
  readonly analyze?: boolean;
}

/** The columns of an outbox row as the camelCase fields of `OutboxRecord`. */
const RECORD_COLUMNS = `entry_id AS "entryId", workspace_id AS "workspaceId", draft_id AS "draftId", run_id AS "runId",
  kind, checkpoint, operation, provider_connection_id AS "providerConnectionId", provider_revision AS "providerRevision",
  draft_version AS "draftVersion", event_id AS "eventId", created_at AS "createdAt", status, attempts,
  available_at AS "availableAt", lease_owner AS "leaseOwner", lease_until AS "leaseUntil", last_error AS "lastError",
  delivered_at AS "deliveredAt", reported_at AS "reportedAt", progress_message AS "progressMessage",
  progress_percent AS "progressPercent", settled_at AS "settledAt"`;

/** Every outbox status, in the order `listOutbox` reads them. */
const LISTED_STATUSES: readonly string[] = ["pending", "delivered", "dead"];

const ENTRY_COLUMNS = [
  ["entry_id", "text", (e: OutboxEntry) => e.entryId],
  ["workspace_id", "text", (e: OutboxEntry) => e.workspaceId],
  ["draft_id", "text", (e: OutboxEntry) => e.draftId],
  ["run_id", "text", (e: OutboxEntry) => e.runId],
  ["kind", "text", (e: OutboxEntry) => e.kind],
  ["checkpoint", "text", (e: OutboxEntry) => e.checkpoint],
  ["operation", "text", (e: OutboxEntry) => e.operation],
  ["provider_connection_id", "text", (e: OutboxEntry) => e.providerConnectionId],
  ["provider_revision", "integer", (e: OutboxEntry) => e.providerRevision],
  ["draft_version", "integer", (e: OutboxEntry) => e.draftVersion],
  ["event_id", "text", (e: OutboxEntry) => e.eventId],
  ["created_at", "text", (e: OutboxEntry) => e.createdAt],
] as const;

const ENTRY_COLUMN_NAMES = ENTRY_COLUMNS.map(([name]) => name).join(", ");

/** The journal's entries as `json_to_recordset` reads them: each column with its type. */
const JOURNAL_RECORD = ENTRY_COLUMNS.map(([name, cast]) => `${name} ${cast}`).join(", ");

/**
 * @internal An `INSERT ... SELECT` of one journal row holding `entries` (a JSON array of objects
 * keyed by column), one per row of `source` (none when the gating statement matched nothing),
 * for a data-modifying CTE of `commit`. One text parameter whatever the number of entries, and
 * stored as text: the server parses it only when the row is moved. `add` collects a parameter
 * and returns its placeholder.
 */
export function journalInsert(
  table: string,
  source: string,
  entries: readonly OutboxEntry[],
  add: (value: unknown) => string,
): string {
  const rows = entries.map((entry) => Object.fromEntries(ENTRY_COLUMNS.map(([name, , get]) => [name, get(entry)])));
  return `INSERT INTO ${table} (entries) SELECT ${add(JSON.stringify(rows))}::text FROM ${source}`;
}

/** @internal Throws (a plain `Error`, for the error wrapper) when an entry is not the draft's. */
export function checkOutboxEntries(entries: readonly OutboxEntry[], workspaceId: string, draftId: string): void {
  for (const entry of entries) {
    if (entry.workspaceId !== workspaceId || entry.draftId !== draftId) {
      throw new Error(`outbox entry ${entry.entryId} belongs to another draft than ${workspaceId}/${draftId}`);
    }
  }
}

/** Journal rows (commits) one absorb statement moves at most: a backlog moves in bounded steps. */
const ABSORB_BATCH = 1000;

/** Entries moved by one absorb from which it refreshes the outbox's planner statistics. */
const ANALYZE_AFTER = 1000;

/**
 * The statement that moves up to `$1` journal rows into the outbox as new pending records, the
 * journal rows deleted in the same statement (so in the same transaction). The rows are locked
 * with a blocking `FOR UPDATE`: in READ COMMITTED a second absorber waits for the first to
 * commit, then skips the rows it deleted, so once its statement returns every entry it saw is in
 * the outbox for the caller's next statement (a new snapshot). `SKIP LOCKED` would return while
 * the first absorber's rows are still in flight, and a listing right after would miss them.
 * `ON CONFLICT DO NOTHING` makes a move of an entry already in the outbox harmless.
 */
function absorbText(t: PostgresTableNames): string {
  const selected = ENTRY_COLUMNS.map(([name]) => `e.${name}`).join(", ");
  return `WITH moved AS (
  DELETE FROM ${t.outboxJournal}
  WHERE ctid = ANY(ARRAY(SELECT ctid FROM ${t.outboxJournal} LIMIT $1::integer FOR UPDATE))
  RETURNING entries
),
absorbed AS (
  INSERT INTO ${t.outbox} (${ENTRY_COLUMN_NAMES}, status, attempts, available_at)
  SELECT ${selected}, 'pending', 0, e.created_at
  FROM moved CROSS JOIN json_to_recordset(moved.entries::json) AS e(${JOURNAL_RECORD})
  ON CONFLICT (workspace_id, entry_id) DO NOTHING
  RETURNING 1
)
SELECT (SELECT count(*) FROM moved)::integer AS moved, (SELECT count(*) FROM absorbed)::integer AS entries`;
}

function truncated(error: string): string {
  return error.length > MAX_OUTBOX_ERROR_LENGTH ? error.slice(0, MAX_OUTBOX_ERROR_LENGTH) : error;
}

/** @internal The `OutboxStore` methods of a PostgreSQL store. */
export function postgresOutboxMethods(
  context: PostgresOutboxContext,
): OutboxStore & Required<Pick<OutboxStore, "pruneOutbox">> {
  const { tables: t, query, write, guard } = context;
  const runRequested = `kind = 'run.requested'`;
  const probeText = `SELECT 1 FROM ${t.outboxJournal} LIMIT 1`;
  const moveText = absorbText(t);
  const analyzeText = `ANALYZE ${t.outbox}`;

  /**
   * Moves the whole journal into the outbox, in batches. An empty journal costs one read (no
   * write, no lock): what a polling dispatcher pays. Every operation that can see a pending
   * entry runs it first; settle, release, requeue and prune touch only entries that are claimed,
   * dead or delivered, which the journal never holds.
   */
  async function absorb(): Promise<void> {
    if ((await query(probeText, [])).rows.length === 0) return;
    let entries = 0;
    for (;;) {
      const row = (await write<{ moved: number; entries: number }>(moveText, [ABSORB_BATCH])).rows[0];
      entries += row?.entries ?? 0;
      if ((row?.moved ?? 0) < ABSORB_BATCH) break;
    }
    // A large batch of new pending rows at once leaves the planner's statistics describing the
    // outbox before it (few pending rows), and the settle of each claimed batch then scans every
    // pending row through o_claim instead of probing the primary key (5x slower in the dispatch
    // benchmark). Autovacuum's analyze would catch up only later; refresh them now (ANALYZE does
    // not block reads or writes).
    if (entries >= ANALYZE_AFTER && context.analyze !== false) await write(analyzeText, []);
  }

  /** `run` inside the error wrapper, after the journal was moved. */
  function absorbed<T>(operation: string, run: () => Promise<T>): Promise<T> {
    return guard(operation, async () => {
      await absorb();
      return run();
    });
  }

  // The subquery locks the rows it returns and re-checks its WHERE on their latest version, so the
  // outer UPDATE needs no filter of its own (without one, the planner joins on the primary key).
  const claimText = `WITH claimed AS (
  UPDATE ${t.outbox} SET lease_owner = $1::text, lease_until = $3::text, attempts = attempts + 1
  WHERE (workspace_id, entry_id) IN (
    SELECT workspace_id, entry_id FROM ${t.outbox}
    WHERE status = 'pending' AND available_at <= $2::text AND (lease_until IS NULL OR lease_until <= $2::text)
    ORDER BY created_at, workspace_id, entry_id
    LIMIT $4::integer
    FOR UPDATE SKIP LOCKED
  )
  RETURNING ${RECORD_COLUMNS}
)
SELECT * FROM claimed ORDER BY "createdAt", "workspaceId", "entryId"`;

  const settleText = `UPDATE ${t.outbox} AS o SET
    status = s.status,
    available_at = CASE WHEN s.status = 'pending' THEN s.available_at ELSE o.available_at END,
    delivered_at = CASE WHEN s.status = 'delivered' THEN $2::text ELSE o.delivered_at END,
    last_error = CASE WHEN s.status = 'delivered' THEN NULL ELSE s.error END,
    lease_owner = NULL, lease_until = NULL
  FROM unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::text[]) AS s(workspace_id, entry_id, status, available_at, error)
  WHERE o.workspace_id = s.workspace_id AND o.entry_id = s.entry_id
    AND o.status = 'pending' AND o.lease_owner = $1::text
    AND s.status IN ('delivered', 'pending', 'dead') AND (s.status <> 'pending' OR s.available_at IS NOT NULL)`;

  const releaseText = `UPDATE ${t.outbox} AS o SET lease_owner = NULL, lease_until = NULL, attempts = greatest(o.attempts - 1, 0)
  FROM unnest($2::text[], $3::text[]) AS r(workspace_id, entry_id)
  WHERE o.workspace_id = r.workspace_id AND o.entry_id = r.entry_id AND o.status = 'pending' AND o.lease_owner = $1::text`;

  return {
    async claimOutbox({ owner, now, leaseUntil, limit }) {
      checkOutboxLimit("claimOutbox", limit);
      return absorbed("claimOutbox", async () => (await write(claimText, [owner, now, leaseUntil, limit])).rows);
    },

    async settleOutbox({ owner, at, settlements }) {
      if (settlements.length === 0) return 0;
      const workspaces: string[] = [];
      const ids: string[] = [];
      const statuses: string[] = [];
      const availableAts: (string | null)[] = [];
      const errors: (string | null)[] = [];
      for (const settlement of settlements) {
        workspaces.push(settlement.workspaceId);
        ids.push(settlement.entryId);
        statuses.push(settlement.status);
        availableAts.push(settlement.status === "pending" ? settlement.availableAt : null);
        errors.push(settlement.status === "delivered" ? null : truncated(settlement.error));
      }
      const values = [owner, at, workspaces, ids, statuses, availableAts, errors];
      return guard("settleOutbox", async () => (await write(settleText, values)).rowCount ?? 0);
    },

    async releaseOutbox({ owner, entries }) {
      if (entries.length === 0) return 0;
      const workspaces = entries.map((entry) => entry.workspaceId);
      const ids = entries.map((entry) => entry.entryId);
      return guard("releaseOutbox", async () => (await write(releaseText, [owner, workspaces, ids])).rowCount ?? 0);
    },

    async listOutbox(options) {
      const limit = options.limit;
      checkOutboxLimit("listOutbox", limit);
      const cursor = outboxCursor(options.cursor);
      const values: unknown[] = [];
      const add = (value: unknown): string => `$${values.push(value)}::text`;
      const conditions: string[] = [];
      if (options.workspaceId !== undefined) conditions.push(`workspace_id = ${add(options.workspaceId)}`);
      if (cursor !== null)
        conditions.push(
          `(created_at, workspace_id, entry_id) > (${add(cursor.createdAt)}, ${add(cursor.workspaceId)}, ${add(cursor.entryId)})`,
        );
      values.push(limit + 1);
      const limitParam = `$${values.length}::integer`;
      // One branch per status, each read in order from its partial index (o_claim for pending,
      // o_done / o_ws_done for the others), merged and cut to the page. A known status is a literal
      // in the text: a generic plan can use a partial index only for a predicate it can prove.
      const statuses = options.status !== undefined ? [options.status] : LISTED_STATUSES;
      const branches = statuses.map(
        (status) => `SELECT ${RECORD_COLUMNS} FROM ${t.outbox}
        WHERE ${[`status = ${LISTED_STATUSES.includes(status) ? `'${status}'` : add(status)}`, ...conditions].join(" AND ")}
        ORDER BY created_at, workspace_id, entry_id
        LIMIT ${limitParam}`,
      );
      const text =
        branches.length === 1
          ? branches.join("")
          : `SELECT * FROM (${branches.map((branch) => `(${branch})`).join(" UNION ALL ")}) AS page
        ORDER BY "createdAt", "workspaceId", "entryId"
        LIMIT ${limitParam}`;
      type Row = { createdAt: string; workspaceId: string; entryId: string } & QueryResultRow;
      const rows = await absorbed("listOutbox", async () => (await query<Row>(text, values)).rows);
      const page = rows.slice(0, limit);
      const last = page[page.length - 1];
      return { entries: page, nextCursor: rows.length > limit && last !== undefined ? encodeOutboxCursor(last) : null };
    },

    async requeueOutbox({ workspaceId, entryId, at }) {
      const text = `UPDATE ${t.outbox}
        SET status = 'pending', attempts = 0, available_at = $3::text, lease_owner = NULL, lease_until = NULL
        WHERE workspace_id = $1::text AND entry_id = $2::text AND status = 'dead'`;
      return guard("requeueOutbox", async () => ((await write(text, [workspaceId, entryId, at])).rowCount ?? 0) > 0);
    },

    async recordRunProgress({ workspaceId, draftId, runId, at, message, percent }) {
      const text = `UPDATE ${t.outbox}
        SET reported_at = CASE WHEN reported_at IS NULL OR reported_at < $4::text THEN $4::text ELSE reported_at END,
          progress_message = coalesce($5::text, progress_message),
          progress_percent = coalesce($6::double precision, progress_percent)
        WHERE workspace_id = $1::text AND run_id = $2::text AND draft_id = $3::text AND ${runRequested}`;
      const values = [workspaceId, runId, draftId, at, message, percent];
      return absorbed("recordRunProgress", async () => ((await write(text, values)).rowCount ?? 0) > 0);
    },

    async listRunRecords(workspaceId, draftId) {
      const text = `SELECT ${RECORD_COLUMNS} FROM ${t.outbox}
        WHERE workspace_id = $1::text AND draft_id = $2::text AND ${runRequested}
        ORDER BY created_at, entry_id`;
      return absorbed("listRunRecords", async () => (await query(text, [workspaceId, draftId])).rows);
    },

    async findStaleRuns({ before, limit }) {
      checkOutboxLimit("findStaleRuns", limit);
      const text = `SELECT ${RECORD_COLUMNS} FROM ${t.outbox}
        WHERE ${runRequested} AND settled_at IS NULL AND coalesce(reported_at, created_at) < $1::text
        ORDER BY coalesce(reported_at, created_at), workspace_id, entry_id
        LIMIT $2::integer`;
      return absorbed("findStaleRuns", async () => (await query(text, [before, limit])).rows);
    },

    async settleRuns({ workspaceId, draftId, runIds, at }) {
      if (runIds.length === 0) return 0;
      const text = `UPDATE ${t.outbox} SET settled_at = $4::text
        WHERE workspace_id = $1::text AND draft_id = $2::text AND run_id = ANY($3::text[]) AND ${runRequested}
          AND settled_at IS NULL`;
      const values = [workspaceId, draftId, [...runIds], at];
      return absorbed("settleRuns", async () => (await write(text, values)).rowCount ?? 0);
    },

    async pruneOutbox(before) {
      const cutoff = outboxCutoff(before);
      // Done with: delivered before the cut-off, and cancelled or its run settled.
      const text = `DELETE FROM ${t.outbox}
        WHERE status = 'delivered' AND delivered_at < $1::text AND (kind = 'run.cancelled' OR settled_at IS NOT NULL)`;
      return guard("pruneOutbox", async () => (await write(text, [cutoff])).rowCount ?? 0);
    },
  };
}
