/**
 * Conformance section "engine guarantees on this store": the guarantees of the engine that rest
 * on the store: stale writes rejected with a conflict entry, idempotent retries applied once,
 * terminal drafts absorbing every command, workspace isolation, one open draft per tenant
 * (enforced by the store itself), bad input changing nothing, keyset pagination.
 */
import type { OnboardingEngine } from "../../engine/index.js";
import {
  DraftNotFoundError,
  IdempotencyKeyReuseError,
  OpenDraftExistsError,
  VersionConflictError,
  isOnboardingError,
  type OnboardingDraft,
} from "../../record/index.js";
import { newDraft, type CommandInput } from "../../commands/index.js";
import { assertDraftInvariants } from "../invariants.js";
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

/** Creates a draft and drives it to `ready_for_activation` through the engine. */
async function walkToReady(
  engine: OnboardingEngine,
  workspaceId: string,
  tenantId = "tenant-1",
): Promise<OnboardingDraft> {
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

/** Registers the tests of this section. */
export function engineGuaranteesSection({ it, h, engineOf }: SectionContext): void {
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
    check(
      error.expectedVersion === 1 && error.actualVersion === 2 && error.current.version === 2,
      "conflict data wrong",
    );
    const { events, draft: final } = await assertDraftInvariants(h().store, ws, draft.id);
    check(final.lifecycle.state !== "cancelled", "the stale cancel was applied");
    const entry = events.find((event) => event.kind === "conflict");
    check(
      entry?.expectedVersion === 1 && entry.actualVersion === 2 && entry.actorId === "other",
      "conflict entry missing its lineage",
    );
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
      engine.execute(
        ws,
        draft.id,
        { type: "select_provider", connectionId: "other" },
        { actor, expectedVersion: 2, idempotencyKey: "same" },
      ),
      is(IdempotencyKeyReuseError),
      "IdempotencyKeyReuseError",
    );
    const racers = await Promise.all(
      Array.from({ length: 8 }, () =>
        engine
          .execute(
            ws,
            draft.id,
            { type: "update_provider_connection", connectionId: "c" },
            {
              actor,
              expectedVersion: 2,
              idempotencyKey: "race",
            },
          )
          .then(
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
      const error = await engine
        .execute(ws, ready.id, command, { actor, expectedVersion: done.version })
        .catch((e: unknown) => e);
      check(
        isOnboardingError(error) && error.code === "terminal_draft",
        `${command.type} on a completed draft: ${String(error)}`,
      );
    }
    const late = await engine.execute(
      ws,
      ready.id,
      {
        type: "record_verification_result",
        runId: ready.verification?.runId ?? "",
        status: "completed",
        outcome: "failed",
      },
      { actor },
    );
    check(
      late.feedback === "ignored_terminal" && late.version === done.version,
      "a late result changed a terminal draft",
    );
    await assertDraftInvariants(h().store, ws, ready.id);
  });

  it("isolates workspaces", async () => {
    const ws = freshWorkspace();
    const other = freshWorkspace();
    const engine = engineOf();
    const { draft } = await engine.create(
      ws,
      { identity: { tenantId: "t", displayName: "A" } },
      { actor, idempotencyKey: "k" },
    );
    await rejects(engine.get(other, draft.id, { actor }), is(DraftNotFoundError), "DraftNotFoundError");
    await rejects(
      engine.execute(other, draft.id, { type: "cancel" }, { actor, expectedVersion: 1 }),
      is(DraftNotFoundError),
      "DraftNotFoundError",
    );
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
    const resumed = await engine.create(
      ws,
      { identity: { tenantId: "t", displayName: "B" } },
      { actor, onExisting: "resume" },
    );
    check(!resumed.created && resumed.draft.id === first.draft.id, "resume did not return the open draft");
    // The store itself refuses, even when the engine's pre-check is bypassed.
    const rogue = newDraft({
      id: "rogue",
      workspaceId: ws,
      now: iso(),
      actorId: "u",
      identity: { tenantId: "t", displayName: "C" },
    });
    const direct = await h().store.insert(
      withDocument({ draft: rogue, event: createdEvent(rogue), idempotency: null }),
    );
    check(
      !direct.ok && direct.reason === "open_draft_exists" && direct.existingDraftId === first.draft.id,
      `store allowed a second open draft: ${JSON.stringify(direct)}`,
    );
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
      engine.execute(
        ws,
        blank.draft.id,
        { type: "identify", tenantId: "t", displayName: "D" },
        { actor, expectedVersion: 1 },
      ),
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
    const bad: unknown[] = [
      null,
      42,
      { type: "identify" },
      { type: "nope" },
      { type: "identify", tenantId: "", displayName: "x" },
      { type: "select_provider", connectionId: "x".repeat(500) },
    ];
    for (const command of bad) {
      const error = await engine.execute(ws, draft.id, command, { actor, expectedVersion: 1 }).catch((e: unknown) => e);
      check(
        isOnboardingError(error) && error.code === "validation_failed",
        `bad input ${JSON.stringify(command)} gave ${String(error)}`,
      );
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
    check(
      cancelled.drafts.length === 3 && cancelled.drafts.every((d) => d.lifecycle.state === "cancelled"),
      "state filter wrong",
    );
  });
}
