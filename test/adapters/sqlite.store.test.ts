/**
 * SQLite adapter, store level: schema and migrate, compare-and-set semantics, rejections that
 * write nothing, keyset listing, round-trips of hostile text, configuration, connection ownership,
 * busy handling and error wrapping. Engine-level checks live in sqlite.engine.test.ts.
 */
import { withDocument, storedDraft } from "../../src/testing/index.js";
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from "vitest";
import fc from "fast-check";
import Database from "better-sqlite3";
import {
  DEFAULT_SQLITE_TABLE_PREFIX,
  createSqliteStore,
  sqliteDropSchemaSql,
  sqliteSchemaSql,
  sqliteTableNames,
  type SqliteStore,
} from "../../src/adapters/sqlite/index.js";
import { encodeDraft } from "../../src/lifecycle/index.js";
import { createOnboardingEngine } from "../../src/index.js";
import { encodeCursor, type DraftStore } from "../../src/store/index.js";
import {
  ConfigurationError,
  CorruptRecordError,
  StoreError,
  type AuditEvent,
  type IdempotencyRecord,
  type OnboardingDraft,
} from "../../src/record/index.js";
import { at, draftOf, eventFor, next, spawnFixture, tempDatabase, uid } from "./fixtures/sqlite-helpers.js";
import { expectListOptionChecks } from "../support/list-options.js";
import { expectRunIdsRoundTrip } from "../support/run-ids.js";

const tmp = tempDatabase("store");
let store: SqliteStore;
let db: Database.Database;

beforeAll(async () => {
  store = createSqliteStore({ filename: tmp.file });
  await store.migrate();
  db = await store.database();
});

afterAll(async () => {
  await store.close();
  tmp.cleanup();
});

async function insertDraft(draft: OnboardingDraft): Promise<void> {
  expect(await store.insert(withDocument({ draft, event: eventFor(draft, "created"), idempotency: null }))).toEqual({
    ok: true,
  });
}

function auditCount(workspaceId: string): number {
  return db
    .prepare(`SELECT count(*) FROM "onboarding_audit" WHERE workspace_id = ?`)
    .pluck()
    .get(workspaceId) as number;
}

function idempotencyFor(draft: OnboardingDraft, key: string): IdempotencyRecord {
  return {
    workspaceId: draft.workspaceId,
    key,
    draftId: draft.id,
    commandType: "select_provider",
    fingerprint: JSON.stringify([draft.id, key]),
    createdAt: draft.updatedAt,
    outcome: { version: draft.version, feedback: "applied", eventId: uid("e"), runIds: [], draft },
  };
}

