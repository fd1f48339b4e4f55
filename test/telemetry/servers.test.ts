/**
 * `openTelemetry()` against the real servers: the store-call spans of an engine on PostgreSQL,
 * MariaDB (the MySQL adapter, with the `mariadb` system override), SQLite and Redis carry the
 * database semantic conventions' attributes from the adapter's own description (system,
 * database, table), are children of their operation's span, and are measured in
 * `db.client.operation.duration`. Tables and keys use a prefix of this file's own.
 */
import { afterAll, describe, expect, it } from "vitest";
import { SpanKind } from "@opentelemetry/api";
import { createOnboardingEngine, type DraftStore } from "../../src/index.js";
import { createPostgresStore, postgresDropSchemaSql } from "../../src/adapters/postgres/index.js";
import { createMySqlStore } from "../../src/adapters/mysql/index.js";
import { createSqliteStore } from "../../src/adapters/sqlite/index.js";
import { createRedisStore } from "../../src/adapters/redis/index.js";
import {
  TelemetryAttribute as A,
  TelemetryMetric as M,
  openTelemetry,
  type OpenTelemetryOptions,
} from "../../src/telemetry/index.js";
import { serviceAvailable, uniqueSuffix } from "../support/services.js";
import { POSTGRES_URL, probePostgres, testPool as postgresPool } from "../adapters/fixtures/postgres-support.js";
import {
  MYSQL_OPTIONS,
  dropTables as dropMySqlTables,
  probeMySql,
  testPool as mysqlPool,
} from "../adapters/fixtures/mysql-support.js";
import { deleteKeysWithPrefix, probeRedis, standaloneClient } from "../adapters/fixtures/redis-harness.js";
import { childrenOf, inMemoryTelemetry, total } from "./support.js";

const prefix = `otel_${uniqueSuffix()}_`;
const actor = { id: "operator" };
const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
});

interface Target {
  readonly up: boolean;
  /** A migrated store, its expected `db.system.name` and `db.namespace`, and the options' override. */
  readonly open: () => Promise<{
    store: DraftStore;
    system: string;
    namespace: string;
    database?: OpenTelemetryOptions["database"];
  }>;
  /** Whether the store has tables (Redis has key spaces, no `db.collection.name`). */
  readonly tables: boolean;
}

const TARGETS: Record<string, Target> = {
  postgresql: {
    up: await serviceAvailable("PostgreSQL", probePostgres),
    tables: true,
    async open() {
      const pool = postgresPool(4);
      cleanups.push(async () => {
        await pool.query(postgresDropSchemaSql(prefix));
        await pool.end();
      });
      const store = createPostgresStore({ pool, tablePrefix: prefix });
      await store.migrate();
      return { store, system: "postgresql", namespace: new URL(POSTGRES_URL).pathname.slice(1) };
    },
  },
  mariadb: {
    up: await serviceAvailable("MySQL/MariaDB", probeMySql),
    tables: true,
    async open() {
      const pool = mysqlPool(4);
      cleanups.push(async () => {
        await dropMySqlTables(pool, prefix);
        await pool.end();
      });
      const store = createMySqlStore({ pool, tablePrefix: prefix });
      await store.migrate();
      // The adapter says `mysql` (it cannot tell the servers apart without a round trip).
      expect(store.describe?.().system).toBe("mysql");
      return { store, system: "mariadb", namespace: String(MYSQL_OPTIONS.database), database: { system: "mariadb" } };
    },
  },
  sqlite: {
    up: true,
    tables: true,
    async open() {
      const store = createSqliteStore({ filename: ":memory:", tablePrefix: prefix });
      cleanups.push(() => store.close());
      await store.migrate();
      return { store, system: "sqlite", namespace: ":memory:" };
    },
  },
  redis: {
    up: await serviceAvailable("Redis", probeRedis),
    tables: false,
    async open() {
      const client = standaloneClient();
      const keyPrefix = prefix.slice(0, -1);
      cleanups.push(async () => {
        await deleteKeysWithPrefix(client, keyPrefix);
        client.disconnect();
      });
      return { store: createRedisStore({ client, keyPrefix }), system: "redis", namespace: "0" };
    },
  },
};

describe.each(Object.keys(TARGETS))("openTelemetry on %s", (name) => {
  const target = TARGETS[name]!;
  it.skipIf(!target.up)("describes every store call with the database semantic conventions", async () => {
    const sdk = inMemoryTelemetry();
    const { store, system, namespace, database } = await target.open();
    const engine = createOnboardingEngine({
      store,
      authorize: () => true,
      instrumentation: openTelemetry({
        tracer: sdk.tracer,
        meter: sdk.meter,
        ...(database === undefined ? {} : { database }),
      }),
    });
    const workspace = `ws-${uniqueSuffix()}`;
    const { draft } = await engine.create(workspace, { identity: { tenantId: "t", displayName: "T" } }, { actor });
    const selected = await engine.execute(
      workspace,
      draft.id,
      { type: "select_provider", connectionId: "c" },
      { actor, expectedVersion: 1 },
    );
    await engine.execute(
      workspace,
      draft.id,
      { type: "start_verification" },
      { actor, expectedVersion: selected.version },
    );
    await engine.history(workspace, draft.id, { actor });
    await expect(
      engine.execute(workspace, draft.id, { type: "cancel" }, { actor, expectedVersion: 1 }),
    ).rejects.toMatchObject({ code: "version_conflict" });

    const spans = sdk.spans();
    const calls = spans.filter((span) => span.kind === SpanKind.CLIENT);
    expect(calls.length).toBeGreaterThanOrEqual(6);
    for (const call of calls) {
      expect(call.attributes[A.DbSystemName]).toBe(system);
      expect(call.attributes[A.DbNamespace]).toBe(namespace);
      const operation = spans.find((span) => span.spanContext().spanId === call.parentSpanContext?.spanId);
      expect(operation?.name, call.name).toMatch(/^onboarding\./);
    }
    const byOperation = (method: string) => calls.filter((span) => span.attributes[A.DbOperationName] === method);
    const [commit] = byOperation("commit");
    const [listAudit] = byOperation("listAudit");
    expect(byOperation("insert")).toHaveLength(1);
    // The conflict's audit entry: `appendConflict` (entry and writer in one call) where the store has it.
    expect([...byOperation("appendAudit"), ...byOperation("appendConflict")]).toHaveLength(1);
    if (target.tables) {
      expect(commit!.attributes[A.DbCollectionName]).toBe(`${prefix}drafts`);
      expect(commit!.name).toBe(`commit ${prefix}drafts`);
      expect(listAudit!.attributes[A.DbCollectionName]).toBe(`${prefix}audit`);
    } else {
      expect(commit!.attributes[A.DbCollectionName]).toBeUndefined();
      expect(commit!.name).toBe(`commit ${namespace}`);
    }
    const start = spans.find((span) => span.name === "onboarding.execute start_verification")!;
    expect(childrenOf(spans, start).map((span) => span.attributes[A.DbOperationName])).toContain("commit");

    const measured = await sdk.points(M.DbOperationDuration);
    expect(total(measured, { [A.DbSystemName]: system, [A.DbOperationName]: "commit" }, "count")).toBe(2);
    await sdk.shutdown();
  });
});
