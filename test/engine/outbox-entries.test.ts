/**
 * The outbox entries a commit carries (issue 11): one `run.requested` per run a command starts,
 * one `run.cancelled` per active run it supersedes, none for idempotent replays, dedupes or a
 * worker's own result; and the start policies (`attach`, `supersede`, `reject`).
 */
import { describe, expect, it } from "vitest";
import {
  OutboxEntrySchema,
  RunActiveError,
  createOnboardingEngine,
  type OnboardingDraft,
  type OutboxEntry,
} from "../../src/index.js";
import { createMemoryStore } from "../../src/adapters/memory/index.js";
import type { CommitInput, DraftStore } from "../../src/store/index.js";

const actor = { id: "operator" };
const worker = { id: "worker" };

function spied(): { store: DraftStore; commits: CommitInput[] } {
  const inner = createMemoryStore();
  const commits: CommitInput[] = [];
  const store: DraftStore = {
    ...inner,
    name: inner.name,
    commit: async (input) => {
      const result = await inner.commit(input);
      if (result.ok) commits.push(input);
      return result;
    },
  };
  return { store, commits };
}

async function verifying() {
  const { store, commits } = spied();
  let n = 0;
  const engine = createOnboardingEngine({
    store,
    authorize: () => true,
    ids: { draftId: () => `d-${++n}`, runId: () => `run-${++n}`, eventId: () => `e-${++n}` },
  });
  const { draft } = await engine.create("ws", { identity: { tenantId: "t", displayName: "T" } }, { actor });
  const provided = await engine.execute(
    "ws",
    draft.id,
    { type: "select_provider", connectionId: "c-1" },
    { actor, expectedVersion: draft.version },
  );
  const started = await engine.execute(
    "ws",
    draft.id,
    { type: "start_verification" },
    { actor, expectedVersion: provided.version },
  );
  return { engine, commits, draft: started.draft, runId: started.runIds[0] ?? "" };
}

const entriesOf = (commits: readonly CommitInput[]): OutboxEntry[] => commits.flatMap((c) => c.outbox ?? []);

describe("outbox entries in the commit", () => {
  it("start_verification writes one run.requested entry in its commit, naming the run, provider and commit", async () => {
    const { commits, draft, runId } = await verifying();
    const last = commits.at(-1);
    expect(last?.outbox).toHaveLength(1);
    const entry = OutboxEntrySchema.parse(last?.outbox?.[0]);
    expect(entry).toMatchObject({
      kind: "run.requested",
      runId,
      workspaceId: "ws",
      draftId: draft.id,
      checkpoint: "verify_access",
      operation: "verify_access",
      providerConnectionId: "c-1",
      providerRevision: 1,
      draftVersion: draft.version,
      eventId: last?.events[0]?.eventId,
      createdAt: last?.events[0]?.at,
    });
    // Commits that start nothing carry no outbox field at all.
    expect(commits.slice(0, -1).every((commit) => commit.outbox === undefined)).toBe(true);
  });

  it("a deduped start and an idempotent replay write nothing new", async () => {
    const { engine, commits, draft } = await verifying();
    const before = commits.length;
    const deduped = await engine.execute(
      "ws",
      draft.id,
      { type: "start_verification" },
      { actor, expectedVersion: draft.version },
    );
    expect(deduped.feedback).toBe("deduped");
    expect(commits).toHaveLength(before);
    const keyed = await engine.execute(
      "ws",
      draft.id,
      { type: "update_provider_connection", connectionId: "c-1" },
      { actor, expectedVersion: draft.version, idempotencyKey: "k-1" },
    );
    const replay = await engine.execute(
      "ws",
      draft.id,
      { type: "update_provider_connection", connectionId: "c-1" },
      { actor, expectedVersion: draft.version, idempotencyKey: "k-1" },
    );
    expect(replay.replayed).toBe(true);
    expect(keyed.version).toBe(draft.version + 1);
    expect(commits).toHaveLength(before + 1);
  });

  it("a provider edit and a cancel supersede active runs with run.cancelled entries", async () => {
    const { engine, commits, draft, runId } = await verifying();
    const edited = await engine.execute(
      "ws",
      draft.id,
      { type: "update_provider_connection", connectionId: "c-1" },
      { actor, expectedVersion: draft.version },
    );
    expect(commits.at(-1)?.outbox).toEqual([
      expect.objectContaining({ kind: "run.cancelled", runId, providerRevision: 1, draftVersion: edited.version }),
    ]);
    const again = await engine.execute(
      "ws",
      draft.id,
      { type: "start_verification" },
      { actor, expectedVersion: edited.version },
    );
    const second = again.runIds[0];
    expect(commits.at(-1)?.outbox).toEqual([
      expect.objectContaining({ kind: "run.requested", runId: second, providerRevision: 2 }),
    ]);
    await engine.execute("ws", draft.id, { type: "cancel" }, { actor, expectedVersion: again.version });
    expect(commits.at(-1)?.outbox).toEqual([expect.objectContaining({ kind: "run.cancelled", runId: second })]);
  });

  it("the worker's own result writes no entry; bootstrap starts one entry per operation", async () => {
    const { engine, commits, draft, runId } = await verifying();
    const done = await engine.execute(
      "ws",
      draft.id,
      { type: "record_verification_result", runId, status: "completed", outcome: "succeeded" },
      { actor: worker },
    );
    expect(commits.at(-1)?.outbox).toBeUndefined();
    const boot = await engine.execute(
      "ws",
      draft.id,
      { type: "start_bootstrap", operations: ["dns", "mail"] },
      { actor, expectedVersion: done.version },
    );
    const entries = commits.at(-1)?.outbox ?? [];
    expect(entries.map((e) => [e.kind, e.checkpoint, e.operation, e.runId])).toEqual([
      ["run.requested", "bootstrap", "dns", boot.runIds[0]],
      ["run.requested", "bootstrap", "mail", boot.runIds[1]],
    ]);
    expect(new Set(entriesOf(commits).map((e) => e.entryId)).size).toBe(entriesOf(commits).length);
  });
});

