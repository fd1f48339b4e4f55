/**
 * MySQL / MariaDB adapter: schema, compare-and-set, unique open-draft slot, idempotency,
 * round-trips of hostile strings, corrupt rows, listing, error wrapping. Needs the loopback
 * server (see fixtures/mysql-support.ts); skipped loudly without it.
 */
import { withDocument, storedDraft } from "../../src/testing/index.js";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from "vitest";
import fc from "fast-check";
import { createConnection, type Pool, type RowDataPacket } from "mysql2/promise";
import {
  createMySqlStore,
  mysqlSchemaSql,
  mysqlSchemaStatements,
  mysqlTableNames,
  type MySqlStore,
} from "../../src/adapters/mysql/index.js";
import { applyCommand, newDraft, parseCommand, type CommandInput } from "../../src/commands/index.js";
import { encodeDraft, parseDraft } from "../../src/lifecycle/index.js";
import { createOnboardingEngine } from "../../src/index.js";
import {
  ConfigurationError,
  CorruptRecordError,
  StoreError,
  ValidationError,
  VersionConflictError,
  type AuditEvent,
  type IdempotencyRecord,
  type OnboardingDraft,
} from "../../src/record/index.js";
import type { DraftStore } from "../../src/store/index.js";
import { serviceAvailable, uniqueSuffix } from "../support/services.js";
import { spawnFixture } from "./fixtures/sqlite-helpers.js";
import { MYSQL_OPTIONS, dropTables, eventFor, probeMySql, testPool, versionTrail } from "./fixtures/mysql-support.js";
import { expectListOptionChecks } from "../support/list-options.js";
import { expectRunIdsRoundTrip } from "../support/run-ids.js";

const up = await serviceAvailable("MySQL/MariaDB", probeMySql);

const T0 = Date.parse("2030-01-01T00:00:00.000Z");
const iso = (offsetMs: number): string => new Date(T0 + offsetMs).toISOString();

function draftOf(
  workspaceId: string,
  id: string,
  tenantId?: string,
  at = iso(0),
  displayName = "Contoso",
): OnboardingDraft {
  return newDraft({
    id,
    workspaceId,
    now: at,
    actorId: "u1",
    ...(tenantId === undefined ? {} : { identity: { tenantId, displayName } }),
  });
}

function next(draft: OnboardingDraft, command: CommandInput, at = iso(1000)): OnboardingDraft {
  const outcome = applyCommand(draft, parseCommand(command), {
    now: at,
    actorId: "u2",
    nextRunId: () => `run-${Math.random().toString(36).slice(2)}`,
    policy: {},
  });
  if (!outcome.changed) throw new Error("command changed nothing");
  return outcome.draft;
}

function idempotencyFor(draft: OnboardingDraft, key: string, commandType = "select_provider"): IdempotencyRecord {
  return {
    workspaceId: draft.workspaceId,
    key,
    draftId: draft.id,
    commandType,
    fingerprint: JSON.stringify([draft.id, commandType]),
    createdAt: draft.updatedAt,
    outcome: { version: draft.version, feedback: "applied", eventId: "e1", runIds: [], draft },
  };
}

