/**
 * store/ — the storage port: the small interface a storage adapter implements, and what each
 * method promises. Also shared helpers for adapters (SQL identifiers, cursors, fingerprints).
 *
 * May import: vocabulary/ and record/ (types and codecs). Never a driver, never the engine.
 */
import { ValidationError, type AuditEvent, type IdempotencyRecord, type OnboardingDraft } from "../record/index.js";
import type { LifecycleState } from "../vocabulary/index.js";
import type { OutboxEntries, OutboxStore } from "./outbox.js";

/**
 * What a compare-and-set commit or an insert reports when it did not write. Nothing at all was
 * written in every one of these cases.
 */
export type WriteRejection =
  | {
      /** Nothing was written. */
      readonly ok: false;
      /** The stored version is not `expectedVersion`. */
      readonly reason: "version_conflict";
      /** The version actually stored, or `null` when the draft is gone. */
      readonly actualVersion: number | null;
    }
  | {
      /** Nothing was written. */
      readonly ok: false;
      /** Another open (non-terminal) draft of the same tenant exists in the workspace. */
      readonly reason: "open_draft_exists";
      /** The id of that open draft. */
      readonly existingDraftId: string;
    }
  | {
      /** Nothing was written. */
      readonly ok: false;
      /** The idempotency key is already recorded in this workspace (a concurrent retry won). */
      readonly reason: "idempotency_key_exists";
    }
  | {
      /** Nothing was written. */
      readonly ok: false;
      /** (insert only) A draft with this id already exists in the workspace. */
      readonly reason: "draft_exists";
    };

/** The result of {@link DraftStore.insert} and {@link DraftStore.commit}. */
export type WriteResult =
  | {
      /** Everything was written. */
      readonly ok: true;
    }
  | WriteRejection;

/** Input of {@link DraftStore.insert}. */
export interface InsertInput {
  /** The new draft, version 1. */
  readonly draft: OnboardingDraft;
  /** Its `created` audit entry. */
  readonly event: AuditEvent;
  /** The idempotency record to store in the same transaction, if the caller sent a key. */
  readonly idempotency: IdempotencyRecord | null;
}

/** A draft a store holds in process, handed over by {@link DraftStore.peek} without I/O. */
export interface PeekedDraft {
  /** The draft, sealed (deep-frozen, validated). It may be stale. */
  readonly draft: OnboardingDraft;
  /** Pins the exact stored bytes the draft was decoded from; pass it back as {@link CommitInput.basis}. */
  readonly token: string;
}

/** Input of {@link DraftStore.commit}. */
export interface CommitInput {
  /** The next record; `draft.version === expectedVersion + 1`. */
  readonly draft: OnboardingDraft;
  /** The version the stored record must have for the write to happen. */
  readonly expectedVersion: number;
  /**
   * The `token` of the {@link PeekedDraft} this write was computed from, when it was computed
   * from a peeked draft rather than a fresh `load`. The store must then also require the stored
   * document to be exactly the one the token pins (same bytes, not only the same version), and
   * report `version_conflict` (with the stored version) when it is not.
   */
  readonly basis?: string;
  /** Audit entries written in the same transaction (the `committed` entry). */
  readonly events: readonly AuditEvent[];
  /** The idempotency record to store in the same transaction, if the caller sent a key. */
  readonly idempotency: IdempotencyRecord | null;
  /**
   * Outbox entries written in the same transaction (`run.requested` for each run the command
   * started, `run.cancelled` for each it superseded), each as a new pending record (see
   * `newOutboxState`). Absent or empty: none. Written together with the record or not at all.
   */
  readonly outbox?: OutboxEntries;
}

/** Options of {@link DraftStore.list}. */
export interface ListOptions {
  /** Only drafts in this lifecycle state. */
  readonly state?: LifecycleState;
  /** At most this many drafts (1..500). */
  readonly limit: number;
  /** The `nextCursor` of the previous page; omit for the first page. */
  readonly cursor?: string | null;
}

/** One page of {@link DraftStore.list}. */
export interface ListPage {
  /** Raw stored documents, ordered by (`createdAt`, `id`) ascending. The engine validates them. */
  readonly drafts: readonly unknown[];
  /** Pass back to get the next page; `null` on the last page. */
  readonly nextCursor: string | null;
}

