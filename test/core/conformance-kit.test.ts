/**
 * The conformance kit itself, run under a hand-made test runner: it registers one group per
 * section, every test body declares no parameter (jest would take one for a `done` callback),
 * and a test of an optional feature the store lacks is skipped through the runner (the test
 * context's `skip`, as vitest passes it; the runner's own `skip`; or a loud warning where the
 * runner has neither, as under jest), never passed silently. A test whose feature is there runs.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { createMemoryStore } from "../../src/adapters/memory/index.js";
import { describeStoreConformance, type ConformanceHarness, type TestRunner } from "../../src/testing/index.js";

interface Registered {
  readonly path: readonly string[];
  readonly body: () => Promise<void>;
}

/** A runner that records what the kit registers, so a test can run chosen kit tests by hand. */
function recordingRunner(extra: Partial<Pick<TestRunner, "skip">> = {}) {
  const tests: Registered[] = [];
  const before: Array<() => Promise<void>> = [];
  const after: Array<() => Promise<void>> = [];
  const groups: string[][] = [];
  const stack: string[] = [];
  const runner: TestRunner = {
    describe(name, body) {
      stack.push(name);
      groups.push([...stack]);
      body();
      stack.pop();
    },
    it(name, body) {
      tests.push({ path: [...stack, name], body });
    },
    beforeAll(body) {
      before.push(body);
    },
    afterAll(body) {
      after.push(body);
    },
    ...extra,
  };
  const find = (fragment: string): Registered => {
    const found = tests.filter((test) => test.path.at(-1)?.includes(fragment));
    if (found.length !== 1) throw new Error(`${found.length} kit tests match ${JSON.stringify(fragment)}`);
    return found[0]!;
  };
  return { runner, tests, groups, before, after, find };
}

/** A memory store (it keeps values, not text), with `pruneIdempotency`, and no stored-version back door. */
const memoryHarness = async (): Promise<ConformanceHarness> => {
  const store = createMemoryStore();
  return {
    store,
    writeRawDocument: async (ws, id, raw) => store.setRawDocument(ws, id, raw),
    teardown: async () => store.clear(),
  };
};

class SkipSignal extends Error {}

const PEEK = "(stores of text)";
const STORED_VERSION = "stores that keep one";
const NON_JSON = "stored text that is not JSON";
const PRUNE = "prunes idempotency records";

async function withKit(
  extra: Partial<Pick<TestRunner, "skip">>,
  run: (kit: ReturnType<typeof recordingRunner>) => Promise<void>,
) {
  const kit = recordingRunner(extra);
  describeStoreConformance("kit", memoryHarness, { runner: kit.runner, numRuns: 1 });
  for (const hook of kit.before) await hook();
  try {
    await run(kit);
  } finally {
    for (const hook of kit.after) await hook();
  }
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("conformance kit: sections and runner compatibility", () => {
  it("registers one group per section under the suite", () => {
    const kit = recordingRunner();
    describeStoreConformance("kit", memoryHarness, { runner: kit.runner });
    expect(kit.groups.filter((path) => path.length === 2).map((path) => path[1])).toEqual([
      "records",
      "compare-and-set",
      "engine guarantees on this store",
      "isolation, identity and recovery",
      "model-based",
      "outbox",
      "linearizability",
      "audit paging",
    ]);
    expect(kit.tests.length).toBeGreaterThan(30);
  });

  it("hands the runner bodies that declare no parameter (jest reads one as a done callback)", () => {
    const kit = recordingRunner();
    describeStoreConformance("kit", memoryHarness, { runner: kit.runner });
    for (const test of kit.tests) expect(test.body.length, test.path.join(" > ")).toBe(0);
  });
});

describe("conformance kit: a missing optional feature is a visible skip", () => {
  it("calls the test context's skip (as vitest passes it) with the reason, and stops the test there", async () => {
    await withKit({}, async (kit) => {
      for (const fragment of [PEEK, STORED_VERSION]) {
        const notes: string[] = [];
        const context = {
          skip: (note: string) => {
            notes.push(note);
            throw new SkipSignal(note);
          },
        };
        const body = kit.find(fragment).body as (context: unknown) => Promise<void>;
        await expect(body(context)).rejects.toBeInstanceOf(SkipSignal);
        expect(notes).toHaveLength(1);
        expect(notes[0]).toMatch(fragment === PEEK ? /keeps values, not text/ : /no version beside the document/);
      }
    });
  });

  it("uses the runner's own skip when given one, with the context and the reason", async () => {
    const calls: Array<[unknown, string]> = [];
    await withKit({ skip: (context, reason) => calls.push([context, reason]) }, async (kit) => {
      const context = { marker: true };
      const body = kit.find(PEEK).body as (context: unknown) => Promise<void>;
      await body(context);
      expect(calls).toEqual([[context, expect.stringMatching(/keeps values, not text/)]]);
    });
  });

  it("warns loudly where the runner can mark nothing skipped (jest passes no context)", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    await withKit({}, async (kit) => {
      await kit.find(STORED_VERSION).body();
      expect(warn).toHaveBeenCalledTimes(1);
      expect(String(warn.mock.calls[0]?.[0])).toMatch(/SKIPPED .*stores that keep one.*no version beside the document/);
    });
  });

  it("runs, and does not skip, a test whose feature the store has", async () => {
    await withKit({}, async (kit) => {
      for (const fragment of [NON_JSON, PRUNE]) {
        const context = { skip: () => expect.unreachable(`${fragment} was skipped`) };
        await (kit.find(fragment).body as (context: unknown) => Promise<void>)(context);
      }
    });
  });
});

describe("conformance kit: the linearizability section catches a store that is not linearizable", () => {
  /** A memory store whose loads sometimes answer what an earlier load saw (a lagging replica). */
  const staleHarness = async (): Promise<ConformanceHarness> => {
    const memory = createMemoryStore();
    const seen = new Map<string, Awaited<ReturnType<typeof memory.load>>>();
    let calls = 0;
    const store = new Proxy(memory, {
      get(target, property, receiver) {
        if (property !== "load") return Reflect.get(target, property, receiver) as unknown;
        return async (workspaceId: string, draftId: string) => {
          const fresh = await target.load(workspaceId, draftId);
          const key = `${workspaceId}/${draftId}`;
          const old = seen.get(key);
          calls += 1;
          if (old !== undefined && calls % 3 === 0) return old;
          seen.set(key, fresh);
          return fresh;
        };
      },
    });
    return { store, writeRawDocument: async () => {}, teardown: async () => memory.clear() };
  };

  it("fails the run with the counterexample and the seed to replay it", async () => {
    const kit = recordingRunner();
    describeStoreConformance("stale", staleHarness, { runner: kit.runner, seed: 7 });
    for (const hook of kit.before) await hook();
    try {
      await expect(kit.find("records a linearizable history").body()).rejects.toThrow(
        /NOT linearizable[\s\S]*cannot be placed[\s\S]*replay with the conformance option seed: 7/,
      );
    } finally {
      for (const hook of kit.after) await hook();
    }
  });
});
