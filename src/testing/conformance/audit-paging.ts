/**
 * Conformance section "audit paging": `listAudit` pages of a draft's trail (positions, limits,
 * both directions) and `engine.history` cursors on this store. Walking every page gives each
 * entry once, in order, also while other writers append; a page never holds more than its limit
 * and is full unless the trail ends; past either end a page is empty; a position or cursor of
 * another draft or workspace gives nothing of theirs; a malformed one is a `ValidationError`.
 */
import { newDraft } from "../../commands/index.js";
import { ValidationError, VersionConflictError, type AuditEvent } from "../../record/index.js";
import type { AuditPageOptions, DraftStore, StoredAuditEntry } from "../../store/index.js";
import { wholeHistory } from "../trail.js";
import {
  actor,
  check,
  createdEvent,
  freshWorkspace,
  is,
  iso,
  rejects,
  withDocument,
  type SectionContext,
} from "./shared.js";

/** A `denied` entry of a draft: an entry that changes no record, written with `appendAudit`. */
function deniedEvent(workspaceId: string, draftId: string, eventId: string): AuditEvent {
  return {
    eventId,
    workspaceId,
    draftId,
    kind: "denied",
    commandType: "get",
    actorId: "intruder",
    at: iso(5000),
    fromVersion: null,
    toVersion: null,
    expectedVersion: null,
    actualVersion: null,
    idempotencyKey: null,
    feedback: null,
    runIds: [],
    capability: "view",
    state: "draft",
  };
}

/**
 * Inserts a draft and appends `count` entries to its trail in batches of 1, 2, 3, ... (so a
 * store sees several `appendAudit` calls); resolves to the event ids in append order.
 */
async function seedTrail(store: DraftStore, workspaceId: string, draftId: string, count: number): Promise<string[]> {
  const draft = newDraft({ id: draftId, workspaceId, now: iso(), actorId: "u" });
  const created = createdEvent(draft);
  const inserted = await store.insert(withDocument({ draft, event: created, idempotency: null }));
  check(inserted.ok, "insert failed");
  const ids = [created.eventId];
  for (let size = 1; ids.length <= count; size += 1) {
    const batch = Array.from({ length: Math.min(size, count + 1 - ids.length) }, (_, offset) =>
      deniedEvent(workspaceId, draftId, `${draftId}-e${String(ids.length + offset).padStart(3, "0")}`),
    );
    await store.appendAudit(batch);
    ids.push(...batch.map((event) => event.eventId));
  }
  return ids;
}

const eventIdOf = (entry: StoredAuditEntry): string => (entry.event as AuditEvent).eventId;

/** Walks every page of `limit` entries in `direction`; resolves to the pages. Bounded by the trail's length. */
async function walk(
  store: DraftStore,
  workspaceId: string,
  draftId: string,
  limit: number,
  direction: "forward" | "backward",
  bound: number,
): Promise<StoredAuditEntry[][]> {
  const pages: StoredAuditEntry[][] = [];
  let after: string | undefined;
  for (let reads = 0; reads <= bound + 1; reads += 1) {
    const page = [
      ...(await store.listAudit(workspaceId, draftId, { limit, direction, ...(after === undefined ? {} : { after }) })),
    ];
    pages.push(page);
    const last = page.at(-1);
    if (last === undefined) return pages;
    after = last.position;
  }
  throw new Error(`listAudit walk did not end after ${bound + 2} pages of ${limit} (a position that does not move?)`);
}

function same(actual: readonly string[], expected: readonly string[], message: string): void {
  check(
    JSON.stringify(actual) === JSON.stringify(expected),
    `${message}: ${JSON.stringify(actual)} != ${JSON.stringify(expected)}`,
  );
}

