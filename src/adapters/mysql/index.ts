/**
 * adapters/mysql — the MySQL 8 / MariaDB 10.11 storage adapter (`onboarding-lifecycle/adapters/mysql`)
 * on `mysql2/promise`: the store (`store.ts`), its tables and latest DDL as statements and text
 * (`schema.ts`), and the numbered migrations (also as SQL text per version) that `migrateMySql`
 * applies under `GET_LOCK` (`migrations.ts`), and the server errors it names (`errors.ts`).
 *
 * May import: store/, record/, lifecycle/ (codec), vocabulary/ and `mysql2` (types at top level;
 * the driver only through a dynamic `import()` when the adapter opens its own pool). Never
 * engine/ or another adapter.
 *
 * @packageDocumentation
 * @module onboarding-lifecycle/adapters/mysql
 */
export {
  createMySqlStore,
  type MySqlStore,
  type MySqlStoreOptions,
  type MySqlStorePoolOptions,
  type MySqlStoreConnectionOptions,
} from "./store.js";
export { GaleraNodeUnavailable } from "./errors.js";
export {
  DEFAULT_MYSQL_TABLE_PREFIX,
  mysqlDropSchemaSql,
  mysqlDropSchemaStatements,
  mysqlSchemaSql,
  mysqlSchemaStatements,
  mysqlTableNames,
  quoteMySqlIdentifier,
  type MySqlTableNames,
} from "./schema.js";
export {
  migrateMySql,
  mysqlMigrations,
  mysqlMigrationSql,
  mysqlSchemaStatus,
  type MySqlMigrateOptions,
  type MySqlMigrateTarget,
  type MySqlSchemaStatusOptions,
} from "./migrations.js";
export type {
  SchemaMigration,
  SchemaStatus,
  MigrateResult,
  MigrateOptions,
  StoreMigrateOptions,
} from "../../store/index.js";
