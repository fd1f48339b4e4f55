/**
 * Conformance section "outbox": the outbox half of the port, at the store level. Entries are
 * written with their commit or not at all (and once), claims take leases oldest first and never
 * hand an entry to two holders while a lease holds, only the lease owner settles or releases,
 * delivered / pending (backoff) / dead transitions, paging, requeue, and the run-liveness
 * methods (progress without a version bump, stale runs, settling runs). Every record the store
 * returns is checked against `OutboxRecordSchema`. Each test runs in its own era (see
 * `outbox-support.ts`), so leftovers of other tests never show.
 */
import { ValidationError, type OutboxRecord } from "../../record/index.js";
import type { OutboxStore, RunProgressInput } from "../../store/index.js";
import {
  allOf,
  commitWithEntries,
  freshRecord,
  inOutboxOrder,
  keyOf,
  outboxIt,
  outboxRecords,
  same,
  seedDraft,
  writeEntries,
  type OutboxTest,
} from "./outbox-support.js";
import { check, freshWorkspace, idempotencyFor, is, rejects, type SectionContext } from "./shared.js";

type OutboxIt = (title: string, body: (test: OutboxTest) => Promise<void>) => void;

const MINUTE = 60_000;

/** Claims with owner `owner` at `now`, a lease of `leaseMs`; validates what comes back. */
async function claim(
  store: OutboxStore,
  owner: string,
  now: string,
  leaseUntil: string,
  limit = 1000,
): Promise<OutboxRecord[]> {
  return outboxRecords(await store.claimOutbox({ owner, now, leaseUntil, limit }), `claimOutbox(${owner})`);
}

/** The one record of a workspace with this entry id. */
async function recordOf(store: OutboxStore, workspaceId: string, entryId: string): Promise<OutboxRecord> {
  const found = (await allOf(store, workspaceId)).filter((record) => record.entryId === entryId);
  check(found.length === 1, `expected one record ${entryId} in ${workspaceId}, found ${found.length}`);
  return found[0] as OutboxRecord;
}

/** Registers the tests of this section. */
export function outboxSection(section: SectionContext): void {
  const it = outboxIt(section);
  writingTests(it);
  claimingTests(it);
  settlingTests(it);
  listingTests(it);
  liveness(it);
  pruningTests(it);
  scopeTests(it);
}

function writingTests(it: OutboxIt): void {
  it("writes each entry of a commit as a new pending record with its initial state (run.cancelled too)", async ({
    store,
    at,
  }) => {
    const ws = freshWorkspace("outbox");
    const draft = await seedDraft(store, ws);
    const specs = [{ createdAt: at(1) }, { createdAt: at(1) }, { createdAt: at(1), checkpoint: "bootstrap" as const }];
    const { draft: v2, entries } = await writeEntries(store, draft, specs);
    const expected = inOutboxOrder(entries.map(freshRecord));
    same(await allOf(store, ws), expected, "listOutbox after a commit with 3 entries");
    same(outboxRecords(await store.listRunRecords(ws, draft.id)), expected, "listRunRecords");
    const plain = commitWithEntries(v2, []);
    check((await store.commit({ ...plain.input, outbox: [] })).ok, "a commit without entries failed");
    const runId = entries[0]?.runId ?? "";
    const cancelled = commitWithEntries(plain.input.draft, [{ createdAt: at(2), kind: "run.cancelled", runId }]);
    check((await store.commit(cancelled.input)).ok, "a commit with a run.cancelled entry failed");
    same((await allOf(store, ws)).length, 4, "records after a commit with no entries and one with run.cancelled");
    same(outboxRecords(await store.listRunRecords(ws, draft.id)), expected, "listRunRecords lists run.requested only");
  });

  it("writes no entry when a commit is rejected (stale version, open-draft clash, idempotency key clash)", async ({
    store,
    at,
  }) => {
    const ws = freshWorkspace("outbox");
    const draft = await seedDraft(store, ws, { key: "taken" });
    await writeEntries(store, draft, [{ createdAt: at(1) }]);
    const stale = await store.commit(commitWithEntries(draft, [{ createdAt: at(2) }]).input);
    check(!stale.ok && stale.reason === "version_conflict", `expected version_conflict, got ${JSON.stringify(stale)}`);
    const loose = await seedDraft(store, ws, { tenantId: null });
    const clash = await store.commit(commitWithEntries(loose, [{ createdAt: at(3) }], { tenantId: "tenant" }).input);
    check(
      !clash.ok && clash.reason === "open_draft_exists",
      `expected open_draft_exists, got ${JSON.stringify(clash)}`,
    );
    const keyed = commitWithEntries(loose, [{ createdAt: at(4) }], { tenantId: "other" });
    const dup = await store.commit({ ...keyed.input, idempotency: idempotencyFor(keyed.input.draft, "taken") });
    check(
      !dup.ok && dup.reason === "idempotency_key_exists",
      `expected idempotency_key_exists, got ${JSON.stringify(dup)}`,
    );
    same((await allOf(store, ws)).length, 1, "records after three rejected commits");
  });

  it("writes no second copy when a commit that applied is sent again", async ({ store, at }) => {
    const ws = freshWorkspace("outbox");
    const draft = await seedDraft(store, ws);
    const { input, entries } = commitWithEntries(draft, [{ createdAt: at(1) }, { createdAt: at(1) }]);
    check((await store.commit(input)).ok, "first commit failed");
    const again = await store.commit(input);
    check(again.ok, `a re-sent commit must be reported applied, got ${JSON.stringify(again)}`);
    same(await allOf(store, ws), inOutboxOrder(entries.map(freshRecord)), "records after a re-sent commit");
  });
}

