/**
 * The seeded fault injector (`injectFaults`) on the memory store, through the engine: each kind
 * of fault does what it says (a failure before the commit writes nothing; a failure after it
 * wrote, and the caller sees the same StoreError; latency; commits sent in a shuffled order; a
 * dropped connection that fails every call for a while and loses in-flight replies), the same
 * seed replays the same faults, and the log says what happened.
 */
import { describe, expect, it } from "vitest";
import { createMemoryStore } from "../../src/adapters/memory/index.js";
import { createOnboardingEngine } from "../../src/engine/index.js";
import { StoreError, isOnboardingError } from "../../src/record/index.js";
import type { CommitInput } from "../../src/store/index.js";
import { InjectedFault, injectFaults, injectedFaultOf, withFaults, type FaultPlan } from "../../src/testing/index.js";

const actor = { id: "u" };
const identity = { tenantId: "t", displayName: "Contoso" };

async function setup(plan: Omit<FaultPlan, "seed"> & { seed?: number }) {
  const memory = createMemoryStore();
  const { store, faults } = injectFaults(memory, { seed: 1, ...plan });
  const engine = createOnboardingEngine({ store, authorize: () => true });
  const direct = createOnboardingEngine({ store: memory, authorize: () => true });
  faults.setEnabled(false);
  const { draft } = await engine.create("ws", { identity }, { actor });
  faults.setEnabled(true);
  return { memory, store, faults, engine, direct, draft };
}

const rename = (n: number) => ({ type: "identify", tenantId: "t", displayName: `Name ${n}` }) as const;

describe("injectFaults: each kind of fault", () => {
  it("fails a commit before the store sees it: nothing is written, the caller gets a StoreError", async () => {
    const { engine, direct, draft, faults } = await setup({ failBefore: 1 });
    const error = await engine
      .execute("ws", draft.id, rename(1), { actor, expectedVersion: 1 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreError);
    expect(isOnboardingError(error) && error.code).toBe("store_failure");
    expect((error as Error).cause).toBeInstanceOf(InjectedFault);
    expect(injectedFaultOf(error)).toMatchObject({
      kind: "before",
      method: "commit",
      call: 1,
      draft: `ws/${draft.id}`,
    });
    expect((await direct.get("ws", draft.id, { actor })).version).toBe(1);
    expect(faults.counts().before).toBe(1);
  });

  it("fails a commit after the store applied it, with the same error: a retry under the key replays it", async () => {
    const { engine, direct, draft, faults } = await setup({ failAfter: 1 });
    const options = { actor, expectedVersion: 1, idempotencyKey: "key-1" };
    const error = await engine.execute("ws", draft.id, rename(1), options).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreError);
    expect((error as Error).message).toBe("memory store failed during commit: connection lost (injected fault)");
    expect(injectedFaultOf(error)).toMatchObject({ kind: "after", applied: true });
    expect((await direct.get("ws", draft.id, { actor })).version).toBe(2);
    faults.setEnabled(false);
    const retried = await engine.execute("ws", draft.id, rename(1), options);
    expect(retried).toMatchObject({ replayed: true, version: 2 });
  });

  it("logs whether the store applied a write it then failed (a rejected one did not)", async () => {
    const { store, faults, draft } = await setup({ failAfter: 1 });
    const stale: CommitInput = {
      draft: { ...draft, version: 8 },
      document: "",
      expectedVersion: 7,
      events: [],
      idempotency: null,
    };
    await expect(store.commit(stale)).rejects.toBeInstanceOf(StoreError);
    expect(faults.log.at(-1)).toMatchObject({ kind: "after", applied: false });
  });

  it("adds latency, and fails other calls (reads) when asked", async () => {
    const { engine, draft, faults } = await setup({ latency: { rate: 1, minMs: 15, maxMs: 15 } });
    const started = performance.now();
    await engine.get("ws", draft.id, { actor });
    expect(performance.now() - started).toBeGreaterThanOrEqual(14);
    expect(faults.log.at(-1)).toMatchObject({ kind: "latency", method: "load", detail: "15 ms" });
    const reads = await setup({ failOther: 1 });
    await expect(reads.engine.get("ws", reads.draft.id, { actor })).rejects.toBeInstanceOf(StoreError);
    expect(reads.faults.counts().other).toBe(1);
  });

  it("holds concurrent commits and sends them to the store in a shuffled order", async () => {
    const memory = createMemoryStore();
    const seen: string[] = [];
    const spied = new Proxy(memory, {
      get(target, property, receiver) {
        if (property !== "commit") return Reflect.get(target, property, receiver) as unknown;
        return (input: CommitInput) => {
          seen.push(input.draft.id);
          return target.commit(input);
        };
      },
    });
    const { store, faults } = injectFaults(spied, { seed: 3, reorder: { window: 6, holdMs: 50 } });
    const engine = createOnboardingEngine({ store, authorize: () => true });
    const drafts = [];
    for (let i = 0; i < 6; i += 1) {
      drafts.push(
        (await engine.create("ws", { id: `d${i}`, identity: { ...identity, tenantId: `t${i}` } }, { actor })).draft,
      );
    }
    const sent = drafts.map((d) => d.id);
    await Promise.all(
      drafts.map((d, i) =>
        engine.execute("ws", d.id, { type: "select_provider", connectionId: `c${i}` }, { actor, expectedVersion: 1 }),
      ),
    );
    const record = faults.log.find((r) => r.kind === "reorder");
    expect(record?.detail).toMatch(/^6 commits sent in the order /);
    const order = record!.detail.replace(/.* /, "").split(",").map(Number);
    expect(seen).toEqual(order.map((i) => sent[i]));
    expect(seen).not.toEqual(sent);
  });

  it("drops the connection: calls in flight lose their replies, the next calls fail, then it recovers", async () => {
    const memory = createMemoryStore();
    // A store whose loads take 20 ms, so a load is in flight when the connection drops.
    const slow = new Proxy(memory, {
      get(target, property, receiver) {
        if (property !== "load") return Reflect.get(target, property, receiver) as unknown;
        return async (workspaceId: string, draftId: string) => {
          await new Promise((resolve) => setTimeout(resolve, 20));
          return target.load(workspaceId, draftId);
        };
      },
    });
    const { store, faults } = injectFaults(slow, { seed: 1 });
    const engine = createOnboardingEngine({ store, authorize: () => true });
    const { draft } = await engine.create("ws", { identity }, { actor });
    const inFlight = engine.get("ws", draft.id, { actor }).catch((e: unknown) => e);
    await new Promise((resolve) => setTimeout(resolve, 5));
    faults.disconnect({ calls: 3 });
    expect(injectedFaultOf(await inFlight)).toMatchObject({ kind: "lost_reply", method: "load", applied: null });
    for (let i = 0; i < 3; i += 1) {
      const error = await engine.get("ws", draft.id, { actor }).catch((e: unknown) => e);
      expect(injectedFaultOf(error)?.kind).toBe("offline");
    }
    await expect(engine.get("ws", draft.id, { actor })).resolves.toMatchObject({ version: 1 });
    expect(faults.log.map((record) => record.kind)).toEqual([
      "disconnect",
      "lost_reply",
      "offline",
      "offline",
      "offline",
    ]);
  });

  it("drops the connection at a seeded rate, for a number of milliseconds", async () => {
    const { engine, draft, faults } = await setup({ disconnect: { rate: 1, ms: 30 } });
    const first = await engine.get("ws", draft.id, { actor }).catch((e: unknown) => e);
    expect(injectedFaultOf(first)?.kind).toBe("lost_reply");
    expect(faults.log.find((r) => r.kind === "disconnect")?.detail).toBe("for 30 ms");
    faults.setEnabled(false);
    await expect(engine.get("ws", draft.id, { actor })).resolves.toMatchObject({ version: 1 });
  });

  it("passes what is not a port method through, and goes straight to the store when disabled", async () => {
    const { store, memory, faults } = await setup({ failBefore: 1, failOther: 1 });
    expect(store.stores).toBe("values");
    expect(store.rawDocument).toBeTypeOf("function");
    faults.setEnabled(false);
    expect(await store.listAudit("ws", "nope")).toEqual([]);
    store.clear();
    expect(memory.rawDocument("ws", "nope")).toBeNull();
  });
});

