/**
 * engine.history pages and cursors (validation, defaults, authorization, what a broken store is
 * told), and the engine's own reads of a trail (changedBy of a conflict, the stale-or-unknown run
 * check) reading pages from the end instead of the whole trail.
 */
import { describe, expect, it } from "vitest";
import {
  AuthorizationError,
  CorruptRecordError,
  DraftNotFoundError,
  StoreError,
  UnknownRunError,
  ValidationError,
  VersionConflictError,
  createOnboardingEngine,
  type AuditEvent,
  type AuditPageOptions,
  type DraftStore,
  type StoredAuditEntry,
} from "../../src/index.js";
import { createMemoryStore, type MemoryStore } from "../../src/adapters/memory/index.js";

const actor = { id: "operator" };
const worker = { id: "worker" };

/** A memory store that records every `listAudit` call: its page and how many entries it gave. */
/** The memory store with its keyed conflict members hidden: the engine's own trail walk for `changedBy`. */
function withoutKeyedConflicts(): MemoryStore {
  const { appendConflict: _keyed, ...rest } = createMemoryStore();
  const plain = rest as MemoryStore;
  const commit = plain.commit.bind(plain);
  // Without `appendConflict` the engine sends no `conflict` entry; drop what the rejection settles.
  return {
    ...plain,
    async commit(input) {
      const result = await commit(input);
      if (result.ok || result.reason !== "version_conflict") return result;
      return { ok: false, reason: "version_conflict", actualVersion: result.actualVersion };
    },
  };
}

function spied(inner: MemoryStore = createMemoryStore()) {
  const calls: { page: AuditPageOptions | undefined; returned: number }[] = [];
  let onList: ((entries: readonly StoredAuditEntry[]) => readonly StoredAuditEntry[]) | null = null;
  const store = new Proxy(inner, {
    get(target, property, receiver) {
      if (property !== "listAudit") return Reflect.get(target, property, receiver) as unknown;
      return async (workspaceId: string, draftId: string, page?: AuditPageOptions) => {
        const entries = await target.listAudit(workspaceId, draftId, page);
        calls.push({ page, returned: entries.length });
        return onList === null ? entries : onList(entries);
      };
    },
  });
  return {
    store,
    calls,
    rewrite(fn: (entries: readonly StoredAuditEntry[]) => readonly StoredAuditEntry[]) {
      onList = fn;
    },
  };
}

