/**
 * PostgreSQL adapter, versioned migrations, against the real server: a fresh database, every
 * earlier version and every schema an unversioned `migrate()` of a past commit created
 * (fixtures/legacy-schemas.ts) come to the latest version with their rows intact (the audit
 * trail keeps its order through the `position` -> `(draft_version, seq)` change), after which the
 * adapter reads, writes and claims on them; the migrated catalog is the one
 * `postgresSchemaStatements` describes; a dry run changes nothing; a failing migration is rolled
 * back alone; a migration inside the caller's transaction goes with it; concurrent migrators
 * (separate connections, separate processes) see every version applied exactly once; a wait for
 * the lock is bounded; a database newer than the package, or with a history gap, or a schema no
 * release made, is refused with `SchemaVersionError` and left as it was.
 */
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createPostgresStore,
  migratePostgres,
  postgresDropSchemaSql,
  postgresMigrations,
  postgresSchemaStatements,
  postgresSchemaStatus,
  postgresTableNames,
} from "../../src/adapters/postgres/index.js";
import { ConfigurationError, SchemaVersionError, StoreError } from "../../src/index.js";
import { openTenantOf } from "../../src/store/index.js";
import { serviceAvailable } from "../support/services.js";
import { POSTGRES_LEGACY } from "./fixtures/legacy-schemas.js";
import { buildScenario, checkMigrated, joinedRunIds, type LegacyScenario } from "./fixtures/migration-scenario.js";
import { expectOneMigratorEach, runMigrators } from "./fixtures/migration-support.js";
import { POSTGRES_URL, probePostgres, testPool, uniquePrefix } from "./fixtures/postgres-support.js";

const up = await serviceAvailable("PostgreSQL", probePostgres);
const LATEST = postgresMigrations().length;
const ALL = Array.from({ length: LATEST }, (_, index) => index + 1);
const prefixes: string[] = [];

function prefixFor(label: string): string {
  const prefix = uniquePrefix(label);
  prefixes.push(prefix);
  return prefix;
}

/** The layout of the rows a seeder writes: `position` (version 1) and the comma-joined `run_id` (before version 4). */
interface Layout {
  readonly auditPosition: boolean;
  readonly runIdText: boolean;
}

const layoutOf = (version: number): Layout => ({ auditPosition: version < 2, runIdText: version < 4 });

