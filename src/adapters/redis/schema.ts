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
 * below), and `COMMIT_SCRIPT` appends a commit's entries to the workspace's journal in the same
 * script as the draft (one `RPUSH`): after every check, so a rejection (or a resend recognised as
 * already applied) writes none. Every outbox script absorbs the journal first (`ABSORB_OUTBOX`).
 * Only the registry of workspaces with entries, `{<prefix>:outbox}:workspaces`, is in a slot of
 * its own; it is written (SADD) before the commit and read by the methods that span workspaces
 * (claim, list, stale runs), which run one script per workspace.
 *
 * May import: record/ and vocabulary/. Never a driver at runtime, never engine/.
 */
import { ConfigurationError } from "../../record/index.js";
import { LIFECYCLE_STATES, type LifecycleState } from "../../vocabulary/index.js";

// ==== the outbox ============================================================================

/*
 * The outbox half of the schema: the outbox keys of a workspace (all under the workspace's hash
 * tag, beside its drafts), the registry of workspaces that have outbox entries (its own slot),
 * and the Lua scripts of the outbox methods.
 *
 * Layout. An outbox record is spread over per-workspace "columns": one HASH per field, keyed by
 * entry id (`{T}:ob:status` holds every entry's status, ...), so every script touches a FIXED set
 * of keys, all declared in KEYS and all in the workspace's slot, whatever entries it reads or
 * changes. A null field is an absent hash field. The entry as the engine wrote it is one JSON
 * text (`{T}:ob:entry`), written by the adapter and never parsed by Lua; timestamps are kept as the
 * exact text given, beside their epoch milliseconds where a script compares them (sorted-set
 * scores and the `...Ms` columns), so no script compares text with the server's collation.
 *
 * Indexes (sorted sets, per workspace): `list` and `list:<status>` (score 0, member
 * `<createdAt>\0<entryId>`: listing order), `ready` and `wait` (the pending entries: `ready` holds,
 * in listing order, those found claimable by an earlier claim; `wait` scores the others by when
 * they become claimable, max(availableAt, leaseUntil)), `watch` (unsettled `run.requested` records,
 * score coalesce(reportedAt, createdAt), member entry id), `runs` (`<runId>\0<draftId>\0<entryId>`)
 * and `draftruns` (`<draftId>\0<createdAt>\0<entryId>`). Ids and timestamps never contain U+0000,
 * so the members split unambiguously.
 *
 * Journal. The commit writes none of the above: it appends one element per entry to the LIST
 * `journal` (one `RPUSH`), and every outbox script begins by absorbing it (`ABSORB_OUTBOX`: the
 * writes the commit used to make, skipping an entry id already stored). Records written by the
 * commit of earlier versions (straight into the columns and indexes) need no migration: both
 * layouts mix safely, since the scripts read only the columns and indexes, after the absorb.
 *
 * Cross-workspace methods. Redis Cluster cannot run one script over every workspace's slot, so
 * `claimOutbox`, `listOutbox` (without `workspaceId`) and `findStaleRuns` walk the registry
 * `{<prefix>:outbox}:workspaces` (a SET of workspace ids, added to before the first commit that
 * writes a workspace's entries, never removed) and run one script per workspace, at most 8 at a
 * time. `claimOutbox` keeps the global (createdAt, workspaceId, entryId) order in two steps: every
 * workspace's script names its oldest claimable entries (`survey`), the adapter picks the oldest
 * `limit` of all, then claims those in their workspaces (`take`); entries another claimer took
 * in between are skipped and the claim tries again (3 rounds at most). `listOutbox` and
 * `findStaleRuns` merge the per-workspace results into the global order. The cost of these three
 * methods grows with the number of workspaces that ever had an entry (one script per workspace
 * per call).
 *
 */

// ---- key layout ---------------------------------------------------------------------------

