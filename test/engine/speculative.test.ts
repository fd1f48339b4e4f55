/**
 * The engine's first attempt on a store that can `peek`: computed from the store's in-process
 * draft and committed with that draft's token as `basis`. Whatever the peeked draft says, the
 * result must be the one a fresh read gives: a stale peek never decides a no-op, a refusal, a
 * denial or a conflict, and never overwrites what is stored.
 */
import { describe, expect, it } from "vitest";
import {
  AuthorizationError,
  VersionConflictError,
  createOnboardingEngine,
  encodeDraft,
  parseDraft,
  type Authorize,
  type OnboardingDraft,
} from "../../src/index.js";
import { createMemoryStore, type MemoryStore } from "../../src/adapters/memory/index.js";
import type { CommitInput, DraftStore, PeekedDraft, WriteResult } from "../../src/store/index.js";

const actor = { id: "operator" };
const ws = "ws";

/**
 * A memory store that also peeks: `peek` hands out whatever the test put in `peeked`, and a
 * commit with a basis succeeds only if the stored text is the basis (as every adapter must).
 */
function peekableStore(): {
  store: DraftStore;
  memory: MemoryStore;
  loads: () => number;
  set(draft: OnboardingDraft | undefined): void;
} {
  const memory = createMemoryStore();
  let peeked: PeekedDraft | undefined;
  let loads = 0;
  const store: DraftStore = Object.assign(Object.create(memory) as DraftStore, {
    peek: () => peeked,
    async load(workspaceId: string, draftId: string) {
      loads += 1;
      return memory.load(workspaceId, draftId);
    },
    async commit(input: CommitInput): Promise<WriteResult> {
      if (input.basis !== undefined && memory.rawDocument(input.draft.workspaceId, input.draft.id) !== input.basis) {
        const stored = memory.rawDocument(input.draft.workspaceId, input.draft.id);
        return {
          ok: false,
          reason: "version_conflict",
          actualVersion: stored === null ? null : (JSON.parse(stored) as { version: number }).version,
        };
      }
      return memory.commit(input);
    },
  });
  return {
    store,
    memory,
    loads: () => loads,
    set(draft) {
      peeked = draft === undefined ? undefined : { draft, token: encodeDraft(draft) };
    },
  };
}

async function setup(authorize: Authorize = () => true) {
  const harness = peekableStore();
  const engine = createOnboardingEngine({ store: harness.store, authorize });
  const { draft } = await engine.create(ws, { identity: { tenantId: "t-1", displayName: "Contoso" } }, { actor });
  const withProvider = (
    await engine.execute(ws, draft.id, { type: "select_provider", connectionId: "c-1" }, { actor, expectedVersion: 1 })
  ).draft;
  return { ...harness, engine, first: draft, current: withProvider };
}

