/**
 * The conformance kit against the Redis adapter on a standalone server (127.0.0.1:6379).
 * A unique key prefix per run; its keys are deleted in teardown.
 */
import { afterAll, beforeAll, describe, it } from "vitest";
import { createRedisStore, redisKeys } from "../../src/adapters/redis/index.js";
import { describeStoreConformance } from "../../src/testing/index.js";
import { serviceAvailable, uniqueSuffix } from "../support/services.js";
import { deleteKeysWithPrefix, probeRedis, standaloneClient } from "./fixtures/redis-harness.js";

const up = await serviceAvailable("Redis (127.0.0.1:6379)", probeRedis);

describe.skipIf(!up)("redis (standalone)", () => {
  describeStoreConformance(
    "redis (standalone)",
    async () => {
      const prefix = `conf-redis-${uniqueSuffix()}`;
      const client = standaloneClient();
      return {
        store: createRedisStore({ client, keyPrefix: prefix }),
        async writeRawDocument(workspaceId, draftId, raw) {
          await client.hset(redisKeys(prefix, workspaceId).draft(draftId), "doc", raw);
        },
        async writeStoredVersion(workspaceId, draftId, version) {
          await client.hset(redisKeys(prefix, workspaceId).draft(draftId), "v", String(version));
        },
        async teardown() {
          await deleteKeysWithPrefix(client, prefix);
          await client.quit();
        },
      };
    },
    { runner: { describe, it, beforeAll, afterAll }, log: (line) => console.log(line) },
  );
});
