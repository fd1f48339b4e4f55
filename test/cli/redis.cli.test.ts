/**
 * The CLI end to end on Redis (test/cli/suite.ts): a fresh key prefix, legacy rows written with
 * plain HSET / ZADD.
 */
import { createRedisStore, redisKeys } from "../../src/adapters/redis/index.js";
import { insertLegacyRedis } from "../support/legacy-rows.js";
import { serviceAvailable, uniqueSuffix } from "../support/services.js";
import {
  REDIS_HOST,
  REDIS_PORT,
  deleteKeysWithPrefix,
  probeRedis,
  standaloneClient,
} from "../adapters/fixtures/redis-harness.js";
import { describeCliSuite } from "./suite.js";

describeCliSuite({
  name: "Redis",
  available: await serviceAvailable("Redis", probeRedis),
  async setup() {
    const client = standaloneClient();
    const prefix = `cli-${uniqueSuffix()}`;
    const store = createRedisStore({ client, keyPrefix: prefix });
    return {
      url: `redis://${REDIS_HOST}:${REDIS_PORT}`,
      prefix,
      store,
      sql: false,
      resumeRows: 1500,
      unreachableUrl: "redis://:secret@127.0.0.1:1",
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
        await deleteKeysWithPrefix(client, prefix);
        client.disconnect();
      },
    };
  },
});
