/**
 * adapters/redis/schema — what a SQL adapter's schema is, for Redis: the key layout (every key a
 * workspace uses, under one hash tag) and the Lua scripts that write through it. Redis has no
 * DDL, so there is no `redisSchemaSql` or `migrate`: a key exists once a script writes it.
 *
 * Key layout. Every key of a workspace carries the same hash tag, `{<prefix>:ws:<workspace>}`, so
 * everything one Lua script touches (a draft, its audit list, the workspace's open-draft index,
 * its idempotency records and its listing indexes) lives in ONE hash slot: the layout is safe for
 * Redis Cluster (sharding is per workspace). Workspace ids are arbitrary strings; ids that could
 * break the tag (`{`, `}`, `:`, spaces, unicode ...) are encoded (see
 * {@link encodeWorkspaceSegment}). Everything after the tag is binary-safe in Redis and never
 * parsed, so draft ids, tenant ids and idempotency keys are used as they are.
 *
 * Scripts. The Lua sources are exported strings (for review, for `SCRIPT LOAD` by operators, and
 * for the adapter, which runs them with EVALSHA and falls back to EVAL). Every script first checks
 * everything, then writes: when a check fails, the script returns before its first write, so a
 * rejection writes nothing. A script replies `{"ok"}` or `{reason[, detail]}` with the reason
 * names of `WriteRejection` (decoded by `writeResultFromReply`). Every key a script touches is
 * passed in KEYS and shares one hash tag, so the scripts run unchanged on Redis Cluster. All data
 * (documents, ids, events) arrives in ARGV as opaque strings; the scripts never parse JSON and
 * never build a key from data.
 *
 * Outbox. A workspace's outbox entries live in its slot too (`{<prefix>:ws:<W>}:ob:*`, see
 * `outbox-schema.ts`), and `COMMIT_SCRIPT` writes a commit's entries in the same script as the
 * draft: after every check, so a rejection (or a resend recognised as already applied) writes
 * none. Only the registry of workspaces with entries, `{<prefix>:outbox}:workspaces`, is in a slot
 * of its own; it is written (SADD) before the commit and read by the methods that span
 * workspaces (claim, list, stale runs), which run one script per workspace.
 *
 * May import: record/, vocabulary/ and `outbox-schema.ts`. Never a driver at runtime, never engine/.
 */
import { ConfigurationError } from "../../record/index.js";
import { LIFECYCLE_STATES, type LifecycleState } from "../../vocabulary/index.js";
import { COMMIT_OUTBOX_CHECK, COMMIT_OUTBOX_WRITE } from "./outbox-schema.js";

// ---- key layout ---------------------------------------------------------------------------

/** The key prefix used when `createRedisStore` gets none. */
export const DEFAULT_REDIS_KEY_PREFIX = "onboarding";

const KEY_PREFIX = /^[A-Za-z0-9_.:/-]{1,64}$/;
const PLAIN_WORKSPACE = /^[A-Za-z0-9_.-]{1,128}$/;

/**
 * Checks a configurable key prefix: 1 to 64 characters out of letters, digits and `_ . : / -`.
 * Braces are refused because they would break the hash tag; glob characters because cleanup
 * tools `SCAN MATCH` on the prefix.
 *
 * @throws {@link onboarding-lifecycle!ConfigurationError} otherwise.
 */
export function assertKeyPrefix(prefix: string): string {
  if (!KEY_PREFIX.test(prefix)) {
    throw new ConfigurationError(
      "keyPrefix",
      `keyPrefix must match ${KEY_PREFIX.source} (no braces or glob characters), got ${JSON.stringify(prefix)}`,
    );
  }
  return prefix;
}

/**
 * The workspace id as it appears inside the hash tag. Ids made only of letters, digits and
 * `_ . -` are used verbatim (readable keys); every other id becomes `~` followed by the
 * base64url of its UTF-8 bytes. `~` is not in either alphabet, so the mapping is injective and
 * the result never contains `{`, `}` or `:`.
 *
 * @example
 * ```ts
 * encodeWorkspaceSegment("acme");   // "acme"
 * encodeWorkspaceSegment("a}b");    // "~YX1i"
 * ```
 */
