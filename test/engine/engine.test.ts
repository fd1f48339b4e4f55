/**
 * Engine behaviour that does not depend on the store: results are sealed drafts, authorization
 * (synchronous and asynchronous answers) with audited denials, worker retries on conflict,
 * validation of the call arguments, and the injected clock. The store-dependent promises live
 * in the conformance kit (`src/testing/conformance.ts`), run against every adapter.
 */
import { describe, expect, it } from "vitest";
import { fc, test } from "@fast-check/vitest";
import {
  AuthorizationError,
  RetryExhaustedError,
  ValidationError,
  createOnboardingEngine,
  isSealedDraft,
  type Authorize,
  type OnboardingDraft,
} from "../../src/index.js";
import { createMemoryStore } from "../../src/adapters/memory/index.js";
import type { CommitInput, DraftStore, StoredAuditEntry, WriteResult } from "../../src/store/index.js";
import {
  IdArgumentSchema,
  KeyArgumentSchema,
  VersionArgumentSchema,
  isIdArgument,
  isKeyArgument,
  isVersionArgument,
} from "../../src/engine/options.js";

const actor = { id: "operator" };
const allow: Authorize = () => true;

function everyNode(value: unknown, into: object[] = []): object[] {
  if (typeof value === "object" && value !== null) {
    into.push(value);
    for (const child of Object.values(value)) everyNode(child, into);
  }
  return into;
}

async function identified(engine: ReturnType<typeof createOnboardingEngine>, ws = "ws") {
  const { draft } = await engine.create(ws, { identity: { tenantId: "t-1", displayName: "Contoso" } }, { actor });
  return draft;
}

describe("results are sealed drafts", () => {
  it("create, execute and get return deep-frozen drafts the codec knows are valid", async () => {
    const store = createMemoryStore();
    const engine = createOnboardingEngine({ store, authorize: allow });
    const created = await identified(engine);
    const { draft } = await engine.execute(
      "ws",
      created.id,
      { type: "select_provider", connectionId: "c-1" },
      {
        actor,
        expectedVersion: created.version,
      },
    );
    const read = await engine.get("ws", created.id, { actor });
    for (const value of [created, draft, read]) {
      expect(isSealedDraft(value)).toBe(true);
      for (const node of everyNode(value)) expect(Object.isFrozen(node)).toBe(true);
    }
    expect(() => {
      (read as { version: number }).version = 1;
    }).toThrow(TypeError);
    expect((await engine.get("ws", created.id, { actor })).version).toBe(2);
  });

  it("audit entries handed out are frozen too, and the stored trail does not change through them", async () => {
    const store = createMemoryStore();
    const engine = createOnboardingEngine({ store, authorize: allow });
    const draft = await identified(engine);
    const [entry] = (await store.listAudit("ws", draft.id)).map(({ event }) => event);
    expect(Object.isFrozen(entry)).toBe(true);
    const trail = (await store.listAudit("ws", draft.id)) as StoredAuditEntry[];
    trail.length = 0;
    expect(await store.listAudit("ws", draft.id)).toHaveLength(1);
  });
});

