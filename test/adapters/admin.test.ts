/**
 * The admin half of the port (`store.admin`, what the CLI's `status` and `backfill` use), the same
 * cases on every adapter: counts per state (every workspace or one), a scan of every document in
 * pages that resumes from its cursor, and the rewrite of a legacy document that keeps its version,
 * never overwrites a commit and keeps the one-open-draft-per-tenant rule. Legacy rows are written
 * straight into each store's tables or keys (test/support/legacy-rows.ts). Redis also runs on a
 * throwaway three-master Cluster (the scan walks every master).
 */
import { randomUUID } from "node:crypto";
import Database from "better-sqlite3";
import type { Cluster, Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMemoryStore } from "../../src/adapters/memory/index.js";
import { createMySqlStore } from "../../src/adapters/mysql/index.js";
import { createPostgresStore } from "../../src/adapters/postgres/index.js";
import { createRedisStore } from "../../src/adapters/redis/index.js";
import { createSqliteStore } from "../../src/adapters/sqlite/index.js";
import {
  ValidationError,
  createOnboardingEngine,
  encodeDraft,
  parseDraft,
  type DraftStore,
  type OnboardingEngine,
  type ScannedDraft,
  type StoreAdmin,
} from "../../src/index.js";
import {
  insertLegacyMySql,
  insertLegacyPostgres,
  insertLegacyRedis,
  insertLegacySqlite,
  legacyRow,
  type LegacyRow,
} from "../support/legacy-rows.js";
import { redisBinariesAvailable, startRedisCluster, type TestRedisCluster } from "../support/redis-cluster.js";
import { serviceAvailable, uniqueSuffix } from "../support/services.js";
import { dropTables as dropMySql, probeMySql, testPool as mysqlPool } from "./fixtures/mysql-support.js";
import { dropTables as dropPostgres, probePostgres, testPool as postgresPool } from "./fixtures/postgres-support.js";
import { clusterClient, deleteKeysWithPrefix, probeRedis, standaloneClient } from "./fixtures/redis-harness.js";

/** One adapter under test: a fresh, empty store per case, and a way to write legacy rows into it. */
interface Subject {
  readonly store: DraftStore & { readonly admin: StoreAdmin };
  insertLegacy(rows: readonly LegacyRow[]): Promise<void>;
  /** Whether a scan may hand a draft out twice (Redis SCAN). */
  readonly duplicates: boolean;
  /** Whether legacy rows keep the query columns they were written with (not the memory store's). */
  readonly rawColumns: boolean;
  teardown(): Promise<void>;
}

type Factory = () => Promise<Subject>;

const actor = { id: "admin-test" };
const authorize = () => true;

function engineOf(store: DraftStore): OnboardingEngine {
  return createOnboardingEngine({ store, authorize });
}

async function scanAll(admin: StoreAdmin, limit: number, cursor: string | null = null): Promise<ScannedDraft[][]> {
  const pages: ScannedDraft[][] = [];
  for (let page = 0; page < 1000; page += 1) {
    const result = await admin.scanDrafts({ limit, cursor });
    pages.push([...result.drafts]);
    if (result.nextCursor === null) return pages;
    cursor = result.nextCursor;
  }
  throw new Error("the scan did not end within 1000 pages");
}

const keyOf = (draft: { workspaceId: string; draftId: string }) => `${draft.workspaceId}/${draft.draftId}`;

