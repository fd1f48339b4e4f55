/**
 * Conformance section "compare-and-set": the port's version-checked commit, sent to the store
 * directly and through the engine: stale writes refused without writing, record, audit entry
 * and idempotency record written together, no lost update under concurrent writers, reads free
 * of side effects.
 */
import { VersionConflictError, type AuditEvent } from "../../record/index.js";
import { applyCommand, newDraft } from "../../commands/index.js";
import { assertDraftInvariants } from "../invariants.js";
import {
  actor,
  check,
  committedEvent,
  createdEvent,
  ctx,
  freshWorkspace,
  idempotencyFor,
  iso,
  type SectionContext,
  withDocument,
  storedDraft,
} from "./shared.js";

/** Registers the tests of this section. */
export function compareAndSetSection({ it, h, engineOf, options }: SectionContext): void {
  it("commits when the stored version matches and rejects a stale expectedVersion without writing", async () => {
    const ws = freshWorkspace();
    const draft = newDraft({ id: "d-1", workspaceId: ws, now: iso(), actorId: "u" });
    await h().store.insert(withDocument({ draft, event: createdEvent(draft), idempotency: null }));
    const next = applyCommand(draft, { type: "identify", tenantId: "t", displayName: "A" }, ctx()).draft;
    const ok = await h().store.commit(
      withDocument({
        draft: next,
        expectedVersion: 1,
        events: [committedEvent(next, "e-2")],
        idempotency: null,
      }),
    );
    check(ok.ok, `commit failed: ${JSON.stringify(ok)}`);
    const stale = applyCommand(draft, { type: "identify", tenantId: "t", displayName: "B" }, ctx()).draft;
    const rejected = await h().store.commit(
      withDocument({
        draft: stale,
        expectedVersion: 1,
        events: [committedEvent(stale, "e-3")],
        idempotency: idempotencyFor(stale, "k-stale"),
      }),
    );
    check(
      !rejected.ok && rejected.reason === "version_conflict" && rejected.actualVersion === 2,
      `expected version_conflict(2), got ${JSON.stringify(rejected)}`,
    );
    const stored = storedDraft(await h().store.load(ws, "d-1"));
    check(stored.identity?.displayName === "A", "a rejected commit changed the record");
    check((await h().store.listAudit(ws, "d-1")).length === 2, "a rejected commit wrote an audit entry");
    check((await h().store.loadIdempotency(ws, "k-stale")) == null, "a rejected commit wrote its idempotency record");
  });

  it("reports actualVersion null when committing a draft that does not exist", async () => {
    const ws = freshWorkspace();
    const draft = newDraft({ id: "ghost", workspaceId: ws, now: iso(), actorId: "u" });
    const next = applyCommand(draft, { type: "cancel" }, ctx()).draft;
    const result = await h().store.commit(
      withDocument({
        draft: next,
        expectedVersion: 1,
        events: [committedEvent(next, "e")],
        idempotency: null,
      }),
    );
    check(
      !result.ok && result.reason === "version_conflict" && result.actualVersion === null,
      `got ${JSON.stringify(result)}`,
    );
    check((await h().store.load(ws, "ghost")) == null, "commit created a draft");
  });

  it("writes record, audit entry and idempotency record together", async () => {
    const ws = freshWorkspace();
    const engine = engineOf();
    const { draft } = await engine.create(ws, {}, { actor });
    const result = await engine.execute(
      ws,
      draft.id,
      { type: "identify", tenantId: "t", displayName: "A" },
      {
        actor,
        expectedVersion: 1,
        idempotencyKey: "key-1",
      },
    );
    const stored = storedDraft(await h().store.load(ws, draft.id));
    check(stored.version === 2, "record not written");
    const audit = await h().store.listAudit(ws, draft.id);
    check(
      audit.some(({ event }) => (event as AuditEvent).eventId === result.event?.eventId),
      "audit entry not written",
    );
    check((await h().store.loadIdempotency(ws, "key-1")) != null, "idempotency record not written");
  });

  it("rejects a commit whose idempotency key exists, writing nothing", async () => {
    const ws = freshWorkspace();
    const draft = newDraft({ id: "d-1", workspaceId: ws, now: iso(), actorId: "u" });
    await h().store.insert(
      withDocument({ draft, event: createdEvent(draft), idempotency: idempotencyFor(draft, "dup") }),
    );
    const next = applyCommand(draft, { type: "cancel" }, ctx()).draft;
    const result = await h().store.commit(
      withDocument({
        draft: next,
        expectedVersion: 1,
        events: [committedEvent(next, "e-2")],
        idempotency: idempotencyFor(next, "dup"),
      }),
    );
    check(
      !result.ok && result.reason === "idempotency_key_exists",
      `expected idempotency_key_exists, got ${JSON.stringify(result)}`,
    );
    check(storedDraft(await h().store.load(ws, "d-1")).version === 1, "record was written despite the rejection");
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
            await engine.execute(
              ws,
              draft.id,
              { type: "identify", tenantId: "t", displayName: `writer ${writer}` },
              {
                actor: { id: `writer-${writer}` },
                expectedVersion: current.version,
              },
            );
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
    check(
      events.filter((event) => event.kind === "conflict").length === conflicts,
      "every conflict must be audited once",
    );
  });

  it("keeps reads free of side effects", async () => {
    const ws = freshWorkspace();
    const engine = engineOf();
    const { draft } = await engine.create(ws, {}, { actor });
    await Promise.all([
      engine.get(ws, draft.id, { actor }),
      engine.history(ws, draft.id, { actor }),
      engine.list(ws, { actor }),
    ]);
    const stored = storedDraft(await h().store.load(ws, draft.id));
    check(stored.version === 1, "a read changed the version");
    check((await h().store.listAudit(ws, draft.id)).length === 1, "a read wrote an audit entry");
  });
}