describe("sqlite schema", () => {
  it("exports the DDL as plain, idempotent SQL text with validated names", () => {
    const sql = sqliteSchemaSql("app_");
    expect(sql).toContain(`CREATE TABLE IF NOT EXISTS "app_drafts"`);
    expect(sql).toContain(`CREATE UNIQUE INDEX IF NOT EXISTS "app_drafts_open_tenant_uq"`);
    expect(sql).toContain("(workspace_id, state, created_at, id)");
    expect(sql).toContain("STRICT");
    expect(sql).not.toMatch(/onboarding_/);
    expect(sqliteSchemaSql()).toBe(sqliteSchemaSql(DEFAULT_SQLITE_TABLE_PREFIX));
    const raw = new Database(":memory:");
    raw.exec(sql);
    raw.exec(sql);
    const names = raw.prepare(`SELECT name FROM sqlite_master WHERE name LIKE 'app_%' ORDER BY name`).pluck().all();
    expect(names).toEqual([
      "app_audit",
      "app_audit_draft_idx",
      "app_drafts",
      "app_drafts_created_idx",
      "app_drafts_open_tenant_uq",
      "app_drafts_state_idx",
      "app_idem_created_idx",
      "app_idempotency",
      "app_outbox",
      "app_outbox_done_idx",
      "app_outbox_mark",
      "app_outbox_pending_idx",
      "app_outbox_runs_idx",
      "app_outbox_stale_idx",
      "app_outbox_ws_done_idx",
    ]);
    raw.exec(sqliteDropSchemaSql("app_"));
    expect(raw.prepare(`SELECT count(*) FROM sqlite_master WHERE name LIKE 'app_%'`).pluck().get()).toBe(0);
    raw.close();
  });

  it("migrate() is idempotent and keeps the data", async () => {
    const ws = uid("ws");
    const draft = draftOf({ workspaceId: ws, tenantId: "t" });
    await insertDraft(draft);
    const schemaBefore = db.prepare(`SELECT type, name, sql FROM sqlite_master ORDER BY name`).all();
    await store.migrate();
    await store.migrate();
    expect(db.prepare(`SELECT type, name, sql FROM sqlite_master ORDER BY name`).all()).toEqual(schemaBefore);
    expect(storedDraft(await store.load(ws, draft.id))).toEqual(JSON.parse(encodeDraft(draft)));
  });

  it("migrate() from several stores on one file at once is safe", async () => {
    const other = tempDatabase("migrate");
    const stores = Array.from({ length: 4 }, () => createSqliteStore({ filename: other.file, tablePrefix: "m_" }));
    try {
      await Promise.all(stores.map((s) => s.migrate()));
      await Promise.all(stores.map((s) => s.migrate()));
      const first = await stores[0]!.database();
      expect(first.pragma("journal_mode", { simple: true })).toBe("wal");
      expect(first.pragma("busy_timeout", { simple: true })).toBe(5000);
    } finally {
      await Promise.all(stores.map((s) => s.close()));
      other.cleanup();
    }
  });

  it("rejects invalid table prefixes and options before touching the database", () => {
    for (const prefix of ['x"; DROP TABLE y; --', "1abc", "a-b", "a b", "ä_", "x".repeat(40), "a.b"]) {
      expect(() => createSqliteStore({ filename: ":memory:", tablePrefix: prefix }), prefix).toThrow(
        ConfigurationError,
      );
      expect(() => sqliteSchemaSql(prefix), prefix).toThrow(ConfigurationError);
    }
    expect(sqliteTableNames("ok_9").drafts).toBe("ok_9drafts");
    expect(() => createSqliteStore({ filename: ":memory:", busyTimeoutMs: -1 })).toThrow(ConfigurationError);
    expect(() => createSqliteStore({} as never)).toThrow(ConfigurationError);
    expect(() => createSqliteStore({ filename: ":memory:", database: db } as never)).toThrow(ConfigurationError);
  });
});

