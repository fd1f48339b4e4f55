/**
 * `createRedisStore`: the `DraftStore` on Redis (standalone or Cluster) through a caller-owned
 * ioredis client. Writes are single Lua scripts (see `scripts.ts`), reads are plain HGET / GET /
 * LRANGE / ZRANGEBYLEX calls.
 *
 * May import: store/, record/, vocabulary/, node built-ins, and ioredis as TYPES only (the
 * driver is an optional peer dependency and the caller passes the client in). I/O only: the
 * engine encodes and decodes drafts.
 */
import { createHash } from "node:crypto";
import type { Cluster, Redis } from "ioredis";
import { ConfigurationError, type AuditEvent, type IdempotencyRecord } from "../../record/index.js";
import {
  auditSequence,
  encodeCursor,
  listCursor,
  readAuditPage,
  storeWrite,
  writeResultFromReply,
  openTenantOf,
  type CommitInput,
  type DraftStore,
  type OutboxStore,
  type InsertInput,
  type ListOptions,
  type ListPage,
  type StoredDraft,
  type WriteResult,
  parseStoredJson,
  wrapStoreErrors,
  type StoreAdmin,
} from "../../store/index.js";
import type { OnboardingDraft } from "../../record/index.js";
import {
  COMMIT_SCRIPT,
  DEFAULT_REDIS_KEY_PREFIX,
  INSERT_SCRIPT,
  READ_AUDIT_TAIL_SCRIPT,
  READ_DOCUMENTS_SCRIPT,
  STATE_KEY_ORDER,
  assertKeyPrefix,
  listMember,
  parseListMember,
  redisKeys,
  type RedisWorkspaceKeys,
} from "./schema.js";
import { appendOutboxArgs, appendOutboxKeys, createRedisOutbox } from "./outbox.js";
import { redisAdmin } from "./admin.js";
import { checkDurability, durableSender, type RedisDurability } from "./durability.js";
import type { OutboxEntry } from "../../record/index.js";

/** Options of {@link createRedisStore}. */
export interface RedisStoreOptions {
  /**
   * A connected ioredis client: a standalone `Redis` or a `Cluster`. The caller owns it; the
   * store never closes it. (If the client has ioredis' own `keyPrefix` option, it must not
   * contain `{` or `}`.) For a Cluster, read from masters (`scaleReads: "master"`, the default)
   * so reads see the latest commit.
   */
  readonly client: Redis | Cluster;
  /**
   * Prefix of every key, inside the hash tag: `{<keyPrefix>:ws:<workspace>}:...`. Default
   * `onboarding`. 1..64 characters out of letters, digits and `_ . : / -`.
   */
  readonly keyPrefix?: string;
  /**
   * How long Redis keeps an idempotency record, in milliseconds (`SET ... PX`); default 0, kept
   * until deleted. A whole number from 0 to 2^53 - 1. A key whose record expired is a new key
   * again. (The SQL adapters offer `pruneIdempotency(before)` for a scheduled job instead.)
   */
  readonly idempotencyTtlMs?: number;
  /**
   * Wait for replicas before acknowledging (`WAIT numreplicas timeout`, sent after each insert
   * and commit script on the same connection, and before an idempotent replay is answered).
   * Without it a write is acknowledged as soon as the master applied it, and a failover can lose
   * it. When fewer replicas confirm in time, the call rejects with a `StoreError` whose cause is
   * an {@link UnconfirmedReplicationError}: applied on the master, outcome unknown. This narrows
   * what a failover can lose; it does not make Redis strongly consistent (see the adapters guide,
   * "Redis: durability"). Default: none.
   *
   * @example
   * ```ts
   * import { Cluster } from "ioredis";
   * const client = new Cluster([{ host: "127.0.0.1", port: 7000 }]);
   * const store = createRedisStore({ client, durability: { replicas: 1, timeoutMs: 100 } });
   * ```
   */
  readonly durability?: RedisDurability;
}

/**
 * The Redis store: a {@link DraftStore} and its {@link OutboxStore} half, plus what is specific
 * to the adapter. What {@link createRedisStore} returns.
 */
