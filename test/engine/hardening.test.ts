/**
 * Regression tests of the engine's defences found by testing it as an attacker and as a new
 * user: `view` before anything that returns or names an existing draft, the workspace of every
 * record a store hands back, reports on unknown runs, unknown keys, construction checks and the
 * limits a command can reach.
 */
import { withDocument } from "../../src/testing/index.js";
import { describe, expect, it } from "vitest";
import {
  AuthorizationError,
  ConfigurationError,
  InvalidTransitionError,
  MAX_BOOTSTRAP_RUNS,
  OpenDraftExistsError,
  StoreError,
  UnknownRunError,
  ValidationError,
  VersionConflictError,
  createOnboardingEngine,
  deriveLifecycle,
  sealDraft,
  type Authorize,
  type Capability,
  type OnboardingDraft,
} from "../../src/index.js";
import { createMemoryStore } from "../../src/adapters/memory/index.js";
import type { DraftStore } from "../../src/store/index.js";

const ws = "ws";
const owner = { id: "owner" };
const identity = { tenantId: "contoso", displayName: "Contoso" };

/** Allows everything except `denied` capabilities for actor `restricted`. */
function authorizeExcept(...denied: Capability[]): Authorize {
  return (actor, capability) => actor.id !== "restricted" || !denied.includes(capability);
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error("expected a rejection");
    },
    (error: unknown) => error,
  );
}

describe("whatever returns or names an existing draft needs view", () => {
  const restricted = { id: "restricted" };

  async function setup() {
    const store = createMemoryStore();
    const engine = createOnboardingEngine({ store, authorize: authorizeExcept("view") });
    const { draft } = await engine.create(ws, { identity }, { actor: owner, idempotencyKey: "owner-key" });
    return { store, engine, draft };
  }

  it("create with onExisting resume: AuthorizationError for view, audited, no draft", async () => {
    const { store, engine, draft } = await setup();
    const error = await rejection(engine.create(ws, { identity }, { actor: restricted, onExisting: "resume" }));
    expect(error).toBeInstanceOf(AuthorizationError);
    expect((error as AuthorizationError).capability).toBe("view");
    const denied = (await store.listAudit(ws, draft.id))
      .map(({ event }) => event)
      .filter((entry) => (entry as { kind: string }).kind === "denied");
    expect(denied).toHaveLength(1);
  });

  it("create that would raise OpenDraftExistsError does not name the draft to an actor without view", async () => {
    const { engine } = await setup();
    const error = await rejection(engine.create(ws, { identity }, { actor: restricted }));
    expect(error).toBeInstanceOf(AuthorizationError);
    expect(JSON.stringify(error)).not.toContain("existingDraftId");
  });

  it("a replay of another actor's idempotency key needs view", async () => {
    const { engine } = await setup();
    const error = await rejection(engine.create(ws, { identity }, { actor: restricted, idempotencyKey: "owner-key" }));
    expect(error).toBeInstanceOf(AuthorizationError);
  });

  it("a stale write by an actor who may cancel but not view gets no current draft", async () => {
    const { engine, draft } = await setup();
    await engine.execute(
      ws,
      draft.id,
      { type: "select_provider", connectionId: "c" },
      { actor: owner, expectedVersion: 1 },
    );
    const error = await rejection(
      engine.execute(ws, draft.id, { type: "cancel" }, { actor: restricted, expectedVersion: 1 }),
    );
    expect(error).toBeInstanceOf(AuthorizationError);
    expect(error).not.toBeInstanceOf(VersionConflictError);
  });

  it("an actor with view still gets the conflict with the current draft, and OpenDraftExistsError with its id", async () => {
    const { engine, draft } = await setup();
    await engine.execute(
      ws,
      draft.id,
      { type: "select_provider", connectionId: "c" },
      { actor: owner, expectedVersion: 1 },
    );
    const conflict = await rejection(
      engine.execute(ws, draft.id, { type: "cancel" }, { actor: owner, expectedVersion: 1 }),
    );
    expect(conflict).toBeInstanceOf(VersionConflictError);
    expect((conflict as VersionConflictError).current.version).toBe(2);
    const exists = await rejection(engine.create(ws, { identity }, { actor: owner }));
    expect(exists).toBeInstanceOf(OpenDraftExistsError);
    expect((exists as OpenDraftExistsError).existingDraftId).toBe(draft.id);
  });
});

