/**
 * The shared DraftStore conformance kit against the MySQL / MariaDB adapter (loopback server;
 * skipped loudly without it, a failure with REQUIRE_SERVICES=1).
 */
import { afterAll, beforeAll, describe, it } from "vitest";
import type { ResultSetHeader } from "mysql2/promise";
import { createMySqlStore, mysqlTableNames } from "../../src/adapters/mysql/index.js";
import { describeStoreConformance } from "../../src/testing/index.js";
import { serviceAvailable, uniqueSuffix } from "../support/services.js";
import { dropTables, probeMySql, testPool } from "./fixtures/mysql-support.js";

const up = await serviceAvailable("MySQL/MariaDB", probeMySql);

describe.skipIf(!up)("mysql", () => {
  describeStoreConformance(
    "mysql",
    async () => {
      const prefix = `t_myc_${uniqueSuffix()}_`;
      const pool = testPool(16);
      const store = createMySqlStore({ pool, tablePrefix: prefix });
      await store.migrate();
      const drafts = mysqlTableNames(prefix).drafts;
      return {
        store,
        async writeRawDocument(workspaceId, draftId, raw) {
          await pool.execute(`UPDATE \`${drafts}\` SET \`document\` = ? WHERE \`workspace_id\` = ? AND \`id\` = ?`, [
            raw,
            workspaceId,
            draftId,
          ]);
        },
        async writeStoredVersion(workspaceId, draftId, version) {
          const [result] = await pool.execute<ResultSetHeader>(
            `UPDATE \`${drafts}\` SET \`version\` = ? WHERE \`workspace_id\` = ? AND \`id\` = ?`,
            [version, workspaceId, draftId],
          );
          if (result.affectedRows !== 1) throw new Error(`no draft ${draftId} in ${workspaceId}`);
        },
        async teardown() {
          await dropTables(pool, prefix);
          await pool.end();
        },
      };
    },
    { runner: { describe, it, beforeAll, afterAll }, log: (line) => console.log(line) },
  );
});
