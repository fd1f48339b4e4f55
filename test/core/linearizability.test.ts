/**
 * The linearizability checker on hand-written histories of a draft's version register: the
 * classic violations are rejected with a counterexample that names the operation that cannot
 * be placed, and linearizable histories (overlapping reads, conflicts, unknown outcomes that
 * applied or did not, idempotent replays, independent drafts) are accepted.
 */
import { describe, expect, it } from "vitest";
import { createMemoryStore } from "../../src/adapters/memory/index.js";
import { createOnboardingEngine } from "../../src/engine/index.js";
import {
  DraftNotFoundError,
  InvalidTransitionError,
  StoreError,
  VersionConflictError,
} from "../../src/record/index.js";
import {
  checkLinearizability,
  checkModelLinearizability,
  createDraftHistory,
  createHistory,
  draftDigest,
  draftPartition,
  injectFaults,
  recordingEngine,
  type DraftHistory,
  type LinearizabilityModel,
  type RegisterInput,
  type RegisterOutput,
} from "../../src/testing/index.js";

const start = () => ({ version: 1, value: "v1" });
const read = (version: number, value: string): RegisterOutput => ({ type: "read", version, value });
const committed = (version: number, value: string, replayed = false): RegisterOutput => ({
  type: "committed",
  version,
  value,
  replayed,
});
const commit = (expectedVersion: number | null, idempotencyKey: string | null = null): RegisterInput => ({
  type: "commit",
  expectedVersion,
  idempotencyKey,
});

/** Runs `a` then `b` sequentially (each invoked and returned before the next). */
function sequential(
  history: DraftHistory,
  steps: readonly [string, RegisterInput, RegisterOutput | "unknown" | "fail"][],
  partition = "d",
): number[] {
  return steps.map(([client, input, output]) => {
    const id = history.invoke(partition, client, input);
    if (output === "unknown") history.unknown(id);
    else if (output === "fail") history.fail(id);
    else history.ok(id, output);
    return id;
  });
}

function rejected(history: DraftHistory) {
  const result = checkLinearizability(history, { start });
  expect(result.verdict, result.report).toBe("not_linearizable");
  expect(result.ok).toBe(false);
  expect(result.counterexample).not.toBeNull();
  return result;
}

function accepted(history: DraftHistory) {
  const result = checkLinearizability(history, { start });
  expect(result.verdict, result.report).toBe("linearizable");
  return result;
}

