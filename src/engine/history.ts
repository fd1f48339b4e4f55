/**
 * `engine.history`: one page of a draft's audit trail behind an opaque cursor, and the engine's
 * own bounded walks of a trail (who made the current version, whether a run was ever started),
 * which read pages from the end instead of the whole trail.
 */
import * as z from "zod/mini";
import {
  AuditEventSchema,
  CorruptRecordError,
  StoreError,
  ValidationError,
  safeParseWithMessages,
  toValidationIssues,
  type AuditEvent,
} from "../record/index.js";
import { fromBase64Url, toBase64Url, type DraftStore, type StoredAuditEntry } from "../store/index.js";
import type { EngineContext } from "./context.js";
import type { Actor, ReadOptions } from "./types.js";

/** The page size of `engine.history` when the caller sends no `limit`. */
export const DEFAULT_HISTORY_LIMIT = 100;
/** The largest `limit` `engine.history` accepts (the smallest is 1). */
export const MAX_HISTORY_LIMIT = 1000;

/**
 * The order of an `engine.history` walk: `oldest_first` (append order, the default: the
 * committed entries in version order) or `newest_first` (from the latest entry back).
 */
export type HistoryOrder = "oldest_first" | "newest_first";

/**
 * Options of `engine.history`: who reads, and which page of the trail.
 *
 * @example
 * ```ts
 * declare const actor: Actor;
 * const latest: HistoryOptions = { actor, order: "newest_first", limit: 20 };
 * ```
 */
export interface HistoryOptions<TActor extends Actor = Actor> extends ReadOptions<TActor> {
  /** Page size, 1..1000 ({@link MAX_HISTORY_LIMIT}); default 100 ({@link DEFAULT_HISTORY_LIMIT}). */
  readonly limit?: number;
  /**
   * Where to go on from: the `nextCursor` (or `endCursor`) of an earlier page of the same
   * draft. Omit (or `null`) for the first page. A cursor is opaque and tied to its draft and
   * its order: one that is malformed, altered, or made for another draft or the other order is
   * a `ValidationError`.
   */
  readonly cursor?: string | null;
  /** `oldest_first` (default) or `newest_first`; a cursor goes on in the order it was made in. */
  readonly order?: HistoryOrder;
}

/**
 * One page of `engine.history`.
 *
 * @example
 * ```ts
 * declare const engine: OnboardingEngine;
 * declare const actor: Actor;
 * const all: AuditEvent[] = [];
 * let page: HistoryPage = await engine.history("ws-1", "d-1", { actor });
 * all.push(...page.entries);
 * while (page.nextCursor !== null) {
 *   page = await engine.history("ws-1", "d-1", { actor, cursor: page.nextCursor });
 *   all.push(...page.entries);
 * }
 * ```
 */
export interface HistoryPage {
  /** Validated audit entries, in the page's order. */
  readonly entries: readonly AuditEvent[];
  /** The cursor of the next page; `null` when this page reached the end of the trail. */
  readonly nextCursor: string | null;
  /**
   * A cursor just past this page's last entry, even on the last page (`null` only when the
   * trail had nothing at all to give). Keep it to follow a trail: a later call with it returns
   * only the entries appended since, each exactly once.
   */
  readonly endCursor: string | null;
}

/** The options `engine.history` checks (its `actor` is checked like every read's). */
const HistoryPageSchema = z.strictObject({
  limit: z.optional(z.int().check(z.gte(1), z.lte(MAX_HISTORY_LIMIT))),
  cursor: z.optional(z.nullable(z.string().check(z.maxLength(1024)))),
  order: z.optional(z.enum(["oldest_first", "newest_first"])),
});

/** What a history cursor carries: the order it walks and the store's position of its last entry. */
interface HistoryCursor {
  readonly order: HistoryOrder;
  readonly position: string;
}

const CURSOR_TAG = "h1";
const ORDER_CODE = { oldest_first: "o", newest_first: "n" } as const satisfies Record<HistoryOrder, string>;

/**
 * FNV-1a (32 bits) over the UTF-16 code units: binds a cursor to its workspace, draft and order
 * without carrying them (a cursor stays short). It catches a cursor used on another draft and an
 * edited one; it is not a secret, and needs not be: `view` on the draft decides what a caller
 * reads, and any position of that draft is the caller's to read.
 */
function checksum(parts: readonly string[]): string {
  let hash = 0x811c9dc5;
  for (const char of JSON.stringify(parts)) {
    hash ^= char.charCodeAt(0);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, "0");
}

function encodeHistoryCursor(workspaceId: string, draftId: string, cursor: HistoryCursor): string {
  const order = ORDER_CODE[cursor.order];
  const check = checksum([workspaceId, draftId, order, cursor.position]);
  return toBase64Url(JSON.stringify([CURSOR_TAG, order, cursor.position, check]));
}

function invalidCursor(message: string): ValidationError {
  return new ValidationError("options", [{ code: "invalid_cursor", path: ["cursor"], message }]);
}

