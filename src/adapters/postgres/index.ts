/**
 * adapters/postgres/ — the PostgreSQL storage adapter (`onboarding-lifecycle/adapters/postgres`):
 * `store.ts` implements the `DraftStore` port with one atomic statement per write (data-modifying
 * CTEs), `outbox.ts` its outbox half (`FOR UPDATE SKIP LOCKED` claims, one-statement batch
 * settlements), `schema.ts` holds the DDL as plain SQL text and as the statements
 * `migratePostgres()` / `store.migrate()` run.
 * Also fits PostgreSQL-compatible distributed SQL (CockroachDB, YugabyteDB): no sequences,
 * advisory locks or column collations (the outbox table's partial and expression indexes need
 * CockroachDB 21.2+).
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
  migratePostgres,
  postgresSchemaSql,
  postgresSchemaStatements,
  postgresDropSchemaSql,
  postgresDropSchemaStatements,
  postgresTableNames,
  type PostgresMigrateOptions,
  type PostgresMigrateTarget,
  type PostgresTableNames,
} from "./schema.js";
