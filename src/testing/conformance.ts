/**
 * The conformance kit: one suite, registered with the caller's test runner, that checks every
 * promise of the storage port against an adapter.
 */
import * as fc from "fast-check";
import { randomUUID } from "node:crypto";
import { createOnboardingEngine, type OnboardingEngine } from "../engine/index.js";
import {
  CorruptRecordError,
  DraftNotFoundError,
  IdempotencyKeyReuseError,
  InvalidTransitionError,
  MAX_VERSION,
  OpenDraftExistsError,
  ValidationError,
  VersionConflictError,
  isOnboardingError,
  type AuditEvent,
  type OnboardingDraft,
} from "../record/index.js";
import { deriveLifecycle, encodeDraft, lifecycleEquals, parseDraft, sealDraft } from "../lifecycle/index.js";
import { applyCommand, newDraft, type CommandInput } from "../commands/index.js";
import type { DraftStore } from "../store/index.js";
import { hostileStringArbitrary } from "./arbitraries.js";
import { modelRunArbitrary, runModel } from "./model.js";

/** What the kit needs from an adapter's test setup. */
export interface ConformanceHarness {
  /** The store under test. One instance serves the whole suite; tests use fresh workspaces. */
  readonly store: DraftStore;
  /**
   * Overwrites the stored JSON document of an existing draft with raw JSON text, bypassing the
   * adapter's checks (used to prove corrupt data is reported, not crashed on).
   */
  writeRawDocument(workspaceId: string, draftId: string, raw: string): Promise<void>;
  /**
   * For stores that keep a draft's version beside its document (a SQL `version` column, a Redis
   * hash field): overwrites only that stored version, leaving the document as it is (used to
   * prove a disagreement is reported as `CorruptRecordError`). Omit it for stores that keep none;
   * the test is then skipped visibly.
   */
  writeStoredVersion?(workspaceId: string, draftId: string, version: number): Promise<void>;
  /** Called once after the suite: drop tables or keys, close connections. */
  teardown(): Promise<void>;
}

/** The subset of a test runner the kit uses (vitest and jest fit as they are). */
export interface TestRunner {
  /** Groups tests. */
  describe(name: string, body: () => void): void;
  /** Registers a test; `timeout` in milliseconds. */
  it(name: string, body: () => Promise<void>, timeout?: number): void;
  /** Runs once before the group's tests. */
  beforeAll(body: () => Promise<void>, timeout?: number): void;
  /** Runs once after the group's tests. */
  afterAll(body: () => Promise<void>, timeout?: number): void;
}

/** Options of {@link describeStoreConformance}. */
export interface ConformanceOptions {
  /** The runner's functions, e.g. `{ describe, it, beforeAll, afterAll }` from `vitest`. */
  readonly runner: TestRunner;
  /** Runs of the model-based property (default 100). */
  readonly numRuns?: number;
  /** Replays a failing model-based run (the seed fast-check printed). */
  readonly seed?: number;
  /** Concurrent writers in the lost-update test (default 24). */
  readonly writers?: number;
  /** Per-test timeout in milliseconds (default 120 000). */
  readonly timeoutMs?: number;
}

const actor = { id: "conformance-user" };
const allowAll = (): boolean => true;

/** A fresh workspace id, so tests never see each other's data. */
export function freshWorkspace(label = "ws"): string {
  return `${label}-${randomUUID()}`;
}

/**
 * Checks the invariants every store must keep for one draft: the stored lifecycle equals the
 * derived one, versions of `created`/`committed` entries are exactly 1..version, once each, in
 * order.
 */
export async function assertDraftInvariants(store: DraftStore, workspaceId: string, draftId: string): Promise<{
  /** The validated draft. */
  draft: OnboardingDraft;
  /** Its audit trail. */
  events: AuditEvent[];
}> {
  const engine = createOnboardingEngine({ store, authorize: allowAll });
  const draft = await engine.get(workspaceId, draftId, { actor });
  const derived = deriveLifecycle(draft);
  if (!lifecycleEquals(draft.lifecycle, derived)) {
    throw new Error(`stored lifecycle ${JSON.stringify(draft.lifecycle)} != derived ${JSON.stringify(derived)}`);
  }
  const events = [...(await engine.history(workspaceId, draftId, { actor }))];
  const versions = events
    .filter((event) => event.kind === "created" || event.kind === "committed")
    .map((event) => event.toVersion);
  const expected = Array.from({ length: draft.version }, (_, index) => index + 1);
  if (JSON.stringify(versions) !== JSON.stringify(expected)) {
    throw new Error(`audit versions ${JSON.stringify(versions)} are not 1..${draft.version} once each, in order`);
  }
  return { draft, events };
}

function check(condition: boolean, message: string): asserts condition {
  if (!condition) throw new Error(message);
}