/**
 * The outbox keys of a workspace, in the order every outbox script takes them in KEYS (the commit
 * script: from the index it is given). Each name `n` is the key `<tag>:ob:<n>`.
 */
export const OUTBOX_KEY_NAMES = [
  // HASH columns, entry id -> value
  "entry",
  "created",
  "status",
  "attempts",
  "availableAt",
  "availableMs",
  "leaseOwner",
  "leaseUntil",
  "leaseUntilMs",
  "lastError",
  "deliveredAt",
  "reportedAt",
  "reportedMs",
  "progressMessage",
  "progressPercent",
  "settledAt",
  // ZSET indexes
  "list",
  "list:pending",
  "list:delivered",
  "list:dead",
  "ready",
  "wait",
  "watch",
  "runs",
  "draftruns",
  // LIST: the journal of entries committed but not yet absorbed (see ABSORB_OUTBOX)
  "journal",
] as const;

/**
 * The outbox keys the commit script writes a new entry to, in the order it takes them in KEYS:
 * only the workspace's journal (see {@link ABSORB_OUTBOX}). The entry reaches the columns and
 * indexes when an outbox script of its workspace absorbs the journal.
 */
export const COMMIT_OUTBOX_KEY_NAMES = ["journal"] as const;

/** The separator of the fields of a journal element (ids and timestamps never contain it). */
export const JOURNAL_SEPARATOR = "\u0000";

/**
 * The outbox keys of the workspace whose hash tag is `tag` (see `redisKeys(...).tag`), in
 * {@link OUTBOX_KEY_NAMES} order.
 *
 * @example
 * ```ts
 * redisOutboxKeys(redisKeys("onboarding", "acme").tag)[0]; // "{onboarding:ws:acme}:ob:entry"
 * ```
 */
export function redisOutboxKeys(tag: string): readonly string[] {
  return OUTBOX_KEY_NAMES.map((name) => `${tag}:ob:${name}`);
}

/**
 * The registry of workspaces that have outbox entries: a SET of workspace ids in its own slot,
 * `{<prefix>:outbox}:workspaces`.
 *
 * @example
 * ```ts
 * redisOutboxRegistryKey("onboarding"); // "{onboarding:outbox}:workspaces"
 * ```
 */
export function redisOutboxRegistryKey(prefix: string): string {
  return `{${prefix}:outbox}:workspaces`;
}

// ---- scripts ------------------------------------------------------------------------------

/**
 * The outbox part of the commit script (see `COMMIT_SCRIPT`): where its ARGV starts. ARGV after
 * the idempotency TTL: the number of entries m, the index in KEYS of the journal, then one
 * journal element per entry (see {@link ABSORB_OUTBOX}). No check: entry ids are unique (the
 * engine draws them), and the absorb skips an id that is already stored.
 */
export const COMMIT_OUTBOX_ARGS = `local obAt = 12 + 2 * tonumber(ARGV[10])
local obCount = tonumber(ARGV[obAt]) or 0`;

/**
 * The write of {@link COMMIT_OUTBOX_ARGS}'s entries (after the draft's writes): ONE `RPUSH` of
 * their journal elements onto the workspace's journal, the cheapest durable append Redis has
 * (a commit of more than 1000 entries takes one per 1000).
 */
export const COMMIT_OUTBOX_WRITE = `-- (one RPUSH per 1000 entries: unpack's stack is bounded; a commit carries one or two)
local journalKey = KEYS[tonumber(ARGV[obAt + 1])] -- nil (KEYS[0]) when obCount is 0
for first = 0, obCount - 1, 1000 do
  redis.call("RPUSH", journalKey, unpack(ARGV, obAt + 2 + first, obAt + 1 + math.min(first + 1000, obCount)))
end`;

