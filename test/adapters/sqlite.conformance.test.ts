/**
 * The shared DraftStore conformance kit, run against the SQLite adapter on a temporary file
 * (WAL mode, the adapter's own connection), on a caller-owned in-memory database, and with the
 * engine's document cache turned off (every read parses, every command reads first: the plain path).
 */
import { afterAll, beforeAll, describe, it } from "vitest";
import Database from "better-sqlite3";
import { createSqliteStore } from "../../src/adapters/sqlite/index.js";
import { describeStoreConformance } from "../../src/testing/index.js";
import { tempDatabase } from "./fixtures/sqlite-helpers.js";

describeStoreConformance(
  "sqlite (file, WAL)",
  async () => {
    const tmp = tempDatabase("conformance");
    const store = createSqliteStore({ filename: tmp.file, tablePrefix: "conf_" });
    await store.migrate();
    const db = await store.database();
    const overwrite = db.prepare(`UPDATE "${store.tables.drafts}" SET document = ? WHERE workspace_id = ? AND id = ?`);
    const setVersion = db.prepare(`UPDATE "${store.tables.drafts}" SET version = ? WHERE workspace_id = ? AND id = ?`);
    return {
      store,
      async writeRawDocument(workspaceId, draftId, raw) {
        const { changes } = overwrite.run(raw, workspaceId, draftId);
        if (changes !== 1) throw new Error(`no draft ${draftId} in ${workspaceId}`);
      },
      async writeStoredVersion(workspaceId, draftId, version) {
        const { changes } = setVersion.run(version, workspaceId, draftId);
        if (changes !== 1) throw new Error(`no draft ${draftId} in ${workspaceId}`);
      },
      async teardown() {
        await store.close();
        tmp.cleanup();
      },
    };
  },
  { runner: { describe, it, beforeAll, afterAll }, numRuns: 100, log: (line) => console.log(line) },
);

/** A caller-owned in-memory database with the store on it; the store must leave it open. */
function callerOwned(tablePrefix: string) {
  return async () => {
    const db = new Database(":memory:");
    const store = createSqliteStore({ database: db, tablePrefix });
    await store.migrate();
    const overwrite = db.prepare(`UPDATE "${store.tables.drafts}" SET document = ? WHERE workspace_id = ? AND id = ?`);
    const setVersion = db.prepare(`UPDATE "${store.tables.drafts}" SET version = ? WHERE workspace_id = ? AND id = ?`);
    return {
      store,
      async writeRawDocument(workspaceId: string, draftId: string, raw: string) {
        const { changes } = overwrite.run(raw, workspaceId, draftId);
        if (changes !== 1) throw new Error(`no draft ${draftId} in ${workspaceId}`);
      },
      async writeStoredVersion(workspaceId: string, draftId: string, version: number) {
        const { changes } = setVersion.run(version, workspaceId, draftId);
        if (changes !== 1) throw new Error(`no draft ${draftId} in ${workspaceId}`);
      },
      async teardown() {
        await store.close();
        if (!db.open) throw new Error("the store closed a caller-owned database");
        db.close();
      },
    };
  };
}

describeStoreConformance("sqlite (caller-owned :memory: Database)", callerOwned("mem_"), {
  runner: { describe, it, beforeAll, afterAll },
  numRuns: 100,
});

describeStoreConformance("sqlite (the engine's document cache off)", callerOwned("nocache_"), {
  runner: { describe, it, beforeAll, afterAll },
  numRuns: 100,
  documentCacheSize: 0,
});
