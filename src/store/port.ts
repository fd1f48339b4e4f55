/**
 * store/ — the storage port: the small interface a storage adapter implements, and what each
 * method promises. Also shared helpers for adapters (SQL identifiers, cursors, fingerprints).
 *
 * May import: vocabulary/ and record/ (types and codecs). Never a driver, never the engine.
 */
import type { AuditEvent, IdempotencyRecord, OnboardingDraft } from "../record/index.js";
import type { LifecycleState } from "../vocabulary/index.js";
import type { OutboxEntries, OutboxStore } from "./outbox.js";
import type { StoreAdmin } from "./admin.js";
import type { StoreDescriptor } from "./descriptor.js";

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
      /**
       * Optional: the stored record as the store read it once the write missed (the latest
       * committed version, not a snapshot older than the write), so the engine needs no `load` to
       * decide again. `null`: the draft is gone. Absent: the store did not read it.
       */
      readonly current?: StoredDraft | null;
      /**
       * Optional: `true` when the store wrote {@link CommitInput.conflict} (the entry, completed
       * with the stored version and state) in the same statement. Absent or `false`: it did not,
       * and the engine appends the conflict entry itself if it reports one.
       */
      readonly conflictAudited?: boolean;
      /**
       * Optional, with `current`: who wrote `current`'s version, from its `committed` audit entry
       * (`null`: a version written by `insert`, or no entry found). Absent: the store did not read it.
       */
      readonly changedBy?: StoredChange | null;
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

/**
 * Who wrote a stored version, as its `committed` audit entry says: what a store reads beside a
 * version conflict (see {@link DraftStore.appendConflict}), raw (the engine checks it).
 */
export interface StoredChange {
  /** The entry's `actorId`. */
  readonly actorId: string;
  /** The entry's `commandType`. */
  readonly commandType: string;
}

/** The result of {@link DraftStore.insert} and {@link DraftStore.commit}. */
export type WriteResult =
  | {
      /** Everything was written. */
      readonly ok: true;
    }
  | WriteRejection;

/**
 * A draft document as a store holds it, handed to the engine by {@link DraftStore.load},
 * {@link DraftStore.findOpenDraft} and {@link DraftStore.list}. The engine alone decodes it: it
 * parses and validates the document (reporting `CorruptRecordError` for one that fails), checks
 * `version` against it, and keeps a cache of decoded drafts, so a read of byte-identical text
 * costs no parse. An adapter does I/O only.
 *
 * @example
 * ```ts
 * declare const row: { id: string; version: number; document: string }; // a SQL row
 * const stored: StoredDraft = { document: row.document, version: row.version, draftId: row.id };
 * ```
 */
export interface StoredDraft {
  /**
   * The document as stored: JSON text (a string), its UTF-8 bytes (a `Uint8Array`, e.g. a
   * driver's `Buffer`), or, for a store that keeps values in process (`memory`), the value
   * itself. Text that is not JSON, the JSON literal `null` and a missing document are reported
   * as `CorruptRecordError`, never as "not found" (that is what a `null` record means).
   */
  readonly document: unknown;
  /**
   * The version the store keeps beside the document (a SQL `version` column, a hash field),
   * when it keeps one. A valid document whose `version` differs from it is a
   * `CorruptRecordError`: the compare-and-set would test one version and the engine see another.
   */
  readonly version?: number | string | bigint | null;
  /**
   * The draft's id, when the store has it beside the document (its key). Optional; it lets the
   * engine answer a `findOpenDraft` or `list` of unchanged text from its cache.
   */
  readonly draftId?: string;
}

/** Input of {@link DraftStore.insert}. */
export interface InsertInput {
  /** The new draft, version 1. */
  readonly draft: OnboardingDraft;
  /**
   * The draft as canonical JSON text (`encodeDraft(draft)`), encoded once by the engine: what a
   * store of text stores, byte for byte. `""` for a store that declared
   * {@link DraftStore.stores} `"values"` (it keeps `draft` itself; the engine skips the encoding).
   */
  readonly document: string;
  /** Its `created` audit entry. */
  readonly event: AuditEvent;
  /** The idempotency record to store in the same transaction, if the caller sent a key. */
  readonly idempotency: IdempotencyRecord | null;
}