/**
 * Lua (part of every outbox script, right after the key table): the absorb. Moves every element
 * of the workspace's journal into the columns and indexes, exactly as the commit wrote an entry
 * before the journal (the entry JSON in `entry`, its member in `list:pending` and, scored by its
 * createdAt, in `wait`; for `run.requested`, `watch`, `runs` and `draftruns`), 1000 elements at a
 * time (LRANGE, the writes, LTRIM), until the journal is empty. It runs inside the script that
 * then reads, so no reader ever sees an entry half moved, and a commit that returned is seen by
 * every script that starts after it (Redis runs scripts one at a time). An element whose entry id
 * is already stored (`HSETNX` fails) is skipped. An empty journal costs one `LRANGE`, no write.
 * A journal element is
 * `<entryId>\0<createdAt>\0<createdAt epoch ms>\0<kind>\0<draftId>\0<runId>\0<entry JSON>` (the
 * JSON last: it is the only field that is not an id, a kind or a timestamp).
 */
export const ABSORB_OUTBOX = `local function absorbOne(el)
  local f, from = {}, 1
  for i = 1, 6 do
    local cut = string.find(el, "\\0", from, true)
    f[i] = string.sub(el, from, cut - 1); from = cut + 1
  end
  local id, ca, ms, kind, draft, runId = f[1], f[2], f[3], f[4], f[5], f[6]
  if redis.call("HSETNX", K["entry"], id, string.sub(el, from)) == 0 then return end
  local m = ca .. "\\0" .. id
  redis.call("ZADD", K["list:pending"], 0, m)
  redis.call("ZADD", K["wait"], ms, m)
  if kind == "run.requested" then
    redis.call("ZADD", K["watch"], ms, id)
    redis.call("ZADD", K["runs"], 0, runId .. "\\0" .. draft .. "\\0" .. id)
    redis.call("ZADD", K["draftruns"], 0, draft .. "\\0" .. ca .. "\\0" .. id)
  end
end
while true do
  local batch = redis.call("LRANGE", K["journal"], 0, 999)
  if #batch == 0 then break end
  for _, el in ipairs(batch) do absorbOne(el) end
  redis.call("LTRIM", K["journal"], #batch, -1)
end`;

/** Lua: `K[name]` = the key of that name, the outbox keys starting at KEYS[base]. */
function keyTable(base: string): string {
  return `local K = {}
for i, name in ipairs({${OUTBOX_KEY_NAMES.map((n) => JSON.stringify(n)).join(", ")}}) do K[name] = KEYS[${base} + i - 1] end`;
}

/** The columns a record reply carries after the entry id, in order (the adapter decodes them). */
export const OUTBOX_RECORD_COLUMNS = [
  "entry",
  "status",
  "attempts",
  "availableAt",
  "leaseOwner",
  "leaseUntil",
  "lastError",
  "deliveredAt",
  "reportedAt",
  "progressMessage",
  "progressPercent",
  "settledAt",
] as const;

const RECORD = `local function record(id)
  local r = {id}
  for i, c in ipairs({${OUTBOX_RECORD_COLUMNS.map((n) => JSON.stringify(n)).join(", ")}}) do
    r[i + 1] = redis.call("HGET", K[c], id)
  end
  return r
end
-- A record's createdAt: its "created" field (records written before it was dropped from the
-- commit) or the entry's own createdAt.
local function createdOf(id)
  return redis.call("HGET", K["created"], id) or cjson.decode(redis.call("HGET", K["entry"], id)).createdAt
end
local function member(id) return createdOf(id) .. "\\0" .. id end
-- A record's status: a commit writes none (pending until a settlement or requeue moves it).
local function statusOf(id) return redis.call("HGET", K["status"], id) or "pending" end
local function clearLease(id) redis.call("HDEL", K["leaseOwner"], id); redis.call("HDEL", K["leaseUntil"], id); redis.call("HDEL", K["leaseUntilMs"], id) end
local function moveStatus(id, from, to)
  local m = member(id)
  redis.call("ZREM", K["list:" .. from], m); redis.call("ZADD", K["list:" .. to], 0, m)
  redis.call("HSET", K["status"], id, to)
  if to ~= "pending" then redis.call("ZREM", K["ready"], m); redis.call("ZREM", K["wait"], m) end
end`;