describe("the engine checks the workspace of every record a store hands back", () => {
  /** A store that answers every lookup with records of workspace `victim`, as a lossy store would. */
  async function leakyStore(): Promise<{ store: DraftStore; victimDraft: OnboardingDraft }> {
    const memory = createMemoryStore();
    const engine = createOnboardingEngine({ store: memory, authorize: () => true });
    const { draft } = await engine.create("victim", { identity }, { actor: owner, idempotencyKey: "k" });
    const store: DraftStore = Object.assign(Object.create(memory) as DraftStore, {
      findOpenDraft: (_ws: string, tenantId: string) => memory.findOpenDraft("victim", tenantId),
      loadIdempotency: (_ws: string, key: string) => memory.loadIdempotency("victim", key),
      list: (_ws: string, options: Parameters<DraftStore["list"]>[1]) => memory.list("victim", options),
    });
    return { store, victimDraft: draft };
  }

  it("refuses a foreign open draft, idempotency record or list page with StoreError, leaking nothing", async () => {
    const { store, victimDraft } = await leakyStore();
    const engine = createOnboardingEngine({ store, authorize: () => true });
    for (const attempt of [
      engine.create("attacker", { identity }, { actor: owner, onExisting: "resume" }),
      engine.create("attacker", { identity }, { actor: owner }),
      engine.create("attacker", {}, { actor: owner, idempotencyKey: "k" }),
      engine.list("attacker", { actor: owner }),
    ]) {
      const error = await rejection(attempt);
      expect(error).toBeInstanceOf(StoreError);
      expect(JSON.stringify({ message: (error as Error).message, ...(error as object) })).not.toContain(victimDraft.id);
    }
  });
});

describe("worker reports on runs", () => {
  async function verifying() {
    const engine = createOnboardingEngine({ store: createMemoryStore(), authorize: () => true });
    let { draft } = await engine.create(ws, { identity }, { actor: owner });
    draft = (
      await engine.execute(
        ws,
        draft.id,
        { type: "select_provider", connectionId: "c" },
        { actor: owner, expectedVersion: 1 },
      )
    ).draft;
    const started = await engine.execute(
      ws,
      draft.id,
      { type: "start_verification" },
      { actor: owner, expectedVersion: draft.version },
    );
    return { engine, draft: started.draft, runId: started.runIds[0] ?? "" };
  }

  it("a report on a run id the draft never had is UnknownRunError, writing nothing", async () => {
    const { engine, draft } = await verifying();
    const error = await rejection(
      engine.execute(
        ws,
        draft.id,
        { type: "record_verification_result", runId: "no-such-run", status: "running" },
        { actor: owner },
      ),
    );
    expect(error).toBeInstanceOf(UnknownRunError);
    expect((error as UnknownRunError).runId).toBe("no-such-run");
    const bootstrap = await rejection(
      engine.execute(
        ws,
        draft.id,
        { type: "record_bootstrap_result", runId: "nope", status: "running" },
        { actor: owner },
      ),
    );
    expect(bootstrap).toBeInstanceOf(UnknownRunError);
    expect((await engine.get(ws, draft.id, { actor: owner })).version).toBe(draft.version);
  });

  it("a report on a superseded run (known from the audit trail) is still ignored_stale_result", async () => {
    const { engine, draft, runId } = await verifying();
    await engine.execute(
      ws,
      draft.id,
      { type: "record_verification_result", runId, status: "completed", outcome: "failed" },
      { actor: owner },
    );
    const current = await engine.get(ws, draft.id, { actor: owner });
    const restarted = await engine.execute(
      ws,
      draft.id,
      { type: "start_verification" },
      { actor: owner, expectedVersion: current.version },
    );
    expect(restarted.runIds[0]).not.toBe(runId);
    const late = await engine.execute(
      ws,
      draft.id,
      { type: "record_verification_result", runId, status: "running" },
      { actor: owner },
    );
    expect(late.feedback).toBe("ignored_stale_result");
  });

  it("a report on a run a provider change cleared is ignored_stale_result", async () => {
    const { engine, draft, runId } = await verifying();
    await engine.execute(
      ws,
      draft.id,
      { type: "select_provider", connectionId: "other" },
      { actor: owner, expectedVersion: draft.version },
    );
    const late = await engine.execute(
      ws,
      draft.id,
      { type: "record_verification_result", runId, status: "running" },
      { actor: owner },
    );
    expect(late.feedback).toBe("ignored_stale_result");
  });
});

