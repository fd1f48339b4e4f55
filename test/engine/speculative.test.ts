/**
 * The engine's first attempt from its own document cache: computed from the cached draft and
 * committed with the cached text as `basis`. Whatever the cached draft says, the result must be
 * the one a fresh read gives: a stale entry never decides a no-op, a refusal, a denial or a
 * conflict, and never overwrites what is stored.
 */
import { describe, expect, it } from "vitest";
import {
  AuthorizationError,
  VersionConflictError,
  createOnboardingEngine,
  encodeDraft,
  type Authorize,
  type OnboardingDraft,
  type OnboardingEngine,
} from "../../src/index.js";
import { createMemoryStore, type MemoryStore } from "../../src/adapters/memory/index.js";
import type { CommitInput, DraftStore, WriteResult } from "../../src/store/index.js";

const actor = { id: "operator" };
const ws = "ws";

/**
 * A store of text on top of the memory store: `load` hands out JSON text (so the engine caches
 * it), and a commit with a basis succeeds only if the stored text is the basis (as every adapter
 * must). `set(draft)` makes the engine's cache hold `draft` by answering one read with its text.
 */
function textStore(): {
  store: DraftStore;
  memory: MemoryStore;
  loads: () => number;
  set(engine: OnboardingEngine, draft: OnboardingDraft): Promise<void>;
} {
  const memory = createMemoryStore();
  let override: string | undefined;
  let loads = 0;
  const store: DraftStore = Object.assign(Object.create(memory) as DraftStore, {
    async load(workspaceId: string, draftId: string) {
      loads += 1;
      const text = override ?? memory.rawDocument(workspaceId, draftId);
      override = undefined;
      return text === null ? null : { document: text };
    },
    async commit(input: CommitInput): Promise<WriteResult> {
      const stored = memory.rawDocument(input.draft.workspaceId, input.draft.id);
      if (input.basis !== undefined && stored !== input.basis) {
        return {
          ok: false,
          reason: "version_conflict",
          actualVersion: stored === null ? null : (JSON.parse(stored) as { version: number }).version,
        };
      }
      const { basis, ...checked } = input;
      void basis;
      return memory.commit(checked);
    },
  });
  return {
    store,
    memory,
    loads: () => loads,
    async set(engine, draft) {
      override = encodeDraft(draft);
      await engine.get(ws, draft.id, { actor });
    },
  };
}

async function setup(authorize: Authorize = () => true) {
  const harness = textStore();
  const engine = createOnboardingEngine({ store: harness.store, authorize });
  const { draft } = await engine.create(ws, { identity: { tenantId: "t-1", displayName: "Contoso" } }, { actor });
  const withProvider = (
    await engine.execute(ws, draft.id, { type: "select_provider", connectionId: "c-1" }, { actor, expectedVersion: 1 })
  ).draft;
  return {
    ...harness,
    set: (value: OnboardingDraft) => harness.set(engine, value),
    engine,
    first: draft,
    current: withProvider,
  };
}

describe("speculative first attempt", () => {
  it("a current cached draft commits without reading the store", async () => {
    const { engine, current, set, loads } = await setup();
    await set(current);
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
      (await engine.history(ws, current.id, { actor })).entries.filter((event) => event.kind === "committed"),
    ).toHaveLength(2);
  });

  it("a cached draft behind the stored version falls back to a fresh read", async () => {
    const { engine, first, current, set, loads } = await setup();
    await set(first); // version 1; the store holds version 2
    const before = loads();
    const result = await engine.execute(ws, current.id, { type: "start_verification" }, { actor, expectedVersion: 2 });
    expect(result.version).toBe(3);
    expect(loads()).toBeGreaterThan(before);
  });

  it("a cached draft at the right version but with other bytes (edited behind our back) never overwrites the stored record", async () => {
    const { engine, memory, current, set } = await setup();
    await set(current);
    const edited = { ...current, identity: { tenantId: "t-1", displayName: "Edited" } };
    memory.setRawDocument(ws, current.id, JSON.stringify(edited));
    const result = await engine.execute(ws, current.id, { type: "start_verification" }, { actor, expectedVersion: 2 });
    expect(result.draft.identity?.displayName).toBe("Edited");
    const trail = (await engine.history(ws, current.id, { actor })).entries;
    expect(trail.map((event) => event.kind)).toEqual(["created", "committed", "committed"]);
  });

  it("a stale cached draft never turns a worker's result into an ignored one", async () => {
    const { engine, current, set } = await setup();
    const started = await engine.execute(ws, current.id, { type: "start_verification" }, { actor, expectedVersion: 2 });
    await set(current); // knows nothing of the run
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

  it("a stale cached draft never reports a conflict, and a real conflict is still reported and audited once", async () => {
    const { engine, first, current, set } = await setup();
    await set(first);
    const ok = await engine.execute(
      ws,
      current.id,
      { type: "identify", tenantId: "t-1", displayName: "Renamed" },
      { actor, expectedVersion: 2 },
    );
    expect(ok.version).toBe(3);
    await set(ok.draft);
    const stale = engine.execute(
      ws,
      current.id,
      { type: "identify", tenantId: "t-1", displayName: "Late" },
      { actor, expectedVersion: 2 },
    );
    await expect(stale).rejects.toBeInstanceOf(VersionConflictError);
    const conflicts = (await engine.history(ws, current.id, { actor })).entries.filter(
      (event) => event.kind === "conflict",
    );
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

    // The cache says "Blocked", the store (edited behind our back, same version) says "Allowed".
    const a = await setup(authorize);
    await a.set(named(a.current, "Blocked"));
    a.memory.setRawDocument(ws, a.current.id, JSON.stringify(named(a.current, "Allowed")));
    const cancelled = await a.engine.execute(ws, a.current.id, { type: "cancel" }, { actor, expectedVersion: 2 });
    expect(cancelled.draft.lifecycle.state).toBe("cancelled");
    expect((await a.engine.history(ws, a.current.id, { actor })).entries.some((event) => event.kind === "denied")).toBe(
      false,
    );

    // The cache says "Allowed", the store says "Blocked": refused, audited once, nothing written.
    const b = await setup(authorize);
    await b.set(named(b.current, "Allowed"));
    b.memory.setRawDocument(ws, b.current.id, JSON.stringify(named(b.current, "Blocked")));
    const denied = b.engine.execute(ws, b.current.id, { type: "cancel" }, { actor, expectedVersion: 2 });
    await expect(denied).rejects.toBeInstanceOf(AuthorizationError);
    const kinds = (await b.engine.history(ws, b.current.id, { actor })).entries.map((event) => event.kind);
    expect(kinds).toEqual(["created", "committed", "denied"]);
    expect((await b.engine.get(ws, b.current.id, { actor })).lifecycle.state).not.toBe("cancelled");
  });

  it("with the cache off every command reads first", async () => {
    const harness = textStore();
    const engine = createOnboardingEngine({ store: harness.store, authorize: () => true, documentCacheSize: 0 });
    const { draft } = await engine.create(ws, {}, { actor });
    const before = harness.loads();
    await engine.execute(
      ws,
      draft.id,
      { type: "identify", tenantId: "t", displayName: "T" },
      { actor, expectedVersion: 1 },
    );
    expect(harness.loads()).toBe(before + 1);
  });
});
