/**
 * The names telemetry writes are OpenTelemetry's: the `db.*`, `error.type` keys and the store-call
 * metric equal the stable constants of `@opentelemetry/semantic-conventions`, and the systems the
 * adapters describe are the registry's values. Then what each adapter's `describe()` says, built
 * from its options without connecting to any server.
 */
import { describe, expect, it } from "vitest";
import {
  ATTR_DB_COLLECTION_NAME,
  ATTR_DB_NAMESPACE,
  ATTR_DB_OPERATION_NAME,
  ATTR_DB_SYSTEM_NAME,
  ATTR_ERROR_TYPE,
  DB_SYSTEM_NAME_VALUE_MARIADB,
  DB_SYSTEM_NAME_VALUE_MYSQL,
  DB_SYSTEM_NAME_VALUE_POSTGRESQL,
  METRIC_DB_CLIENT_OPERATION_DURATION,
} from "@opentelemetry/semantic-conventions";
import {
  DB_SYSTEM_NAME_VALUE_REDIS,
  DB_SYSTEM_NAME_VALUE_SQLITE,
} from "@opentelemetry/semantic-conventions/incubating";
import pg from "pg";
import type { Redis } from "ioredis";
import { TelemetryAttribute, TelemetryMetric } from "../../src/telemetry/index.js";
import { createMemoryStore } from "../../src/adapters/memory/index.js";
import { createPostgresStore } from "../../src/adapters/postgres/index.js";
import { createMySqlStore } from "../../src/adapters/mysql/index.js";
import { createSqliteStore } from "../../src/adapters/sqlite/index.js";
import { createRedisStore } from "../../src/adapters/redis/index.js";
import { databaseNameOf } from "../../src/store/index.js";

describe("telemetry names", () => {
  it("spells the semantic conventions' keys and metric exactly", () => {
    expect(TelemetryAttribute.DbSystemName).toBe(ATTR_DB_SYSTEM_NAME);
    expect(TelemetryAttribute.DbNamespace).toBe(ATTR_DB_NAMESPACE);
    expect(TelemetryAttribute.DbCollectionName).toBe(ATTR_DB_COLLECTION_NAME);
    expect(TelemetryAttribute.DbOperationName).toBe(ATTR_DB_OPERATION_NAME);
    expect(TelemetryAttribute.ErrorType).toBe(ATTR_ERROR_TYPE);
    expect(TelemetryMetric.DbOperationDuration).toBe(METRIC_DB_CLIENT_OPERATION_DURATION);
  });

  it("keeps its own names in the onboarding.* namespace", () => {
    const own = Object.values(TelemetryAttribute).filter((key) => !key.startsWith("db.") && key !== "error.type");
    expect(own.every((key) => key.startsWith("onboarding."))).toBe(true);
    expect(new Set(Object.values(TelemetryAttribute)).size).toBe(Object.values(TelemetryAttribute).length);
  });
});

describe("what each adapter describes", () => {
  const collections = (prefix: string) => ({
    drafts: `${prefix}drafts`,
    audit: `${prefix}audit`,
    idempotency: `${prefix}idempotency`,
    outbox: `${prefix}outbox`,
  });

  it("memory and SQLite", async () => {
    expect(createMemoryStore().describe?.()).toEqual({ system: "memory", collections: collections("") });
    const sqlite = createSqliteStore({ filename: ":memory:", tablePrefix: "x_" });
    expect(sqlite.describe?.()).toEqual({
      system: DB_SYSTEM_NAME_VALUE_SQLITE,
      namespace: ":memory:",
      collections: collections("x_"),
    });
    await sqlite.close();
  });

  it("PostgreSQL: the database of the pool, the client, or the connection string", async () => {
    const pool = new pg.Pool({ host: "127.0.0.1", database: "app", user: "postgres" });
    expect(createPostgresStore({ pool, tablePrefix: "p_" }).describe?.()).toEqual({
      system: DB_SYSTEM_NAME_VALUE_POSTGRESQL,
      namespace: "app",
      collections: collections("p_"),
    });
    await pool.end();
    const client = new pg.Client({ host: "127.0.0.1", database: "other" });
    const store = createPostgresStore({ client });
    expect(store.describe?.().namespace).toBe("other");
    expect(store.joinTransaction(client).describe?.().namespace).toBe("other");
    const owned = createPostgresStore({ connection: "postgres://postgres@127.0.0.1:5432/test" });
    expect(owned.describe?.()).toMatchObject({ namespace: "test", collections: collections("onboarding_") });
    await owned.close();
  });

  it("MySQL: the database of the pool or the connection", async () => {
    expect(createMySqlStore({ connection: "mysql://root@127.0.0.1:3306/shop" }).describe?.()).toEqual({
      system: DB_SYSTEM_NAME_VALUE_MYSQL,
      namespace: "shop",
      collections: collections("onboarding_"),
    });
    expect(createMySqlStore({ connection: { host: "127.0.0.1", database: "crm" } }).describe?.().namespace).toBe("crm");
    const { createPool } = await import("mysql2/promise");
    const pool = createPool({ host: "127.0.0.1", database: "billing" });
    expect(createMySqlStore({ pool }).describe?.().namespace).toBe("billing");
    await pool.end();
    // MariaDB is a system of its own in the registry: `openTelemetry({ database: { system } })` says so.
    expect(DB_SYSTEM_NAME_VALUE_MARIADB).toBe("mariadb");
  });

  it("Redis: the database index (0 on a Cluster)", () => {
    const client = (db?: number) =>
      ({ call: () => Promise.resolve(null), options: db === undefined ? {} : { db } }) as unknown as Redis;
    expect(createRedisStore({ client: client(3) }).describe?.()).toEqual({
      system: DB_SYSTEM_NAME_VALUE_REDIS,
      namespace: "3",
    });
    expect(createRedisStore({ client: client() }).describe?.()).toEqual({ system: "redis", namespace: "0" });
  });

  it("reads a database name from configurations without a round trip", () => {
    expect(databaseNameOf("postgres://u:p@db.example:5432/app%2Dprod?sslmode=require")).toBe("app-prod");
    expect(databaseNameOf({ connectionString: "postgresql://127.0.0.1/app" })).toBe("app");
    expect(databaseNameOf({ uri: "mysql://127.0.0.1/shop" })).toBe("shop");
    expect(databaseNameOf({ database: "crm", connectionString: "postgres://127.0.0.1/other" })).toBe("crm");
    for (const nothing of [
      "not a url",
      "postgres://127.0.0.1",
      "postgres://127.0.0.1/a/b",
      {},
      null,
      42,
      { database: "" },
    ]) {
      expect(databaseNameOf(nothing)).toBeUndefined();
    }
  });
});
