/**
 * MySQL / MariaDB adapter, outbox: `migrate` adds the outbox table to a database created before
 * it existed; a commit writes its entries in its own transaction (none on a rejection, none twice
 * on a re-sent applied write, no draft change when an entry cannot be written); ids that only
 * look alike stay apart; and concurrent claimers, on separate connections and in several child
 * processes, never hold the same entry at once. Needs the loopback server; skipped loudly without it.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { Pool, RowDataPacket } from "mysql2/promise";
import {
  createMySqlStore,
  migrateMySql,
  mysqlSchemaStatements,
  mysqlTableNames,
  type MySqlStore,
} from "../../src/adapters/mysql/index.js";
import { applyCommand, newDraft, parseCommand } from "../../src/commands/index.js";
import {
  OutboxRecordSchema,
  StoreError,
  newOutboxState,
  type OnboardingDraft,
  type OutboxEntry,
} from "../../src/record/index.js";
import { serviceAvailable, uniqueSuffix } from "../support/services.js";
import { dropTables, eventFor, probeMySql, testPool } from "./fixtures/mysql-support.js";
import { encodeDraft } from "../../src/lifecycle/index.js";
import { withDocument } from "../../src/testing/index.js";

const up = await serviceAvailable("MySQL/MariaDB", probeMySql);

const T0 = Date.parse("2030-01-01T00:00:00.000Z");
const iso = (offsetMs: number): string => new Date(T0 + offsetMs).toISOString();
/** Far after every entry's `availableAt`: every pending entry is due. */
const NOW = iso(3_600_000);
const LEASE = iso(7_200_000);

function draftOf(workspaceId: string, id: string): OnboardingDraft {
  return newDraft({
    id,
    workspaceId,
    now: iso(0),
    actorId: "u1",
    identity: { tenantId: `t-${id}`, displayName: "Contoso" },
  });
}

/** The next version of a draft (a real command through the reducer). */
function next(draft: OnboardingDraft, at = iso(1000)): OnboardingDraft {
  const outcome = applyCommand(
    draft,
    parseCommand({ type: "select_provider", connectionId: `conn-${draft.version}` }),
    {
      now: at,
      actorId: "u2",
      nextRunId: () => `run-${Math.random().toString(36).slice(2)}`,
      policy: {},
    },
  );
  if (!outcome.changed) throw new Error("command changed nothing");
  return outcome.draft;
}

function entryOf(draft: OnboardingDraft, entryId: string, createdAt = draft.updatedAt): OutboxEntry {
  return {
    entryId,
    workspaceId: draft.workspaceId,
    draftId: draft.id,
    runId: `run-${entryId}`,
    kind: "run.requested",
    checkpoint: "bootstrap",
    operation: "create_groups",
    providerConnectionId: "conn-1",
    providerRevision: 1,
    draftVersion: draft.version,
    eventId: `ev-${draft.id}-${draft.version}`,
    createdAt,
  };
}

const keyOf = (record: unknown): string => {
  const { workspaceId, entryId } = OutboxRecordSchema.parse(record);
  return `${workspaceId}\u0000${entryId}`;
};

/** A store on its own table prefix with a draft at version 1 and `count` entries committed with version 2. */
async function seeded(pool: Pool, prefix: string, workspaceId: string, count: number): Promise<MySqlStore> {
  const store = createMySqlStore({ pool, tablePrefix: prefix });
  await store.migrate();
  const v1 = draftOf(workspaceId, "d-claims");
  expect(await store.insert(withDocument({ draft: v1, event: eventFor(v1), idempotency: null }))).toEqual({ ok: true });
  const v2 = next(v1);
  // Distinct creation times, so the claim order is total and deterministic.
  const outbox = Array.from({ length: count }, (_, i) => entryOf(v2, `e-${String(i).padStart(4, "0")}`, iso(i)));
  expect(
    await store.commit(
      withDocument({ draft: v2, expectedVersion: 1, events: [eventFor(v2)], idempotency: null, outbox }),
    ),
  ).toEqual({ ok: true });
  return store;
}

/** The outbox columns a commit wrote, in the order of a journal row's values. */
const OUTBOX_COLUMNS =
  "entry_id, workspace_id, draft_id, run_id, kind, checkpoint, operation, provider_connection_id, " +
  "provider_revision, draft_version, event_id, created_at, status, attempts, available_at";