describe("unknown keys are refused, naming the field", () => {
  const engine = createOnboardingEngine({ store: createMemoryStore(), authorize: () => true });

  it("in create input", async () => {
    const error = await rejection(engine.create(ws, { identiy: identity }, { actor: owner }));
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues[0]?.path).toEqual(["identiy"]);
    const nested = await rejection(
      engine.create(ws, { identity: { ...identity, primaryDomian: "x.example" } }, { actor: owner }),
    );
    expect((nested as ValidationError).issues[0]?.path).toEqual(["identity", "primaryDomian"]);
  });

  it("in commands, top level and nested", async () => {
    const { draft } = await engine.create(ws, { identity: { tenantId: "t2", displayName: "T" } }, { actor: owner });
    const typo = await rejection(
      engine.execute(
        ws,
        draft.id,
        { type: "identify", tenantId: "t2", displayName: "T", primaryDomian: "x.example" } as never,
        { actor: owner, expectedVersion: 1 },
      ),
    );
    expect(typo).toBeInstanceOf(ValidationError);
    expect((typo as ValidationError).issues.map((issue) => issue.path)).toEqual([["primaryDomian"]]);
    const nested = await rejection(
      engine.execute(ws, draft.id, { type: "activate", override: { reason: "r", reasn: "x" } } as never, {
        actor: owner,
        expectedVersion: 1,
      }),
    );
    expect((nested as ValidationError).issues.map((issue) => issue.path)).toEqual([["override", "reasn"]]);
    expect((await engine.get(ws, draft.id, { actor: owner })).version).toBe(1);
  });
});