describe("speculative first attempt", () => {
  it("a current peek commits without reading the store", async () => {
    const { engine, current, set, loads } = await setup();
    set(current);
    const before = loads();
    const result = await engine.execute(
      ws,
      current.id,
      { type: "start_verification" },
      { actor, expectedVersion: current.version },
    );
    expect(result.feedback).toBe("queued");
    expect(loads()).toBe(before);
    expect(
      (await engine.history(ws, current.id, { actor })).filter((event) => event.kind === "committed"),
    ).toHaveLength(2);
  });

  it("a peek behind the stored version falls back to a fresh read", async () => {
    const { engine, first, current, set, loads } = await setup();
    set(first); // version 1; the store holds version 2
    const before = loads();
    const result = await engine.execute(ws, current.id, { type: "start_verification" }, { actor, expectedVersion: 2 });
    expect(result.version).toBe(3);
    expect(loads()).toBeGreaterThan(before);
  });

  it("a peek at the right version but with other bytes (edited behind our back) never overwrites the stored record", async () => {
    const { engine, memory, current, set } = await setup();
    set(current);
    const edited = { ...current, identity: { tenantId: "t-1", displayName: "Edited" } };
    memory.setRawDocument(ws, current.id, JSON.stringify(edited));
    const result = await engine.execute(ws, current.id, { type: "start_verification" }, { actor, expectedVersion: 2 });
    expect(result.draft.identity?.displayName).toBe("Edited");
    const trail = await engine.history(ws, current.id, { actor });
    expect(trail.map((event) => event.kind)).toEqual(["created", "committed", "committed"]);
  });

  it("a stale peek never turns a worker's result into an ignored one", async () => {
    const { engine, current, set } = await setup();
    const started = await engine.execute(ws, current.id, { type: "start_verification" }, { actor, expectedVersion: 2 });
    set(current); // knows nothing of the run
    const runId = started.runIds[0]!;
    const result = await engine.execute(
      ws,
      current.id,
      { type: "record_verification_result", runId, status: "running" },
      { actor },
    );
    expect(result.feedback).toBe("recorded");
    expect(result.draft.verification?.status).toBe("running");
  });

  it("a stale peek never reports a conflict, and a real conflict is still reported and audited once", async () => {
    const { engine, first, current, set } = await setup();
    set(first);
    const ok = await engine.execute(
      ws,
      current.id,
      { type: "identify", tenantId: "t-1", displayName: "Renamed" },
      { actor, expectedVersion: 2 },
    );
    expect(ok.version).toBe(3);
    set(ok.draft);
    const stale = engine.execute(
      ws,
      current.id,
      { type: "identify", tenantId: "t-1", displayName: "Late" },
      { actor, expectedVersion: 2 },
    );
    await expect(stale).rejects.toBeInstanceOf(VersionConflictError);
    const conflicts = (await engine.history(ws, current.id, { actor })).filter((event) => event.kind === "conflict");
    expect(conflicts).toHaveLength(1);
  });

  it("authorization is decided on what is stored: a denial by the peeked draft is not final, an approval does not write", async () => {
    // Cancelling is allowed only on drafts named "Allowed".
    const authorize: Authorize = (_who, capability, draft) =>
      capability !== "cancel" || draft?.identity?.displayName === "Allowed";
    const named = (draft: OnboardingDraft, displayName: string) => ({
      ...draft,
      identity: { tenantId: "t-1", displayName },
    });

    // The peek says "Blocked", the store (edited behind our back, same version) says "Allowed".
    const a = await setup(authorize);
    a.set(parseDraftFrom(named(a.current, "Blocked")));
    a.memory.setRawDocument(ws, a.current.id, JSON.stringify(named(a.current, "Allowed")));
    const cancelled = await a.engine.execute(ws, a.current.id, { type: "cancel" }, { actor, expectedVersion: 2 });
    expect(cancelled.draft.lifecycle.state).toBe("cancelled");
    expect((await a.engine.history(ws, a.current.id, { actor })).some((event) => event.kind === "denied")).toBe(false);

    // The peek says "Allowed", the store says "Blocked": refused, audited once, nothing written.
    const b = await setup(authorize);
    b.set(parseDraftFrom(named(b.current, "Allowed")));
    b.memory.setRawDocument(ws, b.current.id, JSON.stringify(named(b.current, "Blocked")));
    const denied = b.engine.execute(ws, b.current.id, { type: "cancel" }, { actor, expectedVersion: 2 });
    await expect(denied).rejects.toBeInstanceOf(AuthorizationError);
    const kinds = (await b.engine.history(ws, b.current.id, { actor })).map((event) => event.kind);
    expect(kinds).toEqual(["created", "committed", "denied"]);
    expect((await b.engine.get(ws, b.current.id, { actor })).lifecycle.state).not.toBe("cancelled");
  });

  it("a peeked value that is not a sealed draft of this workspace and id is ignored", async () => {
    const { engine, current, set } = await setup();
    set({ ...current }); // a copy: not sealed
    const result = await engine.execute(ws, current.id, { type: "start_verification" }, { actor, expectedVersion: 2 });
    expect(result.version).toBe(3);
  });
});

/** A sealed draft from a plain one (what a store's cache would hold). */
function parseDraftFrom(draft: OnboardingDraft): OnboardingDraft {
  return parseDraft(JSON.parse(JSON.stringify(draft)));
}