/** @throws {@link ValidationError} unless `text` is a cursor {@link encodeHistoryCursor} made for this draft. */
function decodeHistoryCursor(text: string, workspaceId: string, draftId: string): HistoryCursor {
  let value: unknown;
  try {
    value = JSON.parse(fromBase64Url(text));
  } catch {
    throw invalidCursor("malformed cursor");
  }
  if (!Array.isArray(value) || value.length !== 4 || value[0] !== CURSOR_TAG) throw invalidCursor("malformed cursor");
  const [, order, position, check] = value as unknown[];
  if ((order !== "o" && order !== "n") || typeof position !== "string" || typeof check !== "string") {
    throw invalidCursor("malformed cursor");
  }
  if (check !== checksum([workspaceId, draftId, order, position])) {
    throw invalidCursor("this cursor was not made for this draft's history (or was altered)");
  }
  return { order: order === "n" ? "newest_first" : "oldest_first", position };
}

/** The checked page options of one `history` call. */
interface HistoryRequest {
  readonly limit: number;
  readonly order: HistoryOrder;
  readonly resumed: HistoryCursor | null;
  readonly cursor: string | null;
}

function historyRequest(page: object, workspaceId: string, draftId: string): HistoryRequest {
  const checked = safeParseWithMessages(HistoryPageSchema, page);
  if (!checked.success) throw new ValidationError("options", toValidationIssues(checked.issues));
  const cursor = checked.data.cursor ?? null;
  const resumed = cursor === null ? null : decodeHistoryCursor(cursor, workspaceId, draftId);
  const order = checked.data.order ?? resumed?.order ?? "oldest_first";
  if (resumed !== null && resumed.order !== order) {
    throw invalidCursor(`this cursor goes on in ${resumed.order} order, not ${order}`);
  }
  return { limit: checked.data.limit ?? DEFAULT_HISTORY_LIMIT, order, resumed, cursor };
}

/** A stored entry validated for the draft it was read for. */
function validEntry<TActor extends Actor>(
  ctx: EngineContext<TActor>,
  stored: StoredAuditEntry,
  workspaceId: string,
  draftId: string,
): AuditEvent {
  if (typeof stored?.position !== "string" || stored.position.length === 0) {
    throw new StoreError(
      ctx.store.name,
      "listAudit",
      new Error("the store returned an audit entry without a position"),
    );
  }
  const result = safeParseWithMessages(AuditEventSchema, stored.event);
  if (!result.success) {
    const issues = toValidationIssues(result.issues).map((issue) => ({
      ...issue,
      path: ["audit", stored.position, ...issue.path],
    }));
    throw new CorruptRecordError(issues, draftId);
  }
  if (result.data.workspaceId !== workspaceId || result.data.draftId !== draftId) ctx.foreignRecord("listAudit");
  return result.data;
}

/**
 * One page of a draft's trail (needs `view` on the draft). Every argument is checked before the
 * store is asked anything; the store reads one position range (`limit + 1` entries, the extra
 * one only says whether there is more).
 */
export async function history<TActor extends Actor>(
  ctx: EngineContext<TActor>,
  viewable: (workspaceId: string, draftId: string, options: ReadOptions<TActor>) => Promise<unknown>,
  workspaceIdInput: string,
  draftIdInput: string,
  options: HistoryOptions<TActor>,
): Promise<HistoryPage> {
  const workspaceId = ctx.checkId(workspaceIdInput, "workspaceId");
  const draftId = ctx.checkId(draftIdInput, "draftId");
  const { actor, ...pageOptions } = options ?? ({} as HistoryOptions<TActor>);
  const request = historyRequest(pageOptions, workspaceId, draftId);
  await viewable(workspaceId, draftId, { actor });
  const stored = await ctx.store.listAudit(workspaceId, draftId, {
    limit: request.limit + 1,
    direction: request.order === "newest_first" ? "backward" : "forward",
    ...(request.resumed === null ? {} : { after: request.resumed.position }),
  });
  const page = stored.slice(0, request.limit);
  const entries = page.map((entry) => validEntry(ctx, entry, workspaceId, draftId));
  const last = page.at(-1);
  const endCursor =
    last === undefined
      ? request.cursor
      : encodeHistoryCursor(workspaceId, draftId, { order: request.order, position: last.position });
  return { entries, nextCursor: stored.length > request.limit ? endCursor : null, endCursor };
}

/**
 * Walks a draft's trail from its newest entry back, `pageSize` entries per read, until `visit`
 * returns something other than `undefined`; resolves to that, or to `undefined` at the start of
 * the trail. For the engine's own questions about the latest entries, which then never read the
 * whole trail.
 */
export async function searchTrailBackward<T>(
  store: DraftStore,
  workspaceId: string,
  draftId: string,
  pageSize: number,
  visit: (event: unknown) => T | undefined,
): Promise<T | undefined> {
  let after: string | undefined;
  for (;;) {
    const page = await store.listAudit(workspaceId, draftId, {
      direction: "backward",
      limit: pageSize,
      ...(after === undefined ? {} : { after }),
    });
    for (const entry of page) {
      const found = visit(entry.event);
      if (found !== undefined) return found;
    }
    const last = page.at(-1)?.position;
    // A short page is the start of the trail; a position that does not move would never end.
    if (page.length < pageSize || last === undefined || last === after) return undefined;
    after = last;
  }
}
