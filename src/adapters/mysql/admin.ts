/**
 * The MySQL / MariaDB store's `admin` (`StoreAdmin`): counts per state (`GROUP BY state`), a
 * keyset scan on the primary key `(workspace_id, id)` (byte order: the id columns are
 * `VARBINARY`), and the rewrite, one `UPDATE` that also requires the stored document to be the
 * scanned one. Every statement runs in autocommit.
 */
import type { Pool, ResultSetHeader, RowDataPacket } from "mysql2/promise";
import {
  checkScanLimit,
  draftCounts,
  encodeScanCursor,
  openTenantOf,
  scanCursor,
  type ScannedDraft,
  type StoreAdmin,
} from "../../store/index.js";
import type { MySqlTableNames } from "./schema.js";

/** What the admin needs of the store: its tables, its pool, its error wrapper. */
export interface MySqlAdminContext {
  /** The store's table names (unquoted). */
  readonly tables: MySqlTableNames;
  /** The store's pool. */
  readonly pool: () => Promise<Pool>;
  /** The one error wrapper. */
  readonly guard: <T>(operation: string, run: () => Promise<T>) => Promise<T>;
}

const ER_DUP_ENTRY = 1062;

function text(value: unknown): string {
  if (typeof value === "string") return value;
  if (Buffer.isBuffer(value)) return value.toString("utf8");
  return String(value);
}

function nullableText(value: unknown): string | null {
  return value === null || value === undefined ? null : text(value);
}

function scanned(row: RowDataPacket): ScannedDraft {
  return {
    workspaceId: text(row["workspace_id"]),
    draftId: text(row["id"]),
    document: row["document"],
    version: row["version"] as number | string | bigint | null,
    state: nullableText(row["state"]),
    openTenantId: nullableText(row["open_tenant_id"]),
  };
}

/** The admin of a MySQL / MariaDB store. */
export function mysqlAdmin(ctx: MySqlAdminContext): StoreAdmin {
  const D = `\`${ctx.tables.drafts}\``;
  const columns = "`workspace_id`, `id`, `version`, `state`, `open_tenant_id`, `document`";

  async function rows(sql: string, params: readonly (string | number | null)[]): Promise<RowDataPacket[]> {
    const [result] = await (await ctx.pool()).execute<RowDataPacket[]>(sql, params as (string | number | null)[]);
    return result;
  }

  return {
    countDrafts(options = {}) {
      const where = options.workspaceId === undefined ? "" : " WHERE `workspace_id` = ?";
      const params = options.workspaceId === undefined ? [] : [options.workspaceId];
      return ctx.guard("countDrafts", async () => {
        const found = await rows(`SELECT \`state\`, COUNT(*) AS \`n\` FROM ${D}${where} GROUP BY \`state\``, params);
        return draftCounts(found.map((row) => [text(row["state"]), Number(row["n"])] as const));
      });
    },

    async scanDrafts(options) {
      const limit = checkScanLimit(options.limit);
      const after = scanCursor(options.cursor);
      // LIMIT as a string parameter: MySQL 8.0.22+ rejects the DOUBLE mysql2 sends for a number.
      const found = await ctx.guard("scanDrafts", () =>
        after === null
          ? rows(`SELECT ${columns} FROM ${D} ORDER BY \`workspace_id\`, \`id\` LIMIT ?`, [String(limit)])
          : rows(
              `SELECT ${columns} FROM ${D} WHERE \`workspace_id\` > ? OR (\`workspace_id\` = ? AND \`id\` > ?) ` +
                "ORDER BY `workspace_id`, `id` LIMIT ?",
              [after[0], after[0], after[1], String(limit)],
            ),
      );
      const drafts = found.map(scanned);
      const last = drafts[drafts.length - 1];
      return {
        drafts,
        nextCursor:
          drafts.length === limit && last !== undefined ? encodeScanCursor([last.workspaceId, last.draftId]) : null,
      };
    },

    rewriteDraft({ draft, document, basis }) {
      const openTenant = openTenantOf(draft);
      return ctx.guard("rewriteDraft", async () => {
        const stored = typeof basis === "string" ? basis : Buffer.isBuffer(basis) ? basis.toString("utf8") : null;
        if (stored === null) return { ok: false, reason: "changed" } as const;
        try {
          const [result] = await (
            await ctx.pool()
          ).execute<ResultSetHeader>(
            `UPDATE ${D} SET \`state\` = ?, \`current_checkpoint\` = ?, \`tenant_id\` = ?, \`open_tenant_id\` = ?, ` +
              "`created_at` = ?, `updated_at` = ?, `document` = ? " +
              "WHERE `workspace_id` = ? AND `id` = ? AND `version` = ? AND `document` = ?",
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
              stored,
            ],
          );
          // Matched rows: mysql2 connects with CLIENT_FOUND_ROWS unless told otherwise.
          return result.affectedRows === 1 ? ({ ok: true } as const) : ({ ok: false, reason: "changed" } as const);
        } catch (error) {
          if (openTenant === null || (error as { errno?: unknown } | null)?.errno !== ER_DUP_ENTRY) throw error;
          const holder = await rows(`SELECT \`id\` FROM ${D} WHERE \`workspace_id\` = ? AND \`open_tenant_id\` = ?`, [
            draft.workspaceId,
            openTenant,
          ]);
          const existing = holder[0] === undefined ? null : text(holder[0]["id"]);
          if (existing === null) return { ok: false, reason: "changed" } as const;
          return { ok: false, reason: "open_draft_exists", existingDraftId: existing } as const;
        }
      });
    },
  };
}
