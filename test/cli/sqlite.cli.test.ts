/**
 * The CLI end to end on SQLite (test/cli/suite.ts): a database file in a temp dir (the CLI and
 * the test open it at the same time, as an operator's CLI and a running application would),
 * legacy rows written with plain SQL.
 */
import Database from "better-sqlite3";
import { createSqliteStore, sqliteTableNames } from "../../src/adapters/sqlite/index.js";
import { insertLegacySqlite } from "../support/legacy-rows.js";
import { tempDatabase } from "../adapters/fixtures/sqlite-helpers.js";
import { describeCliSuite } from "./suite.js";

describeCliSuite({
  name: "SQLite",
  available: true,
  async setup() {
    const file = tempDatabase("cli");
    const prefix = "cli_";
    const db = new Database(file.file);
    db.pragma("journal_mode = WAL");
    db.pragma("busy_timeout = 5000");
    const store = createSqliteStore({ database: db, tablePrefix: prefix });
    const drafts = `"${sqliteTableNames(prefix).drafts}"`;
    return {
      url: `sqlite:${file.file}`,
      prefix,
      store,
      sql: true,
      resumeRows: 8000,
      unreachableUrl: `sqlite:${file.dir}/no-such-dir/missing.db`,
      migrate: async () => void (await store.migrate()),
      insertLegacy: async (rows) => insertLegacySqlite(db, prefix, rows),
      async insertCorrupt(workspaceId, draftId, text) {
        const at = new Date().toISOString();
        db.prepare(
          `INSERT INTO ${drafts} (workspace_id, id, version, state, created_at, updated_at, document) VALUES (?, ?, 1, 'draft', ?, ?, ?)`,
        ).run(workspaceId, draftId, at, at, text);
      },
      async removeDraft(workspaceId, draftId) {
        db.prepare(`DELETE FROM ${drafts} WHERE workspace_id = ? AND id = ?`).run(workspaceId, draftId);
      },
      async teardown() {
        db.close();
        file.cleanup();
      },
    };
  },
});