export function encodeWorkspaceSegment(workspaceId: string): string {
  if (PLAIN_WORKSPACE.test(workspaceId)) return workspaceId;
  return `~${Buffer.from(workspaceId, "utf8").toString("base64url")}`;
}

/**
 * The key names of one workspace. Build it with {@link redisKeys}; every key it returns shares
 * the workspace's hash tag.
 */
export interface RedisWorkspaceKeys {
  /** The hash tag, `{<prefix>:ws:<encoded workspace>}`; the start of every key below. */
  readonly tag: string;
  /** HASH of a draft: `doc` (the canonical JSON document), `v`, `state`, `ca` (createdAt), `open`. */
  draft(draftId: string): string;
  /** LIST of a draft's audit entries (JSON), in append order. */
  audit(draftId: string): string;
  /** STRING: the JSON idempotency record of a key. */
  idempotency(key: string): string;
  /** HASH: tenant id -> the id of the tenant's open draft (the one-open-draft index). */
  readonly openDrafts: string;
  /** ZSET (score 0): `<createdAt>\u0000<id>` of every draft of the workspace, or of one state. */
  list(state?: LifecycleState): string;
}

/**
 * The key names of a workspace under a prefix.
 *
 * @example
 * ```ts
 * redisKeys("onboarding", "acme").draft("d1"); // "{onboarding:ws:acme}:draft:d1"
 * ```
 */
export function redisKeys(prefix: string, workspaceId: string): RedisWorkspaceKeys {
  return new KeysOfWorkspace(`{${prefix}:ws:${encodeWorkspaceSegment(workspaceId)}}`);
}

// A class rather than an object of closures: key names are built on every store call, and
// prototype methods cost nothing per call.
class KeysOfWorkspace implements RedisWorkspaceKeys {
  readonly openDrafts: string;
  constructor(readonly tag: string) {
    this.openDrafts = `${tag}:open`;
  }
  draft(draftId: string): string {
    return `${this.tag}:draft:${draftId}`;
  }
  audit(draftId: string): string {
    return `${this.tag}:audit:${draftId}`;
  }
  idempotency(key: string): string {
    return `${this.tag}:idem:${key}`;
  }
  list(state?: LifecycleState): string {
    return state === undefined ? `${this.tag}:list` : `${this.tag}:list:${state}`;
  }
}

/** The separator between `createdAt` and `id` in a listing member (sorts before every character). */
export const LIST_MEMBER_SEPARATOR = "\u0000";

/** The listing member of a draft: `<createdAt>\u0000<id>`, so lexicographic order is (createdAt, id) order. */
export function listMember(createdAt: string, draftId: string): string {
  return `${createdAt}${LIST_MEMBER_SEPARATOR}${draftId}`;
}

/** Splits a listing member back into (`createdAt`, `id`); `null` if it is not one. */
export function parseListMember(member: string): {
  /** The draft's `createdAt`. */
  readonly createdAt: string;
  /** The draft's id. */
  readonly id: string;
} | null {
  const at = member.indexOf(LIST_MEMBER_SEPARATOR);
  return at < 0 ? null : { createdAt: member.slice(0, at), id: member.slice(at + 1) };
}

// ---- scripts ------------------------------------------------------------------------------

/** The order of the per-state listing keys in KEYS[4 .. 3 + n] of the insert and commit scripts. */
export const STATE_KEY_ORDER = LIFECYCLE_STATES;

const STATE_TABLE = `local STATE_KEY = {}
for i, name in ipairs({${STATE_KEY_ORDER.map((s) => JSON.stringify(s)).join(", ")}}) do STATE_KEY[name] = KEYS[3 + i] end`;

/** The index in KEYS (1-based) of the first key after the fixed ones (draft, open index, list, per-state lists). */
export const FIRST_VARIABLE_KEY = 4 + STATE_KEY_ORDER.length;