/** The admin cases, for one adapter. */
function describeAdmin(name: string, available: boolean, factory: Factory): void {
  describe.skipIf(!available)(`${name}: store.admin`, () => {
    let subject: Subject;
    let suffix: string;

    const fresh = async () => {
      subject = await factory();
      suffix = uniqueSuffix();
      return subject;
    };

    it("counts drafts per state, in every workspace or in one", async () => {
      const { store } = await fresh();
      try {
        const engine = engineOf(store);
        const wsA = `a-${suffix}`;
        const wsB = `b-${suffix}`;
        await engine.create(wsA, { identity: { tenantId: "t1", displayName: "One" } }, { actor });
        const second = await engine.create(wsA, { identity: { tenantId: "t2", displayName: "Two" } }, { actor });
        await engine.execute(wsA, second.draft.id, { type: "cancel" }, { actor, expectedVersion: 1 });
        await engine.create(wsB, {}, { actor });
        expect(await store.admin.countDrafts()).toEqual({ total: 3, byState: { draft: 2, cancelled: 1 } });
        expect(await store.admin.countDrafts({ workspaceId: wsA })).toEqual({
          total: 2,
          byState: { draft: 1, cancelled: 1 },
        });
        expect(await store.admin.countDrafts({ workspaceId: `none-${suffix}` })).toEqual({ total: 0, byState: {} });
      } finally {
        await subject.teardown();
      }
    });

    it("scans every draft of every workspace in pages, and resumes from a page's cursor", async () => {
      const { store, duplicates } = await fresh();
      try {
        const engine = engineOf(store);
        const expected = new Map<string, { version: number; state: string; tenant: string | null }>();
        for (const [index, workspace] of ["w1", "w2", "w3", "w1", "w2", "w1", "w3"].entries()) {
          const ws = `${workspace}-${suffix}`;
          const tenant = `tenant-${index}`;
          const { draft } = await engine.create(ws, { identity: { tenantId: tenant, displayName: "T" } }, { actor });
          let version = draft.version;
          let state: string = draft.lifecycle.state;
          let open: string | null = tenant;
          if (index % 2 === 1) {
            const done = await engine.execute(ws, draft.id, { type: "cancel" }, { actor, expectedVersion: version });
            version = done.version;
            state = done.state;
            open = null;
          }
          expected.set(keyOf({ workspaceId: ws, draftId: draft.id }), { version, state, tenant: open });
        }
        const pages = await scanAll(store.admin, 2);
        const seen = pages.flat();
        if (!duplicates) {
          for (const page of pages) expect(page.length).toBeLessThanOrEqual(2);
          expect(seen.map(keyOf).sort()).toEqual([...expected.keys()].sort());
        } else {
          expect([...new Set(seen.map(keyOf))].sort()).toEqual([...expected.keys()].sort());
        }
        for (const scanned of seen) {
          const want = expected.get(keyOf(scanned))!;
          expect(Number(scanned.version)).toBe(want.version);
          expect(scanned.state).toBe(want.state);
          expect(scanned.openTenantId).toBe(want.tenant);
          expect(
            parseDraft(typeof scanned.document === "string" ? JSON.parse(scanned.document) : scanned.document).id,
          ).toBe(scanned.draftId);
        }
        // Resumed from the cursor after the first non-empty page: the rest, no draft lost.
        let first = await store.admin.scanDrafts({ limit: 3 });
        while (first.drafts.length === 0 && first.nextCursor !== null) {
          first = await store.admin.scanDrafts({ limit: 3, cursor: first.nextCursor });
        }
        const rest = first.nextCursor === null ? [] : (await scanAll(store.admin, 3, first.nextCursor)).flat();
        expect(new Set([...first.drafts, ...rest].map(keyOf))).toEqual(new Set(expected.keys()));
        if (!duplicates) expect(first.drafts.length + rest.length).toBe(expected.size);
      } finally {
        await subject.teardown();
      }
    });

    it("refuses a malformed cursor and a limit out of range", async () => {
      const { store } = await fresh();
      try {
        await expect(store.admin.scanDrafts({ limit: 2, cursor: "not a cursor!" })).rejects.toBeInstanceOf(
          ValidationError,
        );
        await expect(store.admin.scanDrafts({ limit: 0 })).rejects.toBeInstanceOf(ValidationError);
        await expect(store.admin.scanDrafts({ limit: 1001 })).rejects.toBeInstanceOf(ValidationError);
      } finally {
        await subject.teardown();
      }
    });

    it("rewrites a legacy document in its current shape and fixes its query columns, keeping its version", async () => {
      const { store, insertLegacy, rawColumns } = await fresh();
      try {
        const ws = `legacy-${suffix}`;
        const rows = [legacyRow(ws, 1), legacyRow(ws, 2)];
        await insertLegacy(rows);
        const engine = engineOf(store);
        // Read before the rewrite: upgraded on the fly, but listed under the old status word.
        expect((await engine.get(ws, rows[1]!.id, { actor })).lifecycle.state).toBe("ready_for_activation");
        expect((await engine.list(ws, { actor, state: "ready_for_activation" })).drafts).toEqual([]);
        const scanned = (await scanAll(store.admin, 10)).flat().filter((draft) => draft.workspaceId === ws);
        if (rawColumns) expect(scanned.map((draft) => draft.state).sort()).toEqual(["new", "verified"]);
        for (const row of scanned) {
          const draft = parseDraft(JSON.parse(String(row.document)));
          const result = await store.admin.rewriteDraft({ draft, document: encodeDraft(draft), basis: row.document });
          expect(result).toEqual({ ok: true });
          // The same basis again: the document is no longer it.
          expect(await store.admin.rewriteDraft({ draft, document: encodeDraft(draft), basis: row.document })).toEqual({
            ok: false,
            reason: "changed",
          });
        }
        const after = (await scanAll(store.admin, 10)).flat().filter((draft) => draft.workspaceId === ws);
        for (const row of after) {
          const document = JSON.parse(String(row.document)) as { schemaVersion?: number; version: number };
          expect(document.schemaVersion).toBe(1);
          expect(Number(row.version)).toBe(1);
          expect(row.openTenantId).toBe(`tenant-${ws}-${row.draftId === rows[0]!.id ? 1 : 2}`);
        }
        expect(after.map((draft) => draft.state).sort()).toEqual(["draft", "ready_for_activation"]);
        const listed = await engine.list(ws, { actor, state: "ready_for_activation" });
        expect(listed.drafts.map((draft) => draft.id)).toEqual([rows[1]!.id]);
        expect(await store.admin.countDrafts({ workspaceId: ws })).toEqual({
          total: 2,
          byState: { draft: 1, ready_for_activation: 1 },
        });
        // The engine takes over from the rewritten row: the tenant's slot is held.
        await expect(
          engine.create(ws, { identity: { tenantId: rows[0]!.tenantId, displayName: "Again" } }, { actor }),
        ).rejects.toMatchObject({ code: "open_draft_exists", existingDraftId: rows[0]!.id });
        const next = await engine.execute(ws, rows[0]!.id, { type: "cancel" }, { actor, expectedVersion: 1 });
        expect(next.version).toBe(2);
      } finally {
        await subject.teardown();
      }
    });

    it("never overwrites a commit made after the scan", async () => {
      const { store, insertLegacy } = await fresh();
      try {
        const ws = `race-${suffix}`;
        const row = legacyRow(ws, 0);
        await insertLegacy([row]);
        const scanned = (await scanAll(store.admin, 10)).flat().find((draft) => draft.draftId === row.id)!;
        const engine = engineOf(store);
        await engine.execute(
          ws,
          row.id,
          { type: "select_provider", connectionId: "conn-new" },
          { actor, expectedVersion: 1 },
        );
        const draft = parseDraft(JSON.parse(String(scanned.document)));
        const result = await store.admin.rewriteDraft({ draft, document: encodeDraft(draft), basis: scanned.document });
        expect(result).toEqual({ ok: false, reason: "changed" });
        const current = await engine.get(ws, row.id, { actor });
        expect(current.version).toBe(2);
        expect(current.provider?.connectionId).toBe("conn-new");
      } finally {
        await subject.teardown();
      }
    });

    it("keeps one open draft per tenant: a legacy row of a tenant with an open draft is refused", async () => {
      const { store, insertLegacy } = await fresh();
      try {
        const ws = `slot-${suffix}`;
        const engine = engineOf(store);
        const holder = await engine.create(ws, { identity: { tenantId: "shared", displayName: "S" } }, { actor });
        const row = legacyRow(ws, 4, "shared");
        await insertLegacy([row]);
        const scanned = (await scanAll(store.admin, 10)).flat().find((draft) => draft.draftId === row.id)!;
        const draft = parseDraft(JSON.parse(String(scanned.document)));
        const result = await store.admin.rewriteDraft({ draft, document: encodeDraft(draft), basis: scanned.document });
        expect(result).toEqual({ ok: false, reason: "open_draft_exists", existingDraftId: holder.draft.id });
        const again = (await scanAll(store.admin, 10)).flat().find((draft) => draft.draftId === row.id)!;
        expect(again.document).toEqual(scanned.document);
        expect(again.openTenantId).toBe(scanned.openTenantId);
      } finally {
        await subject.teardown();
      }
    });
  });
}

