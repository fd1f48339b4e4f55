/**
 * PostgreSQL adapter: what is specific to this adapter (DDL, one-statement CAS, unique-violation
 * mapping, corruption, hostile strings, prefixes, listing, joining a caller's transaction).
 * The shared promises are checked by postgres.conformance.test.ts.
 */
import { withDocument, storedDraft } from "../../src/testing/index.js";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createPostgresStore,
  postgresDropSchemaSql,
  postgresMigrations,
  postgresSchemaSql,
  postgresSchemaStatements,
  postgresTableNames,
  type PostgresStore,
} from "../../src/adapters/postgres/index.js";
import { createOnboardingEngine } from "../../src/index.js";
import { encodeDraft } from "../../src/lifecycle/index.js";
import { ConfigurationError, CorruptRecordError, StoreError, VersionConflictError } from "../../src/record/index.js";
import { serviceAvailable, uniqueSuffix } from "../support/services.js";
import {
  POSTGRES_URL,
  draftFor,
  dropTables,
  eventFor,
  idempotencyFor,
  migratedStore,
  next,
  probePostgres,
  testPool,
  uniquePrefix,
} from "./fixtures/postgres-support.js";
import { expectListOptionChecks } from "../support/list-options.js";
import { expectRunIdsRoundTrip } from "../support/run-ids.js";

const up = await serviceAvailable("PostgreSQL", probePostgres);
const actor = { id: "u1" };
const MAX_VERSION = 2_147_483_647; // 2^31 - 1: the engine's cap and PostgreSQL's `integer` maximum

