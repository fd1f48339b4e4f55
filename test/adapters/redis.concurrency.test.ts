/**
 * No lost update on standalone Redis: 16 writers in 4 child processes commit to one draft through
 * the engine, retrying on VersionConflictError.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Redis } from "ioredis";
import { serviceAvailable, uniqueSuffix } from "../support/services.js";
import { REDIS_PORT, deleteKeysWithPrefix, probeRedis, standaloneClient } from "./fixtures/redis-harness.js";
import { checkConcurrentWriters } from "./fixtures/redis-concurrency.js";

const up = await serviceAvailable("Redis (127.0.0.1:6379)", probeRedis);

describe.skipIf(!up)("redis adapter: concurrent writers in child processes (standalone)", () => {
  const prefix = `conc-redis-${uniqueSuffix()}`;
  let client: Redis;

  beforeAll(() => {
    client = standaloneClient();
  });
  afterAll(async () => {
    await deleteKeysWithPrefix(client, prefix);
    await client.quit();
  });

  it("16 writers over 4 processes: versions contiguous, one audit entry per version", async () => {
    const { conflicts, finalVersion } = await checkConcurrentWriters({
      client,
      target: `standalone:${REDIS_PORT}`,
      prefix,
      processes: 4,
      writersPerProcess: 4,
      commits: 4,
    });
    expect(finalVersion).toBe(65);
    // with 16 writers on one draft, contention must actually have happened
    expect(conflicts).toBeGreaterThan(0);
  }, 90_000);
});