const PRELUDE = `${keyTable("1")}
${ABSORB_OUTBOX}
${RECORD}`;

/**
 * Claims pending entries of one workspace. ARGV: owner, now (epoch ms), leaseUntil (text),
 * leaseUntil (epoch ms), limit, mode, then (mode `take`) listing members. First moves every entry
 * of `wait` whose time has come to `ready`. Then, by mode: `first` claims the first `limit`
 * claimable entries of `ready` in (createdAt, entryId) order and returns their records; `survey`
 * returns those entries' listing members without claiming them; `take` claims the given members
 * that are still claimable and returns their records. An entry of `ready` that is not claimable
 * at `now` (possible only when claimers' clocks disagree) is skipped. A claim sets the lease,
 * counts an attempt and puts the entry back in `wait` until its lease ends.
 */
export const CLAIM_OUTBOX_SCRIPT = `${PRELUDE}
local owner, now, untilText, untilMs, limit, mode = ARGV[1], tonumber(ARGV[2]), ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5]), ARGV[6]
local due = redis.call("ZRANGEBYSCORE", K["wait"], "-inf", ARGV[2], "WITHSCORES")
for i = 1, #due, 1000 do
  local args = {}
  for j = i, math.min(i + 998, #due - 1), 2 do
    local m = due[j]
    args[#args + 1] = 0; args[#args + 1] = m
    -- A new entry's availableMs is its score here (the commit writes none): written on first sight.
    redis.call("HSETNX", K["availableMs"], string.sub(m, string.find(m, "\\0", 1, true) + 1), due[j + 1])
  end
  redis.call("ZADD", K["ready"], unpack(args))
end
if #due > 0 then redis.call("ZREMRANGEBYSCORE", K["wait"], "-inf", ARGV[2]) end
-- the entry id and availableAt (ms) of a member of ready that is claimable at now, or nil
local function claimable(m)
  local id = string.sub(m, string.find(m, "\0", 1, true) + 1)
  local availMs = tonumber(redis.call("HGET", K["availableMs"], id))
  local held = redis.call("HGET", K["leaseUntilMs"], id)
  if availMs <= now and (not held or tonumber(held) <= now) then return id, availMs end
  return nil
end
local function take(m, id, availMs)
  redis.call("ZREM", K["ready"], m)
  redis.call("HSET", K["leaseOwner"], id, owner)
  redis.call("HSET", K["leaseUntil"], id, untilText)
  redis.call("HSET", K["leaseUntilMs"], id, untilMs)
  redis.call("HINCRBY", K["attempts"], id, 1)
  redis.call("ZADD", K["wait"], math.max(availMs, untilMs), m)
  return record(id)
end
local out = {}
if mode == "take" then
  for i = 7, #ARGV do
    local m = ARGV[i]
    if redis.call("ZSCORE", K["ready"], m) then
      local id, availMs = claimable(m)
      if id then out[#out + 1] = take(m, id, availMs) end
    end
  end
  return out
end
local from = "-"
while #out < limit do
  local batch = redis.call("ZRANGEBYLEX", K["ready"], from, "+", "LIMIT", 0, limit - #out)
  if #batch == 0 then break end
  for _, m in ipairs(batch) do
    local id, availMs = claimable(m)
    if id then
      if mode == "survey" then out[#out + 1] = m else out[#out + 1] = take(m, id, availMs) end
    end
    from = "(" .. m
  end
end
return out
`;

/**
 * Settles entries of one workspace leased by `owner`. ARGV: owner, at (text), n, then 5 values
 * per settlement (entry id, status, availableAt text or "", availableAt epoch ms or "", error or
 * ""). Only pending entries whose lease owner is `owner` change; returns how many did.
 */