function claimingTests(it: OutboxIt): void {
  it("claims available entries oldest first (createdAt, workspaceId, entryId), at most limit, taking a lease", async ({
    store,
    at,
  }) => {
    const base = freshWorkspace("outbox");
    const [wa, wb] = [`${base}-a`, `${base}-b`];
    const [da, db] = [await seedDraft(store, wa), await seedDraft(store, wb)];
    await writeEntries(store, da, [
      { createdAt: at(3), entryId: "e-3" },
      { createdAt: at(2), entryId: "e-2b" },
      { createdAt: at(2), entryId: "e-2a" },
      { createdAt: at(1), entryId: "e-1" },
    ]);
    await writeEntries(store, db, [{ createdAt: at(2), entryId: "e-2a" }]);
    const now = at(MINUTE);
    const first = await claim(store, "dispatcher-1", now, at(2 * MINUTE), 3);
    same(first.map(keyOf), [`${wa}/e-1`, `${wa}/e-2a`, `${wa}/e-2b`], "first claim (limit 3)");
    for (const record of first) {
      same([record.attempts, record.leaseOwner, record.leaseUntil], [1, "dispatcher-1", at(2 * MINUTE)], "a claim");
      same(record.status, "pending", "a claimed record's status");
    }
    const second = await claim(store, "dispatcher-2", now, at(2 * MINUTE), 10);
    same(second.map(keyOf), [`${wb}/e-2a`, `${wa}/e-3`], "second claim (leased entries skipped)");
    same(await claim(store, "dispatcher-3", now, at(2 * MINUTE)), [], "a third claim while every lease holds");
  });

  it("skips entries not yet available and leases that hold; redelivers after a lease ends, counting attempts", async ({
    store,
    at,
  }) => {
    const ws = freshWorkspace("outbox");
    const draft = await seedDraft(store, ws);
    await writeEntries(store, draft, [{ createdAt: at(10 * MINUTE), entryId: "later" }]);
    same(await claim(store, "a", at(10 * MINUTE - 1), at(20 * MINUTE)), [], "claim before availableAt");
    const [first] = await claim(store, "a", at(10 * MINUTE), at(20 * MINUTE));
    check(first?.entryId === "later" && first.attempts === 1, "not claimed once available");
    same(await claim(store, "b", at(20 * MINUTE - 1), at(30 * MINUTE)), [], "claim while the lease holds");
    const [again] = await claim(store, "b", at(20 * MINUTE), at(30 * MINUTE));
    same(
      [again?.leaseOwner, again?.attempts, again?.leaseUntil],
      ["b", 2, at(30 * MINUTE)],
      "redelivery at leaseUntil",
    );
    const backoff = { workspaceId: ws, entryId: "later", status: "pending" as const, availableAt: at(40 * MINUTE) };
    same(
      await store.settleOutbox({ owner: "b", at: at(21 * MINUTE), settlements: [{ ...backoff, error: "boom" }] }),
      1,
      "settle",
    );
    same(await claim(store, "c", at(40 * MINUTE - 1), at(50 * MINUTE)), [], "claim before the backoff ends");
    const [third] = await claim(store, "c", at(40 * MINUTE), at(50 * MINUTE));
    same([third?.attempts, third?.lastError], [3, "boom"], "claim after the backoff");
  });

  it("never hands an entry to two claimers while its lease holds (8 concurrent claimers, 200 entries)", async ({
    store,
    at,
  }) => {
    const ws = freshWorkspace("outbox");
    let draft = await seedDraft(store, ws);
    const written: string[] = [];
    for (let batch = 0; batch < 4; batch += 1) {
      const specs = Array.from({ length: 50 }, (_, i) => ({ createdAt: at(batch * 1000 + i) }));
      const result = await writeEntries(store, draft, specs);
      draft = result.draft;
      written.push(...result.entries.map(keyOf));
    }
    const claimed: string[] = [];
    await Promise.all(
      Array.from({ length: 8 }, async (_, claimer) => {
        for (let round = 0; round < 200; round += 1) {
          const got = await claim(store, `claimer-${claimer}`, at(MINUTE), at(10 * MINUTE), 3 + (claimer % 5));
          if (got.length === 0) return;
          claimed.push(...got.map(keyOf));
        }
      }),
    );
    same(claimed.length, new Set(claimed).size, "an entry was claimed twice");
    same([...claimed].sort(), [...written].sort(), "the claimers together took every entry");
  });
}