const SHARED_ARGS = `-- KEYS: 1 draft hash, 2 open-draft index (hash), 3 listing zset, 4.. one listing zset per state,
--       then the idempotency key (only when ARGV[8] is not empty), then the audit list keys.
-- ARGV: 1 expected version ("" for insert), 2 new version, 3 document JSON, 4 state, 5 createdAt,
--       6 open tenant ("" when the draft occupies no slot), 7 draft id, 8 idempotency record JSON (or ""),
--       9 basis: the document text the write was computed from ("" when it came from a fresh read),
--       10 number of audit entries n, then n pairs (1-based index into the audit keys, entry JSON),
--       then the idempotency record's time to live in seconds ("0": kept until deleted),
--       then (commit only) the outbox entry count m and the KEYS index of the first outbox key,
--       then 7 values per entry (see COMMIT_OUTBOX_CHECK in outbox-schema.ts).
local draftKey, openKey, listKey = KEYS[1], KEYS[2], KEYS[3]
local version, doc, state, createdAt = ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local tenant, draftId, idem = ARGV[6], ARGV[7], ARGV[8]
local nextKey = ${FIRST_VARIABLE_KEY}
local idemKey = false
if idem ~= "" then idemKey = KEYS[nextKey]; nextKey = nextKey + 1 end
local auditBase = nextKey - 1
${STATE_TABLE}
local newStateKey = STATE_KEY[state]
if not newStateKey then return redis.error_reply("onboarding: unknown lifecycle state " .. state) end
local newMember = createdAt .. "\\0" .. draftId
-- A rejection of a write that already ran is its own earlier run: ioredis resends a script whose
-- reply was lost (autoResendUnfulfilledCommands), and the resend sees the first run's write. Every
-- entry carries a unique event id, so the first audit entry, byte for byte on its list, means this
-- write was stored (drafts and entries are never deleted by the adapter). Only rejection paths
-- call this; a write without audit entries has nothing to recognise and is rejected as before.
local function rejectUnlessDone(reply, rank)
  if ARGV[10] ~= "0" and redis.call("LPOS", KEYS[auditBase + tonumber(ARGV[11])], ARGV[12], "RANK", rank) then
    return {"ok"}
  end
  return reply
end`;

const WRITE_TAIL = `local n = tonumber(ARGV[10])
for i = 1, n do
  redis.call("RPUSH", KEYS[auditBase + tonumber(ARGV[9 + 2 * i])], ARGV[10 + 2 * i])
end
if idemKey then
  local ttl = tonumber(ARGV[11 + 2 * n]) or 0
  if ttl > 0 then redis.call("SET", idemKey, idem, "PX", ttl) else redis.call("SET", idemKey, idem) end
end
return {"ok"}`;

/**
 * Inserts a new draft: refuses with `idempotency_key_exists`, `draft_exists` or
 * `open_draft_exists` (+ the holder's id), in that order; otherwise writes the draft hash, claims
 * the tenant's open-draft slot, adds the listing members, appends the audit entries and stores
 * the idempotency record. Returns `{"ok"}` or `{reason[, detail]}`. A run that finds its own
 * `created` entry already stored (a resend after a lost reply) returns `{"ok"}` and writes nothing.
 */
export const INSERT_SCRIPT = `${SHARED_ARGS}
-- checks (nothing written yet)
-- A resent insert finds its "created" entry first on the list it started (rank 1: from the head).
if idemKey and redis.call("EXISTS", idemKey) == 1 then return rejectUnlessDone({"idempotency_key_exists"}, 1) end
if redis.call("EXISTS", draftKey) == 1 then return rejectUnlessDone({"draft_exists"}, 1) end
-- The draft does not exist, so this insert has not run: no need to look for it below.
if tenant ~= "" then
  local holder = redis.call("HGET", openKey, tenant)
  if holder then return {"open_draft_exists", holder} end
end
-- writes
redis.call("HSET", draftKey, "doc", doc, "v", version, "state", state, "ca", createdAt, "open", tenant)
if tenant ~= "" then redis.call("HSET", openKey, tenant, draftId) end
redis.call("ZADD", listKey, 0, newMember)
redis.call("ZADD", newStateKey, 0, newMember)
${WRITE_TAIL}
`;

