/**
 * The admin half of the storage port: what operators' tooling (the `onboarding-lifecycle` CLI)
 * needs of a store beyond what the engine does. Every shipped adapter implements it the same way,
 * as its store's `admin` property (`admin.ts` in each adapter folder). The engine never calls it.
 *
 * These methods span workspaces (a count of every draft, a scan of every document), which no
 * engine method does: they are meant for one-off jobs and dashboards, not for request paths.
 */
import { ValidationError, type OnboardingDraft } from "../record/index.js";
import { fromBase64Url, toBase64Url } from "./cursor.js";

/** Options of {@link StoreAdmin.countDrafts}. */
export interface DraftCountOptions {
  /** Only the drafts of this workspace. Default: every workspace. */
  readonly workspaceId?: string;
}

/** What {@link StoreAdmin.countDrafts} reports. */
export interface DraftCounts {
  /** Every draft counted. */
  readonly total: number;
  /**
   * Drafts per lifecycle state, as the store indexes them (its `state` column or index): the
   * states with at least one draft. A SQL store counts a state that is not a lifecycle state (a
   * row written by other tooling) under its own name; Redis, which keeps one listing per
   * lifecycle state, counts such a draft in `total` only.
   */
  readonly byState: Readonly<Record<string, number>>;
}

/** One stored draft as {@link StoreAdmin.scanDrafts} returns it: the document and what the store keeps beside it. */
export interface ScannedDraft {
  /** Its workspace. */
  readonly workspaceId: string;
  /** Its id. */
  readonly draftId: string;
  /**
   * The document as stored (text, bytes, or for a store of values the value itself), not
   * decoded: it may be a legacy document, or not a draft at all. Pass it back as
   * {@link RewriteDraftInput.basis}.
   */
  readonly document: unknown;
  /** The version the store keeps beside the document (`null` when it keeps none for this draft). */
  readonly version: number | string | bigint | null;
  /** The lifecycle state the store lists the draft under (its `state` column), `null` if none. */
  readonly state: string | null;
  /** The tenant whose open-draft slot the store has the draft holding (`open_tenant_id`), `null` if none. */
  readonly openTenantId: string | null;
}

/** Options of {@link StoreAdmin.scanDrafts}. */
export interface ScanDraftsOptions {
  /** At most this many drafts (1..1000); a page may hold fewer even when more follow. */
  readonly limit: number;
  /** The `nextCursor` of the previous page; omit for the first page. */
  readonly cursor?: string | null;
}

/** One page of {@link StoreAdmin.scanDrafts}. */
export interface ScanPage {
  /** The drafts of this page. */
  readonly drafts: readonly ScannedDraft[];
  /** Pass back to get the next page; `null` once every draft was scanned. */
  readonly nextCursor: string | null;
}

/** Input of {@link StoreAdmin.rewriteDraft}. */
export interface RewriteDraftInput {
  /**
   * The draft to store, decoded and upgraded (`parseDraft`): the store's query columns (state,
   * current checkpoint, tenant, open-draft slot, timestamps) are recomputed from it. Its
   * `version` must be the version stored: a rewrite never changes it.
   */
  readonly draft: OnboardingDraft;
  /** The draft as canonical JSON text (`encodeDraft(draft)`): what is stored, byte for byte. */
  readonly document: string;
  /**
   * The `document` of the {@link ScannedDraft} the rewrite was computed from, exactly as the scan
   * returned it. The store writes only while it still holds exactly that document.
   */
  readonly basis: unknown;
}

/** What {@link StoreAdmin.rewriteDraft} reports. Nothing was written unless `ok`. */
export type RewriteResult =
  | {
      /** The document and its query columns were rewritten; the version did not change. */
      readonly ok: true;
    }
  | {
      /** Nothing was written. */
      readonly ok: false;
      /** The stored document is no longer the basis (a commit changed it, or the draft is gone). */
      readonly reason: "changed";
    }
  | {
      /** Nothing was written. */
      readonly ok: false;
      /** The draft is open, and another open draft of its tenant holds the workspace's slot. */
      readonly reason: "open_draft_exists";
      /** That other draft. */
      readonly existingDraftId: string;
    };