/** Input of {@link DraftStore.commit}. */
export interface CommitInput {
  /** The next record; `draft.version === expectedVersion + 1`. */
  readonly draft: OnboardingDraft;
  /** The next record as canonical JSON text, as {@link InsertInput.document} (`""` for a store of values). */
  readonly document: string;
  /** The version the stored record must have for the write to happen. */
  readonly expectedVersion: number;
  /**
   * The exact document text this write was computed from, when the engine computed it from its
   * own cache of decoded drafts rather than a fresh `load` (it then skipped the read). The
   * store must then also require the stored document to be exactly this text (same bytes, not
   * only the same version), and report `version_conflict` (with the stored version) when it is
   * not. Only sent to stores that store text.
   */
  readonly basis?: string;
  /** Audit entries written in the same transaction (the `committed` entry). */
  readonly events: readonly AuditEvent[];
  /**
   * Optional: the `conflict` entry to append if the write is rejected because the stored version
   * is not `expectedVersion` (and this very write has not already applied): the engine sends it
   * when such a rejection is a conflict its caller must get. A store that supports it writes the
   * entry as `appendAudit` would, with `actualVersion` and `state` taken from the stored record
   * it observed, and answers `conflictAudited: true`; a store that ignores it answers nothing
   * more, and the engine appends the entry itself. Never written when the write applies, nor
   * when the stored version equals `expectedVersion` (a stale `basis`: no conflict).
   */
  readonly conflict?: AuditEvent;
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
  /** The stored drafts, ordered by (`createdAt`, `id`) ascending. The engine decodes them. */
  readonly drafts: readonly StoredDraft[];
  /** Pass back to get the next page; `null` on the last page. */
  readonly nextCursor: string | null;
}

/**
 * Which way {@link DraftStore.listAudit} walks a draft's trail: `"forward"` from its first entry
 * (append order, oldest first), `"backward"` from its last (newest first).
 */
export type AuditDirection = "forward" | "backward";

/**
 * Options of {@link DraftStore.listAudit}: one page of a draft's trail. No options (or `{}`):
 * the whole trail, forward.
 *
 * @example
 * ```ts
 * declare const store: DraftStore;
 * const first = await store.listAudit("ws-1", "d-1", { limit: 50 });
 * const last = first.at(-1);
 * const next = last === undefined ? [] : await store.listAudit("ws-1", "d-1", { after: last.position, limit: 50 });
 * const newest = await store.listAudit("ws-1", "d-1", { direction: "backward", limit: 10 });
 * ```
 */
export interface AuditPageOptions {
  /**
   * Start after this entry (exclusive), in the walk's direction: the `position` of an entry this
   * store returned for the same draft. Forward, the entries appended after it; backward, those
   * appended before it. Omit to start at the walk's first end. A position the store cannot read
   * is a `ValidationError` (`readAuditPage`, `auditSequence`), never a driver error.
   */
  readonly after?: string;
  /** At most this many entries (a positive integer). Omit for all of them. */
  readonly limit?: number;
  /** `"forward"` (the default) or `"backward"`. */
  readonly direction?: AuditDirection;
}

/**
 * One audit entry as a store hands it back from {@link DraftStore.listAudit}: the entry, raw (the
 * engine validates it), and where it sits in the draft's trail.
 *
 * @example
 * ```ts
 * declare const row: { seq: number; event: string }; // a SQL row
 * const entry: StoredAuditEntry = { event: parseStoredJson(row.event, "audit entry", null), position: String(row.seq) };
 * ```
 */
export interface StoredAuditEntry {
  /** The audit entry as stored, parsed (`unknown`: the engine validates it). */
  readonly event: unknown;
  /**
   * The entry's place in its draft's trail, in the store's own notation (a sequence number, a
   * list index, a composite key written as text): never changes once the entry is stored, and
   * every entry appended later sits after every one stored before. The engine wraps it in its
   * opaque `history` cursors; nothing else reads it.
   */
  readonly position: string;
}

