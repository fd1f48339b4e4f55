/**
 * MySQL / MariaDB adapter, outbox: `migrate` adds the outbox table to a database created before
 * it existed; a commit writes its entries in its own transaction (none on a rejection, none twice
 * on a re-sent applied write, no draft change when an entry cannot be written); ids that only
 * look alike stay apart; and concurrent claimers, on separate connections and in several child
 * processes, never hold the same entry at once. Needs the loopback server; skipped loudly without it.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
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

  it("migrate() on a database created before the outbox adds its table and keeps the rows", async () => {
    const old = freshPrefix("old");
    const tables = mysqlTableNames(old);
    // The DDL of the previous release: the three tables without the outbox.
    for (const statement of mysqlSchemaStatements(old).filter((s) => !s.includes(`\`${tables.outbox}\``))) {
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
    const v4 = createMySqlStore({ pool, tablePrefix: old });
    const v1 = draftOf(workspaceId, "d-v4");
    expect(await v4.insert(withDocument({ draft: v1, event: eventFor(v1), idempotency: null }))).toEqual({ ok: true });
    const v2 = next(v1);
    const outbox = Array.from({ length: 5 }, (_, i) => entryOf(v2, `e-${i}`, iso(i)));
    const commit = withDocument({ draft: v2, expectedVersion: 1, events: [eventFor(v2)], idempotency: null, outbox });
    expect(await v4.commit(commit)).toEqual({ ok: true });
    const claimed = await v4.claimOutbox({ owner: "o", now: NOW, leaseUntil: LEASE, limit: 2 });
    const [first, second] = claimed.map((record) => OutboxRecordSchema.parse(record));
    await v4.settleOutbox({
      owner: "o",
      at: NOW,
      settlements: [
        { workspaceId, entryId: first?.entryId ?? "", status: "delivered" },
        { workspaceId, entryId: second?.entryId ?? "", status: "dead", error: "gave up" },
      ],
    });
    const listings = async () => [
      (await v4.listOutbox({ workspaceId, limit: 50 })).entries,
      ...(await Promise.all(
        (["pending", "delivered", "dead"] as const).map(
          async (status) => (await v4.listOutbox({ status, workspaceId, limit: 50 })).entries,
        ),
      )),
    ];
    const before = await listings();
    expect(before.map((page) => page.length)).toEqual([5, 3, 1, 1]);
    await v4.migrate();
    const [keys] = await pool.query<RowDataPacket[]>(
      "SELECT DISTINCT INDEX_NAME AS i FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? ORDER BY INDEX_NAME",
      [`${old}outbox`],
    );
    expect(keys.map((row) => String(row["i"])).sort()).toEqual(["PRIMARY", "claim", "runs", "stale"]);
    expect(await listings()).toEqual(before);
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