const entryKey = ({ workspaceId, entryId }: OutboxEntry): string => `${workspaceId}\u0000${entryId}`;

/** Claimed keys: each exactly once, and together exactly `expected`. */
function expectDisjointAndComplete(claimed: readonly string[], expected: readonly string[]): void {
  const duplicates = claimed.filter((key, index) => claimed.indexOf(key) !== index);
  expect(duplicates).toEqual([]);
  expect([...claimed].sort()).toEqual([...expected].sort());
}

describe.skipIf(!up)("mysql adapter outbox", () => {
  const prefix = `t_myo_${uniqueSuffix()}_`;
  const prefixes = [prefix];
  let pool: Pool;
  let store: MySqlStore;
  let wsCounter = 0;
  const ws = (): string => `ws-${uniqueSuffix()}-${(wsCounter += 1)}`;
  /** A fresh table prefix of this file (dropped at the end). */
  const freshPrefix = (label: string): string => {
    const fresh = `${prefix}${label}_`;
    prefixes.push(fresh);
    return fresh;
  };

  beforeAll(async () => {
    pool = testPool(12);
    store = createMySqlStore({ pool, tablePrefix: prefix });
    await store.migrate();
  });

  afterAll(async () => {
    if (pool === undefined) return;
    for (const p of prefixes) await dropTables(pool, p);
    await pool.end();
  });

  async function tableExists(name: string): Promise<boolean> {
    const [rows] = await pool.query<RowDataPacket[]>(
      "SELECT 1 AS `found` FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = ?",
      [name],
    );
    return rows.length > 0;
  }

  /** Pending outbox records written the way releases before the journal did: straight into the outbox table. */
  async function legacyEntries(tablePrefix: string, entries: readonly OutboxEntry[]): Promise<void> {
    const rows = entries.map((e) => [
      ...[e.entryId, e.workspaceId, e.draftId, e.runId, e.kind, e.checkpoint, e.operation, e.providerConnectionId],
      ...[e.providerRevision, e.draftVersion, e.eventId, e.createdAt, "pending", 0, e.createdAt],
    ]);
    await pool.query(`INSERT INTO \`${tablePrefix}outbox\` (${OUTBOX_COLUMNS}) VALUES ?`, [rows]);
  }

  /** How many rows a table of the store holds. */
  async function countRows(table: string): Promise<number> {
    const [rows] = await pool.query<RowDataPacket[]>(`SELECT COUNT(*) AS n FROM \`${table}\``);
    return Number(rows[0]?.["n"]);
  }

  it("migrate() on a database created before the outbox adds its table and keeps the rows", async () => {
    const old = freshPrefix("old");
    const tables = mysqlTableNames(old);
    // The DDL of the previous release: the three tables without the outbox.
    const outboxTables = [`\`${tables.outbox}\``, `\`${tables.journal}\``];
    for (const statement of mysqlSchemaStatements(old).filter((s) => !outboxTables.some((t) => s.includes(t)))) {
      await pool.query(statement);
    }
    expect(await tableExists(tables.outbox)).toBe(false);
    const oldStore = createMySqlStore({ pool, tablePrefix: old });
    const w = ws();
    const v1 = draftOf(w, "d-old");
    expect(await oldStore.insert(withDocument({ draft: v1, event: eventFor(v1), idempotency: null }))).toEqual({
      ok: true,
    });

    await oldStore.migrate();
    await Promise.all([oldStore.migrate(), oldStore.migrate()]);
    expect(await tableExists(tables.outbox)).toBe(true);
    expect(await oldStore.load(w, "d-old")).not.toBeNull();

    const v2 = next(v1);
    const outbox = [entryOf(v2, "e-1")];
    expect(
      await oldStore.commit(
        withDocument({ draft: v2, expectedVersion: 1, events: [eventFor(v2)], idempotency: null, outbox }),
      ),
    ).toEqual({
      ok: true,
    });
    expect(await oldStore.listRunRecords(w, "d-old")).toEqual([{ ...outbox[0], ...newOutboxState(outbox[0]!) }]);
  });

  it("migration 5 (fewer outbox keys) keeps a version-4 outbox's records and listings in every status", async () => {
    const old = freshPrefix("v4");
    const workspaceId = ws();
    expect((await migrateMySql(pool, { tablePrefix: old, to: 4 })).to).toBe(4);
    const v1 = draftOf(workspaceId, "d-v4");
    const v2 = next(v1);
    const outbox = Array.from({ length: 5 }, (_, i) => entryOf(v2, `e-${i}`, iso(i)));
    // Records as version 4's releases wrote them: straight into the outbox, one delivered, one dead.
    await legacyEntries(old, outbox);
    await pool.query(
      `UPDATE \`${old}outbox\` SET status = 'delivered', attempts = 1, delivered_at = ? WHERE entry_id = 'e-0'`,
      [NOW],
    );
    await pool.query(
      `UPDATE \`${old}outbox\` SET status = 'dead', attempts = 1, last_error = 'gave up' WHERE entry_id = 'e-1'`,
    );
    const v4 = createMySqlStore({ pool, tablePrefix: old });
    await v4.migrate();
    const [keys] = await pool.query<RowDataPacket[]>(
      "SELECT DISTINCT INDEX_NAME AS i FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? ORDER BY INDEX_NAME",
      [`${old}outbox`],
    );
    expect(keys.map((row) => String(row["i"])).sort()).toEqual(["PRIMARY", "claim", "runs", "stale"]);
    const records = outbox.map((entry) => ({ ...entry, ...newOutboxState(entry) }));
    const [delivered, dead, ...pending] = records;
    const expected = [
      { ...delivered!, status: "delivered", attempts: 1, deliveredAt: NOW },
      { ...dead!, status: "dead", attempts: 1, lastError: "gave up" },
      ...pending,
    ];
    expect((await v4.listOutbox({ workspaceId, limit: 50 })).entries).toEqual(expected);
    for (const status of ["pending", "delivered", "dead"] as const) {
      const page = await v4.listOutbox({ status, workspaceId, limit: 50 });
      expect(page.entries).toEqual(expected.filter((record) => record.status === status));
    }
    expect(await v4.listRunRecords(workspaceId, v2.id)).toHaveLength(5);
  });

  it("a commit writes its entries as new pending records in its transaction, and only once", async () => {
    const w = ws();
    const v1 = draftOf(w, "d1");
    expect(await store.insert(withDocument({ draft: v1, event: eventFor(v1), idempotency: null }))).toEqual({
      ok: true,
    });
    const v2 = next(v1);
    const outbox = [entryOf(v2, "e-1"), { ...entryOf(v2, "e-2"), kind: "run.cancelled" as const }];
    const events = [eventFor(v2)];
    const commit = { draft: v2, document: encodeDraft(v2), expectedVersion: 1, events, idempotency: null, outbox };
    expect(await store.commit(commit)).toEqual({ ok: true });
    const expected = outbox.map((entry) => ({ ...entry, ...newOutboxState(entry) }));
    const page = await store.listOutbox({ workspaceId: w, limit: 10 });
    expect(page).toEqual({ entries: expected, nextCursor: null });
    for (const record of page.entries) expect(OutboxRecordSchema.parse(record)).toEqual(record);

    // The same commit sent again (its reply lost): recognised as applied, nothing written twice.
    expect(await store.commit(commit)).toEqual({ ok: true });
    // A stale commit with other entries: rejected, none of them written.
    const stale = next(v1, iso(2000));
    expect(
      await store.commit(
        withDocument({
          draft: stale,
          expectedVersion: 1,
          events: [eventFor(stale)],
          idempotency: null,
          outbox: [entryOf(stale, "e-3")],
        }),
      ),
    ).toEqual({ ok: false, reason: "version_conflict", actualVersion: 2 });
    expect((await store.listOutbox({ workspaceId: w, limit: 10 })).entries).toEqual(expected);
    // Only the run.requested entry is the run's liveness record.
    expect(await store.listRunRecords(w, "d1")).toEqual([expected[0]]);
  });

  it("an entry that cannot be written undoes the whole commit: draft, audit and entries", async () => {
    const w = ws();
    const v1 = draftOf(w, "d1");
    expect(await store.insert(withDocument({ draft: v1, event: eventFor(v1), idempotency: null }))).toEqual({
      ok: true,
    });
    const v2 = next(v1);
    // Two entries with one id: the second row breaks the primary key inside the transaction.
    const outbox = [entryOf(v2, "e-1"), entryOf(v2, "e-1")];
    await expect(
      store.commit(withDocument({ draft: v2, expectedVersion: 1, events: [eventFor(v2)], idempotency: null, outbox })),
    ).rejects.toBeInstanceOf(StoreError);
    expect(await store.load(w, "d1")).toMatchObject({ version: 1 });
    expect(await store.listAudit(w, "d1")).toHaveLength(1);
    expect((await store.listOutbox({ workspaceId: w, limit: 10 })).entries).toEqual([]);
  });

  it("keeps entries whose ids only look alike apart (case, trailing space, accents)", async () => {
    const base = ws();
    const workspaces = [base, base.toUpperCase(), `${base} `];
    const entryIds = ["e-1", "E-1", "e-1 ", "é-1", "e\u0301-1"];
    for (const w of workspaces) {
      const v1 = draftOf(w, "d1");
      expect(await store.insert(withDocument({ draft: v1, event: eventFor(v1), idempotency: null }))).toEqual({
        ok: true,
      });
      const v2 = next(v1);
      const outbox = entryIds.map((id) => entryOf(v2, id));
      expect(
        await store.commit(
          withDocument({ draft: v2, expectedVersion: 1, events: [eventFor(v2)], idempotency: null, outbox }),
        ),
      ).toEqual({
        ok: true,
      });
    }
    for (const w of workspaces) {
      const { entries } = await store.listOutbox({ workspaceId: w, limit: 10 });
      expect(entries.map((record) => OutboxRecordSchema.parse(record).workspaceId)).toEqual(entryIds.map(() => w));
      expect(entries.map((record) => OutboxRecordSchema.parse(record).entryId).sort()).toEqual([...entryIds].sort());
    }
    expect(await store.requeueOutbox({ workspaceId: workspaces[1]!, entryId: "E-1", at: NOW })).toBe(false);
    expect(await store.settleRuns({ workspaceId: workspaces[2]!, draftId: "d1", runIds: ["run-e-1 "], at: NOW })).toBe(
      1,
    );
    const settled = (await store.listRunRecords(workspaces[2]!, "d1")).map((record) =>
      OutboxRecordSchema.parse(record),
    );
    expect(settled.filter((record) => record.settledAt !== null).map((record) => record.entryId)).toEqual(["e-1 "]);
    expect(
      (await store.listRunRecords(base, "d1")).every((record) => OutboxRecordSchema.parse(record).settledAt === null),
    ).toBe(true);
  });

  it("concurrent claimers on separate connections never share an entry", async () => {
    const claimPrefix = freshPrefix("claims");
    const w = ws();
    const count = 240;
    const seededStore = await seeded(pool, claimPrefix, w, count);
    const all = ((await seededStore.listRunRecords(w, "d-claims")) as unknown[]).map(keyOf);
    expect(all).toHaveLength(count);

    // Six dispatchers, each with a pool of one connection: every claim is its own session.
    const claimers = Array.from({ length: 6 }, (_, index) => ({
      owner: `owner-${index}`,
      pool: testPool(1),
    }));
    try {
      const results = await Promise.all(
        claimers.map(async ({ owner, pool: own }) => {
          const claimerStore = createMySqlStore({ pool: own, tablePrefix: claimPrefix });
          const keys: string[] = [];
          for (let round = 0; round < count; round += 1) {
            const records = await claimerStore.claimOutbox({ owner, now: NOW, leaseUntil: LEASE, limit: 7 });
            if (records.length === 0) break;
            for (const record of records) {
              expect(OutboxRecordSchema.parse(record)).toMatchObject({
                leaseOwner: owner,
                leaseUntil: LEASE,
                attempts: 1,
              });
              keys.push(keyOf(record));
            }
          }
          return keys;
        }),
      );
      expectDisjointAndComplete(results.flat(), all);
      // Each entry is held by the claimer that got it, and none is claimable while the leases hold.
      const stored = ((await seededStore.listRunRecords(w, "d-claims")) as unknown[]).map((record) =>
        OutboxRecordSchema.parse(record),
      );
      const ownerOf = new Map(results.flatMap((keys, index) => keys.map((key) => [key, `owner-${index}`] as const)));
      for (const record of stored) expect(record.leaseOwner).toBe(ownerOf.get(keyOf(record)));
      expect(await seededStore.claimOutbox({ owner: "late", now: NOW, leaseUntil: LEASE, limit: 10 })).toEqual([]);
    } finally {
      await Promise.all(claimers.map(({ pool: own }) => own.end()));
    }
  }, 60_000);

  it("a lease that ended is claimed again; only the new holder settles it", async () => {
    const leasePrefix = freshPrefix("lease");
    const w = ws();
    const leaseStore = await seeded(pool, leasePrefix, w, 3);
    const first = await leaseStore.claimOutbox({ owner: "a", now: NOW, leaseUntil: iso(3_600_500), limit: 10 });
    expect(first.map(keyOf)).toHaveLength(3);
    expect(await leaseStore.claimOutbox({ owner: "b", now: iso(3_600_499), leaseUntil: LEASE, limit: 10 })).toEqual([]);
    const second = (
      await leaseStore.claimOutbox({ owner: "b", now: iso(3_600_500), leaseUntil: LEASE, limit: 10 })
    ).map((record) => OutboxRecordSchema.parse(record));
    expect(second.map(keyOf)).toEqual(first.map(keyOf));
    for (const record of second) expect(record).toMatchObject({ leaseOwner: "b", attempts: 2 });
    const settlements = second.map(({ workspaceId, entryId }) => ({
      workspaceId,
      entryId,
      status: "delivered" as const,
    }));
    expect(await leaseStore.settleOutbox({ owner: "a", at: LEASE, settlements })).toBe(0);
    expect(await leaseStore.settleOutbox({ owner: "b", at: LEASE, settlements })).toBe(3);
    const delivered = (await leaseStore.listOutbox({ status: "delivered", limit: 10 })).entries.map((record) =>
      OutboxRecordSchema.parse(record),
    );
    expect(delivered.map((record) => [record.deliveredAt, record.leaseOwner, record.leaseUntil])).toEqual(
      second.map(() => [LEASE, null, null]),
    );
  });

  describe("the outbox journal", () => {
    it("a commit writes only the journal; the first outbox operation moves its entries into the outbox", async () => {
      const journalPrefix = freshPrefix("jonly");
      const tables = mysqlTableNames(journalPrefix);
      const w = ws();
      const own = await seeded(pool, journalPrefix, w, 2);
      expect([await countRows(tables.outbox), await countRows(tables.journal)]).toEqual([0, 1]);
      const page = await own.listOutbox({ workspaceId: w, limit: 10 });
      expect(page.entries).toHaveLength(2);
      expect([await countRows(tables.outbox), await countRows(tables.journal)]).toEqual([2, 0]);
      // Nothing left to move: the next operation reads the same records.
      expect(await own.listOutbox({ workspaceId: w, limit: 10 })).toEqual(page);
    });

    it("an absorb that meets entries already in the outbox keeps them as they are, and empties the journal", async () => {
      const journalPrefix = freshPrefix("jdup");
      const tables = mysqlTableNames(journalPrefix);
      const w = ws();
      const own = await seeded(pool, journalPrefix, w, 3);
      const [journal] = await pool.query<RowDataPacket[]>(`SELECT entries FROM \`${tables.journal}\``);
      const payload = String(journal[0]?.["entries"]);
      const claimed = await own.claimOutbox({ owner: "o", now: NOW, leaseUntil: LEASE, limit: 10 });
      expect(claimed).toHaveLength(3);
      // The same journal row once more (as if a move were replayed): nothing changes.
      await pool.query(`INSERT INTO \`${tables.journal}\` (entries) VALUES (?)`, [payload]);
      const records = await own.listRunRecords(w, "d-claims");
      expect([...records].sort((a, b) => keyOf(a).localeCompare(keyOf(b)))).toEqual(
        [...claimed].sort((a, b) => keyOf(a).localeCompare(keyOf(b))),
      );
      expect(await countRows(tables.journal)).toBe(0);
    });

    it("moves a backlog larger than one batch, every entry once", async () => {
      const journalPrefix = freshPrefix("jbig");
      const tables = mysqlTableNames(journalPrefix);
      const own = createMySqlStore({ pool, tablePrefix: journalPrefix });
      await own.migrate();
      const w = ws();
      const v2 = next(draftOf(w, "d-big"));
      const rows = Array.from({ length: 450 }, (_, i) => {
        const e = entryOf(v2, `e-${String(i).padStart(4, "0")}`, iso(i));
        const values = [e.entryId, e.workspaceId, e.draftId, e.runId, e.kind, e.checkpoint, e.operation];
        return [
          JSON.stringify([
            [...values, e.providerConnectionId, 1, 2, e.eventId, e.createdAt, "pending", 0, e.createdAt],
          ]),
        ];
      });
      await pool.query(`INSERT INTO \`${tables.journal}\` (entries) VALUES ?`, [rows]);
      const page = await own.listOutbox({ workspaceId: w, limit: 500 });
      expect(page.entries.map((record) => OutboxRecordSchema.parse(record).entryId)).toEqual(
        rows.map((_, i) => `e-${String(i).padStart(4, "0")}`),
      );
      expect([await countRows(tables.outbox), await countRows(tables.journal)]).toEqual([450, 0]);
    });

    it("migration 6 adds the journal to a version-5 database and keeps its outbox records", async () => {
      const old = freshPrefix("v5");
      const tables = mysqlTableNames(old);
      const w = ws();
      expect((await migrateMySql(pool, { tablePrefix: old, to: 5 })).to).toBe(5);
      expect(await tableExists(tables.journal)).toBe(false);
      const v1 = draftOf(w, "d-v5");
      const v2 = next(v1);
      const legacy = Array.from({ length: 3 }, (_, i) => entryOf(v2, `old-${i}`, iso(i)));
      await legacyEntries(old, legacy);
      const v5 = createMySqlStore({ pool, tablePrefix: old });
      const result = await v5.migrate();
      expect({ from: result.from, to: result.to, applied: result.applied.map((m) => m.name) }).toEqual({
        from: 5,
        to: 6,
        applied: ["outbox_journal"],
      });
      expect(await v5.insert(withDocument({ draft: v1, event: eventFor(v1), idempotency: null }))).toEqual({
        ok: true,
      });
      const fresh = [entryOf(v2, "new-0", iso(10)), entryOf(v2, "new-1", iso(11))];
      const commit = withDocument({
        draft: v2,
        expectedVersion: 1,
        events: [eventFor(v2)],
        idempotency: null,
        outbox: fresh,
      });
      expect(await v5.commit(commit)).toEqual({ ok: true });
      const all = [...legacy, ...fresh].map((entry) => ({ ...entry, ...newOutboxState(entry) }));
      expect((await v5.listOutbox({ workspaceId: w, limit: 10 })).entries).toEqual(all);
      const claimed = await v5.claimOutbox({ owner: "o", now: NOW, leaseUntil: LEASE, limit: 10 });
      expect(claimed.map(keyOf).sort()).toEqual(all.map(keyOf).sort());
    });

    it("an empty journal costs one autocommit read: no transaction, no lock, no write", async () => {
      const emptyPrefix = freshPrefix("jempty");
      const own = testPool(2);
      try {
        const spied = createMySqlStore({ pool: own, tablePrefix: emptyPrefix });
        await spied.migrate();
        const w = ws();
        const statements: string[] = [];
        const original = own.execute.bind(own) as (...args: unknown[]) => unknown;
        vi.spyOn(own, "execute").mockImplementation(((...args: unknown[]) => {
          statements.push(String(args[0]));
          return original(...args);
        }) as never);
        const connections = vi.spyOn(own, "getConnection");
        expect((await spied.listOutbox({ workspaceId: w, limit: 10 })).entries).toEqual([]);
        expect(await spied.findStaleRuns({ before: NOW, limit: 10 })).toEqual([]);
        const journal = statements.filter((sql) => sql.includes("outbox_journal"));
        expect(journal).toHaveLength(2);
        for (const sql of journal) expect(sql).toMatch(/^SELECT `seq` FROM `[^`]+` ORDER BY `seq` DESC LIMIT 1$/);
        expect(connections).not.toHaveBeenCalled();
      } finally {
        vi.restoreAllMocks();
        await own.end();
      }
    });

    it("a server without compound statements (MySQL 8) gets the audit rows and the journal row in two statements", async () => {
      const twoPrefix = freshPrefix("jtwo");
      const tables = mysqlTableNames(twoPrefix);
      const own = testPool(2);
      try {
        const store8 = createMySqlStore({ pool: own, tablePrefix: twoPrefix });
        await store8.migrate();
        // MySQL 8 refuses `BEGIN NOT ATOMIC` outside a stored program with a parse error.
        let compoundTries = 0;
        const real = own.getConnection.bind(own);
        vi.spyOn(own, "getConnection").mockImplementation(async () => {
          const connection = await real();
          const execute = connection.execute.bind(connection) as (...args: unknown[]) => unknown;
          connection.execute = ((...args: unknown[]) => {
            if (!String(args[0]).startsWith("BEGIN NOT ATOMIC")) return execute(...args);
            compoundTries += 1;
            return Promise.reject(Object.assign(new Error("You have an error in your SQL syntax"), { errno: 1064 }));
          }) as never;
          return connection;
        });
        const w = ws();
        for (const id of ["d1", "d2"]) {
          const v1 = draftOf(w, id);
          expect(await store8.insert(withDocument({ draft: v1, event: eventFor(v1), idempotency: null }))).toEqual({
            ok: true,
          });
          const v2 = next(v1);
          const outbox = [entryOf(v2, `${id}-e`)];
          const commit = withDocument({
            draft: v2,
            expectedVersion: 1,
            events: [eventFor(v2)],
            idempotency: null,
            outbox,
          });
          expect(await store8.commit(commit)).toEqual({ ok: true });
        }
        expect(compoundTries).toBe(1);
        expect([await countRows(tables.audit), await countRows(tables.journal)]).toEqual([4, 2]);
        const listed = (await store8.listOutbox({ workspaceId: w, limit: 10 })).entries;
        expect(listed.map((record) => OutboxRecordSchema.parse(record).entryId)).toEqual(["d1-e", "d2-e"]);
      } finally {
        vi.restoreAllMocks();
        await own.end();
      }
    });

    it("a read that meets journal rows another absorber is moving waits for them instead of missing them", async () => {
      const movePrefix = freshPrefix("jwait");
      const tables = mysqlTableNames(movePrefix);
      const w = ws();
      const own = await seeded(pool, movePrefix, w, 3);
      // An absorber caught mid-move: journal row locked, its entries inserted, nothing committed yet.
      const mover = await pool.getConnection();
      try {
        await mover.query("SET TRANSACTION ISOLATION LEVEL READ COMMITTED");
        await mover.query("START TRANSACTION");
        const [locked] = await mover.query<RowDataPacket[]>(
          `SELECT seq, entries FROM \`${tables.journal}\` ORDER BY seq FOR UPDATE`,
        );
        expect(locked).toHaveLength(1);
        const rows = JSON.parse(String(locked[0]?.["entries"])) as unknown[][];
        await mover.query(`INSERT INTO \`${tables.outbox}\` (${OUTBOX_COLUMNS}) VALUES ?`, [rows]);
        let answered = false;
        const listing = own.listOutbox({ workspaceId: w, limit: 10 }).finally(() => (answered = true));
        await new Promise((resolve) => setTimeout(resolve, 400));
        expect(answered).toBe(false);
        await mover.query(`DELETE FROM \`${tables.journal}\` WHERE seq = ?`, [locked[0]?.["seq"]]);
        await mover.query("COMMIT");
        expect((await listing).entries).toHaveLength(3);
      } finally {
        mover.release();
      }
      expect([await countRows(tables.outbox), await countRows(tables.journal)]).toEqual([3, 0]);
    });

    it("racing claimers and listers: every committed entry is listed by a read that starts after its commit, and claimed exactly once", async () => {
      const racePrefix = freshPrefix("race");
      const w = ws();
      const setup = createMySqlStore({ pool, tablePrefix: racePrefix });
      await setup.migrate();
      const drafts = Array.from({ length: 36 }, (_, i) => draftOf(w, `d-${String(i).padStart(2, "0")}`));
      for (const draft of drafts) {
        expect(await setup.insert(withDocument({ draft, event: eventFor(draft), idempotency: null }))).toEqual({
          ok: true,
        });
      }
      const pools = Array.from({ length: 7 }, () => testPool(2));
      const stores = pools.map((own) => createMySqlStore({ pool: own, tablePrefix: racePrefix }));
      const committed: string[] = [];
      const missed: string[] = [];
      const checks: Promise<void>[] = [];
      let committing = true;
      try {
        // Three committers; after each commit returns, a listing on another connection must see it.
        const committers = [0, 1, 2].map(async (index) => {
          for (const draft of drafts.filter((_, i) => i % 3 === index)) {
            const v2 = next(draft);
            const outbox = [entryOf(v2, `${draft.id}-a`), entryOf(v2, `${draft.id}-b`)];
            const commit = withDocument({
              draft: v2,
              expectedVersion: 1,
              events: [eventFor(v2)],
              idempotency: null,
              outbox,
            });
            expect(await stores[index]!.commit(commit)).toEqual({ ok: true });
            committed.push(...outbox.map(entryKey));
            const lister = stores[3 + (committed.length % 4)]!;
            checks.push(
              (async () => {
                const ids = (await lister.listRunRecords(w, draft.id)).map(keyOf);
                const pending = (await lister.listOutbox({ workspaceId: w, status: "pending", limit: 500 })).entries;
                const listed = new Set(pending.map(keyOf));
                for (const key of outbox.map(entryKey)) if (!ids.includes(key) || !listed.has(key)) missed.push(key);
              })(),
            );
          }
        });
        // Four claimers on the other connections, claiming until the committers are done and nothing is left.
        const claimers = [3, 4, 5, 6].map(async (index) => {
          const keys: string[] = [];
          for (;;) {
            const wasCommitting = committing;
            const records = await stores[index]!.claimOutbox({
              owner: `c${index}`,
              now: NOW,
              leaseUntil: LEASE,
              limit: 3,
            });
            keys.push(...records.map(keyOf));
            if (records.length === 0 && !wasCommitting) return keys;
          }
        });
        await Promise.all(committers);
        committing = false;
        const claimed = (await Promise.all(claimers)).flat();
        await Promise.all(checks);
        expect(missed).toEqual([]);
        expect(committed).toHaveLength(72);
        expectDisjointAndComplete(claimed, committed);
        const tables = mysqlTableNames(racePrefix);
        expect([await countRows(tables.outbox), await countRows(tables.journal)]).toEqual([72, 0]);
      } finally {
        await Promise.all(pools.map((own) => own.end()));
      }
    }, 60_000);
  });

  describe("across processes", () => {
    const fixture = fileURLToPath(new URL("./fixtures/mysql-claimer.ts", import.meta.url));
    const repoRoot = fileURLToPath(new URL("../../", import.meta.url));

    interface Child {
      readonly ready: Promise<void>;
      readonly done: Promise<{ code: number | null; stdout: string; stderr: string }>;
      readonly process: ChildProcess;
    }

    function startClaimer(claimPrefix: string, owner: string, claimers: number): Child {
      const child = spawn(
        process.execPath,
        ["--import", "tsx", fixture, claimPrefix, owner, String(claimers), "5", NOW, LEASE, "400"],
        { cwd: repoRoot, stdio: ["pipe", "pipe", "pipe"] },
      );
      let stdout = "";
      let stderr = "";
      const timer = setTimeout(() => child.kill("SIGKILL"), 90_000);
      const ready = new Promise<void>((resolve, reject) => {
        child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
          stdout += chunk;
          if (stdout.startsWith("ready\n")) resolve();
        });
        child.on("close", () => reject(new Error(`claimer exited before it was ready: ${stderr}`)));
      });
      ready.catch(() => undefined);
      child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
      const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
        child.on("error", reject);
        child.on("close", (code) => {
          clearTimeout(timer);
          resolve({ code, stdout: stdout.replace(/^ready\n/, ""), stderr });
        });
      });
      return { ready, done, process: child };
    }

    it("claimers in three child processes and this one never share an entry", async () => {
      const claimPrefix = freshPrefix("procs");
      const w = ws();
      const count = 450;
      const seededStore = await seeded(pool, claimPrefix, w, count);
      const all = ((await seededStore.listRunRecords(w, "d-claims")) as unknown[]).map(keyOf);

      const children = Array.from({ length: 3 }, (_, index) => startClaimer(claimPrefix, `child${index}`, 2));
      await Promise.all(children.map((child) => child.ready));
      // Every child is connected: start them together, and claim from this process as well.
      for (const child of children) child.process.stdin?.end("go\n");
      const parentKeys: string[] = [];
      for (let round = 0; round < count; round += 1) {
        const records = await seededStore.claimOutbox({ owner: "parent", now: NOW, leaseUntil: LEASE, limit: 5 });
        if (records.length === 0) break;
        parentKeys.push(...records.map(keyOf));
      }
      const claimed = [...parentKeys];
      const byProcess: Record<string, number> = { parent: parentKeys.length };
      for (const [index, child] of children.entries()) {
        const result = await child.done;
        expect(result.stderr).toBe("");
        expect(result.code).toBe(0);
        const records = JSON.parse(result.stdout.trim()) as { key: string; owner: string; leasedToClaimer: boolean }[];
        expect(records.filter((record) => !record.leasedToClaimer)).toEqual([]);
        byProcess[`child${index}`] = records.length;
        claimed.push(...records.map((record) => record.key));
      }
      console.info(`outbox claims by process: ${JSON.stringify(byProcess)}`);
      expectDisjointAndComplete(claimed, all);
    }, 120_000);
  });
});
