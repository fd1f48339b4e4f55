/**
 * The SQLite store's `admin` (`StoreAdmin`): counts per state (`GROUP BY state`), a keyset scan
 * on the primary key `(workspace_id, id)`, and the rewrite, one `UPDATE` (atomic on its own) that
 * also requires the stored document to be the scanned one.
 */
import type BetterSqlite3 from "better-sqlite3";
import {
  checkScanLimit,
  draftCounts,
  encodeScanCursor,
  openTenantOf,
  scanCursor,
  type StoreAdmin,
} from "../../store/index.js";
import type { SqliteTableNames } from "./schema.js";

/** Runs `fn` on the store's open connection, inside the store's error wrapper and busy retries. */
export type SqliteAdminRunner = <T>(operation: string, fn: (db: BetterSqlite3.Database) => T) => Promise<T>;

interface ScanRow {
  readonly workspace_id: string;
  readonly id: string;
  readonly version: number;
  readonly state: string | null;
  readonly open_tenant_id: string | null;
  readonly document: string;
}

/** The admin of a SQLite store. */
export function sqliteAdmin(tables: SqliteTableNames, run: SqliteAdminRunner): StoreAdmin {
  const D = `"${tables.drafts}"`;
  const columns = "workspace_id, id, version, state, open_tenant_id, document";
  return {
    countDrafts(options = {}) {
      return run("countDrafts", (db) => {
        const sql = `SELECT state, count(*) AS n FROM ${D}${options.workspaceId === undefined ? "" : " WHERE workspace_id = ?"} GROUP BY state`;
        const params = options.workspaceId === undefined ? [] : [options.workspaceId];
        const rows = db.prepare<unknown[], { state: string; n: number }>(sql).all(...params);
        return draftCounts(rows.map((row) => [row.state, row.n] as const));
      });
    },

    async scanDrafts(options) {
      const limit = checkScanLimit(options.limit);
      const after = scanCursor(options.cursor);
      const rows = await run("scanDrafts", (db) =>
        after === null
          ? db.prepare<unknown[], ScanRow>(`SELECT ${columns} FROM ${D} ORDER BY workspace_id, id LIMIT ?`).all(limit)
          : db
              .prepare<unknown[], ScanRow>(
                `SELECT ${columns} FROM ${D} WHERE (workspace_id, id) > (?, ?) ORDER BY workspace_id, id LIMIT ?`,
              )
              .all(after[0], after[1], limit),
      );
      const last = rows[rows.length - 1];
      return {
        drafts: rows.map((row) => ({
          workspaceId: row.workspace_id,
          draftId: row.id,
          document: row.document,
          version: row.version,
          state: row.state,
          openTenantId: row.open_tenant_id,
        })),
        nextCursor: rows.length === limit && last !== undefined ? encodeScanCursor([last.workspace_id, last.id]) : null,
      };
    },

    rewriteDraft({ draft, document, basis }) {
      const openTenant = openTenantOf(draft);
      return run("rewriteDraft", (db) => {
        if (typeof basis !== "string") return { ok: false, reason: "changed" } as const;
        try {
          const { changes } = db
            .prepare(
              `UPDATE ${D} SET state = ?, current_checkpoint = ?, tenant_id = ?, open_tenant_id = ?, created_at = ?, ` +
                "updated_at = ?, document = ? WHERE workspace_id = ? AND id = ? AND version = ? AND document = ?",
            )
            .run(
              draft.lifecycle.state,
              draft.lifecycle.currentCheckpoint,
              draft.identity?.tenantId ?? null,
              openTenant,
              draft.createdAt,
              draft.updatedAt,
              document,
              draft.workspaceId,
              draft.id,
              draft.version,
              basis,
            );
          return changes === 1 ? ({ ok: true } as const) : ({ ok: false, reason: "changed" } as const);
        } catch (error) {
          if (openTenant === null || (error as { code?: unknown } | null)?.code !== "SQLITE_CONSTRAINT_UNIQUE") {
            throw error;
          }
          const holder = db
            .prepare<unknown[], { id: string }>(`SELECT id FROM ${D} WHERE workspace_id = ? AND open_tenant_id = ?`)
            .get(draft.workspaceId, openTenant);
          if (holder === undefined) return { ok: false, reason: "changed" } as const;
          return { ok: false, reason: "open_draft_exists", existingDraftId: holder.id } as const;
        }
      });
    },
  };
}