describe("sqlite compare-and-set", () => {
  it("commits exactly at the expected version and rejects stale writes without writing", async () => {
    const ws = uid("ws");
    const v1 = draftOf({ workspaceId: ws, tenantId: "t" });
    await insertDraft(v1);
    const v2 = next(v1, { type: "select_provider", connectionId: "c1" });
    expect(
      await store.commit(
        withDocument({ draft: v2, expectedVersion: 1, events: [eventFor(v2, "committed")], idempotency: null }),
      ),
    ).toEqual({ ok: true });

    const stale = next(v1, { type: "select_provider", connectionId: "c2" });
    const before = auditCount(ws);
    expect(
      await store.commit(
        withDocument({
          draft: stale,
          expectedVersion: 1,
          events: [eventFor(stale, "committed")],
          idempotency: idempotencyFor(stale, "k-stale"),
        }),
      ),
    ).toEqual({ ok: false, reason: "version_conflict", actualVersion: 2 });
    expect(auditCount(ws)).toBe(before);
    expect(await store.loadIdempotency(ws, "k-stale")).toBeNull();
    expect(encodeDraft(storedDraft(await store.load(ws, v1.id)))).toBe(encodeDraft(v2));

    const ghost = next(draftOf({ workspaceId: ws, tenantId: "ghost" }), { type: "select_provider", connectionId: "c" });
    expect(
      await store.commit(withDocument({ draft: ghost, expectedVersion: 1, events: [], idempotency: null })),
    ).toEqual({
      ok: false,
      reason: "version_conflict",
      actualVersion: null,
    });
    expect(await store.load(ws, ghost.id)).toBeNull();
  });

  it("maps a duplicate idempotency key to idempotency_key_exists and rolls the whole commit back", async () => {
    const ws = uid("ws");
    const v1 = draftOf({ workspaceId: ws, tenantId: "t" });
    await insertDraft(v1);
    const v2 = next(v1, { type: "select_provider", connectionId: "c1" });
    const record = idempotencyFor(v2, "k");
    expect(
      await store.commit(
        withDocument({ draft: v2, expectedVersion: 1, events: [eventFor(v2, "committed")], idempotency: record }),
      ),
    ).toEqual({ ok: true });
    expect(await store.loadIdempotency(ws, "k")).toEqual(JSON.parse(JSON.stringify(record)));
    expect(await store.loadIdempotency(uid("ws"), "k")).toBeNull();

    const v3 = next(v2, { type: "select_provider", connectionId: "c2" });
    const before = auditCount(ws);
    expect(
      await store.commit(
        withDocument({
          draft: v3,
          expectedVersion: 2,
          events: [eventFor(v3, "committed")],
          idempotency: idempotencyFor(v3, "k"),
        }),
      ),
    ).toEqual({
      ok: false,
      reason: "idempotency_key_exists",
    });
    expect(auditCount(ws)).toBe(before);
    expect(storedDraft(await store.load(ws, v1.id)).version).toBe(2);
    // The same key in another workspace is independent.
    const other = draftOf({ workspaceId: uid("ws"), tenantId: "t" });
    expect(
      await store.insert(
        withDocument({ draft: other, event: eventFor(other, "created"), idempotency: idempotencyFor(other, "k") }),
      ),
    ).toEqual({ ok: true });
  });

  it("enforces one open draft per (workspace, tenant) on insert and commit, with the existing id", async () => {
    const ws = uid("ws");
    const a = draftOf({ workspaceId: ws, tenantId: "tenant-a" });
    await insertDraft(a);
    const dup = draftOf({ workspaceId: ws, tenantId: "tenant-a" });
    expect(
      await store.insert(withDocument({ draft: dup, event: eventFor(dup, "created"), idempotency: null })),
    ).toEqual({
      ok: false,
      reason: "open_draft_exists",
      existingDraftId: a.id,
    });
    expect(await store.load(ws, dup.id)).toBeNull();
    expect(await store.insert(withDocument({ draft: a, event: eventFor(a, "created"), idempotency: null }))).toEqual({
      ok: false,
      reason: "draft_exists",
    });

    // Another workspace, and drafts without identity, never collide.
    await insertDraft(draftOf({ workspaceId: uid("ws"), tenantId: "tenant-a" }));
    const anonymous = draftOf({ workspaceId: ws });
    await insertDraft(anonymous);
    await insertDraft(draftOf({ workspaceId: ws }));

    // Identifying the anonymous draft as tenant-a collides on commit; nothing is written.
    const before = auditCount(ws);
    const clash = next(anonymous, { type: "identify", tenantId: "tenant-a", displayName: "A again" });
    expect(
      await store.commit(
        withDocument({
          draft: clash,
          expectedVersion: 1,
          events: [eventFor(clash, "committed")],
          idempotency: null,
        }),
      ),
    ).toEqual({
      ok: false,
      reason: "open_draft_exists",
      existingDraftId: a.id,
    });
    expect(auditCount(ws)).toBe(before);
    expect(storedDraft(await store.load(ws, anonymous.id)).identity).toBeNull();

    // Cancelling frees the slot (open_tenant_id becomes NULL; NULLs are distinct).
    const cancelled = next(a, { type: "cancel" });
    expect(
      await store.commit(
        withDocument({
          draft: cancelled,
          expectedVersion: 1,
          events: [eventFor(cancelled, "committed")],
          idempotency: null,
        }),
      ),
    ).toEqual({ ok: true });
    expect(await store.findOpenDraft(ws, "tenant-a")).toBeNull();
    expect(
      await store.commit(
        withDocument({
          draft: clash,
          expectedVersion: 1,
          events: [eventFor(clash, "committed")],
          idempotency: null,
        }),
      ),
    ).toEqual({ ok: true });
    expect(storedDraft(await store.findOpenDraft(ws, "tenant-a"))).toEqual(JSON.parse(encodeDraft(clash)));
    const row = db
      .prepare(
        `SELECT state, current_checkpoint, tenant_id, open_tenant_id, version FROM "onboarding_drafts" WHERE workspace_id = ? AND id = ?`,
      )
      .get(ws, a.id);
    expect(row).toEqual({
      state: "cancelled",
      current_checkpoint: null,
      tenant_id: "tenant-a",
      open_tenant_id: null,
      version: 2,
    });
  });

  it("appends audit entries in order and scopes them by workspace", async () => {
    const ws = uid("ws");
    const d = draftOf({ workspaceId: ws, tenantId: "t" });
    await insertDraft(d);
    const events = Array.from({ length: 5 }, (_, i) => ({
      ...eventFor(d, "committed"),
      kind: "conflict" as const,
      expectedVersion: i,
      actualVersion: 1,
    }));
    await store.appendAudit(events);
    await store.appendAudit([]);
    const listed = (await store.listAudit(ws, d.id)).map(({ event }) => event) as { eventId: string }[];
    expect(listed.map((e) => e.eventId)).toEqual([expect.any(String), ...events.map((e) => e.eventId)]);
    expect(listed.slice(1)).toEqual(events);
    expect(await store.listAudit(uid("ws"), d.id)).toEqual([]);
    expect(await store.load(uid("ws"), d.id)).toBeNull();
  });
});

