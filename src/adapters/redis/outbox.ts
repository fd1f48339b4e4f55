/**
 * The outbox methods of the Redis store (`OutboxStore`): per-workspace Lua scripts over the keys
 * of `schema.ts`, and the registry walk for the methods that span workspaces. Also the
 * pieces the commit script needs (the journal key and the journal elements of a commit, the
 * registration of a workspace before its first entries). A commit only appends its entries to
 * the workspace's journal (`ob:journal`, one `RPUSH`); each script below moves the journal into
 * the columns and indexes before it reads or writes them (`ABSORB_OUTBOX`, in the same script:
 * no extra round trip, and a commit that returned is seen by every script that starts after it).
 *
 * May import: store/, record/, vocabulary/, node built-ins; ioredis never (the store passes a
 * minimal `call` surface).
 */
import { createHash } from "node:crypto";
import type { OutboxEntry } from "../../record/index.js";
import {
  checkOutboxLimit,
  checkOutboxStatus,
  outboxInstantMs,
  outboxStatusError,
  encodeOutboxCursor,
  outboxCursor,
  outboxCutoff,
  parseStoredJson,
  type OutboxCursorPosition,
  type ClaimOutboxInput,
  type ListOutboxOptions,
  type OutboxPage,
  type OutboxSettlement,
  type OutboxStore,
} from "../../store/index.js";
import { OutboxStatus } from "../../vocabulary/index.js";
import {
  COMMIT_OUTBOX_KEY_NAMES,
  JOURNAL_SEPARATOR,
  OUTBOX_SCRIPTS,
  redisOutboxKeys,
  redisOutboxRegistryKey,
} from "./schema.js";

/** A Lua script with its SHA-1 (for EVALSHA). */
export interface RedisScript {
  /** The Lua source. */
  readonly source: string;
  /** Its SHA-1, hex. */
  readonly sha: string;
}