async function rejects<T extends Error>(
  promise: Promise<unknown>,
  guard: (error: unknown) => error is T,
  label: string,
): Promise<T> {
  try {
    await promise;
  } catch (error) {
    if (guard(error)) return error;
    throw new Error(`expected ${label}, got ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
  }
  throw new Error(`expected ${label}, but it succeeded`);
}

const is =
  <T extends Error>(klass: abstract new (...args: never[]) => T) =>
  (error: unknown): error is T =>
    error instanceof klass;

function iso(offsetMs = 0): string {
  return new Date(Date.UTC(2026, 0, 1) + offsetMs).toISOString();
}

/**
 * Registers the conformance suite for a storage adapter with your test runner. Every test uses
 * fresh workspace ids, so the order of tests does not matter and one harness serves them all.
 *
 * @example
 * ```ts
 * import { describe, it, beforeAll, afterAll } from "vitest";
 * import { describeStoreConformance } from "onboarding-lifecycle/testing";
 * import { createMemoryStore } from "onboarding-lifecycle/adapters/memory";
 *
 * describeStoreConformance("memory", async () => {
 *   const store = createMemoryStore();
 *   return { store, writeRawDocument: async (ws, id, raw) => store.setRawDocument(ws, id, raw), teardown: async () => {} };
 * }, { runner: { describe, it, beforeAll, afterAll } });
 * ```
 */
export function describeStoreConformance(
  name: string,
  factory: () => Promise<ConformanceHarness>,
  options: ConformanceOptions,
): void {
  const { runner } = options;
  const timeout = options.timeoutMs ?? 120_000;
  let harness: ConformanceHarness | undefined;
  const h = (): ConformanceHarness => {
    if (harness === undefined) throw new Error("conformance harness not ready (factory failed?)");
    return harness;
  };
  const engineOf = (overrides: Partial<Parameters<typeof createOnboardingEngine>[0]> = {}): OnboardingEngine =>
    createOnboardingEngine({ store: h().store, authorize: allowAll, retry: { attempts: 200, maxDelayMs: 20 }, ...overrides });
  const it = (title: string, body: () => Promise<void>): void => runner.it(title, body, timeout);

  async function walkToReady(engine: OnboardingEngine, workspaceId: string, tenantId = "tenant-1"): Promise<OnboardingDraft> {
    let { draft } = await engine.create(workspaceId, { identity: { tenantId, displayName: "Contoso" } }, { actor });
    const run = async (command: CommandInput): Promise<void> => {
      const result = await engine.execute(workspaceId, draft.id, command, { actor, expectedVersion: draft.version });
      draft = result.draft;
    };
    await run({ type: "select_provider", connectionId: "conn-1" });
    await run({ type: "start_verification" });
    const runId = draft.verification?.runId ?? "";
    await run({ type: "record_verification_result", runId, status: "completed", outcome: "succeeded" });
    return draft;
  }

  runner.describe(`DraftStore conformance: ${name}`, () => {
    runner.beforeAll(async () => {
      harness = await factory();
    }, timeout);
    runner.afterAll(async () => {
      await harness?.teardown();
    }, timeout);

    runner.describe("records", () => {
      it("inserts and loads a draft that round-trips byte for byte through the codec", async () => {
        const ws = freshWorkspace();
        const draft = newDraft({ id: "d-1", workspaceId: ws, now: iso(), actorId: "u", identity: { tenantId: "t", displayName: "Contoso" } });
        const result = await h().store.insert({ draft, event: createdEvent(draft), idempotency: null });
        check(result.ok, `insert failed: ${JSON.stringify(result)}`);
        const loaded = await h().store.load(ws, "d-1");
        check(encodeDraft(parseDraft(loaded)) === encodeDraft(draft), "stored draft does not round-trip");
      });

      it("returns null for a missing draft and for a draft of another workspace", async () => {
        const ws = freshWorkspace();
        const draft = newDraft({ id: "d-1", workspaceId: ws, now: iso(), actorId: "u" });
        await h().store.insert({ draft, event: createdEvent(draft), idempotency: null });
        check((await h().store.load(ws, "nope")) == null, "missing draft should load as null");
        check((await h().store.load(freshWorkspace(), "d-1")) == null, "another workspace's draft leaked");
      });

      it("refuses a second insert with the same id", async () => {
        const ws = freshWorkspace();
        const draft = newDraft({ id: "d-1", workspaceId: ws, now: iso(), actorId: "u" });
        await h().store.insert({ draft, event: createdEvent(draft), idempotency: null });
        const again = await h().store.insert({ draft, event: createdEvent(draft), idempotency: null });
        check(!again.ok && again.reason === "draft_exists", `expected draft_exists, got ${JSON.stringify(again)}`);
      });

      it("keeps hostile strings unchanged", async () => {
        const samples = fc.sample(hostileStringArbitrary, { numRuns: 24, seed: 42 });
        const ws = freshWorkspace();
        const engine = engineOf();
        for (const [index, text] of samples.entries()) {
          const { draft } = await engine.create(ws, { identity: { tenantId: `t-${index}`, displayName: text.trim() || "x" } }, { actor });
          const back = await engine.get(ws, draft.id, { actor });
          check(back.identity?.displayName === draft.identity?.displayName, `string changed: ${JSON.stringify(text).slice(0, 80)}`);
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
        // A write first (no read in between: a store that can `peek` computes it from its cached
        // draft, and the commit's basis check must send it back to a fresh read), then a read.
        const next = await engine.execute(ws, draft.id, { type: "select_provider", connectionId: "c-1" }, {
          actor,
          expectedVersion: 1,
        });
        check(next.draft.identity?.displayName === "Edited by hand", "a write must start from the stored document");
        const seen = await engine.get(ws, draft.id, { actor });
        check(seen.identity?.displayName === "Edited by hand", `a read returned ${JSON.stringify(seen.identity)}`);
        check(seen.version === 2 && seen.provider?.connectionId === "c-1", "the write must have been applied once");
        await assertDraftInvariants(h().store, ws, draft.id);
      });

      it("prunes idempotency records older than a cut-off; a pruned key is a new key again (stores that prune)", async () => {
        const store = h().store;
        if (store.pruneIdempotency === undefined) return; // the store does not prune: nothing to check
        const ws = freshWorkspace();
        // Far in the past, so no other test's records are older than the cut-off.
        let now = Date.UTC(2000, 0, 1);
        const engine = createOnboardingEngine({ store, authorize: allowAll, clock: { now: () => now } });
        const { draft } = await engine.create(ws, { identity: { tenantId: "t", displayName: "A" } }, { actor });
        const rename = (displayName: string) => ({ type: "identify" as const, tenantId: "t", displayName });
        await engine.execute(ws, draft.id, rename("Old"), { actor, expectedVersion: 1, idempotencyKey: "old-key" });
        now = Date.UTC(2000, 0, 2);
        await engine.execute(ws, draft.id, rename("New"), { actor, expectedVersion: 2, idempotencyKey: "new-key" });
        const pruned = await store.pruneIdempotency(new Date(Date.UTC(2000, 0, 1, 12)).toISOString());
        check(pruned >= 1, `pruned ${pruned} records`);
        check((await store.loadIdempotency(ws, "old-key")) === null, "the old record must be gone");
        check((await store.loadIdempotency(ws, "new-key")) !== null, "the newer record must stay");
        const replay = await engine.execute(ws, draft.id, rename("New"), { actor, expectedVersion: 2, idempotencyKey: "new-key" });
        check(replay.replayed && replay.version === 3, "a kept key still replays");
        const fresh = await engine.execute(ws, draft.id, rename("Old"), { actor, expectedVersion: 3, idempotencyKey: "old-key" });
        check(!fresh.replayed && fresh.version === 4, "a pruned key runs as a new request");
        await assertDraftInvariants(store, ws, draft.id);
      });

      it("refuses a commit whose basis no longer matches the stored bytes (stores that peek)", async () => {
        const store = h().store;
        if (store.peek === undefined) return; // the store cannot peek: nothing to check
        const ws = freshWorkspace();
        const engine = engineOf();
        const { draft } = await engine.create(ws, { identity: { tenantId: "t", displayName: "Before" } }, { actor });
        const peeked = store.peek(ws, draft.id);
        if (peeked === undefined) return; // nothing cached (a cache turned off): nothing to check
        check(peeked.draft.version === 1, "a peeked draft must be the one this store just wrote");
        check(parseDraft(peeked.draft) === peeked.draft, "a peeked draft is sealed");
        await h().writeRawDocument(ws, draft.id, JSON.stringify({ ...draft, createdBy: "someone-else" }));
        const next = sealDraft({ ...peeked.draft, version: 2, updatedAt: peeked.draft.updatedAt }, peeked.draft);
        const result = await store.commit({ draft: next, expectedVersion: 1, basis: peeked.token, events: [], idempotency: null });
        check(!result.ok && result.reason === "version_conflict" && result.actualVersion === 1, `got ${JSON.stringify(result)}`);
        const stored = parseDraft(await store.load(ws, draft.id));
        check(stored.version === 1 && stored.createdBy === "someone-else", "a refused commit must write nothing");
      });

      it("reports stored text that is not JSON as CorruptRecordError (when the store can hold it)", async () => {
        const ws = freshWorkspace();
        const engine = engineOf();
        const { draft } = await engine.create(ws, {}, { actor });
        try {
          await h().writeRawDocument(ws, draft.id, '{"id": "truncated');
        } catch {
          return; // the store cannot hold non-JSON text (a json/jsonb column): nothing to check
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
          const open = parseDraft(await h().store.findOpenDraft(ws, tenantId));
          check(open.id === created[index]?.id, `tenant ${JSON.stringify(tenantId)} resolved to another tenant's draft`);
        }
        for (const id of ["draft", "Draft", "draft "]) {
          await engine.create(ws, { id }, { actor });
        }
        for (const id of ["draft", "Draft", "draft "]) {
          check(parseDraft(await h().store.load(ws, id)).id === id, `draft id ${JSON.stringify(id)} loaded another draft`);
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
    });

    runner.describe("compare-and-set", () => {
      it("commits when the stored version matches and rejects a stale expectedVersion without writing", async () => {
        const ws = freshWorkspace();
        const draft = newDraft({ id: "d-1", workspaceId: ws, now: iso(), actorId: "u" });
        await h().store.insert({ draft, event: createdEvent(draft), idempotency: null });
        const next = applyCommand(draft, { type: "identify", tenantId: "t", displayName: "A" }, ctx()).draft;
        const ok = await h().store.commit({ draft: next, expectedVersion: 1, events: [committedEvent(next, "e-2")], idempotency: null });
        check(ok.ok, `commit failed: ${JSON.stringify(ok)}`);
        const stale = applyCommand(draft, { type: "identify", tenantId: "t", displayName: "B" }, ctx()).draft;
        const rejected = await h().store.commit({
          draft: stale,
          expectedVersion: 1,
          events: [committedEvent(stale, "e-3")],
          idempotency: idempotencyFor(stale, "k-stale"),
        });
        check(!rejected.ok && rejected.reason === "version_conflict" && rejected.actualVersion === 2, `expected version_conflict(2), got ${JSON.stringify(rejected)}`);
        const stored = parseDraft(await h().store.load(ws, "d-1"));
        check(stored.identity?.displayName === "A", "a rejected commit changed the record");
        check((await h().store.listAudit(ws, "d-1")).length === 2, "a rejected commit wrote an audit entry");
        check((await h().store.loadIdempotency(ws, "k-stale")) == null, "a rejected commit wrote its idempotency record");
      });

      it("reports actualVersion null when committing a draft that does not exist", async () => {
        const ws = freshWorkspace();
        const draft = newDraft({ id: "ghost", workspaceId: ws, now: iso(), actorId: "u" });
        const next = applyCommand(draft, { type: "cancel" }, ctx()).draft;
        const result = await h().store.commit({ draft: next, expectedVersion: 1, events: [committedEvent(next, "e")], idempotency: null });
        check(!result.ok && result.reason === "version_conflict" && result.actualVersion === null, `got ${JSON.stringify(result)}`);
        check((await h().store.load(ws, "ghost")) == null, "commit created a draft");
      });

      it("writes record, audit entry and idempotency record together", async () => {
        const ws = freshWorkspace();
        const engine = engineOf();
        const { draft } = await engine.create(ws, {}, { actor });
        const result = await engine.execute(ws, draft.id, { type: "identify", tenantId: "t", displayName: "A" }, {
          actor,
          expectedVersion: 1,
          idempotencyKey: "key-1",
        });
        const stored = parseDraft(await h().store.load(ws, draft.id));
        check(stored.version === 2, "record not written");
        const audit = await h().store.listAudit(ws, draft.id);
        check(audit.some((event) => (event as AuditEvent).eventId === result.event?.eventId), "audit entry not written");
        check((await h().store.loadIdempotency(ws, "key-1")) != null, "idempotency record not written");
      });

      it("rejects a commit whose idempotency key exists, writing nothing", async () => {
        const ws = freshWorkspace();
        const draft = newDraft({ id: "d-1", workspaceId: ws, now: iso(), actorId: "u" });
        await h().store.insert({ draft, event: createdEvent(draft), idempotency: idempotencyFor(draft, "dup") });
        const next = applyCommand(draft, { type: "cancel" }, ctx()).draft;
        const result = await h().store.commit({ draft: next, expectedVersion: 1, events: [committedEvent(next, "e-2")], idempotency: idempotencyFor(next, "dup") });
        check(!result.ok && result.reason === "idempotency_key_exists", `expected idempotency_key_exists, got ${JSON.stringify(result)}`);
        check(parseDraft(await h().store.load(ws, "d-1")).version === 1, "record was written despite the rejection");
        check((await h().store.listAudit(ws, "d-1")).length === 1, "audit entry written despite the rejection");
      });

      it(`loses no update under many concurrent writers (versions contiguous, one audit entry each)`, async () => {
        const ws = freshWorkspace();
        const engine = engineOf();
        const { draft } = await engine.create(ws, { identity: { tenantId: "t", displayName: "start" } }, { actor });
        const writers = options.writers ?? 24;
        let conflicts = 0;
        await Promise.all(
          Array.from({ length: writers }, async (_, writer) => {
            for (let attempt = 0; attempt < 500; attempt += 1) {
              const current = await engine.get(ws, draft.id, { actor });
              try {
                await engine.execute(ws, draft.id, { type: "identify", tenantId: "t", displayName: `writer ${writer}` }, {
                  actor: { id: `writer-${writer}` },
                  expectedVersion: current.version,
                });
                return;
              } catch (error) {
                if (!(error instanceof VersionConflictError)) throw error;
                conflicts += 1;
              }
            }
            throw new Error(`writer ${writer} never won`);
          }),
        );
        const { draft: final, events } = await assertDraftInvariants(h().store, ws, draft.id);
        check(final.version === writers + 1, `expected version ${writers + 1}, got ${final.version}`);
        check(events.filter((event) => event.kind === "conflict").length === conflicts, "every conflict must be audited once");
      });

      it("keeps reads free of side effects", async () => {
        const ws = freshWorkspace();
        const engine = engineOf();
        const { draft } = await engine.create(ws, {}, { actor });
        await Promise.all([engine.get(ws, draft.id, { actor }), engine.history(ws, draft.id, { actor }), engine.list(ws, { actor })]);
        const stored = parseDraft(await h().store.load(ws, draft.id));
        check(stored.version === 1, "a read changed the version");
        check((await h().store.listAudit(ws, draft.id)).length === 1, "a read wrote an audit entry");
      });
    });

    runner.describe("engine guarantees on this store", () => {
      it("rejects stale writes with VersionConflictError carrying expected, actual and current, plus a conflict entry", async () => {
        const ws = freshWorkspace();
        const engine = engineOf();
        const { draft } = await engine.create(ws, { identity: { tenantId: "t", displayName: "A" } }, { actor });
        await engine.execute(ws, draft.id, { type: "select_provider", connectionId: "c" }, { actor, expectedVersion: 1 });
        const error = await rejects(
          engine.execute(ws, draft.id, { type: "cancel" }, { actor: { id: "other" }, expectedVersion: 1 }),
          is(VersionConflictError),
          "VersionConflictError",
        );
        check(error.expectedVersion === 1 && error.actualVersion === 2 && error.current.version === 2, "conflict data wrong");
        const { events, draft: final } = await assertDraftInvariants(h().store, ws, draft.id);
        check(final.lifecycle.state !== "cancelled", "the stale cancel was applied");
        const entry = events.find((event) => event.kind === "conflict");
        check(entry?.expectedVersion === 1 && entry.actualVersion === 2 && entry.actorId === "other", "conflict entry missing its lineage");
      });

      it("applies an idempotent retry once and refuses a reused key", async () => {
        const ws = freshWorkspace();
        const engine = engineOf();
        const { draft } = await engine.create(ws, { identity: { tenantId: "t", displayName: "A" } }, { actor });
        const command = { type: "select_provider", connectionId: "c" } as const;
        const first = await engine.execute(ws, draft.id, command, { actor, expectedVersion: 1, idempotencyKey: "same" });
        const second = await engine.execute(ws, draft.id, command, { actor, expectedVersion: 1, idempotencyKey: "same" });
        check(second.replayed && second.version === first.version, "retry was not replayed");
        await rejects(
          engine.execute(ws, draft.id, { type: "select_provider", connectionId: "other" }, { actor, expectedVersion: 2, idempotencyKey: "same" }),
          is(IdempotencyKeyReuseError),
          "IdempotencyKeyReuseError",
        );
        const racers = await Promise.all(
          Array.from({ length: 8 }, () =>
            engine.execute(ws, draft.id, { type: "update_provider_connection", connectionId: "c" }, {
              actor,
              expectedVersion: 2,
              idempotencyKey: "race",
            }).then(
              (result) => result,
              (error: unknown) => error,
            ),
          ),
        );
        const applied = racers.filter((r) => !(r instanceof Error) && !(r as { replayed: boolean }).replayed);
        check(applied.length === 1, `racing retries applied ${applied.length} times`);
        const { draft: final } = await assertDraftInvariants(h().store, ws, draft.id);
        check(final.version === 3, `expected version 3, got ${final.version}`);
      });

      it("absorbs every command once terminal", async () => {
        const ws = freshWorkspace();
        const engine = engineOf();
        const ready = await walkToReady(engine, ws);
        const done = await engine.execute(ws, ready.id, { type: "activate" }, { actor, expectedVersion: ready.version });
        check(done.state === "completed", "activation failed");
        for (const command of [{ type: "cancel" }, { type: "start_verification" }, { type: "activate" }] as const) {
          const error = await engine.execute(ws, ready.id, command, { actor, expectedVersion: done.version }).catch((e: unknown) => e);
          check(isOnboardingError(error) && error.code === "terminal_draft", `${command.type} on a completed draft: ${String(error)}`);
        }
        const late = await engine.execute(ws, ready.id, { type: "record_verification_result", runId: ready.verification?.runId ?? "", status: "completed", outcome: "failed" }, { actor });
        check(late.feedback === "ignored_terminal" && late.version === done.version, "a late result changed a terminal draft");
        await assertDraftInvariants(h().store, ws, ready.id);
      });

      it("isolates workspaces", async () => {
        const ws = freshWorkspace();
        const other = freshWorkspace();
        const engine = engineOf();
        const { draft } = await engine.create(ws, { identity: { tenantId: "t", displayName: "A" } }, { actor, idempotencyKey: "k" });
        await rejects(engine.get(other, draft.id, { actor }), is(DraftNotFoundError), "DraftNotFoundError");
        await rejects(engine.execute(other, draft.id, { type: "cancel" }, { actor, expectedVersion: 1 }), is(DraftNotFoundError), "DraftNotFoundError");
        check((await h().store.findOpenDraft(other, "t")) == null, "open draft leaked across workspaces");
        check((await h().store.loadIdempotency(other, "k")) == null, "idempotency record leaked across workspaces");
        check((await h().store.listAudit(other, draft.id)).length === 0, "audit leaked across workspaces");
        check((await engine.list(other, { actor })).drafts.length === 0, "list leaked across workspaces");
        const again = await engine.create(other, { identity: { tenantId: "t", displayName: "A" } }, { actor });
        check(again.created, "the same tenant must be onboardable in another workspace");
      });

      it("keeps at most one open draft per tenant, enforced by the store", async () => {
        const ws = freshWorkspace();
        const engine = engineOf();
        const first = await engine.create(ws, { identity: { tenantId: "t", displayName: "A" } }, { actor });
        const error = await rejects(
          engine.create(ws, { identity: { tenantId: "t", displayName: "B" } }, { actor }),
          is(OpenDraftExistsError),
          "OpenDraftExistsError",
        );
        check(error.existingDraftId === first.draft.id, "existingDraftId wrong");
        const resumed = await engine.create(ws, { identity: { tenantId: "t", displayName: "B" } }, { actor, onExisting: "resume" });
        check(!resumed.created && resumed.draft.id === first.draft.id, "resume did not return the open draft");
        // The store itself refuses, even when the engine's pre-check is bypassed.
        const rogue = newDraft({ id: "rogue", workspaceId: ws, now: iso(), actorId: "u", identity: { tenantId: "t", displayName: "C" } });
        const direct = await h().store.insert({ draft: rogue, event: createdEvent(rogue), idempotency: null });
        check(!direct.ok && direct.reason === "open_draft_exists" && direct.existingDraftId === first.draft.id, `store allowed a second open draft: ${JSON.stringify(direct)}`);
        // Racing creates: exactly one wins.
        const racers = await Promise.all(
          Array.from({ length: 6 }, (_, i) =>
            engine.create(ws, { identity: { tenantId: "race", displayName: `R${i}` } }, { actor }).then(
              () => "created",
              (e: unknown) => (e instanceof OpenDraftExistsError ? "refused" : e),
            ),
          ),
        );
        check(racers.filter((r) => r === "created").length === 1, `racing creates: ${JSON.stringify(racers)}`);
        // A draft moving onto a held tenant is refused by the store too.
        const blank = await engine.create(ws, {}, { actor });
        await rejects(
          engine.execute(ws, blank.draft.id, { type: "identify", tenantId: "t", displayName: "D" }, { actor, expectedVersion: 1 }),
          is(OpenDraftExistsError),
          "OpenDraftExistsError on identify",
        );
        // Cancelling frees the tenant.
        await engine.execute(ws, first.draft.id, { type: "cancel" }, { actor, expectedVersion: first.draft.version });
        check((await h().store.findOpenDraft(ws, "t")) == null, "a cancelled draft still holds the tenant");
        const next = await engine.create(ws, { identity: { tenantId: "t", displayName: "E" } }, { actor });
        check(next.created, "the tenant was not freed by cancellation");
      });

      it("changes nothing on bad input", async () => {
        const ws = freshWorkspace();
        const engine = engineOf();
        const { draft } = await engine.create(ws, {}, { actor });
        const bad: unknown[] = [null, 42, { type: "identify" }, { type: "nope" }, { type: "identify", tenantId: "", displayName: "x" }, { type: "select_provider", connectionId: "x".repeat(500) }];
        for (const command of bad) {
          const error = await engine.execute(ws, draft.id, command, { actor, expectedVersion: 1 }).catch((e: unknown) => e);
          check(isOnboardingError(error) && error.code === "validation_failed", `bad input ${JSON.stringify(command)} gave ${String(error)}`);
        }
        const { draft: final } = await assertDraftInvariants(h().store, ws, draft.id);
        check(final.version === 1, "bad input changed the draft");
      });

      it("lists drafts with keyset pagination and a state filter", async () => {
        const ws = freshWorkspace();
        let tick = 0;
        const engine = engineOf({ clock: { now: () => Date.UTC(2026, 0, 1) + (tick += 1000) } });
        const ids: string[] = [];
        for (let i = 0; i < 7; i += 1) {
          const { draft } = await engine.create(ws, { identity: { tenantId: `t-${i}`, displayName: `T${i}` } }, { actor });
          ids.push(draft.id);
          if (i % 3 === 0) await engine.execute(ws, draft.id, { type: "cancel" }, { actor, expectedVersion: 1 });
        }
        const seen: string[] = [];
        let cursor: string | null = null;
        for (let page = 0; page < 10; page += 1) {
          const result: Awaited<ReturnType<OnboardingEngine["list"]>> = await engine.list(ws, { actor, limit: 3, cursor });
          seen.push(...result.drafts.map((d) => d.id));
          cursor = result.nextCursor;
          if (cursor === null) break;
        }
        check(JSON.stringify(seen) === JSON.stringify(ids), `pagination order wrong: ${JSON.stringify(seen)}`);
        const cancelled = await engine.list(ws, { actor, state: "cancelled", limit: 10 });
        check(cancelled.drafts.length === 3 && cancelled.drafts.every((d) => d.lifecycle.state === "cancelled"), "state filter wrong");
      });
    });

    runner.describe("isolation, identity and recovery", () => {
      hardeningTests({ it, h, engineOf });
    });

    runner.describe("model-based", () => {
      it("random command sequences from several actors agree with the model", async () => {
        await fc.assert(
          fc.asyncProperty(modelRunArbitrary(), async (commands) => {
            await runModel(h().store, commands);
          }),
          { numRuns: options.numRuns ?? 100, ...(options.seed === undefined ? {} : { seed: options.seed }) },
        );
      });
    });
  });
}