// ---- the adapters ---------------------------------------------------------------------------

describeAdmin("memory", true, async () => {
  const store = createMemoryStore();
  return {
    store,
    duplicates: false,
    rawColumns: false,
    // The memory store has no tables: create the draft through the engine (under its legacy id,
    // with a tenant no legacy row names), then put the legacy text in place of its document.
    async insertLegacy(rows) {
      for (const row of rows) {
        const engine = createOnboardingEngine({
          store,
          authorize,
          ids: { draftId: () => row.id, runId: () => randomUUID(), eventId: () => randomUUID() },
        });
        await engine.create(
          row.workspaceId,
          { identity: { tenantId: `placeholder-${row.id}`, displayName: "P" } },
          { actor },
        );
        store.setRawDocument(row.workspaceId, row.id, JSON.stringify(row.document));
      }
    },
    async teardown() {
      store.clear();
    },
  };
});

describeAdmin("sqlite", true, async () => {
  const db = new Database(":memory:");
  const store = createSqliteStore({ database: db, tablePrefix: "adm_" });
  await store.migrate();
  return {
    store,
    duplicates: false,
    rawColumns: true,
    async insertLegacy(rows) {
      insertLegacySqlite(db, "adm_", rows);
    },
    async teardown() {
      await store.close();
      db.close();
    },
  };
});

