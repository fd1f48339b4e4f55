/**
 * SQLite adapter, outbox specifics (the shared semantics are the conformance kit's outbox
 * section): `migrate` adds the outbox table to a database made before it existed and the journal
 * to one made before it; a commit writes only its journal (its entries on its first audit row,
 * in its own transaction), which outbox operations absorb, idempotently and atomically even
 * when absorbers and readers race; claims from two connections, or two processes, on one file
 * never hand out the same entry.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import Database from "better-sqlite3";
import { createSqliteStore, migrateSqlite, type SqliteStore } from "../../src/adapters/sqlite/index.js";
import { encodeDraft } from "../../src/lifecycle/index.js";
import {
  OutboxRecordSchema,
  newOutboxState,
  type IdempotencyRecord,
  type OutboxEntry,
  type OnboardingDraft,
} from "../../src/record/index.js";
import { at, draftOf, eventFor, next, spawnFixture, tempDatabase, uid } from "./fixtures/sqlite-helpers.js";
import { SQLITE_LEGACY } from "./fixtures/legacy-schemas.js";
import { storedDraft, withDocument } from "../../src/testing/index.js";
import type { OutboxPage } from "../../src/store/index.js";

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

/** Writes `count` pending entries straight into the outbox table, as releases before the journal did. */
function legacyEntries(db: Database.Database, prefix: string, workspaceId: string, count: number): OutboxEntry[] {
  const insert = db.prepare(
    `INSERT INTO "${prefix}outbox" (workspace_id, entry_id, draft_id, run_id, kind, checkpoint, operation,
       provider_connection_id, provider_revision, draft_version, event_id, created_at, status, attempts, available_at)
     VALUES (@workspaceId, @entryId, @draftId, @runId, @kind, @checkpoint, @operation, @providerConnectionId,
       @providerRevision, @draftVersion, @eventId, @createdAt, 'pending', 0, @createdAt)`,
  );
  const draft = draftOf({ workspaceId, tenantId: "t" });
  return Array.from({ length: count }, (_, i) => {
    const entry = { ...entryOf(draft), createdAt: at(i + 1) };
    insert.run(entry);
    return entry;
  });
}

/** Marks a legacy entry delivered or dead, as a settlement of that release would have. */
function settleLegacy(db: Database.Database, prefix: string, ws: string, entryId: string, status: string): void {
  db.prepare(
    `UPDATE "${prefix}outbox" SET status = ?, attempts = 1, delivered_at = CASE WHEN ? = 'delivered' THEN ? END,
       last_error = CASE WHEN ? = 'dead' THEN 'gave up' END WHERE workspace_id = ? AND entry_id = ?`,
  ).run(status, status, NOW, status, ws, entryId);
}

/** The journal's watermark (0 when its row is absent). */
function mark(db: Database.Database, prefix: string): number {
  return db.prepare(`SELECT coalesce((SELECT seq FROM "${prefix}outbox_mark"), 0)`).pluck().get() as number;
}

/** Rows of the outbox table itself for a workspace (not counting the journal). */
function tableRows(db: Database.Database, prefix: string, ws: string): number {
  return db.prepare(`SELECT count(*) FROM "${prefix}outbox" WHERE workspace_id = ?`).pluck().get(ws) as number;
}

function names(db: Database.Database, prefix: string): string[] {
  return db
    .prepare(`SELECT name FROM sqlite_master WHERE name LIKE ? ORDER BY name`)
    .pluck()
    .all(`${prefix}%`) as string[];
}