describe("sqlite round-trips", () => {
  const hostile = [
    `O'Brien "quoted" \`ticked\``,
    `'); DROP TABLE onboarding_drafts; --`,
    `" OR 1=1 --`,
    `\\ backslash \\\\ and %_ like wildcards`,
    `emoji 🧪🚀 RTL \u202Eevil\u202C combining e\u0301 CJK 漢字 zero-width \u200B`,
    `binary-looking \u0001\u0002\u0007\b\f\u001b[31m\u007f\uFFFD\uFEFF`,
    `line\nbreaks\r\nand\ttabs`,
    `lone surrogate-free astral 𝔘𝔫𝔦𝔠𝔬𝔡𝔢`,
    "x".repeat(4096),
    "é".repeat(4096),
  ];

  it("stores hostile text byte for byte and returns it unchanged", async () => {
    for (const text of hostile) {
      const ws = `ws ${text.slice(0, 100)}`;
      const draft = draftOf({
        workspaceId: ws,
        id: `id ${text.slice(0, 120)}`,
        tenantId: `t ${text.slice(0, 120)}`,
        displayName: text,
      });
      await insertDraft(draft);
      const stored = db
        .prepare(`SELECT document FROM "onboarding_drafts" WHERE workspace_id = ? AND id = ?`)
        .pluck()
        .get(ws, draft.id);
      expect(stored).toBe(encodeDraft(draft));
      const loaded = storedDraft(await store.load(ws, draft.id));
      expect(loaded.identity?.displayName).toBe(text);
      expect(encodeDraft(loaded)).toBe(encodeDraft(draft));
      expect(storedDraft(await store.findOpenDraft(ws, draft.identity!.tenantId))).toEqual(
        JSON.parse(encodeDraft(draft)),
      );
    }
    expect(db.pragma("integrity_check", { simple: true })).toBe("ok");
  });

  it("round-trips arbitrary NUL-free strings (property)", async () => {
    const text = fc
      .string({ unit: "binary", minLength: 1, maxLength: 300 })
      .filter((s) => !s.includes("\u0000") && s.trim() === s && s.length > 0);
    await fc.assert(
      fc.asyncProperty(text, text, async (name, tenant) => {
        const ws = uid("ws");
        const draft = draftOf({ workspaceId: ws, tenantId: tenant.slice(0, 128), displayName: name });
        await insertDraft(draft);
        expect(encodeDraft(storedDraft(await store.load(ws, draft.id)))).toBe(encodeDraft(draft));
      }),
      { numRuns: 100 },
    );
  });

  it("reports a document that is not JSON (or is JSON null) as CorruptRecordError", async () => {
    const ws = uid("ws");
    const d = draftOf({ workspaceId: ws, tenantId: "t" });
    await insertDraft(d);
    db.prepare(`UPDATE "onboarding_drafts" SET document = ? WHERE workspace_id = ? AND id = ?`).run(
      "{not json",
      ws,
      d.id,
    );
    await expect(store.load(ws, d.id).then(storedDraft)).rejects.toBeInstanceOf(CorruptRecordError);
    await expect(store.findOpenDraft(ws, "t").then(storedDraft)).rejects.toBeInstanceOf(CorruptRecordError);
    // JSON null would read as "no such draft": reported as corrupt instead.
    db.prepare(`UPDATE "onboarding_drafts" SET document = 'null' WHERE workspace_id = ? AND id = ?`).run(ws, d.id);
    await expect(store.load(ws, d.id).then(storedDraft)).rejects.toBeInstanceOf(CorruptRecordError);
  });
});

describe("sqlite run ids", () => {
  it("stores an entry's runIds as an array (run_ids), ids with commas included", async () => {
    await expectRunIdsRoundTrip(store, uid("ws"));
  });
});

