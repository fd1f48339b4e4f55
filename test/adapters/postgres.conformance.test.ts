/**
 * The shared storage-port conformance kit against the PostgreSQL adapter (one table prefix for
 * the whole suite; every kit test uses fresh workspaces).
 */
import type pg from "pg";
import { afterAll, beforeAll, describe, it } from "vitest";
import { describeStoreConformance } from "../../src/testing/index.js";
import { serviceAvailable } from "../support/services.js";
import { dropTables, migratedStore, probePostgres, testPool, uniquePrefix } from "./fixtures/postgres-support.js";

const up = await serviceAvailable("PostgreSQL", probePostgres);

describe.skipIf(!up)("postgres", () => {
  describeStoreConformance(
    "postgres",
    async () => {
      const pool: pg.Pool = testPool(16);
      const prefix = uniquePrefix("conf");
      const store = await migratedStore(pool, prefix);
      return {
        store,
        writeRawDocument: async (workspaceId, draftId, raw) => {
          await pool.query(`UPDATE ${store.tables.drafts} SET document = $1 WHERE workspace_id = $2 AND id = $3`, [
            raw,
            workspaceId,
            draftId,
          ]);
        },
        writeStoredVersion: async (workspaceId, draftId, version) => {
          // Only the compare-and-set column: the document keeps its own version.
          await pool.query(`UPDATE ${store.tables.drafts} SET version = $1 WHERE workspace_id = $2 AND id = $3`, [
            version,
            workspaceId,
            draftId,
          ]);
        },
        teardown: async () => {
          await dropTables(pool, prefix);
          await pool.end();
        },
      };
    },
    { runner: { describe, it, beforeAll, afterAll }, log: (line) => console.log(line) },
  );
});