export const SETTLE_OUTBOX_SCRIPT = `${PRELUDE}
local owner, at, n = ARGV[1], ARGV[2], tonumber(ARGV[3])
local changed = 0
for s = 0, n - 1 do
  local a = 4 + 5 * s
  local id, status = ARGV[a], ARGV[a + 1]
  if redis.call("HGET", K["leaseOwner"], id) == owner and statusOf(id) == "pending" then
    clearLease(id)
    if status == "delivered" then
      moveStatus(id, "pending", "delivered")
      redis.call("HSET", K["deliveredAt"], id, at)
      redis.call("HDEL", K["lastError"], id)
    elseif status == "pending" then
      local m = member(id)
      redis.call("HSET", K["availableAt"], id, ARGV[a + 2])
      redis.call("HSET", K["availableMs"], id, ARGV[a + 3])
      redis.call("HSET", K["lastError"], id, ARGV[a + 4])
      redis.call("ZREM", K["ready"], m)
      redis.call("ZADD", K["wait"], ARGV[a + 3], m)
    else
      moveStatus(id, "pending", "dead")
      redis.call("HSET", K["lastError"], id, ARGV[a + 4])
    end
    changed = changed + 1
  end
end
return changed
`;

/**
 * Gives back entries of one workspace leased by `owner` (ARGV: owner, then entry ids): lease
 * cleared, attempts - 1 (not below 0), claimable again from its `availableAt`. Returns the count.
 */
export const RELEASE_OUTBOX_SCRIPT = `${PRELUDE}
local owner = ARGV[1]
local changed = 0
for i = 2, #ARGV do
  local id = ARGV[i]
  if redis.call("HGET", K["leaseOwner"], id) == owner and statusOf(id) == "pending" then
    clearLease(id)
    local attempts = tonumber(redis.call("HGET", K["attempts"], id)) or 0
    redis.call("HSET", K["attempts"], id, math.max(attempts - 1, 0))
    local m = member(id)
    redis.call("ZREM", K["ready"], m)
    redis.call("ZADD", K["wait"], redis.call("HGET", K["availableMs"], id), m)
    changed = changed + 1
  end
end
return changed
`;

/**
 * Requeues a dead entry (ARGV: entry id, at text, at epoch ms): pending, attempts 0, available at
 * `at`, lease cleared, lastError kept. Returns 1 if it changed, else 0.
 */
export const REQUEUE_OUTBOX_SCRIPT = `${PRELUDE}
local id = ARGV[1]
if statusOf(id) ~= "dead" then return 0 end
clearLease(id)
moveStatus(id, "dead", "pending")
redis.call("HSET", K["attempts"], id, 0)
redis.call("HSET", K["availableAt"], id, ARGV[2])
redis.call("HSET", K["availableMs"], id, ARGV[3])
redis.call("ZADD", K["wait"], ARGV[3], member(id))
return 1
`;

/**
 * One page of a workspace's records in listing order. ARGV: the status ("" for all), the
 * ZRANGEBYLEX start, the count. Returns the records: for one status, that page of its listing;
 * for all, up to `count` of each status's listing (no listing of every record is kept, since a
 * commit would write it too), which the adapter merges into listing order and cuts.
 */
export const LIST_OUTBOX_SCRIPT = `${PRELUDE}
local statuses = ARGV[1] == "" and {"pending", "delivered", "dead"} or {ARGV[1]}
local out = {}
for _, status in ipairs(statuses) do
  local key = K["list:" .. status]
  if not key then return redis.error_reply("onboarding: unknown outbox status " .. status) end
  for _, m in ipairs(redis.call("ZRANGEBYLEX", key, ARGV[2], "+", "LIMIT", 0, tonumber(ARGV[3]))) do
    out[#out + 1] = record(string.sub(m, string.find(m, "\\0", 1, true) + 1))
  end
end
return out
`;