describe("start policies", () => {
  it("attach (the default) dedupes; reject throws RunActiveError naming the run and writes nothing", async () => {
    const { engine, commits, draft, runId } = await verifying();
    const before = commits.length;
    const attach = await engine.execute(
      "ws",
      draft.id,
      { type: "start_verification", policy: "attach" },
      { actor, expectedVersion: draft.version },
    );
    expect(attach).toMatchObject({ feedback: "deduped", runIds: [runId], version: draft.version });
    const refused = engine.execute(
      "ws",
      draft.id,
      { type: "start_verification", policy: "reject" },
      { actor, expectedVersion: draft.version },
    );
    await expect(refused).rejects.toBeInstanceOf(RunActiveError);
    await expect(refused).rejects.toMatchObject({ code: "run_active", runIds: [runId], draftId: draft.id });
    expect(commits).toHaveLength(before);
  });

  it("supersede replaces the verification run: run.cancelled for the old, run.requested for the new", async () => {
    const { engine, commits, draft, runId } = await verifying();
    const result = await engine.execute(
      "ws",
      draft.id,
      { type: "start_verification", policy: "supersede" },
      { actor, expectedVersion: draft.version },
    );
    expect(result.feedback).toBe("queued");
    const fresh = result.runIds[0];
    expect(fresh).not.toBe(runId);
    expect(commits.at(-1)?.outbox?.map((e) => [e.kind, e.runId])).toEqual([
      ["run.cancelled", runId],
      ["run.requested", fresh],
    ]);
    // The old run's late result is ignored, never applied.
    const late = await engine.execute(
      "ws",
      draft.id,
      { type: "record_verification_result", runId, status: "completed", outcome: "succeeded" },
      { actor: worker },
    );
    expect(late).toMatchObject({ feedback: "ignored_stale_result", version: result.version });
  });

  it("supersede on bootstrap completes the active run as cancelled and starts a new one", async () => {
    const { engine, draft, runId, commits } = await verifying();
    const done = await engine.execute(
      "ws",
      draft.id,
      { type: "record_verification_result", runId, status: "completed", outcome: "succeeded" },
      { actor: worker },
    );
    const first = await engine.execute(
      "ws",
      draft.id,
      { type: "start_bootstrap", operations: ["dns"] },
      { actor, expectedVersion: done.version },
    );
    await expect(
      engine.execute(
        "ws",
        draft.id,
        { type: "start_bootstrap", operations: ["dns"], policy: "reject" },
        { actor, expectedVersion: first.version },
      ),
    ).rejects.toMatchObject({ code: "run_active", runIds: first.runIds });
    const second = await engine.execute(
      "ws",
      draft.id,
      { type: "start_bootstrap", operations: ["dns"], policy: "supersede" },
      { actor, expectedVersion: first.version },
    );
    const runs: OnboardingDraft["bootstrap"] = second.draft.bootstrap;
    expect(runs?.runs.map((r) => [r.runId, r.status, r.outcome])).toEqual([
      [first.runIds[0], "completed", "cancelled"],
      [second.runIds[0], "queued", null],
    ]);
    expect(second.draft.lifecycle.state).toBe("bootstrapping");
    expect(commits.at(-1)?.outbox?.map((e) => [e.kind, e.runId])).toEqual([
      ["run.cancelled", first.runIds[0]],
      ["run.requested", second.runIds[0]],
    ]);
  });
});