describe("linearizability checker: known violations are rejected", () => {
  it("a stale read after a committed write", () => {
    const history = createDraftHistory();
    const [write, stale] = sequential(history, [
      ["a", commit(1), committed(2, "A")],
      ["b", { type: "read" }, read(1, "v1")],
    ]);
    const result = rejected(history);
    expect(result.counterexample?.operation.id).toBe(stale);
    expect(result.counterexample?.minimal.map((op) => op.id)).toEqual([write, stale]);
    expect(result.report).toMatch(/cannot be placed[\s\S]*#1 b .*read -> v1 \(v1\)/);
  });

  it("two commits from the same expected version, both acknowledged", () => {
    const history = createDraftHistory();
    const a = history.invoke("d", "a", commit(1));
    const b = history.invoke("d", "b", commit(1));
    history.ok(a, committed(2, "A"));
    history.ok(b, committed(2, "B"));
    const result = rejected(history);
    expect(result.counterexample?.minimal).toHaveLength(2);
  });

  it("a lost update: an acknowledged write whose document a later read does not show", () => {
    const history = createDraftHistory();
    sequential(history, [
      ["a", commit(1), committed(2, "A")],
      ["b", commit(2), committed(3, "B")],
      ["c", { type: "read" }, read(3, "A")],
    ]);
    rejected(history);
  });

  it("a lost update: two writers from one read, the later read shows one of them at the version both claimed", () => {
    const history = createDraftHistory();
    const ra = history.invoke("d", "a", { type: "read" });
    const rb = history.invoke("d", "b", { type: "read" });
    history.ok(ra, read(1, "v1"));
    history.ok(rb, read(1, "v1"));
    const wa = history.invoke("d", "a", commit(1));
    const wb = history.invoke("d", "b", commit(1));
    history.ok(wb, committed(2, "B"));
    history.ok(wa, committed(2, "A"));
    sequential(history, [["c", { type: "read" }, read(2, "B")]]);
    const result = rejected(history);
    expect(result.counterexample?.operation.id).toBe(wa);
  });

  it("a version skipping: a commit from v1 that reports v3, and reads that jump a version nobody wrote", () => {
    const skip = createDraftHistory();
    sequential(skip, [["a", commit(1), committed(3, "A")]]);
    rejected(skip);
    const jump = createDraftHistory();
    sequential(jump, [
      ["a", { type: "read" }, read(1, "v1")],
      ["b", commit(1), committed(2, "B")],
      ["a", { type: "read" }, read(3, "C")],
    ]);
    rejected(jump);
  });

  it("an idempotent retry applied twice, and a replay of a key that never applied", () => {
    const twice = createDraftHistory();
    sequential(twice, [
      ["a", commit(1, "k"), committed(2, "A")],
      ["a", commit(2, "k"), committed(3, "A2")],
    ]);
    rejected(twice);
    const fabricated = createDraftHistory();
    sequential(fabricated, [["a", commit(1, "k"), committed(2, "A", true)]]);
    rejected(fabricated);
  });

  it("a conflict reported while the stored version was the expected one", () => {
    const history = createDraftHistory();
    sequential(history, [["a", commit(1), { type: "conflict", actualVersion: 1 }]]);
    rejected(history);
    const wrongActual = createDraftHistory();
    sequential(wrongActual, [
      ["a", commit(1), committed(2, "A")],
      ["b", commit(1), { type: "conflict", actualVersion: 3 }],
    ]);
    rejected(wrongActual);
  });

  it("an unknown outcome cannot explain more than one write", () => {
    const history = createDraftHistory();
    sequential(history, [
      ["a", commit(1, "k"), "unknown"],
      ["b", { type: "read" }, read(3, "X")],
    ]);
    rejected(history);
  });

  it("a failed operation took no effect: a read may not see it", () => {
    const history = createDraftHistory();
    sequential(history, [
      ["a", commit(1), "fail"],
      ["b", { type: "read" }, read(2, "A")],
    ]);
    rejected(history);
  });
});

describe("linearizability checker: linearizable histories are accepted", () => {
  it("a read overlapping a commit may see either side of it", () => {
    for (const seen of [read(1, "v1"), read(2, "A")]) {
      const history = createDraftHistory();
      const write = history.invoke("d", "a", commit(1));
      const look = history.invoke("d", "b", { type: "read" });
      history.ok(look, seen);
      history.ok(write, committed(2, "A"));
      accepted(history);
    }
  });

  it("an unknown outcome that applied, seen by a later read and replayed by the retry", () => {
    const history = createDraftHistory();
    sequential(history, [
      ["a", commit(1, "k"), "unknown"],
      ["b", { type: "read" }, read(2, "A")],
      ["a", commit(1, "k"), committed(2, "A", true)],
      ["b", { type: "read" }, read(2, "A")],
      ["b", commit(2), committed(3, "B")],
    ]);
    const result = accepted(history);
    expect(result.unknown).toBe(1);
  });

  it("an unknown outcome that did not apply, and the retry that applies it", () => {
    const history = createDraftHistory();
    sequential(history, [
      ["a", commit(1, "k"), "unknown"],
      ["b", { type: "read" }, read(1, "v1")],
      ["a", commit(1, "k"), committed(2, "A")],
    ]);
    accepted(history);
  });

  it("an unknown outcome that took effect late, after later operations", () => {
    const history = createDraftHistory();
    const lost = history.invoke("d", "a", commit(1));
    sequential(history, [
      ["b", { type: "read" }, read(1, "v1")],
      ["b", { type: "read" }, read(1, "v1")],
    ]);
    history.unknown(lost);
    sequential(history, [["b", { type: "read" }, read(2, "late")]]);
    accepted(history);
  });

  it("conflicts carry the stored version and document; unchanged commands read the draft", () => {
    const history = createDraftHistory();
    sequential(history, [
      ["a", commit(1), committed(2, "A")],
      ["b", commit(1), { type: "conflict", actualVersion: 2, value: "A" }],
      ["b", commit(2), { type: "unchanged", version: 2, value: "A" }],
      ["c", commit(null), committed(3, "W")],
    ]);
    accepted(history);
  });

  it("a create from version 0, with a read of the missing draft before it", () => {
    const history = createDraftHistory();
    sequential(history, [
      ["a", { type: "read" }, read(0, "")],
      ["a", commit(0, "create"), committed(1, "C")],
      ["b", commit(0, "create"), committed(1, "C", true)],
      ["b", { type: "read" }, read(1, "C")],
    ]);
    expect(checkLinearizability(history).verdict).toBe("linearizable");
  });

  it("checks each draft on its own (P-compositionality): interleaved drafts do not constrain each other", () => {
    const history = createDraftHistory();
    const a = history.invoke("d1", "a", commit(1));
    const b = history.invoke("d2", "b", commit(1));
    history.ok(b, committed(2, "B"));
    history.ok(a, committed(2, "A"));
    sequential(history, [["c", { type: "read" }, read(2, "A")]], "d1");
    sequential(history, [["c", { type: "read" }, read(2, "B")]], "d2");
    const result = accepted(history);
    expect(result.partitions.map((partition) => [partition.partition, partition.operations])).toEqual([
      ["d1", 2],
      ["d2", 2],
    ]);
  });
});

describe("linearizability checker: any model, and bad input", () => {
  const counter: LinearizabilityModel<number, "inc", number> = {
    init: () => 0,
    step: (state, _input, output) => (output === state + 1 ? output : undefined),
    stepUnknown: (state) => state + 1,
    key: (state) => String(state),
    describeOperation: (_input, output) => `inc -> ${output ?? "?"}`,
    describeState: (state) => String(state),
  };

  it("runs a caller's model (a counter): two increments cannot both answer 1", () => {
    const history = createHistory<"inc", number>();
    const a = history.invoke("c", "a", "inc");
    const b = history.invoke("c", "b", "inc");
    history.ok(a, 1);
    history.ok(b, 2);
    expect(checkModelLinearizability(counter, history).ok).toBe(true);
    const bad = createHistory<"inc", number>();
    bad.ok(bad.invoke("c", "a", "inc"), 1);
    bad.ok(bad.invoke("c", "b", "inc"), 1);
    const result = checkModelLinearizability(counter, bad);
    expect(result.verdict).toBe("not_linearizable");
    expect(result.report).toMatch(/inc -> 1/);
  });

  it("refuses to settle an operation twice, and a history whose return precedes its call", () => {
    const history = createDraftHistory();
    const id = history.invoke("d", "a", { type: "read" });
    history.ok(id, read(1, "v1"));
    expect(() => history.fail(id)).toThrow(/already completed/);
    expect(() => history.ok(99, read(1, "v1"))).toThrow(/no operation 99/);
    const backwards = [{ ...history.operations()[0]!, invokedAt: 5, returnedAt: 2 }];
    expect(() => checkLinearizability(backwards, { start })).toThrow(/returned before it was invoked/);
  });

  it("reports a timeout, not a verdict, when the search runs out of steps", () => {
    const history = createDraftHistory();
    const ids = Array.from({ length: 12 }, (_, i) => history.invoke("d", `c${i}`, commit(1)));
    ids.forEach((id, i) => history.ok(id, committed(2, `W${i}`)));
    const result = checkLinearizability(history, { start, maxSteps: 5 });
    expect(result.verdict).toBe("timeout");
    expect(result.ok).toBe(false);
    expect(result.report).toMatch(/no verdict/);
  });
});

describe("recordingEngine: an engine's calls as register operations", () => {
  it("records creates, reads, commits, conflicts, replays, failures and unknown outcomes as the register sees them", async () => {
    const memory = createMemoryStore();
    const { store, faults } = injectFaults(memory, { seed: 1, writes: ["commit"], failAfter: 1 });
    faults.setEnabled(false);
    const engine = createOnboardingEngine({ store, authorize: () => true });
    const history = createDraftHistory();
    const a = recordingEngine(engine, history, "a");
    const actor = { id: "u" };
    await expect(a.get("ws", "d", { actor })).rejects.toBeInstanceOf(DraftNotFoundError);
    const { draft } = await a.create("ws", { id: "d", identity: { tenantId: "t", displayName: "A" } }, { actor });
    const rename = { type: "identify", tenantId: "t", displayName: "B" } as const;
    const applied = await a.execute("ws", "d", rename, { actor, expectedVersion: 1, idempotencyKey: "k" });
    await a.execute("ws", "d", rename, { actor, expectedVersion: 1, idempotencyKey: "k" });
    await a.execute("ws", "d", rename, { actor, expectedVersion: 2 });
    await expect(a.execute("ws", "d", { type: "cancel" }, { actor, expectedVersion: 1 })).rejects.toBeInstanceOf(
      VersionConflictError,
    );
    await expect(
      a
        .execute("ws", "d", { type: "identify", tenantId: "other", displayName: "C" }, { actor, expectedVersion: 2 })
        .then(() => a.execute("ws", "d", { type: "select_provider", connectionId: "c" }, { actor, expectedVersion: 3 }))
        .then(() =>
          a.execute(
            "ws",
            "d",
            { type: "identify", tenantId: "again", displayName: "D" },
            { actor, expectedVersion: 4 },
          ),
        ),
    ).rejects.toBeInstanceOf(InvalidTransitionError);
    faults.setEnabled(true);
    await expect(a.execute("ws", "d", { type: "cancel" }, { actor, expectedVersion: 4 })).rejects.toBeInstanceOf(
      StoreError,
    );
    const outcomes = history
      .operations()
      .map((op) => [
        op.input.type === "commit" ? op.input.expectedVersion : "read",
        op.status,
        op.output?.type ?? null,
      ]);
    expect(outcomes).toEqual([
      ["read", "ok", "read"],
      [0, "ok", "committed"],
      [1, "ok", "committed"],
      [1, "ok", "committed"],
      [2, "ok", "unchanged"],
      [1, "ok", "conflict"],
      [2, "ok", "committed"],
      [3, "ok", "committed"],
      [4, "fail", null],
      [4, "unknown", null],
    ]);
    const ops = history.operations();
    expect(ops[0]?.output).toEqual({ type: "read", version: 0, value: "" });
    expect(ops[1]?.output).toEqual({ type: "committed", version: 1, value: draftDigest(draft), replayed: false });
    expect(ops[3]?.output).toEqual({
      type: "committed",
      version: 2,
      value: draftDigest(applied.draft),
      replayed: true,
    });
    expect(ops[5]?.output).toMatchObject({ type: "conflict", actualVersion: 2 });
    expect(ops[1]?.partition).toBe(draftPartition("ws", "d"));
    expect(checkLinearizability(history).verdict).toBe("linearizable");
  });
});