describe("sqlite list", () => {
  it("pages on (created_at, id) with and without a state filter", async () => {
    const ws = uid("ws");
    const drafts: OnboardingDraft[] = [];
    // 23 drafts: several share a createdAt so the id breaks ties; a third are cancelled.
    for (let i = 0; i < 23; i++) {
      const d = draftOf({
        workspaceId: ws,
        id: `d-${String(22 - i).padStart(2, "0")}`,
        tenantId: `t${i}`,
        now: at(i % 7),
      });
      await insertDraft(d);
      if (i % 3 === 0) {
        const c = next(d, { type: "cancel" }, at(30));
        expect(
          (await store.commit(withDocument({ draft: c, expectedVersion: 1, events: [], idempotency: null }))).ok,
        ).toBe(true);
        drafts.push(c);
      } else {
        drafts.push(d);
      }
    }
    await insertDraft(draftOf({ workspaceId: uid("ws"), tenantId: "elsewhere" }));
    const order = (a: OnboardingDraft, b: OnboardingDraft): number =>
      a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;

    async function all(state: "cancelled" | "draft" | undefined, limit: number): Promise<string[]> {
      const ids: string[] = [];
      let cursor: string | null = null;
      for (let pages = 0; pages < 50; pages++) {
        const page = await store.list(ws, { limit, cursor, ...(state === undefined ? {} : { state }) });
        expect(page.drafts.length).toBeLessThanOrEqual(limit);
        ids.push(...page.drafts.map((d) => storedDraft(d).id));
        if (page.nextCursor === null) return ids;
        cursor = page.nextCursor;
      }
      throw new Error("too many pages");
    }
    for (const limit of [1, 2, 5, 23, 500]) {
      expect(await all(undefined, limit)).toEqual([...drafts].sort(order).map((d) => d.id));
      expect(await all("cancelled", limit)).toEqual(
        drafts
          .filter((d) => d.lifecycle.state === "cancelled")
          .sort(order)
          .map((d) => d.id),
      );
      expect(await all("draft", limit)).toEqual(
        drafts
          .filter((d) => d.lifecycle.state === "draft")
          .sort(order)
          .map((d) => d.id),
      );
    }
    expect(await store.list(ws, { limit: 5, state: "completed" })).toEqual({ drafts: [], nextCursor: null });
    // A cursor past the end is an empty last page.
    expect(await store.list(ws, { limit: 5, cursor: encodeCursor({ createdAt: at(59), id: "z" }) })).toEqual({
      drafts: [],
      nextCursor: null,
    });
  });

  it("refuses a malformed cursor with ValidationError; bad limits and states are the engine's to refuse", async () => {
    await expectListOptionChecks(store, uid("ws"));
  });
});

