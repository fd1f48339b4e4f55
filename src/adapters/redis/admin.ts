/**
 * The Redis store's `admin` (`StoreAdmin`). Redis keeps no registry of every draft, so the
 * methods that span workspaces walk the keyspace with `SCAN MATCH` (on a Cluster: every master,
 * one after the other, in a stable order):
 * - `countDrafts`: finds the workspaces by their listing key (`{<prefix>:ws:<W>}:list`) and
 *   counts each one's listing and per-state listings (`ZCARD`) in one script per workspace (its
 *   keys share one slot); a draft listed under a state that is no lifecycle state counts in
 *   `total` only;
 * - `scanDrafts`: the draft hashes (`{<prefix>:ws:<W>}:draft:<id>`), in SCAN order. The cursor
 *   holds the node and the server's SCAN cursor, so a scan resumes where it stopped; SCAN may
 *   return a key twice, and a page holds whole SCAN steps (so somewhat more than `limit` at times);
 * - `rewriteDraft`: one Lua script over the draft's slot: checks the stored document and version,
 *   then writes the document and state fields, moves the open-draft slot and the listing members.
 */
import type { Cluster, Redis } from "ioredis";
import {
  checkScanLimit,
  draftCounts,
  encodeScanCursor,
  openTenantOf,
  scanCursor,
  type ScannedDraft,
  type StoreAdmin,
} from "../../store/index.js";
import { encodeWorkspaceSegment, redisKeys, STATE_KEY_ORDER } from "./schema.js";

/** What the admin needs of the store. */
export interface RedisAdminContext {
  /** The caller's client (standalone or Cluster). */
  readonly client: Redis | Cluster;
  /** The store's validated key prefix. */
  readonly prefix: string;
  /** Runs a script by SHA-1, loading it on first use. */
  readonly evalScript: (
    script: { readonly source: string; readonly sha: string },
    keys: readonly string[],
    args: readonly (string | number)[],
  ) => Promise<unknown>;
  /** Hashes a script's source (SHA-1), as the store does for its own. */
  readonly script: (source: string) => { readonly source: string; readonly sha: string };
  /** The one error wrapper. */
  readonly run: <T>(operation: string, body: () => Promise<T>) => Promise<T>;
}

const STATE_TABLE = `local STATE_KEY = {}
for i, name in ipairs({${STATE_KEY_ORDER.map((s) => JSON.stringify(s)).join(", ")}}) do STATE_KEY[name] = KEYS[3 + i] end`;

/**
 * Lua: the counts of one workspace. KEYS: the listing, then one listing per state (in
 * `STATE_KEY_ORDER`). Returns the total, then one count per state.
 */
export const COUNT_DRAFTS_SCRIPT = `local out = {}
for i, key in ipairs(KEYS) do out[i] = redis.call("ZCARD", key) end
return out`;

/**
 * Lua: rewrites a draft without changing its version. KEYS: 1 draft hash, 2 open-draft index,
 * 3 listing, 4.. one listing per state. ARGV: 1 the scanned document, 2 the version (stored,
 * and kept), 3 the new document, 4 state, 5 createdAt, 6 open tenant (`""`: none), 7 draft id. Replies `{"ok"}`, `{"changed"}` or `{"open_draft_exists", holder}`;
 * every check comes before the first write.
 */