function denied(draftId: string, n: number): AuditEvent {
  return {
    eventId: `denied-${n}`,
    workspaceId: "ws",
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

async function draftWithTrail(store: DraftStore, extra: number) {
  const engine = createOnboardingEngine({ store, authorize: () => true });
  const { draft } = await engine.create("ws", {}, { actor });
  const events = Array.from({ length: extra }, (_, n) => denied(draft.id, n));
  for (let start = 0; start < events.length; start += 50) await store.appendAudit(events.slice(start, start + 50));
  return { engine, draft };
}

describe("engine.history", () => {
  it("returns 100 entries by default, then the rest, with nextCursor null on the last page", async () => {
    const { engine, draft } = await draftWithTrail(createMemoryStore(), 149);
    const first = await engine.history("ws", draft.id, { actor });
    expect(first.entries).toHaveLength(100);
    expect(first.entries[0]?.kind).toBe("created");
    expect(first.nextCursor).not.toBeNull();
    expect(first.endCursor).toBe(first.nextCursor);
    const second = await engine.history("ws", draft.id, { actor, cursor: first.nextCursor });
    expect(second.entries.map((entry) => entry.eventId)).toEqual(
      Array.from({ length: 50 }, (_, n) => `denied-${n + 99}`),
    );
    expect(second.nextCursor).toBeNull();
    expect(second.endCursor).not.toBeNull();
  });

  it("accepts limits 1 and 1000 and asks the store for one entry more than the page", async () => {
    const { store, calls } = spied();
    const { engine, draft } = await draftWithTrail(store, 1200);
    expect((await engine.history("ws", draft.id, { actor, limit: 1 })).entries).toHaveLength(1);
    expect((await engine.history("ws", draft.id, { actor, limit: 1000 })).entries).toHaveLength(1000);
    expect(calls.map((call) => call.page)).toEqual([
      { limit: 2, direction: "forward" },
      { limit: 1001, direction: "forward" },
    ]);
  });

  it("reads newest first, and a cursor goes on in its own order", async () => {
    const { engine, draft } = await draftWithTrail(createMemoryStore(), 5);
    const latest = await engine.history("ws", draft.id, { actor, order: "newest_first", limit: 2 });
    expect(latest.entries.map((entry) => entry.eventId)).toEqual(["denied-4", "denied-3"]);
    const older = await engine.history("ws", draft.id, { actor, limit: 2, cursor: latest.nextCursor });
    expect(older.entries.map((entry) => entry.eventId)).toEqual(["denied-2", "denied-1"]);
    const same = await engine.history("ws", draft.id, {
      actor,
      limit: 2,
      cursor: latest.nextCursor,
      order: "newest_first",
    });
    expect(same.entries).toEqual(older.entries);
    await expect(
      engine.history("ws", draft.id, { actor, cursor: latest.nextCursor, order: "oldest_first" }),
    ).rejects.toBeInstanceOf(ValidationError);
  });

  it("refuses bad limits, orders, options and cursors with ValidationError before the store is asked", async () => {
    const { store, calls } = spied();
    const { engine, draft } = await draftWithTrail(store, 3);
    const { nextCursor } = await engine.history("ws", draft.id, { actor, limit: 1 });
    expect(nextCursor).not.toBeNull();
    const cursor = nextCursor as string;
    const parts = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as unknown[];
    const forged = (replace: (parts: unknown[]) => unknown[]): string =>
      Buffer.from(JSON.stringify(replace([...parts])), "utf8").toString("base64url");
    calls.length = 0;
    const bad: Record<string, unknown>[] = [
      { limit: 0 },
      { limit: 1001 },
      { limit: 1.5 },
      { limit: "10" },
      { limit: Number.NaN },
      { order: "sideways" },
      { cursor: 42 },
      { cursor: "" },
      { cursor: "not base64url!" },
      { cursor: "x".repeat(2000) },
      { cursor: Buffer.from("[1,2,3]").toString("base64url") },
      { cursor: Buffer.from("not json").toString("base64url") },
      { cursor: forged((p) => ["h2", ...p.slice(1)]) },
      { cursor: forged((p) => [p[0], p[1], `${String(p[2])}1`, p[3]]) }, // another position, the old checksum
      { cursor: forged((p) => [p[0], p[1], p[2], "00000000"]) },
      { cursor: forged((p) => [p[0], "n", p[2], p[3]]) },
      { cursor: forged((p) => [p[0], p[1], 7, p[3]]) },
      { cursor: cursor.slice(0, -2) },
      { page: 2 },
    ];
    for (const options of bad) {
      const error = await engine.history("ws", draft.id, { actor, ...options }).catch((caught: unknown) => caught);
      expect(error, JSON.stringify(options)).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).target).toBe("options");
    }
    expect(calls).toEqual([]);
  });

  it("keeps the view check and the workspace check", async () => {
    const store = createMemoryStore();
    const { draft } = await draftWithTrail(store, 1);
    const denying = createOnboardingEngine({ store, authorize: () => false });
    await expect(denying.history("ws", draft.id, { actor })).rejects.toBeInstanceOf(AuthorizationError);
    const engine = createOnboardingEngine({ store, authorize: () => true });
    await expect(engine.history("elsewhere", draft.id, { actor })).rejects.toBeInstanceOf(DraftNotFoundError);
    const kinds = (await engine.history("ws", draft.id, { actor })).entries.map((entry) => entry.kind);
    expect(kinds).toEqual(["created", "denied", "denied"]); // the seeded one and the refused read
  });

  it("refuses what a broken store hands back: a foreign entry, an entry without a position, a corrupt entry", async () => {
    const { store, rewrite } = spied();
    const { engine, draft } = await draftWithTrail(store, 2);
    rewrite((entries) =>
      entries.map((entry) => ({ ...entry, event: { ...(entry.event as object), workspaceId: "x" } })),
    );
    await expect(engine.history("ws", draft.id, { actor })).rejects.toBeInstanceOf(StoreError);
    rewrite((entries) => entries.map((entry) => ({ ...entry, event: { ...(entry.event as object), draftId: "x" } })));
    await expect(engine.history("ws", draft.id, { actor })).rejects.toBeInstanceOf(StoreError);
    rewrite((entries) => entries.map((entry) => ({ event: entry.event, position: "" })));
    await expect(engine.history("ws", draft.id, { actor })).rejects.toBeInstanceOf(StoreError);
    rewrite((entries) => entries.map((entry) => ({ ...entry, event: { ...(entry.event as object), kind: "nope" } })));
    const corrupt = await engine.history("ws", draft.id, { actor }).catch((error: unknown) => error);
    expect(corrupt).toBeInstanceOf(CorruptRecordError);
    expect((corrupt as CorruptRecordError).path).toEqual(["audit", "0", "kind"]);
  });
});