const postgresUp = await serviceAvailable("PostgreSQL", probePostgres);
const pgPool = postgresUp ? postgresPool(4) : null;
describeAdmin("postgres", postgresUp, async () => {
  const prefix = `adm_${uniqueSuffix()}_`;
  const store = createPostgresStore({ pool: pgPool!, tablePrefix: prefix });
  await store.migrate();
  return {
    store,
    duplicates: false,
    rawColumns: true,
    insertLegacy: (rows) => insertLegacyPostgres(pgPool!, prefix, rows),
    teardown: () => dropPostgres(pgPool!, prefix),
  };
});

const mysqlUp = await serviceAvailable("MySQL/MariaDB", probeMySql);
const myPool = mysqlUp ? mysqlPool(4) : null;
describeAdmin("mysql", mysqlUp, async () => {
  const prefix = `adm_${uniqueSuffix()}_`;
  const store = createMySqlStore({ pool: myPool!, tablePrefix: prefix });
  await store.migrate();
  return {
    store,
    duplicates: false,
    rawColumns: true,
    insertLegacy: (rows) => insertLegacyMySql(myPool!, prefix, rows),
    teardown: () => dropMySql(myPool!, prefix),
  };
});

const redisUp = await serviceAvailable("Redis", probeRedis);
const redisClient: Redis | null = redisUp ? standaloneClient() : null;
describeAdmin("redis", redisUp, async () => redisSubject(redisClient!));

function redisSubject(client: Redis | Cluster): Subject {
  const prefix = `adm-${uniqueSuffix()}`;
  const store = createRedisStore({ client, keyPrefix: prefix });
  return {
    store,
    duplicates: true,
    rawColumns: true,
    insertLegacy: (rows) => insertLegacyRedis(client, prefix, rows),
    teardown: async () => {
      await deleteKeysWithPrefix(client, prefix);
    },
  };
}

const clusterPossible = redisBinariesAvailable();
let cluster: TestRedisCluster | null = null;
let clusterConnection: Cluster | null = null;
describe.skipIf(!clusterPossible)("redis cluster", () => {
  beforeAll(async () => {
    cluster = await startRedisCluster();
    clusterConnection = clusterClient(cluster.ports);
  }, 60_000);
  afterAll(async () => {
    clusterConnection?.disconnect();
    await cluster?.stop();
  });
  describeAdmin("redis (cluster)", clusterPossible, async () => redisSubject(clusterConnection!));
});

afterAll(async () => {
  await pgPool?.end();
  await myPool?.end();
  redisClient?.disconnect();
});
