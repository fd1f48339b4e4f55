/**
 * The Redis key layout of the adapter. Every key of a workspace carries the same hash tag,
 * `{<prefix>:ws:<workspace>}`, so everything one Lua script touches (a draft, its audit list, the
 * workspace's open-draft index, its idempotency records and its listing indexes) lives in ONE
 * hash slot: the layout is safe for Redis Cluster (sharding is per workspace).
 *
 * Workspace ids are arbitrary strings; ids that could break the tag (`{`, `}`, `:`, spaces,
 * unicode ...) are encoded (see {@link encodeWorkspaceSegment}). Everything after the tag is
 * binary-safe in Redis and never parsed, so draft ids, tenant ids and idempotency keys are used
 * as they are.
 *
 * May import: store/, record/ and vocabulary/. Never a driver at runtime, never engine/.
 */
import { ConfigurationError } from "../../record/index.js";
import type { LifecycleState } from "../../vocabulary/index.js";

/** The key prefix used when `createRedisStore` gets none. */
export const DEFAULT_KEY_PREFIX = "onboarding";

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
export interface WorkspaceKeys {
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
export function redisKeys(prefix: string, workspaceId: string): WorkspaceKeys {
  return new KeysOfWorkspace(`{${prefix}:ws:${encodeWorkspaceSegment(workspaceId)}}`);
}

// A class rather than an object of closures: key names are built on every store call, and
// prototype methods cost nothing per call.
class KeysOfWorkspace implements WorkspaceKeys {
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
