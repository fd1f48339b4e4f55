/**
 * adapters/postgres/ — the PostgreSQL storage adapter (`onboarding-lifecycle/adapters/postgres`):
 * `store.ts` implements the `DraftStore` port with one atomic statement per write (data-modifying
 * CTEs), `outbox.ts` its outbox half (`FOR UPDATE SKIP LOCKED` claims, one-statement batch
 * settlements), `schema.ts` the table names and the latest DDL as plain SQL text, `migrations.ts`
 * the numbered migrations (also as SQL text per version) that `migratePostgres()` /
 * `store.migrate()` apply under an advisory lock.
 * Also fits PostgreSQL-compatible distributed SQL (CockroachDB, YugabyteDB): no sequences or
 * column collations (the outbox table's partial and expression indexes need CockroachDB 21.2+);
 * only `migrate()` takes an advisory lock, and where that is a stub (CockroachDB) a migration
 * still cannot be recorded twice.
 *
 * May import: vocabulary/, record/, lifecycle/ (the codec), store/ (the port and SQL helpers), and
 * `pg` for TYPES only (the driver is an optional peer dependency; the adapter receives a pool or
 * client from the caller, or loads `pg` with a dynamic `import()` when asked to connect itself).
 * Never engine/.
 *
 * @packageDocumentation
 * @module onboarding-lifecycle/adapters/postgres
 */
export {
  createPostgresStore,
  type PostgresStore,
  type PostgresStoreOptions,
  type PostgresStoreBaseOptions,
  type PostgresPoolOptions,
  type PostgresClientOptions,
  type PostgresConnectionOptions,
} from "./store.js";
export {
  DEFAULT_POSTGRES_TABLE_PREFIX,
  postgresSchemaSql,
  postgresSchemaStatements,
  postgresDropSchemaSql,
  postgresDropSchemaStatements,
  postgresTableNames,
  type PostgresTableNames,
} from "./schema.js";
export {
  migratePostgres,
  postgresMigrations,
  postgresMigrationSql,
  postgresSchemaStatus,
  type PostgresMigrateOptions,
  type PostgresSchemaStatusOptions,
  type PostgresMigrateTarget,
  type PostgresMigratePool,
  type PostgresMigratePoolClient,
  type PostgresMigrateConnection,
  type PostgresMigrateQueryResult,
} from "./migrations.js";
export type {
  SchemaMigration,
  SchemaStatus,
  MigrateResult,
  MigrateOptions,
  StoreMigrateOptions,
} from "../../store/index.js";
