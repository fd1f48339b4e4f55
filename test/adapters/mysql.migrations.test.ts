/**
 * MySQL / MariaDB adapter, versioned migrations, against the real server: a fresh database,
 * every earlier version and every schema an unversioned `migrate()` of a past commit created
 * (fixtures/legacy-schemas.ts) come to the latest version with their rows intact (audit entries
 * written with the comma-joined `runId` get their `runIds` array), after which the adapter
 * reads, writes and claims on them; the migrated catalog is the one `mysqlSchemaStatements`
 * describes; a dry run changes nothing; DDL commits itself, so a migration whose statement ran
 * without its version row is recognised and recorded, and one that could not take effect is not
 * recorded; concurrent migrators (separate connections, separate processes) see every version
 * applied exactly once; a wait for `GET_LOCK` is bounded; a database newer than the package, or
 * with a history gap, or a schema no release made, is refused with `SchemaVersionError`.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createConnection, type Pool, type RowDataPacket } from "mysql2/promise";
import {
  createMySqlStore,
  migrateMySql,
  mysqlDropSchemaStatements,
  mysqlMigrations,
  mysqlSchemaStatements,
  mysqlSchemaStatus,
  mysqlTableNames,
} from "../../src/adapters/mysql/index.js";
import { ConfigurationError, SchemaVersionError, StoreError } from "../../src/index.js";
import { openTenantOf } from "../../src/store/index.js";
import { serviceAvailable, uniqueSuffix } from "../support/services.js";
import { MYSQL_LEGACY } from "./fixtures/legacy-schemas.js";
import { buildScenario, checkMigrated, legacyAuditJson, type LegacyScenario } from "./fixtures/migration-scenario.js";
import { expectOneMigratorEach, runMigrators } from "./fixtures/migration-support.js";
import { MYSQL_OPTIONS, probeMySql, testPool } from "./fixtures/mysql-support.js";

const up = await serviceAvailable("MySQL/MariaDB", probeMySql);
const LATEST = mysqlMigrations().length;
const ALL = Array.from({ length: LATEST }, (_, index) => index + 1);
const suffix = uniqueSuffix();
const prefixes: string[] = [];

function prefixFor(label: string): string {
  const prefix = `mym_${label}_${suffix}_`;
  prefixes.push(prefix);
  return prefix;
}

/** Writes the scenario's rows as a store wrote them; `runIdText` for entries from before `runIds` (versions 1-2). */
async function seed(pool: Pool, prefix: string, scenario: LegacyScenario, runIdText: boolean): Promise<void> {
  const t = mysqlTableNames(prefix);
  const { draft } = scenario;
  await pool.query(
    `INSERT INTO \`${t.drafts}\` (workspace_id, id, version, state, current_checkpoint, tenant_id, open_tenant_id, created_at, updated_at, document)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
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
    ],
  );
  for (const e of scenario.history) {
    await pool.query(
      `INSERT INTO \`${t.audit}\` (workspace_id, draft_id, event_id, kind, command_type, actor_id, at, from_version, to_version, state, event)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        e.workspaceId,
        e.draftId,
        e.eventId,
        e.kind,
        e.commandType,
        e.actorId,
        e.at,
        e.fromVersion,
        e.toVersion,
        e.state,
        runIdText ? legacyAuditJson(e) : JSON.stringify(e),
      ],
    );
  }
  const i = scenario.idempotency;
  await pool.query(
    `INSERT INTO \`${t.idempotency}\` (workspace_id, idempotency_key, draft_id, command_type, created_at, record) VALUES (?, ?, ?, ?, ?, ?)`,
    [i.workspaceId, i.key, i.draftId, i.commandType, i.createdAt, i.json],
  );
}

