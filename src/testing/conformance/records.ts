/**
 * Conformance section "records": inserting and loading drafts, round trips through the codec,
 * hostile strings, corrupt stored documents, documents changed behind the store's back, and the
 * optional features around stored records (pruning idempotency records, the basis check of a store of text, non-JSON text),
 * each skipped visibly when the store lacks it.
 */
import * as fc from "fast-check";
import { CorruptRecordError } from "../../record/index.js";
import { encodeDraft, sealDraft } from "../../lifecycle/index.js";
import { newDraft } from "../../commands/index.js";
import { hostileStringArbitrary } from "../arbitraries.js";
import { assertDraftInvariants } from "../invariants.js";
import {
  actor,
  check,
  createdEvent,
  freshWorkspace,
  is,
  iso,
  rejects,
  type SectionContext,
  withDocument,
  storedDraft,
} from "./shared.js";

/** Registers the tests of this section. */
export function recordsSection({ it, h, engineOf }: SectionContext): void {
  it("inserts and loads a draft that round-trips byte for byte through the codec", async () => {
    const ws = freshWorkspace();
    const draft = newDraft({
      id: "d-1",
      workspaceId: ws,
      now: iso(),
      actorId: "u",
      identity: { tenantId: "t", displayName: "Contoso" },
    });
    const result = await h().store.insert(withDocument({ draft, event: createdEvent(draft), idempotency: null }));
    check(result.ok, `insert failed: ${JSON.stringify(result)}`);
    const loaded = await h().store.load(ws, "d-1");
    check(encodeDraft(storedDraft(loaded)) === encodeDraft(draft), "stored draft does not round-trip");
  });

  it("returns null for a missing draft and for a draft of another workspace", async () => {
    const ws = freshWorkspace();
    const draft = newDraft({ id: "d-1", workspaceId: ws, now: iso(), actorId: "u" });
    await h().store.insert(withDocument({ draft, event: createdEvent(draft), idempotency: null }));
    check((await h().store.load(ws, "nope")) == null, "missing draft should load as null");
    check((await h().store.load(freshWorkspace(), "d-1")) == null, "another workspace's draft leaked");
  });

  it("refuses a second insert with the same id", async () => {
    const ws = freshWorkspace();
    const draft = newDraft({ id: "d-1", workspaceId: ws, now: iso(), actorId: "u" });
    await h().store.insert(withDocument({ draft, event: createdEvent(draft), idempotency: null }));
    const again = await h().store.insert(withDocument({ draft, event: createdEvent(draft), idempotency: null }));
    check(!again.ok && again.reason === "draft_exists", `expected draft_exists, got ${JSON.stringify(again)}`);
  });

  it("keeps hostile strings unchanged", async () => {
    const samples = fc.sample(hostileStringArbitrary, { numRuns: 24, seed: 42 });
    const ws = freshWorkspace();
    const engine = engineOf();
    for (const [index, text] of samples.entries()) {
      const { draft } = await engine.create(
        ws,
        { identity: { tenantId: `t-${index}`, displayName: text.trim() || "x" } },
        { actor },
      );
      const back = await engine.get(ws, draft.id, { actor });
      check(
        back.identity?.displayName === draft.identity?.displayName,
        `string changed: ${JSON.stringify(text).slice(0, 80)}`,
      );
    }
  });

  it("reports a stored record of invalid shape as CorruptRecordError", async () => {
    const ws = freshWorkspace();
    const engine = engineOf();
    const { draft } = await engine.create(ws, {}, { actor });
    await h().writeRawDocument(ws, draft.id, JSON.stringify({ ...draft, version: "seven", identity: { tenantId: 5 } }));
    const error = await rejects(engine.get(ws, draft.id, { actor }), is(CorruptRecordError), "CorruptRecordError");
    check(error.path.length > 0, "CorruptRecordError should name the failing path");
    await rejects(
      engine.execute(ws, draft.id, { type: "cancel" }, { actor, expectedVersion: 1 }),
      is(CorruptRecordError),
      "CorruptRecordError on execute",
    );
  });

  it("sees a document changed behind its back, even one it has just written and read", async () => {
    const ws = freshWorkspace();
    const engine = engineOf();
    const { draft } = await engine.create(ws, { identity: { tenantId: "t", displayName: "Before" } }, { actor });
    await engine.get(ws, draft.id, { actor }); // a second read: any cache of this store is warm now
    // Another process (or an operator in a SQL console) rewrites the document, same version.
    const edited = { ...draft, identity: { tenantId: "t", displayName: "Edited by hand" } };
    await h().writeRawDocument(ws, draft.id, JSON.stringify(edited));
    // A write first (no read in between: the engine computes it from its cached
    // draft, and the commit's basis check must send it back to a fresh read), then a read.
    const next = await engine.execute(
      ws,
      draft.id,
      { type: "select_provider", connectionId: "c-1" },
      {
        actor,
        expectedVersion: 1,
      },
    );
    check(next.draft.identity?.displayName === "Edited by hand", "a write must start from the stored document");
    const seen = await engine.get(ws, draft.id, { actor });
    check(seen.identity?.displayName === "Edited by hand", `a read returned ${JSON.stringify(seen.identity)}`);
    check(seen.version === 2 && seen.provider?.connectionId === "c-1", "the write must have been applied once");
    await assertDraftInvariants(h().store, ws, draft.id);
  });

  it("prunes idempotency records older than a cut-off; a pruned key is a new key again (stores that prune)", async (test) => {
    const store = h().store;
    if (store.pruneIdempotency === undefined)
      return test.skip("the store does not prune idempotency records (no pruneIdempotency)");
    const ws = freshWorkspace();
    // Far in the past, so no other test's records are older than the cut-off.
    let now = Date.UTC(2000, 0, 1);
    const engine = engineOf({ clock: { now: () => now } });
    const { draft } = await engine.create(ws, { identity: { tenantId: "t", displayName: "A" } }, { actor });
    const rename = (displayName: string) => ({ type: "identify" as const, tenantId: "t", displayName });
    await engine.execute(ws, draft.id, rename("Old"), { actor, expectedVersion: 1, idempotencyKey: "old-key" });
    now = Date.UTC(2000, 0, 2);
    await engine.execute(ws, draft.id, rename("New"), { actor, expectedVersion: 2, idempotencyKey: "new-key" });
    const pruned = await store.pruneIdempotency(new Date(Date.UTC(2000, 0, 1, 12)).toISOString());
    check(pruned >= 1, `pruned ${pruned} records`);
    check((await store.loadIdempotency(ws, "old-key")) === null, "the old record must be gone");
    check((await store.loadIdempotency(ws, "new-key")) !== null, "the newer record must stay");
    const replay = await engine.execute(ws, draft.id, rename("New"), {
      actor,
      expectedVersion: 2,
      idempotencyKey: "new-key",
    });
    check(replay.replayed && replay.version === 3, "a kept key still replays");
    const fresh = await engine.execute(ws, draft.id, rename("Old"), {
      actor,
      expectedVersion: 3,
      idempotencyKey: "old-key",
    });
    check(!fresh.replayed && fresh.version === 4, "a pruned key runs as a new request");
    await assertDraftInvariants(store, ws, draft.id);
  });

  it("refuses a commit whose basis no longer matches the stored text (stores of text)", async (test) => {
    const store = h().store;
    const ws = freshWorkspace();
    const engine = engineOf();
    const { draft } = await engine.create(ws, { identity: { tenantId: "t", displayName: "Before" } }, { actor });
    const loaded = await store.load(ws, draft.id);
    const raw = loaded?.document;
    const basis = typeof raw === "string" ? raw : raw instanceof Uint8Array ? new TextDecoder().decode(raw) : null;
    if (basis === null) return test.skip("the store keeps values, not text (the engine sends it no basis)");
    check(basis === encodeDraft(draft), "a store of text must hold the canonical text it was sent");
    await h().writeRawDocument(ws, draft.id, JSON.stringify({ ...draft, createdBy: "someone-else" }));
    const next = sealDraft({ ...draft, version: 2 }, draft);
    const result = await store.commit(
      withDocument({ draft: next, expectedVersion: 1, basis, events: [], idempotency: null }),
    );
    check(
      !result.ok && result.reason === "version_conflict" && result.actualVersion === 1,
      `got ${JSON.stringify(result)}`,
    );
    const stored = storedDraft(await store.load(ws, draft.id));
    check(stored.version === 1 && stored.createdBy === "someone-else", "a refused commit must write nothing");
  });

  it("reports stored text that is not JSON as CorruptRecordError (when the store can hold it)", async (test) => {
    const ws = freshWorkspace();
    const engine = engineOf();
    const { draft } = await engine.create(ws, {}, { actor });
    try {
      await h().writeRawDocument(ws, draft.id, '{"id": "truncated');
    } catch {
      return test.skip(
        "the store cannot hold text that is not JSON (writeRawDocument refused it: a json/jsonb column)",
      );
    }
    await rejects(engine.get(ws, draft.id, { actor }), is(CorruptRecordError), "CorruptRecordError for non-JSON text");
    await h().writeRawDocument(ws, draft.id, "null");
    await rejects(engine.get(ws, draft.id, { actor }), is(CorruptRecordError), "CorruptRecordError for a JSON null");
  });

  it("keeps ids that differ only in case or trailing spaces apart", async () => {
    const ws = freshWorkspace();
    const engine = engineOf();
    const tenants = ["tenant", "Tenant", "tenant ", "tenant\u00a0"];
    const created = [];
    for (const tenantId of tenants) {
      created.push((await engine.create(ws, { identity: { tenantId, displayName: tenantId } }, { actor })).draft);
    }
    for (const [index, tenantId] of tenants.entries()) {
      const open = storedDraft(await h().store.findOpenDraft(ws, tenantId));
      check(open.id === created[index]?.id, `tenant ${JSON.stringify(tenantId)} resolved to another tenant's draft`);
    }
    for (const id of ["draft", "Draft", "draft "]) {
      await engine.create(ws, { id }, { actor });
    }
    for (const id of ["draft", "Draft", "draft "]) {
      check(storedDraft(await h().store.load(ws, id)).id === id, `draft id ${JSON.stringify(id)} loaded another draft`);
    }
  });

  it("reports a record whose persisted lifecycle disagrees with the derived one", async () => {
    const ws = freshWorkspace();
    const engine = engineOf();
    const { draft } = await engine.create(ws, {}, { actor });
    const edited = { ...draft, lifecycle: { ...draft.lifecycle, state: "completed" } };
    await h().writeRawDocument(ws, draft.id, JSON.stringify(edited));
    await rejects(engine.get(ws, draft.id, { actor }), is(CorruptRecordError), "CorruptRecordError");
  });
}
