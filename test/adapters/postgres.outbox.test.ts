/**
 * The PostgreSQL adapter's outbox beyond what the conformance kit checks: `migrate()` adds the
 * outbox table to a database created before it existed, and the journal to one at version 6
 * (its records intact); entries are written in the commit's one statement, into the journal only
 * (none on a rejection, none twice on a re-sent applied commit), and moved into the outbox by the
 * next outbox operation, exactly once under racing claimers and listers, none missing from a
 * listing that started after its commit returned; and concurrent claimers, on separate
 * connections and in separate processes, never share an entry (`FOR UPDATE SKIP LOCKED`). No timing assertions: bench/adapters/postgres-outbox.ts measures.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createPostgresStore,
  migratePostgres,
  postgresSchemaStatements,
  postgresTableNames,
  type PostgresStore,
} from "../../src/adapters/postgres/index.js";
import { outboxJournalStatement } from "../../src/adapters/postgres/schema.js";
import { newOutboxState, type OnboardingDraft, type OutboxEntry } from "../../src/record/index.js";
import { compareOutboxOrder } from "../../src/store/index.js";
import { serviceAvailable } from "../support/services.js";
import {
  POSTGRES_URL,
  draftFor,
  dropTables,
  eventFor,
  migratedStore,
  next,
  probePostgres,
  testPool,
  uniquePrefix,
} from "./fixtures/postgres-support.js";
import { encodeDraft } from "../../src/lifecycle/index.js";
import { withDocument } from "../../src/testing/index.js";

const up = await serviceAvailable("PostgreSQL", probePostgres);
const NOW = "2030-01-01T00:00:00.000Z";
const LEASE = "2031-01-01T00:00:00.000Z";

let entryCounter = 0;

/** `count` run.requested entries of `draft` (the version it is at). */
function entriesFor(draft: OnboardingDraft, count: number, eventId: string): OutboxEntry[] {
  return Array.from({ length: count }, () => {
    entryCounter += 1;
    return {
      entryId: `ob-${entryCounter}`,
      workspaceId: draft.workspaceId,
      draftId: draft.id,
      runId: `run-ob-${entryCounter}`,
      kind: "run.requested",
      checkpoint: "verify_access",
      operation: "verify_access",
      providerConnectionId: "conn-1",
      providerRevision: 1,
      draftVersion: draft.version,
      eventId,
      createdAt: draft.updatedAt,
    };
  });
}

/** A new draft in `workspaceId`, then `commits` commits each writing `perCommit` entries. */
async function seed(store: PostgresStore, workspaceId: string, commits: number, perCommit: number) {
  let draft = draftFor(workspaceId, `d-${Math.random().toString(36).slice(2)}`);
  expect(await store.insert(withDocument({ draft, event: eventFor(draft), idempotency: null }))).toEqual({ ok: true });
  const written: OutboxEntry[] = [];
  for (let index = 0; index < commits; index += 1) {
    const following = next(draft, { type: "select_provider", connectionId: `c-${index}` });
    const event = eventFor(following);
    const outbox = entriesFor(following, perCommit, event.eventId);
    const result = await store.commit(
      withDocument({
        draft: following,
        expectedVersion: draft.version,
        events: [event],
        idempotency: null,
        outbox,
      }),
    );
    expect(result).toEqual({ ok: true });
    written.push(...outbox);
    draft = following;
  }
  return { draft, written };
}

async function allRecords(store: PostgresStore, workspaceId: string): Promise<unknown[]> {
  const records: unknown[] = [];
  let cursor: string | null = null;
  do {
    const page = await store.listOutbox({ workspaceId, limit: 500, cursor });
    records.push(...page.entries);
    cursor = page.nextCursor;
  } while (cursor !== null);
  return records;
}