/** The adapter's tables as information_schema describes them, the prefix replaced (columns and keys unordered). */
async function catalog(pool: Pool, prefix: string): Promise<string> {
  const t = mysqlTableNames(prefix);
  const names = [t.drafts, t.audit, t.idempotency, t.outbox, t.journal];
  const [columns] = await pool.query<RowDataPacket[]>(
    `SELECT TABLE_NAME, COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE, COLLATION_NAME, EXTRA, GENERATION_EXPRESSION
     FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME IN (?) ORDER BY TABLE_NAME, COLUMN_NAME`,
    [names],
  );
  const [keys] = await pool.query<RowDataPacket[]>(
    `SELECT TABLE_NAME, INDEX_NAME, NON_UNIQUE, SEQ_IN_INDEX, COLUMN_NAME FROM information_schema.STATISTICS
     WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME IN (?) ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX`,
    [names],
  );
  const [tables] = await pool.query<RowDataPacket[]>(
    `SELECT TABLE_NAME, ENGINE, TABLE_COLLATION, ROW_FORMAT FROM information_schema.TABLES
     WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME IN (?) ORDER BY TABLE_NAME`,
    [names],
  );
  return JSON.stringify([columns, keys, tables]).replaceAll(prefix, "PREFIX_");
}

/** Every table of the prefix with its row count, and the catalog. */
async function fingerprint(pool: Pool, prefix: string): Promise<string> {
  const [tables] = await pool.query<RowDataPacket[]>(
    "SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME LIKE ? ORDER BY 1",
    [`${prefix}%`],
  );
  const counts: [string, number][] = [];
  for (const row of tables) {
    const [count] = await pool.query<RowDataPacket[]>(`SELECT count(*) AS n FROM \`${String(row["name"])}\``);
    counts.push([String(row["name"]), Number(count[0]?.["n"])]);
  }
  return JSON.stringify([counts, await catalog(pool, prefix)]);
}

async function versionRows(pool: Pool, prefix: string): Promise<{ version: number; origin: string }[]> {
  const [rows] = await pool.query<RowDataPacket[]>(
    `SELECT version, origin FROM \`${mysqlTableNames(prefix).schemaVersion}\` ORDER BY version`,
  );
  return rows.map((row) => ({ version: Number(row["version"]), origin: String(row["origin"]) }));
}

async function create(pool: Pool, statements: readonly string[]): Promise<void> {
  for (const statement of statements) await pool.query(statement);
}