/**
 * Store-level queries for operators' tooling, across workspaces. Implemented by every shipped
 * adapter as `store.admin`; optional on the port (`DraftStore.admin`).
 *
 * Promises:
 * - `scanDrafts` visits every draft stored when the scan started and still stored when it ends at
 *   least once (Redis may hand one out twice), in pages, with a cursor that survives the process:
 *   a scan resumed from a page's `nextCursor` continues there.
 * - `rewriteDraft` is a compare-and-set on the stored document: it writes the draft's canonical
 *   text and recomputes the query columns only while the stored document is still the scanned
 *   one and the version unchanged, so it never overwrites a commit. It writes no audit entry (the
 *   draft's content and version are the same) and keeps the one-open-draft-per-tenant rule.
 * - Reads never lock and never write.
 *
 * @example
 * ```ts
 * declare const store: DraftStore;
 * const counts = await store.admin?.countDrafts();
 * console.log(counts?.byState["action_required"] ?? 0);
 * ```
 */
export interface StoreAdmin {
  /** How many drafts the store holds, per lifecycle state. */
  countDrafts(options?: DraftCountOptions): Promise<DraftCounts>;
  /** One page of stored drafts, every workspace, raw. */
  scanDrafts(options: ScanDraftsOptions): Promise<ScanPage>;
  /** Rewrites a stored document in its current shape, without changing its version. */
  rewriteDraft(input: RewriteDraftInput): Promise<RewriteResult>;
}

/** The largest `limit` of {@link StoreAdmin.scanDrafts}. */
export const MAX_SCAN_LIMIT = 1000;

/**
 * Checks the `limit` of a scan (1..{@link MAX_SCAN_LIMIT}): the one check every adapter uses.
 *
 * @throws {@link ValidationError} (`options`, path `limit`) otherwise.
 *
 * @example
 * ```ts
 * const limit = checkScanLimit(500); // 500; 0 or 1001 would throw
 * ```
 */
export function checkScanLimit(limit: unknown): number {
  if (typeof limit !== "number" || !Number.isInteger(limit) || limit < 1 || limit > MAX_SCAN_LIMIT) {
    throw new ValidationError("options", [
      { code: "invalid_value", path: ["limit"], message: `limit must be an integer from 1 to ${MAX_SCAN_LIMIT}` },
    ]);
  }
  return limit;
}

/**
 * Encodes a scan position (two strings: the last workspace and id, or a node and a server cursor)
 * as an opaque, URL-safe cursor.
 *
 * @example
 * ```ts
 * const nextCursor = encodeScanCursor(["ws-1", "draft-9"]);
 * scanCursor(nextCursor); // ["ws-1", "draft-9"]
 * ```
 */
export function encodeScanCursor(position: readonly [string, string]): string {
  return toBase64Url(JSON.stringify(position));
}

/**
 * The position a scan cursor names: `null` for the first page (no cursor), else the two strings
 * {@link encodeScanCursor} encoded, when `accept` (an adapter's own check of them) agrees.
 *
 * @throws {@link ValidationError} (`options`, path `cursor`) for a cursor that is not one.
 *
 * @example
 * ```ts
 * declare const options: ScanDraftsOptions;
 * const after = scanCursor(options.cursor); // null on the first page
 * ```
 */
export function scanCursor(
  cursor: string | null | undefined,
  accept: (position: readonly [string, string]) => boolean = () => true,
): readonly [string, string] | null {
  if (cursor === undefined || cursor === null) return null;
  const parts = decodeParts(cursor);
  if (Array.isArray(parts) && parts.length === 2 && typeof parts[0] === "string" && typeof parts[1] === "string") {
    const position = [parts[0], parts[1]] as const;
    if (accept(position)) return position;
  }
  throw new ValidationError("options", [{ code: "invalid_cursor", path: ["cursor"], message: "malformed cursor" }]);
}

function decodeParts(cursor: unknown): unknown {
  try {
    return typeof cursor === "string" ? JSON.parse(fromBase64Url(cursor)) : null;
  } catch {
    return null;
  }
}

/**
 * Adds up the rows of a `GROUP BY state` (state, count) into {@link DraftCounts}.
 *
 * @example
 * ```ts
 * draftCounts([["draft", 2], ["completed", 1]]); // { total: 3, byState: { draft: 2, completed: 1 } }
 * ```
 */
export function draftCounts(rows: Iterable<readonly [state: string, count: number]>): DraftCounts {
  const byState: Record<string, number> = {};
  let total = 0;
  for (const [state, count] of rows) {
    if (count <= 0) continue;
    byState[state] = (byState[state] ?? 0) + count;
    total += count;
  }
  return { total, byState };
}
