/**
 * Opens the store a connection string names: loads the driver (an optional peer dependency, with
 * a dynamic `import()`), opens one small pool or connection the CLI owns, checks it answers, and
 * builds the adapter's store on it. `close()` ends what was opened.
 */
import type { Cluster, Redis } from "ioredis";
import type * as MySqlModule from "mysql2/promise";
import type { Pool as MySqlPool } from "mysql2/promise";
import type * as PgModule from "pg";
import type { Pool as PgPool } from "pg";
import type BetterSqlite3 from "better-sqlite3";
import { StoreError, loadDriver, type DraftStore, type StoreAdmin } from "../index.js";
import { createMySqlStore, mysqlMigrationSql } from "../adapters/mysql/index.js";
import {
  createPostgresStore,
  postgresMigrationSql,
  type MigrateResult,
  type SchemaMigration,
  type SchemaStatus,
} from "../adapters/postgres/index.js";
import { createRedisStore } from "../adapters/redis/index.js";
import { createSqliteStore, sqliteMigrationSql } from "../adapters/sqlite/index.js";
import type { AdapterKind, ClusterSeeds, Target } from "./target.js";

/** The driver handle a connection holds, by adapter: what the schema tools run on. */
export type DriverHandle =
  | { readonly kind: "postgres"; readonly pool: PgPool }
  | { readonly kind: "mysql"; readonly pool: MySqlPool }
  | { readonly kind: "sqlite"; readonly database: BetterSqlite3.Database }
  | { readonly kind: "redis"; readonly client: Redis | Cluster };

/** The versioned schema of a SQL store: where it stands, migrating it, and each migration's SQL. */
export interface SchemaTool {
  /** The schema's version, the latest, the pending migrations (reads only). */
  status(): Promise<SchemaStatus>;
  /** Migrates (or, with `dryRun`, reports what a migration would apply). */
  migrate(options: { readonly dryRun: boolean; readonly to?: number }): Promise<MigrateResult>;
  /** One migration as the SQL script a dry run prints. */
  sql(migration: SchemaMigration): string;
}

/** What a SQL store offers for its schema (the store's own `migrate` / `schemaStatus`). */
interface VersionedStore {
  migrate(options?: { readonly dryRun?: boolean; readonly to?: number }): Promise<MigrateResult>;
  schemaStatus(): Promise<SchemaStatus>;
}

function schemaTool(store: VersionedStore, sql: (version: number) => string): SchemaTool {
  return {
    status: () => store.schemaStatus(),
    migrate: (options) => store.migrate(options),
    sql: (migration) => sql(migration.version),
  };
}

/** An open connection to a store. */
export interface Connection {
  /** Which adapter. */
  readonly kind: AdapterKind;
  /** The connection string it came from. */
  readonly target: Target;
  /** The table prefix (SQL) or key prefix (Redis) in use, `null` for the adapter's default. */
  readonly prefix: string | null;
  /** The store, with its admin half. */
  readonly store: DraftStore & { readonly admin: StoreAdmin };
  /** The driver's pool, database or client. */
  readonly driver: DriverHandle;
  /** The versioned schema (SQL adapters); `null` for Redis, which has none. */
  readonly schema: SchemaTool | null;
  /** Ends the pool, database or client. Idempotent. */
  close(): Promise<void>;
}

/** Options of {@link connect}. */
export interface ConnectOptions {
  /** The table or key prefix (`--prefix`); the adapter's default when absent. */
  readonly prefix?: string;
  /** SQLite only: create the database file when it does not exist (`migrate`). Default `false`. */
  readonly create?: boolean;
}

const APPLICATION_NAME = "onboarding-lifecycle-cli";
const CONNECT_TIMEOUT_MS = 10_000;

/** Runs the first round trip; a failure is `StoreError(<adapter>, "connect")`. */
async function reach<T>(kind: AdapterKind, probe: () => Promise<T>): Promise<T> {
  try {
    return await probe();
  } catch (error) {
    throw new StoreError(kind, "connect", error);
  }
}

function defaultOf<T>(module: unknown): T {
  return ((module as { default?: T }).default ?? module) as T;
}

