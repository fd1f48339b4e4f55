/**
 * The CLI end to end on PostgreSQL (test/cli/suite.ts): a fresh table prefix, legacy rows written
 * with plain SQL.
 */
import { createPostgresStore, postgresTableNames } from "../../src/adapters/postgres/index.js";
import { insertLegacyPostgres } from "../support/legacy-rows.js";
import { serviceAvailable, uniqueSuffix } from "../support/services.js";
import { POSTGRES_URL, dropTables, probePostgres, testPool } from "../adapters/fixtures/postgres-support.js";
import { describeCliSuite } from "./suite.js";

describeCliSuite({
  name: "PostgreSQL",
  available: await serviceAvailable("PostgreSQL", probePostgres),
  async setup() {
    const pool = testPool(4);
    const prefix = `cli_${uniqueSuffix()}_`;
    const drafts = postgresTableNames(prefix).drafts;
    const store = createPostgresStore({ pool, tablePrefix: prefix });
    return {
      url: POSTGRES_URL,
      prefix,
      store,
      migrate: async () => void (await store.migrate()),
      sql: true,
      resumeRows: 800,
      unreachableUrl: "postgres://postgres:secret@127.0.0.1:1/test",
      insertLegacy: (rows) => insertLegacyPostgres(pool, prefix, rows),
      async insertCorrupt(workspaceId, draftId, text) {
        await pool.query(
          `INSERT INTO ${drafts} (workspace_id, id, version, state, created_at, updated_at, document) VALUES ($1, $2, 1, 'draft', $3, $3, $4)`,
          [workspaceId, draftId, new Date().toISOString(), text],
        );
      },
      async removeDraft(workspaceId, draftId) {
        await pool.query(`DELETE FROM ${drafts} WHERE workspace_id = $1 AND id = $2`, [workspaceId, draftId]);
      },
      async teardown() {
        await dropTables(pool, prefix);
        await pool.end();
      },
    };
  },
});