export const REWRITE_DRAFT_SCRIPT = `${STATE_TABLE}
local draftKey, openKey, listKey = KEYS[1], KEYS[2], KEYS[3]
local basis, version, doc, state = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local createdAt, tenant, draftId = ARGV[5], ARGV[6], ARGV[7]
local newStateKey = STATE_KEY[state]
if not newStateKey then return redis.error_reply("onboarding: unknown lifecycle state " .. state) end
local cur = redis.call("HMGET", draftKey, "doc", "v", "ca", "open")
if not cur[1] or cur[1] ~= basis or cur[2] ~= version then return {"changed"} end
if tenant ~= "" then
  local holder = redis.call("HGET", openKey, tenant)
  if holder and holder ~= draftId then return {"open_draft_exists", holder} end
end
-- writes
redis.call("HSET", draftKey, "doc", doc, "v", version, "state", state, "ca", createdAt, "open", tenant)
local oldTenant = cur[4] or ""
if oldTenant ~= "" and oldTenant ~= tenant and redis.call("HGET", openKey, oldTenant) == draftId then
  redis.call("HDEL", openKey, oldTenant)
end
if tenant ~= "" then redis.call("HSET", openKey, tenant, draftId) end
-- The listing members, wherever an older writer put them (its state may not be a current one).
local oldMember = (cur[3] or createdAt) .. "\\0" .. draftId
local newMember = createdAt .. "\\0" .. draftId
redis.call("ZREM", listKey, oldMember)
for i = 4, #KEYS do redis.call("ZREM", KEYS[i], oldMember) end
redis.call("ZADD", listKey, 0, newMember)
redis.call("ZADD", newStateKey, 0, newMember)
return {"ok"}`;

interface ScanNode {
  call(command: string, ...args: (string | number)[]): Promise<unknown>;
}

function asString(value: unknown): string | null {
  if (typeof value === "string") return value;
  if (Buffer.isBuffer(value)) return value.toString("utf8");
  return null;
}

/** The workspace id a key's hash tag names, or `null` when the segment is not one the store writes. */
function decodeSegment(segment: string): string | null {
  const id = segment.startsWith("~") ? Buffer.from(segment.slice(1), "base64url").toString("utf8") : segment;
  return encodeWorkspaceSegment(id) === segment ? id : null;
}

/** Splits `{<prefix>:ws:<W>}<rest>` into the workspace and the rest, or `null` for another key. */
function splitKey(key: string, prefix: string): { readonly workspaceId: string; readonly rest: string } | null {
  const head = `{${prefix}:ws:`;
  if (!key.startsWith(head)) return null;
  const close = key.indexOf("}", head.length);
  if (close < 0) return null;
  const workspaceId = decodeSegment(key.slice(head.length, close));
  return workspaceId === null ? null : { workspaceId, rest: key.slice(close + 1) };
}