describe("sqlite connections", () => {
  it("reports a missing better-sqlite3 as ConfigurationError naming the package", async () => {
    const run = spawnFixture("sqlite-no-driver.ts", []);
    const { code, stdout, stderr } = await run.exited;
    expect(code, stderr).toBe(0);
    const outcomes = JSON.parse(stdout) as { name: string; code: string; option: string; message: string }[];
    expect(outcomes).toHaveLength(2); // migrate, load
    for (const outcome of outcomes) {
      expect(outcome).toMatchObject({ name: "ConfigurationError", code: "configuration", option: "filename" });
      expect(outcome.message).toMatch(
        /the "better-sqlite3" package is not installed: run `npm install better-sqlite3`/,
      );
    }
  }, 60_000);

  it("works on ':memory:' with a private database per store", async () => {
    const a = createSqliteStore({ filename: ":memory:" });
    const b = createSqliteStore({ filename: ":memory:" });
    await a.migrate();
    await b.migrate();
    const d = draftOf({ workspaceId: "w", tenantId: "t" });
    expect(await a.insert(withDocument({ draft: d, event: eventFor(d, "created"), idempotency: null }))).toEqual({
      ok: true,
    });
    expect(storedDraft(await a.load("w", d.id))).toEqual(JSON.parse(encodeDraft(d)));
    expect(await b.load("w", d.id)).toBeNull();
    const adb = await a.database();
    await a.close();
    await b.close();
    expect(adb.open).toBe(false);
    await expect(a.load("w", d.id)).rejects.toBeInstanceOf(StoreError);
    await a.close(); // idempotent
  });

  it("never closes a caller-owned Database, and wraps driver errors in StoreError", async () => {
    const own = new Database(":memory:");
    const s = createSqliteStore({ database: own, tablePrefix: "own_" });
    await expect(s.load("w", "d")).rejects.toSatisfy(
      (e) => e instanceof StoreError && /no such table/.test(String(e.cause)),
    );
    await s.migrate();
    expect(await s.database()).toBe(own);
    const d = draftOf({ workspaceId: "w", tenantId: "t" });
    expect(await s.insert(withDocument({ draft: d, event: eventFor(d, "created"), idempotency: null }))).toEqual({
      ok: true,
    });
    await s.close();
    expect(own.open).toBe(true);
    expect(own.prepare(`SELECT count(*) FROM own_drafts`).pluck().get()).toBe(1);
    await expect(s.load("w", d.id)).rejects.toBeInstanceOf(StoreError);

    const again = createSqliteStore({ database: own, tablePrefix: "own_" });
    own.close();
    const failure = await again.load("w", d.id).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(StoreError);
    expect(failure).toMatchObject({ adapter: "sqlite", operation: "load", code: "store_failure" });
  });

  it("waits for a lock held by another connection (busy_timeout, then bounded retries)", async () => {
    const file = tempDatabase("busy");
    const s = createSqliteStore({ filename: file.file, busyTimeoutMs: 20 });
    await s.migrate();
    const d = draftOf({ workspaceId: "w", tenantId: "t" });
    expect(await s.insert(withDocument({ draft: d, event: eventFor(d, "created"), idempotency: null }))).toEqual({
      ok: true,
    });
    const blocker = new Database(file.file, { timeout: 0 });
    try {
      // Held for ~120 ms: longer than busy_timeout, shorter than the retry budget.
      blocker.exec("BEGIN IMMEDIATE");
      setTimeout(() => blocker.exec("COMMIT"), 120);
      const v2 = next(d, { type: "select_provider", connectionId: "c" });
      expect(
        await s.commit(
          withDocument({ draft: v2, expectedVersion: 1, events: [eventFor(v2, "committed")], idempotency: null }),
        ),
      ).toEqual({ ok: true });

      // Held for good: SQLITE_BUSY ends as a StoreError after the bounded retries, nothing written.
      blocker.exec("BEGIN IMMEDIATE");
      const v3 = next(v2, { type: "select_provider", connectionId: "c3" });
      const started = Date.now();
      const failure = await s
        .commit(withDocument({ draft: v3, expectedVersion: 2, events: [], idempotency: null }))
        .catch((e: unknown) => e);
      expect(failure).toBeInstanceOf(StoreError);
      expect(String((failure as StoreError).cause)).toMatch(/locked|busy/i);
      expect(Date.now() - started).toBeLessThan(5000);
      blocker.exec("ROLLBACK");
      expect(storedDraft(await s.load("w", d.id)).version).toBe(2);
    } finally {
      blocker.close();
      await s.close();
      file.cleanup();
    }
  });
});

describe("sqlite version column vs document", () => {
  // A version column that disagrees with the document would make every compare-and-set test one
  // version while the engine sees another: reads must report it instead.
  it("load, findOpenDraft and list hand back the version column beside the document", async () => {
    const ws = uid("ws");
    const d = draftOf({ workspaceId: ws, tenantId: "t" });
    await insertDraft(d);
    db.prepare(`UPDATE "onboarding_drafts" SET version = 2 WHERE workspace_id = ? AND id = ?`).run(ws, d.id);
    expect(await store.load(ws, d.id)).toEqual({ document: encodeDraft(d), version: 2, draftId: d.id });
    expect((await store.findOpenDraft(ws, "t"))?.version).toBe(2);
    expect((await store.list(ws, { limit: 10 })).drafts.map((row) => row.version)).toEqual([2]);
  });

  for (const documentCacheSize of [1000, 0]) {
    it(`the engine reports CorruptRecordError after the column changed (cache size ${documentCacheSize})`, async () => {
      const engine = createOnboardingEngine({ store, authorize: () => true, documentCacheSize });
      const actor = { id: "u" };
      const ws = uid("ws");
      const { draft } = await engine.create(ws, { identity: { tenantId: "t", displayName: "T" } }, { actor });
      expect((await engine.get(ws, draft.id, { actor })).version).toBe(1);
      db.prepare(`UPDATE "onboarding_drafts" SET version = 2 WHERE workspace_id = ? AND id = ?`).run(ws, draft.id);
      const error = await engine.get(ws, draft.id, { actor }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CorruptRecordError);
      expect((error as CorruptRecordError).issues.map((issue) => issue.code)).toEqual(["version_mismatch"]);
      await expect(engine.list(ws, { actor })).rejects.toBeInstanceOf(CorruptRecordError);
      await expect(
        engine.create(ws, { identity: { tenantId: "t", displayName: "T" } }, { actor, onExisting: "resume" }),
      ).rejects.toBeInstanceOf(CorruptRecordError);
    });
  }
});

