/**
 * The part of a Redis CLI target (test/cli/suite.ts) that is the same on a standalone server and
 * on a cluster: legacy, corrupt and removed rows written with plain commands on the test's client.
 */
import type { Cluster, Redis } from "ioredis";
import { createRedisStore, redisKeys } from "../../src/adapters/redis/index.js";
import { insertLegacyRedis } from "../support/legacy-rows.js";
import type { CliTarget } from "./suite.js";

/** A Redis target on `client` under `prefix`; the caller adds its URLs and its teardown. */
export function redisCliTarget(
  client: Redis | Cluster,
  prefix: string,
  rest: Pick<CliTarget, "url" | "unreachableUrl" | "teardown">,
): CliTarget {
  return {
    ...rest,
    prefix,
    store: createRedisStore({ client, keyPrefix: prefix }),
    sql: false,
    resumeRows: 1500,
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
  };
}
