/**
 * SQLite adapter, outbox specifics (the shared semantics are the conformance kit's outbox
 * section): `migrate` adds the outbox table to a database made before it existed, a commit's
 * entries share its transaction (a failing entry takes the draft write with it), and claims from
 * two connections, or two processes, on one file never hand out the same entry.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import Database from "better-sqlite3";
import {
  createSqliteStore,
  migrateSqlite,
  sqliteSchemaStatements,
  type SqliteStore,
} from "../../src/adapters/sqlite/index.js";
import { encodeDraft } from "../../src/lifecycle/index.js";
import {
  OutboxRecordSchema,
  StoreError,
  newOutboxState,
  type OutboxEntry,
  type OnboardingDraft,
} from "../../src/record/index.js";
import { at, draftOf, eventFor, next, spawnFixture, tempDatabase, uid } from "./fixtures/sqlite-helpers.js";
import { storedDraft, withDocument } from "../../src/testing/index.js";

const NOW = "2031-01-01T00:00:00.000Z";
const LEASE_UNTIL = "2032-01-01T00:00:00.000Z";

/** An entry as the engine would write it with the commit producing `draft`. */
function entryOf(draft: OnboardingDraft, kind: OutboxEntry["kind"] = "run.requested"): OutboxEntry {
  return {
    entryId: uid("ob"),
    workspaceId: draft.workspaceId,
    draftId: draft.id,
    runId: uid("run"),
    kind,
    checkpoint: "verify_access",
    operation: "verify_access",
    providerConnectionId: "pc-1",
    providerRevision: 1,
    draftVersion: draft.version,
    eventId: uid("e"),
    createdAt: draft.updatedAt,
  };
}

async function insertDraft(store: SqliteStore, draft: OnboardingDraft): Promise<void> {
  expect(await store.insert(withDocument({ draft, event: eventFor(draft, "created"), idempotency: null }))).toEqual({
    ok: true,
  });
}

/** The next version of `draft` and the commit input writing it with `count` entries. */
function commitOf(draft: OnboardingDraft, count: number, second = 1) {
  const draftNext = next(draft, { type: "identify", tenantId: "t", displayName: uid("name") }, at(second));
  const outbox = Array.from({ length: count }, () => entryOf(draftNext));
  return {
    draft: draftNext,
    outbox,
    input: {
      draft: draftNext,
      document: encodeDraft(draftNext),
      expectedVersion: draft.version,
      events: [eventFor(draftNext, "committed", "identify")],
      idempotency: null,
      outbox,
    },
  };
}

/** Inserts a draft and commits `perCommit` entries `commits` times; resolves to the entry keys. */
async function seed(store: SqliteStore, workspaceId: string, commits: number, perCommit: number): Promise<string[]> {
  let draft = draftOf({ workspaceId, tenantId: "t" });
  await insertDraft(store, draft);
  const keys: string[] = [];
  for (let i = 0; i < commits; i++) {
    const commit = commitOf(draft, perCommit, i + 1);
    expect(await store.commit(commit.input)).toEqual({ ok: true });
    keys.push(...commit.outbox.map((e) => `${e.workspaceId}/${e.entryId}`));
    draft = commit.draft;
  }
  return keys;
}

function names(db: Database.Database, prefix: string): string[] {
  return db
    .prepare(`SELECT name FROM sqlite_master WHERE name LIKE ? ORDER BY name`)
    .pluck()
    .all(`${prefix}%`) as string[];
}