/** What the outbox methods need from the store. */
export interface RedisOutboxContext {
  /** The validated key prefix. */
  readonly prefix: string;
  /** Runs a command (`client.call`). */
  call(command: string, ...args: (string | number)[]): Promise<unknown>;
  /** Runs a script with EVALSHA, falling back to EVAL. */
  evalScript(script: RedisScript, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown>;
  /** The hash tag of a workspace. */
  tagOf(workspaceId: string): string;
  /** The adapter's one error wrapper. */
  run<T>(operation: string, body: () => Promise<T>): Promise<T>;
}

/** The outbox methods, plus the registration step a commit with entries runs first. */
export interface RedisOutbox extends OutboxStore {
  /** See {@link OutboxStore.pruneOutbox}: one walk of the registry, one delete script per page. */
  pruneOutbox(before: string): Promise<number>;
  /**
   * Adds the workspace to the registry (SADD, idempotent) unless this process already did;
   * `null` when nothing needs doing. Runs BEFORE the commit that writes the entries, so every
   * workspace with an entry is in the registry.
   */
  readonly register: (workspaceId: string) => Promise<void> | null;
}

function script(source: string): RedisScript {
  return { source, sha: createHash("sha1").update(source, "utf8").digest("hex") };
}

const S = {
  claim: script(OUTBOX_SCRIPTS.claim),
  settle: script(OUTBOX_SCRIPTS.settle),
  release: script(OUTBOX_SCRIPTS.release),
  requeue: script(OUTBOX_SCRIPTS.requeue),
  list: script(OUTBOX_SCRIPTS.list),
  recordRunProgress: script(OUTBOX_SCRIPTS.recordRunProgress),
  listRunRecords: script(OUTBOX_SCRIPTS.listRunRecords),
  findStaleRuns: script(OUTBOX_SCRIPTS.findStaleRuns),
  settleRuns: script(OUTBOX_SCRIPTS.settleRuns),
  prune: script(OUTBOX_SCRIPTS.prune),
};

/** Epoch milliseconds of a timestamp (a sorted-set score). */
const epochMs = outboxInstantMs;

function asText(value: unknown): string | null {
  if (typeof value === "string") return value;
  if (Buffer.isBuffer(value)) return value.toString("utf8");
  return null;
}

/** Order of ids as Redis keeps them: by UTF-8 bytes. */
function compareBytes(a: string, b: string): number {
  return a === b ? 0 : Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
}

/** The entry as stored: exactly the `OutboxEntry` fields, in a fixed order. */
function entryJson(entry: OutboxEntry): string {
  const { entryId, workspaceId, draftId, runId, kind, checkpoint, operation } = entry;
  const { providerConnectionId, providerRevision, draftVersion, eventId, createdAt } = entry;
  return JSON.stringify({
    entryId,
    workspaceId,
    draftId,
    runId,
    kind,
    checkpoint,
    operation,
    providerConnectionId,
    providerRevision,
    draftVersion,
    eventId,
    createdAt,
  });
}

/** A record reply (entry id, then the `OUTBOX_RECORD_COLUMNS`) as a plain record object. */
function decodeRecord(row: unknown): Record<string, unknown> {
  const cells = (Array.isArray(row) ? row : []).map(asText);
  const [id, entry, status, attempts, availableAt, leaseOwner, leaseUntil, lastError] = cells;
  const [deliveredAt, reportedAt, progressMessage, progressPercent, settledAt] = cells.slice(8);
  const stored = parseStoredJson(entry, "outbox entry", id ?? null);
  const fields: Record<string, unknown> = typeof stored === "object" && stored !== null ? { ...stored } : {};
  // A record no claim or settlement has touched yet has no status, attempts or availableAt field
  // (the commit writes none): pending, 0, its createdAt.
  return {
    ...fields,
    status: status ?? "pending",
    attempts: attempts === null || attempts === undefined ? 0 : Number(attempts),
    availableAt: availableAt ?? fields["createdAt"] ?? null,
    leaseOwner: leaseOwner ?? null,
    leaseUntil: leaseUntil ?? null,
    lastError: lastError ?? null,
    deliveredAt: deliveredAt ?? null,
    reportedAt: reportedAt ?? null,
    progressMessage: progressMessage ?? null,
    progressPercent: progressPercent === null || progressPercent === undefined ? null : Number(progressPercent),
    settledAt: settledAt ?? null,
  };
}

function records(reply: unknown): Record<string, unknown>[] {
  return Array.isArray(reply) ? reply.map(decodeRecord) : [];
}

type Row = Readonly<Record<string, unknown>>;
const text = (row: Row, field: string): string => {
  const value = row[field];
  return typeof value === "string" ? value : "";
};

/** (createdAt, workspaceId, entryId) order. */
function byListingOrder(a: Row, b: Row): number {
  return (
    compareBytes(text(a, "createdAt"), text(b, "createdAt")) ||
    compareBytes(text(a, "workspaceId"), text(b, "workspaceId")) ||
    compareBytes(text(a, "entryId"), text(b, "entryId"))
  );
}

/** (coalesce(reportedAt, createdAt), workspaceId, entryId) order. */
function byStaleness(a: Row, b: Row): number {
  const at = (row: Row): number => Date.parse(text(row, "reportedAt") || text(row, "createdAt"));
  return (
    at(a) - at(b) ||
    compareBytes(text(a, "workspaceId"), text(b, "workspaceId")) ||
    compareBytes(text(a, "entryId"), text(b, "entryId"))
  );
}

function groupBy<T extends { readonly workspaceId: string }>(items: readonly T[]): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const group = groups.get(item.workspaceId);
    if (group === undefined) groups.set(item.workspaceId, [item]);
    else group.push(item);
  }
  return groups;
}