describe("sqlite: a write re-sent after it applied", () => {
  it("commit: the second identical commit reports { ok: true } and writes nothing", async () => {
    const ws = uid("ws");
    const v1 = draftOf({ workspaceId: ws, tenantId: "t" });
    await insertDraft(v1);
    const v2 = next(v1, { type: "select_provider", connectionId: "c1" });
    const input = withDocument({
      draft: v2,
      expectedVersion: 1,
      events: [eventFor(v2, "committed")],
      idempotency: idempotencyFor(v2, "k1"),
    });
    expect(await store.commit(input)).toEqual({ ok: true });
    expect(await store.commit(input)).toEqual({ ok: true });
    expect(auditCount(ws)).toBe(2);
    // Still applied once the draft has moved on.
    const v3 = next(v2, { type: "select_provider", connectionId: "c2" }, at(2));
    expect(
      await store.commit(
        withDocument({ draft: v3, expectedVersion: 2, events: [eventFor(v3, "committed")], idempotency: null }),
      ),
    ).toEqual({ ok: true });
    expect(await store.commit(input)).toEqual({ ok: true });
    expect(auditCount(ws)).toBe(3);
    expect(storedDraft(await store.load(ws, v1.id)).version).toBe(3);
  });

  it("commit: a different write, one without audit entries, or an event id of another draft are still conflicts", async () => {
    const ws = uid("ws");
    const v1 = draftOf({ workspaceId: ws, tenantId: "t" });
    await insertDraft(v1);
    const v2 = next(v1, { type: "select_provider", connectionId: "c1" });
    const bare = withDocument({ draft: v2, expectedVersion: 1, events: [], idempotency: null });
    expect(await store.commit(bare)).toEqual({ ok: true });
    expect(await store.commit(bare)).toEqual({ ok: false, reason: "version_conflict", actualVersion: 2 });
    expect(await store.commit(withDocument({ ...bare, events: [eventFor(v2, "committed")] }))).toEqual({
      ok: false,
      reason: "version_conflict",
      actualVersion: 2,
    });
    const other = draftOf({ workspaceId: ws });
    const otherEvent = eventFor(other, "created");
    expect(await store.insert(withDocument({ draft: other, event: otherEvent, idempotency: null }))).toEqual({
      ok: true,
    });
    expect(
      await store.commit(
        withDocument({ ...bare, events: [{ ...eventFor(v2, "committed"), eventId: otherEvent.eventId }] }),
      ),
    ).toEqual({
      ok: false,
      reason: "version_conflict",
      actualVersion: 2,
    });
    expect(auditCount(ws)).toBe(2);
  });

  it("commit: a key clash after the audit row was written in the same transaction is still a rejection", async () => {
    // The audit INSERT runs before the idempotency INSERT here: the look-up must not see the
    // rolled-back row of the failed attempt itself.
    const ws = uid("ws");
    const a = draftOf({ workspaceId: ws, tenantId: "ta" });
    const b = draftOf({ workspaceId: ws, tenantId: "tb" });
    await insertDraft(a);
    await insertDraft(b);
    const a2 = next(a, { type: "select_provider", connectionId: "c" });
    expect(
      await store.commit(
        withDocument({
          draft: a2,
          expectedVersion: 1,
          events: [eventFor(a2, "committed")],
          idempotency: idempotencyFor(a2, "k"),
        }),
      ),
    ).toEqual({ ok: true });
    const b2 = next(b, { type: "select_provider", connectionId: "c" });
    const clash = withDocument({
      draft: b2,
      expectedVersion: 1,
      events: [eventFor(b2, "committed")],
      idempotency: idempotencyFor(b2, "k"),
    });
    expect(await store.commit(clash)).toEqual({ ok: false, reason: "idempotency_key_exists" });
    expect(await store.commit(clash)).toEqual({ ok: false, reason: "idempotency_key_exists" });
    expect(auditCount(ws)).toBe(3);
  });

  it("insert: the second identical insert reports { ok: true } and writes nothing", async () => {
    const ws = uid("ws");
    const d = draftOf({ workspaceId: ws, tenantId: "t" });
    const input = withDocument({ draft: d, event: eventFor(d, "created"), idempotency: idempotencyFor(d, "k-create") });
    expect(await store.insert(input)).toEqual({ ok: true });
    expect(await store.insert(input)).toEqual({ ok: true });
    expect(auditCount(ws)).toBe(1);
    // After the draft moved on (and left its tenant slot to another draft): still applied.
    const cancelled = next(d, { type: "cancel", reason: null });
    expect(
      await store.commit(
        withDocument({
          draft: cancelled,
          expectedVersion: 1,
          events: [eventFor(cancelled, "committed")],
          idempotency: null,
        }),
      ),
    ).toEqual({ ok: true });
    await insertDraft(draftOf({ workspaceId: ws, tenantId: "t" }));
    expect(await store.insert(input)).toEqual({ ok: true });
    expect(storedDraft(await store.load(ws, d.id)).lifecycle.state).toBe("cancelled");
    expect(auditCount(ws)).toBe(3);
    // Another insert of the same id (a new event) is still draft_exists.
    expect(await store.insert(withDocument({ ...input, event: eventFor(d, "created") }))).toEqual({
      ok: false,
      reason: "draft_exists",
    });
  });
});