function settlingTests(it: OutboxIt): void {
  it("settles only entries still leased by the owner: a later claimer wins, the old owner changes nothing", async ({
    store,
    at,
  }) => {
    const ws = freshWorkspace("outbox");
    const draft = await seedDraft(store, ws);
    await writeEntries(store, draft, [
      { createdAt: at(1), entryId: "x" },
      { createdAt: at(2), entryId: "y" },
    ]);
    await claim(store, "old", at(MINUTE), at(2 * MINUTE));
    await claim(store, "new", at(3 * MINUTE), at(4 * MINUTE), 1);
    const delivered = (entryId: string) => ({ workspaceId: ws, entryId, status: "delivered" as const });
    same(await store.settleOutbox({ owner: "old", at: at(5 * MINUTE), settlements: [delivered("x")] }), 0, "old owner");
    same((await recordOf(store, ws, "x")).leaseOwner, "new", "the lease after the old owner's settle");
    same(await store.releaseOutbox({ owner: "old", entries: [{ workspaceId: ws, entryId: "x" }] }), 0, "old release");
    same(await store.settleOutbox({ owner: "new", at: at(5 * MINUTE), settlements: [delivered("x")] }), 1, "new owner");
    // "y": its lease has ended, but nobody claimed it since, so "old" still holds it.
    same(
      await store.settleOutbox({ owner: "old", at: at(6 * MINUTE), settlements: [delivered("y")] }),
      1,
      "ended lease",
    );
    const x = await recordOf(store, ws, "x");
    same(
      [x.status, x.deliveredAt, x.leaseOwner, x.leaseUntil, x.attempts],
      ["delivered", at(5 * MINUTE), null, null, 2],
      "x",
    );
    same(
      await store.settleOutbox({ owner: "new", at: at(7 * MINUTE), settlements: [delivered("x")] }),
      0,
      "settle twice",
    );
  });

  it("settles a batch: delivered, pending with a backoff, dead; clears the lease; delivered clears lastError", async ({
    store,
    at,
  }) => {
    const ws = freshWorkspace("outbox");
    const draft = await seedDraft(store, ws);
    const ids = ["ok", "retry", "dead", "late"];
    await writeEntries(
      store,
      draft,
      ids.map((entryId, i) => ({ createdAt: at(i), entryId })),
    );
    await claim(store, "d", at(MINUTE), at(2 * MINUTE));
    const ref = (entryId: string) => ({ workspaceId: ws, entryId });
    const settled = await store.settleOutbox({
      owner: "d",
      at: at(90_000),
      settlements: [
        { ...ref("ok"), status: "delivered" },
        { ...ref("retry"), status: "pending", availableAt: at(5 * MINUTE), error: "timeout" },
        { ...ref("dead"), status: "dead", error: "gave up" },
        { ...ref("late"), status: "pending", availableAt: at(3 * MINUTE), error: "first" },
      ],
    });
    same(settled, 4, "settled count");
    const state = async (entryId: string) => {
      const r = await recordOf(store, ws, entryId);
      return [r.status, r.attempts, r.availableAt, r.lastError, r.deliveredAt, r.leaseOwner, r.leaseUntil];
    };
    same(await state("ok"), ["delivered", 1, at(0), null, at(90_000), null, null], "delivered");
    same(await state("retry"), ["pending", 1, at(5 * MINUTE), "timeout", null, null, null], "pending");
    same(await state("dead"), ["dead", 1, at(2), "gave up", null, null, null], "dead");
    same(
      (await claim(store, "e", at(4 * MINUTE), at(6 * MINUTE))).map((r) => r.entryId),
      ["late"],
      "only late is due",
    );
    const done = { ...ref("late"), status: "delivered" as const };
    same(await store.settleOutbox({ owner: "e", at: at(4 * MINUTE), settlements: [done] }), 1, "late delivered");
    same((await state("late")).slice(0, 4), ["delivered", 2, at(3 * MINUTE), null], "delivered after a failure");
    const far = await claim(store, "f", at(29 * 24 * 60 * MINUTE), at(29 * 24 * 60 * MINUTE + 1));
    same(
      far.map((r) => r.entryId),
      ["retry"],
      "delivered and dead entries are never claimed",
    );
  });

  it("releases leased entries back without counting the attempt (owner only)", async ({ store, at }) => {
    const ws = freshWorkspace("outbox");
    const draft = await seedDraft(store, ws);
    await writeEntries(store, draft, [{ createdAt: at(1), entryId: "r" }]);
    await claim(store, "d", at(MINUTE), at(10 * MINUTE));
    const entries = [{ workspaceId: ws, entryId: "r" }];
    same(await store.releaseOutbox({ owner: "someone-else", entries }), 0, "release by another owner");
    same(await store.releaseOutbox({ owner: "d", entries }), 1, "release by the owner");
    const released = await recordOf(store, ws, "r");
    same(
      [released.attempts, released.leaseOwner, released.leaseUntil, released.status],
      [0, null, null, "pending"],
      "released",
    );
    same(await store.releaseOutbox({ owner: "d", entries }), 0, "release twice");
    const [again] = await claim(store, "e", at(MINUTE), at(10 * MINUTE));
    same([again?.entryId, again?.attempts], ["r", 1], "claimable at once after a release");
  });
}

