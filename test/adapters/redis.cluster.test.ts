/**
 * The Redis adapter on a real three-master Redis Cluster started by this file (free loopback
 * ports chosen at run time, temp dir, no persistence): the conformance kit, the adapter-specific suite and the
 * multi-process concurrency check, through an ioredis `Cluster` (`scaleReads: "master"`).
 * The outbox suite runs there too (claims, listings and stale runs walk workspaces on every master).
 * The cluster is stopped and its temp dir removed afterwards, also when a test fails.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Cluster } from "ioredis";
import { createRedisStore, redisKeys } from "../../src/adapters/redis/index.js";
import { describeStoreConformance } from "../../src/testing/index.js";
import { serviceAvailable, uniqueSuffix } from "../support/services.js";
import { redisBinariesAvailable, startRedisCluster, type TestRedisCluster } from "../support/redis-cluster.js";
import { clusterClient, deleteKeysWithPrefix } from "./fixtures/redis-harness.js";
import { defineRedisAdapterSuite } from "./fixtures/redis-suite.js";
import { defineRedisOutboxSuite } from "./fixtures/redis-outbox.js";
import { checkConcurrentWriters } from "./fixtures/redis-concurrency.js";

// The cluster starts inside the probe: one that fails to start skips loudly (fails with REQUIRE_SERVICES=1).
let cluster: TestRedisCluster | undefined;
const available = await serviceAvailable("Redis Cluster (3 masters, started here)", async () => {
  if (!redisBinariesAvailable()) throw new Error("redis-server or redis-cli is not on the PATH");
  cluster = await startRedisCluster();
});

describe.skipIf(!available)("redis adapter on Redis Cluster (3 masters)", () => {
  let client: Cluster | undefined;
  const prefix = `cluster-redis-${uniqueSuffix()}`;
  const c = (): Cluster => {
    if (client === undefined) throw new Error("cluster not started");
    return client;
  };

  beforeAll(async () => {
    client = clusterClient(cluster?.ports ?? []);
    await new Promise<void>((resolve, reject) => {
      c().once("ready", resolve);
      c().once("error", reject);
    });
  }, 30_000);

  afterAll(async () => {
    try {
      if (client !== undefined) {
        await deleteKeysWithPrefix(client, prefix).catch(() => 0);
        await client.quit().catch(() => undefined);
      }
    } finally {
      await cluster?.stop();
    }
  }, 30_000);

  it("spreads workspaces over the masters while each workspace stays in one slot", async () => {
    const store = createRedisStore({ client: c(), keyPrefix: prefix });
    const slots = new Set<number>();
    for (let i = 0; i < 12; i += 1) {
      const k = redisKeys(prefix, `spread-${i}`);
      const keySlots = await Promise.all(
        [k.draft("d"), k.audit("d"), k.openDrafts, k.list(), k.list("cancelled"), k.idempotency("x")].map((key) =>
          c().cluster("KEYSLOT", key),
        ),
      );
      expect(new Set(keySlots).size).toBe(1);
      slots.add(keySlots[0] ?? -1);
    }
    expect(slots.size).toBeGreaterThan(1);
    expect(await store.load("spread-0", "nothing")).toBeNull();
  });

  describe("adapter-specific suite", () => {
    defineRedisAdapterSuite(() => ({ client: c(), prefix }));
  });

  describe("outbox suite (workspaces on several masters)", () => {
    defineRedisOutboxSuite(() => ({ client: c(), prefix, newClient: () => clusterClient(cluster?.ports ?? []) }));
  });

  it("16 writers over 4 processes keep versions contiguous on the cluster", async () => {
    const { finalVersion } = await checkConcurrentWriters({
      client: c(),
      target: `cluster:${(cluster?.ports ?? []).join(",")}`,
      prefix,
      processes: 4,
      writersPerProcess: 4,
      commits: 4,
    });
    expect(finalVersion).toBe(65);
  }, 90_000);

  describeStoreConformance(
    "redis (cluster)",
    async () => ({
      store: createRedisStore({ client: c(), keyPrefix: `${prefix}-kit` }),
      async writeRawDocument(workspaceId, draftId, raw) {
        await c().hset(redisKeys(`${prefix}-kit`, workspaceId).draft(draftId), "doc", raw);
      },
      async writeStoredVersion(workspaceId, draftId, version) {
        await c().hset(redisKeys(`${prefix}-kit`, workspaceId).draft(draftId), "v", String(version));
      },
      async teardown() {
        await deleteKeysWithPrefix(c(), `${prefix}-kit`);
      },
    }),
    { runner: { describe, it, beforeAll, afterAll } },
  );
});