/**
 * Stores a run's progress report (ARGV: draft id, run id, at text, at epoch ms, message flag
 * "1"/"0", message, percent flag, percent) on its `run.requested` record(s) of that draft:
 * reportedAt = max(stored, at), message and percent replaced when their flag is "1", the stale
 * watch moved when the run is unsettled. Returns how many records it found.
 */
export const RECORD_RUN_PROGRESS_SCRIPT = `${PRELUDE}
local prefix = ARGV[2] .. "\\0" .. ARGV[1] .. "\\0"
local atMs = tonumber(ARGV[4])
local found = 0
for _, m in ipairs(redis.call("ZRANGEBYLEX", K["runs"], "[" .. prefix, "(" .. ARGV[2] .. "\\0" .. ARGV[1] .. "\\1")) do
  local id = string.sub(m, #prefix + 1)
  local reported = redis.call("HGET", K["reportedMs"], id)
  local stored = reported and tonumber(reported)
  if not stored or atMs > stored then
    redis.call("HSET", K["reportedAt"], id, ARGV[3])
    redis.call("HSET", K["reportedMs"], id, ARGV[4])
    stored = atMs
  end
  if ARGV[5] == "1" then redis.call("HSET", K["progressMessage"], id, ARGV[6]) end
  if ARGV[7] == "1" then redis.call("HSET", K["progressPercent"], id, ARGV[8]) end
  if redis.call("HEXISTS", K["settledAt"], id) == 0 then redis.call("ZADD", K["watch"], redis.call("HGET", K["reportedMs"], id), id) end
  found = found + 1
end
return found
`;

/** The `run.requested` records of a draft (ARGV: draft id), in (createdAt, entryId) order. */
export const LIST_RUN_RECORDS_SCRIPT = `${PRELUDE}
local prefix = ARGV[1] .. "\\0"
local out = {}
for _, m in ipairs(redis.call("ZRANGEBYLEX", K["draftruns"], "[" .. prefix, "(" .. ARGV[1] .. "\\1")) do
  local rest = string.sub(m, #prefix + 1)
  out[#out + 1] = record(string.sub(rest, string.find(rest, "\\0", 1, true) + 1))
end
return out
`;

/**
 * Up to `limit` unsettled `run.requested` records of a workspace whose last report (or request)
 * is older than `before` (ARGV: before epoch ms, limit), oldest first, ties by entry id.
 */
export const FIND_STALE_RUNS_SCRIPT = `${PRELUDE}
local out = {}
for _, id in ipairs(redis.call("ZRANGEBYSCORE", K["watch"], "-inf", "(" .. ARGV[1], "LIMIT", 0, tonumber(ARGV[2]))) do
  out[#out + 1] = record(id)
end
return out
`;

/**
 * Marks runs of a draft finished (ARGV: at text, draft id, then run ids): each unsettled
 * `run.requested` record of those runs of that draft gets settledAt = at and leaves the stale
 * watch. Returns how many changed.
 */
export const SETTLE_RUNS_SCRIPT = `${PRELUDE}
local changed = 0
for i = 3, #ARGV do
  local prefix = ARGV[i] .. "\\0" .. ARGV[2] .. "\\0"
  for _, m in ipairs(redis.call("ZRANGEBYLEX", K["runs"], "[" .. prefix, "(" .. ARGV[i] .. "\\0" .. ARGV[2] .. "\\1")) do
    local id = string.sub(m, #prefix + 1)
    if redis.call("HEXISTS", K["settledAt"], id) == 0 then
      redis.call("HSET", K["settledAt"], id, ARGV[1])
      redis.call("ZREM", K["watch"], id)
      changed = changed + 1
    end
  end
end
return changed
`;

/** The column hashes of {@link OUTBOX_KEY_NAMES} (those before the indexes), as a Lua list. */
const HASH_COLUMNS = OUTBOX_KEY_NAMES.slice(0, OUTBOX_KEY_NAMES.indexOf("list"))
  .map((n) => JSON.stringify(n))
  .join(", ");