describe("mysql adapter module", () => {
  it("imports mysql2 only as types at top level (the driver is an optional peer dependency)", () => {
    const dir = fileURLToPath(new URL("../../src/adapters/mysql/", import.meta.url));
    for (const file of readdirSync(dir).filter((name) => name.endsWith(".ts"))) {
      const source = readFileSync(join(dir, file), "utf8");
      const code = source.split("\n").filter((l) => !/^\s*(\*|\/\/|\/\*)/.test(l));
      for (const line of code.filter((l) => /from\s+["']mysql2/.test(l) || /require\(["']mysql2/.test(l))) {
        expect(line, `${file}: ${line}`).toMatch(/^import type /);
      }
      expect(code.join("\n"), file).not.toMatch(
        /src\/engine|\.\.\/\.\.\/engine|adapters\/(memory|sqlite|postgres|redis)/,
      );
    }
  });

  it("reports a missing mysql2 as ConfigurationError naming the package, from every method", async () => {
    const run = spawnFixture("mysql-no-driver.ts", []);
    const { code, stdout, stderr } = await run.exited;
    expect(code, stderr).toBe(0);
    const outcomes = JSON.parse(stdout) as { name: string; code: string; option: string; message: string }[];
    expect(outcomes).toHaveLength(4); // migrate, load, commit, pool
    for (const outcome of outcomes) {
      expect(outcome).toMatchObject({ name: "ConfigurationError", code: "configuration", option: "connection" });
      expect(outcome.message).toMatch(/the "mysql2" package is not installed: run `npm install mysql2`/);
    }
  }, 60_000);
});

describe.skipIf(!up)("mysql adapter", () => {
  const prefix = `t_my_${uniqueSuffix()}_`;
  let pool: Pool;
  let store: MySqlStore;
  let wsCounter = 0;
  const ws = (): string => `ws-${uniqueSuffix()}-${(wsCounter += 1)}`;

  beforeAll(async () => {
    pool = testPool();
    store = createMySqlStore({ pool, tablePrefix: prefix });
    await store.migrate();
  });

  afterAll(async () => {
    if (pool === undefined) return;
    await dropTables(pool, prefix);
    await dropTables(pool, `${prefix}sql_`);
    await pool.end();
  });

  async function insertOk(draft: OnboardingDraft): Promise<void> {
    expect(await store.insert(withDocument({ draft, event: eventFor(draft), idempotency: null }))).toEqual({
      ok: true,
    });
  }

  async function raw(sql: string, params: (string | number)[]): Promise<RowDataPacket[]> {
    const [rows] = await pool.execute<RowDataPacket[]>(sql, params);
    return rows;
  }

  describe("schema", () => {
    it("migrate() is idempotent and leaves existing rows alone", async () => {
      const w = ws();
      await insertOk(draftOf(w, "d1", "t1"));
      await store.migrate();
      await store.migrate();
      await Promise.all([store.migrate(), store.migrate()]);
      expect(await store.load(w, "d1")).not.toBeNull();
    });

    it("exports the DDL as plain SQL text that creates the same tables as migrate(), twice in a row", async () => {
      const sqlPrefix = `${prefix}sql_`;
      const script = mysqlSchemaSql(sqlPrefix);
      expect(script).toContain(`CREATE TABLE IF NOT EXISTS \`${sqlPrefix}drafts\``);
      expect(script).toContain(`CREATE TABLE IF NOT EXISTS \`${sqlPrefix}audit\``);
      expect(script).toContain(`CREATE TABLE IF NOT EXISTS \`${sqlPrefix}idempotency\``);
      expect(script).toContain(`CREATE TABLE IF NOT EXISTS \`${sqlPrefix}outbox\``);
      expect(script).toContain(`CREATE TABLE IF NOT EXISTS \`${sqlPrefix}outbox_journal\``);
      expect(script).toContain("UNIQUE KEY `open_tenant` (`workspace_id`, `open_tenant_id`)");
      expect(script).toContain("KEY `state_created` (`workspace_id`, `state`, `created_at`, `id`)");
      expect(script).not.toContain("?");
      expect(mysqlSchemaStatements(sqlPrefix)).toHaveLength(5);

      const connection = await createConnection({ ...MYSQL_OPTIONS, multipleStatements: true });
      try {
        await connection.query(script);
        await connection.query(script);
        for (const table of ["drafts", "audit", "idempotency", "outbox", "outbox_journal"] as const) {
          const [a] = await connection.query<RowDataPacket[]>(`SHOW CREATE TABLE \`${prefix}${table}\``);
          const [b] = await connection.query<RowDataPacket[]>(`SHOW CREATE TABLE \`${sqlPrefix}${table}\``);
          const normalise = (row: RowDataPacket | undefined, p: string): string =>
            String(row?.["Create Table"])
              .replaceAll(p, "PREFIX_")
              .replace(/ AUTO_INCREMENT=\d+/, "");
          expect(normalise(b[0], sqlPrefix)).toBe(normalise(a[0], prefix));
        }
      } finally {
        await connection.end();
      }
    });

    it("has real, indexed query columns", async () => {
      const t = mysqlTableNames(prefix);
      const indexes = await raw(`SHOW INDEX FROM \`${t.drafts}\``, []);
      const byName = new Map<string, string[]>();
      for (const row of indexes) {
        const name = String(row["Key_name"]);
        byName.set(name, [...(byName.get(name) ?? []), String(row["Column_name"])]);
      }
      expect(byName.get("PRIMARY")).toEqual(["workspace_id", "id"]);
      expect(byName.get("open_tenant")).toEqual(["workspace_id", "open_tenant_id"]);
      expect(byName.get("state_created")).toEqual(["workspace_id", "state", "created_at", "id"]);
      expect(indexes.find((row) => row["Key_name"] === "open_tenant")?.["Non_unique"]).toBe(0);

      const w = ws();
      const d1 = draftOf(w, "d1", "t1");
      await insertOk(d1);
      const cancelled = next(d1, { type: "cancel", reason: "test" });
      expect(
        await store.commit(
          withDocument({ draft: cancelled, expectedVersion: 1, events: [eventFor(cancelled)], idempotency: null }),
        ),
      ).toEqual({ ok: true });
      const [row] = await raw(
        `SELECT CAST(\`id\` AS CHAR) AS id, \`version\`, \`state\`, \`current_checkpoint\`, CAST(\`tenant_id\` AS CHAR) AS tenant, ` +
          `\`open_tenant_id\`, \`created_at\`, \`updated_at\` FROM \`${t.drafts}\` WHERE \`workspace_id\` = ?`,
        [w],
      );
      expect(row).toMatchObject({
        id: "d1",
        version: 2,
        state: "cancelled",
        current_checkpoint: null,
        tenant: "t1",
        open_tenant_id: null,
        created_at: d1.createdAt,
        updated_at: cancelled.updatedAt,
      });
    });

    it("rejects table prefixes that are not plain identifiers", () => {
      for (const bad of ["", "1abc", "a-b", "a b", "x;DROP TABLE t;--", "a`b", "ä_", "a".repeat(49), "a.b"]) {
        expect(() => createMySqlStore({ pool, tablePrefix: bad }), bad).toThrow(ConfigurationError);
        expect(() => mysqlSchemaSql(bad), bad).toThrow(ConfigurationError);
      }
      expect(createMySqlStore({ pool, tablePrefix: "a".repeat(48) }).tables.idempotency).toHaveLength(59);
    });
  });

  describe("compare-and-set", () => {
    it("commits exactly when the stored version is the expected one, and writes nothing otherwise", async () => {
      const w = ws();
      const v1 = draftOf(w, "d1", "t1");
      await insertOk(v1);
      const v2 = next(v1, { type: "select_provider", connectionId: "c1" });
      expect(
        await store.commit(withDocument({ draft: v2, expectedVersion: 1, events: [eventFor(v2)], idempotency: null })),
      ).toEqual({
        ok: true,
      });

      // A stale writer (also expecting 1) with an idempotency record: rejected, nothing written.
      const stale = next(v1, { type: "select_provider", connectionId: "c2" });
      expect(
        await store.commit(
          withDocument({
            draft: stale,
            expectedVersion: 1,
            events: [eventFor(stale)],
            idempotency: idempotencyFor(stale, "k-stale"),
          }),
        ),
      ).toEqual({ ok: false, reason: "version_conflict", actualVersion: 2 });
      expect(encodeDraft(storedDraft(await store.load(w, "d1")))).toBe(encodeDraft(v2));
      expect(versionTrail(await store.listAudit(w, "d1"))).toEqual([1, 2]);
      expect(await store.loadIdempotency(w, "k-stale")).toBeNull();

      // Expecting a version from the future is a conflict too.
      const v3 = next(v2, { type: "update_provider_connection", connectionId: "c1" });
      expect(
        await store.commit(withDocument({ draft: v3, expectedVersion: 5, events: [], idempotency: null })),
      ).toEqual({
        ok: false,
        reason: "version_conflict",
        actualVersion: 2,
      });
      expect(
        await store.commit(withDocument({ draft: v3, expectedVersion: 2, events: [eventFor(v3)], idempotency: null })),
      ).toEqual({
        ok: true,
      });
      expect(versionTrail(await store.listAudit(w, "d1"))).toEqual([1, 2, 3]);
    });

    it("reports actualVersion null for a draft that does not exist (or lives in another workspace)", async () => {
      const w = ws();
      const v1 = draftOf(w, "d1", "t1");
      await insertOk(v1);
      const v2 = next(v1, { type: "select_provider", connectionId: "c1" });
      const elsewhere = { ...v2, workspaceId: ws() };
      expect(
        await store.commit(withDocument({ draft: elsewhere, expectedVersion: 1, events: [], idempotency: null })),
      ).toEqual({
        ok: false,
        reason: "version_conflict",
        actualVersion: null,
      });
      expect(await store.load(elsewhere.workspaceId, "d1")).toBeNull();
      expect(await store.load(w, "D1")).toBeNull();
      expect(await store.load(w, "d1 ")).toBeNull();
    });

    it("rejects a second insert of the same id with draft_exists and writes nothing", async () => {
      const w = ws();
      const d = draftOf(w, "d1");
      await insertOk(d);
      const again = draftOf(w, "d1", "t9", iso(5));
      expect(
        await store.insert(
          withDocument({ draft: again, event: eventFor(again), idempotency: idempotencyFor(again, "k1") }),
        ),
      ).toEqual({
        ok: false,
        reason: "draft_exists",
      });
      expect(await store.loadIdempotency(w, "k1")).toBeNull();
      expect(versionTrail(await store.listAudit(w, "d1"))).toEqual([1]);
      expect(await store.findOpenDraft(w, "t9")).toBeNull();
    });
  });

  describe("one open draft per tenant", () => {
    it("is enforced by the unique index, on insert and on commit, with nothing written", async () => {
      const w = ws();
      const d1 = draftOf(w, "d1", "t1");
      await insertOk(d1);
      const d2 = draftOf(w, "d2", "t1");
      expect(
        await store.insert(withDocument({ draft: d2, event: eventFor(d2), idempotency: idempotencyFor(d2, "k2") })),
      ).toEqual({
        ok: false,
        reason: "open_draft_exists",
        existingDraftId: "d1",
      });
      expect(await store.load(w, "d2")).toBeNull();
      expect(await store.listAudit(w, "d2")).toEqual([]);
      expect(await store.loadIdempotency(w, "k2")).toBeNull();

      // Drafts without identity do not occupy a slot (NULLs are distinct in the unique index).
      const d3 = draftOf(w, "d3");
      const d4 = draftOf(w, "d4");
      await insertOk(d3);
      await insertOk(d4);

      // Identifying d3 as t1 would open a second slot: rejected, nothing written.
      const d3v2 = next(d3, { type: "identify", tenantId: "t1", displayName: "Second" });
      expect(
        await store.commit(
          withDocument({
            draft: d3v2,
            expectedVersion: 1,
            events: [eventFor(d3v2)],
            idempotency: idempotencyFor(d3v2, "k3"),
          }),
        ),
      ).toEqual({
        ok: false,
        reason: "open_draft_exists",
        existingDraftId: "d1",
      });
      expect(storedDraft(await store.load(w, "d3")).version).toBe(1);
      expect(versionTrail(await store.listAudit(w, "d3"))).toEqual([1]);
      expect(await store.loadIdempotency(w, "k3")).toBeNull();

      // Tenant ids are compared byte for byte: case and trailing spaces matter.
      for (const [id, tenant] of [
        ["d5", "T1"],
        ["d6", "t1 "],
        ["d7", " t1"],
      ] as const)
        await insertOk(draftOf(w, id, tenant));

      // Cancelling d1 frees the slot.
      const d1v2 = next(d1, { type: "cancel", reason: null });
      expect(
        await store.commit(
          withDocument({ draft: d1v2, expectedVersion: 1, events: [eventFor(d1v2)], idempotency: null }),
        ),
      ).toEqual({ ok: true });
      expect(await store.findOpenDraft(w, "t1")).toBeNull();
      expect(
        await store.commit(
          withDocument({ draft: d3v2, expectedVersion: 1, events: [eventFor(d3v2)], idempotency: null }),
        ),
      ).toEqual({ ok: true });
      expect(storedDraft(await store.findOpenDraft(w, "t1")).id).toBe("d3");
      expect(storedDraft(await store.findOpenDraft(w, "T1")).id).toBe("d5");
      expect(storedDraft(await store.findOpenDraft(w, "t1 ")).id).toBe("d6");
      expect(await store.findOpenDraft(ws(), "t1")).toBeNull();
    });

    it("lets exactly one of many concurrent inserts for a tenant win", async () => {
      const w = ws();
      const drafts = Array.from({ length: 12 }, (_, i) => draftOf(w, `race-${i}`, "t-race"));
      const results = await Promise.all(
        drafts.map((draft) => store.insert(withDocument({ draft, event: eventFor(draft), idempotency: null }))),
      );
      const winners = results.flatMap((result, i) => (result.ok ? [drafts[i]?.id] : []));
      expect(winners).toHaveLength(1);
      for (const result of results) {
        if (!result.ok) expect(result).toEqual({ ok: false, reason: "open_draft_exists", existingDraftId: winners[0] });
      }
    });
  });

  describe("isolation levels", () => {
    for (const level of ["READ COMMITTED", "REPEATABLE READ", "SERIALIZABLE"] as const) {
      it(`keeps compare-and-set exact when the caller's sessions run ${level}`, async () => {
        const levelPool = testPool(8);
        levelPool.pool.on("connection", (connection) => {
          connection.query(`SET SESSION TRANSACTION ISOLATION LEVEL ${level}`);
        });
        try {
          // MariaDB 10.11 names it tx_isolation, MySQL 8 transaction_isolation.
          const [[row]] = (await levelPool
            .query("SELECT @@transaction_isolation AS level")
            .catch(() => levelPool.query("SELECT @@tx_isolation AS level"))) as unknown as [[{ level: string }]];
          expect(row.level).toBe(level.replace(" ", "-"));
          const levelStore = createMySqlStore({ pool: levelPool, tablePrefix: prefix });
          const engine = createOnboardingEngine({ store: levelStore, authorize: () => true });
          const w = ws();
          const { draft } = await engine.create(
            w,
            { identity: { tenantId: "t", displayName: "A" } },
            { actor: { id: "u" } },
          );
          await engine.execute(
            w,
            draft.id,
            { type: "select_provider", connectionId: "c" },
            { actor: { id: "u" }, expectedVersion: 1 },
          );
          const writers = 8;
          const commits = 3;
          const won: number[] = [];
          await Promise.all(
            Array.from({ length: writers }, async (_, i) => {
              for (let done = 0, attempts = 0; done < commits; attempts += 1) {
                if (attempts > 500) throw new Error(`writer ${i} starved`);
                const current = await engine.get(w, draft.id, { actor: { id: "u" } });
                try {
                  const r = await engine.execute(
                    w,
                    draft.id,
                    { type: "update_provider_connection", connectionId: "c" },
                    {
                      actor: { id: `w${i}` },
                      expectedVersion: current.version,
                    },
                  );
                  won.push(r.version);
                  done += 1;
                } catch (error) {
                  if (!(error instanceof VersionConflictError)) throw error;
                }
              }
            }),
          );
          const total = writers * commits;
          expect(won.sort((a, b) => a - b)).toEqual(Array.from({ length: total }, (_, i) => i + 3));
          const final = storedDraft(await levelStore.load(w, draft.id));
          expect(final.version).toBe(total + 2);
          expect(final.provider?.revision).toBe(total + 1);
          expect(versionTrail(await levelStore.listAudit(w, draft.id))).toEqual(
            Array.from({ length: total + 2 }, (_, i) => i + 1),
          );
        } finally {
          await levelPool.end();
        }
      });
    }
  });

  describe("idempotency records", () => {
    it("are stored with the commit; a duplicate key rolls the whole commit back", async () => {
      const w = ws();
      const a1 = draftOf(w, "a", "ta");
      const b1 = draftOf(w, "b", "tb");
      await insertOk(a1);
      await insertOk(b1);
      const a2 = next(a1, { type: "select_provider", connectionId: "c1" });
      const record = idempotencyFor(a2, "key-1");
      expect(
        await store.commit(
          withDocument({ draft: a2, expectedVersion: 1, events: [eventFor(a2)], idempotency: record }),
        ),
      ).toEqual({ ok: true });
      expect(await store.loadIdempotency(w, "key-1")).toEqual(JSON.parse(JSON.stringify(record)));
      expect(await store.loadIdempotency(ws(), "key-1")).toBeNull();
      expect(await store.loadIdempotency(w, "KEY-1")).toBeNull();

      const b2 = next(b1, { type: "select_provider", connectionId: "c1" });
      expect(
        await store.commit(
          withDocument({
            draft: b2,
            expectedVersion: 1,
            events: [eventFor(b2)],
            idempotency: idempotencyFor(b2, "key-1"),
          }),
        ),
      ).toEqual({
        ok: false,
        reason: "idempotency_key_exists",
      });
      expect(storedDraft(await store.load(w, "b")).version).toBe(1);
      expect(versionTrail(await store.listAudit(w, "b"))).toEqual([1]);

      const c1 = draftOf(w, "c", "tc");
      expect(
        await store.insert(withDocument({ draft: c1, event: eventFor(c1), idempotency: idempotencyFor(c1, "key-1") })),
      ).toEqual({
        ok: false,
        reason: "idempotency_key_exists",
      });
      expect(await store.load(w, "c")).toBeNull();
      expect(await store.findOpenDraft(w, "tc")).toBeNull();
    });
  });

  describe("audit", () => {
    it("appends entries of any kind and lists them in append order, per workspace and draft", async () => {
      const w = ws();
      const d = draftOf(w, "d1", "t1");
      await insertOk(d);
      const kinds = ["conflict", "denied", "conflict"] as const;
      for (const [i, kind] of kinds.entries()) {
        await store.appendAudit([
          eventFor(d, { kind, eventId: `x${i}`, toVersion: null, expectedVersion: 1, actualVersion: 2 }),
        ]);
      }
      await store.appendAudit([]);
      await store.appendAudit([
        eventFor(d, { kind: "denied", eventId: "y1", toVersion: null, capability: "cancel" }),
        eventFor(d, { kind: "denied", eventId: "y2", toVersion: null, capability: "activate" }),
      ]);
      const ids = (await store.listAudit(w, "d1"))
        .map(({ event }) => event)
        .map((event) => (event as { eventId: string }).eventId);
      expect(ids.slice(1)).toEqual(["x0", "x1", "x2", "y1", "y2"]);
      expect(await store.listAudit(ws(), "d1")).toEqual([]);
    });
  });

  describe("hostile strings", () => {
    const hostile = [
      "'",
      "''",
      '"',
      "\\",
      "\\'",
      "'; DROP TABLE onboarding_drafts; --",
      '" OR 1=1 -- ',
      "` OR `1`=`1",
      "%_*?",
      "\\0\\n\\r\\Z\\%",
      "\n\r\t\u001a\u0008",
      "😀🏳️‍🌈𝕏👩‍👩‍👧",
      "ÄÖÜ ß Ω 中文 עברית",
      "\u00ff\u00fe\u0080\u0081",
      "trailing   ",
      "   leading",
      "A",
      "a",
      "\uFEFFbom",
      '{"json":[1,2]}',
      "</script><script>",
      "$1 ? :name @v",
    ];
    const nulFree = (s: string): boolean => !s.includes("\u0000");
    const idArb = fc.oneof(
      fc.constantFrom(...hostile),
      fc.string({ unit: "binary", minLength: 1, maxLength: 128 }).filter(nulFree),
      fc.string({ unit: "binary-ascii", minLength: 1, maxLength: 128 }).filter(nulFree),
    );
    const textArb = fc.oneof(
      idArb,
      fc.string({ unit: "binary", minLength: 1, maxLength: 4096 }).filter(nulFree),
      fc.constant("😀".repeat(2048)),
      fc.constant("'\\".repeat(2048)),
      fc.constant("x".repeat(4096)),
    );

    it("round-trip unchanged as ids, tenant ids, display names and idempotency keys", async () => {
      const round = `${uniqueSuffix()}`;
      let n = 0;
      await fc.assert(
        fc.asyncProperty(
          idArb,
          idArb,
          idArb,
          textArb,
          fc.string({ unit: "binary", minLength: 1, maxLength: 255 }).filter(nulFree),
          async (wsTail, id, tenantId, displayName, key) => {
            n += 1;
            const w = `${round}-${n}-${wsTail}`.slice(0, 128);
            const v1 = draftOf(w, id, tenantId, iso(n), displayName);
            await insertOk(v1);
            const v2 = next(v1, { type: "select_provider", connectionId: id });
            expect(
              await store.commit(
                withDocument({
                  draft: v2,
                  expectedVersion: 1,
                  events: [eventFor(v2)],
                  idempotency: idempotencyFor(v2, key),
                }),
              ),
            ).toEqual({ ok: true });

            expect(encodeDraft(storedDraft(await store.load(w, id)))).toBe(encodeDraft(v2));
            expect(encodeDraft(storedDraft(await store.findOpenDraft(w, tenantId)))).toBe(encodeDraft(v2));
            const record = (await store.loadIdempotency(w, key)) as IdempotencyRecord;
            expect(record.key).toBe(key);
            expect(encodeDraft(parseDraft(record.outcome.draft))).toBe(encodeDraft(v2));
            const audit = (await store.listAudit(w, id)).map(({ event }) => event);
            expect(audit).toHaveLength(2);
            expect((audit[0] as { draftId: string }).draftId).toBe(id);
            const page = await store.list(w, { limit: 5 });
            expect(page.drafts.map((d) => storedDraft(d).id)).toEqual([id]);
          },
        ),
        { numRuns: 100 },
      );
    });

    it("round-trip through the engine", async () => {
      const engine = createOnboardingEngine({ store, authorize: () => true });
      const w = `ws-'\\"😀-${uniqueSuffix()}`;
      for (const [i, name] of hostile.entries()) {
        const displayName = `${name} ${i}`.trim();
        const { draft } = await engine.create(
          w,
          { id: `${name}-${i}`, identity: { tenantId: `${name}|${i}`, displayName } },
          { actor: { id: `actor ${name}` } },
        );
        const r = await engine.execute(
          w,
          draft.id,
          { type: "select_provider", connectionId: name },
          {
            actor: { id: "u1" },
            expectedVersion: 1,
            idempotencyKey: `${name}#${i}`,
          },
        );
        const loaded = await engine.get(w, draft.id, { actor: { id: "u1" } });
        expect(encodeDraft(loaded)).toBe(encodeDraft(r.draft));
        expect(loaded.identity?.displayName).toBe(displayName);
        expect(loaded.provider?.connectionId).toBe(name);
        const replay = await engine.execute(
          w,
          draft.id,
          { type: "select_provider", connectionId: name },
          {
            actor: { id: "u1" },
            expectedVersion: 1,
            idempotencyKey: `${name}#${i}`,
          },
        );
        expect(replay.replayed).toBe(true);
        const history = (await engine.history(w, draft.id, { actor: { id: "u1" } })).entries;
        expect(history.map((event) => event.toVersion)).toEqual([1, 2]);
      }
    });
  });

  describe("corrupt rows", () => {
    it("read as CorruptRecordError through the engine, and are left as they are", async () => {
      const engine = createOnboardingEngine({ store, authorize: () => true });
      const w = ws();
      const t = mysqlTableNames(prefix);
      const edits: [string, (doc: Record<string, unknown>) => string][] = [
        ["version as text", (doc) => JSON.stringify({ ...doc, version: "two" })],
        [
          "unknown state",
          (doc) => JSON.stringify({ ...doc, lifecycle: { ...(doc["lifecycle"] as object), state: "paused" } }),
        ],
        [
          "lifecycle disagrees",
          (doc) => JSON.stringify({ ...doc, lifecycle: { ...(doc["lifecycle"] as object), state: "completed" } }),
        ],
        ["identity not an object", (doc) => JSON.stringify({ ...doc, identity: 42 })],
        ["an array", () => "[1,2,3]"],
        ["not JSON", () => '{"id": "d1", truncated'],
        ["empty", () => ""],
      ];
      for (const [i, [label, edit]] of edits.entries()) {
        const { draft } = await engine.create(
          w,
          { identity: { tenantId: `t${i}`, displayName: "X" } },
          { actor: { id: "u1" } },
        );
        const document = JSON.parse(encodeDraft(draft)) as Record<string, unknown>;
        const corrupt = edit(document);
        await pool.execute(`UPDATE \`${t.drafts}\` SET \`document\` = ? WHERE \`workspace_id\` = ? AND \`id\` = ?`, [
          corrupt,
          w,
          draft.id,
        ]);
        await expect(engine.get(w, draft.id, { actor: { id: "u1" } }), label).rejects.toBeInstanceOf(
          CorruptRecordError,
        );
        await expect(
          engine.execute(
            w,
            draft.id,
            { type: "select_provider", connectionId: "c" },
            { actor: { id: "u1" }, expectedVersion: 1 },
          ),
          label,
        ).rejects.toBeInstanceOf(CorruptRecordError);
        const [row] = await raw(
          `SELECT \`document\`, \`version\` FROM \`${t.drafts}\` WHERE \`workspace_id\` = ? AND \`id\` = ?`,
          [w, draft.id],
        );
        expect(row?.["document"], label).toBe(corrupt);
        expect(row?.["version"], label).toBe(1);
      }
    });
  });

  describe("list", () => {
    it("pages on (createdAt, id) with an optional state filter", async () => {
      const w = ws();
      const expected: { id: string; createdAt: string; state: string }[] = [];
      // 23 drafts; several share a createdAt so the id breaks the tie (byte order: "A" < "a").
      for (let i = 0; i < 23; i += 1) {
        const id = `${i % 2 === 0 ? "A" : "a"}-${String(22 - i).padStart(2, "0")}`;
        const at = iso(Math.floor(i / 3) * 1000);
        let draft = draftOf(w, id, i % 4 === 0 ? undefined : `t${i}`, at);
        await insertOk(draft);
        if (i % 3 === 1) {
          draft = next(draft, { type: "cancel", reason: "x" }, iso(999_999));
          expect(
            await store.commit(
              withDocument({ draft, expectedVersion: 1, events: [eventFor(draft)], idempotency: null }),
            ),
          ).toEqual({ ok: true });
        }
        expected.push({ id, createdAt: at, state: draft.lifecycle.state });
      }
      await insertOk(draftOf(ws(), "other-workspace", "t1"));
      const byKey = (a: { createdAt: string; id: string }, b: { createdAt: string; id: string }): number =>
        a.createdAt < b.createdAt
          ? -1
          : a.createdAt > b.createdAt
            ? 1
            : Buffer.compare(Buffer.from(a.id), Buffer.from(b.id));
      expected.sort(byKey);

      async function all(state: "cancelled" | "draft" | undefined, limit: number): Promise<string[]> {
        const ids: string[] = [];
        let cursor: string | null = null;
        for (let pages = 0; pages < 100; pages += 1) {
          const page: Awaited<ReturnType<MySqlStore["list"]>> = await store.list(w, {
            limit,
            cursor,
            ...(state === undefined ? {} : { state }),
          });
          expect(page.drafts.length).toBeLessThanOrEqual(limit);
          ids.push(...page.drafts.map((d) => storedDraft(d).id));
          if (page.nextCursor === null) return ids;
          expect(page.drafts).toHaveLength(limit);
          cursor = page.nextCursor;
        }
        throw new Error("too many pages");
      }

      for (const limit of [1, 2, 3, 7, 23, 500]) {
        expect(await all(undefined, limit)).toEqual(expected.map((e) => e.id));
        expect(await all("cancelled", limit)).toEqual(expected.filter((e) => e.state === "cancelled").map((e) => e.id));
        expect(await all("draft", limit)).toEqual(expected.filter((e) => e.state === "draft").map((e) => e.id));
      }
      expect((await store.list(w, { limit: 23 })).nextCursor).toBeNull();
      expect(await store.list(ws(), { limit: 10 })).toEqual({ drafts: [], nextCursor: null });
    });

    it("keeps an entry's runIds as an array, ids with commas included", async () => {
      await expectRunIdsRoundTrip(store, ws());
    });

    it("refuses a malformed cursor with ValidationError; bad limits and states are the engine's to refuse", async () => {
      const w = ws();
      await expect(store.list(w, { limit: 5, cursor: "" })).rejects.toBeInstanceOf(ValidationError);
      await expectListOptionChecks(store, w);
    });
  });

  describe("version column vs document", () => {
    // A version column that disagrees with the document would make every compare-and-set test one
    // version while the engine sees another: reads must report it instead.
    it("load, findOpenDraft and list hand back the version column beside the document", async () => {
      const w = ws();
      const d = draftOf(w, "d1", "t1");
      await insertOk(d);
      await raw(
        `UPDATE \`${mysqlTableNames(prefix).drafts}\` SET \`version\` = 2 WHERE \`workspace_id\` = ? AND \`id\` = ?`,
        [w, "d1"],
      );
      expect(Number((await store.load(w, "d1"))?.version)).toBe(2);
      expect(Number((await store.findOpenDraft(w, "t1"))?.version)).toBe(2);
      expect((await store.list(w, { limit: 10 })).drafts.map((row) => Number(row.version))).toEqual([2]);
    });

    for (const documentCacheSize of [1000, 0]) {
      it(`the engine reports CorruptRecordError after the column changed (cache size ${documentCacheSize})`, async () => {
        const engine = createOnboardingEngine({ store, authorize: () => true, documentCacheSize });
        const actor = { id: "u1" };
        const w = ws();
        const { draft } = await engine.create(w, { identity: { tenantId: "t1", displayName: "T" } }, { actor });
        expect((await engine.get(w, draft.id, { actor })).version).toBe(1);
        await raw(
          `UPDATE \`${mysqlTableNames(prefix).drafts}\` SET \`version\` = 2 WHERE \`workspace_id\` = ? AND \`id\` = ?`,
          [w, draft.id],
        );
        const error = await engine.get(w, draft.id, { actor }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(CorruptRecordError);
        expect((error as CorruptRecordError).issues.map((issue) => issue.code)).toEqual(["version_mismatch"]);
        await expect(engine.list(w, { actor })).rejects.toBeInstanceOf(CorruptRecordError);
        await expect(
          engine.create(w, { identity: { tenantId: "t1", displayName: "T" } }, { actor, onExisting: "resume" }),
        ).rejects.toBeInstanceOf(CorruptRecordError);
      });
    }
  });

  describe("a write re-sent after it applied", () => {
    async function auditCount(w: string, id: string): Promise<number> {
      return (await store.listAudit(w, id)).length;
    }

    it("commit: the second identical commit reports { ok: true } and writes nothing", async () => {
      const w = ws();
      const v1 = draftOf(w, "d1", "t1");
      await insertOk(v1);
      const v2 = next(v1, { type: "select_provider", connectionId: "c1" });
      const input = withDocument({
        draft: v2,
        expectedVersion: 1,
        events: [eventFor(v2)],
        idempotency: idempotencyFor(v2, "k1"),
      });
      expect(await store.commit(input)).toEqual({ ok: true });
      expect(await store.commit(input)).toEqual({ ok: true });
      expect(await auditCount(w, "d1")).toBe(2);
      expect(storedDraft(await store.load(w, "d1")).version).toBe(2);

      // Still applied once the draft has moved on.
      const v3 = next(v2, { type: "update_provider_connection", connectionId: "c1" }, iso(2000));
      expect(
        await store.commit(withDocument({ draft: v3, expectedVersion: 2, events: [eventFor(v3)], idempotency: null })),
      ).toEqual({
        ok: true,
      });
      expect(await store.commit(input)).toEqual({ ok: true });
      expect(versionTrail(await store.listAudit(w, "d1"))).toEqual([1, 2, 3]);
      expect(storedDraft(await store.load(w, "d1")).version).toBe(3);
    });

    it("commit: a different write at a stale version, and a re-sent commit without audit entries, are still conflicts", async () => {
      const w = ws();
      const v1 = draftOf(w, "d1", "t1");
      await insertOk(v1);
      const v2 = next(v1, { type: "select_provider", connectionId: "c1" });
      const bare = withDocument({ draft: v2, expectedVersion: 1, events: [], idempotency: null });
      expect(await store.commit(bare)).toEqual({ ok: true });
      expect(await store.commit(bare)).toEqual({ ok: false, reason: "version_conflict", actualVersion: 2 });
      expect(await store.commit(withDocument({ ...bare, events: [eventFor(v2)] }))).toEqual({
        ok: false,
        reason: "version_conflict",
        actualVersion: 2,
      });
      expect(await auditCount(w, "d1")).toBe(1);
      // The same event id stored for another draft does not count.
      const other = draftOf(w, "d2");
      const otherEvent = eventFor(other);
      expect(await store.insert(withDocument({ draft: other, event: otherEvent, idempotency: null }))).toEqual({
        ok: true,
      });
      const v3 = next(v2, { type: "update_provider_connection", connectionId: "c1" });
      expect(
        await store.commit(
          withDocument({
            draft: v3,
            expectedVersion: 1,
            events: [{ ...eventFor(v3), eventId: otherEvent.eventId }],
            idempotency: null,
          }),
        ),
      ).toEqual({
        ok: false,
        reason: "version_conflict",
        actualVersion: 2,
      });
    });

    it("insert: the second identical insert reports { ok: true } and writes nothing", async () => {
      const w = ws();
      const d = draftOf(w, "d1", "t1");
      const input = withDocument({
        draft: d,
        event: eventFor(d),
        idempotency: idempotencyFor(d, "k-create", "create"),
      });
      expect(await store.insert(input)).toEqual({ ok: true });
      expect(await store.insert(input)).toEqual({ ok: true });
      expect(await auditCount(w, "d1")).toBe(1);
      // After the draft moved on (and left its tenant slot), the re-sent insert is still applied.
      const cancelled = next(d, { type: "cancel", reason: null });
      expect(
        await store.commit(
          withDocument({ draft: cancelled, expectedVersion: 1, events: [eventFor(cancelled)], idempotency: null }),
        ),
      ).toEqual({ ok: true });
      await insertOk(draftOf(w, "d2", "t1"));
      expect(await store.insert(input)).toEqual({ ok: true });
      expect(versionTrail(await store.listAudit(w, "d1"))).toEqual([1, 2]);
      expect(storedDraft(await store.load(w, "d1")).lifecycle.state).toBe("cancelled");
      // A new insert of the same id (another event) is still draft_exists.
      expect(await store.insert(withDocument({ ...input, event: eventFor(d) }))).toEqual({
        ok: false,
        reason: "draft_exists",
      });
    });
  });

  describe("ids are compared exactly", () => {
    // Look-alike ids (case, trailing space, NFC/NFD, astral characters) kept apart: the kit's
    // isolation section checks it on every adapter; this adapter's part is the column types.
    it("stores every id, tenant id and key column as VARBINARY", async () => {
      const t = mysqlTableNames(prefix);
      const columns = await raw(
        "SELECT `TABLE_NAME` AS t, `COLUMN_NAME` AS c, `COLUMN_TYPE` AS type FROM information_schema.COLUMNS " +
          "WHERE `TABLE_SCHEMA` = DATABASE() AND `TABLE_NAME` IN (?, ?, ?)",
        [t.drafts, t.audit, t.idempotency],
      );
      const typeOf = (table: string, column: string): string =>
        String(columns.find((row) => row["t"] === table && row["c"] === column)?.["type"]);
      for (const column of ["workspace_id", "id", "tenant_id", "open_tenant_id"])
        expect(typeOf(t.drafts, column), column).toBe("varbinary(512)");
      for (const column of ["workspace_id", "draft_id", "event_id"])
        expect(typeOf(t.audit, column), column).toBe("varbinary(512)");
      expect(typeOf(t.idempotency, "workspace_id")).toBe("varbinary(512)");
      expect(typeOf(t.idempotency, "idempotency_key")).toBe("varbinary(1020)");
    });
  });

  describe("versions up to 2^31-1", () => {
    const MAX = 2_147_483_647;

    it("commits to version 2147483647 and stores audit entries carrying it", async () => {
      const w = ws();
      const t = mysqlTableNames(prefix);
      const v1 = draftOf(w, "d1", "t1");
      await insertOk(v1);
      // Fast-forward the stored record to MAX - 1 (document and column together).
      const before: OnboardingDraft = { ...v1, version: MAX - 1 };
      await raw(
        `UPDATE \`${t.drafts}\` SET \`version\` = ?, \`document\` = ? WHERE \`workspace_id\` = ? AND \`id\` = ?`,
        [MAX - 1, encodeDraft(before), w, "d1"],
      );
      expect(storedDraft(await store.load(w, "d1")).version).toBe(MAX - 1);
      const last = next(before, { type: "select_provider", connectionId: "c1" });
      expect(last.version).toBe(MAX);
      expect(
        await store.commit(
          withDocument({
            draft: last,
            expectedVersion: MAX - 1,
            events: [eventFor(last)],
            idempotency: idempotencyFor(last, "k-max"),
          }),
        ),
      ).toEqual({ ok: true });
      expect(storedDraft(await store.load(w, "d1")).version).toBe(MAX);
      expect(storedDraft(await store.findOpenDraft(w, "t1")).version).toBe(MAX);
      expect(storedDraft((await store.list(w, { limit: 1 })).drafts[0]).version).toBe(MAX);
      expect(((await store.loadIdempotency(w, "k-max")) as IdempotencyRecord).outcome.version).toBe(MAX);
      const stale = next(before, { type: "select_provider", connectionId: "c2" });
      expect(
        await store.commit(
          withDocument({ draft: stale, expectedVersion: MAX - 1, events: [eventFor(stale)], idempotency: null }),
        ),
      ).toEqual({
        ok: false,
        reason: "version_conflict",
        actualVersion: MAX,
      });
      await store.appendAudit([
        eventFor(last, {
          kind: "conflict",
          eventId: "x-max",
          toVersion: null,
          expectedVersion: MAX,
          actualVersion: MAX,
        }),
      ]);
      const audit = (await store.listAudit(w, "d1")).map(({ event }) => event) as AuditEvent[];
      expect(audit.map((event) => event.toVersion)).toEqual([1, MAX, null]);
      expect(audit[1]?.fromVersion).toBe(MAX - 1);
      expect(audit[2]).toMatchObject({ expectedVersion: MAX, actualVersion: MAX });
      const [row] = await raw(
        `SELECT \`from_version\`, \`to_version\` FROM \`${t.audit}\` WHERE \`workspace_id\` = ? AND \`kind\` = 'committed'`,
        [w],
      );
      expect(row).toEqual({ from_version: MAX - 1, to_version: MAX });
    });
  });

  describe("pruneIdempotency on the concrete type", () => {
    it("is a required method taking the port's cut-off", async () => {
      expectTypeOf(store.pruneIdempotency).toEqualTypeOf<(before: string) => Promise<number>>();
      expectTypeOf<Parameters<MySqlStore["pruneIdempotency"]>>().toEqualTypeOf<
        Parameters<NonNullable<DraftStore["pruneIdempotency"]>>
      >();
      // Called without `?.`: a compile error (TS2722) if the method were optional.
      expect(await store.pruneIdempotency("1970-01-01T00:00:00.000Z")).toBe(0);
    });
  });

  describe("driver failures", () => {
    it("are wrapped in StoreError", async () => {
      const missing = createMySqlStore({ pool, tablePrefix: `${prefix}never_migrated_` });
      const d = draftOf(ws(), "d1", "t1");
      await expect(missing.load("w", "d")).rejects.toBeInstanceOf(StoreError);
      await expect(
        missing.insert(withDocument({ draft: d, event: eventFor(d), idempotency: null })),
      ).rejects.toBeInstanceOf(StoreError);
      await expect(
        missing.commit(withDocument({ draft: d, expectedVersion: 1, events: [], idempotency: null })),
      ).rejects.toBeInstanceOf(StoreError);
      await expect(missing.list("w", { limit: 1 })).rejects.toBeInstanceOf(StoreError);
      await expect(missing.appendAudit([eventFor(d)])).rejects.toBeInstanceOf(StoreError);

      const unreachable = createMySqlStore({ connection: { ...MYSQL_OPTIONS, port: 1, connectTimeout: 500 } });
      await expect(unreachable.load("w", "d")).rejects.toBeInstanceOf(StoreError);
      await expect(
        unreachable.commit(withDocument({ draft: d, expectedVersion: 1, events: [], idempotency: null })),
      ).rejects.toBeInstanceOf(StoreError);
      await unreachable.close();
    });

    it("recovers when the server killed an idle pooled connection", async () => {
      const single = testPool(1);
      try {
        const own = createMySqlStore({ pool: single, tablePrefix: prefix });
        const w = ws();
        const v1 = draftOf(w, "d1", "t1");
        expect(await own.insert(withDocument({ draft: v1, event: eventFor(v1), idempotency: null }))).toEqual({
          ok: true,
        });
        const [[row]] = (await single.query("SELECT CONNECTION_ID() AS id")) as unknown as [[{ id: number }]];
        await pool.query(`KILL CONNECTION ${Number(row.id)}`);
        await new Promise((resolve) => setTimeout(resolve, 200));
        const v2 = next(v1, { type: "select_provider", connectionId: "c1" });
        expect(
          await own.commit(withDocument({ draft: v2, expectedVersion: 1, events: [eventFor(v2)], idempotency: null })),
        ).toEqual({
          ok: true,
        });
        expect(storedDraft(await own.load(w, "d1")).version).toBe(2);
      } finally {
        await single.end();
      }
    });

    it("a store that opened its own pool ends it on close(); a caller's pool stays open", async () => {
      const own = createMySqlStore({ connection: MYSQL_OPTIONS, tablePrefix: prefix });
      const w = ws();
      const d = draftOf(w, "own", "t1");
      expect(await own.insert(withDocument({ draft: d, event: eventFor(d), idempotency: null }))).toEqual({ ok: true });
      expect(storedDraft(await own.load(w, "own")).id).toBe("own");
      await own.close();
      await own.close();
      await expect(own.load(w, "own")).rejects.toBeInstanceOf(StoreError);

      const borrowed = createMySqlStore({ pool, tablePrefix: prefix });
      await borrowed.close();
      expect(storedDraft(await store.load(w, "own")).id).toBe("own");
    });
  });
});