/**
 * The storage port. An adapter implements these methods; the engine does everything else
 * (validation, authorization, lifecycle, audit content). Every method is scoped by
 * `workspaceId`: an adapter must never return or touch another workspace's data.
 *
 * An adapter is I/O only. Draft reads return a {@link StoredDraft} (the document as stored plus
 * the version kept beside it) or `null` for "no such record"; the engine decodes, validates and
 * caches, and reports `CorruptRecordError` for a document that fails (text that is not JSON, the
 * JSON literal `null`, an invalid draft, a version column that disagrees). Writes carry the
 * canonical text (`document`) the engine encoded once. Idempotency records and audit entries
 * are returned raw (`unknown`); a stored idempotency record that is not JSON, or is JSON `null`,
 * must be reported by the adapter as `CorruptRecordError` (`parseStoredJson`).
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
 *   of a draft therefore appear in version order. Each carries a stable position, and an entry
 *   appended later never lands before a position already handed out (no gaps for a paging
 *   reader, even while other writers append).
 * - Reads never lock, never write and never change the version.
 * - Stored documents round-trip: the `document` `load` returns, parsed and re-encoded with the
 *   codec, equals what was written (a store of text stores `document` byte for byte).
 * - Ids and keys are stored and compared exactly, byte for byte (no case folding, no trailing
 *   space padding, no Unicode normalisation). The engine only ever passes well-formed Unicode
 *   without U+0000 (`isStorableText`), so a UTF-8 store can hold every one of them exactly.
 * - A write sent again after it applied (its reply was lost and a client or proxy re-sent it)
 *   is reported `{ ok: true }`, never as a rejection: a store recognises it by its first audit
 *   entry's `eventId`, looked up only on the rejection path. A write without audit entries has
 *   nothing to be recognised by.
 * - A store that keeps a version beside the document (a column, a hash field) returns it as
 *   {@link StoredDraft.version}; the engine reports a disagreement as `CorruptRecordError`.
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
  /**
   * What the store keeps of a draft. `"text"` (the default): the canonical JSON text the engine
   * sends as `document` in every write, handed back by reads as {@link StoredDraft.document}.
   * `"values"`: an in-process store that keeps the engine's sealed (frozen, validated) drafts
   * themselves and hands them back as they are; the engine then never encodes a draft for it
   * and sends `document: ""`.
   */
  readonly stores?: "text" | "values";
  /**
   * Optional: what the store is, for tracing and metrics (`db.system.name`, `db.namespace`, the
   * tables). Read by an instrumentation (`onboarding-lifecycle/opentelemetry`), never by the engine.
   */
  describe?(): StoreDescriptor;
  /** The stored draft, or `null` if no such draft exists in the workspace. */
  load(workspaceId: string, draftId: string): Promise<StoredDraft | null>;
  /** Inserts a new draft with its `created` entry (and idempotency record), atomically. */
  insert(input: InsertInput): Promise<WriteResult>;
  /** Version-checked write of the next record with its audit entries (and idempotency record). */
  commit(input: CommitInput): Promise<WriteResult>;
  /** Appends audit entries that change no record (`conflict`, `denied`). */
  appendAudit(events: readonly AuditEvent[]): Promise<void>;
  /**
   * Optional: appends one `conflict` entry (as `appendAudit` does) and, in the same round trip,
   * reads who wrote the version the entry names as `actualVersion` (see {@link StoredChange};
   * `null` when that version has no `committed` entry). Without it the engine calls `appendAudit`
   * and walks the trail back for the writer.
   */
  appendConflict?(event: AuditEvent): Promise<StoredChange | null>;
  /**
   * Audit entries of a draft with their positions: with no `page`, every one in append order;
   * with one, the first `page.limit` of those after `page.after`, walking `page.direction`
   * (fewer only when the trail ends: the engine asks for one more than a page to know whether
   * another follows). Reads by position range (an index range, `LRANGE`), never the whole trail
   * for a page, and returns `[]` past the end. An entry appended while a caller pages through the trail sits after every
   * position already handed out, so a walk that goes on after it sees it exactly once.
   */
  listAudit(workspaceId: string, draftId: string, page?: AuditPageOptions): Promise<readonly StoredAuditEntry[]>;
  /** The open draft of a tenant in a workspace, as stored, or `null`. */
  findOpenDraft(workspaceId: string, tenantId: string): Promise<StoredDraft | null>;
  /** The idempotency record of a key in a workspace, or `null`. */
  loadIdempotency(workspaceId: string, key: string): Promise<unknown>;
  /**
   * Optional: deletes the idempotency records created before `before` (a UTC ISO-8601 instant,
   * see `idempotencyCutoff`) in every workspace, and resolves to how many went. A pruned
   * key is a new key again: a retry that arrives after its record was pruned runs as a new
   * request. Meant for a scheduled job ("keep keys for 24 hours"); drafts and audit entries are
   * never touched.
   */
  pruneIdempotency?(before: string): Promise<number>;
  /** One page of drafts in a workspace, keyset-paginated on (`createdAt`, `id`). */
  list(workspaceId: string, options: ListOptions): Promise<ListPage>;
  /**
   * Optional: store-level queries for operators' tooling (counts per state, a scan of every
   * document, a rewrite that keeps the version), as the `onboarding-lifecycle` CLI uses them.
   * Every shipped adapter has it. The engine never uses it.
   */
  readonly admin?: StoreAdmin;
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