/** Terminates every backend tagged `applicationName` from another connection; resolves once they are gone. */
async function terminateBackends(pool: pg.Pool, applicationName: string): Promise<number> {
  // Pids first, then terminate by pid: never let the planner call pg_terminate_backend on other rows.
  const pids = (
    await pool.query<{ pid: number }>("SELECT pid FROM pg_stat_activity WHERE application_name = $1", [applicationName])
  ).rows;
  let killed = 0;
  for (const { pid } of pids) {
    const result = await pool.query<{ done: boolean }>("SELECT pg_terminate_backend($1::integer) AS done", [pid]);
    if (result.rows[0]?.done === true) killed += 1;
  }
  for (let attempt = 0; attempt < 100; attempt += 1) {
    const left = await pool.query("SELECT 1 FROM pg_stat_activity WHERE application_name = $1", [applicationName]);
    if (left.rows.length === 0) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return killed;
}

/** How many server connections carry `applicationName`. */
async function backendsOf(pool: pg.Pool, applicationName: string): Promise<number> {
  return (await pool.query("SELECT 1 FROM pg_stat_activity WHERE application_name = $1", [applicationName])).rows
    .length;
}

/** A `pg.Client` that records every statement text it is asked to run. */
class RecordingClient extends pg.Client {
  readonly texts: string[] = [];
  override query(...args: unknown[]): never {
    const first = args[0];
    this.texts.push(typeof first === "string" ? first : (first as { text: string }).text);
    return (super.query as (...rest: unknown[]) => never)(...args);
  }
}

describe.skipIf(!up)("postgres adapter", () => {
  let pool: pg.Pool;
  let store: PostgresStore;
  const prefix = uniquePrefix("store");
  const ws = (label: string): string => `ws-${label}-${Math.random().toString(36).slice(2)}`;

  beforeAll(async () => {
    pool = testPool();
    store = await migratedStore(pool, prefix);
  });

  afterAll(async () => {
    await dropTables(pool, prefix);
    await pool.end();
  });

  describe("schema", () => {
    it("migrate() is idempotent: running it twice changes nothing and keeps data", async () => {
      const w = ws("migrate");
      const draft = draftFor(w, "d1");
      expect(await store.insert(withDocument({ draft, event: eventFor(draft), idempotency: null }))).toEqual({
        ok: true,
      });
      await store.migrate();
      await store.migrate();
      expect(storedDraft(await store.load(w, "d1"))).toEqual(draft);
      const indexes = await pool.query<{ indexname: string }>(
        "SELECT indexname FROM pg_indexes WHERE tablename = $1 ORDER BY indexname",
        [`${prefix}drafts`],
      );
      expect(indexes.rows.map((row) => row.indexname)).toEqual(
        [
          `${prefix}d_created`,
          `${prefix}d_open_tenant`,
          `${prefix}d_pk`,
          `${prefix}d_state`,
          `${prefix}d_tenant`,
        ].sort(),
      );
    });

    it("migrate() runs the numbered migrations' statements in order; the latest DDL text applies as one script", async () => {
      const own = uniquePrefix("ddl");
      const client = new RecordingClient({ connectionString: POSTGRES_URL });
      await client.connect();
      try {
        const recorder = createPostgresStore({ client, tablePrefix: own });
        await recorder.migrate();
        const statements = postgresMigrations(own).flatMap((migration) => migration.statements);
        expect(client.texts.filter((text) => statements.includes(text))).toEqual(statements);
        expect(
          postgresSchemaStatements(own)
            .map((text) => `${text};\n`)
            .join("\n"),
        ).toBe(postgresSchemaSql(own));
        // The exported text applies as one script too (as a migration tool would run it), twice.
        const other = uniquePrefix("ddl2");
        await (client.query(postgresSchemaSql(other)) as Promise<unknown>);
        await (client.query(postgresSchemaSql(other)) as Promise<unknown>);
        await (client.query(postgresDropSchemaSql(other)) as Promise<unknown>);
      } finally {
        await (client.query(postgresDropSchemaSql(own)) as Promise<unknown>);
        await client.end();
      }
      expect(postgresSchemaSql()).toContain('CREATE TABLE IF NOT EXISTS "onboarding_drafts"');
      expect(postgresSchemaSql()).not.toMatch(/serial|identity|sequence|advisory|collate/i);
    });

    it("rejects invalid table prefixes before touching the database", () => {
      for (const bad of ["", "1abc", "bad-prefix", 'x"; drop table x; --', "a b", "é_", "x".repeat(49), "ok;"]) {
        expect(() => createPostgresStore({ pool, tablePrefix: bad }), bad).toThrow(ConfigurationError);
        expect(() => postgresSchemaSql(bad), bad).toThrow(ConfigurationError);
      }
      expect(postgresTableNames("x".repeat(48)).drafts).toBe(`"${"x".repeat(48)}drafts"`);
      expect(() => createPostgresStore({} as never)).toThrow(ConfigurationError);
      expect(() => createPostgresStore({ pool, client: {} } as never)).toThrow(ConfigurationError);
      expect(() => createPostgresStore({ pool, maxAttempts: 0 })).toThrow(ConfigurationError);
    });

    it("accepts a 48-character prefix (names stay within PostgreSQL's 63-byte limit)", async () => {
      const long = `L${Math.random().toString(36).slice(2, 8)}`.padEnd(48, "_");
      const longStore = await migratedStore(pool, long);
      try {
        const w = ws("long");
        const draft = draftFor(w, "d1");
        expect(await longStore.insert(withDocument({ draft, event: eventFor(draft), idempotency: null }))).toEqual({
          ok: true,
        });
        const dup = draftFor(w, "d2", draft.identity?.tenantId ?? null);
        expect(await longStore.insert(withDocument({ draft: dup, event: eventFor(dup), idempotency: null }))).toEqual({
          ok: false,
          reason: "open_draft_exists",
          existingDraftId: "d1",
        });
      } finally {
        await dropTables(pool, long);
      }
    });
  });

  describe("compare-and-set", () => {
    it("commits in exactly one round trip and rejects a stale version with the actual version, writing nothing", async () => {
      const w = ws("cas");
      const client = new RecordingClient({ connectionString: POSTGRES_URL });
      await client.connect();
      try {
        const s = createPostgresStore({ client, tablePrefix: prefix });
        const v1 = draftFor(w, "d1");
        expect(await s.insert(withDocument({ draft: v1, event: eventFor(v1), idempotency: null }))).toEqual({
          ok: true,
        });
        expect(client.texts).toHaveLength(1);
        const v2 = next(v1, { type: "select_provider", connectionId: "c1" });
        client.texts.length = 0;
        expect(
          await s.commit(
            withDocument({
              draft: v2,
              expectedVersion: 1,
              events: [eventFor(v2)],
              idempotency: idempotencyFor(v2, "k1"),
            }),
          ),
        ).toEqual({ ok: true });
        expect(client.texts).toHaveLength(1);
        expect(client.texts[0]).toMatch(/^WITH updated AS \(\s*UPDATE/);

        const stale = next(v1, { type: "select_provider", connectionId: "c2" });
        expect(
          await s.commit(
            withDocument({
              draft: stale,
              expectedVersion: 1,
              events: [eventFor(stale)],
              idempotency: idempotencyFor(stale, "k2"),
            }),
          ),
        ).toMatchObject({
          ok: false,
          reason: "version_conflict",
          actualVersion: 2,
        });
        expect(storedDraft(await s.load(w, "d1"))).toEqual(v2);
        expect(
          (await s.listAudit(w, "d1")).map(({ event }) => event).map((e) => (e as { toVersion: number }).toVersion),
        ).toEqual([1, 2]);
        expect(await s.loadIdempotency(w, "k2")).toBeNull();
        expect(await s.loadIdempotency(w, "k1")).toMatchObject({ key: "k1", outcome: { version: 2 } });

        // Without prepared statements (for poolers that lack them) the statement is the same.
        const unprepared = createPostgresStore({ client, tablePrefix: prefix, preparedStatements: false });
        const v3 = next(v2, { type: "select_provider", connectionId: "c3" });
        client.texts.length = 0;
        expect(
          await unprepared.commit(
            withDocument({ draft: v3, expectedVersion: 2, events: [eventFor(v3)], idempotency: null }),
          ),
        ).toEqual({ ok: true });
        expect(client.texts).toHaveLength(1);
        expect(storedDraft(await unprepared.load(w, "d1"))).toEqual(v3);
      } finally {
        await client.end();
      }
    });

    it("reports actualVersion null for a missing draft, and a draft of another workspace is missing", async () => {
      const w = ws("missing");
      const v1 = draftFor(w, "d1");
      const v2 = next(v1, { type: "select_provider", connectionId: "c1" });
      expect(
        await store.commit(withDocument({ draft: v2, expectedVersion: 1, events: [eventFor(v2)], idempotency: null })),
      ).toMatchObject({
        ok: false,
        reason: "version_conflict",
        actualVersion: null,
      });
      await store.insert(withDocument({ draft: v1, event: eventFor(v1), idempotency: null }));
      const elsewhere = { ...v2, workspaceId: ws("other") };
      const result = await store.commit(
        withDocument({
          draft: elsewhere,
          expectedVersion: 1,
          events: [{ ...eventFor(v2), workspaceId: elsewhere.workspaceId }],
          idempotency: null,
        }),
      );
      expect(result).toMatchObject({ ok: false, reason: "version_conflict", actualVersion: null });
      expect(await store.load(elsewhere.workspaceId, "d1")).toBeNull();
      expect(await store.listAudit(elsewhere.workspaceId, "d1")).toEqual([]);
    });

    it("maps a duplicate idempotency key to idempotency_key_exists and writes nothing", async () => {
      const w = ws("idem");
      const a = draftFor(w, "a");
      const b = draftFor(w, "b");
      await store.insert(withDocument({ draft: a, event: eventFor(a), idempotency: idempotencyFor(a, "shared") }));
      expect(
        await store.insert(withDocument({ draft: b, event: eventFor(b), idempotency: idempotencyFor(b, "shared") })),
      ).toEqual({
        ok: false,
        reason: "idempotency_key_exists",
      });
      expect(await store.load(w, "b")).toBeNull();
      expect(await store.listAudit(w, "b")).toEqual([]);
      const a2 = next(a, { type: "select_provider", connectionId: "c1" });
      expect(
        await store.commit(
          withDocument({
            draft: a2,
            expectedVersion: 1,
            events: [eventFor(a2)],
            idempotency: idempotencyFor(a2, "shared"),
          }),
        ),
      ).toEqual({
        ok: false,
        reason: "idempotency_key_exists",
      });
      expect(storedDraft(await store.load(w, "a")).version).toBe(1);
      expect(await store.listAudit(w, "a")).toHaveLength(1);
      expect(await store.loadIdempotency(w, "shared")).toMatchObject({ draftId: "a", outcome: { version: 1 } });
    });

    it("maps the open-draft unique index to open_draft_exists (insert and commit) and writes nothing", async () => {
      const w = ws("open");
      const a = draftFor(w, "a", "t1");
      await store.insert(withDocument({ draft: a, event: eventFor(a), idempotency: null }));
      const b = draftFor(w, "b", "t1");
      expect(await store.insert(withDocument({ draft: b, event: eventFor(b), idempotency: null }))).toEqual({
        ok: false,
        reason: "open_draft_exists",
        existingDraftId: "a",
      });
      // A draft without identity occupies no slot; identifying it as t1 collides on commit.
      const c = draftFor(w, "c", null);
      expect(await store.insert(withDocument({ draft: c, event: eventFor(c), idempotency: null }))).toEqual({
        ok: true,
      });
      const c2 = next(c, { type: "identify", tenantId: "t1", displayName: "Again" });
      expect(
        await store.commit(
          withDocument({
            draft: c2,
            expectedVersion: 1,
            events: [eventFor(c2)],
            idempotency: idempotencyFor(c2, "kc"),
          }),
        ),
      ).toEqual({
        ok: false,
        reason: "open_draft_exists",
        existingDraftId: "a",
      });
      expect(storedDraft(await store.load(w, "c")).version).toBe(1);
      expect(await store.listAudit(w, "c")).toHaveLength(1);
      expect(await store.loadIdempotency(w, "kc")).toBeNull();
      // Cancelling a frees the slot; the same tenant in another workspace never collides.
      const a2 = next(a, { type: "cancel" });
      expect(
        await store.commit(withDocument({ draft: a2, expectedVersion: 1, events: [eventFor(a2)], idempotency: null })),
      ).toEqual({
        ok: true,
      });
      expect(
        await store.commit(withDocument({ draft: c2, expectedVersion: 1, events: [eventFor(c2)], idempotency: null })),
      ).toEqual({
        ok: true,
      });
      expect(storedDraft(await store.findOpenDraft(w, "t1")).id).toBe("c");
      const other = draftFor(ws("open-other"), "x", "t1");
      expect(await store.insert(withDocument({ draft: other, event: eventFor(other), idempotency: null }))).toEqual({
        ok: true,
      });
    });

    it("keeps audit entries in append order, including entries appended before the draft existed", async () => {
      const w = ws("order");
      const v1 = draftFor(w, "d1");
      await store.appendAudit([{ ...eventFor(v1, "denied"), fromVersion: null, toVersion: null }]);
      await store.insert(withDocument({ draft: v1, event: eventFor(v1), idempotency: null }));
      await store.appendAudit([eventFor(v1, "conflict"), eventFor(v1, "denied")]);
      const v2 = next(v1, { type: "select_provider", connectionId: "c1" });
      await store.commit(withDocument({ draft: v2, expectedVersion: 1, events: [eventFor(v2)], idempotency: null }));
      const kinds = (await store.listAudit(w, "d1")).map(({ event }) => event).map((e) => (e as { kind: string }).kind);
      expect(kinds).toEqual(["denied", "created", "conflict", "denied", "committed"]);
    });
  });

  describe("through the engine", () => {
    it("reads a hand-edited row of invalid shape (or invalid JSON) as CorruptRecordError", async () => {
      const w = ws("corrupt");
      const engine = createOnboardingEngine({ store, authorize: () => true });
      const { draft } = await engine.create(w, { identity: { tenantId: "t", displayName: "Contoso" } }, { actor });
      const edit = (document: string) =>
        pool.query(`UPDATE ${store.tables.drafts} SET document = $1 WHERE workspace_id = $2 AND id = $3`, [
          document,
          w,
          draft.id,
        ]);
      await edit(JSON.stringify({ ...draft, version: "seven", identity: { tenantId: 5 } }));
      await expect(engine.get(w, draft.id, { actor })).rejects.toBeInstanceOf(CorruptRecordError);
      await expect(
        engine.execute(w, draft.id, { type: "select_provider", connectionId: "c" }, { actor, expectedVersion: 1 }),
      ).rejects.toBeInstanceOf(CorruptRecordError);
      await edit('{"id": "truncated');
      const error = await engine.get(w, draft.id, { actor }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CorruptRecordError);
      expect((error as CorruptRecordError).recordId).toBe(draft.id);
      await expect(engine.list(w, { actor })).rejects.toBeInstanceOf(CorruptRecordError);
      await edit("null"); // a row that exists is never "not found"
      await expect(engine.get(w, draft.id, { actor })).rejects.toBeInstanceOf(CorruptRecordError);
    });

    const hostile = [
      'O\'Brien "quoted" `back` $1 $$tag$$',
      "'; drop table x; --",
      `'); DROP TABLE ${prefix}drafts; --`,
      "back\\slash \\\\ \\' \\\" \\n \\u0000-not-a-nul",
      "ünïcødé ✓ 漢字 🚀 👩‍👩‍👧 \u200b\u202e rtl",
      "\u0001\u0002\u0007\u001b[31m\u007f\u00ff binary-looking \uFFFD\uFFFE",
      "x".repeat(4096),
      "🚀".repeat(2048),
      "{\"json\": [1, 2]} /* comment */ E'\\x41'",
    ];

    /** The first `n` UTF-16 units of `text`, never ending inside a surrogate pair. */
    const cut = (text: string, n: number): string =>
      /[\uD800-\uDBFF]$/.test(text.slice(0, n)) ? text.slice(0, n - 1) : text.slice(0, n);

    it("round-trips hostile strings unchanged (documents, audit columns, ids)", async () => {
      const w = ws("hostile");
      const engine = createOnboardingEngine({ store, authorize: () => true });
      for (const [index, text] of hostile.entries()) {
        const id = `d-${index}-${cut(text, 40)}`;
        const hostileActor = { id: cut(text, 128) };
        const { draft } = await engine.create(
          w,
          { id, identity: { tenantId: `${index}:${cut(text, 100)}`, displayName: text } },
          { actor: hostileActor, idempotencyKey: cut(text, 255) },
        );
        const loaded = await engine.get(w, id, { actor });
        expect(loaded.identity?.displayName).toBe(text);
        expect(encodeDraft(loaded)).toBe(encodeDraft(draft));
        const result = await engine.execute(
          w,
          id,
          { type: "select_provider", connectionId: cut(text, 128) },
          {
            actor: hostileActor,
            expectedVersion: 1,
          },
        );
        expect(encodeDraft(await engine.get(w, id, { actor }))).toBe(encodeDraft(result.draft));
        const history = (await engine.history(w, id, { actor })).entries;
        expect(history.map((e) => e.actorId)).toEqual([cut(text, 128), cut(text, 128)]);
        expect(history[0]?.idempotencyKey).toBe(cut(text, 255));
        expect(storedDraft(await store.findOpenDraft(w, `${index}:${cut(text, 100)}`)).id).toBe(id);
      }
      // A workspace id full of SQL still only sees itself.
      const evil = "w'; DELETE FROM x; --";
      await engine.create(evil, { identity: { tenantId: "t", displayName: "n" } }, { actor });
      expect((await engine.list(evil, { actor })).drafts).toHaveLength(1);
      expect((await engine.list(w, { actor })).drafts).toHaveLength(hostile.length);
    });

    it("lists with keyset pagination on (createdAt, id), with and without a state filter", async () => {
      const w = ws("list");
      let tick = 0;
      const engine = createOnboardingEngine({
        store,
        authorize: () => true,
        // Several drafts share a timestamp, so the id tie-break is exercised.
        clock: { now: () => Date.UTC(2026, 0, 1) + Math.floor((tick += 1) / 3) * 1000 },
      });
      const created: { id: string; createdAt: string; state: string }[] = [];
      for (let i = 0; i < 13; i += 1) {
        const { draft } = await engine.create(
          w,
          { id: `d-${String(12 - i).padStart(2, "0")}`, identity: { tenantId: `t${i}`, displayName: "n" } },
          { actor },
        );
        let current = draft;
        if (i % 3 === 0)
          current = (await engine.execute(w, draft.id, { type: "cancel" }, { actor, expectedVersion: 1 })).draft;
        created.push({ id: current.id, createdAt: current.createdAt, state: current.lifecycle.state });
      }
      const order = (a: { id: string; createdAt: string }, b: { id: string; createdAt: string }): number =>
        a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
      const pages = async (state?: "draft" | "cancelled"): Promise<string[][]> => {
        const result: string[][] = [];
        let cursor: string | null = null;
        do {
          const page = await store.list(w, {
            limit: 2,
            ...(state === undefined ? {} : { state }),
            ...(cursor === null ? {} : { cursor }),
          });
          result.push(page.drafts.map((d) => storedDraft(d).id));
          cursor = page.nextCursor;
        } while (cursor !== null && result.length < 20);
        return result;
      };
      const all = await pages();
      expect(all.flat()).toEqual([...created].sort(order).map((d) => d.id));
      expect(all.slice(0, -1).every((page) => page.length === 2)).toBe(true);
      const cancelled = await pages("cancelled");
      expect(cancelled.flat()).toEqual(
        created
          .filter((d) => d.state === "cancelled")
          .sort(order)
          .map((d) => d.id),
      );
      const drafts = await pages("draft");
      expect(drafts.flat()).toEqual(
        created
          .filter((d) => d.state === "draft")
          .sort(order)
          .map((d) => d.id),
      );
      expect((await store.list(w, { limit: 500, state: "completed" })).drafts).toEqual([]);
      expect((await store.list(w, { limit: 13 })).nextCursor).toBeNull();
      // A malformed cursor is the store's to refuse; limit and state are checked by the engine.
      await expectListOptionChecks(store, w);
      // The index for state listings is used (not a sequential scan) once the planner has stats.
      const plan = await pool.query<{ "QUERY PLAN": string }>(
        `EXPLAIN SELECT id FROM ${store.tables.drafts} WHERE workspace_id = 'x' AND state = 'draft' AND (created_at, id) > ('a', 'b') ORDER BY created_at, id LIMIT 3`,
      );
      expect(plan.rows.map((row) => row["QUERY PLAN"]).join("\n")).toMatch(/Index/);
    });

    it("joins a caller's transaction: rollback undoes the commit, a rejection keeps the transaction usable", async () => {
      const w = ws("tx");
      const engine = createOnboardingEngine({ store, authorize: () => true });
      const { draft } = await engine.create(w, { identity: { tenantId: "t", displayName: "n" } }, { actor });
      const client = await pool.connect();
      try {
        await client.query("BEGIN");
        const joined = createOnboardingEngine({ store: store.joinTransaction(client), authorize: () => true });
        const result = await joined.execute(
          w,
          draft.id,
          { type: "select_provider", connectionId: "c1" },
          { actor, expectedVersion: 1 },
        );
        expect(result.version).toBe(2);
        expect((await joined.get(w, draft.id, { actor })).version).toBe(2); // visible inside the transaction
        expect((await engine.get(w, draft.id, { actor })).version).toBe(1); // not outside
        // A stale write inside the transaction is rejected without aborting it.
        await expect(
          joined.execute(w, draft.id, { type: "select_provider", connectionId: "c2" }, { actor, expectedVersion: 1 }),
        ).rejects.toBeInstanceOf(VersionConflictError);
        await client.query("SELECT 1");
        await client.query("ROLLBACK");
      } finally {
        client.release();
      }
      expect((await engine.get(w, draft.id, { actor })).version).toBe(1);
      expect((await engine.history(w, draft.id, { actor })).entries.map((e) => e.kind)).toEqual(["created"]);

      // The same with COMMIT keeps everything, including the conflict entry.
      const again = await pool.connect();
      try {
        await again.query("BEGIN");
        const joined = createOnboardingEngine({
          store: createPostgresStore({ client: again, inTransaction: true, tablePrefix: prefix }),
          authorize: () => true,
        });
        await joined.execute(
          w,
          draft.id,
          { type: "select_provider", connectionId: "c1" },
          { actor, expectedVersion: 1 },
        );
        const b = draftFor(w, "other", "t");
        expect(
          await store.joinTransaction(again).insert(withDocument({ draft: b, event: eventFor(b), idempotency: null })),
        ).toMatchObject({
          reason: "open_draft_exists",
        });
        await again.query("COMMIT");
      } finally {
        again.release();
      }
      expect((await engine.get(w, draft.id, { actor })).version).toBe(2);
      expect((await engine.history(w, draft.id, { actor })).entries.map((e) => e.kind)).toEqual([
        "created",
        "committed",
      ]);
    });
  });

  describe("run ids", () => {
    it("stores an entry's runIds as an array (run_ids), ids with commas included", async () => {
      await expectRunIdsRoundTrip(store, `runs-${uniqueSuffix()}`);
    });
  });

  describe("driver failures", () => {
    it("wraps driver errors in StoreError (missing tables, unreachable server) and opens/closes its own pool", async () => {
      const missing = createPostgresStore({ pool, tablePrefix: uniquePrefix("missing") });
      const error = await missing.load("w", "d").catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StoreError);
      expect((error as StoreError).adapter).toBe("postgres");
      expect((error as StoreError).operation).toBe("load");
      const draft = draftFor("w", "d");
      await expect(
        missing.insert(withDocument({ draft, event: eventFor(draft), idempotency: null })),
      ).rejects.toBeInstanceOf(StoreError);

      const unreachable = createPostgresStore({
        connection: { connectionString: "postgres://postgres@127.0.0.1:1/test", connectionTimeoutMillis: 1000 },
      });
      await expect(unreachable.list("w", { limit: 1 })).rejects.toBeInstanceOf(StoreError);
      await unreachable.close();

      const own = createPostgresStore({ connection: POSTGRES_URL, tablePrefix: prefix });
      expect(await own.load("nobody", "nothing")).toBeNull();
      await own.close();
      await own.close();
    });
  });

  describe("a store that owns its pool", () => {
    it("survives the server closing an idle pooled connection: onError hears it and the next call reconnects", async () => {
      const applicationName = `ol_idle_${Math.random().toString(36).slice(2, 10)}`;
      const heard: Error[] = [];
      let notify: () => void = () => undefined;
      const errored = new Promise<void>((resolve) => (notify = resolve));
      const own = createPostgresStore({
        connection: { connectionString: POSTGRES_URL, application_name: applicationName, max: 1 },
        tablePrefix: prefix,
        onError: (error) => {
          heard.push(error);
          notify();
        },
      });
      try {
        const w = ws("idle");
        const draft = draftFor(w, "d1");
        expect(await own.insert(withDocument({ draft, event: eventFor(draft), idempotency: null }))).toEqual({
          ok: true,
        });
        expect(await backendsOf(pool, applicationName)).toBe(1); // idle in the pool now
        expect(await terminateBackends(pool, applicationName)).toBe(1);
        await Promise.race([
          errored,
          new Promise((_, reject) => setTimeout(() => reject(new Error("no pool error")), 5_000)),
        ]);
        expect(heard).toHaveLength(1);
        expect(heard[0]).toBeInstanceOf(Error);
        // The dead connection is gone from the pool: the next call opens a new one and works.
        expect(storedDraft(await own.load(w, "d1"))).toEqual(draft);
        expect(await backendsOf(pool, applicationName)).toBe(1);
      } finally {
        await own.close();
      }
    });

    it("does not end the process without onError when the server closes an idle connection (child process)", async () => {
      const applicationName = `ol_idle_${Math.random().toString(36).slice(2, 10)}`;
      const child = spawn(
        process.execPath,
        [
          "--import",
          "tsx",
          fileURLToPath(new URL("./fixtures/postgres-idle-kill.ts", import.meta.url)),
          POSTGRES_URL,
          prefix,
          applicationName,
          "20000",
        ],
        { cwd: fileURLToPath(new URL("../..", import.meta.url)), stdio: ["pipe", "pipe", "pipe"] },
      );
      let out = "";
      let err = "";
      child.stderr.on("data", (chunk: Buffer) => (err += chunk.toString()));
      child.stdin.on("error", () => undefined); // the child may already be gone (that is the failure)
      const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
      const ready = new Promise<void>((resolve, reject) => {
        child.stdout.on("data", (chunk: Buffer) => {
          out += chunk.toString();
          if (out.includes("ready\n")) resolve();
        });
        void exited.then((code) => reject(new Error(`child exited early with ${code}\n${err}`)));
      });
      try {
        await ready;
        expect(await terminateBackends(pool, applicationName)).toBe(1);
        // Let the child receive the server's error before it is told to go on.
        await new Promise((resolve) => setTimeout(resolve, 300));
        child.stdin.write("go\n");
        const code = await Promise.race([
          exited,
          new Promise<never>((_, reject) => setTimeout(() => reject(new Error("child hung")), 20_000)),
        ]);
        expect(code, err).toBe(0);
        expect(JSON.parse(out.split("\n").filter((line) => line.startsWith("{"))[0] ?? "null")).toEqual({
          reloaded: true,
        });
      } finally {
        if (child.exitCode === null) child.kill("SIGKILL");
      }
    });

    it("rejects every call after close() with StoreError and opens no new connection; close() twice is fine", async () => {
      const applicationName = `ol_closed_${Math.random().toString(36).slice(2, 10)}`;
      const own = createPostgresStore({
        connection: { connectionString: POSTGRES_URL, application_name: applicationName },
        tablePrefix: prefix,
      });
      const w = ws("closed");
      const draft = draftFor(w, "d1");
      expect(await own.insert(withDocument({ draft, event: eventFor(draft), idempotency: null }))).toEqual({
        ok: true,
      });
      expect(storedDraft(await own.load(w, "d1"))).toEqual(draft);
      await own.close();
      await own.close();
      // The ended pool's backend takes a moment to leave pg_stat_activity.
      for (let attempt = 0; attempt < 100 && (await backendsOf(pool, applicationName)) > 0; attempt += 1) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(await backendsOf(pool, applicationName)).toBe(0);
      const v2 = next(draft, { type: "select_provider", connectionId: "c1" });
      const calls: [string, () => Promise<unknown>][] = [
        ["migrate", () => own.migrate()],
        ["load", () => own.load(w, "d1")],
        ["findOpenDraft", () => own.findOpenDraft(w, "tenant-d1")],
        ["loadIdempotency", () => own.loadIdempotency(w, "k")],
        ["listAudit", () => own.listAudit(w, "d1")],
        ["list", () => own.list(w, { limit: 10 })],
        ["pruneIdempotency", () => own.pruneIdempotency(new Date().toISOString())],
        [
          "insert",
          () =>
            own.insert(
              withDocument({ draft: draftFor(w, "d2"), event: eventFor(draftFor(w, "d2")), idempotency: null }),
            ),
        ],
        [
          "commit",
          () => own.commit(withDocument({ draft: v2, expectedVersion: 1, events: [eventFor(v2)], idempotency: null })),
        ],
        ["appendAudit", () => own.appendAudit([eventFor(draft, "denied")])],
      ];
      for (const [operation, call] of calls) {
        const error = await call().then(
          () => null,
          (e: unknown) => e,
        );
        expect(error, operation).toBeInstanceOf(StoreError);
        expect((error as StoreError).operation, operation).toBe(operation);
        expect(((error as StoreError).cause as Error).message, operation).toBe("the store is closed");
      }
      expect(await backendsOf(pool, applicationName)).toBe(0); // no call opened a connection
      // Nothing was written after close().
      expect(await store.listAudit(w, "d1")).toHaveLength(1);
      expect(await store.load(w, "d2")).toBeNull();
    });
  });

  describe("version column and document", () => {
    it("reports a version column that disagrees with the document as CorruptRecordError (load, findOpenDraft, list, engine.get)", async () => {
      const w = ws("version");
      const engine = createOnboardingEngine({ store, authorize: () => true });
      const { draft } = await engine.create(w, { identity: { tenantId: "tv", displayName: "Contoso" } }, { actor });
      expect((await engine.get(w, draft.id, { actor })).version).toBe(1); // cached now: the cache hit is checked too
      await pool.query(`UPDATE ${store.tables.drafts} SET version = 7 WHERE workspace_id = $1 AND id = $2`, [
        w,
        draft.id,
      ]);
      // The store hands the column back beside the document; the engine (warm cache and cold) refuses it.
      expect((await store.load(w, draft.id))?.version).toBe(7);
      const loaded = await store
        .load(w, draft.id)
        .then(storedDraft)
        .catch((e: unknown) => e);
      expect(loaded).toBeInstanceOf(CorruptRecordError);
      expect((loaded as CorruptRecordError).recordId).toBe(draft.id);
      await expect(store.findOpenDraft(w, "tv").then(storedDraft)).rejects.toBeInstanceOf(CorruptRecordError);
      await expect(store.list(w, { limit: 10 }).then((page) => page.drafts.map(storedDraft))).rejects.toBeInstanceOf(
        CorruptRecordError,
      );
      const cold = createOnboardingEngine({ store, authorize: () => true, documentCacheSize: 0 });
      await expect(cold.get(w, draft.id, { actor })).rejects.toBeInstanceOf(CorruptRecordError);
      await expect(cold.list(w, { actor })).rejects.toBeInstanceOf(CorruptRecordError);
      await expect(engine.get(w, draft.id, { actor })).rejects.toBeInstanceOf(CorruptRecordError);
      // Put back in agreement, the draft works again.
      await pool.query(`UPDATE ${store.tables.drafts} SET version = 1 WHERE workspace_id = $1 AND id = $2`, [
        w,
        draft.id,
      ]);
      expect((await engine.execute(w, draft.id, { type: "cancel" }, { actor, expectedVersion: 1 })).version).toBe(2);
    });

    it("writes and reads versions up to 2^31-1 (the last commit, its audit entries, a conflict entry carrying it)", async () => {
      const w = ws("max");
      const near = { ...draftFor(w, "d1"), version: MAX_VERSION - 1 };
      expect(
        await store.insert(
          withDocument({
            draft: near,
            event: { ...eventFor(near, "created"), toVersion: near.version },
            idempotency: null,
          }),
        ),
      ).toEqual({ ok: true });
      const top = next(near, { type: "select_provider", connectionId: "c1" });
      expect(top.version).toBe(MAX_VERSION);
      expect(
        await store.commit(
          withDocument({
            draft: top,
            expectedVersion: MAX_VERSION - 1,
            events: [eventFor(top)],
            idempotency: idempotencyFor(top, "k-max"),
          }),
        ),
      ).toEqual({ ok: true });
      expect(storedDraft(await store.load(w, "d1")).version).toBe(MAX_VERSION);
      // A stale commit is rejected with the top version, and its conflict entry stores both.
      const stale = next(near, { type: "select_provider", connectionId: "c2" });
      expect(
        await store.commit(
          withDocument({
            draft: stale,
            expectedVersion: MAX_VERSION - 1,
            events: [eventFor(stale)],
            idempotency: null,
          }),
        ),
      ).toMatchObject({
        ok: false,
        reason: "version_conflict",
        actualVersion: MAX_VERSION,
      });
      await store.appendAudit([
        { ...eventFor(top, "conflict"), expectedVersion: MAX_VERSION - 1, actualVersion: MAX_VERSION },
        { ...eventFor(top, "conflict"), expectedVersion: MAX_VERSION, actualVersion: MAX_VERSION },
      ]);
      const audit = (await store.listAudit(w, "d1")).map(({ event }) => event) as {
        kind: string;
        toVersion: number | null;
        expectedVersion: number | null;
        actualVersion: number | null;
      }[];
      expect(audit.map((e) => [e.kind, e.toVersion, e.expectedVersion, e.actualVersion])).toEqual([
        ["created", MAX_VERSION - 1, null, null],
        ["committed", MAX_VERSION, null, null],
        ["conflict", null, MAX_VERSION - 1, MAX_VERSION],
        ["conflict", null, MAX_VERSION, MAX_VERSION],
      ]);
      expect(await store.loadIdempotency(w, "k-max")).toMatchObject({ outcome: { version: MAX_VERSION } });
      // Through the engine: a stale If-Match at 2^31-2 is a conflict naming 2^31-1.
      const engine = createOnboardingEngine({ store, authorize: () => true });
      const conflict = await engine
        .execute(w, "d1", { type: "select_provider", connectionId: "c3" }, { actor, expectedVersion: MAX_VERSION - 1 })
        .catch((e: unknown) => e);
      expect(conflict).toBeInstanceOf(VersionConflictError);
      expect((conflict as VersionConflictError).actualVersion).toBe(MAX_VERSION);
      const history = (await engine.history(w, "d1", { actor })).entries;
      expect(history.at(-1)).toMatchObject({
        kind: "conflict",
        expectedVersion: MAX_VERSION - 1,
        actualVersion: MAX_VERSION,
      });
    });
  });

  describe("a write re-sent after it applied", () => {
    it("reports a re-sent commit as applied and writes nothing twice (with and without an idempotency key)", async () => {
      const w = ws("resend");
      const v1 = draftFor(w, "d1");
      await store.insert(withDocument({ draft: v1, event: eventFor(v1), idempotency: null }));
      const v2 = next(v1, { type: "select_provider", connectionId: "c1" });
      const input = withDocument({ draft: v2, expectedVersion: 1, events: [eventFor(v2)], idempotency: null });
      expect(await store.commit(input)).toEqual({ ok: true });
      expect(await store.commit(input)).toEqual({ ok: true });
      const v3 = next(v2, { type: "select_provider", connectionId: "c2" });
      const keyed = withDocument({
        draft: v3,
        expectedVersion: 2,
        events: [eventFor(v3)],
        idempotency: idempotencyFor(v3, "k-resend"),
      });
      expect(await store.commit(keyed)).toEqual({ ok: true });
      expect(await store.commit(keyed)).toEqual({ ok: true }); // the key exists: still the same write
      expect(await store.commit(input)).toEqual({ ok: true }); // even after the draft moved on
      expect(
        (await store.listAudit(w, "d1")).map(({ event }) => event).map((e) => (e as { toVersion: number }).toVersion),
      ).toEqual([1, 2, 3]);
      expect(storedDraft(await store.load(w, "d1"))).toEqual(v3);
      // Another write to the same version is still a conflict, as is a re-sent commit with no entry.
      const other = next(v2, { type: "select_provider", connectionId: "c9" });
      expect(
        await store.commit(
          withDocument({ draft: other, expectedVersion: 2, events: [eventFor(other)], idempotency: null }),
        ),
      ).toMatchObject({
        ok: false,
        reason: "version_conflict",
        actualVersion: 3,
      });
      const v4 = next(v3, { type: "select_provider", connectionId: "c4" });
      const silent = withDocument({ draft: v4, expectedVersion: 3, events: [], idempotency: null });
      expect(await store.commit(silent)).toEqual({ ok: true });
      expect(await store.commit(silent)).toMatchObject({ ok: false, reason: "version_conflict", actualVersion: 4 });
      expect(await store.listAudit(w, "d1")).toHaveLength(3);
    });

    it("reports a re-sent insert as applied and writes nothing twice (draft id, idempotency key, open-draft slot)", async () => {
      const w = ws("resend-insert");
      const draft = draftFor(w, "d1", "t-resend");
      const input = withDocument({ draft, event: eventFor(draft), idempotency: idempotencyFor(draft, "k-create") });
      expect(await store.insert(input)).toEqual({ ok: true });
      expect(await store.insert(input)).toEqual({ ok: true });
      expect(await store.insert(withDocument({ ...input, idempotency: null }))).toEqual({ ok: true });
      expect(await store.listAudit(w, "d1")).toHaveLength(1);
      expect((await store.list(w, { limit: 10 })).drafts).toHaveLength(1);
      // A different create is still refused, for each reason.
      const again = draftFor(w, "d1", "t-other");
      expect(await store.insert(withDocument({ draft: again, event: eventFor(again), idempotency: null }))).toEqual({
        ok: false,
        reason: "draft_exists",
      });
      const sameTenant = draftFor(w, "d2", "t-resend");
      expect(
        await store.insert(withDocument({ draft: sameTenant, event: eventFor(sameTenant), idempotency: null })),
      ).toEqual({
        ok: false,
        reason: "open_draft_exists",
        existingDraftId: "d1",
      });
      const sameKey = draftFor(w, "d3", "t-third");
      expect(
        await store.insert(
          withDocument({
            draft: sameKey,
            event: eventFor(sameKey),
            idempotency: idempotencyFor(sameKey, "k-create"),
          }),
        ),
      ).toEqual({
        ok: false,
        reason: "idempotency_key_exists",
      });
    });

    it("looks nothing up on the way to a successful write (one statement per commit)", async () => {
      const w = ws("resend-cost");
      const client = new RecordingClient({ connectionString: POSTGRES_URL });
      await client.connect();
      try {
        const s = createPostgresStore({ client, tablePrefix: prefix });
        const v1 = draftFor(w, "d1");
        await s.insert(withDocument({ draft: v1, event: eventFor(v1), idempotency: null }));
        const v2 = next(v1, { type: "select_provider", connectionId: "c1" });
        const input = withDocument({ draft: v2, expectedVersion: 1, events: [eventFor(v2)], idempotency: null });
        client.texts.length = 0;
        expect(await s.commit(input)).toEqual({ ok: true });
        expect(client.texts).toHaveLength(1);
        client.texts.length = 0;
        expect(await s.commit(input)).toEqual({ ok: true });
        expect(client.texts).toHaveLength(1); // the rejected statement finds the write it re-sends itself
      } finally {
        await client.end();
      }
    });
  });

  describe("pruneIdempotency", () => {
    it("is a required method of PostgresStore (callable without ?.) and deletes older records", async () => {
      const w = ws("prune");
      const draft = draftFor(w, "d1");
      await store.insert(
        withDocument({
          draft,
          event: eventFor(draft),
          idempotency: { ...idempotencyFor(draft, "k-old"), createdAt: "2000-01-01T00:00:00.000Z" },
        }),
      );
      const removed: number = await store.pruneIdempotency("2000-01-02T00:00:00.000Z");
      expect(removed).toBeGreaterThanOrEqual(1);
      expect(await store.loadIdempotency(w, "k-old")).toBeNull();
    });
  });
});