function listingTests(it: OutboxIt): void {
  it("lists a workspace's records in order over several pages, filtered by status, with an opaque cursor", async ({
    store,
    at,
  }) => {
    const base = freshWorkspace("outbox");
    const [ws, other] = [`${base}-a`, `${base}-b`];
    const draft = await seedDraft(store, ws);
    const { entries } = await writeEntries(
      store,
      draft,
      Array.from({ length: 7 }, (_, i) => ({ createdAt: at(i % 3), entryId: `e-${i}` })),
    );
    await writeEntries(store, await seedDraft(store, other), [{ createdAt: at(0), entryId: "e-0" }]);
    await claim(store, "d", at(MINUTE), at(2 * MINUTE), 2);
    const dead = ["e-0", "e-3"].map((entryId) => ({ workspaceId: ws, entryId, status: "dead" as const, error: "x" }));
    same(await store.settleOutbox({ owner: "d", at: at(MINUTE), settlements: dead }), 2, "two parked");
    const pages: string[][] = [];
    let cursor: string | null = null;
    do {
      const page: Awaited<ReturnType<OutboxStore["listOutbox"]>> = await store.listOutbox({
        workspaceId: ws,
        limit: 3,
        cursor,
      });
      pages.push(outboxRecords(page.entries).map((r) => r.entryId));
      cursor = page.nextCursor;
    } while (cursor !== null && pages.length < 10);
    const order = inOutboxOrder(entries).map((entry) => entry.entryId);
    same(pages, [order.slice(0, 3), order.slice(3, 6), order.slice(6)], "pages of 3");
    const byStatus = async (status: "pending" | "dead" | "delivered") =>
      outboxRecords((await store.listOutbox({ workspaceId: ws, status, limit: 500 })).entries).map((r) => r.entryId);
    same(await byStatus("dead"), ["e-0", "e-3"], "dead records");
    same(
      await byStatus("pending"),
      order.filter((id) => id !== "e-0" && id !== "e-3"),
      "pending records",
    );
    same(await byStatus("delivered"), [], "delivered records");
    const everywhere = outboxRecords((await store.listOutbox({ status: "dead", limit: 500 })).entries);
    check(
      inOutboxOrder(everywhere).every((r, i) => keyOf(r) === keyOf(everywhere[i] as OutboxRecord)),
      "unordered",
    );
    await rejects(store.listOutbox({ limit: 5, cursor: "not-a-cursor" }), is(ValidationError), "ValidationError");
  });

  it("requeues only a dead entry: pending, no attempts, available at `at`, lease cleared, lastError kept", async ({
    store,
    at,
  }) => {
    const ws = freshWorkspace("outbox");
    const draft = await seedDraft(store, ws);
    await writeEntries(store, draft, [
      { createdAt: at(1), entryId: "q" },
      { createdAt: at(2), entryId: "p" },
    ]);
    const ref = { workspaceId: ws, entryId: "q" };
    same(await store.requeueOutbox({ ...ref, at: at(MINUTE) }), false, "requeue of a pending entry");
    await claim(store, "d", at(MINUTE), at(2 * MINUTE));
    await store.settleOutbox({ owner: "d", at: at(MINUTE), settlements: [{ ...ref, status: "dead", error: "bad" }] });
    same(
      await store.requeueOutbox({ workspaceId: ws, entryId: "p", at: at(MINUTE) }),
      false,
      "requeue of a leased entry",
    );
    same(await store.requeueOutbox({ workspaceId: ws, entryId: "nope", at: at(MINUTE) }), false, "unknown entry");
    same(await store.requeueOutbox({ ...ref, at: at(10 * MINUTE) }), true, "requeue of a dead entry");
    const q = await recordOf(store, ws, "q");
    same(
      [q.status, q.attempts, q.availableAt, q.leaseOwner, q.leaseUntil, q.lastError],
      ["pending", 0, at(10 * MINUTE), null, null, "bad"],
      "requeued",
    );
    same(await store.requeueOutbox({ ...ref, at: at(10 * MINUTE) }), false, "requeue twice");
    const again = await claim(store, "e", at(10 * MINUTE), at(11 * MINUTE));
    same(again.map(keyOf), [`${ws}/q`, `${ws}/p`], "claimable again (p's lease has ended)");
  });
}

