/**
 * adapters/redis — the Redis storage adapter (`onboarding-lifecycle/adapters/redis`) on ioredis,
 * for standalone Redis and Redis Cluster. What lives here: `store.ts` (`createRedisStore`),
 * `scripts.ts` (the Lua sources), `keys.ts` (the cluster-safe key layout).
 *
 * May import: store/, record/, lifecycle/ (codec), vocabulary/ and node built-ins; ioredis only
 * with `import type` (the caller passes its own client). Never engine/.
 *
 * @module onboarding-lifecycle/adapters/redis
 */
export { createRedisStore, type RedisStore, type RedisStoreOptions } from "./store.js";
export {
  DEFAULT_KEY_PREFIX,
  LIST_MEMBER_SEPARATOR,
  assertKeyPrefix,
  encodeWorkspaceSegment,
  listMember,
  parseListMember,
  redisKeys,
  type WorkspaceKeys,
} from "./keys.js";
export { COMMIT_SCRIPT, FIRST_VARIABLE_KEY, INSERT_SCRIPT, READ_DOCUMENTS_SCRIPT, STATE_KEY_ORDER } from "./scripts.js";