describe("sqlite outbox: schema", () => {
  it("migrations 5 and 6 keep a version-4 outbox's records and listings in every status", async () => {
    const tmp = tempDatabase("outbox-v4");
    const db = new Database(tmp.file);
    try {
      expect((await migrateSqlite(db, { tablePrefix: "v4_", to: 4 })).to).toBe(4);
      const ws = uid("ws");
      const entries = legacyEntries(db, "v4_", ws, 6);
      settleLegacy(db, "v4_", ws, entries[0]!.entryId, "delivered");
      settleLegacy(db, "v4_", ws, entries[1]!.entryId, "dead");
      const before = db.prepare(`SELECT * FROM "v4_outbox" ORDER BY entry_id`).all();
      const store = createSqliteStore({ database: db, tablePrefix: "v4_" });
      await store.migrate();
      expect(names(db, "v4_outbox")).toEqual([
        "v4_outbox",
        "v4_outbox_done_idx",
        "v4_outbox_mark",
        "v4_outbox_pending_idx",
        "v4_outbox_runs_idx",
        "v4_outbox_stale_idx",
        "v4_outbox_ws_done_idx",
      ]);
      expect(db.prepare(`SELECT * FROM "v4_outbox" ORDER BY entry_id`).all()).toEqual(before);
      const listings = [
        (await store.listOutbox({ workspaceId: ws, limit: 50 })).entries,
        (await store.listOutbox({ limit: 50 })).entries,
        ...(await Promise.all(
          (["pending", "delivered", "dead"] as const).map(
            async (status) => (await store.listOutbox({ status, workspaceId: ws, limit: 50 })).entries,
          ),
        )),
      ];
      expect(listings.map((page) => page.length)).toEqual([6, 6, 4, 1, 1]);
      const parsed = listings[0]!.map((record) => OutboxRecordSchema.parse(record));
      expect(parsed.map((record) => record.entryId).sort()).toEqual(entries.map((e) => e.entryId).sort());
      await store.close();
    } finally {
      db.close();
      tmp.cleanup();
    }
  });

  it("migration 6 (the journal) from version 5: earlier entries stay, new ones go through the journal", async () => {
    const tmp = tempDatabase("outbox-v5");
    const db = new Database(tmp.file);
    try {
      expect((await migrateSqlite(db, { tablePrefix: "v5_", to: 5 })).to).toBe(5);
      // Version 5 data, as that release wrote it: a draft, a commit, its entries in the table.
      const store = createSqliteStore({ database: db, tablePrefix: "v5_" });
      const ws = uid("ws");
      const draft = draftOf({ workspaceId: ws, tenantId: "t" });
      await insertDraft(store, draft);
      const plain = commitOf(draft, 0);
      expect(await store.commit(plain.input)).toEqual({ ok: true });
      const old = legacyEntries(db, "v5_", ws, 3);
      settleLegacy(db, "v5_", ws, old[0]!.entryId, "delivered");
      const top = db.prepare(`SELECT max(seq) FROM "v5_audit"`).pluck().get() as number;

      expect((await store.migrate()).applied.map((m) => m.name)).toEqual(["outbox_journal"]);
      expect(mark(db, "v5_")).toBe(top);
      expect(db.prepare(`SELECT count(*) FROM "v5_audit" WHERE outbox IS NOT NULL`).pluck().get()).toBe(0);
      expect((await store.listOutbox({ workspaceId: ws, limit: 50 })).entries).toHaveLength(3);

      const commit = commitOf(plain.draft, 2, 2);
      expect(await store.commit(commit.input)).toEqual({ ok: true });
      expect(tableRows(db, "v5_", ws)).toBe(3);
      const claimed = await store.claimOutbox({ owner: "o", now: NOW, leaseUntil: LEASE_UNTIL, limit: 10 });
      const keys = (claimed as { entryId: string }[]).map((record) => record.entryId).sort();
      expect(keys).toEqual([old[1]!, old[2]!, ...commit.outbox].map((e) => e.entryId).sort());
      expect(tableRows(db, "v5_", ws)).toBe(5);
      expect(mark(db, "v5_")).toBe(db.prepare(`SELECT max(seq) FROM "v5_audit"`).pluck().get());
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
      // The last schema before the outbox (audit run_ids, version 3).
      for (const statement of SQLITE_LEGACY[2]!.statements("old_")) db.exec(statement);
      const store = createSqliteStore({ database: db, tablePrefix: "old_" });
      const ws = uid("ws");
      const draft = draftOf({ workspaceId: ws, tenantId: "t" });
      await insertDraft(store, draft);
      expect(names(db, "old_outbox")).toEqual([]);

      await store.migrate();
      expect(names(db, "old_outbox")).toEqual([
        "old_outbox",
        "old_outbox_done_idx",
        "old_outbox_mark",
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

describe("sqlite outbox: the journal, in the commit's transaction", () => {
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

  /** The workspace's entries as the outbox operations see them (absorbing the journal first). */
  const rows = async (ws: string): Promise<number> =>
    (await store.listOutbox({ workspaceId: ws, limit: 100 })).entries.length;

  it("a commit writes only the journal, on its first audit row; the table is untouched until a read", async () => {
    const ws = uid("ws");
    const draft = draftOf({ workspaceId: ws, tenantId: "t" });
    await insertDraft(store, draft);
    const commit = commitOf(draft, 2);
    const events = [commit.input.events[0]!, eventFor(commit.draft, "committed", "identify")];
    const before = db.prepare(`SELECT count(*) FROM "obc_outbox"`).pluck().get();
    const markBefore = mark(db, "obc_");
    expect(await store.commit({ ...commit.input, events })).toEqual({ ok: true });
    expect(db.prepare(`SELECT count(*) FROM "obc_outbox"`).pluck().get()).toBe(before);
    expect(mark(db, "obc_")).toBe(markBefore);
    const journal = db
      .prepare(`SELECT event_id, outbox FROM "obc_audit" WHERE workspace_id = ? ORDER BY seq`)
      .all(ws) as { event_id: string; outbox: string | null }[];
    expect(journal.map((row) => row.outbox === null)).toEqual([true, false, true]);
    expect(JSON.parse(journal[1]!.outbox!)).toEqual(commit.outbox);
    // The audit trail never shows the journal.
    expect((await store.listAudit(ws, draft.id)).map((entry) => entry.event)).toEqual([expect.any(Object), ...events]);

    expect(await rows(ws)).toBe(2);
    expect(tableRows(db, "obc_", ws)).toBe(2);
    expect(mark(db, "obc_")).toBe(db.prepare(`SELECT max(seq) FROM "obc_audit"`).pluck().get());
    // Absorbed once: reading again moves nothing twice.
    expect(await rows(ws)).toBe(2);
  });

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
    expect(await rows(ws)).toBe(1);
    // The same write again (a lost reply): reported applied, no second entry.
    expect(await store.commit(commit.input)).toEqual({ ok: true });
    const stale = commitOf(draft, 3);
    expect(await store.commit(stale.input)).toEqual({ ok: false, reason: "version_conflict", actualVersion: 2 });
    expect(await rows(ws)).toBe(1);
  });

  it("a commit rolled back after its journal row was written keeps neither (idempotency key taken)", async () => {
    const ws = uid("ws");
    const draft = draftOf({ workspaceId: ws, tenantId: "t" });
    await insertDraft(store, draft);
    const first = commitOf(draft, 1);
    const idempotency: IdempotencyRecord = {
      workspaceId: ws,
      key: uid("k"),
      draftId: draft.id,
      commandType: "identify",
      fingerprint: "f",
      createdAt: NOW,
      outcome: { version: 2, feedback: "applied", eventId: uid("e"), runIds: [], draft: first.draft },
    };
    expect(await store.commit({ ...first.input, idempotency })).toEqual({ ok: true });
    const second = commitOf(first.draft, 2, 2);
    expect(await store.commit({ ...second.input, idempotency })).toEqual({
      ok: false,
      reason: "idempotency_key_exists",
    });
    expect(storedDraft(await store.load(ws, draft.id)).version).toBe(2);
    expect((await store.listAudit(ws, draft.id)).length).toBe(2);
    expect(
      db.prepare(`SELECT count(*) FROM "obc_audit" WHERE workspace_id = ? AND outbox IS NOT NULL`).pluck().get(ws),
    ).toBe(1);
    expect(await rows(ws)).toBe(1);
  });

  it("a duplicate entry id in the journal is absorbed once: the first record stays as it was", async () => {
    const ws = uid("ws");
    const draft = draftOf({ workspaceId: ws, tenantId: "t" });
    await insertDraft(store, draft);
    const first = commitOf(draft, 1);
    expect(await store.commit(first.input)).toEqual({ ok: true });
    const second = commitOf(first.draft, 1, 2);
    const duplicate = { ...second.outbox[0]!, entryId: first.outbox[0]!.entryId };
    expect(await store.commit({ ...second.input, outbox: [...second.outbox, duplicate] })).toEqual({ ok: true });
    const records = (await store.listOutbox({ workspaceId: ws, limit: 10 })).entries.map((r) =>
      OutboxRecordSchema.parse(r),
    );
    expect(records.map((r) => r.entryId).sort()).toEqual([first.outbox[0]!.entryId, second.outbox[0]!.entryId].sort());
    expect(records.find((r) => r.entryId === first.outbox[0]!.entryId)?.runId).toBe(first.outbox[0]!.runId);
  });

  it("a commit without an audit entry to carry them writes its entries to the table directly", async () => {
    const ws = uid("ws");
    const draft = draftOf({ workspaceId: ws, tenantId: "t" });
    await insertDraft(store, draft);
    const commit = commitOf(draft, 2);
    expect(await store.commit({ ...commit.input, events: [] })).toEqual({ ok: true });
    expect(tableRows(db, "obc_", ws)).toBe(2);
    expect(await rows(ws)).toBe(2);
  });

  it("a backlog of more rows and more entries than one batch is absorbed whole by one call, each entry once", async () => {
    const ws = uid("ws");
    let draft = draftOf({ workspaceId: ws, tenantId: "t" });
    await insertDraft(store, draft);
    await rows(ws);
    // 1100 rows of one entry (more rows than a batch reads), then 12 of 200 (more entries than a batch moves).
    for (let i = 0; i < 1112; i++) {
      const commit = commitOf(draft, i < 1100 ? 1 : 200, (i % 50) + 1);
      expect(await store.commit(commit.input)).toEqual({ ok: true });
      draft = commit.draft;
    }
    expect(tableRows(db, "obc_", ws)).toBe(0);
    await store.listOutbox({ limit: 1 });
    expect(tableRows(db, "obc_", ws)).toBe(1100 + 12 * 200);
    expect(mark(db, "obc_")).toBe(db.prepare(`SELECT max(seq) FROM "obc_audit"`).pluck().get());
    expect(
      db
        .prepare(`SELECT count(*) FROM "obc_outbox" WHERE workspace_id = ? AND status = 'pending' AND attempts = 0`)
        .pluck()
        .get(ws),
    ).toBe(1100 + 12 * 200);
  });

  it("the empty check takes no write lock, and a long run of entry-less commits moves the mark up", async () => {
    const ws = uid("ws");
    let draft = draftOf({ workspaceId: ws, tenantId: "t" });
    await insertDraft(store, draft);
    await store.listOutbox({ limit: 1 });
    // Another connection holds the write lock: an empty check must not wait for it.
    const other = new Database(tmp.file);
    other.exec("BEGIN IMMEDIATE");
    try {
      const started = Date.now();
      expect(await store.listOutbox({ workspaceId: ws, limit: 1 })).toEqual({ entries: [], nextCursor: null });
      expect(Date.now() - started).toBeLessThan(1000);
    } finally {
      other.exec("ROLLBACK");
      other.close();
    }
    const markBefore = mark(db, "obc_");
    for (let i = 0; i < 1100; i++) {
      const commit = commitOf(draft, 0, (i % 50) + 1);
      expect(await store.commit(commit.input)).toEqual({ ok: true });
      draft = commit.draft;
    }
    expect(mark(db, "obc_")).toBe(markBefore);
    await store.listOutbox({ limit: 1 });
    expect(mark(db, "obc_")).toBe(db.prepare(`SELECT max(seq) FROM "obc_audit"`).pluck().get());
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

  it("absorbers race readers: every committed entry is listed by a read that starts after its commit, and claimed once", async () => {
    const ws = uid("ws");
    const startAt = String(Date.now() + 2500);
    // Two processes absorb and claim while this one commits and lists on two more connections.
    const children = ["race-a", "race-b"].map((owner) =>
      spawnFixture("sqlite-claimer.ts", [tmp.file, PREFIX, owner, "3", NOW, LEASE_UNTIL, startAt, "60"]),
    );
    const listers = [1, 2].map(() => createSqliteStore({ filename: tmp.file, tablePrefix: PREFIX }));
    const local: string[] = [];
    const committed: string[] = [];
    try {
      await Promise.all(listers.map((lister) => lister.database()));
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, Number(startAt) - Date.now())));
      let draft = draftOf({ workspaceId: ws, tenantId: "t" });
      await insertDraft(store, draft);
      for (let i = 0; i < 60; i++) {
        const commit = commitOf(draft, 1 + (i % 3), (i % 50) + 1);
        expect(await store.commit(commit.input)).toEqual({ ok: true });
        draft = commit.draft;
        committed.push(...commit.outbox.map((e) => e.entryId));
        // A listing that starts now, on another connection, must hold every entry committed so far.
        const lister = listers[i % 2]!;
        const seen = new Set<string>();
        for (let cursor: string | null = null; ;) {
          const page: OutboxPage = await lister.listOutbox({ workspaceId: ws, limit: 100, cursor });
          for (const record of page.entries) seen.add((record as { entryId: string }).entryId);
          if (page.nextCursor === null) break;
          cursor = page.nextCursor;
        }
        expect(committed.filter((id) => !seen.has(id))).toEqual([]);
        if (i % 5 === 0) {
          const mine = (await lister.claimOutbox({ owner: "lister", now: NOW, leaseUntil: LEASE_UNTIL, limit: 2 })) as {
            workspaceId: string;
            entryId: string;
          }[];
          local.push(...mine.filter((r) => r.workspaceId === ws).map((r) => r.entryId));
        }
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
      const results = await Promise.all(children.map((c) => c.exited));
      const reports = results.map((r, i) => {
        expect(r.code, `child ${i} exited with ${r.code}/${r.signal}: ${r.stderr}`).toBe(0);
        return JSON.parse(r.stdout.trim()) as { claimed: string[]; errors: string[] };
      });
      expect(reports.flatMap((r) => r.errors)).toEqual([]);
      const claimed = [
        ...reports.flatMap((r) =>
          r.claimed.filter((key) => key.startsWith(`${ws}/`)).map((key) => key.slice(ws.length + 1)),
        ),
        ...local,
      ];
      expect([...claimed].sort()).toEqual([...committed].sort());
      const db = await store.database();
      const attempts = db
        .prepare(`SELECT attempts FROM "${PREFIX}outbox" WHERE workspace_id = ?`)
        .pluck()
        .all(ws) as number[];
      expect(attempts).toEqual(committed.map(() => 1));
      console.info(
        `[sqlite outbox] ${committed.length} journal entries raced: ${reports.map((r) => r.claimed.length).join(" + ")} + ${local.length} claimed`,
      );
    } finally {
      for (const child of children) child.child.kill();
      await Promise.all(listers.map((lister) => lister.close()));
    }
  }, 90_000);
});
