/**
 * Property: for random trails (appended in random batches), random limits and both orders, the
 * pages of a walk concatenated are the whole trail, each entry once, in order; also when entries
 * are appended between the pages of a forward walk. Through `engine.history` (its cursors) and
 * straight through `listAudit` (the store's positions), on the memory and SQLite stores.
 * fast-check prints the seed and the counterexample of a failure (replay with `{ seed, path }`).
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect } from "vitest";
import { fc, test } from "@fast-check/vitest";
import { createOnboardingEngine, type AuditEvent, type DraftStore, type HistoryOrder } from "../../src/index.js";
import { createMemoryStore } from "../../src/adapters/memory/index.js";
import { createSqliteStore, type SqliteStore } from "../../src/adapters/sqlite/index.js";

const actor = { id: "operator" };

function denied(workspaceId: string, draftId: string, n: number): AuditEvent {
  return {
    eventId: `e-${n}`,
    workspaceId,
    draftId,
    kind: "denied",
    commandType: "get",
    actorId: "intruder",
    at: "2026-01-01T00:00:00.000Z",
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

/** A trail: the sizes of the `appendAudit` batches after the created entry. */
const batches = fc.array(fc.integer({ min: 1, max: 7 }), { maxLength: 14 });
const limit = fc.integer({ min: 1, max: 60 });
const order = fc.constantFrom<HistoryOrder>("oldest_first", "newest_first");
/** Entries appended before page i of a walk (forward walks see them; backward ones began past them). */
const appendsDuringWalk = fc.array(fc.nat({ max: 4 }), { maxLength: 12 });

/** A draft in a fresh workspace with its trail; `append(n)` adds n more entries. */
async function seeded(store: DraftStore, sizes: readonly number[]) {
  const workspaceId = `ws-${randomUUID()}`;
  const engine = createOnboardingEngine({ store, authorize: () => true });
  const { draft } = await engine.create(workspaceId, {}, { actor });
  let written = 0;
  const append = async (count: number): Promise<void> => {
    if (count === 0) return;
    const batch = Array.from({ length: count }, (_, offset) => denied(workspaceId, draft.id, written + offset));
    written += count;
    await store.appendAudit(batch);
  };
  for (const size of sizes) await append(size);
  return { engine, workspaceId, draftId: draft.id, append };
}

const eventIds = async (store: DraftStore, workspaceId: string, draftId: string): Promise<string[]> =>
  (await store.listAudit(workspaceId, draftId)).map(({ event }) => (event as AuditEvent).eventId);

function stores(): { name: string; store: () => DraftStore }[] {
  let sqlite: SqliteStore | undefined;
  beforeAll(async () => {
    sqlite = createSqliteStore({ filename: ":memory:", tablePrefix: "hist_prop_" });
    await sqlite.migrate();
  });
  afterAll(async () => {
    await sqlite?.close();
  });
  const memory = createMemoryStore();
  return [
    { name: "memory", store: () => memory },
    {
      name: "sqlite",
      store: () => {
        if (sqlite === undefined) throw new Error("sqlite store not ready");
        return sqlite;
      },
    },
  ];
}

for (const { name, store } of stores()) {
  describe(`paging a trail (${name})`, () => {
    test.prop([batches, limit, order, appendsDuringWalk], { numRuns: 150 })(
      "engine.history: concatenated pages are the whole trail",
      async (sizes, pageSize, walkOrder, appends) => {
        const { engine, workspaceId, draftId, append } = await seeded(store(), sizes);
        let atStart: string[] = [];
        const seen: string[] = [];
        let cursor: string | null = null;
        for (let page = 0; page <= 100 + appends.length * 4 + 1; page += 1) {
          await append(appends[page] ?? 0);
          if (page === 0) atStart = await eventIds(store(), workspaceId, draftId);
          const result = await engine.history(workspaceId, draftId, {
            actor,
            limit: pageSize,
            order: walkOrder,
            cursor,
          });
          expect(result.entries.length).toBeLessThanOrEqual(pageSize);
          if (result.nextCursor !== null) expect(result.entries).toHaveLength(pageSize);
          seen.push(...result.entries.map((entry) => entry.eventId));
          if (result.nextCursor === null) break;
          cursor = result.nextCursor;
        }
        const after = await eventIds(store(), workspaceId, draftId);
        if (walkOrder === "oldest_first") {
          // Every append came before some page read, so the walk saw it, once, in its place.
          expect(seen).toEqual(after);
        } else {
          // A backward walk begins at the end as of its first page: later appends are past it.
          expect(seen).toEqual([...atStart].reverse());
        }
      },
    );

    test.prop([batches, limit, fc.boolean()], { numRuns: 150 })(
      "listAudit: concatenated pages are the whole trail, forward and backward",
      async (sizes, pageSize, backward) => {
        const { workspaceId, draftId } = await seeded(store(), sizes);
        const whole = await store().listAudit(workspaceId, draftId);
        const seen: string[] = [];
        let after: string | undefined;
        for (let page = 0; page <= whole.length + 1; page += 1) {
          const entries = await store().listAudit(workspaceId, draftId, {
            limit: pageSize,
            direction: backward ? "backward" : "forward",
            ...(after === undefined ? {} : { after }),
          });
          expect(entries.length).toBeLessThanOrEqual(pageSize);
          seen.push(...entries.map((entry) => entry.position));
          const last = entries.at(-1);
          if (last === undefined) break;
          after = last.position;
        }
        const positions = whole.map((entry) => entry.position);
        expect(seen).toEqual(backward ? positions.reverse() : positions);
      },
    );
  });
}
