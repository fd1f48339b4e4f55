/**
 * adapters/mysql — the MySQL 8 / MariaDB 10.11 storage adapter (`onboarding-lifecycle/adapters/mysql`)
 * on `mysql2/promise`: the store (`store.ts`) and its tables, DDL statements and text and
 * `migrateMySql` (`schema.ts`).
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
export {
  DEFAULT_MYSQL_TABLE_PREFIX,
  migrateMySql,
  mysqlDropSchemaSql,
  mysqlDropSchemaStatements,
  mysqlSchemaSql,
  mysqlSchemaStatements,
  mysqlTableNames,
  quoteMySqlIdentifier,
  type MySqlMigrateOptions,
  type MySqlTableNames,
} from "./schema.js";
