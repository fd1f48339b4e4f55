/**
 * adapters/sqlite — the SQLite storage adapter (`onboarding-lifecycle/adapters/sqlite`) on
 * better-sqlite3 12.x: `store.ts` (the `DraftStore`, transactions, busy handling) and `schema.ts`
 * (the DDL as statements and SQL text, `migrateSqlite`, the table names).
 *
 * May import: vocabulary/, record/, lifecycle/ (the codec), store/ and better-sqlite3 types; the
 * driver is loaded with a dynamic `import()` only when the adapter opens its own connection
 * (optional peer dependency). Never engine/.
 *
 * @module onboarding-lifecycle/adapters/sqlite
 */
export {
  createSqliteStore,
  type SqliteDatabase,
  type SqliteStore,
  type SqliteStoreCommonOptions,
  type SqliteStoreDatabaseOptions,
  type SqliteStoreFilenameOptions,
  type SqliteStoreOptions,
} from "./store.js";
export {
  DEFAULT_SQLITE_TABLE_PREFIX,
  migrateSqlite,
  sqliteDropSchemaSql,
  sqliteDropSchemaStatements,
  sqliteSchemaSql,
  sqliteSchemaStatements,
  sqliteTableNames,
  type SqliteMigrateOptions,
  type SqliteTableNames,
} from "./schema.js";
