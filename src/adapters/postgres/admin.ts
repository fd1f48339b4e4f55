/**
 * The PostgreSQL store's `admin` (`StoreAdmin`): counts per state (`GROUP BY state`), a keyset
 * scan on the primary key `(workspace_id, id)`, and the rewrite, one `UPDATE` that also requires
 * the stored document to be the scanned one.
 */
import type { QueryResult, QueryResultRow } from "pg";
import {
  checkScanLimit,
  draftCounts,
  encodeScanCursor,
  openTenantOf,
  scanCursor,
  type StoreAdmin,
} from "../../store/index.js";
import type { PostgresTableNames } from "./schema.js";

/** What the admin needs of the store: its tables, its statements, its error wrapper. */
export interface PostgresAdminContext {
  /** The store's quoted names. */
  readonly tables: PostgresTableNames;
  /** Runs a read. */
  readonly query: <R extends QueryResultRow>(text: string, values: unknown[]) => Promise<QueryResult<R>>;
  /** Runs a write (inside a joined transaction, within a savepoint). */
  readonly write: <R extends QueryResultRow>(text: string, values: unknown[]) => Promise<QueryResult<R>>;
  /** The one error wrapper. */
  readonly guard: <T>(operation: string, run: () => Promise<T>) => Promise<T>;
  /** Whether a driver error is a violation of the one-open-draft index. */
  readonly isOpenTenantViolation: (error: unknown) => boolean;
}

interface ScanRow extends QueryResultRow {
  readonly workspace_id: string;
  readonly id: string;
  readonly version: number;
  readonly state: string | null;
  readonly open_tenant_id: string | null;
  readonly document: string;
}

/** The admin of a PostgreSQL store. */
export function postgresAdmin(ctx: PostgresAdminContext): StoreAdmin {
  const t = ctx.tables;
  return {
    countDrafts(options = {}) {
      const where = options.workspaceId === undefined ? "" : " WHERE workspace_id = $1";
      const values = options.workspaceId === undefined ? [] : [options.workspaceId];
      return ctx.guard("countDrafts", async () => {
        const result = await ctx.query<{ state: string; n: number }>(
          `SELECT state, count(*)::integer AS n FROM ${t.drafts}${where} GROUP BY state`,
          values,
        );
        return draftCounts(result.rows.map((row) => [row.state, row.n] as const));
      });
    },

    async scanDrafts(options) {
      const limit = checkScanLimit(options.limit);
      const after = scanCursor(options.cursor);
      const columns = "workspace_id, id, version, state, open_tenant_id, document";
      const rows = await ctx.guard("scanDrafts", async () => {
        const result =
          after === null
            ? await ctx.query<ScanRow>(`SELECT ${columns} FROM ${t.drafts} ORDER BY workspace_id, id LIMIT $1`, [limit])
            : await ctx.query<ScanRow>(
                `SELECT ${columns} FROM ${t.drafts} WHERE (workspace_id, id) > ($1, $2) ORDER BY workspace_id, id LIMIT $3`,
                [after[0], after[1], limit],
              );
        return result.rows;
      });
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
      return ctx.guard("rewriteDraft", async () => {
        if (typeof basis !== "string") return { ok: false, reason: "changed" } as const;
        try {
          const result = await ctx.write(
            `UPDATE ${t.drafts} SET state = $1, current_checkpoint = $2, tenant_id = $3, open_tenant_id = $4,
              created_at = $5, updated_at = $6, document = $7
              WHERE workspace_id = $8 AND id = $9 AND version = $10 AND document = $11`,
            [
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
            ],
          );
          return result.rowCount === 1 ? ({ ok: true } as const) : ({ ok: false, reason: "changed" } as const);
        } catch (error) {
          if (openTenant === null || !ctx.isOpenTenantViolation(error)) throw error;
          const holder = await ctx.query<{ id: string }>(
            `SELECT id FROM ${t.drafts} WHERE workspace_id = $1 AND open_tenant_id = $2`,
            [draft.workspaceId, openTenant],
          );
          const existingDraftId = holder.rows[0]?.id;
          // The holder closed in between: the next run of the job tries again.
          if (existingDraftId === undefined) return { ok: false, reason: "changed" } as const;
          return { ok: false, reason: "open_draft_exists", existingDraftId } as const;
        }
      });
    },
  };
}