function liveness(it: OutboxIt): void {
  it("records run progress on the run.requested record without touching the draft", async ({ store, at }) => {
    const ws = freshWorkspace("outbox");
    const draft = await seedDraft(store, ws);
    const { draft: v2, entries } = await writeEntries(store, draft, [{ createdAt: at(1) }]);
    const runId = entries[0]?.runId ?? "";
    await writeEntries(store, v2, [{ createdAt: at(2), runId, kind: "run.cancelled" }]);
    const [before, auditBefore] = [
      JSON.stringify(await store.load(ws, draft.id)),
      (await store.listAudit(ws, draft.id)).length,
    ];
    const report = (
      at_: string,
      message: string | null,
      percent: number | null,
      over: Partial<RunProgressInput> = {},
    ) => store.recordRunProgress({ workspaceId: ws, draftId: draft.id, runId, at: at_, message, percent, ...over });
    same(await report(at(MINUTE), "half", 50), true, "first report");
    same(await report(at(3 * MINUTE), null, null), true, "report keeping message and percent");
    same(await report(at(2 * MINUTE), "late", 60), true, "an older report");
    const progress = async () => {
      const [record] = outboxRecords(await store.listRunRecords(ws, draft.id));
      return [record?.reportedAt, record?.progressMessage, record?.progressPercent, record?.status, record?.attempts];
    };
    same(await progress(), [at(3 * MINUTE), "late", 60, "pending", 0], "progress (reportedAt is the latest)");
    same(await report(at(4 * MINUTE), null, 0), true, "percent 0");
    same(await progress(), [at(4 * MINUTE), "late", 0, "pending", 0], "percent 0 replaces");
    same(await report(at(5 * MINUTE), "x", 1, { runId: "run-unknown" }), false, "unknown run");
    same(await report(at(5 * MINUTE), "x", 1, { draftId: "d-other" }), false, "another draft");
    same(await report(at(5 * MINUTE), "x", 1, { workspaceId: `${ws} ` }), false, "another workspace");
    same(await report(at(5 * MINUTE), "x", 1, { workspaceId: ws.toUpperCase() }), false, "another workspace (case)");
    same(await progress(), [at(4 * MINUTE), "late", 0, "pending", 0], "progress after refused reports");
    same(JSON.stringify(await store.load(ws, draft.id)), before, "recordRunProgress changed the draft");
    same((await store.listAudit(ws, draft.id)).length, auditBefore, "recordRunProgress wrote an audit entry");
  });

  it("lists a draft's run.requested records oldest first (createdAt, entryId), that draft's only", async ({
    store,
    at,
  }) => {
    const ws = freshWorkspace("outbox");
    const [draft, other] = [await seedDraft(store, ws), await seedDraft(store, ws, { tenantId: "other" })];
    const { draft: v2 } = await writeEntries(store, draft, [
      { createdAt: at(2), entryId: "b" },
      { createdAt: at(2), entryId: "a" },
      { createdAt: at(2), entryId: "c", kind: "run.cancelled" },
    ]);
    await writeEntries(store, v2, [{ createdAt: at(1), entryId: "z" }]);
    await writeEntries(store, other, [{ createdAt: at(0), entryId: "o" }]);
    const ids = outboxRecords(await store.listRunRecords(ws, draft.id)).map((r) => r.entryId);
    same(ids, ["z", "a", "b"], "listRunRecords order");
    same(outboxRecords(await store.listRunRecords(ws, "d-none")), [], "a draft with no runs");
  });

  it("finds stale runs by coalesce(reportedAt, createdAt) < before, unsettled only, in order, up to limit", async ({
    store,
    at,
  }) => {
    const base = freshWorkspace("outbox");
    const [wa, wb] = [`${base}-a`, `${base}-b`];
    const [da, db] = [await seedDraft(store, wa), await seedDraft(store, wb)];
    const a = await writeEntries(store, da, [
      { createdAt: at(0), entryId: "quiet", runId: "r-quiet" },
      { createdAt: at(0), entryId: "talks", runId: "r-talks" },
      { createdAt: at(0), entryId: "done", runId: "r-done" },
      { createdAt: at(0), entryId: "cancel", runId: "r-quiet", kind: "run.cancelled" },
    ]);
    await writeEntries(store, db, [{ createdAt: at(0), entryId: "quiet", runId: "r-quiet" }]);
    const progress = { workspaceId: wa, draftId: a.draft.id, message: null, percent: null };
    same(await store.recordRunProgress({ ...progress, runId: "r-talks", at: at(5 * MINUTE) }), true, "report");
    same(
      await store.settleRuns({ workspaceId: wa, draftId: da.id, runIds: ["r-done", "r-none"], at: at(MINUTE) }),
      1,
      "settleRuns",
    );
    const stale = async (before: string, limit = 1000) =>
      outboxRecords(await store.findStaleRuns({ before, limit })).map(keyOf);
    same(await stale(at(0)), [], "nothing is older than its own createdAt");
    same(await stale(at(5 * MINUTE)), [`${wa}/quiet`, `${wb}/quiet`], "before the report");
    same(await stale(at(5 * MINUTE + 1)), [`${wa}/quiet`, `${wb}/quiet`, `${wa}/talks`], "after the report");
    same(await stale(at(5 * MINUTE + 1), 1), [`${wa}/quiet`], "limit 1");
    const settled = outboxRecords(await store.listRunRecords(wa, a.draft.id)).find((r) => r.entryId === "done");
    same(settled?.settledAt, at(MINUTE), "settledAt");
    same(
      await store.settleRuns({ workspaceId: wa, draftId: da.id, runIds: ["r-done"], at: at(2 * MINUTE) }),
      0,
      "settle twice",
    );
    const elsewhere = { workspaceId: wa, draftId: db.id, runIds: ["r-quiet"], at: at(2 * MINUTE) };
    same(await store.settleRuns(elsewhere), 0, "another draft's run ids");
    same(
      await store.settleRuns({ workspaceId: `${wb} `, draftId: db.id, runIds: ["r-quiet"], at: at(2 * MINUTE) }),
      0,
      "look-alike",
    );
    same(await store.settleRuns({ workspaceId: wb, draftId: db.id, runIds: [], at: at(2 * MINUTE) }), 0, "no run ids");
    same(
      await store.settleRuns({ workspaceId: wb, draftId: db.id, runIds: ["r-quiet"], at: at(2 * MINUTE) }),
      1,
      "settle wb",
    );
    same(await stale(at(6 * MINUTE)), [`${wa}/quiet`, `${wa}/talks`], "after settling wb's run");
  });
}

