import { CorruptRecordError, type OnboardingDraft } from "../record/index.js";
import type { PeekedDraft } from "./port.js";
import { isSealedDraft, safeParseDraft } from "../lifecycle/index.js";
import { parseStoredJson } from "./json.js";

/**
 * A bounded cache of decoded draft documents for adapters that store drafts as JSON text.
 *
 * Decoding a document (JSON parse plus a full zod validation) is most of what a read costs the
 * client. The cache keeps, per draft, the last document text this process wrote or read and the
 * sealed draft it decodes to (see `isSealedDraft`: deep-frozen and validated). A read that gets
 * byte-for-byte the same text back returns that sealed draft without parsing; any other text (a
 * write by another process, a hand edit) is parsed and validated as before. Identical bytes
 * decode to an identical draft, so the cache never changes what a read returns, only its cost.
 *
 * Not thread-safe across processes by design: each process has its own cache, and the database
 * stays the only source of truth (the text comparison is the check).
 *
 * @example
 * ```ts
 * const cache = createDraftDocumentCache(1000);
 * const value = cache.read(workspaceId, draftId, row.document); // sealed draft or raw JSON value
 * // after a successful write of `draft`, stored as this text:
 * cache.wrote(draft, encodeDraft(draft));
 * ```
 */
export interface DraftDocumentCache {
  /**
   * Decodes a stored draft document (text or `Buffer`). Returns the cached sealed draft when
   * the text is identical to the last one seen for this draft; otherwise parses it. A document
   * that is a valid draft comes back sealed (and is cached); one that is not comes back as the
   * raw JSON value for the engine to report as `CorruptRecordError`. Text that is not JSON
   * throws `CorruptRecordError` right away, as `parseStoredJson` does.
   *
   * `storedVersion` is the version the store keeps beside the document (a SQL `version` column,
   * a Redis hash field), when it keeps one: a valid document whose `version` differs from it is
   * a `CorruptRecordError` (the compare-and-set would otherwise test one version and the engine
   * see another, and every write would fail as a conflict forever).
   */
  read(workspaceId: string, draftId: string, raw: unknown, storedVersion?: number | string | bigint | null): unknown;
  /**
   * The cached draft of (workspace, draft) and the text it was decoded from, without I/O, or
   * `undefined`. What a store's `peek` returns (the text is the token).
   */
  peek(workspaceId: string, draftId: string): PeekedDraft | undefined;
  /** Remembers the document text a write of `draft` stored (call once the write committed). */
  wrote(draft: OnboardingDraft, text: string): void;
  /**
   * Follows a write of `draft` stored as `text`: a committed write (`{ ok: true }`) is
   * remembered, a rejected one changes nothing, and one that fails (its outcome unknown) makes
   * the cache forget the draft. Returns the write's own promise result.
   */
  track<
    T extends {
      /** Whether the write happened. */
      readonly ok: boolean;
    },
  >(
    draft: OnboardingDraft,
    text: string,
    write: Promise<T>,
  ): Promise<T>;
  /** Forgets one draft (after a write whose outcome is unknown, or a delete). */
  forget(workspaceId: string, draftId: string): void;
  /** Forgets everything. */
  clear(): void;
  /** How many drafts are cached. */
  readonly size: number;
}

/**
 * Throws `CorruptRecordError` when a store's own version (column or field) disagrees with the
 * document's `version`; returns the draft otherwise. `undefined` or `null`: the store keeps none.
 */
export function checkStoredVersion(
  draft: OnboardingDraft,
  storedVersion: number | string | bigint | null | undefined,
): OnboardingDraft {
  if (storedVersion === undefined || storedVersion === null) return draft;
  if (String(storedVersion) === String(draft.version)) return draft;
  throw new CorruptRecordError(
    [
      {
        code: "version_mismatch",
        path: ["version"],
        message: `the stored version ${String(storedVersion)} disagrees with the document's version ${draft.version}`,
      },
    ],
    draft.id,
  );
}

/** A cached draft; its token is the document text it was decoded from (or written as). */
type Entry = PeekedDraft;

/** The default number of drafts an adapter's document cache keeps. */
export const DEFAULT_DOCUMENT_CACHE_SIZE = 1000;

const keyOf = (workspaceId: string, draftId: string): string => `${workspaceId}\u0000${draftId}`;

/**
 * Creates a {@link DraftDocumentCache} holding at most `capacity` drafts; when it is full, the
 * draft cached first goes first. A capacity of 0 caches nothing (every read parses).
 *
 * @example
 * ```ts
 * declare const documentCacheSize: number | undefined; // an adapter option
 * const cache = createDraftDocumentCache(documentCacheSize ?? DEFAULT_DOCUMENT_CACHE_SIZE);
 * ```
 */
export function createDraftDocumentCache(capacity: number = DEFAULT_DOCUMENT_CACHE_SIZE): DraftDocumentCache {
  const limit = Number.isFinite(capacity) && capacity > 0 ? Math.floor(capacity) : 0;
  const entries = new Map<string, Entry>();

  const remember = (key: string, entry: Entry): void => {
    if (limit === 0) return;
    // Replacing an entry keeps its place: eviction is in order of first caching.
    entries.set(key, entry);
    if (entries.size > limit) {
      const oldest = entries.keys().next();
      if (oldest.done !== true) entries.delete(oldest.value);
    }
  };

  const wrote = (draft: OnboardingDraft, text: string): void => {
    const key = keyOf(draft.workspaceId, draft.id);
    // Only a sealed draft is known to be valid and immutable; anything else is parsed on read.
    if (isSealedDraft(draft)) remember(key, Object.freeze({ draft, token: text }));
    else entries.delete(key);
  };

  return {
    read(workspaceId, draftId, raw, storedVersion) {
      const text = typeof raw === "string" ? raw : raw instanceof Uint8Array ? new TextDecoder().decode(raw) : null;
      const key = keyOf(workspaceId, draftId);
      if (text !== null) {
        const hit = entries.get(key);
        // Eviction is in order of first caching (neither a hit nor a rewrite reorders): cheap,
        // and an evicted draft is simply parsed and cached again on its next read.
        if (hit !== undefined && hit.token === text) return checkStoredVersion(hit.draft, storedVersion);
      }
      const value = parseStoredJson(text ?? raw, "draft document", draftId);
      const parsed = safeParseDraft(value);
      if (!parsed.success) {
        entries.delete(key);
        return value;
      }
      checkStoredVersion(parsed.draft, storedVersion);
      if (text !== null && parsed.draft.workspaceId === workspaceId && parsed.draft.id === draftId) {
        remember(key, Object.freeze({ draft: parsed.draft, token: text }));
      }
      return parsed.draft;
    },

    wrote,

    peek(workspaceId, draftId) {
      return entries.get(keyOf(workspaceId, draftId));
    },

    track(draft, text, write) {
      return write.then(
        (result) => {
          if (result.ok) wrote(draft, text);
          return result;
        },
        (error: unknown) => {
          entries.delete(keyOf(draft.workspaceId, draft.id));
          throw error;
        },
      );
    },

    forget(workspaceId, draftId) {
      entries.delete(keyOf(workspaceId, draftId));
    },

    clear() {
      entries.clear();
    },

    get size() {
      return entries.size;
    },
  };
}
