/**
 * SQLite adapter, versioned migrations: a fresh database, every earlier version and every schema
 * an unversioned `migrate()` of a past commit created (fixtures/legacy-schemas.ts) come to the
 * latest version with their rows intact, after which the adapter reads, writes and claims on
 * them; the migrated catalog is the one `sqliteSchemaStatements` describes; a dry run changes
 * nothing; a failed run keeps nothing; six processes migrating one file at once each see every
 * version applied exactly once; a database newer than the package, or with a history gap, or a
 * schema no release made, is refused with `SchemaVersionError` and left as it was.
 */
import { afterAll, describe, expect, it } from "vitest";
import Database from "better-sqlite3";
import {
  createSqliteStore,
  migrateSqlite,
  sqliteMigrations,
  sqliteSchemaStatements,
  sqliteSchemaStatus,
  sqliteTableNames,
} from "../../src/adapters/sqlite/index.js";
import { ConfigurationError, SchemaVersionError, StoreError } from "../../src/index.js";
import { openTenantOf } from "../../src/store/index.js";
import { SQLITE_LEGACY } from "./fixtures/legacy-schemas.js";
import { buildScenario, checkMigrated, joinedRunIds, type LegacyScenario } from "./fixtures/migration-scenario.js";
import { expectOneMigratorEach, runMigrators } from "./fixtures/migration-support.js";
import { tempDatabase } from "./fixtures/sqlite-helpers.js";

const LATEST = sqliteMigrations().length;
const ALL = Array.from({ length: LATEST }, (_, index) => index + 1);
const temp = tempDatabase("migrations");
const opened: Database.Database[] = [];
let files = 0;

afterAll(() => {
  for (const db of opened) if (db.open) db.close();
  temp.cleanup();
});

function freshDb(): { readonly db: Database.Database; readonly file: string } {
  const file = `${temp.dir}/m${(files += 1)}.db`;
  const db = new Database(file);
  db.pragma("journal_mode = WAL");
  opened.push(db);
  return { db, file };
}

/**
 * Writes the scenario's rows in the layout of a schema: `runIdText` for the layouts before
 * `run_ids` (migrations 1-2, and the first two legacy commits).
 */