describe("the engine's own reads of a trail", () => {
  it("finds changedBy of a conflict in one short page from the end of a long trail", async () => {
    const { store, calls } = spied(withoutKeyedConflicts());
    const { engine, draft } = await draftWithTrail(store, 600);
    await engine.execute(
      "ws",
      draft.id,
      { type: "identify", tenantId: "t", displayName: "T" },
      { actor: worker, expectedVersion: 1 },
    );
    calls.length = 0;
    const conflict = await engine
      .execute("ws", draft.id, { type: "cancel" }, { actor, expectedVersion: 1 })
      .catch((error: unknown) => error);
    expect(conflict).toBeInstanceOf(VersionConflictError);
    expect((conflict as VersionConflictError).changedBy).toEqual({
      actorId: "worker",
      commandType: "identify",
      worker: false,
    });
    expect(calls).toEqual([{ page: { direction: "backward", limit: 16 }, returned: 16 }]);
  });

  it("pages back past conflicts to the commit, and stops at an older write (null for a created version)", async () => {
    const { store, calls } = spied(withoutKeyedConflicts());
    const { engine, draft } = await draftWithTrail(store, 0);
    for (let n = 0; n < 40; n += 1) {
      await expect(
        engine.execute("ws", draft.id, { type: "cancel" }, { actor, expectedVersion: 7 }),
      ).rejects.toMatchObject({
        changedBy: null, // version 1 was written by create
      });
    }
    expect(calls.every((call) => call.page?.direction === "backward" && call.page.limit === 16)).toBe(true);
    // The 40th conflict: 41 entries, read 16 + 16 + 9 from the end, down to the created one.
    expect(calls.slice(-3)).toEqual([
      { page: { direction: "backward", limit: 16 }, returned: 16 },
      { page: { direction: "backward", limit: 16, after: "25" }, returned: 16 },
      { page: { direction: "backward", limit: 16, after: "9" }, returned: 9 },
    ]);
  });

  it("reads no trail for changedBy on a store that answers it by key (the memory store), one conflict entry each", async () => {
    const { store, calls } = spied();
    const { engine, draft } = await draftWithTrail(store, 600);
    await engine.execute(
      "ws",
      draft.id,
      { type: "identify", tenantId: "t", displayName: "T" },
      { actor: worker, expectedVersion: 1 },
    );
    calls.length = 0;
    for (let n = 0; n < 20; n += 1) {
      const conflict = await engine
        .execute("ws", draft.id, { type: "cancel" }, { actor, expectedVersion: 1 })
        .catch((error: unknown) => error);
      expect((conflict as VersionConflictError).changedBy).toEqual({
        actorId: "worker",
        commandType: "identify",
        worker: false,
      });
    }
    await expect(
      engine.execute("ws", draft.id, { type: "cancel" }, { actor, expectedVersion: 7 }),
    ).rejects.toMatchObject({
      changedBy: { actorId: "worker", commandType: "identify" },
    });
    expect(calls).toEqual([]);
    const trail = await store.listAudit("ws", draft.id);
    const conflicts = trail.filter((entry) => (entry.event as AuditEvent).kind === "conflict");
    expect(conflicts).toHaveLength(21);
    expect(conflicts.every((entry) => (entry.event as AuditEvent).actualVersion === 2)).toBe(true);
  });

  it("tells a stale run from an unknown one by reading the trail backward in pages", async () => {
    const { store, calls } = spied();
    const engine = createOnboardingEngine({ store, authorize: () => true });
    let { draft } = await engine.create("ws", { identity: { tenantId: "t", displayName: "T" } }, { actor });
    const step = async (command: Parameters<typeof engine.execute>[2]) => {
      draft = (await engine.execute("ws", draft.id, command, { actor, expectedVersion: draft.version })).draft;
    };
    await step({ type: "select_provider", connectionId: "c" });
    await step({ type: "start_verification" });
    const first = draft.verification?.runId ?? "";
    await engine.execute(
      "ws",
      draft.id,
      { type: "record_verification_result", runId: first, status: "completed", outcome: "failed" },
      { actor: worker },
    );
    draft = await engine.get("ws", draft.id, { actor });
    await step({ type: "start_verification" });
    expect(draft.verification?.runId).not.toBe(first); // the first run is named only in the trail now
    const noise = Array.from({ length: 250 }, (_, n) => denied(draft.id, n));
    await store.appendAudit(noise);
    calls.length = 0;
    const late = await engine.execute(
      "ws",
      draft.id,
      { type: "record_verification_result", runId: first, status: "completed", outcome: "succeeded" },
      { actor: worker },
    );
    expect(late.feedback).toBe("ignored_stale_result");
    expect(calls.map((call) => call.page?.direction)).toEqual(["backward", "backward", "backward"]);
    expect(calls.every((call) => call.page?.limit === 100)).toBe(true);
    calls.length = 0;
    await expect(
      engine.execute(
        "ws",
        draft.id,
        { type: "record_verification_result", runId: "never", status: "completed", outcome: "succeeded" },
        { actor: worker },
      ),
    ).rejects.toBeInstanceOf(UnknownRunError);
    expect(calls.every((call) => call.page?.direction === "backward" && call.page.limit === 100)).toBe(true);
    expect(calls.map((call) => call.returned)).toEqual([100, 100, 55]); // every entry once, none twice
  });
});