/**
 * Compare-and-set commit of the next record: refuses with `idempotency_key_exists`,
 * `version_conflict` (+ the stored version, `""` when the draft is gone) or `open_draft_exists`
 * (+ the holder's id), in that order; otherwise overwrites the draft hash, moves the tenant's
 * open-draft slot (released when the draft turns terminal or changes tenant, claimed for the new
 * tenant), moves the listing member between the per-state sets, appends the audit entries and
 * stores the idempotency record. A run refused by the key or version check that finds its own first
 * audit entry already stored (a resend after a lost reply) returns `{"ok"}` and writes nothing.
 */
export const COMMIT_SCRIPT = `${SHARED_ARGS}
local expected = ARGV[1]
-- checks (nothing written yet)
-- A resent commit finds its entry near the tail of the list (rank -1: from the tail).
if idemKey and redis.call("EXISTS", idemKey) == 1 then return rejectUnlessDone({"idempotency_key_exists"}, -1) end
local cur = redis.call("HMGET", draftKey, "v", "state", "ca", "open")
if not cur[1] then return {"version_conflict", ""} end
if cur[1] ~= expected then return rejectUnlessDone({"version_conflict", cur[1]}, -1) end
-- From here the stored version is the expected one, so this commit (which moves it to expected+1;
-- versions never go back) has not run: the rejections below need no look-up.
-- A write computed from a cached draft also needs the stored bytes to be the ones it was read as.
if ARGV[9] ~= "" and redis.call("HGET", draftKey, "doc") ~= ARGV[9] then return {"version_conflict", cur[1]} end
-- A draft whose hash says it holds the tenant's slot does hold it (the scripts keep the index and
-- the "open" field in step), so the index is only read and written when the slot changes.
local oldTenant = cur[4] or ""
local moving = oldTenant ~= tenant
if moving and tenant ~= "" then
  local holder = redis.call("HGET", openKey, tenant)
  if holder and holder ~= draftId then return {"open_draft_exists", holder} end
end
-- outbox entries: none of their ids may exist yet
${COMMIT_OUTBOX_CHECK}
-- writes
redis.call("HSET", draftKey, "doc", doc, "v", version, "state", state, "ca", createdAt, "open", tenant)
if moving then
  if oldTenant ~= "" and redis.call("HGET", openKey, oldTenant) == draftId then
    redis.call("HDEL", openKey, oldTenant)
  end
  if tenant ~= "" then redis.call("HSET", openKey, tenant, draftId) end
end
local oldMember = (cur[3] or createdAt) .. "\\0" .. draftId
local oldStateKey = STATE_KEY[cur[2] or state] or newStateKey
if oldMember ~= newMember then
  redis.call("ZREM", listKey, oldMember)
  redis.call("ZADD", listKey, 0, newMember)
end
if oldMember ~= newMember or oldStateKey ~= newStateKey then
  redis.call("ZREM", oldStateKey, oldMember)
  redis.call("ZADD", newStateKey, 0, newMember)
end
${COMMIT_OUTBOX_WRITE}
${WRITE_TAIL}
`;

/**
 * Reads the documents of a listing page in one atomic step. KEYS: the draft hashes; ARGV[1]: the
 * state filter (or `""`). Returns two entries per key, flat: the document and the stored version
 * (`v`), or nil, nil when the draft is gone or (with a filter) no longer in that state.
 */
export const READ_DOCUMENTS_SCRIPT = `local filter = ARGV[1]
local out = {}
for i, key in ipairs(KEYS) do
  local row = redis.call("HMGET", key, "doc", "state", "v")
  if row[1] and (filter == "" or row[2] == filter) then
    out[2 * i - 1] = row[1]; out[2 * i] = row[3]
  else
    out[2 * i - 1] = false; out[2 * i] = false
  end
end
return out
`;
