/**
 * Legacy rows for the admin and CLI tests: documents in the shape an older writer left them (no
 * `schemaVersion`, no `lifecycle`, no nulls for the parts it lacked) with query columns that do
 * not match (an old status word as `state`, no open-draft slot), written straight into each
 * store's tables or keys, bypassing the adapter.
 */
import type { Cluster, Redis } from "ioredis";
import type { Pool as MySqlPool } from "mysql2/promise";
import type pg from "pg";
import type BetterSqlite3 from "better-sqlite3";
import { mysqlTableNames } from "../../src/adapters/mysql/index.js";
import { postgresTableNames } from "../../src/adapters/postgres/index.js";
import { sqliteTableNames } from "../../src/adapters/sqlite/index.js";
import { redisKeys } from "../../src/adapters/redis/index.js";

/** A legacy row: its key, the old status word stored as `state`, and the document. */
export interface LegacyRow {
  readonly workspaceId: string;
  readonly id: string;
  readonly tenantId: string;
  readonly createdAt: string;
  /** What the old writer stored in the `state` column. */
  readonly state: string;
  readonly document: Readonly<Record<string, unknown>>;
}

/**
 * The `index`-th legacy row of a workspace. Three shapes in turn: identified only (upgrades to
 * `draft` at `connect_provider`), with a provider (`draft` at `verify_access`), and verified
 * (`ready_for_activation`).
 */
export function legacyRow(workspaceId: string, index: number, tenantId = `tenant-${workspaceId}-${index}`): LegacyRow {
  const id = `legacy-${String(index).padStart(4, "0")}`;
  const createdAt = new Date(Date.UTC(2024, 0, 1, 0, 0, index)).toISOString();
  const shape = index % 3;
  const document: Record<string, unknown> = {
    id,
    workspaceId,
    identity: { tenantId, displayName: `Tenant ${index}` },
    createdAt,
    createdBy: "legacy-import",
  };
  if (shape >= 1) document["provider"] = { connectionId: `conn-${index}`, revision: 1 };
  if (shape === 2) {
    document["verification"] = {
      runId: `run-${index}`,
      operation: "verify_access",
      status: "completed",
      outcome: "succeeded",
      startedAt: createdAt,
      completedAt: createdAt,
      providerConnectionId: `conn-${index}`,
      providerRevision: 1,
    };
  }
  return { workspaceId, id, tenantId, createdAt, state: shape === 2 ? "verified" : "new", document };
}

/** The state the `index`-th legacy row upgrades to. */
export function upgradedState(index: number): string {
  return index % 3 === 2 ? "ready_for_activation" : "draft";
}

/** Splits rows into chunks for multi-row INSERTs. */
function chunks<T>(rows: readonly T[], size = 200): T[][] {
  const out: T[][] = [];
  for (let start = 0; start < rows.length; start += size) out.push(rows.slice(start, start + size));
  return out;
}

/** Inserts legacy rows into a PostgreSQL store's drafts table. */
export async function insertLegacyPostgres(pool: pg.Pool, prefix: string, rows: readonly LegacyRow[]): Promise<void> {
  const t = postgresTableNames(prefix);
  for (const chunk of chunks(rows)) {
    const values = chunk.map((_, i) => {
      const p = (n: number) => `$${6 * i + n}`;
      return `(${p(1)}, ${p(2)}, 1, ${p(3)}, NULL, ${p(4)}, NULL, ${p(5)}, ${p(5)}, ${p(6)})`;
    });
    await pool.query(
      `INSERT INTO ${t.drafts} (workspace_id, id, version, state, current_checkpoint, tenant_id, open_tenant_id, created_at, updated_at, document)
       VALUES ${values.join(", ")}`,
      chunk.flatMap((row) => [
        row.workspaceId,
        row.id,
        row.state,
        row.tenantId,
        row.createdAt,
        JSON.stringify(row.document),
      ]),
    );
  }
}

/** Inserts legacy rows into a MySQL / MariaDB store's drafts table. */
export async function insertLegacyMySql(pool: MySqlPool, prefix: string, rows: readonly LegacyRow[]): Promise<void> {
  const t = mysqlTableNames(prefix);
  for (const chunk of chunks(rows)) {
    await pool.query(
      `INSERT INTO \`${t.drafts}\` (workspace_id, id, version, state, current_checkpoint, tenant_id, open_tenant_id, created_at, updated_at, document)
       VALUES ${chunk.map(() => "(?, ?, 1, ?, NULL, ?, NULL, ?, ?, ?)").join(", ")}`,
      chunk.flatMap((row) => [
        row.workspaceId,
        row.id,
        row.state,
        row.tenantId,
        row.createdAt,
        row.createdAt,
        JSON.stringify(row.document),
      ]),
    );
  }
}

/** Inserts legacy rows into a SQLite store's drafts table. */
export function insertLegacySqlite(db: BetterSqlite3.Database, prefix: string, rows: readonly LegacyRow[]): void {
  const t = sqliteTableNames(prefix);
  const insert = db.prepare(
    `INSERT INTO "${t.drafts}" (workspace_id, id, version, state, current_checkpoint, tenant_id, open_tenant_id, created_at, updated_at, document)
     VALUES (?, ?, 1, ?, NULL, ?, NULL, ?, ?, ?)`,
  );
  db.transaction(() => {
    for (const row of rows) {
      insert.run(
        row.workspaceId,
        row.id,
        row.state,
        row.tenantId,
        row.createdAt,
        row.createdAt,
        JSON.stringify(row.document),
      );
    }
  })();
}

/**
 * Writes legacy rows into a Redis store's keys: the draft hash (its old status word as `state`,
 * no open-draft slot) and the workspace's listing, but no per-state listing (the old word is no
 * lifecycle state).
 */
export async function insertLegacyRedis(
  client: Redis | Cluster,
  prefix: string,
  rows: readonly LegacyRow[],
): Promise<void> {
  for (const row of rows) {
    const keys = redisKeys(prefix, row.workspaceId);
    await client.hset(
      keys.draft(row.id),
      "doc",
      JSON.stringify(row.document),
      "v",
      "1",
      "state",
      row.state,
      "ca",
      row.createdAt,
      "open",
      "",
    );
    await client.zadd(keys.list(), 0, `${row.createdAt}\u0000${row.id}`);
  }
}