/** What a section of the suite needs from {@link describeStoreConformance}. */
interface SectionContext {
  readonly it: (title: string, body: () => Promise<void>) => void;
  readonly h: () => ConformanceHarness;
  readonly engineOf: (overrides?: Partial<Parameters<typeof createOnboardingEngine>[0]>) => OnboardingEngine;
}

/**
 * Ids that only look alike (case, trailing space, NFC/NFD, neighbouring astral characters, a
 * replacement character next to a real one): every store must keep each apart.
 */
const LOOKALIKE_SUFFIXES: readonly (readonly [string, string])[] = [
  ["a", "A"],
  ["a", "a "],
  ["\u00e9", "e\u0301"],
  ["\u{1F600}", "\u{1F601}"],
  ["\uFFFD", "\u{10FFFD}"],
];

/** Text no store can keep exactly; the engine must refuse it before any write. */
const UNSTORABLE = ["w\uD800", "w\uDC00x", "w\u0000"] as const;

function hardeningTests({ it, h, engineOf }: SectionContext): void {
  it("refuses ids, keys and text that cannot be stored exactly (lone surrogates, U+0000), writing nothing", async () => {
    const engine = engineOf();
    const ws = freshWorkspace();
    for (const bad of UNSTORABLE) {
      await rejects(engine.create(bad, {}, { actor }), is(ValidationError), `ValidationError for workspace ${JSON.stringify(bad)}`);
      await rejects(
        engine.create(ws, { identity: { tenantId: bad, displayName: "x" } }, { actor }),
        is(ValidationError),
        "ValidationError for a tenant id",
      );
      await rejects(engine.create(ws, { identity: { tenantId: "t", displayName: `x${bad}` } }, { actor }), is(ValidationError), "ValidationError for text");
      await rejects(engine.create(ws, {}, { actor, idempotencyKey: bad }), is(ValidationError), "ValidationError for a key");
      await rejects(engine.create(ws, { id: bad }, { actor }), is(ValidationError), "ValidationError for a draft id");
      await rejects(engine.get(ws, bad, { actor }), is(ValidationError), "ValidationError for a draft id on get");
      await rejects(engine.create(ws, {}, { actor: { id: bad } }), is(ValidationError), "ValidationError for an actor id");
    }
    check((await engine.list(ws, { actor })).drafts.length === 0, "a refused request wrote a draft");
  });

  it("keeps workspaces, tenants and keys whose ids only look alike apart (create, resume, replay, list)", async () => {
    const engine = engineOf();
    for (const [left, right] of LOOKALIKE_SUFFIXES) {
      const base = freshWorkspace();
      const [a, b] = [`${base}-${left}`, `${base}-${right}`];
      const identity = { tenantId: "tenant", displayName: "Contoso" };
      const first = await engine.create(a, { identity }, { actor, idempotencyKey: "key" });
      const resumed = await engine.create(b, { identity }, { actor, onExisting: "resume" });
      check(resumed.created && resumed.draft.id !== first.draft.id, `workspace ${JSON.stringify(b)} resumed a draft of ${JSON.stringify(a)}`);
      const keyed = await engine.create(b, { identity: { tenantId: "other", displayName: "Other" } }, { actor, idempotencyKey: "key" });
      check(keyed.created && !keyed.replayed, `a key of ${JSON.stringify(a)} replayed in ${JSON.stringify(b)}`);
      const page = await engine.list(b, { actor });
      check(page.drafts.every((draft) => draft.workspaceId === b) && page.drafts.length === 2, "list mixed workspaces");
      check(parseDraft(await h().store.findOpenDraft(a, "tenant")).id === first.draft.id, "the open-draft slot moved");
      // Tenants and draft ids that only look alike, within one workspace.
      const tenantA = await engine.create(a, { identity: { tenantId: `t-${left}`, displayName: "A" } }, { actor });
      const tenantB = await engine.create(a, { identity: { tenantId: `t-${right}`, displayName: "B" } }, { actor });
      check(tenantA.created && tenantB.created && tenantA.draft.id !== tenantB.draft.id, "two tenants shared one open-draft slot");
      await engine.create(a, { id: `d-${left}` }, { actor });
      const twin = await engine.create(a, { id: `d-${right}` }, { actor });
      check(twin.created && (await engine.get(a, `d-${right}`, { actor })).id === `d-${right}`, "two draft ids were stored as one");
      await engine.create(a, {}, { actor, idempotencyKey: `k-${left}` });
      const keyed2 = await engine.create(a, {}, { actor, idempotencyKey: `k-${right}` });
      check(keyed2.created && !keyed2.replayed, "keys that only look alike collided");
    }
  });

  it("gives one draft to concurrent creates with the same idempotency key, replays to the others", async () => {
    const engine = engineOf();
    for (const input of [{ identity: { tenantId: "tenant", displayName: "Contoso" } }, { id: "chosen-id" }, {}] as const) {
      const ws = freshWorkspace();
      const results = await Promise.allSettled(
        Array.from({ length: 8 }, () => engine.create(ws, input, { actor, idempotencyKey: "same-key" })),
      );
      const failed = results.filter((result) => result.status === "rejected");
      check(failed.length === 0, `concurrent keyed creates failed: ${failed.map((f) => String((f as PromiseRejectedResult).reason)).join("; ")}`);
      const values = results.map((result) => (result as PromiseFulfilledResult<Awaited<ReturnType<OnboardingEngine["create"]>>>).value);
      check(values.filter((value) => value.created).length === 1, `${values.filter((v) => v.created).length} creates claimed the key`);
      check(values.every((value) => value.created || value.replayed), "a loser was not told it is a replay");
      check(new Set(values.map((value) => value.draft.id)).size === 1, "callers got different drafts");
      check((await engine.list(ws, { actor })).drafts.length === 1, "more than one draft was written");
    }
  });

  it("reports a write that is sent again after it applied as applied, writing nothing twice", async () => {
    const store = h().store;
    const ws = freshWorkspace();
    const draft = newDraft({ id: "d-1", workspaceId: ws, now: iso(), actorId: "u", identity: { tenantId: "t", displayName: "A" } });
    const insert = { draft, event: createdEvent(draft), idempotency: idempotencyFor(draft, "create-key") };
    check((await store.insert(insert)).ok, "first insert failed");
    const again = await store.insert(insert);
    check(again.ok, `a re-sent insert was reported as ${JSON.stringify(again)}`);
    const next = sealDraft(applyCommand(parseDraft(await store.load(ws, "d-1")), { type: "select_provider", connectionId: "c" }, ctx()).draft);
    const commit = { draft: next, expectedVersion: 1, events: [committedEvent(next, "e-2")], idempotency: idempotencyFor(next, "commit-key") };
    check((await store.commit(commit)).ok, "first commit failed");
    const resent = await store.commit(commit);
    check(resent.ok, `a re-sent commit was reported as ${JSON.stringify(resent)}`);
    check((await store.listAudit(ws, "d-1")).length === 2, "a re-sent write was written twice");
    await assertDraftInvariants(store, ws, "d-1");
  });

  it("reports a stored version that disagrees with the document as CorruptRecordError (stores that keep one)", async () => {
    const harness = h();
    if (harness.writeStoredVersion === undefined) return; // the store keeps no version beside the document
    const engine = engineOf();
    const ws = freshWorkspace();
    const { draft } = await engine.create(ws, { identity: { tenantId: "t", displayName: "A" } }, { actor });
    await engine.get(ws, draft.id, { actor }); // warm any cache
    await harness.writeStoredVersion(ws, draft.id, 7);
    await rejects(engine.get(ws, draft.id, { actor }), is(CorruptRecordError), "CorruptRecordError on get");
    await rejects(
      engine.execute(ws, draft.id, { type: "select_provider", connectionId: "c" }, { actor, expectedVersion: 1 }),
      is(CorruptRecordError),
      "CorruptRecordError on execute (not a conflict)",
    );
    await rejects(engine.list(ws, { actor }), is(CorruptRecordError), "CorruptRecordError on list");
    await rejects(engine.create(ws, { identity: { tenantId: "t", displayName: "A" } }, { actor }), is(CorruptRecordError), "on the open-draft lookup");
  });

  it("takes a draft up to MAX_VERSION, audits conflicts at it, and refuses to go past it", async () => {
    const store = h().store;
    const engine = engineOf();
    const ws = freshWorkspace();
    const start = sealDraft({ ...newDraft({ id: "d-max", workspaceId: ws, now: iso(), actorId: "u" }), version: MAX_VERSION - 1 });
    check((await store.insert({ draft: start, event: { ...createdEvent(start), toVersion: MAX_VERSION - 1 }, idempotency: null })).ok, "insert failed");
    const identify = { type: "identify", tenantId: "t", displayName: "A" } as const;
    const top = await engine.execute(ws, "d-max", identify, { actor, expectedVersion: MAX_VERSION - 1 });
    check(top.version === MAX_VERSION, `reached ${top.version}`);
    const stale = await rejects(
      engine.execute(ws, "d-max", { type: "cancel" }, { actor, expectedVersion: MAX_VERSION - 1 }),
      is(VersionConflictError),
      "VersionConflictError at the top",
    );
    check(stale.actualVersion === MAX_VERSION, "conflict carries the top version");
    const limit = await rejects(
      engine.execute(ws, "d-max", { type: "cancel" }, { actor, expectedVersion: MAX_VERSION }),
      is(InvalidTransitionError),
      "InvalidTransitionError past the top",
    );
    check(limit.requirement === "version_limit", `requirement ${limit.requirement}`);
    await rejects(
      engine.execute(ws, "d-max", { type: "cancel" }, { actor, expectedVersion: MAX_VERSION + 1 }),
      is(ValidationError),
      "ValidationError for an expectedVersion past the top",
    );
    const kinds = (await engine.history(ws, "d-max", { actor })).map((event) => event.kind);
    check(JSON.stringify(kinds) === JSON.stringify(["created", "committed", "conflict"]), `audit ${JSON.stringify(kinds)}`);
  });

  it("validates list options before the store sees them", async () => {
    const engine = engineOf();
    const ws = freshWorkspace();
    let deep: Record<string, unknown> = {};
    for (let depth = 0; depth < 20_000; depth += 1) deep = { a: deep };
    const bad: readonly unknown[] = [{ state: "bogus" }, { state: 5 }, { state: deep }, { limit: 0 }, { limit: "10" }, { cursor: 7 }, { actr: actor }];
    for (const options of bad) {
      await rejects(engine.list(ws, { actor, ...(options as object) } as never), is(ValidationError), `ValidationError for ${Object.keys(options as object).join()}`);
    }
  });
}

