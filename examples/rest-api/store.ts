/**
 * examples/rest-api — the store the server and the worker share. Both processes open the same
 * database: the server's engine writes drafts with their outbox entries, the worker's dispatcher
 * claims those entries. PostgreSQL for a real deployment, a SQLite file for a laptop (WAL mode
 * lets several processes use one file) and for the browser tests.
 */
import type { DispatchStore, DraftStore, OutboxStore } from "../../src/index.js";

/** A store with its outbox, tables created, and a way to close it. */
export type ExampleStore = DraftStore & OutboxStore & DispatchStore & { close(): Promise<void> };

/** The database the example uses when `DATABASE_URL` is not set. */
export const DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/test";

/**
 * Opens and migrates the store named by `url`: `postgres://...` (or `postgresql://`), or
 * `file:<path>` / a plain path for a SQLite file. The drivers are loaded only when used.
 */
export async function openStore(url = DEFAULT_DATABASE_URL, tablePrefix = "onboarding_"): Promise<ExampleStore> {
  if (/^postgres(ql)?:\/\//.test(url)) {
    const { createPostgresStore } = await import("../../src/adapters/postgres/index.js");
    const store = createPostgresStore({ connection: url, tablePrefix });
    await store.migrate();
    return store;
  }
  const { createSqliteStore } = await import("../../src/adapters/sqlite/index.js");
  const store = createSqliteStore({ filename: url.replace(/^file:/, ""), tablePrefix });
  await store.migrate();
  return store;
}