describe("sqlite outbox: schema", () => {
  it("migration 5 (partial outbox indexes) keeps a version-4 outbox's records and listings in every status", async () => {
    const tmp = tempDatabase("outbox-v4");
    const db = new Database(tmp.file);
    try {
      expect((await migrateSqlite(db, { tablePrefix: "v4_", to: 4 })).to).toBe(4);
      const store = createSqliteStore({ database: db, tablePrefix: "v4_" });
      const ws = uid("ws");
      const keys = await seed(store, ws, 2, 3);
      const claimed = await store.claimOutbox({ owner: "o", now: NOW, leaseUntil: LEASE_UNTIL, limit: 2 });
      const [first, second] = claimed.map((record) => OutboxRecordSchema.parse(record));
      await store.settleOutbox({
        owner: "o",
        at: NOW,
        settlements: [
          { workspaceId: ws, entryId: first?.entryId ?? "", status: "delivered" },
          { workspaceId: ws, entryId: second?.entryId ?? "", status: "dead", error: "gave up" },
        ],
      });
      const listings = async () => [
        (await store.listOutbox({ workspaceId: ws, limit: 50 })).entries,
        (await store.listOutbox({ limit: 50 })).entries,
        ...(await Promise.all(
          (["pending", "delivered", "dead"] as const).map(
            async (status) => (await store.listOutbox({ status, workspaceId: ws, limit: 50 })).entries,
          ),
        )),
      ];
      const before = await listings();
      expect(before.map((page) => page.length)).toEqual([keys.length, keys.length, keys.length - 2, 1, 1]);
      await store.migrate();
      expect(names(db, "v4_outbox")).toEqual([
        "v4_outbox",
        "v4_outbox_done_idx",
        "v4_outbox_pending_idx",
        "v4_outbox_runs_idx",
        "v4_outbox_stale_idx",
        "v4_outbox_ws_done_idx",
      ]);
      expect(await listings()).toEqual(before);
      await store.close();
    } finally {
      db.close();
      tmp.cleanup();
    }
  });

  it("migrate() adds the outbox table to a database made by the DDL before it", async () => {
    const tmp = tempDatabase("outbox-migrate");
    const db = new Database(tmp.file);
    try {
      for (const statement of sqliteSchemaStatements("old_")) {
        if (!statement.includes(`"old_outbox`)) db.exec(statement);
      }
      const store = createSqliteStore({ database: db, tablePrefix: "old_" });
      const ws = uid("ws");
      const draft = draftOf({ workspaceId: ws, tenantId: "t" });
      await insertDraft(store, draft);
      expect(names(db, "old_outbox")).toEqual([]);

      await store.migrate();
      expect(names(db, "old_outbox")).toEqual([
        "old_outbox",
        "old_outbox_done_idx",
        "old_outbox_pending_idx",
        "old_outbox_runs_idx",
        "old_outbox_stale_idx",
        "old_outbox_ws_done_idx",
      ]);
      expect(storedDraft(await store.load(ws, draft.id))).toEqual(JSON.parse(encodeDraft(draft)));
      const schema = db.prepare(`SELECT type, name, sql FROM sqlite_master ORDER BY name`).all();
      await store.migrate();
      expect(db.prepare(`SELECT type, name, sql FROM sqlite_master ORDER BY name`).all()).toEqual(schema);

      const commit = commitOf(draft, 1);
      expect(await store.commit(commit.input)).toEqual({ ok: true });
      const records = await store.listRunRecords(ws, draft.id);
      expect(records.map((r) => OutboxRecordSchema.parse(r))).toEqual(
        commit.outbox.map((e) => ({ ...e, ...newOutboxState(e) })),
      );
      await store.close();
    } finally {
      db.close();
      tmp.cleanup();
    }
  });
});

describe("sqlite outbox: one transaction with the commit", () => {
  const tmp = tempDatabase("outbox-commit");
  let store: SqliteStore;
  let db: Database.Database;

  beforeAll(async () => {
    store = createSqliteStore({ filename: tmp.file, tablePrefix: "obc_" });
    await store.migrate();
    db = await store.database();
  });

  afterAll(async () => {
    await store.close();
    tmp.cleanup();
  });

  const rows = (ws: string): number =>
    db.prepare(`SELECT count(*) FROM "obc_outbox" WHERE workspace_id = ?`).pluck().get(ws) as number;

  it("stores each entry as a new pending record, in exactly the record's columns", async () => {
    const ws = uid("ws");
    const draft = draftOf({ workspaceId: ws, tenantId: "t" });
    await insertDraft(store, draft);
    const commit = commitOf(draft, 2);
    const cancelled = { ...entryOf(commit.draft, "run.cancelled"), runId: commit.outbox[0]!.runId };
    expect(await store.commit({ ...commit.input, outbox: [...commit.outbox, cancelled] })).toEqual({ ok: true });
    const page = await store.listOutbox({ workspaceId: ws, limit: 10 });
    const expected = [...commit.outbox, cancelled]
      .map((e) => ({ ...e, ...newOutboxState(e) }))
      .sort((a, b) => (a.entryId < b.entryId ? -1 : 1));
    expect(page).toEqual({ entries: expected, nextCursor: null });
    const columns = db.prepare(`SELECT name FROM pragma_table_info('obc_outbox')`).pluck().all() as string[];
    expect(columns).toHaveLength(Object.keys(expected[0]!).length);
  });

  it("writes nothing for a rejected commit and nothing twice for a re-sent one", async () => {
    const ws = uid("ws");
    const draft = draftOf({ workspaceId: ws, tenantId: "t" });
    await insertDraft(store, draft);
    const commit = commitOf(draft, 1);
    expect(await store.commit(commit.input)).toEqual({ ok: true });
    expect(rows(ws)).toBe(1);
    // The same write again (a lost reply): reported applied, no second entry.
    expect(await store.commit(commit.input)).toEqual({ ok: true });
    const stale = commitOf(draft, 3);
    expect(await store.commit(stale.input)).toEqual({ ok: false, reason: "version_conflict", actualVersion: 2 });
    expect(rows(ws)).toBe(1);
  });

  it("an entry SQLite refuses rolls the whole commit back", async () => {
    const ws = uid("ws");
    const draft = draftOf({ workspaceId: ws, tenantId: "t" });
    await insertDraft(store, draft);
    const first = commitOf(draft, 1);
    expect(await store.commit(first.input)).toEqual({ ok: true });
    const second = commitOf(first.draft, 1, 2);
    const duplicate = { ...second.outbox[0]!, entryId: first.outbox[0]!.entryId };
    await expect(store.commit({ ...second.input, outbox: [...second.outbox, duplicate] })).rejects.toBeInstanceOf(
      StoreError,
    );
    expect(storedDraft(await store.load(ws, draft.id)).version).toBe(2);
    expect((await store.listAudit(ws, draft.id)).length).toBe(2);
    expect(rows(ws)).toBe(1);
  });
});