describe.skipIf(!up)("mysql migrations: numbered versions and a schema-version table", () => {
  let pool: Pool;
  let latestCatalog: string;
  let scenario: LegacyScenario;

  beforeAll(async () => {
    pool = testPool(10);
    const reference = prefixFor("ref");
    await create(pool, mysqlSchemaStatements(reference));
    latestCatalog = await catalog(pool, reference);
    scenario = await buildScenario("ws-mysql-migrations");
  });

  afterAll(async () => {
    for (const prefix of prefixes)
      for (const statement of mysqlDropSchemaStatements(prefix)) await pool.query(statement);
    await pool.end();
  });

  it("a fresh database goes to the latest version, recorded once each, with the catalog of the latest schema", async () => {
    const prefix = prefixFor("fresh");
    expect((await mysqlSchemaStatus(pool, { tablePrefix: prefix })).pending.map((m) => m.version)).toEqual(ALL);
    const result = await migrateMySql(pool, { tablePrefix: prefix });
    expect({ ...result, applied: result.applied.map((m) => m.name) }).toEqual({
      from: 0,
      to: LATEST,
      applied: [
        "base_tables",
        "idempotency_created_index",
        "audit_run_ids",
        "outbox",
        "outbox_fewer_keys",
        "outbox_journal",
      ],
      dryRun: false,
    });
    expect(await versionRows(pool, prefix)).toEqual(ALL.map((version) => ({ version, origin: "migrate" })));
    expect(await mysqlSchemaStatus(pool, { tablePrefix: prefix })).toEqual({
      current: LATEST,
      latest: LATEST,
      pending: [],
    });
    expect(await catalog(pool, prefix)).toBe(latestCatalog);
    expect(await migrateMySql(pool, { tablePrefix: prefix })).toEqual({
      from: LATEST,
      to: LATEST,
      applied: [],
      dryRun: false,
    });
    await seed(pool, prefix, scenario, false);
    await checkMigrated(createMySqlStore({ pool, tablePrefix: prefix }), scenario);
  });

  for (let version = 1; version < LATEST; version += 1) {
    it(`a database at version ${version} goes to the latest with its rows intact`, async () => {
      const prefix = prefixFor(`v${version}`);
      expect((await migrateMySql(pool, { tablePrefix: prefix, to: version })).to).toBe(version);
      await seed(pool, prefix, scenario, version < 3);
      const store = createMySqlStore({ pool, tablePrefix: prefix });
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

  // Each unversioned schema, with rows as the store of its time wrote them. The DDL of c2a7031
  // lasted past the runIds change, so it is version 2 or 3 by its rows.
  const LEGACY_CASES = [
    { legacy: MYSQL_LEGACY[0]!, runIdText: true, baseline: 1 },
    { legacy: MYSQL_LEGACY[1]!, runIdText: true, baseline: 2 },
    { legacy: MYSQL_LEGACY[1]!, runIdText: false, baseline: 3 },
    { legacy: MYSQL_LEGACY[2]!, runIdText: false, baseline: 4 },
  ];
  for (const { legacy, runIdText, baseline } of LEGACY_CASES) {
    const rows = runIdText ? "runId entries" : "runIds entries";
    it(`the unversioned schema of ${legacy.commit} (${legacy.description}) with ${rows} is recognised as version ${baseline}`, async () => {
      const prefix = prefixFor(`l${baseline}`);
      await create(pool, legacy.statements(prefix));
      await seed(pool, prefix, scenario, runIdText);
      const status = await mysqlSchemaStatus(pool, { tablePrefix: prefix });
      expect([status.current, status.pending.map((m) => m.version)]).toEqual([
        baseline,
        ALL.filter((v) => v > baseline),
      ]);
      const result = await migrateMySql(pool, { tablePrefix: prefix });
      expect([result.from, result.to]).toEqual([baseline, LATEST]);
      expect(await versionRows(pool, prefix)).toEqual(
        ALL.map((version) => ({ version, origin: version <= baseline ? "detected" : "migrate" })),
      );
      expect(await catalog(pool, prefix)).toBe(latestCatalog);
      await checkMigrated(createMySqlStore({ pool, tablePrefix: prefix }), scenario);
    });
  }

  it("a first-commit schema later migrated by the last unversioned migrate() is version 1 (no created key) and comes up", async () => {
    const prefix = prefixFor("mixed");
    await create(pool, MYSQL_LEGACY[0]!.statements(prefix));
    await create(pool, MYSQL_LEGACY.at(-1)!.statements(prefix));
    await seed(pool, prefix, scenario, true);
    const result = await migrateMySql(pool, { tablePrefix: prefix });
    expect([result.from, result.applied.map((m) => m.version)]).toEqual([1, ALL.slice(1)]);
    expect(await catalog(pool, prefix)).toBe(latestCatalog);
    await checkMigrated(createMySqlStore({ pool, tablePrefix: prefix }), scenario);
  });

  it("run ids with quotes, backslashes and control characters survive the runId split", async () => {
    const prefix = prefixFor("ids");
    await migrateMySql(pool, { tablePrefix: prefix, to: 2 });
    const ids = ['a"b', "c\\d", "e\u0001f", "é😀"];
    const event = { ...scenario.history[0]!, eventId: "e-ids", runIds: ids };
    await pool.query(
      `INSERT INTO \`${prefix}audit\` (workspace_id, draft_id, event_id, kind, command_type, actor_id, at, event) VALUES ('w', 'd', 'e', 'committed', 'x', 'u', 't', ?)`,
      [legacyAuditJson(event)],
    );
    await migrateMySql(pool, { tablePrefix: prefix });
    const [rows] = await pool.query<RowDataPacket[]>(`SELECT event FROM \`${prefix}audit\``);
    const migrated = JSON.parse(String(rows[0]?.["event"])) as Record<string, unknown>;
    expect(migrated["runIds"]).toEqual(ids);
    expect("runId" in migrated).toBe(false);
  });

  it("a dry run reports what would be applied and changes nothing, not even the version table", async () => {
    const prefix = prefixFor("dry");
    await create(pool, MYSQL_LEGACY[0]!.statements(prefix));
    await seed(pool, prefix, scenario, true);
    const before = await fingerprint(pool, prefix);
    const result = await migrateMySql(pool, { tablePrefix: prefix, dryRun: true });
    expect([result.from, result.to, result.dryRun, result.applied.map((m) => m.version)]).toEqual([
      1,
      LATEST,
      true,
      ALL.slice(1),
    ]);
    expect(await fingerprint(pool, prefix)).toBe(before);
  });

  it("`to` stops at a version, never goes down, and must be a known version", async () => {
    const prefix = prefixFor("to");
    expect((await migrateMySql(pool, { tablePrefix: prefix, to: 2 })).applied.map((m) => m.version)).toEqual([1, 2]);
    expect(await migrateMySql(pool, { tablePrefix: prefix, to: 1 })).toEqual({
      from: 2,
      to: 2,
      applied: [],
      dryRun: false,
    });
    for (const to of [-1, 1.5, LATEST + 1]) {
      await expect(migrateMySql(pool, { tablePrefix: prefix, to })).rejects.toBeInstanceOf(ConfigurationError);
    }
    expect((await versionRows(pool, prefix)).map((row) => row.version)).toEqual([1, 2]);
  });

  it("a migration whose DDL ran without its version row (a crash between them) is recognised and only recorded", async () => {
    const prefix = prefixFor("crash");
    await migrateMySql(pool, { tablePrefix: prefix, to: 1 });
    // What a crash right after migration 2's ALTER TABLE leaves behind: the key, but no row.
    await pool.query(mysqlMigrations(prefix)[1]!.statements[0]!);
    const result = await migrateMySql(pool, { tablePrefix: prefix });
    expect(result.applied.map((m) => m.version)).toEqual(ALL.slice(1));
    expect(await versionRows(pool, prefix)).toEqual(
      ALL.map((version) => ({ version, origin: version === 2 ? "detected" : "migrate" })),
    );
    expect(await catalog(pool, prefix)).toBe(latestCatalog);
  });

  it("a migration that cannot take effect (a table of that name in another shape) is not recorded", async () => {
    const prefix = prefixFor("stray");
    await migrateMySql(pool, { tablePrefix: prefix, to: 3 });
    await pool.query(`CREATE TABLE \`${prefix}outbox\` (id INT PRIMARY KEY)`);
    const error = await migrateMySql(pool, { tablePrefix: prefix }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SchemaVersionError);
    expect(error).toMatchObject({ reason: "unrecognised_schema", current: 3 });
    expect((await versionRows(pool, prefix)).map((row) => row.version)).toEqual([1, 2, 3]);
    await pool.query(`DROP TABLE \`${prefix}outbox\``);
    expect((await migrateMySql(pool, { tablePrefix: prefix })).applied.map((m) => m.version)).toEqual([4, 5, 6]);
    expect(await catalog(pool, prefix)).toBe(latestCatalog);
  });

  it("a migrator waits for GET_LOCK at most lockTimeoutMs, then fails; the lock holder is unaffected", async () => {
    const prefix = prefixFor("lock");
    const holder = await createConnection(MYSQL_OPTIONS);
    try {
      const [got] = await holder.query<RowDataPacket[]>("SELECT GET_LOCK(?, 5) AS got", [`olc_migrate:${prefix}`]);
      expect(Number(got[0]?.["got"])).toBe(1);
      const error = await migrateMySql(pool, { tablePrefix: prefix, lockTimeoutMs: 1000 }).catch(
        (caught: unknown) => caught,
      );
      expect(error).toBeInstanceOf(StoreError);
      expect((error as Error).message).toMatch(/timed out after 1 s waiting for the migration lock/);
      expect(await fingerprint(pool, prefix)).toBe(await fingerprint(pool, `${prefix}never_`));
    } finally {
      await holder.end();
    }
    expect((await migrateMySql(pool, { tablePrefix: prefix })).to).toBe(LATEST);
  });

  it("eight migrators on separate connections, from empty and from version 1: each version applied once", async () => {
    for (const start of [0, 1]) {
      const prefix = prefixFor(`race${start}`);
      if (start === 1) await create(pool, MYSQL_LEGACY[0]!.statements(prefix));
      const connections = await Promise.all(Array.from({ length: 8 }, () => createConnection(MYSQL_OPTIONS)));
      try {
        const results = await Promise.all(
          connections.map((connection) => migrateMySql(connection, { tablePrefix: prefix })),
        );
        expectOneMigratorEach(
          results.map((r) => ({ from: r.from, to: r.to, applied: r.applied.map((m) => m.version) })),
          start,
          LATEST,
        );
      } finally {
        await Promise.all(connections.map((connection) => connection.end()));
      }
      expect((await versionRows(pool, prefix)).map((row) => row.version)).toEqual(ALL);
      expect(await catalog(pool, prefix)).toBe(latestCatalog);
    }
  });

  it("six processes migrating at once, from empty and from version 1: each version applied once", async () => {
    for (const start of [0, 1]) {
      const prefix = prefixFor(`proc${start}`);
      if (start === 1) await create(pool, MYSQL_LEGACY[0]!.statements(prefix));
      expectOneMigratorEach(await runMigrators("mysql", "mysql", prefix, 6), start, LATEST);
      expect((await versionRows(pool, prefix)).map((row) => row.version)).toEqual(ALL);
      expect(await catalog(pool, prefix)).toBe(latestCatalog);
    }
  }, 90_000);

  it("a database newer than the package is refused with SchemaVersionError, by migrate and status alike", async () => {
    const prefix = prefixFor("new");
    await migrateMySql(pool, { tablePrefix: prefix });
    await pool.query(
      `INSERT INTO \`${prefix}schema_version\` (version, name, applied_at, origin) VALUES (?, 'from_the_future', 'now', 'migrate')`,
      [LATEST + 1],
    );
    const before = await fingerprint(pool, prefix);
    for (const call of [
      () => migrateMySql(pool, { tablePrefix: prefix }),
      () => migrateMySql(pool, { tablePrefix: prefix, dryRun: true }),
      () => mysqlSchemaStatus(pool, { tablePrefix: prefix }),
      () => createMySqlStore({ pool, tablePrefix: prefix }).schemaStatus(),
    ]) {
      const error = await call().catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(SchemaVersionError);
      expect(error).toMatchObject({
        code: "schema_version",
        reason: "newer_than_package",
        adapter: "mysql",
        tablePrefix: prefix,
        current: LATEST + 1,
        latest: LATEST,
      });
    }
    expect(await fingerprint(pool, prefix)).toBe(before);
  });

  it("a gap in the recorded versions, or a schema no release made, is refused and left alone", async () => {
    const gap = prefixFor("gap");
    await migrateMySql(pool, { tablePrefix: gap });
    await pool.query(`DELETE FROM \`${gap}schema_version\` WHERE version = 2`);
    await expect(migrateMySql(pool, { tablePrefix: gap })).rejects.toMatchObject({ reason: "inconsistent_history" });
    // The created key of version 2 without the audit table of version 1: no history matches.
    const odd = prefixFor("odd");
    await create(
      pool,
      mysqlSchemaStatements(odd).filter((s) => !s.includes(`\`${odd}audit\``)),
    );
    const before = await fingerprint(pool, odd);
    const error = await migrateMySql(pool, { tablePrefix: odd }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SchemaVersionError);
    expect(error).toMatchObject({ reason: "unrecognised_schema", current: null });
    expect((error as Error).message).toContain(`table ${odd}audit`);
    expect(await fingerprint(pool, odd)).toBe(before);
  });
});