describe.skipIf(!up)("postgres adapter: outbox", () => {
  let pool: pg.Pool;
  let store: PostgresStore;
  const prefix = uniquePrefix("obx");

  beforeAll(async () => {
    pool = testPool(12);
    store = await migratedStore(pool, prefix);
  });

  afterAll(async () => {
    await dropTables(pool, prefix);
    await pool.end();
  });

  it("migration 6 (partial outbox indexes) keeps a version-5 outbox's records, in every status", async () => {
    const old = uniquePrefix("obxv5");
    const exists = async (name: string) =>
      (await pool.query<{ found: string | null }>("SELECT to_regclass($1) AS found", [name])).rows[0]?.found ?? null;
    try {
      expect((await migratePostgres(pool, { tablePrefix: old, to: 5 })).to).toBe(5);
      expect(await exists(`${old}o_status`)).not.toBeNull();
      // Today's commit writes through the journal of version 7: give the version-5 database that
      // table alone so this store can seed it (the first claim moves the entries into the outbox).
      await pool.query(outboxJournalStatement(postgresTableNames(old)));
      const v5 = createPostgresStore({ pool, tablePrefix: old });
      const { written } = await seed(v5, "ws-v5", 2, 3);
      const now = "2030-01-01T00:00:00.000Z";
      const claimed = await v5.claimOutbox({ owner: "o", now, leaseUntil: "2030-01-01T00:01:00.000Z", limit: 2 });
      expect(claimed).toHaveLength(2);
      const [first, second] = claimed as [OutboxEntry, OutboxEntry];
      await v5.settleOutbox({
        owner: "o",
        at: now,
        settlements: [
          { workspaceId: "ws-v5", entryId: first.entryId, status: "delivered" },
          { workspaceId: "ws-v5", entryId: second.entryId, status: "dead", error: "gave up" },
        ],
      });
      const byStatus = async (store: PostgresStore) =>
        Promise.all(
          (["pending", "delivered", "dead"] as const).map(
            async (status) => (await store.listOutbox({ status, limit: 50, workspaceId: "ws-v5" })).entries,
          ),
        );
      const [before, beforeByStatus] = [await allRecords(v5, "ws-v5"), await byStatus(v5)];
      expect(before).toHaveLength(written.length);
      await v5.migrate();
      for (const index of ["o_run", "o_draft", "o_status", "o_workspace"])
        expect(await exists(`${old}${index}`)).toBeNull();
      for (const index of ["o_runs", "o_done", "o_ws_done"]) expect(await exists(`${old}${index}`)).not.toBeNull();
      expect(await allRecords(v5, "ws-v5")).toEqual(before);
      expect(await byStatus(v5)).toEqual(beforeByStatus);
      expect(beforeByStatus.map((page) => page.length)).toEqual([written.length - 2, 1, 1]);
    } finally {
      await dropTables(pool, old);
    }
  });

  it("migrate() on a database created before the outbox adds the table and its indexes, idempotently", async () => {
    const old = uniquePrefix("obxold");
    const exists = async (name: string) =>
      (await pool.query<{ found: string | null }>("SELECT to_regclass($1) AS found", [name])).rows[0]?.found ?? null;
    try {
      for (const statement of postgresSchemaStatements(old).filter((text) => !text.includes(`${old}outbox`))) {
        await pool.query(statement);
      }
      expect(await exists(`${old}drafts`)).not.toBeNull();
      expect(await exists(`${old}outbox`)).toBeNull();
      const upgraded = createPostgresStore({ pool, tablePrefix: old });
      await upgraded.migrate();
      await upgraded.migrate();
      expect(await exists(`${old}outbox`)).not.toBeNull();
      for (const index of ["o_claim", "o_stale", "o_runs", "o_done", "o_ws_done"]) {
        expect(await exists(`${old}${index}`), index).not.toBeNull();
      }
      for (const index of ["o_run", "o_draft", "o_status", "o_workspace"]) {
        expect(await exists(`${old}${index}`), `${index} is gone`).toBeNull();
      }
      const { written } = await seed(upgraded, "ws-old", 1, 2);
      expect(await allRecords(upgraded, "ws-old")).toEqual(
        written.map((entry) => ({ ...entry, ...newOutboxState(entry) })),
      );
    } finally {
      await dropTables(pool, old);
    }
  });

  it("commit writes its entries as new pending records; a rejected or re-sent applied commit writes none", async () => {
    const { draft, written } = await seed(store, "ws-commit", 2, 3);
    // Listed in outbox order: createdAt, then workspace and entry id (the entries of one commit share createdAt).
    const inOrder = [...written].sort((a, b) => compareOutboxOrder(a, b));
    expect(await allRecords(store, "ws-commit")).toEqual(
      inOrder.map((entry) => ({ ...entry, ...newOutboxState(entry) })),
    );

    // Rejected: a stale expected version.
    const following = next(draft, { type: "select_provider", connectionId: "late" });
    const event = eventFor(following);
    const stale = await store.commit(
      withDocument({
        draft: following,
        expectedVersion: draft.version - 1,
        events: [event],
        idempotency: null,
        outbox: entriesFor(following, 2, event.eventId),
      }),
    );
    expect(stale).toMatchObject({ ok: false, reason: "version_conflict" });
    expect(await allRecords(store, "ws-commit")).toHaveLength(written.length);

    // Applied once, then re-sent (a lost reply): reported applied, written once.
    const input = {
      draft: following,
      document: encodeDraft(following),
      expectedVersion: draft.version,
      events: [event],
      idempotency: null,
      outbox: entriesFor(following, 2, event.eventId),
    };
    expect(await store.commit(input)).toEqual({ ok: true });
    expect(await store.commit(input)).toEqual({ ok: true });
    expect(await allRecords(store, "ws-commit")).toHaveLength(written.length + 2);
  });

  it("a commit writes only the journal; the outbox table is untouched until an outbox operation moves it", async () => {
    const local = await migratedStore(pool, uniquePrefix("obxj"));
    const t = local.tables;
    const count = async (table: string) =>
      Number((await pool.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`)).rows[0]?.n);
    try {
      const { written } = await seed(local, "ws-j", 3, 2);
      expect([await count(t.outboxJournal), await count(t.outbox)]).toEqual([3, 0]);
      const inOrder = [...written].sort((a, b) => compareOutboxOrder(a, b));
      const expected = inOrder.map((entry) => ({ ...entry, ...newOutboxState(entry) }));
      expect(await allRecords(local, "ws-j")).toEqual(expected);
      expect([await count(t.outboxJournal), await count(t.outbox)]).toEqual([0, written.length]);
      // Moved once: the next read moves nothing and finds the same records.
      expect(await allRecords(local, "ws-j")).toEqual(expected);
    } finally {
      await dropTables(pool, local.tablePrefix);
    }
  });

  it("a journal larger than one batch (2,500 commits) is moved whole, in bounded statements, by one read", async () => {
    const local = await migratedStore(pool, uniquePrefix("obxb"));
    const t = local.tables;
    try {
      // 2,500 journal rows of one entry each, as 2,500 commits would have left them.
      await pool.query(
        `INSERT INTO ${t.outboxJournal} (entries)
         SELECT json_build_array(json_build_object('entry_id', 'b-' || lpad(i::text, 5, '0'), 'workspace_id', 'ws-b',
           'draft_id', 'd-b', 'run_id', 'r-' || i, 'kind', 'run.requested', 'checkpoint', 'verify_access',
           'operation', 'verify_access', 'provider_connection_id', 'c', 'provider_revision', 1, 'draft_version', 2,
           'event_id', 'e-' || i, 'created_at', '2030-01-01T00:00:00.000Z'))::text
         FROM generate_series(1, 2500) AS i`,
      );
      const listed = (await allRecords(local, "ws-b")) as OutboxEntry[];
      expect(listed.map((record) => record.entryId)).toEqual(
        Array.from({ length: 2500 }, (_, index) => `b-${String(index + 1).padStart(5, "0")}`),
      );
      const left = await pool.query(`SELECT count(*)::integer AS n FROM ${t.outboxJournal}`);
      expect(left.rows[0]).toEqual({ n: 0 });
    } finally {
      await dropTables(pool, local.tablePrefix);
    }
  });

  it("migration 7 (the journal) keeps a version-6 outbox's records, which stay listed and claimable", async () => {
    const old = uniquePrefix("obxv6");
    const t = postgresTableNames(old);
    try {
      expect((await migratePostgres(pool, { tablePrefix: old, to: 6 })).to).toBe(6);
      expect((await pool.query("SELECT to_regclass($1) AS found", [`${old}outbox_journal`])).rows[0]).toEqual({
        found: null,
      });
      // What a version-6 commit wrote: its entries straight into the outbox, as pending records.
      const entries = entriesFor(draftFor("ws-v6", "d-v6"), 3, "ev-v6");
      for (const e of entries) {
        await pool.query(
          `INSERT INTO ${t.outbox} (entry_id, workspace_id, draft_id, run_id, kind, checkpoint, operation,
            provider_connection_id, provider_revision, draft_version, event_id, created_at, status, attempts, available_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 'pending', 0, $12)`,
          [
            e.entryId,
            e.workspaceId,
            e.draftId,
            e.runId,
            e.kind,
            e.checkpoint,
            e.operation,
            e.providerConnectionId,
            e.providerRevision,
            e.draftVersion,
            e.eventId,
            e.createdAt,
          ],
        );
      }
      const result = await migratePostgres(pool, { tablePrefix: old });
      expect(result.applied.map((migration) => migration.version)).toEqual([7]);
      const v7 = createPostgresStore({ pool, tablePrefix: old });
      const inOrder = [...entries].sort((a, b) => compareOutboxOrder(a, b));
      expect(await allRecords(v7, "ws-v6")).toEqual(inOrder.map((entry) => ({ ...entry, ...newOutboxState(entry) })));
      const claimed = (await v7.claimOutbox({ owner: "o", now: NOW, leaseUntil: LEASE, limit: 10 })) as OutboxEntry[];
      expect(claimed.map((record) => record.entryId)).toEqual(inOrder.map((entry) => entry.entryId));
    } finally {
      await dropTables(pool, old);
    }
  });

  it("racing claimers and listers: every entry claimed exactly once, none missing from a listing begun after its commit", async () => {
    const local = await migratedStore(pool, uniquePrefix("obxr"));
    const returned = new Set<string>();
    let writing = true;
    const misses: string[] = [];
    try {
      const writer = async (index: number) => {
        let draft = draftFor("ws-r", `d-r-${index}`);
        expect(await local.insert(withDocument({ draft, event: eventFor(draft), idempotency: null }))).toEqual({
          ok: true,
        });
        for (let round = 0; round < 15; round += 1) {
          const following = next(draft, { type: "select_provider", connectionId: `c-${round}` });
          const event = eventFor(following);
          const outbox = entriesFor(following, 2, event.eventId);
          const input = {
            draft: following,
            expectedVersion: draft.version,
            events: [event],
            idempotency: null,
            outbox,
          };
          expect(await local.commit(withDocument(input))).toEqual({ ok: true });
          for (const entry of outbox) returned.add(entry.entryId);
          draft = following;
        }
      };
      const claimer = async (index: number) => {
        const mine: string[] = [];
        const store = createPostgresStore({ pool, tablePrefix: local.tablePrefix });
        for (let idle = 0; writing || idle < 2;) {
          const claim = { owner: `r-${index}`, now: NOW, leaseUntil: LEASE, limit: 3 };
          const records = (await store.claimOutbox(claim)) as OutboxEntry[];
          mine.push(...records.map((record) => record.entryId));
          idle = records.length === 0 ? idle + 1 : 0;
        }
        return mine;
      };
      const lister = async () => {
        const reader = createPostgresStore({ pool, tablePrefix: local.tablePrefix });
        while (writing) {
          const committed = [...returned];
          const listed = new Set(((await allRecords(reader, "ws-r")) as OutboxEntry[]).map((record) => record.entryId));
          misses.push(...committed.filter((entryId) => !listed.has(entryId)));
        }
      };
      const claimers = Array.from({ length: 4 }, (_, index) => claimer(index));
      const listers = Array.from({ length: 3 }, () => lister());
      await Promise.all(Array.from({ length: 4 }, (_, index) => writer(index)));
      writing = false;
      const perClaimer = await Promise.all(claimers);
      await Promise.all(listers);
      const all = perClaimer.flat();
      expect(misses).toEqual([]);
      expect(all).toHaveLength(returned.size);
      expect(new Set(all)).toEqual(returned);
      expect(returned.size).toBe(4 * 15 * 2);
    } finally {
      writing = false;
      await dropTables(pool, local.tablePrefix);
    }
  }, 60_000);

  it("a commit whose entries name another draft is refused with StoreError and writes nothing", async () => {
    const { draft } = await seed(store, "ws-foreign", 0, 0);
    const following = next(draft, { type: "select_provider", connectionId: "x" });
    const event = eventFor(following);
    const foreign = entriesFor({ ...following, id: "someone-else" }, 1, event.eventId);
    await expect(
      store.commit(
        withDocument({ draft: following, expectedVersion: 1, events: [event], idempotency: null, outbox: foreign }),
      ),
    ).rejects.toMatchObject({ code: "store_failure" });
    expect(await allRecords(store, "ws-foreign")).toEqual([]);
    expect((await store.load("ws-foreign", draft.id)) as { version: number }).toMatchObject({ version: 1 });
  });

  it("claim, settle (delivered, retry, dead in one call), release and requeue keep their promises", async () => {
    const local = await migratedStore(pool, uniquePrefix("obxs"));
    try {
      const { written } = await seed(local, "ws-s", 1, 4);
      const claimed = (await local.claimOutbox({ owner: "a", now: NOW, leaseUntil: LEASE, limit: 10 })) as {
        entryId: string;
        attempts: number;
        leaseOwner: string;
      }[];
      expect(claimed.map((record) => record.entryId)).toEqual(written.map((entry) => entry.entryId));
      expect(claimed.every((record) => record.attempts === 1 && record.leaseOwner === "a")).toBe(true);
      expect(await local.claimOutbox({ owner: "b", now: NOW, leaseUntil: LEASE, limit: 10 })).toEqual([]);
      const [one, two, three, four] = written as [OutboxEntry, OutboxEntry, OutboxEntry, OutboxEntry];
      const ref = (entry: OutboxEntry) => ({ workspaceId: entry.workspaceId, entryId: entry.entryId });
      expect(
        await local.settleOutbox({
          owner: "b",
          at: NOW,
          settlements: [{ ...ref(one), status: "delivered" }],
        }),
      ).toBe(0);
      expect(
        await local.settleOutbox({
          owner: "a",
          at: NOW,
          settlements: [
            { ...ref(one), status: "delivered" },
            { ...ref(two), status: "pending", availableAt: "2030-01-01T00:01:00.000Z", error: "boom" },
            { ...ref(three), status: "dead", error: "gone" },
          ],
        }),
      ).toBe(3);
      expect(await local.releaseOutbox({ owner: "a", entries: [ref(four), ref(one)] })).toBe(1);
      const byId = new Map(
        ((await allRecords(local, "ws-s")) as { entryId: string }[]).map((record) => [record.entryId, record]),
      );
      expect(byId.get(one.entryId)).toMatchObject({ status: "delivered", deliveredAt: NOW, leaseOwner: null });
      expect(byId.get(two.entryId)).toMatchObject({
        status: "pending",
        availableAt: "2030-01-01T00:01:00.000Z",
        lastError: "boom",
        leaseUntil: null,
      });
      expect(byId.get(three.entryId)).toMatchObject({ status: "dead", lastError: "gone", attempts: 1 });
      expect(byId.get(four.entryId)).toMatchObject({ status: "pending", attempts: 0, leaseOwner: null });
      expect(await local.requeueOutbox({ ...ref(three), at: NOW })).toBe(true);
      expect(await local.requeueOutbox({ ...ref(one), at: NOW })).toBe(false);
      const again = (await local.claimOutbox({ owner: "c", now: NOW, leaseUntil: LEASE, limit: 10 })) as {
        entryId: string;
      }[];
      expect(again.map((record) => record.entryId)).toEqual([three.entryId, four.entryId]);
    } finally {
      await dropTables(pool, local.tablePrefix);
    }
  });

  it("8 claimers on separate connections never share an entry, and together take every one", async () => {
    const local = await migratedStore(pool, uniquePrefix("obxc"));
    const clients = await Promise.all(Array.from({ length: 8 }, () => pool.connect()));
    try {
      const { written } = await seed(local, "ws-c", 60, 10);
      const stores = clients.map((client) => createPostgresStore({ client, tablePrefix: local.tablePrefix }));
      const perClaimer = await Promise.all(
        stores.map(async (claimer, index) => {
          const mine: string[] = [];
          for (;;) {
            const records = (await claimer.claimOutbox({
              owner: `o-${index}`,
              now: NOW,
              leaseUntil: LEASE,
              limit: 7,
            })) as { entryId: string }[];
            if (records.length === 0) return mine;
            mine.push(...records.map((record) => record.entryId));
          }
        }),
      );
      const all = perClaimer.flat();
      expect(all).toHaveLength(written.length);
      expect(new Set(all).size).toBe(written.length);
      expect(perClaimer.filter((mine) => mine.length > 0).length).toBeGreaterThan(1);
    } finally {
      for (const client of clients) client.release();
      await dropTables(pool, local.tablePrefix);
    }
  }, 60_000);

  it("3 child processes with 2 claimers each never share an entry, and together take every one", async () => {
    const local = await migratedStore(pool, uniquePrefix("obxp"));
    try {
      const { written } = await seed(local, "ws-p", 50, 10);
      const startAt = String(Date.now() + 2_000);
      const outputs = await Promise.all(
        ["p0", "p1", "p2"].map((label) =>
          runChild([POSTGRES_URL, local.tablePrefix, label, "2", "5", startAt], 40_000),
        ),
      );
      const claimed = outputs.flatMap((out) => (JSON.parse(out.trim()) as { claimed: string[] }).claimed);
      expect(claimed).toHaveLength(written.length);
      expect(new Set(claimed)).toEqual(new Set(written.map((entry) => `${entry.workspaceId}/${entry.entryId}`)));
    } finally {
      await dropTables(pool, local.tablePrefix);
    }
  }, 60_000);
});

function runChild(args: readonly string[], timeoutMs: number): Promise<string> {
  const script = fileURLToPath(new URL("./fixtures/postgres-outbox-claimer.ts", import.meta.url));
  const child = spawn(process.execPath, ["--import", "tsx", script, ...args], {
    cwd: fileURLToPath(new URL("../..", import.meta.url)),
    stdio: ["ignore", "pipe", "pipe"],
  });
  return new Promise((resolve, reject) => {
    let out = "";
    let err = "";
    child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (err += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`claimer timed out after ${timeoutMs} ms\n${err}`));
    }, timeoutMs);
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`claimer exited with ${code ?? signal}\n${err}`));
    });
  });
}