/** The admin of a Redis store. */
export function redisAdmin(ctx: RedisAdminContext): StoreAdmin {
  const { prefix } = ctx;
  const COUNT = ctx.script(COUNT_DRAFTS_SCRIPT);
  const REWRITE = ctx.script(REWRITE_DRAFT_SCRIPT);
  const client = ctx.client as unknown as ScanNode;

  /** The nodes to SCAN: the client itself, or a Cluster's masters in a stable order. */
  function nodes(): readonly ScanNode[] {
    const cluster = ctx.client as Cluster;
    if (cluster.isCluster !== true) return [client];
    return cluster
      .nodes("master")
      .map((node) => ({ node, name: `${node.options.host ?? ""}:${String(node.options.port ?? "")}` }))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      .map(({ node }) => node as unknown as ScanNode);
  }

  /** One SCAN step on a node: the next server cursor and the keys. */
  async function scanStep(node: ScanNode, cursor: string, match: string, count: number) {
    const reply = await node.call("scan", cursor, "MATCH", match, "COUNT", count);
    const [next, keys] = Array.isArray(reply) ? (reply as [unknown, unknown]) : ["0", []];
    return {
      next: asString(next) ?? "0",
      keys: (Array.isArray(keys) ? keys.map(asString) : []).filter((k): k is string => k !== null),
    };
  }

  /** Every workspace with a listing key, each once. */
  async function workspaces(): Promise<string[]> {
    const found = new Set<string>();
    for (const node of nodes()) {
      let cursor = "0";
      do {
        const step = await scanStep(node, cursor, `{${prefix}:ws:*}:list`, 1000);
        for (const key of step.keys) {
          const parts = splitKey(key, prefix);
          if (parts !== null && parts.rest === ":list") found.add(parts.workspaceId);
        }
        cursor = step.next;
      } while (cursor !== "0");
    }
    return [...found];
  }

  /** The listing's size, then one (state, count) per lifecycle state, of one workspace. */
  async function countWorkspace(
    workspaceId: string,
  ): Promise<{ listed: number; rows: Array<readonly [string, number]> }> {
    const keys = redisKeys(prefix, workspaceId);
    const reply = await ctx.evalScript(COUNT, [keys.list(), ...STATE_KEY_ORDER.map((s) => keys.list(s))], []);
    const counts = Array.isArray(reply) ? reply.map(Number) : [];
    return {
      listed: counts[0] ?? 0,
      rows: STATE_KEY_ORDER.map((state, index) => [state, counts[index + 1] ?? 0] as const),
    };
  }

  async function readDrafts(keys: readonly string[]): Promise<ScannedDraft[]> {
    const drafts = await Promise.all(
      keys.map(async (key): Promise<ScannedDraft | null> => {
        const parts = splitKey(key, prefix);
        if (parts === null || !parts.rest.startsWith(":draft:")) return null;
        const row = await client.call("hmget", key, "doc", "v", "state", "open");
        const [doc, v, state, open] = Array.isArray(row) ? row.map(asString) : [];
        if (doc === null || doc === undefined) return null;
        return {
          workspaceId: parts.workspaceId,
          draftId: parts.rest.slice(":draft:".length),
          document: doc,
          version: v ?? null,
          state: state ?? null,
          openTenantId: open === null || open === undefined || open === "" ? null : open,
        };
      }),
    );
    return drafts.filter((draft): draft is ScannedDraft => draft !== null);
  }

  return {
    countDrafts(options = {}) {
      return ctx.run("countDrafts", async () => {
        const ids = options.workspaceId === undefined ? await workspaces() : [options.workspaceId];
        const rows: Array<readonly [string, number]> = [];
        let total = 0;
        // A few workspaces at a time: one script each, on the workspace's own slot.
        for (let start = 0; start < ids.length; start += 8) {
          for (const counts of await Promise.all(ids.slice(start, start + 8).map(countWorkspace))) {
            rows.push(...counts.rows);
            total += counts.listed;
          }
        }
        // The listing also holds drafts another writer listed under no lifecycle state.
        return { total, byState: draftCounts(rows).byState };
      });
    },

    async scanDrafts(options) {
      const limit = checkScanLimit(options.limit);
      // (master index, the server's SCAN cursor): both unsigned integers.
      const after = scanCursor(options.cursor, ([node, cursor]) => /^\d{1,4}$/.test(node) && /^\d{1,20}$/.test(cursor));
      return ctx.run("scanDrafts", async () => {
        const all = nodes();
        let node = after === null ? 0 : Number(after[0]);
        let cursor = after === null ? "0" : after[1];
        const drafts: ScannedDraft[] = [];
        for (let current = all[node]; current !== undefined && drafts.length < limit; current = all[node]) {
          const step = await scanStep(current, cursor, `{${prefix}:ws:*}:draft:*`, limit);
          drafts.push(...(await readDrafts(step.keys)));
          cursor = step.next;
          if (cursor === "0") node += 1;
        }
        return { drafts, nextCursor: node >= all.length ? null : encodeScanCursor([String(node), cursor]) };
      });
    },

    rewriteDraft({ draft, document, basis }) {
      return ctx.run("rewriteDraft", async () => {
        const stored = asString(basis);
        if (stored === null) return { ok: false, reason: "changed" } as const;
        const keys = redisKeys(prefix, draft.workspaceId);
        const reply = await ctx.evalScript(
          REWRITE,
          [keys.draft(draft.id), keys.openDrafts, keys.list(), ...STATE_KEY_ORDER.map((s) => keys.list(s))],
          [
            stored,
            String(draft.version),
            document,
            draft.lifecycle.state,
            draft.createdAt,
            openTenantOf(draft) ?? "",
            draft.id,
          ],
        );
        const [reason, detail] = Array.isArray(reply) ? reply.map(asString) : [];
        if (reason === "ok") return { ok: true } as const;
        if (reason === "open_draft_exists" && typeof detail === "string") {
          return { ok: false, reason: "open_draft_exists", existingDraftId: detail } as const;
        }
        return { ok: false, reason: "changed" } as const;
      });
    },
  };
}