function pruningTests(it: OutboxIt): void {
  it("prunes delivered records older than the cut-off that are cancelled or settled, in every workspace (stores that prune)", async (test) => {
    const { store, at } = test;
    if (store.pruneOutbox === undefined) return test.skip("the store does not prune outbox records (no pruneOutbox)");
    const base = freshWorkspace("outbox");
    const [wa, wb] = [`${base}-a`, `${base}-b`];
    const cancelled = "run.cancelled" as const;
    const draftA = await seedDraft(store, wa);
    await writeEntries(store, draftA, [
      { createdAt: at(1), entryId: "old-settled", runId: "r-old" },
      { createdAt: at(1), entryId: "old-cancelled", kind: cancelled },
      { createdAt: at(1), entryId: "old-unsettled", runId: "r-unsettled" },
      { createdAt: at(1), entryId: "at-cutoff", kind: cancelled },
      { createdAt: at(1), entryId: "new-settled", runId: "r-new" },
      { createdAt: at(1), entryId: "dead-settled", runId: "r-dead" },
      { createdAt: at(2), entryId: "leased", kind: cancelled },
      { createdAt: at(10 * MINUTE), entryId: "pending-settled", runId: "r-pending" },
    ]);
    await writeEntries(store, await seedDraft(store, wb), [
      { createdAt: at(1), entryId: "old-cancelled", kind: cancelled },
      { createdAt: at(10 * MINUTE), entryId: "pending", kind: cancelled },
    ]);
    same((await claim(store, "d", at(MINUTE), at(100 * MINUTE))).length, 8, "claimed (all but the pending ones)");
    const done = (workspaceId: string, entryId: string) => ({ workspaceId, entryId, status: "delivered" as const });
    const settle = (at_: string, settlements: Parameters<OutboxStore["settleOutbox"]>[0]["settlements"]) =>
      store.settleOutbox({ owner: "d", at: at_, settlements });
    const early = ["old-settled", "old-cancelled", "old-unsettled"].map((id) => done(wa, id));
    const dead = { workspaceId: wa, entryId: "dead-settled", status: "dead" as const, error: "gave up" };
    same(await settle(at(2 * MINUTE), [...early, done(wb, "old-cancelled"), dead]), 5, "early settlements");
    same(await settle(at(3 * MINUTE), [done(wa, "at-cutoff")]), 1, "settled at the cut-off");
    same(await settle(at(4 * MINUTE), [done(wa, "new-settled")]), 1, "settled after the cut-off");
    const runIds = ["r-old", "r-new", "r-dead", "r-pending"];
    same(await store.settleRuns({ workspaceId: wa, draftId: draftA.id, runIds, at: at(3 * MINUTE) }), 4, "settleRuns");
    const [beforeA, beforeB] = [await allOf(store, wa), await allOf(store, wb)];
    await rejects(
      Promise.resolve().then(() => store.pruneOutbox?.("not an instant")),
      is(ValidationError),
      "a bad cut-off",
    );
    // Global: eligible records of every workspace go; earlier tests' records are all newer (eras).
    same(await store.pruneOutbox(at(3 * MINUTE)), 3, "pruned count");
    const gone = new Set([`${wa}/old-settled`, `${wa}/old-cancelled`, `${wb}/old-cancelled`]);
    same(
      await allOf(store, wa),
      beforeA.filter((r) => !gone.has(keyOf(r))),
      "what stays of the first workspace",
    );
    same(
      await allOf(store, wb),
      beforeB.filter((r) => !gone.has(keyOf(r))),
      "what stays of the second workspace",
    );
    same(await store.pruneOutbox(at(3 * MINUTE)), 0, "pruning again");
    const runs = outboxRecords(await store.listRunRecords(wa, beforeA[0]?.draftId ?? "")).map((r) => r.entryId);
    same(runs.sort(), ["dead-settled", "new-settled", "old-unsettled", "pending-settled"], "run records kept");
  });
}

