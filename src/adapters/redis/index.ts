/**
 * adapters/redis — the Redis storage adapter (`onboarding-lifecycle/adapters/redis`) on ioredis,
 * for standalone Redis and Redis Cluster. What lives here: `store.ts` (`createRedisStore`) and
 * `schema.ts` (the cluster-safe key layout and the Lua scripts: Redis's schema, which needs no
 * migration), `outbox.ts` (the outbox methods; their keys and scripts are in `schema.ts`),
 * `durability.ts` (the `durability` option: WAIT for replicas on the write's own connection).
 *
 * May import: store/, record/, lifecycle/ (codec), vocabulary/ and node built-ins; ioredis only
 * with `import type` (the caller passes its own client). Never engine/.
 *
 * @module onboarding-lifecycle/adapters/redis
 */
export { createRedisStore, type RedisStore, type RedisStoreOptions } from "./store.js";
export {
  DEFAULT_DURABILITY_TIMEOUT_MS,
  UnconfirmedReplicationError,
  unconfirmedReplicationOf,
  type RedisDurability,
} from "./durability.js";
export {
  COMMIT_SCRIPT,
  DEFAULT_REDIS_KEY_PREFIX,
  FIRST_VARIABLE_KEY,
  INSERT_SCRIPT,
  LIST_MEMBER_SEPARATOR,
  READ_AUDIT_TAIL_SCRIPT,
  READ_DOCUMENTS_SCRIPT,
  STATE_KEY_ORDER,
  assertKeyPrefix,
  encodeWorkspaceSegment,
  listMember,
  parseListMember,
  redisKeys,
  type RedisWorkspaceKeys,
} from "./schema.js";
export {
  CLAIM_OUTBOX_SCRIPT,
  FIND_STALE_RUNS_SCRIPT,
  LIST_OUTBOX_SCRIPT,
  LIST_RUN_RECORDS_SCRIPT,
  OUTBOX_KEY_NAMES,
  OUTBOX_RECORD_COLUMNS,
  OUTBOX_SCRIPTS,
  PRUNE_OUTBOX_SCRIPT,
  RECORD_RUN_PROGRESS_SCRIPT,
  RELEASE_OUTBOX_SCRIPT,
  REQUEUE_OUTBOX_SCRIPT,
  SETTLE_OUTBOX_SCRIPT,
  SETTLE_RUNS_SCRIPT,
  redisOutboxKeys,
  redisOutboxRegistryKey,
} from "./schema.js";
