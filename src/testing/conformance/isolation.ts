/**
 * Conformance section "isolation, identity and recovery": text no store can keep exactly is
 * refused before any write, ids that only look alike stay apart, concurrent keyed creates give
 * one draft, re-sent writes are reported as applied, a stored version that disagrees with the
 * document is reported (skipped visibly for stores that keep none), the MAX_VERSION ceiling,
 * and list options validated before the store sees them.
 */
import { applyCommand, newDraft } from "../../commands/index.js";
import type { OnboardingEngine } from "../../engine/index.js";
import {
  CorruptRecordError,
  InvalidTransitionError,
  MAX_VERSION,
  ValidationError,
  VersionConflictError,
} from "../../record/index.js";
import { sealDraft } from "../../lifecycle/index.js";
import { assertDraftInvariants } from "../invariants.js";
import {
  actor,
  check,
  committedEvent,
  createdEvent,
  ctx,
  freshWorkspace,
  idempotencyFor,
  is,
  iso,
  rejects,
  type SectionContext,
  withDocument,
  storedDraft,
} from "./shared.js";

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

/** Registers the tests of this section. */
export function isolationSection({ it, h, engineOf }: SectionContext): void {
  it("refuses ids, keys and text that cannot be stored exactly (lone surrogates, U+0000), writing nothing", async () => {
    const engine = engineOf();
    const ws = freshWorkspace();
    for (const bad of UNSTORABLE) {
      await rejects(
        engine.create(bad, {}, { actor }),
        is(ValidationError),
        `ValidationError for workspace ${JSON.stringify(bad)}`,
      );
      await rejects(
        engine.create(ws, { identity: { tenantId: bad, displayName: "x" } }, { actor }),
        is(ValidationError),
        "ValidationError for a tenant id",
      );
      await rejects(
        engine.create(ws, { identity: { tenantId: "t", displayName: `x${bad}` } }, { actor }),
        is(ValidationError),
        "ValidationError for text",
      );
      await rejects(
        engine.create(ws, {}, { actor, idempotencyKey: bad }),
        is(ValidationError),
        "ValidationError for a key",
      );
      await rejects(engine.create(ws, { id: bad }, { actor }), is(ValidationError), "ValidationError for a draft id");
      await rejects(engine.get(ws, bad, { actor }), is(ValidationError), "ValidationError for a draft id on get");
      await rejects(
        engine.create(ws, {}, { actor: { id: bad } }),
        is(ValidationError),
        "ValidationError for an actor id",
      );
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
      check(
        resumed.created && resumed.draft.id !== first.draft.id,
        `workspace ${JSON.stringify(b)} resumed a draft of ${JSON.stringify(a)}`,
      );
      const keyed = await engine.create(
        b,
        { identity: { tenantId: "other", displayName: "Other" } },
        { actor, idempotencyKey: "key" },
      );
      check(keyed.created && !keyed.replayed, `a key of ${JSON.stringify(a)} replayed in ${JSON.stringify(b)}`);
      const page = await engine.list(b, { actor });
      check(page.drafts.every((draft) => draft.workspaceId === b) && page.drafts.length === 2, "list mixed workspaces");
      check(storedDraft(await h().store.findOpenDraft(a, "tenant")).id === first.draft.id, "the open-draft slot moved");
      // Tenants and draft ids that only look alike, within one workspace.
      const tenantA = await engine.create(a, { identity: { tenantId: `t-${left}`, displayName: "A" } }, { actor });
      const tenantB = await engine.create(a, { identity: { tenantId: `t-${right}`, displayName: "B" } }, { actor });
      check(
        tenantA.created && tenantB.created && tenantA.draft.id !== tenantB.draft.id,
        "two tenants shared one open-draft slot",
      );
      await engine.create(a, { id: `d-${left}` }, { actor });
      const twin = await engine.create(a, { id: `d-${right}` }, { actor });
      check(
        twin.created && (await engine.get(a, `d-${right}`, { actor })).id === `d-${right}`,
        "two draft ids were stored as one",
      );
      await engine.create(a, {}, { actor, idempotencyKey: `k-${left}` });
      const keyed2 = await engine.create(a, {}, { actor, idempotencyKey: `k-${right}` });
      check(keyed2.created && !keyed2.replayed, "keys that only look alike collided");
    }
  });

  it("keeps records whose ids only look alike apart at the store itself (load, findOpenDraft, loadIdempotency, list)", async () => {
    const store = h().store;
    for (const [x, y] of LOOKALIKE_SUFFIXES) {
      const base = freshWorkspace();
      const [w, wy] = [`${base}-${x}`, `${base}-${y}`];
      const write = async (workspaceId: string, id: string, tenantId: string, key: string): Promise<void> => {
        const draft = sealDraft(
          newDraft({ id, workspaceId, now: iso(), actorId: "u", identity: { tenantId, displayName: "A" } }),
        );
        const inserted = await store.insert(
          withDocument({
            draft,
            event: createdEvent(draft),
            idempotency: idempotencyFor(draft, key),
          }),
        );
        check(
          inserted.ok,
          `insert of ${JSON.stringify(id)} in ${JSON.stringify(workspaceId)} was refused: ${JSON.stringify(inserted)}`,
        );
      };
      // Only the x records exist: nothing is found under y.
      await write(w, `d-${x}`, `t-${x}`, `k-${x}`);
      check((await store.load(w, `d-${y}`)) == null, "a look-alike draft id loaded another draft");
      check((await store.findOpenDraft(w, `t-${y}`)) == null, "a look-alike tenant found another tenant's draft");
      check((await store.loadIdempotency(w, `k-${y}`)) == null, "a look-alike key found another key's record");
      check((await store.load(wy, `d-${x}`)) == null, "a look-alike workspace loaded another workspace's draft");
      check(
        (await store.list(wy, { limit: 10 })).drafts.length === 0,
        "a look-alike workspace listed another's drafts",
      );
      // The y twins are written beside them, and every read returns its own record.
      await write(w, `d-${y}`, `t-${y}`, `k-${y}`);
      await write(wy, `d-${x}`, `t-${x}`, `k-${x}`);
      for (const [workspaceId, suffix] of [
        [w, x],
        [w, y],
        [wy, x],
      ] as const) {
        check(
          storedDraft(await store.load(workspaceId, `d-${suffix}`)).identity?.tenantId === `t-${suffix}`,
          "load returned a twin",
        );
        const open = storedDraft(await store.findOpenDraft(workspaceId, `t-${suffix}`));
        check(open.id === `d-${suffix}` && open.workspaceId === workspaceId, "findOpenDraft returned a twin");
        const record = (await store.loadIdempotency(workspaceId, `k-${suffix}`)) as {
          draftId?: unknown;
          workspaceId?: unknown;
        } | null;
        check(
          record?.draftId === `d-${suffix}` && record.workspaceId === workspaceId,
          "loadIdempotency returned a twin",
        );
      }
      const listed = (await store.list(wy, { limit: 10 })).drafts.map((draft) => storedDraft(draft).workspaceId);
      check(
        JSON.stringify(listed) === JSON.stringify([wy]),
        `list of a look-alike workspace returned ${JSON.stringify(listed)}`,
      );
    }
  });

  it("gives one draft to concurrent creates with the same idempotency key, replays to the others", async () => {
    const engine = engineOf();
    for (const input of [
      { identity: { tenantId: "tenant", displayName: "Contoso" } },
      { id: "chosen-id" },
      {},
    ] as const) {
      const ws = freshWorkspace();
      const results = await Promise.allSettled(
        Array.from({ length: 8 }, () => engine.create(ws, input, { actor, idempotencyKey: "same-key" })),
      );
      const failed = results.filter((result) => result.status === "rejected");
      check(failed.length === 0, `concurrent keyed creates failed: ${failed.map((f) => String(f.reason)).join("; ")}`);
      const values = results.map(
        (result) => (result as PromiseFulfilledResult<Awaited<ReturnType<OnboardingEngine["create"]>>>).value,
      );
      check(
        values.filter((value) => value.created).length === 1,
        `${values.filter((v) => v.created).length} creates claimed the key`,
      );
      check(
        values.every((value) => value.created || value.replayed),
        "a loser was not told it is a replay",
      );
      check(new Set(values.map((value) => value.draft.id)).size === 1, "callers got different drafts");
      check((await engine.list(ws, { actor })).drafts.length === 1, "more than one draft was written");
    }
  });

  it("reports a write that is sent again after it applied as applied, writing nothing twice", async () => {
    const store = h().store;
    const ws = freshWorkspace();
    const draft = newDraft({
      id: "d-1",
      workspaceId: ws,
      now: iso(),
      actorId: "u",
      identity: { tenantId: "t", displayName: "A" },
    });
    const insert = withDocument({
      draft,
      event: createdEvent(draft),
      idempotency: idempotencyFor(draft, "create-key"),
    });
    check((await store.insert(insert)).ok, "first insert failed");
    const again = await store.insert(insert);
    check(again.ok, `a re-sent insert was reported as ${JSON.stringify(again)}`);
    const next = sealDraft(
      applyCommand(storedDraft(await store.load(ws, "d-1")), { type: "select_provider", connectionId: "c" }, ctx())
        .draft,
    );
    const commit = withDocument({
      draft: next,
      expectedVersion: 1,
      events: [committedEvent(next, "e-2")],
      idempotency: idempotencyFor(next, "commit-key"),
    });
    check((await store.commit(commit)).ok, "first commit failed");
    const resent = await store.commit(commit);
    check(resent.ok, `a re-sent commit was reported as ${JSON.stringify(resent)}`);
    check((await store.listAudit(ws, "d-1")).length === 2, "a re-sent write was written twice");
    await assertDraftInvariants(store, ws, "d-1");
  });

  it("reports a stored version that disagrees with the document as CorruptRecordError (stores that keep one)", async (test) => {
    const harness = h();
    if (harness.writeStoredVersion === undefined) {
      return test.skip("the store keeps no version beside the document (the harness has no writeStoredVersion)");
    }
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
    await rejects(
      engine.create(ws, { identity: { tenantId: "t", displayName: "A" } }, { actor }),
      is(CorruptRecordError),
      "on the open-draft lookup",
    );
  });

  it("takes a draft up to MAX_VERSION, audits conflicts at it, and refuses to go past it", async () => {
    const store = h().store;
    const engine = engineOf();
    const ws = freshWorkspace();
    const start = sealDraft({
      ...newDraft({ id: "d-max", workspaceId: ws, now: iso(), actorId: "u" }),
      version: MAX_VERSION - 1,
    });
    check(
      (
        await store.insert(
          withDocument({
            draft: start,
            event: { ...createdEvent(start), toVersion: MAX_VERSION - 1 },
            idempotency: null,
          }),
        )
      ).ok,
      "insert failed",
    );
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
    const kinds = (await engine.history(ws, "d-max", { actor })).entries.map((event) => event.kind);
    check(
      JSON.stringify(kinds) === JSON.stringify(["created", "committed", "conflict"]),
      `audit ${JSON.stringify(kinds)}`,
    );
  });

  it("validates list options before the store sees them", async () => {
    const engine = engineOf();
    const ws = freshWorkspace();
    let deep: Record<string, unknown> = {};
    for (let depth = 0; depth < 20_000; depth += 1) deep = { a: deep };
    const bad: readonly unknown[] = [
      { state: "bogus" },
      { state: 5 },
      { state: deep },
      { limit: 0 },
      { limit: "10" },
      { cursor: 7 },
      { actr: actor },
    ];
    for (const options of bad) {
      await rejects(
        engine.list(ws, { actor, ...(options as object) }),
        is(ValidationError),
        `ValidationError for ${Object.keys(options as object).join()}`,
      );
    }
  });
}