describe("authorization", () => {
  const cases: readonly [string, (allowed: boolean) => boolean | Promise<boolean>][] = [
    ["synchronous", (allowed) => allowed],
    ["asynchronous", (allowed) => Promise.resolve(allowed)],
  ];

  for (const [name, answer] of cases) {
    it(`${name} answers: a denial throws AuthorizationError, is audited, and writes nothing else`, async () => {
      const store = createMemoryStore();
      const engine = createOnboardingEngine({
        store,
        authorize: (who, capability) => answer(who.id !== "intern" || capability === "view"),
      });
      const draft = await identified(engine);
      const denied = engine.execute(
        "ws",
        draft.id,
        { type: "cancel" },
        { actor: { id: "intern" }, expectedVersion: 1 },
      );
      await expect(denied).rejects.toBeInstanceOf(AuthorizationError);
      await expect(denied).rejects.toMatchObject({ code: "forbidden", capability: "cancel", actorId: "intern" });
      expect((await engine.get("ws", draft.id, { actor })).version).toBe(1);
      const trail = (await engine.history("ws", draft.id, { actor })).entries;
      expect(trail.map((event) => event.kind)).toEqual(["created", "denied"]);
      expect(trail[1]).toMatchObject({
        actorId: "intern",
        capability: "cancel",
        commandType: "cancel",
        fromVersion: 1,
      });
      // The same actor may still read.
      expect((await engine.get("ws", draft.id, { actor: { id: "intern" } })).id).toBe(draft.id);
    });
  }

  it("asks for every capability a command needs, in order, mixing synchronous and asynchronous answers", async () => {
    const asked: string[] = [];
    const engine = createOnboardingEngine({
      store: createMemoryStore(),
      authorize: (_who, capability) => {
        asked.push(capability);
        if (capability === "override_readiness") return Promise.resolve(false);
        return true;
      },
    });
    const draft = await identified(engine);
    const moved = await engine.execute(
      "ws",
      draft.id,
      { type: "select_provider", connectionId: "c-1" },
      { actor, expectedVersion: 1 },
    );
    const started = await engine.execute(
      "ws",
      draft.id,
      { type: "start_verification" },
      { actor, expectedVersion: moved.version },
    );
    const runId = started.runIds[0]!;
    await engine.execute(
      "ws",
      draft.id,
      { type: "record_verification_result", runId, status: "completed", outcome: "partially_succeeded" },
      { actor },
    );
    asked.length = 0;
    const current = await engine.get("ws", draft.id, { actor });
    const attempt = engine.execute(
      "ws",
      draft.id,
      { type: "activate", override: { reason: "accepted" } },
      {
        actor,
        expectedVersion: current.version,
      },
    );
    await expect(attempt).rejects.toMatchObject({ code: "forbidden", capability: "override_readiness" });
    expect(asked.filter((capability) => capability !== "view")).toEqual(["activate", "override_readiness"]);
  });

  it("an authorize function that throws stops the command; nothing is written", async () => {
    const boom = new Error("policy service down");
    const engine = createOnboardingEngine({
      store: createMemoryStore(),
      authorize: (_who, capability) => {
        if (capability === "cancel") throw boom;
        return true;
      },
    });
    const draft = await identified(engine);
    await expect(engine.execute("ws", draft.id, { type: "cancel" }, { actor, expectedVersion: 1 })).rejects.toBe(boom);
    expect((await engine.get("ws", draft.id, { actor })).version).toBe(1);
  });

  it("a rejected asynchronous answer stops the command the same way", async () => {
    const boom = new Error("timeout");
    const engine = createOnboardingEngine({
      store: createMemoryStore(),
      authorize: (_who, capability) => (capability === "cancel" ? Promise.reject(boom) : true),
    });
    const draft = await identified(engine);
    await expect(engine.execute("ws", draft.id, { type: "cancel" }, { actor, expectedVersion: 1 })).rejects.toBe(boom);
    expect((await engine.get("ws", draft.id, { actor })).version).toBe(1);
  });
});

describe("call arguments", () => {
  it("bad ids, keys and versions are ValidationError with the argument's path, before any read", async () => {
    const engine = createOnboardingEngine({ store: createMemoryStore(), authorize: allow });
    const draft = await identified(engine);
    const attempts: [Promise<unknown>, (string | number)[]][] = [
      [engine.execute("", draft.id, { type: "cancel" }, { actor, expectedVersion: 1 }), ["workspaceId"]],
      [engine.execute("ws", "x".repeat(129), { type: "cancel" }, { actor, expectedVersion: 1 }), ["draftId"]],
      [
        engine.execute("ws", draft.id, { type: "cancel" }, { actor: { id: 7 } as never, expectedVersion: 1 }),
        ["actor", "id"],
      ],
      [
        engine.execute("ws", draft.id, { type: "cancel" }, { actor, expectedVersion: 1, idempotencyKey: "" }),
        ["idempotencyKey"],
      ],
      [engine.execute("ws", draft.id, { type: "cancel" }, { actor, expectedVersion: 0 }), ["expectedVersion"]],
      [engine.execute("ws", draft.id, { type: "cancel" }, { actor, expectedVersion: 1.5 }), ["expectedVersion"]],
      [
        engine.execute("ws", draft.id, { type: "cancel" }, { actor, expectedVersion: "1" as never }),
        ["expectedVersion"],
      ],
      [engine.get("ws", draft.id, { actor: { id: "" } }), ["actor", "id"]],
    ];
    for (const [attempt, path] of attempts) {
      const error = await attempt.then(
        () => null,
        (caught: unknown) => caught,
      );
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).issues[0]!.path.slice(0, path.length)).toEqual(path);
    }
    expect((await engine.get("ws", draft.id, { actor })).version).toBe(1);
  });

  const anyValue = fc.oneof(
    fc.string({ maxLength: 300 }),
    // Lone surrogates and U+0000 among ordinary text: the pre-checks must refuse them as zod does.
    fc.string({ maxLength: 300, unit: "binary" }),
    fc
      .array(fc.constantFrom("a", "\uD800", "\uDC00", "\u0000", "\u{1F600}", "\uFFFD"), { maxLength: 8 })
      .map((parts) => parts.join("")),
    fc.integer(),
    fc.constantFrom(2 ** 31 - 1, 2 ** 31),
    fc.double(),
    fc.constantFrom(
      undefined,
      null,
      "",
      0,
      -0,
      1,
      Number.MAX_SAFE_INTEGER,
      Number.MAX_SAFE_INTEGER + 1,
      Number.NaN,
      Infinity,
    ),
    fc.anything(),
  );

  test.prop([anyValue], { numRuns: 1000 })(
    "the fast pre-checks accept exactly what the zod schemas accept",
    (value) => {
      expect(isIdArgument(value)).toBe(IdArgumentSchema.safeParse(value).success);
      expect(isKeyArgument(value)).toBe(KeyArgumentSchema.safeParse(value).success);
      expect(isVersionArgument(value)).toBe(VersionArgumentSchema.safeParse(value).success);
    },
  );
});

