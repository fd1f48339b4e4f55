/**
 * adapters/sqlite — the SQLite storage adapter (`onboarding-lifecycle/adapters/sqlite`) on
 * better-sqlite3 12.x: `store.ts` (the `DraftStore`, transactions, busy handling), `schema.ts`
 * (the table names, the latest DDL as statements and SQL text) and `migrations.ts` (the numbered
 * migrations, also as SQL text per version, that `migrateSqlite` applies in one write transaction).
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
  sqliteDropSchemaSql,
  sqliteDropSchemaStatements,
  sqliteSchemaSql,
  sqliteSchemaStatements,
  sqliteTableNames,
  type SqliteTableNames,
} from "./schema.js";
export {
  migrateSqlite,
  sqliteMigrations,
  sqliteMigrationSql,
  sqliteSchemaStatus,
  type SqliteMigrateOptions,
  type SqliteSchemaStatusOptions,
} from "./migrations.js";
export type {
  SchemaMigration,
  SchemaStatus,
  MigrateResult,
  MigrateOptions,
  StoreMigrateOptions,
} from "../../store/index.js";
