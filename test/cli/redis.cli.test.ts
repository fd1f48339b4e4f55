/**
 * The CLI end to end on Redis (test/cli/suite.ts): a fresh key prefix, legacy rows written with
 * plain HSET / ZADD.
 */
import { serviceAvailable, uniqueSuffix } from "../support/services.js";
import {
  REDIS_HOST,
  REDIS_PORT,
  deleteKeysWithPrefix,
  probeRedis,
  standaloneClient,
} from "../adapters/fixtures/redis-harness.js";
import { redisCliTarget } from "./redis-target.js";
import { describeCliSuite } from "./suite.js";

describeCliSuite({
  name: "Redis",
  available: await serviceAvailable("Redis", probeRedis),
  async setup() {
    const client = standaloneClient();
    const prefix = `cli-${uniqueSuffix()}`;
    return redisCliTarget(client, prefix, {
      url: `redis://${REDIS_HOST}:${REDIS_PORT}`,
      unreachableUrl: "redis://:secret@127.0.0.1:1",
      async teardown() {
        await deleteKeysWithPrefix(client, prefix);
        client.disconnect();
      },
    });
  },
});