async function openPostgres(target: Target, options: ConnectOptions): Promise<Connection> {
  const pg = defaultOf<typeof PgModule>(await loadDriver("pg", "url", () => import("pg")));
  const pool = new pg.Pool({
    connectionString: target.location,
    max: 4,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    application_name: APPLICATION_NAME,
  });
  pool.on("error", () => undefined); // an idle client dropped by the server: the next query reconnects
  const close = once(() => pool.end());
  try {
    await reach("postgres", () => pool.query("SELECT 1"));
    const store = createPostgresStore({ pool, ...prefixOption(options, "tablePrefix") });
    const schema = schemaTool(store, (version) => postgresMigrationSql(version, store.tablePrefix));
    return {
      kind: "postgres",
      target,
      prefix: options.prefix ?? null,
      store,
      driver: { kind: "postgres", pool },
      schema,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

async function openMySql(target: Target, options: ConnectOptions): Promise<Connection> {
  const mysql = defaultOf<typeof MySqlModule>(await loadDriver("mysql2", "url", () => import("mysql2/promise")));
  const pool = mysql.createPool({
    uri: target.location,
    charset: "utf8mb4",
    connectionLimit: 4,
    connectTimeout: CONNECT_TIMEOUT_MS,
  });
  const close = once(() => pool.end());
  try {
    await reach("mysql", () => pool.query("SELECT 1"));
    const store = createMySqlStore({ pool, ...prefixOption(options, "tablePrefix") });
    const prefix = options.prefix;
    const schema = schemaTool(store, (version) =>
      mysqlMigrationSql(version, ...(prefix === undefined ? [] : [prefix])),
    );
    return {
      kind: "mysql",
      target,
      prefix: options.prefix ?? null,
      store,
      driver: { kind: "mysql", pool },
      schema,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

async function openSqlite(target: Target, options: ConnectOptions): Promise<Connection> {
  const Database = defaultOf<typeof BetterSqlite3>(
    await loadDriver("better-sqlite3", "url", () => import("better-sqlite3")),
  );
  const database = await reach(
    "sqlite",
    async () =>
      new Database(target.location, { fileMustExist: options.create !== true && target.location !== ":memory:" }),
  );
  const close = once(async () => {
    if (database.open) database.close();
  });
  try {
    const store = createSqliteStore({ database, busyTimeoutMs: 5000, ...prefixOption(options, "tablePrefix") });
    const prefix = options.prefix;
    const schema = schemaTool(store, (version) =>
      sqliteMigrationSql(version, ...(prefix === undefined ? [] : [prefix])),
    );
    return {
      kind: "sqlite",
      target,
      prefix: options.prefix ?? null,
      store,
      driver: { kind: "sqlite", database },
      schema,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

type IoRedisModule = { Redis?: typeof Redis; Cluster?: typeof Cluster; default?: typeof Redis };

/** What every CLI client of ioredis gets: fail fast, never retry in the background. */
const REDIS_CLIENT_OPTIONS = {
  connectTimeout: CONNECT_TIMEOUT_MS,
  maxRetriesPerRequest: 1,
  retryStrategy: () => null,
  connectionName: APPLICATION_NAME,
} as const;

/** A standalone client, or (`redis+cluster://`) a Cluster client on the seed nodes; not yet connected. */
function redisClient(module: IoRedisModule, target: Target): Redis | Cluster {
  const seeds: ClusterSeeds | undefined = target.cluster;
  if (seeds === undefined) {
    const RedisClient = module.Redis ?? module.default;
    if (RedisClient === undefined)
      throw new StoreError("redis", "connect", new Error("ioredis exports no Redis client"));
    return new RedisClient(target.location, { lazyConnect: true, ...REDIS_CLIENT_OPTIONS });
  }
  const ClusterClient =
    module.Cluster ?? (module.default as unknown as { Cluster?: typeof Cluster } | undefined)?.Cluster;
  if (ClusterClient === undefined)
    throw new StoreError("redis", "connect", new Error("ioredis exports no Cluster client"));
  const { nodes, username, password, tls } = seeds;
  return new ClusterClient(
    nodes.map((node) => ({ ...node })),
    {
      lazyConnect: true,
      clusterRetryStrategy: () => null,
      redisOptions: {
        ...REDIS_CLIENT_OPTIONS,
        ...(username === undefined ? {} : { username }),
        ...(password === undefined ? {} : { password }),
        ...(tls ? { tls: {} } : {}),
      },
    },
  );
}

async function openRedis(target: Target, options: ConnectOptions): Promise<Connection> {
  const module = (await loadDriver("ioredis", "url", () => import("ioredis"))) as unknown as IoRedisModule;
  const client = redisClient(module, target);
  client.on("error", () => undefined); // reported by the command that fails
  const close = once(async () => {
    client.disconnect();
  });
  try {
    await reach("redis", () => client.connect());
    const store = createRedisStore({ client, ...prefixOption(options, "keyPrefix") });
    return {
      kind: "redis",
      target,
      prefix: options.prefix ?? null,
      store,
      driver: { kind: "redis", client },
      schema: null,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

function prefixOption<K extends "tablePrefix" | "keyPrefix">(options: ConnectOptions, key: K): { [P in K]?: string } {
  return (options.prefix === undefined ? {} : { [key]: options.prefix }) as { [P in K]?: string };
}

/** A close function that runs once, and never throws (closing is the last thing a command does). */
function once(run: () => Promise<void>): () => Promise<void> {
  let done: Promise<void> | null = null;
  return () => (done ??= run().catch(() => undefined));
}

/**
 * Opens the store of a connection string.
 *
 * @throws {@link ConfigurationError} when the driver is not installed or the prefix is invalid.
 * @throws {@link StoreError} (`connect`) when the server does not answer or the file cannot be opened.
 */
export function connect(target: Target, options: ConnectOptions = {}): Promise<Connection> {
  switch (target.kind) {
    case "postgres":
      return openPostgres(target, options);
    case "mysql":
      return openMySql(target, options);
    case "sqlite":
      return openSqlite(target, options);
    case "redis":
      return openRedis(target, options);
  }
}
