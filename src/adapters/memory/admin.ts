/**
 * The memory store's `admin` (`StoreAdmin`): counts per state, a scan of every workspace in
 * (workspace, id) order, and the compare-and-set rewrite, over the store's own maps.
 */
import {
  checkScanLimit,
  draftCounts,
  encodeScanCursor,
  openTenantOf,
  scanCursor,
  type ScannedDraft,
  type StoreAdmin,
} from "../../store/index.js";
import type { OnboardingDraft } from "../../record/index.js";
import type { LifecycleState } from "../../vocabulary/index.js";

/** A draft as the memory store keeps it (the fields the admin reads and writes). */
export interface MemoryAdminRow {
  /** The sealed draft, when the engine wrote it. */
  sealed: OnboardingDraft | null;
  /** The stored text, for drafts that are not sealed. */
  document: string | null;
  /** The version kept beside it. */
  version: number;
  /** The state it is listed under. */
  state: LifecycleState;
  /** Its listing `createdAt`. */
  createdAt: string;
  /** The tenant whose slot it holds. */
  openTenant: string | null;
}

/** One workspace of the memory store (the parts the admin uses). */
export interface MemoryAdminWorkspace {
  /** Drafts by id. */
  readonly drafts: Map<string, MemoryAdminRow>;
  /** The open-draft slots: tenant id -> draft id. */
  readonly openByTenant: Map<string, string>;
}

const byText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function scanned(workspaceId: string, draftId: string, row: MemoryAdminRow): ScannedDraft {
  return {
    workspaceId,
    draftId,
    document: row.sealed ?? row.document,
    version: row.version,
    state: row.state,
    openTenantId: row.openTenant,
  };
}

/** The admin of the memory store whose workspaces are `workspaces`. */
export function memoryAdmin(workspaces: ReadonlyMap<string, MemoryAdminWorkspace>): StoreAdmin {
  return {
    async countDrafts(options = {}) {
      const counts = new Map<string, number>();
      for (const [workspaceId, data] of workspaces) {
        if (options.workspaceId !== undefined && workspaceId !== options.workspaceId) continue;
        for (const row of data.drafts.values()) counts.set(row.state, (counts.get(row.state) ?? 0) + 1);
      }
      return draftCounts(counts);
    },

    async scanDrafts(options) {
      const limit = checkScanLimit(options.limit);
      const after = scanCursor(options.cursor);
      const page: ScannedDraft[] = [];
      const sorted = [...workspaces.entries()].sort(([a], [b]) => byText(a, b));
      for (const [workspaceId, data] of sorted) {
        if (after !== null && workspaceId < after[0]) continue;
        const rows = [...data.drafts.entries()].sort(([a], [b]) => byText(a, b));
        for (const [draftId, row] of rows) {
          if (after !== null && workspaceId === after[0] && draftId <= after[1]) continue;
          const last = page[page.length - 1];
          if (page.length === limit && last !== undefined) {
            return { drafts: page, nextCursor: encodeScanCursor([last.workspaceId, last.draftId]) };
          }
          page.push(scanned(workspaceId, draftId, row));
        }
      }
      return { drafts: page, nextCursor: null };
    },

    async rewriteDraft({ draft, document, basis }) {
      const data = workspaces.get(draft.workspaceId);
      const row = data?.drafts.get(draft.id);
      if (data === undefined || row === undefined || (row.sealed ?? row.document) !== basis) {
        return { ok: false, reason: "changed" };
      }
      if (row.version !== draft.version) return { ok: false, reason: "changed" };
      const openTenant = openTenantOf(draft);
      const holder = openTenant === null ? undefined : data.openByTenant.get(openTenant);
      if (holder !== undefined && holder !== draft.id) {
        return { ok: false, reason: "open_draft_exists", existingDraftId: holder };
      }
      if (row.openTenant !== null && data.openByTenant.get(row.openTenant) === draft.id) {
        data.openByTenant.delete(row.openTenant);
      }
      if (openTenant !== null) data.openByTenant.set(openTenant, draft.id);
      Object.assign(row, {
        sealed: null,
        document,
        state: draft.lifecycle.state,
        createdAt: draft.createdAt,
        openTenant,
      });
      return { ok: true };
    },
  };
}