export interface RedisStore extends DraftStore, OutboxStore {
  /** Always `"redis"`. */
  readonly name: "redis";
  /** The validated key prefix: every key of the store starts with `{<keyPrefix>:ws:`. */
  readonly keyPrefix: string;
  /**
   * The key names of a workspace (for operators' tooling: inspection, cleanup, `SCAN MATCH`).
   * See `specs/003-storage-adapters/redis.md` for what each key holds.
   */
  keys(workspaceId: string): RedisWorkspaceKeys;
  /**
   * Counts per state, a scan of every document and a rewrite that keeps the version (see
   * `StoreAdmin`). The methods that span workspaces walk the keyspace with `SCAN` (every master of
   * a Cluster): meant for operators' jobs, not for request paths.
   */
  readonly admin: StoreAdmin;
  /**
   * Deletes the outbox records that are done with (delivered before `before`, and cancelled or
   * settled; see {@link OutboxStore.pruneOutbox}) in every workspace of the registry (one delete
   * script per workspace and page, so it stays Cluster-safe) and resolves to how many went.
   * Always present on this store.
   */
  pruneOutbox(before: string): Promise<number>;
}

/** The minimal client surface the store uses: `call` exists on both `Redis` and `Cluster`. */
interface CallClient {
  call(command: string, ...args: (string | number | (string | number)[])[]): Promise<unknown>;
}

interface Script {
  readonly source: string;
  readonly sha: string;
}

function script(source: string): Script {
  return { source, sha: createHash("sha1").update(source, "utf8").digest("hex") };
}

const INSERT = script(INSERT_SCRIPT);
const COMMIT = script(COMMIT_SCRIPT);
const READ_DOCUMENTS = script(READ_DOCUMENTS_SCRIPT);
const READ_AUDIT_TAIL = script(READ_AUDIT_TAIL_SCRIPT);

const NAME = "redis" as const;

/**
 * The stored `v` of a draft hash, for the engine's version check. Every script writes `v`
 * with `doc`, so a hash with a document and no `v` disagrees with it as much as a wrong `v` does
 * (the commit script would report the draft as gone).
 */
function storedVersion(v: string | null | undefined): string {
  return v ?? "(missing)";
}

function parseJson(raw: unknown): unknown {
  if (raw === null || raw === undefined) return null;
  return parseStoredJson(raw, "value", null);
}

function asString(value: unknown): string | null {
  if (typeof value === "string") return value;
  if (Buffer.isBuffer(value)) return value.toString("utf8");
  return null;
}

function isNoScript(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith("NOSCRIPT");
}

/**
 * Creates the Redis storage adapter.
 *
 * Layout: every key of a workspace shares the hash tag `{<keyPrefix>:ws:<workspace>}`, so one
 * workspace lives in one hash slot (on Redis Cluster: on one shard) and each write is a single
 * Lua script over keys of that slot. See `specs/003-storage-adapters/redis.md`.
 *
 * Durability is the server's configuration (AOF / RDB, replication); the `durability` option
 * adds a wait for replicas before each write is acknowledged.
 *
 * @throws {@link onboarding-lifecycle!ConfigurationError} for an invalid `keyPrefix`. Driver failures during calls
 * reject with {@link onboarding-lifecycle!StoreError}.
 *
 * @example
 * ```ts
 * import { Redis } from "ioredis";
 * import { createRedisStore } from "onboarding-lifecycle/adapters/redis";
 * const client = new Redis("redis://127.0.0.1:6379");
 * const engine = createOnboardingEngine({ store: createRedisStore({ client }), authorize });
 * // ... on shutdown: await client.quit();  (the store never closes the caller's client)
 * ```
 */
