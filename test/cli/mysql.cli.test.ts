/**
 * The CLI end to end on MariaDB / MySQL (test/cli/suite.ts), through a `mariadb://` connection
 * string: a fresh table prefix, legacy rows written with plain SQL.
 */
import { createMySqlStore, mysqlTableNames } from "../../src/adapters/mysql/index.js";
import { insertLegacyMySql } from "../support/legacy-rows.js";
import { serviceAvailable, uniqueSuffix } from "../support/services.js";
import { MYSQL_OPTIONS, dropTables, probeMySql, testPool } from "../adapters/fixtures/mysql-support.js";
import { describeCliSuite } from "./suite.js";

const credentials = `${MYSQL_OPTIONS.user ?? "root"}${MYSQL_OPTIONS.password ? `:${MYSQL_OPTIONS.password}` : ""}`;
const url = `mariadb://${credentials}@${MYSQL_OPTIONS.host ?? "127.0.0.1"}:${MYSQL_OPTIONS.port ?? 3306}/${MYSQL_OPTIONS.database ?? "test"}`;

describeCliSuite({
  name: "MariaDB",
  available: await serviceAvailable("MySQL/MariaDB", probeMySql),
  async setup() {
    const pool = testPool(4);
    const prefix = `cli_${uniqueSuffix()}_`;
    const store = createMySqlStore({ pool, tablePrefix: prefix });
    const drafts = `\`${mysqlTableNames(prefix).drafts}\``;
    return {
      url,
      prefix,
      store,
      sql: true,
      resumeRows: 800,
      unreachableUrl: "mysql://root:secret@127.0.0.1:1/test",
      migrate: async () => void (await store.migrate()),
      insertLegacy: (rows) => insertLegacyMySql(pool, prefix, rows),
      async insertCorrupt(workspaceId, draftId, text) {
        const at = new Date().toISOString();
        await pool.execute(
          `INSERT INTO ${drafts} (workspace_id, id, version, state, created_at, updated_at, document) VALUES (?, ?, 1, 'draft', ?, ?, ?)`,
          [workspaceId, draftId, at, at, text],
        );
      },
      async removeDraft(workspaceId, draftId) {
        await pool.execute(`DELETE FROM ${drafts} WHERE workspace_id = ? AND id = ?`, [workspaceId, draftId]);
      },
      async teardown() {
        await dropTables(pool, prefix);
        await pool.end();
      },
    };
  },
});