describe("sqlite compares ids exactly (BINARY collation: bytes)", () => {
  // Look-alike ids (case, trailing space, NFC/NFD, astral characters) kept apart: the kit's
  // isolation section checks it on every adapter.
  it("declares no collation on any column (SQLite's default BINARY compares bytes)", () => {
    const ddl = sqliteSchemaSql();
    expect(ddl).not.toMatch(/COLLATE/i);
    expect(db.prepare(`SELECT 'a' = 'a ', 'A' = 'a', ? = ?`).raw().get("\u00e9", "e\u0301")).toEqual([0, 0, 0]);
  });
});

describe("sqlite versions up to 2^31-1", () => {
  const MAX = 2_147_483_647;

  it("commits to version 2147483647 and stores audit entries carrying it", async () => {
    const ws = uid("ws");
    const v1 = draftOf({ workspaceId: ws, tenantId: "t" });
    await insertDraft(v1);
    // Fast-forward the stored record to MAX - 1 (document and column together).
    const before: OnboardingDraft = { ...v1, version: MAX - 1 };
    db.prepare(`UPDATE "onboarding_drafts" SET version = ?, document = ? WHERE workspace_id = ? AND id = ?`).run(
      MAX - 1,
      encodeDraft(before),
      ws,
      v1.id,
    );
    expect(storedDraft(await store.load(ws, v1.id)).version).toBe(MAX - 1);
    const last = next(before, { type: "select_provider", connectionId: "c1" });
    expect(last.version).toBe(MAX);
    expect(
      await store.commit(
        withDocument({
          draft: last,
          expectedVersion: MAX - 1,
          events: [eventFor(last, "committed")],
          idempotency: idempotencyFor(last, "k-max"),
        }),
      ),
    ).toEqual({ ok: true });
    expect(storedDraft(await store.load(ws, v1.id)).version).toBe(MAX);
    expect(storedDraft(await store.findOpenDraft(ws, "t")).version).toBe(MAX);
    expect(storedDraft((await store.list(ws, { limit: 1 })).drafts[0]).version).toBe(MAX);
    expect(((await store.loadIdempotency(ws, "k-max")) as IdempotencyRecord).outcome.version).toBe(MAX);
    const stale = next(before, { type: "select_provider", connectionId: "c2" });
    expect(
      await store.commit(
        withDocument({
          draft: stale,
          expectedVersion: MAX - 1,
          events: [eventFor(stale, "committed")],
          idempotency: null,
        }),
      ),
    ).toEqual({
      ok: false,
      reason: "version_conflict",
      actualVersion: MAX,
    });
    await store.appendAudit([
      {
        ...eventFor(last, "committed"),
        kind: "conflict",
        fromVersion: null,
        toVersion: null,
        expectedVersion: MAX,
        actualVersion: MAX,
        feedback: null,
      },
    ]);
    const audit = (await store.listAudit(ws, v1.id)).map(({ event }) => event) as AuditEvent[];
    expect(audit.map((event) => event.toVersion)).toEqual([1, MAX, null]);
    expect(audit[1]?.fromVersion).toBe(MAX - 1);
    expect(audit[2]).toMatchObject({ expectedVersion: MAX, actualVersion: MAX });
  });
});

describe("sqlite pruneIdempotency on the concrete type", () => {
  it("is a required method taking the port's cut-off", async () => {
    expectTypeOf(store.pruneIdempotency).toEqualTypeOf<(before: string) => Promise<number>>();
    expectTypeOf<Parameters<SqliteStore["pruneIdempotency"]>>().toEqualTypeOf<
      Parameters<NonNullable<DraftStore["pruneIdempotency"]>>
    >();
    // Called without `?.`: a compile error (TS2722) if the method were optional.
    expect(await store.pruneIdempotency("1970-01-01T00:00:00.000Z")).toBe(0);
  });
});