function seed(db: Database.Database, prefix: string, scenario: LegacyScenario, runIdText: boolean): void {
  const t = sqliteTableNames(prefix);
  const { draft } = scenario;
  db.prepare(
    `INSERT INTO "${t.drafts}" (workspace_id, id, version, state, current_checkpoint, tenant_id, open_tenant_id, created_at, updated_at, document)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  ).run(
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
  );
  const runColumn = runIdText ? "run_id" : "run_ids";
  const insert = db.prepare(
    `INSERT INTO "${t.audit}" (event_id, workspace_id, draft_id, kind, command_type, actor_id, at, from_version, to_version,
       expected_version, actual_version, idempotency_key, feedback, ${runColumn}, capability, state)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  for (const e of scenario.history) {
    insert.run(
      e.eventId,
      e.workspaceId,
      e.draftId,
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
      runIdText ? joinedRunIds(e) : JSON.stringify(e.runIds),
      e.capability,
      e.state,
    );
  }
  const i = scenario.idempotency;
  db.prepare(
    `INSERT INTO "${t.idempotency}" (workspace_id, key, draft_id, command_type, created_at, record) VALUES (?, ?, ?, ?, ?, ?)`,
  ).run(i.workspaceId, i.key, i.draftId, i.commandType, i.createdAt, i.json);
}

/** The adapter's tables and indexes as SQLite describes them (columns unordered; defaults left out). */
function catalog(db: Database.Database, prefix: string): unknown {
  const t = sqliteTableNames(prefix);
  const tables = [t.drafts, t.audit, t.idempotency, t.outbox, t.outboxMark];
  return tables.map((table) => ({
    table,
    columns: (db.prepare(`SELECT name, type, "notnull", pk FROM pragma_table_info(?)`).all(table) as { name: string }[])
      .map((column) => JSON.stringify(column))
      .sort(),
    indexes: (
      db
        .prepare(
          `SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL ORDER BY name`,
        )
        .all(table) as { name: string; sql: string }[]
    ).map((index) => `${index.name}: ${index.sql.replace(/\s+/g, " ")}`),
  }));
}

function versionRows(db: Database.Database, prefix: string): { version: number; origin: string }[] {
  return db
    .prepare(`SELECT version, origin FROM "${sqliteTableNames(prefix).schemaVersion}" ORDER BY version`)
    .all() as { version: number; origin: string }[];
}

/** Everything a dry run or refused run must leave alone: every object and row count of the file. */
function fingerprint(db: Database.Database): string {
  const objects = db.prepare("SELECT type, name, sql FROM sqlite_master ORDER BY type, name").all() as {
    name: string;
    type: string;
  }[];
  const counts = objects
    .filter((object) => object.type === "table" && object.name !== "sqlite_sequence")
    .map((object) => [
      object.name,
      (db.prepare(`SELECT count(*) AS n FROM "${object.name}"`).get() as { n: number }).n,
    ]);
  return JSON.stringify({ objects, counts });
}

const latestCatalog = (() => {
  const db = new Database(":memory:");
  for (const statement of sqliteSchemaStatements("cat_")) db.exec(statement);
  const result = JSON.stringify(catalog(db, "cat_")).replaceAll("cat_", "PREFIX_");
  db.close();
  return result;
})();

function expectLatestCatalog(db: Database.Database, prefix: string): void {
  expect(JSON.stringify(catalog(db, prefix)).replaceAll(prefix, "PREFIX_")).toBe(latestCatalog);
}

const scenario = await buildScenario("ws-sqlite-migrations");

describe("sqlite migrations: numbered versions and a schema-version table", () => {
  it("a fresh database goes to the latest version, recorded once each, with the catalog of the latest schema", async () => {
    const { db } = freshDb();
    expect((await sqliteSchemaStatus(db, { tablePrefix: "a_" })).pending.map((m) => m.version)).toEqual(ALL);
    const result = await migrateSqlite(db, { tablePrefix: "a_" });
    expect({ ...result, applied: result.applied.map((m) => m.name) }).toEqual({
      from: 0,
      to: LATEST,
      applied: [
        "base_tables",
        "idempotency_created_index",
        "audit_run_ids",
        "outbox",
        "outbox_partial_indexes",
        "outbox_journal",
      ],
      dryRun: false,
    });
    expect(versionRows(db, "a_")).toEqual(ALL.map((version) => ({ version, origin: "migrate" })));
    expect(await sqliteSchemaStatus(db, { tablePrefix: "a_" })).toEqual({
      current: LATEST,
      latest: LATEST,
      pending: [],
    });
    expectLatestCatalog(db, "a_");
    const again = await migrateSqlite(db, { tablePrefix: "a_" });
    expect(again).toEqual({ from: LATEST, to: LATEST, applied: [], dryRun: false });
    seed(db, "a_", scenario, false);
    await checkMigrated(createSqliteStore({ database: db, tablePrefix: "a_" }), scenario);
  });

  for (let version = 1; version < LATEST; version += 1) {
    it(`a database at version ${version} goes to the latest with its rows intact`, async () => {
      const { db } = freshDb();
      const prefix = `v${version}_`;
      expect((await migrateSqlite(db, { tablePrefix: prefix, to: version })).to).toBe(version);
      seed(db, prefix, scenario, version < 3);
      const store = createSqliteStore({ database: db, tablePrefix: prefix });
      const result = await store.migrate();
      expect([result.from, result.to, result.applied.map((m) => m.version)]).toEqual([
        version,
        LATEST,
        ALL.slice(version),
      ]);
      expect(versionRows(db, prefix).map((row) => row.version)).toEqual(ALL);
      expectLatestCatalog(db, prefix);
      await checkMigrated(store, scenario);
    });
  }

  SQLITE_LEGACY.forEach((legacy, index) => {
    const baseline = index + 1;
    it(`the unversioned schema of ${legacy.commit} (${legacy.description}) is recognised as version ${baseline}`, async () => {
      const { db } = freshDb();
      const prefix = `l${legacy.commit}_`;
      for (const statement of legacy.statements(prefix)) db.exec(statement);
      seed(db, prefix, scenario, baseline < 3);
      const status = await sqliteSchemaStatus(db, { tablePrefix: prefix });
      expect([status.current, status.pending.map((m) => m.version)]).toEqual([baseline, ALL.slice(baseline)]);
      const result = await migrateSqlite(db, { tablePrefix: prefix });
      expect([result.from, result.to]).toEqual([baseline, LATEST]);
      expect(versionRows(db, prefix)).toEqual(
        ALL.map((version) => ({ version, origin: version <= baseline ? "detected" : "migrate" })),
      );
      expectLatestCatalog(db, prefix);
      await checkMigrated(createSqliteStore({ database: db, tablePrefix: prefix }), scenario);
    });
  });

  it("a first-commit schema later migrated by the last unversioned migrate() is version 2 (run_id kept) and comes up", async () => {
    const { db } = freshDb();
    const prefix = "mixed_";
    for (const statement of SQLITE_LEGACY[0]!.statements(prefix)) db.exec(statement);
    for (const statement of SQLITE_LEGACY.at(-1)!.statements(prefix)) db.exec(statement);
    seed(db, prefix, scenario, true);
    const result = await migrateSqlite(db, { tablePrefix: prefix });
    expect([result.from, result.applied.map((m) => m.version)]).toEqual([2, ALL.slice(2)]);
    expectLatestCatalog(db, prefix);
    await checkMigrated(createSqliteStore({ database: db, tablePrefix: prefix }), scenario);
  });

  it("run ids with quotes, backslashes and control characters survive the run_id split", async () => {
    const { db } = freshDb();
    await migrateSqlite(db, { tablePrefix: "ids_", to: 2 });
    const ids = ['a"b', "c\\d", "e\u0001f", "é😀"];
    db.prepare(
      `INSERT INTO "ids_audit" (event_id, workspace_id, draft_id, kind, command_type, actor_id, at, run_id) VALUES ('e', 'w', 'd', 'committed', 'x', 'u', 't', ?)`,
    ).run(ids.join(","));
    await migrateSqlite(db, { tablePrefix: "ids_" });
    const row = db.prepare(`SELECT run_ids FROM "ids_audit"`).get() as { run_ids: string };
    expect(JSON.parse(row.run_ids)).toEqual(ids);
  });

  it("a dry run reports what would be applied and changes nothing, not even the version table", async () => {
    const { db } = freshDb();
    const prefix = "dry_";
    for (const statement of SQLITE_LEGACY[0]!.statements(prefix)) db.exec(statement);
    seed(db, prefix, scenario, true);
    const before = fingerprint(db);
    const result = await migrateSqlite(db, { tablePrefix: prefix, dryRun: true });
    expect([result.from, result.to, result.dryRun, result.applied.map((m) => m.version)]).toEqual([
      1,
      LATEST,
      true,
      ALL.slice(1),
    ]);
    expect(fingerprint(db)).toBe(before);
    const store = createSqliteStore({ database: db, tablePrefix: "dry2_" });
    expect((await store.migrate({ dryRun: true })).applied).toHaveLength(LATEST);
    expect(fingerprint(db)).toBe(before);
  });

  it("`to` stops at a version, never goes down, and must be a known version", async () => {
    const { db } = freshDb();
    expect((await migrateSqlite(db, { tablePrefix: "to_", to: 2 })).applied.map((m) => m.version)).toEqual([1, 2]);
    expect(await migrateSqlite(db, { tablePrefix: "to_", to: 1 })).toEqual({
      from: 2,
      to: 2,
      applied: [],
      dryRun: false,
    });
    for (const to of [-1, 1.5, LATEST + 1]) {
      await expect(migrateSqlite(db, { tablePrefix: "to_", to })).rejects.toBeInstanceOf(ConfigurationError);
    }
    expect(versionRows(db, "to_").map((row) => row.version)).toEqual([1, 2]);
  });

  it("a migration that fails rolls the whole run back: no version table, no half-applied change", async () => {
    const { db } = freshDb();
    const prefix = "fail_";
    for (const statement of SQLITE_LEGACY[0]!.statements(prefix)) db.exec(statement);
    // A hand-made column in the way of migration 3's ADD COLUMN.
    db.exec(`ALTER TABLE "${prefix}audit" ADD COLUMN run_ids TEXT`);
    const before = fingerprint(db);
    const error = await migrateSqlite(db, { tablePrefix: prefix }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(StoreError);
    expect(fingerprint(db)).toBe(before);
  });

  it("a database newer than the package is refused with SchemaVersionError, by migrate and status alike", async () => {
    const { db } = freshDb();
    await migrateSqlite(db, { tablePrefix: "new_" });
    db.prepare(
      `INSERT INTO "new_schema_version" (version, name, applied_at, origin) VALUES (?, 'from_the_future', 'now', 'migrate')`,
    ).run(LATEST + 1);
    const before = fingerprint(db);
    for (const call of [
      () => migrateSqlite(db, { tablePrefix: "new_" }),
      () => migrateSqlite(db, { tablePrefix: "new_", dryRun: true }),
      () => sqliteSchemaStatus(db, { tablePrefix: "new_" }),
      () => createSqliteStore({ database: db, tablePrefix: "new_" }).migrate(),
    ]) {
      const error = await call().catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(SchemaVersionError);
      expect(error).toMatchObject({
        code: "schema_version",
        reason: "newer_than_package",
        adapter: "sqlite",
        tablePrefix: "new_",
        current: LATEST + 1,
        latest: LATEST,
      });
    }
    expect(fingerprint(db)).toBe(before);
  });

  it("a gap in the recorded versions, or a schema no release made, is refused and left alone", async () => {
    const { db } = freshDb();
    await migrateSqlite(db, { tablePrefix: "gap_" });
    db.exec(`DELETE FROM "gap_schema_version" WHERE version = 2`);
    await expect(migrateSqlite(db, { tablePrefix: "gap_" })).rejects.toMatchObject({ reason: "inconsistent_history" });
    // The latest audit layout (run_ids) without the idempotency table of version 1: no history matches.
    const prefix = "odd_";
    for (const statement of sqliteSchemaStatements(prefix).filter((s) => !s.includes(`"${prefix}idempotency"`)))
      db.exec(statement);
    const before = fingerprint(db);
    const error = await migrateSqlite(db, { tablePrefix: prefix }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SchemaVersionError);
    expect(error).toMatchObject({ reason: "unrecognised_schema", current: null });
    expect((error as Error).message).toContain(`table ${prefix}idempotency`);
    expect(fingerprint(db)).toBe(before);
  });

  it("six processes migrating one file at once, from empty and from version 1: each version applied once", async () => {
    for (const start of [0, 1]) {
      const { db, file } = freshDb();
      const prefix = `race${start}_`;
      if (start === 1) for (const statement of SQLITE_LEGACY[0]!.statements(prefix)) db.exec(statement);
      const reports = await runMigrators("sqlite", file, prefix, 6);
      expectOneMigratorEach(reports, start, LATEST);
      expect(versionRows(db, prefix).map((row) => row.version)).toEqual(ALL);
      expectLatestCatalog(db, prefix);
    }
  }, 90_000);
});