/** Registers the tests of this section. */
export function auditPagingSection({ it, h, engineOf }: SectionContext): void {
  it("lists a trail in append order, each entry with a stable position", async () => {
    const ws = freshWorkspace();
    const ids = await seedTrail(h().store, ws, "d-1", 9);
    const first = await h().store.listAudit(ws, "d-1");
    same(first.map(eventIdOf), ids, "whole trail");
    const positions = first.map((entry) => entry.position);
    check(
      positions.every((position) => typeof position === "string" && position.length > 0),
      "a position is not text",
    );
    check(new Set(positions).size === positions.length, "two entries share a position");
    same(
      (await h().store.listAudit(ws, "d-1", {})).map((entry) => entry.position),
      positions,
      "positions moved",
    );
  });

  it("walks forward page by page: every entry once, in order, each page full until the end", async () => {
    const ws = freshWorkspace();
    const ids = await seedTrail(h().store, ws, "d-1", 22);
    for (const limit of [1, 2, 3, 7, 23, 50]) {
      const pages = await walk(h().store, ws, "d-1", limit, "forward", ids.length);
      same(pages.flat().map(eventIdOf), ids, `pages of ${limit}`);
      check(pages.at(-1)?.length === 0, `the page after the end is not empty (limit ${limit})`);
      const filled = pages.slice(0, -1);
      check(
        filled.every((page) => page.length <= limit),
        `a page over its limit of ${limit}`,
      );
      check(
        filled.slice(0, -1).every((page) => page.length === limit),
        `a page before the last is short (limit ${limit}): ${filled.map((page) => page.length).join(",")}`,
      );
    }
  });

  it("walks backward page by page: the trail newest first, every entry once", async () => {
    const ws = freshWorkspace();
    const ids = await seedTrail(h().store, ws, "d-1", 17);
    for (const limit of [1, 4, 18, 100]) {
      const pages = await walk(h().store, ws, "d-1", limit, "backward", ids.length);
      same(pages.flat().map(eventIdOf), [...ids].reverse(), `backward pages of ${limit}`);
      check(
        pages.slice(0, -2).every((page) => page.length === limit),
        `a backward page before the last is short (limit ${limit})`,
      );
    }
  });

  it("reads from a position in the middle, either way, and gives an empty page past either end", async () => {
    const ws = freshWorkspace();
    const ids = await seedTrail(h().store, ws, "d-1", 11);
    const whole = await h().store.listAudit(ws, "d-1");
    const middle = whole[5];
    const lastEntry = whole.at(-1);
    const firstEntry = whole[0];
    check(middle !== undefined && lastEntry !== undefined && firstEntry !== undefined, "trail too short");
    same((await h().store.listAudit(ws, "d-1", { after: middle.position })).map(eventIdOf), ids.slice(6), "after");
    same(
      (await h().store.listAudit(ws, "d-1", { after: middle.position, limit: 2 })).map(eventIdOf),
      ids.slice(6, 8),
      "after, limit 2",
    );
    same(
      (await h().store.listAudit(ws, "d-1", { after: middle.position, direction: "backward" })).map(eventIdOf),
      ids.slice(0, 5).reverse(),
      "before",
    );
    same(
      (await h().store.listAudit(ws, "d-1", { after: middle.position, direction: "backward", limit: 3 })).map(
        eventIdOf,
      ),
      ids.slice(2, 5).reverse(),
      "before, limit 3",
    );
    same(
      (await h().store.listAudit(ws, "d-1", { direction: "backward", limit: 2 })).map(eventIdOf),
      ids.slice(-2).reverse(),
      "the last two",
    );
    check((await h().store.listAudit(ws, "d-1", { after: lastEntry.position })).length === 0, "a page past the end");
    check(
      (await h().store.listAudit(ws, "d-1", { after: lastEntry.position, limit: 5 })).length === 0,
      "a limited page past the end",
    );
    check(
      (await h().store.listAudit(ws, "d-1", { after: firstEntry.position, direction: "backward" })).length === 0,
      "a page before the start",
    );
    check((await h().store.listAudit(ws, "no-such-draft", { limit: 5 })).length === 0, "a page of no trail");
  });

  it("paging while other writers append sees every entry exactly once, in order", async () => {
    const ws = freshWorkspace();
    const engine = engineOf();
    const { draft } = await engine.create(ws, { identity: { tenantId: "t", displayName: "A" } }, { actor });
    // Past version 1 before the writers start, so the stale writes below always conflict.
    const first = { type: "select_provider", connectionId: "conn-first" } as const;
    await engine.execute(ws, draft.id, first, { actor, expectedVersion: draft.version });
    const store = h().store;
    let writing = true;
    const writers = Promise.all([
      (async () => {
        let version = draft.version + 1;
        for (let i = 0; i < 12; i += 1) {
          const command = { type: "select_provider", connectionId: `conn-${i}` } as const;
          version = (await engine.execute(ws, draft.id, command, { actor, expectedVersion: version })).version;
        }
      })(),
      (async () => {
        for (let i = 0; i < 12; i += 1) {
          await rejects(
            engine.execute(ws, draft.id, { type: "cancel" }, { actor, expectedVersion: 1 }),
            is(VersionConflictError),
            "a conflict",
          );
        }
      })(),
      (async () => {
        for (let i = 0; i < 12; i += 1) await store.appendAudit([deniedEvent(ws, draft.id, `w3-${i}`)]);
      })(),
    ]).finally(() => {
      writing = false;
    });
    writers.catch(() => undefined); // awaited (and so reported) after the walk

    const seen: StoredAuditEntry[] = [];
    let after: string | undefined;
    // Bounded: 38 entries are written; an empty page while writers run waits a little.
    for (let reads = 0; reads < 5000; reads += 1) {
      const done = !writing;
      const page = await store.listAudit(ws, draft.id, { limit: 3, ...(after === undefined ? {} : { after }) });
      seen.push(...page);
      after = page.at(-1)?.position ?? after;
      if (page.length === 0 && done) break;
      if (page.length === 0) await new Promise((resolve) => setTimeout(resolve, 2));
    }
    await writers;
    const whole = (await store.listAudit(ws, draft.id)).map(eventIdOf);
    check(whole.length === 38, `expected 38 entries, the store holds ${whole.length}`);
    same(seen.map(eventIdOf), whole, "what a reader paging alongside the writers saw");
  });

  it("a position of another draft or workspace gives nothing of theirs", async () => {
    const ws = freshWorkspace();
    const other = freshWorkspace("other");
    await seedTrail(h().store, ws, "d-a", 8);
    const ownB = await seedTrail(h().store, ws, "d-b", 3);
    const ownOther = await seedTrail(h().store, other, "d-a", 2);
    const positions = (await h().store.listAudit(ws, "d-a")).map((entry) => entry.position);
    for (const after of positions) {
      for (const direction of ["forward", "backward"] as const) {
        const page: AuditPageOptions = { after, direction };
        const fromB = (await h().store.listAudit(ws, "d-b", page)).map(eventIdOf);
        check(
          fromB.every((id) => ownB.includes(id)),
          `d-b's page after ${after} holds another draft's entries`,
        );
        const fromOther = (await h().store.listAudit(other, "d-a", page)).map(eventIdOf);
        check(
          fromOther.every((id) => ownOther.includes(id)),
          `the other workspace's page after ${after} holds this one's entries`,
        );
      }
    }
  });

  it("refuses a malformed position or page with ValidationError", async () => {
    const ws = freshWorkspace();
    await seedTrail(h().store, ws, "d-1", 2);
    const bad: unknown[] = [
      { after: "not a position of any store ☃" },
      { after: "" },
      { limit: 0 },
      { limit: 1.5 },
      { limit: -3 },
      { direction: "sideways" },
    ];
    for (const page of bad) {
      await rejects(
        h().store.listAudit(ws, "d-1", page as AuditPageOptions),
        is(ValidationError),
        `ValidationError for ${JSON.stringify(page)}`,
      );
    }
  });

  it("engine.history pages through the trail with opaque cursors, both orders, and follows it with endCursor", async () => {
    const ws = freshWorkspace();
    const engine = engineOf();
    const ids = await seedTrail(h().store, ws, "d-1", 8);
    for (const order of ["oldest_first", "newest_first"] as const) {
      const seen: string[] = [];
      let cursor: string | null = null;
      for (let pages = 0; pages < 20; pages += 1) {
        const page = await engine.history(ws, "d-1", { actor, limit: 2, order, cursor });
        check(page.entries.length <= 2, "a page over its limit");
        seen.push(...page.entries.map((entry) => entry.eventId));
        if (page.nextCursor === null) break;
        cursor = page.nextCursor;
      }
      same(seen, order === "oldest_first" ? ids : [...ids].reverse(), `history ${order}`);
    }
    const caughtUp = await engine.history(ws, "d-1", { actor, limit: 1000 });
    check(
      caughtUp.nextCursor === null && caughtUp.endCursor !== null,
      "the last page has an endCursor and no nextCursor",
    );
    await h().store.appendAudit([deniedEvent(ws, "d-1", "later-1"), deniedEvent(ws, "d-1", "later-2")]);
    const since = await engine.history(ws, "d-1", { actor, cursor: caughtUp.endCursor });
    same(
      since.entries.map((entry) => entry.eventId),
      ["later-1", "later-2"],
      "entries since the endCursor",
    );
    const none = await engine.history(ws, "d-1", { actor, cursor: since.endCursor });
    check(none.entries.length === 0 && none.endCursor === since.endCursor, "an empty page keeps the cursor");
    same(
      (await wholeHistory(engine, ws, "d-1", { actor, limit: 3 })).map((entry) => entry.eventId),
      [...ids, "later-1", "later-2"],
      "whole history",
    );
  });

  it("engine.history refuses a cursor of another draft or workspace with ValidationError", async () => {
    const ws = freshWorkspace();
    const other = freshWorkspace("other");
    const engine = engineOf();
    await seedTrail(h().store, ws, "d-a", 4);
    await seedTrail(h().store, ws, "d-b", 4);
    await seedTrail(h().store, other, "d-a", 4);
    const { nextCursor } = await engine.history(ws, "d-a", { actor, limit: 2 });
    check(nextCursor !== null, "no next page");
    for (const [workspace, draftId] of [
      [ws, "d-b"],
      [other, "d-a"],
    ] as const) {
      await rejects(
        engine.history(workspace, draftId, { actor, cursor: nextCursor }),
        is(ValidationError),
        `ValidationError for a cursor of ${ws}/d-a on ${workspace}/${draftId}`,
      );
    }
  });
}