function ctx(): Parameters<typeof applyCommand>[2] {
  let n = 0;
  return { now: iso(1000), actorId: "u", nextRunId: () => `run-${(n += 1)}`, policy: {} };
}

function createdEvent(draft: OnboardingDraft): AuditEvent {
  return {
    eventId: `created-${draft.id}-${randomUUID()}`,
    workspaceId: draft.workspaceId,
    draftId: draft.id,
    kind: "created",
    commandType: "create",
    actorId: "u",
    at: draft.createdAt,
    fromVersion: null,
    toVersion: 1,
    expectedVersion: null,
    actualVersion: null,
    idempotencyKey: null,
    feedback: "applied",
    runIds: [],
    capability: null,
    state: draft.lifecycle.state,
  };
}

function committedEvent(draft: OnboardingDraft, eventId: string): AuditEvent {
  return {
    ...createdEvent(draft),
    eventId: `${eventId}-${randomUUID()}`,
    kind: "committed",
    commandType: "identify",
    fromVersion: draft.version - 1,
    toVersion: draft.version,
  };
}

function idempotencyFor(draft: OnboardingDraft, key: string): NonNullable<Parameters<DraftStore["commit"]>[0]["idempotency"]> {
  return {
    workspaceId: draft.workspaceId,
    key,
    draftId: draft.id,
    commandType: "identify",
    fingerprint: key,
    createdAt: draft.updatedAt,
    outcome: { version: draft.version, feedback: "applied", eventId: "e", runIds: [], draft },
  };
}
