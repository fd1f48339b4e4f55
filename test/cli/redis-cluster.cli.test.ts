/**
 * The CLI end to end on a Redis Cluster (test/cli/suite.ts), reached from a
 * `redis+cluster://host:port,host:port` connection string: a throwaway three-master cluster on
 * free loopback ports, started here and stopped after, legacy rows written through a Cluster client.
 */
import type { Cluster } from "ioredis";
import { createRedisStore, redisKeys } from "../../src/adapters/redis/index.js";
import { insertLegacyRedis } from "../support/legacy-rows.js";
import { redisBinariesAvailable, startRedisCluster, type TestRedisCluster } from "../support/redis-cluster.js";
import { uniqueSuffix } from "../support/services.js";
import { clusterClient, deleteKeysWithPrefix } from "../adapters/fixtures/redis-harness.js";
import { describeCliSuite } from "./suite.js";

describeCliSuite({
  name: "Redis Cluster",
  available: redisBinariesAvailable(),
  async setup() {
    const cluster: TestRedisCluster = await startRedisCluster();
    const client: Cluster = clusterClient(cluster.ports);
    const prefix = `cli-${uniqueSuffix()}`;
    const store = createRedisStore({ client, keyPrefix: prefix });
    return {
      // Two seeds of three: the Cluster client finds the third itself.
      url: `redis+cluster://127.0.0.1:${cluster.ports[0]},127.0.0.1:${cluster.ports[1]}`,
      prefix,
      store,
      sql: false,
      resumeRows: 1500,
      unreachableUrl: "redis+cluster://:secret@127.0.0.1:1,127.0.0.1:2",
      migrate: async () => undefined,
      insertLegacy: (rows) => insertLegacyRedis(client, prefix, rows),
      async insertCorrupt(workspaceId, draftId, text) {
        const keys = redisKeys(prefix, workspaceId);
        const at = new Date().toISOString();
        await client.hset(keys.draft(draftId), "doc", text, "v", "1", "state", "draft", "ca", at, "open", "");
        await client.zadd(keys.list(), 0, `${at}\u0000${draftId}`);
        await client.zadd(keys.list("draft"), 0, `${at}\u0000${draftId}`);
      },
      async removeDraft(workspaceId, draftId) {
        const keys = redisKeys(prefix, workspaceId);
        const at = await client.hget(keys.draft(draftId), "ca");
        await client.del(keys.draft(draftId));
        for (const key of [keys.list(), keys.list("draft")]) await client.zrem(key, `${at ?? ""}\u0000${draftId}`);
      },
      async teardown() {
        await deleteKeysWithPrefix(client, prefix).catch(() => undefined);
        client.disconnect();
        await cluster.stop();
      },
    };
  },
});