function scopeTests(it: OutboxIt): void {
  it("keeps entries of workspaces whose ids only look alike apart (case, trailing space, NFC/NFD)", async ({
    store,
    at,
  }) => {
    for (const [x, y] of [
      ["a", "A"],
      ["a", "a "],
      ["\u00e9", "e\u0301"],
    ] as const) {
      const base = freshWorkspace("outbox");
      const [wx, wy] = [`${base}-${x}`, `${base}-${y}`];
      const dx = await seedDraft(store, wx, { id: "d-same" });
      const { entries } = await writeEntries(store, dx, [{ createdAt: at(1), entryId: "e-same", runId: "r-same" }]);
      const ref = { workspaceId: wy, entryId: "e-same" };
      same((await store.listOutbox({ workspaceId: wy, limit: 10 })).entries, [], "listOutbox of a look-alike");
      same(await store.listRunRecords(wy, "d-same"), [], "listRunRecords of a look-alike");
      const progress = { draftId: "d-same", runId: "r-same", at: at(2), message: "m", percent: 1 };
      same(await store.recordRunProgress({ ...progress, workspaceId: wy }), false, "recordRunProgress of a look-alike");
      same(
        await store.settleRuns({ workspaceId: wy, draftId: "d-same", runIds: ["r-same"], at: at(2) }),
        0,
        "settleRuns of a look-alike",
      );
      const [claimed] = await claim(store, "d", at(MINUTE), at(2 * MINUTE));
      same(claimed === undefined ? null : keyOf(claimed), `${wx}/e-same`, "claim");
      same(await store.releaseOutbox({ owner: "d", entries: [ref] }), 0, "release of a look-alike");
      const dead = { ...ref, status: "dead" as const, error: "x" };
      same(await store.settleOutbox({ owner: "d", at: at(MINUTE), settlements: [dead] }), 0, "settle of a look-alike");
      same(await store.requeueOutbox({ ...ref, at: at(MINUTE) }), false, "requeue of a look-alike");
      // The same entry, run and draft ids in the look-alike workspace are other records.
      const dy = await seedDraft(store, wy, { id: "d-same" });
      await writeEntries(store, dy, [{ createdAt: at(1), entryId: "e-same", runId: "r-same" }]);
      same((await allOf(store, wy)).map(keyOf), [`${wy}/e-same`], "the look-alike workspace's own record");
      const x0 = await recordOf(store, wx, "e-same");
      same([x0.leaseOwner, x0.status, x0.runId], ["d", "pending", entries[0]?.runId], "the first record, untouched");
      await store.releaseOutbox({ owner: "d", entries: [{ workspaceId: wx, entryId: "e-same" }] });
      await store.settleRuns({ workspaceId: wx, draftId: "d-same", runIds: ["r-same"], at: at(2) });
      await store.settleRuns({ workspaceId: wy, draftId: "d-same", runIds: ["r-same"], at: at(2) });
      const all = await claim(store, "sweep", at(2 * MINUTE), at(3 * MINUTE));
      same(all.map(keyOf).sort(), [`${wx}/e-same`, `${wy}/e-same`].sort(), "both claimable");
      await store.settleOutbox({
        owner: "sweep",
        at: at(2 * MINUTE),
        settlements: all.map((r) => ({ workspaceId: r.workspaceId, entryId: r.entryId, status: "delivered" as const })),
      });
    }
  });

  it("refuses limits out of range with ValidationError", async ({ store, at }) => {
    const cases: [string, () => Promise<unknown>][] = [];
    for (const limit of [0, -1, 1.5, Number.NaN, 1001]) {
      const claimInput = { owner: "d", now: at(), leaseUntil: at(1), limit };
      cases.push([`claimOutbox limit ${limit}`, () => store.claimOutbox(claimInput)]);
      cases.push([`findStaleRuns limit ${limit}`, () => store.findStaleRuns({ before: at(), limit })]);
    }
    for (const limit of [0, 1.5, 501]) cases.push([`listOutbox limit ${limit}`, () => store.listOutbox({ limit })]);
    for (const [label, call] of cases) {
      await rejects(Promise.resolve().then(call), is(ValidationError), `ValidationError for ${label}`);
    }
    same(await claim(store, "d", at(), at(1), 1000), [], "claimOutbox limit 1000");
    outboxRecords((await store.listOutbox({ limit: 500 })).entries, "listOutbox limit 500");
    same(await store.findStaleRuns({ before: at(), limit: 1000 }), [], "findStaleRuns limit 1000");
  });
}
