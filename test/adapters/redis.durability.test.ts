/**
 * The Redis store's `durability` option without a cluster: option checks, what each write and
 * replay sends (one pipeline: the script or GET, the barrier, WAIT), how each reply is read
 * (NOSCRIPT, redirects, too few replicas, a WAIT that never answered, rejections), through a
 * recording fake client; then on the standalone server (127.0.0.1:6379, which has no replica):
 * every durable write is applied on the master and reported unconfirmed after the timeout.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Redis } from "ioredis";
import {
  COMMIT_SCRIPT,
  DEFAULT_DURABILITY_TIMEOUT_MS,
  UnconfirmedReplicationError,
  createRedisStore,
  unconfirmedReplicationOf,
} from "../../src/adapters/redis/index.js";
import { createOnboardingEngine } from "../../src/index.js";
import { ConfigurationError, StoreError } from "../../src/record/index.js";
import { withDocument } from "../../src/testing/index.js";
import { serviceAvailable, uniqueSuffix } from "../support/services.js";
import {
  auditEvent,
  deleteKeysWithPrefix,
  makeDraft,
  next,
  probeRedis,
  standaloneClient,
} from "./fixtures/redis-harness.js";

type Reply = [Error | null, unknown];

/** A fake client: records every pipeline and call, answers pipelines from a queue. */
function fakeClient(pipelineReplies: Reply[][], callReply: (command: string, args: unknown[]) => unknown = () => null) {
  const pipelines: (string | number)[][][] = [];
  const calls: unknown[][] = [];
  const client = {
    pipeline() {
      const queued: (string | number)[][] = [];
      return {
        call(command: string, ...args: (string | number)[]) {
          queued.push([command, ...args]);
          return this;
        },
        async exec(): Promise<Reply[]> {
          pipelines.push(queued);
          const replies = pipelineReplies.shift();
          if (replies === undefined) throw new Error("no more pipeline replies");
          return replies;
        },
      };
    },
    async call(command: string, ...args: unknown[]): Promise<unknown> {
      calls.push([command, ...args]);
      return callReply(command, args);
    },
  };
  return { client: client as unknown as Redis, pipelines, calls };
}

const ok: Reply = [null, ["ok"]];
const barrierOk: Reply = [null, "OK"];
const acked = (n: number): Reply => [null, n];

function commitInput() {
  const draft = makeDraft("ws", "d1", { tenantId: "t", displayName: "a" });
  const changed = next(draft, { type: "identify", tenantId: "t", displayName: "b" });
  return withDocument({
    draft: changed,
    expectedVersion: 1,
    events: [auditEvent(changed, "committed")],
    idempotency: null,
  });
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error("expected a rejection");
    },
    (error: unknown) => error,
  );
}

describe("redis durability option: checks", () => {
  const { client } = fakeClient([]);
  it.each([0, -1, 1.5, Number.NaN, "1" as unknown as number])("refuses replicas = %s", (replicas) => {
    expect(() => createRedisStore({ client, durability: { replicas } })).toThrow(ConfigurationError);
  });
  it.each([0, -5, 2.5, 2 ** 31])("refuses timeoutMs = %s (WAIT 0 would wait for ever)", (timeoutMs) => {
    expect(() => createRedisStore({ client, durability: { replicas: 1, timeoutMs } })).toThrow(ConfigurationError);
  });
  it("accepts a whole number of replicas, the timeout defaulting to 1000 ms", () => {
    expect(DEFAULT_DURABILITY_TIMEOUT_MS).toBe(1000);
    expect(createRedisStore({ client, durability: { replicas: 2 } }).name).toBe("redis");
  });
});

