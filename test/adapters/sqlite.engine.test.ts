/**
 * SQLite adapter through the engine: rows edited by hand into an invalid shape (or invalid JSON)
 * read as CorruptRecordError, hostile operator text round-trips, idempotent retries and the open
 * draft rule hold, and list/history come back validated.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createOnboardingEngine } from "../../src/index.js";
import { createSqliteStore, type SqliteStore } from "../../src/adapters/sqlite/index.js";
import { encodeDraft } from "../../src/lifecycle/index.js";
import { CorruptRecordError, OpenDraftExistsError, StoreError } from "../../src/record/index.js";
import type Database from "better-sqlite3";
import { tempDatabase, uid } from "./fixtures/sqlite-helpers.js";

const tmp = tempDatabase("engine");
let store: SqliteStore;
let db: Database.Database;
const actor = { id: "u1" };

beforeAll(async () => {
  store = createSqliteStore({ filename: tmp.file, tablePrefix: "eng_" });
  await store.migrate();
  db = await store.database();
});

afterAll(async () => {
  await store.close();
  tmp.cleanup();
});

// A clock that ticks 1 ms per reading: drafts created in one loop get distinct createdAt values,
// so a listing (ordered by createdAt, then id) comes back in creation order.
let tick = Date.UTC(2026, 0, 1);
function engine() {
  return createOnboardingEngine({ store, authorize: () => true, clock: { now: () => (tick += 1) } });
}

function setDocument(workspaceId: string, draftId: string, document: string): void {
  const { changes } = db
    .prepare(`UPDATE eng_drafts SET document = ? WHERE workspace_id = ? AND id = ?`)
    .run(document, workspaceId, draftId);
  expect(changes).toBe(1);
}

describe("sqlite + engine: corrupt rows", () => {
  it("reads a hand-edited row of invalid shape as CorruptRecordError and leaves it alone", async () => {
    const ws = uid("ws");
    const e = engine();
    const { draft } = await e.create(ws, { identity: { tenantId: "t", displayName: "Contoso" } }, { actor });
    const doc = JSON.parse(
      db.prepare(`SELECT document FROM eng_drafts WHERE id = ?`).pluck().get(draft.id) as string,
    ) as Record<string, unknown>;
    const edits: Record<string, unknown>[] = [
      { ...doc, version: "2" },
      { ...doc, identity: { tenantId: 42, displayName: "x" } },
      {
        ...doc,
        lifecycle: { state: "completed", currentCheckpoint: null, lastCompletedCheckpoint: "activate", reason: null },
      },
      { ...doc, provider: { connectionId: "c", revision: 0 } },
      { ...doc, schemaVersion: 99 },
    ];
    for (const edited of [...edits.map((x) => JSON.stringify(x)), "[]", "null", '"text"', '{"id":', ""]) {
      setDocument(ws, draft.id, edited);
      const error = await e.get(ws, draft.id, { actor }).catch((x: unknown) => x);
      expect(error, edited.slice(0, 60)).toBeInstanceOf(CorruptRecordError);
      expect(error).not.toBeInstanceOf(StoreError);
      await expect(e.execute(ws, draft.id, { type: "cancel" }, { actor, expectedVersion: 1 })).rejects.toBeInstanceOf(
        CorruptRecordError,
      );
      expect(db.prepare(`SELECT document FROM eng_drafts WHERE id = ?`).pluck().get(draft.id)).toBe(edited);
    }
    setDocument(ws, draft.id, encodeDraft(draft));
    expect((await e.get(ws, draft.id, { actor })).version).toBe(1);
  });
});

describe("sqlite + engine: hostile text", () => {
  it("round-trips quotes, SQL fragments, unicode and control characters through create/execute/list", async () => {
    const ws = `ws '"; DROP TABLE eng_drafts; -- ${uid("x")}`;
    const e = engine();
    const samples = [
      `Robert'); DROP TABLE eng_drafts;--`,
      `"double" 'single' \`back\` \\ back\\slash`,
      `%_ LIKE wildcards * ? [abc]`,
      `🧪 ünïcödé 漢字 עברית \u202E reversed \u200D joiner`,
      `\u0001\u0002\u0003\u001f\u007f binary-looking \uFFFD`,
      "n".repeat(256),
    ];
    for (const [i, text] of samples.entries()) {
      const { draft } = await e.create(
        ws,
        { identity: { tenantId: `tenant '${i}' ${text.slice(0, 60)}`, displayName: text } },
        { actor },
      );
      const back = await e.get(ws, draft.id, { actor });
      expect(back.identity?.displayName).toBe(text);
      const r = await e.execute(
        ws,
        draft.id,
        { type: "cancel", reason: text },
        { actor, expectedVersion: 1, idempotencyKey: `key '${text.slice(0, 200)}` },
      );
      expect(r.draft.cancellation?.reason).toBe(text);
      const replay = await e.execute(
        ws,
        draft.id,
        { type: "cancel", reason: text },
        { actor, expectedVersion: 1, idempotencyKey: `key '${text.slice(0, 200)}` },
      );
      expect(replay.replayed).toBe(true);
    }
    const page = await e.list(ws, { actor, limit: 50, state: "cancelled" });
    expect(page.drafts.map((d) => d.identity?.displayName)).toEqual(samples);
    expect(db.pragma("integrity_check", { simple: true })).toBe("ok");
  });

  it("refuses a second open draft of a tenant through the engine with the existing id", async () => {
    const ws = uid("ws");
    const e = engine();
    const first = await e.create(ws, { identity: { tenantId: "t", displayName: "A" } }, { actor });
    const error = await e
      .create(ws, { identity: { tenantId: "t", displayName: "B" } }, { actor })
      .catch((x: unknown) => x);
    expect(error).toBeInstanceOf(OpenDraftExistsError);
    expect((error as OpenDraftExistsError).existingDraftId).toBe(first.draft.id);
  });
});