/**
 * The storage port. An adapter implements these methods; the engine does everything else
 * (validation, authorization, lifecycle, audit content). Every method is scoped by
 * `workspaceId`: an adapter must never return or touch another workspace's data.
 *
 * Reads return raw documents (`unknown`): the engine validates every one of them and reports
 * `CorruptRecordError` for a record that fails, so adapters need no validation of their own.
 * `null` means "no such record", so a stored value that is not JSON at all, or is the JSON
 * literal `null`, must be reported by the adapter itself as `CorruptRecordError` (never as
 * `null`, which would turn corruption into "not found").
 *
 * Promises every adapter keeps (checked by `onboarding-lifecycle/testing`):
 * - `commit` is an atomic compare-and-set: the record, its audit entries and its idempotency
 *   record are written together only when the stored version equals `expectedVersion`; if any
 *   part fails, nothing is written. Under any number of concurrent writers exactly one commit per
 *   version succeeds.
 * - At most one open draft per (workspace, tenant), enforced by the store itself (a unique index,
 *   a Lua check), not by a read before the write. A draft is open while its lifecycle state is
 *   not terminal and it has an identity.
 * - Audit entries of a draft are listed in the order they were appended; the committed entries
 *   of a draft therefore appear in version order.
 * - Reads never lock, never write and never change the version.
 * - Stored documents round-trip: what `load` returns, parsed and re-encoded with the codec,
 *   equals what was written.
 * - Ids and keys are stored and compared exactly, byte for byte (no case folding, no trailing
 *   space padding, no Unicode normalisation). The engine only ever passes well-formed Unicode
 *   without U+0000 (`isStorableText`), so a UTF-8 store can hold every one of them exactly.
 * - A write sent again after it applied (its reply was lost and a client or proxy re-sent it)
 *   is reported `{ ok: true }`, never as a rejection: a store recognises it by its first audit
 *   entry's `eventId`, looked up only on the rejection path. A write without audit entries has
 *   nothing to be recognised by.
 * - A store that keeps a version beside the document (a column, a hash field) reports a
 *   disagreement between the two as `CorruptRecordError` on read (`checkStoredVersion`).
 *
 * The engine checks the workspace (and tenant, and key) of every record a store hands back and
 * refuses a foreign one with `StoreError`, so a broken adapter fails loudly instead of leaking.
 *
 * @example
 * ```ts
 * import { createMemoryStore } from "onboarding-lifecycle/adapters/memory";
 * const engine = createOnboardingEngine({ store: createMemoryStore(), authorize: () => true });
 * ```
 */
export interface DraftStore extends OutboxStore {
  /** A short name for error messages (`memory`, `postgres`, ...). */
  readonly name: string;
  /** The stored document of a draft, or `null` if no such draft exists in the workspace. */
  load(workspaceId: string, draftId: string): Promise<unknown>;
  /**
   * Optional, for stores that keep decoded drafts in process: the draft as this process last
   * wrote or read it, without I/O, or `undefined`. It may be stale (another process may have
   * written since). The engine uses it only to compute a write whose commit carries the
   * token as `basis`, so the write happens only if the stored record is still exactly that
   * draft; every other outcome is redone from a fresh `load`. Reads never use it.
   */
  peek?(workspaceId: string, draftId: string): PeekedDraft | undefined;
  /** Inserts a new draft with its `created` entry (and idempotency record), atomically. */
  insert(input: InsertInput): Promise<WriteResult>;
  /** Version-checked write of the next record with its audit entries (and idempotency record). */
  commit(input: CommitInput): Promise<WriteResult>;
  /** Appends audit entries that change no record (`conflict`, `denied`). */
  appendAudit(events: readonly AuditEvent[]): Promise<void>;
  /** Every audit entry of a draft, in append order (raw; the engine validates them). */
  listAudit(workspaceId: string, draftId: string): Promise<readonly unknown[]>;
  /** The open draft of a tenant in a workspace, or `null`. */
  findOpenDraft(workspaceId: string, tenantId: string): Promise<unknown>;
  /** The idempotency record of a key in a workspace, or `null`. */
  loadIdempotency(workspaceId: string, key: string): Promise<unknown>;
  /**
   * Optional: deletes the idempotency records created before `before` (a UTC ISO-8601 instant,
   * see {@link idempotencyCutoff}) in every workspace, and resolves to how many went. A pruned
   * key is a new key again: a retry that arrives after its record was pruned runs as a new
   * request. Meant for a scheduled job ("keep keys for 24 hours"); drafts and audit entries are
   * never touched.
   */
  pruneIdempotency?(before: string): Promise<number>;
  /** One page of drafts in a workspace, keyset-paginated on (`createdAt`, `id`). */
  list(workspaceId: string, options: ListOptions): Promise<ListPage>;
  /** Releases connections the adapter opened itself (never those the caller passed in). */
  close?(): Promise<void>;
}

/**
 * The tenant whose open-draft slot a draft occupies, or `null` when it occupies none (no identity
 * yet, or terminal). Adapters store this in a uniquely-indexed column.
 */
export function openTenantOf(draft: OnboardingDraft): string | null {
  if (draft.identity === null) return null;
  const state = draft.lifecycle.state;
  return state === "completed" || state === "cancelled" ? null : draft.identity.tenantId;
}

/**
 * Normalises the cut-off of {@link DraftStore.pruneIdempotency}: a `Date`, epoch milliseconds or
 * any ISO-8601 string becomes the UTC form the engine stamps records with
 * (`2026-01-01T00:00:00.000Z`), so stores can compare it with stored `createdAt` text.
 *
 * @throws {@link ValidationError} for a value that is not a valid instant.
 *
 * @example
 * ```ts
 * const dayAgo = idempotencyCutoff(Date.now() - 24 * 3600 * 1000);
 * ```
 */
export function idempotencyCutoff(before: string | number | Date): string {
  const instant = before instanceof Date ? before : new Date(before);
  if (Number.isNaN(instant.getTime())) {
    throw new ValidationError("options", [
      { code: "invalid_value", path: ["before"], message: `not a valid instant: ${String(before)}` },
    ]);
  }
  return instant.toISOString();
}