describe("redis durability option: what a write sends and how its replies are read", () => {
  it("a commit is one pipeline: EVALSHA, the workspace's barrier, WAIT; acknowledged when enough replicas confirm", async () => {
    const fake = fakeClient([[ok, barrierOk, acked(2)]]);
    const store = createRedisStore({ client: fake.client, keyPrefix: "p", durability: { replicas: 2, timeoutMs: 50 } });
    expect(await store.commit(commitInput())).toEqual({ ok: true });
    const [pipeline] = fake.pipelines;
    expect(pipeline?.map((command) => command[0])).toEqual(["evalsha", "set", "wait"]);
    expect(pipeline?.[0]?.[3]).toBe("{p:ws:ws}:draft:d1");
    expect(pipeline?.[1]).toEqual(["set", "{p:ws:ws}:wait", "1", "PX", 60_000]);
    expect(pipeline?.[2]).toEqual(["wait", 2, 50]);
    expect(fake.calls).toEqual([]); // nothing outside the pipeline
  });

  it("a commit with an outbox entry: its journal RPUSH is in the confirmed script, the registry SADD before it", async () => {
    const fake = fakeClient([[ok, barrierOk, acked(1)]], () => 1);
    const store = createRedisStore({ client: fake.client, keyPrefix: "p", durability: { replicas: 1, timeoutMs: 50 } });
    const input = commitInput();
    const { draft } = input;
    const entry = {
      entryId: "e1",
      workspaceId: draft.workspaceId,
      draftId: draft.id,
      runId: "r1",
      kind: "run.requested" as const,
      checkpoint: "verify_access" as const,
      operation: "verify_access" as const,
      providerConnectionId: "pc",
      providerRevision: 1,
      draftVersion: draft.version,
      eventId: "ev",
      createdAt: draft.updatedAt,
    };
    expect(await store.commit({ ...input, outbox: [entry] })).toEqual({ ok: true });
    const [pipeline] = fake.pipelines;
    expect(pipeline?.map((command) => command[0])).toEqual(["evalsha", "set", "wait"]);
    const script = pipeline?.[0] ?? [];
    const keys = script.slice(3, 3 + Number(script[2])).map(String);
    expect(keys.filter((key) => key.includes(":ob:"))).toEqual(["{p:ws:ws}:ob:journal"]);
    expect(fake.calls).toEqual([["sadd", "{p:outbox}:workspaces", "ws"]]);
  });

  it("too few replicas: a StoreError (unknown outcome) caused by UnconfirmedReplicationError", async () => {
    const fake = fakeClient([[ok, barrierOk, acked(0)]]);
    const store = createRedisStore({ client: fake.client, durability: { replicas: 1, timeoutMs: 100 } });
    const error = await rejection(store.commit(commitInput()));
    expect(error).toBeInstanceOf(StoreError);
    expect((error as StoreError).operation).toBe("commit");
    const cause = unconfirmedReplicationOf(error);
    expect(cause).toBeInstanceOf(UnconfirmedReplicationError);
    expect(cause).toMatchObject({ operation: "commit", requested: 1, acknowledged: 0, timeoutMs: 100 });
    expect((error as Error).message).toContain("applied on the Redis master");
  });

  it("a WAIT that never answered (connection lost after the script's reply): unconfirmed, acknowledged null", async () => {
    const lost = new Error("Command aborted due to connection close");
    const fake = fakeClient([[ok, barrierOk, [lost, undefined]]]);
    const store = createRedisStore({ client: fake.client, durability: { replicas: 1 } });
    const cause = unconfirmedReplicationOf(await rejection(store.commit(commitInput())));
    expect(cause).toMatchObject({ acknowledged: null, timeoutMs: 1000 });
    expect(cause?.cause).toBe(lost);
  });

  it("a rejected commit wrote nothing: the rejection is the answer, whatever WAIT counted", async () => {
    const fake = fakeClient([[[null, ["version_conflict", "3"]], barrierOk, acked(0)]]);
    const store = createRedisStore({ client: fake.client, durability: { replicas: 1 } });
    expect(await store.commit(commitInput())).toEqual({ ok: false, reason: "version_conflict", actualVersion: 3 });
  });

  it("NOSCRIPT: the pipeline goes again with EVAL and the source", async () => {
    const noscript: Reply = [new Error("NOSCRIPT No matching script. Please use EVAL."), undefined];
    const fake = fakeClient([
      [noscript, barrierOk, acked(1)],
      [ok, barrierOk, acked(1)],
    ]);
    const store = createRedisStore({ client: fake.client, durability: { replicas: 1 } });
    expect(await store.commit(commitInput())).toEqual({ ok: true });
    expect(fake.pipelines.map((p) => p[0]?.[0])).toEqual(["evalsha", "eval"]);
    expect(fake.pipelines[1]?.[0]?.[1]).toBe(COMMIT_SCRIPT);
  });

  it("a redirect (the script did not run): a keyed read through the client's own redirect handling, then the pipeline again", async () => {
    const moved: Reply = [new Error("MOVED 1234 127.0.0.1:7001"), undefined];
    const fake = fakeClient([
      [moved, moved, acked(0)],
      [ok, barrierOk, acked(1)],
    ]);
    const store = createRedisStore({ client: fake.client, keyPrefix: "p", durability: { replicas: 1 } });
    expect(await store.commit(commitInput())).toEqual({ ok: true });
    expect(fake.pipelines).toHaveLength(2);
    expect(fake.calls).toEqual([["exists", "{p:ws:ws}:draft:d1"]]);
  });

  it("a redirect that persists ends as a StoreError after a bounded number of pipelines", async () => {
    const down: Reply = [new Error("CLUSTERDOWN The cluster is down"), undefined];
    const fake = fakeClient(Array.from({ length: 10 }, () => [down, down, acked(0)]));
    const store = createRedisStore({ client: fake.client, durability: { replicas: 1 } });
    const error = await rejection(store.commit(commitInput()));
    expect(error).toBeInstanceOf(StoreError);
    expect(unconfirmedReplicationOf(error)).toBeNull(); // nothing was applied
    expect(fake.pipelines).toHaveLength(6);
  });

  it("an insert is confirmed the same way", async () => {
    const fake = fakeClient([[ok, barrierOk, acked(0)]]);
    const store = createRedisStore({ client: fake.client, durability: { replicas: 1 } });
    const draft = makeDraft("ws", "d2");
    const error = await rejection(
      store.insert(withDocument({ draft, event: auditEvent(draft, "created"), idempotency: null })),
    );
    expect(unconfirmedReplicationOf(error)?.operation).toBe("insert");
  });

  it("an idempotency record found (a replay to answer) is read again with the barrier and WAIT; a missing one is not", async () => {
    const record = JSON.stringify({ workspaceId: "ws", key: "k" });
    const fake = fakeClient(
      [
        [[null, record], barrierOk, acked(1)],
        [[null, record], barrierOk, acked(0)],
      ],
      (command, args) => (command === "get" && String(args[0]).endsWith(":idem:k") ? record : null),
    );
    const store = createRedisStore({ client: fake.client, keyPrefix: "p", durability: { replicas: 1 } });
    expect(await store.loadIdempotency("ws", "missing")).toBeNull();
    expect(fake.pipelines).toHaveLength(0);
    expect(await store.loadIdempotency("ws", "k")).toEqual({ workspaceId: "ws", key: "k" });
    expect(fake.pipelines[0]?.map((c) => c[0])).toEqual(["get", "set", "wait"]);
    expect(fake.pipelines[0]?.[1]?.[1]).toBe("{p:ws:ws}:wait");
    const error = await rejection(store.loadIdempotency("ws", "k"));
    expect(unconfirmedReplicationOf(error)).toMatchObject({ operation: "loadIdempotency", acknowledged: 0 });
  });

  it("unconfirmedReplicationOf finds the cause through a StoreError, a copy's instance by its brand, and nothing else", () => {
    const own = new UnconfirmedReplicationError("commit", 1, 0, 10);
    expect(unconfirmedReplicationOf(new StoreError("redis", "commit", own))).toBe(own);
    const copy = Object.defineProperty(
      new Error("from another copy"),
      Symbol.for("onboarding-lifecycle.redis.unconfirmed-replication"),
      {
        value: true,
      },
    );
    expect(unconfirmedReplicationOf(copy)).toBe(copy);
    expect(unconfirmedReplicationOf(new StoreError("redis", "commit", new Error("ECONNRESET")))).toBeNull();
    expect(unconfirmedReplicationOf("not an error")).toBeNull();
  });
});