/**
 * Deletes delivered records of a workspace (ARGV: triples of entry id, run id, draft id, as the
 * adapter read them from the entries): each one that is still there and `delivered` leaves every
 * column hash and every index it is in. The adapter chose them (delivered before the cut-off,
 * `run.cancelled` or settled): those facts never change back once true, so only the status is
 * checked again here. Returns how many went.
 */
export const PRUNE_OUTBOX_SCRIPT = `${PRELUDE}
local removed = 0
for a = 1, #ARGV, 3 do
  local id, runId, draft = ARGV[a], ARGV[a + 1], ARGV[a + 2]
  if statusOf(id) == "delivered" then
    local created = createdOf(id)
    local m = created .. "\0" .. id
    for _, name in ipairs({"list", "list:pending", "list:delivered", "list:dead", "ready", "wait"}) do redis.call("ZREM", K[name], m) end
    redis.call("ZREM", K["watch"], id)
    redis.call("ZREM", K["runs"], runId .. "\0" .. draft .. "\0" .. id)
    redis.call("ZREM", K["draftruns"], draft .. "\0" .. created .. "\0" .. id)
    for _, name in ipairs({${HASH_COLUMNS}}) do redis.call("HDEL", K[name], id) end
    removed = removed + 1
  end
end
return removed
`;

/** Every outbox script that runs on its own (not the commit script's parts), by name. */
export const OUTBOX_SCRIPTS = {
  /** {@link CLAIM_OUTBOX_SCRIPT}. */
  claim: CLAIM_OUTBOX_SCRIPT,
  /** {@link SETTLE_OUTBOX_SCRIPT}. */
  settle: SETTLE_OUTBOX_SCRIPT,
  /** {@link RELEASE_OUTBOX_SCRIPT}. */
  release: RELEASE_OUTBOX_SCRIPT,
  /** {@link REQUEUE_OUTBOX_SCRIPT}. */
  requeue: REQUEUE_OUTBOX_SCRIPT,
  /** {@link LIST_OUTBOX_SCRIPT}. */
  list: LIST_OUTBOX_SCRIPT,
  /** {@link RECORD_RUN_PROGRESS_SCRIPT}. */
  recordRunProgress: RECORD_RUN_PROGRESS_SCRIPT,
  /** {@link LIST_RUN_RECORDS_SCRIPT}. */
  listRunRecords: LIST_RUN_RECORDS_SCRIPT,
  /** {@link FIND_STALE_RUNS_SCRIPT}. */
  findStaleRuns: FIND_STALE_RUNS_SCRIPT,
  /** {@link SETTLE_RUNS_SCRIPT}. */
  settleRuns: SETTLE_RUNS_SCRIPT,
  /** {@link PRUNE_OUTBOX_SCRIPT}. */
  prune: PRUNE_OUTBOX_SCRIPT,
} as const;

// ==== drafts, audit, idempotency ==========================================================

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
--       then one journal element per entry (see ABSORB_OUTBOX above).
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
${COMMIT_OUTBOX_ARGS}
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

/**
 * Reads the last entries of a draft's audit list with the index of the first one, in one atomic
 * step (an append between a separate `LLEN` and `LRANGE` would shift every index). KEYS[1]: the
 * audit list; ARGV[1]: how many. Returns `{ start, entries }`, entries oldest first. Only the
 * backward read from the end needs it; every other page is a plain `LRANGE` of absolute indexes,
 * which appends at the tail never shift.
 */
export const READ_AUDIT_TAIL_SCRIPT = `local n = redis.call("LLEN", KEYS[1])
local start = n - tonumber(ARGV[1])
if start < 0 then start = 0 end
if n == 0 then return {0, {}} end
return {start, redis.call("LRANGE", KEYS[1], start, n - 1)}
`;