describe("injectFaults: seeded and replayable", () => {
  /** A sequential workload: the same calls in the same order every time. */
  async function workload(seed: number) {
    const plan: FaultPlan = {
      seed,
      failBefore: 0.2,
      failAfter: 0.2,
      failOther: 0.05,
      disconnect: { rate: 0.02, calls: 2 },
    };
    const { store, faults } = injectFaults(createMemoryStore(), plan);
    const engine = createOnboardingEngine({ store, authorize: () => true, ids: sequentialIds() });
    let version = 0;
    let id = "d";
    for (let i = 0; i < 200; i += 1) {
      try {
        if (version === 0) {
          const created = await engine.create("ws", { id: "d", identity }, { actor, idempotencyKey: "create" });
          id = created.draft.id;
          version = created.draft.version;
        } else {
          version = (
            await engine.execute("ws", id, rename(i), { actor, expectedVersion: version, idempotencyKey: `k${i}` })
          ).version;
        }
      } catch {
        version = await engine.get("ws", id, { actor }).then(
          (d) => d.version,
          () => version,
        );
      }
    }
    return faults.log.map(({ atMs: _, ...rest }) => rest);
  }

  it("gives the same faults to the same calls for the same seed, and others for another seed", async () => {
    const first = await workload(42);
    const again = await workload(42);
    expect(first.length).toBeGreaterThan(20);
    expect(again).toEqual(first);
    expect(await workload(43)).not.toEqual(first);
  });

  it("prints the seed, the counts and the last records for a failing test", async () => {
    const { engine, draft, faults } = await setup({ seed: 9, failBefore: 1 });
    await engine.execute("ws", draft.id, rename(1), { actor, expectedVersion: 1 }).catch(() => undefined);
    expect(faults.format()).toMatch(
      /^injected faults \(seed 9\): before 1\n {2}#1 \+\d+\.\dms before commit#1 ws\/\S+$/,
    );
    expect(faults.calls().commit).toBe(1);
  });
});

describe("withFaults (the first wrapper)", () => {
  it("fails chosen methods at random, before or after the real call", async () => {
    const memory = createMemoryStore();
    const flaky = withFaults(memory, { methods: ["commit"], failureRate: 1, when: "after", random: () => 0 });
    const engine = createOnboardingEngine({ store: flaky, authorize: () => true });
    const { draft } = await engine.create("ws", { identity }, { actor });
    await expect(engine.execute("ws", draft.id, rename(1), { actor, expectedVersion: 1 })).rejects.toBeInstanceOf(
      StoreError,
    );
    expect((await memory.load("ws", draft.id)) === null).toBe(false);
    const direct = createOnboardingEngine({ store: memory, authorize: () => true });
    expect((await direct.get("ws", draft.id, { actor })).version).toBe(2);
  });
});

function sequentialIds() {
  let n = 0;
  return { draftId: () => `d${(n += 1)}`, runId: () => `r${(n += 1)}`, eventId: () => `e${(n += 1)}` };
}