const up = await serviceAvailable("Redis (127.0.0.1:6379)", probeRedis);

describe.skipIf(!up)("redis durability option on a standalone server without replicas", () => {
  const prefix = `test-redis-durable-${uniqueSuffix()}`;
  let client: Redis;
  beforeAll(() => {
    client = standaloneClient();
  });
  afterAll(async () => {
    await deleteKeysWithPrefix(client, prefix);
    await client.quit();
  });

  it("a durable create and command are applied on the master and reported unconfirmed after timeoutMs", async () => {
    const connected = String(await client.info("replication"));
    if (!connected.includes("connected_slaves:0"))
      throw new Error("this test expects 127.0.0.1:6379 to have no replica");
    const store = createRedisStore({ client, keyPrefix: prefix, durability: { replicas: 1, timeoutMs: 30 } });
    const engine = createOnboardingEngine({ store, authorize: () => true });
    const actor = { id: "u" };
    const started = Date.now();
    const created = await rejection(
      engine.create("ws", { id: "d", identity: { tenantId: "t", displayName: "a" } }, { actor, idempotencyKey: "c1" }),
    );
    expect(Date.now() - started).toBeGreaterThanOrEqual(25);
    expect(unconfirmedReplicationOf(created)).toMatchObject({ operation: "insert", acknowledged: 0, timeoutMs: 30 });
    expect((await store.load("ws", "d"))?.version).toBe("1"); // applied all the same
    // The retry under the same key finds the record: a replay, which is confirmed too, so it fails alike.
    const replay = await rejection(
      engine.create("ws", { id: "d", identity: { tenantId: "t", displayName: "a" } }, { actor, idempotencyKey: "c1" }),
    );
    expect(unconfirmedReplicationOf(replay)?.operation).toBe("loadIdempotency");
    // Without the option, the same store answers at once.
    const plain = createOnboardingEngine({
      store: createRedisStore({ client, keyPrefix: prefix }),
      authorize: () => true,
    });
    const replayed = await plain.create(
      "ws",
      { id: "d", identity: { tenantId: "t", displayName: "a" } },
      { actor, idempotencyKey: "c1" },
    );
    expect(replayed.replayed).toBe(true);
  });
});