/** Runs `body` for each item, at most `width` at a time; results in item order. */
async function mapBounded<T, R>(items: readonly T[], width: number, body: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let nextIndex = 0;
  const worker = async (): Promise<void> => {
    while (nextIndex < items.length) {
      const index = nextIndex++;
      results[index] = await body(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker));
  return results;
}

/**
 * The ZRANGEBYLEX start, in a workspace's listing, of the records after the cursor's position in
 * the global (createdAt, workspaceId, entryId) order. Members are `<createdAt>\0<entryId>`;
 * timestamps hold neither U+0000 nor U+0001.
 */
function listStart(workspaceId: string, position: OutboxCursorPosition | null): string {
  if (position === null) return "-";
  const { createdAt, entryId } = position;
  const order = compareBytes(workspaceId, position.workspaceId);
  if (order > 0) return `[${createdAt}\u0000`;
  if (order === 0) return `(${createdAt}\u0000${entryId}`;
  return `[${createdAt}\u0001`;
}

// ---- commit --------------------------------------------------------------------------------

/**
 * Appends the outbox keys of a commit with entries to the commit script's KEYS; returns the
 * (1-based) index of the first one, or 0 when there are no entries (and no keys are added).
 *
 * @throws Error for an entry of another workspace than the draft, or two entries with one id.
 */
export function appendOutboxKeys(
  keys: string[],
  tag: string,
  workspaceId: string,
  entries: readonly OutboxEntry[] | undefined,
): number {
  if (entries === undefined || entries.length === 0) return 0;
  const ids = new Set<string>();
  for (const entry of entries) {
    if (entry.workspaceId !== workspaceId)
      throw new Error("an outbox entry belongs to another workspace than the draft");
    if (ids.has(entry.entryId)) throw new Error(`two outbox entries share the id ${entry.entryId}`);
    ids.add(entry.entryId);
  }
  const base = keys.length + 1;
  for (const name of COMMIT_OUTBOX_KEY_NAMES) keys.push(`${tag}:ob:${name}`);
  return base;
}

/** Appends the outbox ARGV of a commit (after the idempotency TTL): count, key index, one journal element per entry. */
export function appendOutboxArgs(
  argv: (string | number)[],
  entries: readonly OutboxEntry[] | undefined,
  keyBase: number,
): void {
  if (entries === undefined || entries.length === 0 || keyBase === 0) {
    argv.push(0, 0);
    return;
  }
  argv.push(entries.length, keyBase);
  for (const entry of entries) argv.push(journalElement(entry));
}

/**
 * An entry as the absorb reads it (see `ABSORB_OUTBOX`): the fields the indexes need, then the
 * entry JSON, joined by U+0000 (no id or timestamp contains it; JSON escapes it).
 */
function journalElement(entry: OutboxEntry): string {
  const ms = epochMs(entry.createdAt, "createdAt");
  const { entryId, createdAt, kind, draftId, runId } = entry;
  return [entryId, createdAt, ms, kind, draftId, runId, entryJson(entry)].join(JOURNAL_SEPARATOR);
}

// ---- the methods -----------------------------------------------------------------------------

/** How many workspaces the listing walks read at once. */
const WALK_WIDTH = 8;

/**
 * Creates the outbox methods over a store's client and key prefix.
 *
 * @example (internal: `createRedisStore` spreads the methods into the store)
 * ```text
 * const outbox = createRedisOutbox({ prefix, call, evalScript, tagOf, run });
 * await outbox.claimOutbox({ owner: "d1", now, leaseUntil, limit: 100 });
 * ```
 */
export function createRedisOutbox(ctx: RedisOutboxContext): RedisOutbox {
  const registryKey = redisOutboxRegistryKey(ctx.prefix);
  const known = new Set<string>();
  const keysOf = (workspaceId: string): readonly string[] => redisOutboxKeys(ctx.tagOf(workspaceId));
  const inWorkspace = (script: RedisScript, workspaceId: string, args: readonly (string | number)[]) =>
    ctx.evalScript(script, keysOf(workspaceId), args);
  const walk: Walk = {
    inWorkspace,
    async workspaces() {
      const reply = await ctx.call("smembers", registryKey);
      const ids = (Array.isArray(reply) ? reply.map(asText) : []).filter((id): id is string => id !== null);
      return ids.sort(compareBytes);
    },
  };

  return {
    register(workspaceId) {
      if (known.has(workspaceId)) return null;
      return ctx.run("commit", async () => {
        await ctx.call("sadd", registryKey, workspaceId);
        if (known.size >= 10_000) known.clear(); // bounded; a second SADD is harmless
        known.add(workspaceId);
      });
    },
    claimOutbox: (input) => ctx.run("claimOutbox", () => claim(walk, input)),
    settleOutbox: (input) =>
      ctx.run("settleOutbox", async () => {
        let changed = 0;
        for (const [workspaceId, group] of groupBy(input.settlements)) {
          const args: (string | number)[] = [input.owner, input.at, group.length];
          for (const s of group) args.push(...settlementArgs(s));
          changed += Number(await inWorkspace(S.settle, workspaceId, args));
        }
        return changed;
      }),
    releaseOutbox: (input) =>
      ctx.run("releaseOutbox", async () => {
        let changed = 0;
        for (const [workspaceId, group] of groupBy(input.entries)) {
          changed += Number(await inWorkspace(S.release, workspaceId, [input.owner, ...group.map((e) => e.entryId)]));
        }
        return changed;
      }),
    listOutbox: (options) => ctx.run("listOutbox", () => list(walk, options)),
    requeueOutbox: (input) =>
      ctx.run("requeueOutbox", async () => {
        const ms = epochMs(input.at, "at");
        return Number(await inWorkspace(S.requeue, input.workspaceId, [input.entryId, input.at, ms])) === 1;
      }),
    recordRunProgress: (input) =>
      ctx.run("recordRunProgress", async () => {
        const ms = epochMs(input.at, "at");
        const message = input.message === null ? ["0", ""] : ["1", input.message];
        const percent = input.percent === null ? ["0", ""] : ["1", String(input.percent)];
        const args = [input.draftId, input.runId, input.at, ms, ...message, ...percent];
        return Number(await inWorkspace(S.recordRunProgress, input.workspaceId, args)) > 0;
      }),
    listRunRecords: (workspaceId, draftId) =>
      ctx.run("listRunRecords", async () => records(await inWorkspace(S.listRunRecords, workspaceId, [draftId]))),
    findStaleRuns: (input) => ctx.run("findStaleRuns", () => findStale(walk, input.before, input.limit)),
    settleRuns: (input) =>
      ctx.run("settleRuns", async () => {
        if (input.runIds.length === 0) return 0;
        const args = [input.at, input.draftId, ...input.runIds];
        return Number(await inWorkspace(S.settleRuns, input.workspaceId, args));
      }),
    async pruneOutbox(before) {
      const cutoff = outboxCutoff(before);
      return ctx.run("pruneOutbox", async () => {
        const counts = await mapBounded(await walk.workspaces(), WALK_WIDTH, (id) => pruneWorkspace(walk, id, cutoff));
        return counts.reduce((sum, count) => sum + count, 0);
      });
    },
  };
}

/** What the cross-workspace methods need: the registry and one script per workspace. */
interface Walk {
  workspaces(): Promise<string[]>;
  inWorkspace(script: RedisScript, workspaceId: string, args: readonly (string | number)[]): Promise<unknown>;
}

function settlementArgs(s: OutboxSettlement): (string | number)[] {
  switch (s.status) {
    case OutboxStatus.Delivered:
      return [s.entryId, s.status, "", "", ""];
    case OutboxStatus.Pending:
      return [s.entryId, s.status, s.availableAt, epochMs(s.availableAt, "availableAt"), s.error];
    case OutboxStatus.Dead:
      return [s.entryId, s.status, "", "", s.error];
    default:
      throw outboxStatusError((s as { status: unknown }).status, "status");
  }
}

/** A claimable entry a workspace's `survey` named: its listing member and sort keys. */
type Candidate = {
  readonly workspaceId: string;
  readonly member: string;
  readonly createdAt: string;
  readonly entryId: string;
};

function candidates(workspaceId: string, reply: unknown): Candidate[] {
  const members = (Array.isArray(reply) ? reply.map(asText) : []).filter((m): m is string => m !== null);
  return members.map((member) => {
    const cut = member.indexOf("\u0000");
    return { workspaceId, member, createdAt: member.slice(0, cut), entryId: member.slice(cut + 1) };
  });
}

const CLAIM_ROUNDS = 3;

/**
 * Claims the oldest claimable entries over every workspace, in the global (createdAt,
 * workspaceId, entryId) order: each workspace names its oldest `limit` (survey), the oldest `limit`
 * of all are claimed in their workspaces (take). Entries another claimer took in between are
 * skipped; then the claim tries again for the rest (at most 3 rounds). One workspace: one script.
 */
async function claim(walk: Walk, input: ClaimOutboxInput): Promise<readonly unknown[]> {
  checkOutboxLimit("claimOutbox", input.limit);
  const lease = [input.owner, epochMs(input.now, "now"), input.leaseUntil, epochMs(input.leaseUntil, "leaseUntil")];
  const workspaces = await walk.workspaces();
  if (workspaces.length === 1) {
    return records(await walk.inWorkspace(S.claim, workspaces[0] as string, [...lease, input.limit, "first"]));
  }
  const claimed: Row[] = [];
  for (let round = 0; round < CLAIM_ROUNDS && claimed.length < input.limit; round += 1) {
    const want = input.limit - claimed.length;
    const named = await mapBounded(workspaces, WALK_WIDTH, async (workspaceId) =>
      candidates(workspaceId, await walk.inWorkspace(S.claim, workspaceId, [...lease, want, "survey"])),
    );
    const chosen = named.flat().sort(byListingOrder).slice(0, want);
    if (chosen.length === 0) break;
    const groups = [...groupBy(chosen)];
    const taken = await mapBounded(groups, WALK_WIDTH, async ([workspaceId, group]) =>
      records(await walk.inWorkspace(S.claim, workspaceId, [...lease, want, "take", ...group.map((c) => c.member)])),
    );
    const got = taken.flat();
    claimed.push(...got);
    if (got.length === chosen.length) break; // nobody took any in between: these were the oldest
  }
  return claimed.sort(byListingOrder);
}

async function list(walk: Walk, options: ListOutboxOptions): Promise<OutboxPage> {
  checkOutboxLimit("listOutbox", options.limit);
  const status = options.status ?? "";
  if (status !== "") checkOutboxStatus(status, "status");
  const position = outboxCursor(options.cursor);
  const workspaces = options.workspaceId === undefined ? await walk.workspaces() : [options.workspaceId];
  const pages = await mapBounded(workspaces, WALK_WIDTH, async (workspaceId) =>
    records(await walk.inWorkspace(S.list, workspaceId, [status, listStart(workspaceId, position), options.limit + 1])),
  );
  const merged = pages.flat().sort(byListingOrder);
  const entries = merged.slice(0, options.limit);
  const last = entries[entries.length - 1];
  const nextCursor =
    merged.length > options.limit && last !== undefined
      ? encodeOutboxCursor({
          createdAt: text(last, "createdAt"),
          workspaceId: text(last, "workspaceId"),
          entryId: text(last, "entryId"),
        })
      : null;
  return { entries, nextCursor };
}

/** Delivered records read per page (and deleted per script) by {@link pruneWorkspace}. */
const PRUNE_PAGE = 500;

/**
 * Prunes one workspace: pages through its delivered records in listing (createdAt) order,
 * deleting with one script per page those delivered before `cutoff` that are `run.cancelled` or
 * settled. It stops at the first record created at or after the cut-off: such a record was
 * delivered after it too (a record delivered "before" its creation by a dispatcher whose clock
 * runs behind the engine's waits for a later prune). The registry keeps the workspace: a
 * process that registered it does not register it again.
 */
async function pruneWorkspace(walk: Walk, workspaceId: string, cutoff: string): Promise<number> {
  let removed = 0;
  let start = "-";
  for (;;) {
    const page = records(await walk.inWorkspace(S.list, workspaceId, ["delivered", start, PRUNE_PAGE]));
    const older = page.filter((row) => text(row, "createdAt") < cutoff);
    const done = older.filter(
      (row) =>
        text(row, "deliveredAt") !== "" &&
        text(row, "deliveredAt") < cutoff &&
        (text(row, "kind") === "run.cancelled" || text(row, "settledAt") !== ""),
    );
    if (done.length > 0) {
      const args = done.flatMap((row) => [text(row, "entryId"), text(row, "runId"), text(row, "draftId")]);
      removed += Number(await walk.inWorkspace(S.prune, workspaceId, args));
    }
    const last = page[page.length - 1];
    if (page.length < PRUNE_PAGE || older.length < page.length || last === undefined) return removed;
    start = `(${text(last, "createdAt")}\u0000${text(last, "entryId")}`;
  }
}

async function findStale(walk: Walk, before: string, limit: number): Promise<readonly unknown[]> {
  checkOutboxLimit("findStaleRuns", limit);
  const beforeMs = epochMs(before, "before");
  const workspaces = await walk.workspaces();
  const found = await mapBounded(workspaces, WALK_WIDTH, async (workspaceId) =>
    records(await walk.inWorkspace(S.findStaleRuns, workspaceId, [beforeMs, limit])),
  );
  return found.flat().sort(byStaleness).slice(0, limit);
}