describe("createOnboardingEngine checks its options", () => {
  const store = createMemoryStore();
  const authorize = () => true;
  const cases: readonly [string, unknown][] = [
    ["options", undefined],
    ["store", { authorize }],
    ["store.commit", { store: { ...store, commit: undefined }, authorize }],
    ["authorize", { store }],
    ["clock.now", { store, authorize, clock: {} }],
    ["ids.runId", { store, authorize, ids: { draftId: () => "d", eventId: () => "e" } }],
    ["policy.verificationMaxAgeMs", { store, authorize, policy: { verificationMaxAgeMs: -1 } }],
    ["policy.overridableBlockers", { store, authorize, policy: { overridableBlockers: ["terminal"] } }],
    ["retry.attempts", { store, authorize, retry: { attempts: 0 } }],
  ];
  for (const [option, options] of cases) {
    it(`a bad or missing ${option} is a ConfigurationError at construction`, () => {
      let error: unknown;
      try {
        createOnboardingEngine(options as never);
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(ConfigurationError);
      expect((error as ConfigurationError).option).toBe(option);
    });
  }
});

describe("limits a command reaches are refused by name, not reported as corruption", () => {
  async function verified() {
    const store = createMemoryStore();
    const engine = createOnboardingEngine({ store, authorize: () => true });
    let { draft } = await engine.create(ws, { identity }, { actor: owner });
    const run = async (command: Parameters<typeof engine.execute>[2]) => {
      draft = (await engine.execute(ws, draft.id, command as never, { actor: owner, expectedVersion: draft.version }))
        .draft;
    };
    await run({ type: "select_provider", connectionId: "c" });
    await run({ type: "start_verification" });
    const runId = draft.verification?.runId ?? "";
    draft = (
      await engine.execute(
        ws,
        draft.id,
        { type: "record_verification_result", runId, status: "completed", outcome: "succeeded" },
        { actor: owner },
      )
    ).draft;
    return { store, engine, draft };
  }

  it("more than 256 bootstrap operations is InvalidTransitionError bootstrap_operations_limit", async () => {
    const { engine } = await verified();
    let draft = (await engine.list(ws, { actor: owner })).drafts[0] as OnboardingDraft;
    for (let batch = 0; batch < 4; batch += 1) {
      const operations = Array.from({ length: 64 }, (_, index) => `op-${batch}-${index}`);
      draft = (
        await engine.execute(
          ws,
          draft.id,
          { type: "start_bootstrap", operations },
          { actor: owner, expectedVersion: draft.version },
        )
      ).draft;
    }
    expect(draft.bootstrap?.operations).toHaveLength(256);
    const error = await rejection(
      engine.execute(
        ws,
        draft.id,
        { type: "start_bootstrap", operations: ["one-more"] },
        { actor: owner, expectedVersion: draft.version },
      ),
    );
    expect(error).toBeInstanceOf(InvalidTransitionError);
    expect((error as InvalidTransitionError).requirement).toBe("bootstrap_operations_limit");
  });

  it(`more than ${MAX_BOOTSTRAP_RUNS} bootstrap runs is InvalidTransitionError bootstrap_runs_limit`, async () => {
    const { store, engine, draft } = await verified();
    // A draft one batch short of the limit: MAX - 1 finished runs of one operation.
    const runs = Array.from({ length: MAX_BOOTSTRAP_RUNS - 1 }, (_, index) => ({
      runId: `r-${index}`,
      operation: "sync",
      status: "completed" as const,
      outcome: "failed" as const,
      startedAt: draft.updatedAt,
      completedAt: draft.updatedAt,
    }));
    const base = {
      ...draft,
      id: "full",
      identity: { ...identity, tenantId: "other" },
      bootstrap: { operations: ["sync"], runs },
    };
    const full = sealDraft({ ...base, lifecycle: deriveLifecycle(base) });
    const event = {
      eventId: "e-full",
      workspaceId: ws,
      draftId: "full",
      kind: "created" as const,
      commandType: "create",
      actorId: "owner",
      at: draft.createdAt,
      fromVersion: null,
      toVersion: full.version,
      expectedVersion: null,
      actualVersion: null,
      idempotencyKey: null,
      feedback: "applied",
      runIds: [],
      capability: null,
      state: full.lifecycle.state,
    };
    expect((await store.insert(withDocument({ draft: full, event, idempotency: null }))).ok).toBe(true);
    const one = await engine.execute(
      ws,
      "full",
      { type: "start_bootstrap", operations: ["sync"] },
      { actor: owner, expectedVersion: full.version },
    );
    expect(one.draft.bootstrap?.runs).toHaveLength(MAX_BOOTSTRAP_RUNS);
    await engine.execute(
      ws,
      "full",
      { type: "record_bootstrap_result", runId: one.runIds[0] ?? "", status: "completed", outcome: "failed" },
      { actor: owner },
    );
    const current = await engine.get(ws, "full", { actor: owner });
    const error = await rejection(
      engine.execute(
        ws,
        "full",
        { type: "start_bootstrap", operations: ["sync"] },
        { actor: owner, expectedVersion: current.version },
      ),
    );
    expect(error).toBeInstanceOf(InvalidTransitionError);
    expect((error as InvalidTransitionError).requirement).toBe("bootstrap_runs_limit");
  });
});
