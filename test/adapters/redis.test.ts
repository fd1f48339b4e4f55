/**
 * Redis adapter on a standalone server (127.0.0.1:6379): the adapter-specific suite, the key
 * layout (hash tags) and driver-failure wrapping. Keys use a unique prefix and are deleted after.
 */
import { withDocument } from "../../src/testing/index.js";
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from "vitest";
import fc from "fast-check";
import { Redis } from "ioredis";
import {
  createRedisStore,
  encodeWorkspaceSegment,
  redisKeys,
  type RedisStore,
} from "../../src/adapters/redis/index.js";
import { createOnboardingEngine } from "../../src/index.js";
import { ConfigurationError, StoreError } from "../../src/record/index.js";
import { LIFECYCLE_STATES } from "../../src/vocabulary/index.js";
import { serviceAvailable, uniqueSuffix } from "../support/services.js";
import {
  countKeysWithPrefix,
  deleteKeysWithPrefix,
  makeDraft,
  auditEvent,
  probeRedis,
  standaloneClient,
} from "./fixtures/redis-harness.js";
import { defineRedisAdapterSuite, type RedisSuiteContext } from "./fixtures/redis-suite.js";

/** The hash tag Redis Cluster hashes: the text between the first `{` and the next `}`, if non-empty. */
function hashTag(key: string): string {
  const open = key.indexOf("{");
  if (open < 0) return key;
  const close = key.indexOf("}", open + 1);
  if (close < 0 || close === open + 1) return key;
  return key.slice(open + 1, close);
}

describe("redis key layout (no server needed)", () => {
  it("puts every key of a workspace under one hash tag, whatever the ids contain", () => {
    const text = fc.string({ unit: "binary", minLength: 1, maxLength: 128 });
    fc.assert(
      fc.property(text, text, text, text, (workspaceId, draftId, tenantKey, otherWorkspace) => {
        const k = redisKeys("onboarding", workspaceId);
        const tag = hashTag(k.draft(draftId));
        expect(tag).toBe(`onboarding:ws:${encodeWorkspaceSegment(workspaceId)}`);
        for (const key of [
          k.audit(draftId),
          k.idempotency(tenantKey),
          k.openDrafts,
          k.list(),
          ...LIFECYCLE_STATES.map((s) => k.list(s)),
        ]) {
          expect(hashTag(key)).toBe(tag);
        }
        expect(encodeWorkspaceSegment(workspaceId)).not.toMatch(/[{}:]/);
        if (otherWorkspace !== workspaceId) {
          expect(hashTag(redisKeys("onboarding", otherWorkspace).draft(draftId))).not.toBe(tag);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("returns a RedisStore that names itself and exposes its key layout", () => {
    const store: RedisStore = createRedisStore({ client: new Redis({ lazyConnect: true }), keyPrefix: "app" });
    expectTypeOf(store.name).toEqualTypeOf<"redis">();
    expect(store.name).toBe("redis");
    expect(store.keyPrefix).toBe("app");
    expect(store.keys("a}b").draft("d1")).toBe(redisKeys("app", "a}b").draft("d1"));
    expect(createRedisStore({ client: new Redis({ lazyConnect: true }) }).keyPrefix).toBe("onboarding");
  });

  it("keeps plain workspace ids readable and refuses unsafe prefixes", () => {
    expect(redisKeys("app", "acme-1").draft("d1")).toBe("{app:ws:acme-1}:draft:d1");
    expect(encodeWorkspaceSegment("a}b")).toBe(`~${Buffer.from("a}b").toString("base64url")}`);
    for (const bad of ["", "a{b", "x}", "star*", "sp ace", "x".repeat(65)]) {
      expect(() => createRedisStore({ client: new Redis({ lazyConnect: true }), keyPrefix: bad })).toThrow(
        ConfigurationError,
      );
    }
  });
});

const up = await serviceAvailable("Redis (127.0.0.1:6379)", probeRedis);

describe.skipIf(!up)("redis adapter (standalone)", () => {
  const prefix = `test-redis-${uniqueSuffix()}`;
  let client: Redis;
  const context = (): RedisSuiteContext => ({ client, prefix });

  beforeAll(() => {
    client = standaloneClient();
  });

  afterAll(async () => {
    await deleteKeysWithPrefix(client, prefix);
    expect(await countKeysWithPrefix(client, prefix)).toBe(0);
    await client.quit();
  });

  defineRedisAdapterSuite(context);

  it("wraps driver failures in StoreError", async () => {
    // Nothing listens on port 1 of loopback; no retries, no offline queue.
    const dead = new Redis({
      host: "127.0.0.1",
      port: 1,
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    dead.on("error", () => undefined);
    const store = createRedisStore({ client: dead, keyPrefix: prefix });
    const draft = makeDraft("ws-dead", "d1");
    await expect(store.load("ws-dead", "d1")).rejects.toBeInstanceOf(StoreError);
    await expect(
      store.insert(withDocument({ draft, event: auditEvent(draft, "created"), idempotency: null })),
    ).rejects.toMatchObject({
      code: "store_failure",
      adapter: "redis",
      operation: "insert",
    });
    await expect(store.list("ws-dead", { limit: 5 })).rejects.toBeInstanceOf(StoreError);
    dead.disconnect();
  });

  it("expires idempotency records after idempotencyTtlMs, in milliseconds (and keeps them without it)", async () => {
    const ws = `ttl-${uniqueSuffix()}`;
    const k = redisKeys(prefix, ws);
    const actor = { id: "u" };
    const expiring = createOnboardingEngine({
      store: createRedisStore({ client, keyPrefix: prefix, idempotencyTtlMs: 60_000 }),
      authorize: () => true,
    });
    const { draft } = await expiring.create(ws, {}, { actor, idempotencyKey: "create-1" });
    await expiring.execute(ws, draft.id, { type: "cancel" }, { actor, expectedVersion: 1, idempotencyKey: "cancel-1" });
    for (const key of ["create-1", "cancel-1"]) {
      // PTTL in milliseconds: a TTL taken as seconds (EX 60000) would be about 1000 times longer.
      const ttl = await client.pttl(k.idempotency(key));
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(60_000);
    }
    const keeping = createOnboardingEngine({
      store: createRedisStore({ client, keyPrefix: prefix }),
      authorize: () => true,
    });
    await keeping.create(ws, {}, { actor, idempotencyKey: "create-2" });
    expect(await client.ttl(k.idempotency("create-2"))).toBe(-1);
    for (const bad of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53, "60" as unknown as number]) {
      let thrown: unknown = null;
      try {
        createRedisStore({ client, keyPrefix: prefix, idempotencyTtlMs: bad });
      } catch (error) {
        thrown = error;
      }
      expect(thrown, String(bad)).toBeInstanceOf(ConfigurationError);
      expect((thrown as ConfigurationError).option).toBe("idempotencyTtlMs");
    }
  });

  it("reports a key of the wrong type as StoreError and writes nothing", async () => {
    const store = createRedisStore({ client, keyPrefix: prefix });
    const ws = `wrongtype-${uniqueSuffix()}`;
    const k = redisKeys(prefix, ws);
    await client.set(k.draft("d1"), "a string, not a hash");
    const v1 = makeDraft(ws, "d1");
    const v2 = { ...v1, version: 2 };
    await expect(
      store.commit(
        withDocument({ draft: v2, expectedVersion: 1, events: [auditEvent(v2, "committed")], idempotency: null }),
      ),
    ).rejects.toBeInstanceOf(StoreError);
    expect(await client.exists(k.audit("d1"), k.list())).toBe(0);
  });
});