describe("the injected clock", () => {
  it("stamps every write with the clock's reading, whether it returns numbers or Dates", async () => {
    const readings: (number | Date)[] = [
      Date.UTC(2026, 0, 1),
      Date.UTC(2026, 0, 1),
      new Date(Date.UTC(2026, 0, 2)),
      Date.UTC(2026, 0, 1),
      Date.UTC(2026, 0, 3),
    ];
    let index = 0;
    const engine = createOnboardingEngine({
      store: createMemoryStore(),
      authorize: allow,
      clock: { now: () => readings[Math.min(index++, readings.length - 1)]! },
    });
    const stamps: string[] = [];
    let draft: OnboardingDraft = (await engine.create("ws", {}, { actor })).draft;
    stamps.push(draft.updatedAt);
    for (const displayName of ["A", "B", "C", "D"]) {
      draft = (
        await engine.execute(
          "ws",
          draft.id,
          { type: "identify", tenantId: "t", displayName },
          { actor, expectedVersion: draft.version },
        )
      ).draft;
      stamps.push(draft.updatedAt);
    }
    expect(stamps).toEqual([
      "2026-01-01T00:00:00.000Z",
      "2026-01-01T00:00:00.000Z",
      "2026-01-02T00:00:00.000Z",
      "2026-01-01T00:00:00.000Z",
      "2026-01-03T00:00:00.000Z",
    ]);
  });
});

describe("worker retries", () => {
  async function runningVerification(failures: number, attempts: number) {
    const delays: number[] = [];
    const store = createMemoryStore();
    const engine = createOnboardingEngine({
      store,
      authorize: allow,
      retry: {
        attempts,
        baseDelayMs: 4,
        maxDelayMs: 10,
        random: () => 0.99,
        sleep: async (ms) => void delays.push(ms),
      },
    });
    const draft = await identified(engine);
    const moved = await engine.execute(
      "ws",
      draft.id,
      { type: "select_provider", connectionId: "c-1" },
      { actor, expectedVersion: 1 },
    );
    const started = await engine.execute(
      "ws",
      draft.id,
      { type: "start_verification" },
      { actor, expectedVersion: moved.version },
    );
    // From here on the store loses the next `failures` compare-and-sets.
    const flaky = Object.assign(Object.create(store) as DraftStore, {
      remaining: failures,
      async commit(this: { remaining: number }, input: CommitInput): Promise<WriteResult> {
        if (this.remaining > 0) {
          this.remaining -= 1;
          return { ok: false, reason: "version_conflict", actualVersion: input.expectedVersion + 1 };
        }
        return store.commit(input);
      },
    });
    const worker = createOnboardingEngine({
      store: flaky,
      authorize: allow,
      retry: {
        attempts,
        baseDelayMs: 4,
        maxDelayMs: 10,
        random: () => 0.99,
        sleep: async (ms) => void delays.push(ms),
      },
    });
    return { engine, worker, draftId: draft.id, runId: started.runIds[0]!, delays };
  }

  it("a report that loses the compare-and-set is retried after a jittered, capped delay and then applied", async () => {
    const { engine, worker, draftId, runId, delays } = await runningVerification(3, 8);
    const result = await worker.execute(
      "ws",
      draftId,
      { type: "record_verification_result", runId, status: "running" },
      { actor },
    );
    expect(result.feedback).toBe("recorded");
    expect(delays).toEqual([3, 7, 9]); // floor(0.99 * min(10, 4 * 2^(n-1)))
    expect((await engine.get("ws", draftId, { actor })).verification?.status).toBe("running");
  });

  it("gives up with RetryExhaustedError after the configured attempts, having written nothing", async () => {
    const { engine, worker, draftId, runId } = await runningVerification(100, 4);
    const before = (await engine.get("ws", draftId, { actor })).version;
    const attempt = worker.execute(
      "ws",
      draftId,
      { type: "record_verification_result", runId, status: "running" },
      { actor },
    );
    await expect(attempt).rejects.toBeInstanceOf(RetryExhaustedError);
    await expect(attempt).rejects.toMatchObject({ code: "retry_exhausted", attempts: 4 });
    expect((await engine.get("ws", draftId, { actor })).version).toBe(before);
  });
});