/** Writes the scenario's rows in a layout: the columns an older store wrote. */
async function seed(pool: pg.Pool, prefix: string, scenario: LegacyScenario, layout: Layout): Promise<void> {
  const t = postgresTableNames(prefix);
  const { draft } = scenario;
  const counter = layout.auditPosition ? ", audit_seq" : "";
  await pool.query(
    `INSERT INTO ${t.drafts} (workspace_id, id, version, state, current_checkpoint, tenant_id, open_tenant_id, created_at, updated_at, document${counter})
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10${layout.auditPosition ? ", $11" : ""})`,
    [
      draft.workspaceId,
      draft.id,
      draft.version,
      draft.lifecycle.state,
      draft.lifecycle.currentCheckpoint,
      draft.identity?.tenantId ?? null,
      openTenantOf(draft),
      draft.createdAt,
      draft.updatedAt,
      scenario.document,
      ...(layout.auditPosition ? [scenario.history.length] : []),
    ],
  );
  let observed = 0;
  for (const [index, e] of scenario.history.entries()) {
    observed = Math.max(observed, e.toVersion ?? 0);
    const order = layout.auditPosition ? ["position", [index + 1]] : ["draft_version, seq", [observed, index]];
    const values = [
      ...(order[1] as number[]),
      e.workspaceId,
      e.draftId,
      e.eventId,
      e.kind,
      e.commandType,
      e.actorId,
      e.at,
      e.fromVersion,
      e.toVersion,
      e.expectedVersion,
      e.actualVersion,
      e.idempotencyKey,
      e.feedback,
      layout.runIdText ? joinedRunIds(e) : JSON.stringify(e.runIds),
      e.capability,
      e.state,
    ];
    await pool.query(
      `INSERT INTO ${t.audit} (${order[0] as string}, workspace_id, draft_id, event_id, kind, command_type, actor_id, at, from_version,
         to_version, expected_version, actual_version, idempotency_key, feedback, ${layout.runIdText ? "run_id" : "run_ids"}, capability, state)
       VALUES (${values.map((_, i) => `$${i + 1}`).join(", ")})`,
      values,
    );
  }
  const i = scenario.idempotency;
  await pool.query(
    `INSERT INTO ${t.idempotency} (workspace_id, key, draft_id, command_type, fingerprint, created_at, record) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
    [i.workspaceId, i.key, i.draftId, i.commandType, i.fingerprint, i.createdAt, i.json],
  );
}

/** The adapter's tables as the catalog describes them, the prefix replaced (columns unordered, defaults left out). */
async function catalog(pool: pg.Pool, prefix: string): Promise<string> {
  const t = postgresTableNames(prefix);
  const names = [t.drafts, t.audit, t.idempotency, t.outbox, t.outboxJournal].map((name) => name.slice(1, -1));
  const columns = await pool.query(
    `SELECT table_name, column_name, data_type, is_nullable FROM information_schema.columns
     WHERE table_schema = current_schema() AND table_name = ANY($1) ORDER BY table_name, column_name`,
    [names],
  );
  const indexes = await pool.query(
    "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename = ANY($1) ORDER BY indexname",
    [names],
  );
  const constraints = await pool.query(
    `SELECT conname, pg_get_constraintdef(c.oid) AS def FROM pg_constraint c JOIN pg_class r ON r.oid = c.conrelid
     WHERE r.relname = ANY($1) AND r.relnamespace = current_schema()::regnamespace ORDER BY conname, def`,
    [names],
  );
  const options = await pool.query(
    "SELECT relname, reloptions FROM pg_class WHERE relname = ANY($1) AND relnamespace = current_schema()::regnamespace ORDER BY relname",
    [names],
  );
  return JSON.stringify([columns.rows, indexes.rows, constraints.rows, options.rows]).replaceAll(prefix, "PREFIX_");
}

/** Every table of the prefix with its row count, and the catalog: what a dry run or a refused run must leave alone. */
async function fingerprint(pool: pg.Pool, prefix: string): Promise<string> {
  const tables = await pool.query(
    "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_name LIKE $1 ORDER BY table_name",
    [`${prefix}%`],
  );
  const counts: [string, number][] = [];
  for (const { table_name: name } of tables.rows as { table_name: string }[]) {
    const result = await pool.query<{ n: string }>(`SELECT count(*) AS n FROM "${name}"`);
    counts.push([name, Number(result.rows[0]?.n)]);
  }
  return JSON.stringify([counts, await catalog(pool, prefix)]);
}

async function versionRows(pool: pg.Pool, prefix: string): Promise<{ version: number; origin: string }[]> {
  return (await pool.query(`SELECT version, origin FROM ${postgresTableNames(prefix).schemaVersion} ORDER BY version`))
    .rows as { version: number; origin: string }[];
}

async function create(pool: pg.Pool, statements: readonly string[]): Promise<void> {
  for (const statement of statements) await pool.query(statement);
}

describe.skipIf(!up)("postgres migrations: numbered versions and a schema-version table", () => {
  let pool: pg.Pool;
  let latestCatalog: string;
  let scenario: LegacyScenario;

  beforeAll(async () => {
    pool = testPool(10);
    const reference = prefixFor("mref");
    await create(pool, postgresSchemaStatements(reference));
    latestCatalog = await catalog(pool, reference);
    scenario = await buildScenario("ws-pg-migrations");
  });

  afterAll(async () => {
    for (const prefix of prefixes) await pool.query(postgresDropSchemaSql(prefix));
    await pool.end();
  });

  it("a fresh database goes to the latest version, recorded once each, with the catalog of the latest schema", async () => {
    const prefix = prefixFor("mfresh");
    expect((await postgresSchemaStatus(pool, { tablePrefix: prefix })).pending.map((m) => m.version)).toEqual(ALL);
    const result = await migratePostgres(pool, { tablePrefix: prefix });
    expect({ ...result, applied: result.applied.map((m) => m.name) }).toEqual({
      from: 0,
      to: LATEST,
      applied: [
        "base_tables",
        "audit_order",
        "idempotency_created_index",
        "audit_run_ids",
        "outbox",
        "outbox_partial_indexes",
        "outbox_journal",
      ],
      dryRun: false,
    });
    expect(await versionRows(pool, prefix)).toEqual(ALL.map((version) => ({ version, origin: "migrate" })));
    expect(await postgresSchemaStatus(pool, { tablePrefix: prefix })).toEqual({
      current: LATEST,
      latest: LATEST,
      pending: [],
    });
    expect(await catalog(pool, prefix)).toBe(latestCatalog);
    expect(await migratePostgres(pool, { tablePrefix: prefix })).toEqual({
      from: LATEST,
      to: LATEST,
      applied: [],
      dryRun: false,
    });
    await seed(pool, prefix, scenario, layoutOf(LATEST));
    await checkMigrated(createPostgresStore({ pool, tablePrefix: prefix }), scenario);
  });

  for (let version = 1; version < LATEST; version += 1) {
    it(`a database at version ${version} goes to the latest with its rows intact`, async () => {
      const prefix = prefixFor(`mv${version}`);
      expect((await migratePostgres(pool, { tablePrefix: prefix, to: version })).to).toBe(version);
      await seed(pool, prefix, scenario, layoutOf(version));
      const store = createPostgresStore({ pool, tablePrefix: prefix });
      const result = await store.migrate();
      expect([result.from, result.to, result.applied.map((m) => m.version)]).toEqual([
        version,
        LATEST,
        ALL.filter((v) => v > version),
      ]);
      expect((await versionRows(pool, prefix)).map((row) => row.version)).toEqual(ALL);
      expect(await catalog(pool, prefix)).toBe(latestCatalog);
      await checkMigrated(store, scenario);
    });
  }

  // The version each unversioned schema matches: the commit before the fillfactor lacks part of 5.
  const BASELINES: Readonly<Record<string, number>> = {
    e23dbe7: 1,
    dc3eba4: 2,
    c2a7031: 3,
    "06dfcc6": 4,
    "3cffe38": 4,
    f5d0c86: 5,
  };

  for (const legacy of POSTGRES_LEGACY) {
    const baseline = BASELINES[legacy.commit] ?? -1;
    it(`the unversioned schema of ${legacy.commit} (${legacy.description}) is recognised as version ${baseline}`, async () => {
      const prefix = prefixFor(`ml${legacy.commit}`);
      await create(pool, legacy.statements(prefix));
      await seed(pool, prefix, scenario, layoutOf(Math.min(baseline, 4)));
      const status = await postgresSchemaStatus(pool, { tablePrefix: prefix });
      expect([status.current, status.pending.map((m) => m.version)]).toEqual([
        baseline,
        ALL.filter((v) => v > baseline),
      ]);
      const result = await migratePostgres(pool, { tablePrefix: prefix });
      expect([result.from, result.to]).toEqual([baseline, LATEST]);
      expect(await versionRows(pool, prefix)).toEqual(
        ALL.map((version) => ({ version, origin: version <= baseline ? "detected" : "migrate" })),
      );
      expect(await catalog(pool, prefix)).toBe(latestCatalog);
      await checkMigrated(createPostgresStore({ pool, tablePrefix: prefix }), scenario);
    });
  }

  it("a first-commit schema later migrated by the last unversioned migrate() is version 1 and comes up in order", async () => {
    const prefix = prefixFor("mmixed");
    await create(pool, POSTGRES_LEGACY[0]!.statements(prefix));
    await create(pool, POSTGRES_LEGACY.at(-1)!.statements(prefix));
    await seed(pool, prefix, scenario, layoutOf(1));
    const result = await migratePostgres(pool, { tablePrefix: prefix });
    expect([result.from, result.applied.map((m) => m.version)]).toEqual([1, ALL.slice(1)]);
    expect(await catalog(pool, prefix)).toBe(latestCatalog);
    await checkMigrated(createPostgresStore({ pool, tablePrefix: prefix }), scenario);
  });

  it("a dry run reports what would be applied and changes nothing, not even the version table", async () => {
    const prefix = prefixFor("mdry");
    await create(pool, POSTGRES_LEGACY[0]!.statements(prefix));
    await seed(pool, prefix, scenario, layoutOf(1));
    const before = await fingerprint(pool, prefix);
    const result = await migratePostgres(pool, { tablePrefix: prefix, dryRun: true });
    expect([result.from, result.to, result.dryRun, result.applied.map((m) => m.version)]).toEqual([
      1,
      LATEST,
      true,
      ALL.slice(1),
    ]);
    expect(await fingerprint(pool, prefix)).toBe(before);
    const empty = prefixFor("mdry2");
    expect((await createPostgresStore({ pool, tablePrefix: empty }).migrate({ dryRun: true })).applied).toHaveLength(
      LATEST,
    );
    expect(await fingerprint(pool, empty)).toBe(await fingerprint(pool, `${empty}never_`));
  });

  it("`to` stops at a version, never goes down, and must be a known version", async () => {
    const prefix = prefixFor("mto");
    expect((await migratePostgres(pool, { tablePrefix: prefix, to: 2 })).applied.map((m) => m.version)).toEqual([1, 2]);
    expect(await migratePostgres(pool, { tablePrefix: prefix, to: 1 })).toEqual({
      from: 2,
      to: 2,
      applied: [],
      dryRun: false,
    });
    for (const to of [-1, 1.5, LATEST + 1]) {
      await expect(migratePostgres(pool, { tablePrefix: prefix, to })).rejects.toBeInstanceOf(ConfigurationError);
    }
    expect((await versionRows(pool, prefix)).map((row) => row.version)).toEqual([1, 2]);
  });

  it("a failing migration is rolled back alone: the ones before it stay applied and recorded, a re-run finishes", async () => {
    const prefix = prefixFor("mfail");
    await create(pool, POSTGRES_LEGACY[1]!.statements(prefix)); // version 2: run_id, no run_ids
    await pool.query(`ALTER TABLE ${postgresTableNames(prefix).audit} ADD COLUMN run_ids text`); // in the way of 4
    const error = await migratePostgres(pool, { tablePrefix: prefix }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(StoreError);
    expect(await versionRows(pool, prefix)).toEqual([
      { version: 1, origin: "detected" },
      { version: 2, origin: "detected" },
      { version: 3, origin: "migrate" },
    ]);
    const columns = await pool.query(
      "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1 AND column_name LIKE 'run_id%' ORDER BY 1",
      [`${prefix}audit`],
    );
    expect(columns.rows.map((row: { column_name: string }) => row.column_name)).toEqual(["run_id", "run_ids"]);
    await pool.query(`ALTER TABLE ${postgresTableNames(prefix).audit} DROP COLUMN run_ids`);
    expect((await migratePostgres(pool, { tablePrefix: prefix })).applied.map((m) => m.version)).toEqual(ALL.slice(3));
    expect(await catalog(pool, prefix)).toBe(latestCatalog);
  });

  it("inside the caller's transaction the migrations join it: ROLLBACK leaves nothing, COMMIT keeps them", async () => {
    const prefix = prefixFor("mtx");
    const client = await pool.connect();
    try {
      const store = createPostgresStore({ client, inTransaction: true, tablePrefix: prefix });
      await client.query("BEGIN");
      expect((await store.migrate()).to).toBe(LATEST);
      await client.query("ROLLBACK");
      expect((await postgresSchemaStatus(pool, { tablePrefix: prefix })).current).toBe(0);
      await client.query("BEGIN");
      await store.migrate();
      await client.query("COMMIT");
      expect(await postgresSchemaStatus(pool, { tablePrefix: prefix })).toMatchObject({ current: LATEST, pending: [] });
    } finally {
      client.release();
    }
    await expect(migratePostgres(pool, { tablePrefix: prefix, inTransaction: true })).rejects.toBeInstanceOf(
      ConfigurationError,
    );
  });

  it("a migrator waits for the lock at most lockTimeoutMs, then fails without touching anything", async () => {
    const prefix = prefixFor("mlock");
    const holder = await pool.connect();
    const single = testPool(1); // so the check after the timeout runs on the client that waited
    try {
      await holder.query("BEGIN");
      await migratePostgres(holder, { tablePrefix: prefix, inTransaction: true }); // holds the xact lock until COMMIT
      const started = Date.now();
      const error = await migratePostgres(single, { tablePrefix: prefix, lockTimeoutMs: 300 }).catch(
        (caught: unknown) => caught,
      );
      expect(error).toBeInstanceOf(StoreError);
      expect((error as Error).message).toMatch(/timed out after 300 ms waiting for the migration lock/);
      expect(Date.now() - started).toBeLessThan(10_000);
      await holder.query("COMMIT");
      // The client that timed out went back to its pool, with its lock_timeout as it was.
      expect(single.totalCount).toBe(1);
      expect((await single.query<{ v: string }>("SELECT current_setting('lock_timeout') AS v")).rows[0]?.v).toBe("0");
    } finally {
      holder.release();
      await single.end();
    }
    expect((await migratePostgres(pool, { tablePrefix: prefix })).applied).toEqual([]);
    await expect(migratePostgres(pool, { tablePrefix: prefix, lockTimeoutMs: 0 })).rejects.toBeInstanceOf(
      ConfigurationError,
    );
  });

  it("eight migrators on separate connections, from empty and from version 1: each version applied once", async () => {
    for (const start of [0, 1]) {
      const prefix = prefixFor(`mrace${start}`);
      if (start === 1) await create(pool, POSTGRES_LEGACY[0]!.statements(prefix));
      const clients = await Promise.all(
        Array.from({ length: 8 }, async () => {
          const client = new pg.Client({ connectionString: POSTGRES_URL });
          await client.connect();
          return client;
        }),
      );
      try {
        const results = await Promise.all(clients.map((client) => migratePostgres(client, { tablePrefix: prefix })));
        expectOneMigratorEach(
          results.map((r) => ({ from: r.from, to: r.to, applied: r.applied.map((m) => m.version) })),
          start,
          LATEST,
        );
      } finally {
        await Promise.all(clients.map((client) => client.end()));
      }
      expect((await versionRows(pool, prefix)).map((row) => row.version)).toEqual(ALL);
      expect(await catalog(pool, prefix)).toBe(latestCatalog);
    }
  });

  it("six processes migrating at once, from empty and from version 1: each version applied once", async () => {
    for (const start of [0, 1]) {
      const prefix = prefixFor(`mproc${start}`);
      if (start === 1) await create(pool, POSTGRES_LEGACY[0]!.statements(prefix));
      expectOneMigratorEach(await runMigrators("postgres", POSTGRES_URL, prefix, 6), start, LATEST);
      expect((await versionRows(pool, prefix)).map((row) => row.version)).toEqual(ALL);
      expect(await catalog(pool, prefix)).toBe(latestCatalog);
    }
  }, 90_000);

  it("a database newer than the package is refused with SchemaVersionError, by migrate and status alike", async () => {
    const prefix = prefixFor("mnew");
    await migratePostgres(pool, { tablePrefix: prefix });
    await pool.query(
      `INSERT INTO ${postgresTableNames(prefix).schemaVersion} (version, name, applied_at, origin) VALUES ($1, 'from_the_future', 'now', 'migrate')`,
      [LATEST + 1],
    );
    const before = await fingerprint(pool, prefix);
    for (const call of [
      () => migratePostgres(pool, { tablePrefix: prefix }),
      () => migratePostgres(pool, { tablePrefix: prefix, dryRun: true }),
      () => postgresSchemaStatus(pool, { tablePrefix: prefix }),
      () => createPostgresStore({ pool, tablePrefix: prefix }).schemaStatus(),
    ]) {
      const error = await call().catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(SchemaVersionError);
      expect(error).toMatchObject({
        code: "schema_version",
        reason: "newer_than_package",
        adapter: "postgres",
        tablePrefix: prefix,
        current: LATEST + 1,
        latest: LATEST,
      });
    }
    expect(await fingerprint(pool, prefix)).toBe(before);
  });

  it("a gap in the recorded versions, or a schema no release made, is refused and left alone", async () => {
    const gap = prefixFor("mgap");
    await migratePostgres(pool, { tablePrefix: gap });
    await pool.query(`DELETE FROM ${postgresTableNames(gap).schemaVersion} WHERE version = 3`);
    await expect(migratePostgres(pool, { tablePrefix: gap })).rejects.toMatchObject({ reason: "inconsistent_history" });
    // The latest audit layout without the idempotency table of version 1: no history matches.
    const odd = prefixFor("modd");
    await create(
      pool,
      postgresSchemaStatements(odd).filter((s) => !s.includes(`"${odd}idempotency"`)),
    );
    const before = await fingerprint(pool, odd);
    const error = await migratePostgres(pool, { tablePrefix: odd }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SchemaVersionError);
    expect(error).toMatchObject({ reason: "unrecognised_schema", current: null });
    expect((error as Error).message).toContain(`table ${odd}idempotency`);
    expect(await fingerprint(pool, odd)).toBe(before);
  });
});