export function createRedisStore(options: RedisStoreOptions): RedisStore {
  const prefix = assertKeyPrefix(options.keyPrefix ?? DEFAULT_REDIS_KEY_PREFIX);
  const client = options.client as unknown as CallClient;
  const idempotencyTtl = options.idempotencyTtlMs ?? 0;
  if (typeof idempotencyTtl !== "number" || !Number.isSafeInteger(idempotencyTtl) || idempotencyTtl < 0) {
    throw new ConfigurationError(
      "idempotencyTtlMs",
      `idempotencyTtlMs must be a whole number of milliseconds >= 0, got ${String(idempotencyTtl)}`,
    );
  }
  const durability = checkDurability(options.durability);
  const durable = durability === null ? null : durableSender(options.client, durability);

  function run<T>(operation: string, body: () => Promise<T>): Promise<T> {
    return wrapStoreErrors(NAME, operation, body);
  }

  async function evalScript(s: Script, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    try {
      return await client.call("evalsha", s.sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!isNoScript(error)) throw error;
      // First use on this server (or after SCRIPT FLUSH / failover): EVAL also caches it.
      return client.call("eval", s.source, keys.length, ...keys, ...args);
    }
  }

  /**
   * One range of a draft's audit list by index (the list only grows at its tail, so an index
   * names one entry for good): the index of its first entry and the entries, oldest first.
   * Reads only the range (`LRANGE` costs the distance from the nearer end plus the range).
   */
  async function readAuditRange(
    key: string,
    after: number | null,
    limit: number | null,
    backward: boolean,
  ): Promise<[number, unknown[]]> {
    const list = (reply: unknown): unknown[] => (Array.isArray(reply) ? reply : []);
    if (!backward) {
      const start = after === null ? 0 : after + 1;
      return [start, list(await client.call("lrange", key, start, limit === null ? -1 : start + limit - 1))];
    }
    if (after === null && limit !== null) {
      const reply = list(await evalScript(READ_AUDIT_TAIL, [key], [limit]));
      return [Number(reply[0] ?? 0), list(reply[1])];
    }
    if (after === 0) return [0, []];
    const end = after === null ? -1 : after - 1;
    const start = limit === null || after === null ? 0 : Math.max(0, after - limit);
    return [start, list(await client.call("lrange", key, start, end))];
  }

  /**
   * Runs a write script and maps its reply, in as few promise steps as possible (a write is the
   * hot path): EVALSHA, EVAL only when the server does not know the script yet, driver failures
   * wrapped in `StoreError`.
   */
  function write(operation: string, s: Script, prepare: () => (string | number)[]): Promise<WriteResult> {
    let argv: (string | number)[];
    try {
      argv = prepare();
    } catch (error) {
      return storeWrite(NAME, operation, () => Promise.reject(error));
    }
    return storeWrite(NAME, operation, async () => {
      if (durable !== null) return writeResultFromReply(await durable.script(operation, s.sha, s.source, argv));
      // argv[0] is the script's SHA-1 for EVALSHA; EVAL takes the source in its place.
      argv[0] = s.sha;
      let result: unknown;
      try {
        result = await client.call("evalsha", argv);
      } catch (error) {
        if (!isNoScript(error)) throw error;
        // First use on this server (or after SCRIPT FLUSH / failover): EVAL also caches it.
        argv[0] = s.source;
        result = await client.call("eval", argv);
      }
      return writeResultFromReply(result);
    });
  }

  /**
   * The key names of a workspace, and the fixed keys of every write script (open-draft index,
   * listing, one listing per state), built once per workspace: writes are the hot path.
   */
  const workspaceKeys = new Map<string, { readonly keys: RedisWorkspaceKeys; readonly fixed: readonly string[] }>();
  function keysOf(workspaceId: string): { readonly keys: RedisWorkspaceKeys; readonly fixed: readonly string[] } {
    let entry = workspaceKeys.get(workspaceId);
    if (entry === undefined) {
      const keys = redisKeys(prefix, workspaceId);
      entry = { keys, fixed: [keys.openDrafts, keys.list(), ...STATE_KEY_ORDER.map((state) => keys.list(state))] };
      if (workspaceKeys.size >= 1024) workspaceKeys.clear(); // bounded; rebuilding is cheap
      workspaceKeys.set(workspaceId, entry);
    }
    return entry;
  }

  /**
   * The arguments of a write script after the script itself (`argv[0]`, filled in by the
   * caller): the key count, the keys, then ARGV (see `scripts.ts`), built in one array because
   * writes are the hot path.
   */
  function writeKeysAndArgs(
    draft: OnboardingDraft,
    document: string,
    expectedVersion: number | null,
    basis: string,
    events: readonly AuditEvent[],
    idempotency: IdempotencyRecord | null,
    outbox?: readonly OutboxEntry[],
  ): (string | number)[] {
    const k = keysOf(draft.workspaceId);
    const keys: string[] = [k.keys.draft(draft.id)];
    for (const key of k.fixed) keys.push(key);
    if (idempotency !== null) {
      if (idempotency.workspaceId !== draft.workspaceId) {
        throw new Error("the idempotency record belongs to another workspace than the draft");
      }
      keys.push(k.keys.idempotency(idempotency.key));
    }
    // Audit entries go to their draft's list; the script takes (1-based index of the list among
    // the audit keys, entry JSON) pairs.
    const auditKeys: string[] = [];
    const pairs: (string | number)[] = [];
    for (const event of events) {
      if (event.workspaceId !== draft.workspaceId) {
        throw new Error("an audit entry belongs to another workspace than the draft");
      }
      const key = k.keys.audit(event.draftId);
      let index = auditKeys.indexOf(key) + 1;
      if (index === 0) {
        auditKeys.push(key);
        keys.push(key);
        index = auditKeys.length;
      }
      pairs.push(index, JSON.stringify(event));
    }
    const outboxBase = appendOutboxKeys(keys, k.keys.tag, draft.workspaceId, outbox);
    const argv: (string | number)[] = ["", keys.length];
    for (const key of keys) argv.push(key);
    argv.push(
      expectedVersion === null ? "" : String(expectedVersion),
      String(draft.version),
      document,
      draft.lifecycle.state,
      draft.createdAt,
      openTenantOf(draft) ?? "",
      draft.id,
      idempotency === null ? "" : JSON.stringify(idempotency),
      basis,
      events.length,
    );
    for (const value of pairs) argv.push(value);
    argv.push(idempotencyTtl);
    appendOutboxArgs(argv, outbox, outboxBase);
    return argv;
  }

  const { register, ...outbox } = createRedisOutbox({
    prefix,
    call: (command, ...args) => client.call(command, ...args),
    evalScript,
    tagOf: (workspaceId) => keysOf(workspaceId).keys.tag,
    run,
  });

  // db.namespace is the database index; a Cluster only has database 0.
  const db = (options.client as { options?: { db?: unknown } }).options?.db;
  const store: RedisStore = {
    ...outbox,
    name: NAME,
    keyPrefix: prefix,
    admin: redisAdmin({ client: options.client, prefix, evalScript, script, run }),
    describe: () => ({ system: "redis", namespace: typeof db === "number" ? String(db) : "0" }),

    keys(workspaceId) {
      return redisKeys(prefix, workspaceId);
    },

    load(workspaceId, draftId) {
      return run("load", async () => {
        // The document and its version field in one round trip: the engine checks they agree.
        const row = await client.call("hmget", keysOf(workspaceId).keys.draft(draftId), "doc", "v");
        const [raw, v] = Array.isArray(row) ? (row as unknown[]) : [];
        return raw === null || raw === undefined
          ? null
          : { document: raw, version: storedVersion(asString(v)), draftId };
      });
    },

    insert(input: InsertInput) {
      return write("insert", INSERT, () =>
        writeKeysAndArgs(input.draft, input.document, null, "", [input.event], input.idempotency),
      );
    },

    commit(input: CommitInput) {
      const commit = (): Promise<WriteResult> =>
        write("commit", COMMIT, () =>
          writeKeysAndArgs(
            input.draft,
            input.document,
            input.expectedVersion,
            input.basis ?? "",
            input.events,
            input.idempotency,
            input.outbox,
          ),
        );
      // A workspace's first entries: into the outbox registry before the commit that writes them.
      const registering = input.outbox?.length ? register(input.draft.workspaceId) : null;
      return registering === null ? commit() : registering.then(commit);
    },

    async appendAudit(events) {
      await run("appendAudit", async () => {
        // One RPUSH per draft, in the order the entries were given.
        const groups = new Map<string, string[]>();
        for (const event of events) {
          const key = redisKeys(prefix, event.workspaceId).audit(event.draftId);
          const group = groups.get(key);
          if (group === undefined) groups.set(key, [JSON.stringify(event)]);
          else group.push(JSON.stringify(event));
        }
        for (const [key, values] of groups) await client.call("rpush", key, ...values);
      });
    },

    async listAudit(workspaceId, draftId, page) {
      const request = readAuditPage(page);
      const after = request.after === null ? null : auditSequence(request.after);
      const key = redisKeys(prefix, workspaceId).audit(draftId);
      return run("listAudit", async () => {
        const [start, entries] = await readAuditRange(key, after, request.limit, request.backward);
        const found = entries.map((raw, offset) => ({ event: parseJson(raw), position: String(start + offset) }));
        return request.backward ? found.reverse() : found;
      });
    },

    async findOpenDraft(workspaceId, tenantId) {
      return run("findOpenDraft", async () => {
        const k = redisKeys(prefix, workspaceId);
        // The index and the draft are two reads; a commit between them can release the slot.
        // Re-read (bounded) until the draft found still holds the tenant's slot.
        for (let attempt = 0; attempt < 5; attempt += 1) {
          const draftId = asString(await client.call("hget", k.openDrafts, tenantId));
          if (draftId === null) return null;
          const row = await client.call("hmget", k.draft(draftId), "doc", "open", "v");
          const [doc, open, v] = Array.isArray(row) ? row.map(asString) : [null, null, null];
          if (doc !== null && doc !== undefined && open === tenantId) {
            return { document: doc, version: storedVersion(v), draftId };
          }
        }
        return null;
      });
    },

    async loadIdempotency(workspaceId, key) {
      return run("loadIdempotency", async () => {
        const name = redisKeys(prefix, workspaceId).idempotency(key);
        const raw = await client.call("get", name);
        // A record found answers the command (a replay): with durability, only once replicas hold it.
        return parseJson(raw === null || durable === null ? raw : await durable.get("loadIdempotency", name));
      });
    },

    async list(workspaceId, options: ListOptions): Promise<ListPage> {
      // limit and state were checked by the engine; only the cursor is the store's to read.
      const limit = options.limit;
      const position = listCursor(options.cursor);
      const start = position === null ? "-" : `(${listMember(position.createdAt, position.id)}`;
      return run("list", async () => {
        const k = redisKeys(prefix, workspaceId);
        const reply = await client.call("zrangebylex", k.list(options.state), start, "+", "LIMIT", 0, limit + 1);
        const members = (Array.isArray(reply) ? reply.map(asString) : []).filter((m): m is string => m !== null);
        const page = members
          .slice(0, limit)
          .map(parseListMember)
          .filter((p): p is { createdAt: string; id: string } => p !== null);
        const ids = page.map((p) => p.id);
        let drafts: StoredDraft[] = [];
        if (ids.length > 0) {
          // Flat (document, stored version) pairs, one per id.
          const reply = await evalScript(
            READ_DOCUMENTS,
            ids.map((id) => k.draft(id)),
            [options.state ?? ""],
          );
          const found: unknown[] = Array.isArray(reply) ? reply : [];
          drafts = ids.flatMap((id, index): StoredDraft[] => {
            const doc = found[2 * index];
            if (doc === null || doc === undefined) return [];
            return [{ document: doc, version: storedVersion(asString(found[2 * index + 1])), draftId: id }];
          });
        }
        const last = page[page.length - 1];
        const nextCursor = members.length > limit && last !== undefined ? encodeCursor(last) : null;
        return { drafts, nextCursor };
      });
    },
  };
  return store;
}