describe("sqlite outbox: concurrent claims on one file", () => {
  const tmp = tempDatabase("outbox-claims");
  const PREFIX = "obq_";
  let store: SqliteStore;

  beforeAll(async () => {
    store = createSqliteStore({ filename: tmp.file, tablePrefix: PREFIX });
    await store.migrate();
  });

  afterAll(async () => {
    await store.close();
    tmp.cleanup();
  });

  it("two connections claiming at once never share an entry", async () => {
    const keys = [...(await seed(store, uid("ws"), 4, 25)), ...(await seed(store, uid("ws"), 4, 25))];
    const other = createSqliteStore({ filename: tmp.file, tablePrefix: PREFIX });
    try {
      const claimAll = async (claimer: SqliteStore, owner: string): Promise<string[]> => {
        const got: string[] = [];
        for (;;) {
          const records = (await claimer.claimOutbox({ owner, now: NOW, leaseUntil: LEASE_UNTIL, limit: 3 })) as {
            workspaceId: string;
            entryId: string;
            leaseOwner: string;
          }[];
          if (records.length === 0) return got;
          for (const r of records) expect(r.leaseOwner).toBe(owner);
          got.push(...records.map((r) => `${r.workspaceId}/${r.entryId}`));
        }
      };
      const [a, b] = await Promise.all([claimAll(store, "conn-a"), claimAll(other, "conn-b")]);
      expect(a.length + b.length).toBe(keys.length);
      expect([...a, ...b].sort()).toEqual([...keys].sort());
    } finally {
      await other.close();
    }
  });

  it("two processes claiming at once never share an entry", async () => {
    const keys = [
      ...(await seed(store, uid("ws"), 6, 30)),
      ...(await seed(store, uid("ws"), 6, 30)),
      ...(await seed(store, uid("ws"), 6, 30)),
    ];
    const startAt = String(Date.now() + 3000);
    const children = ["proc-a", "proc-b"].map((owner) =>
      spawnFixture("sqlite-claimer.ts", [tmp.file, PREFIX, owner, "2", NOW, LEASE_UNTIL, startAt]),
    );
    const results = await Promise.all(children.map((c) => c.exited));
    const reports = results.map((r, i) => {
      expect(r.code, `child ${i} exited with ${r.code}/${r.signal}: ${r.stderr}`).toBe(0);
      return JSON.parse(r.stdout.trim()) as { owner: string; claimed: string[]; settled: number; errors: string[] };
    });
    expect(reports.flatMap((r) => r.errors)).toEqual([]);
    const claimed = reports.flatMap((r) => r.claimed);
    expect(claimed).toHaveLength(keys.length);
    expect([...claimed].sort()).toEqual([...keys].sort());

    // Every entry was leased once (one attempt), by the process that reported it; settlements
    // changed exactly the entries of their own batches.
    const db = await store.database();
    const rows = db
      .prepare(`SELECT workspace_id, entry_id, status, attempts, lease_owner FROM "${PREFIX}outbox"`)
      .all() as { workspace_id: string; entry_id: string; status: string; attempts: number; lease_owner: string }[];
    const owners = new Map(reports.flatMap((r) => r.claimed.map((key) => [key, r.owner] as const)));
    const seeded = new Set(keys);
    const relevant = rows.filter((row) => seeded.has(`${row.workspace_id}/${row.entry_id}`));
    expect(relevant).toHaveLength(keys.length);
    for (const row of relevant) {
      expect(row.attempts).toBe(1);
      if (row.status === "pending") expect(row.lease_owner).toBe(owners.get(`${row.workspace_id}/${row.entry_id}`));
      else expect(row.status).toBe("delivered");
    }
    const delivered = relevant.filter((row) => row.status === "delivered").length;
    expect(delivered).toBe(reports.reduce((sum, r) => sum + r.settled, 0));
    console.info(
      `[sqlite outbox] ${keys.length} entries claimed by 2 processes: ${reports.map((r) => `${r.owner} ${r.claimed.length}`).join(", ")}`,
    );
  }, 60_000);
});
