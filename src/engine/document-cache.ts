/**
 * engine/document-cache — the engine's one cache of decoded drafts, and the one place a stored
 * draft document is decoded. Adapters hand back a `StoredDraft` (the document as stored and the
 * version kept beside it); this module parses and validates it once, checks the version once,
 * and remembers the (text -> sealed draft) pair, so a read of byte-identical text costs no parse.
 */
import { CorruptRecordError, type OnboardingDraft } from "../record/index.js";
import { isSealedDraft, parseDraft } from "../lifecycle/index.js";
import { parseStoredJson, type StoredDraft } from "../store/index.js";

/** The default number of drafts the engine's document cache keeps (`documentCacheSize`). */
export const DEFAULT_DOCUMENT_CACHE_SIZE = 1000;

/** A cached draft and the exact document text it was decoded from (or written as). */
export interface CachedDraft {
  /** The sealed draft (deep-frozen, validated). It may be stale: the store is the truth. */
  readonly draft: OnboardingDraft;
  /** The stored text it decodes from: the `basis` of a commit computed from it. */
  readonly text: string;
}

/**
 * The engine's decoded-document cache, keyed by (workspace, draft) and the exact text.
 *
 * Per draft it keeps the last document text this engine wrote or read and the sealed draft it
 * decodes to. A read of byte-for-byte the same text returns that draft without parsing; any other
 * text (a write by another process, a hand edit) is parsed and validated. Identical bytes decode
 * to an identical draft, so the cache never changes what a read returns, only its cost. Each
 * process (each engine) has its own; the store stays the only source of truth.
 */
export interface DocumentCache {
  /**
   * Decodes a stored draft: the cached draft for identical text, else one parse and one
   * validation. Checks the store's version against the document.
   *
   * @throws `CorruptRecordError` for text that is not JSON, JSON `null`, a missing document, an
   *   invalid draft, or a version that disagrees with the document's.
   */
  decode(stored: StoredDraft, workspaceId: string, draftId: string | undefined): OnboardingDraft;
  /** The cached draft of (workspace, draft) with its text, without I/O, or `undefined`. */
  peek(workspaceId: string, draftId: string): CachedDraft | undefined;
  /**
   * Follows a write of `draft`: call with the text it was sent as once the store answered
   * `{ ok: true }` (`undefined` for a store of values, which sent none: the entry is dropped).
   */
  wrote(draft: OnboardingDraft, text: string | undefined): void;
  /** Forgets a draft (after a write whose outcome is unknown: it threw). */
  forget(workspaceId: string, draftId: string): void;
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
  if (storedVersion === draft.version || String(storedVersion) === String(draft.version)) return draft;
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

const keyOf = (workspaceId: string, draftId: string): string => `${workspaceId}\u0000${draftId}`;
const decoder = new TextDecoder();

/** The stored value itself, JSON-parsed when it is text; never `null` or `undefined`. */
function storedValue(document: unknown, text: string | null, draftId: string | null): unknown {
  if (text !== null) return parseStoredJson(text, "draft document", draftId);
  if (document === null || document === undefined) {
    throw new CorruptRecordError(
      [{ code: "invalid_type", path: [], message: "the store returned a draft record without a document" }],
      draftId,
    );
  }
  return document;
}

/**
 * Decodes one stored draft without a cache, as the engine does on a cache miss: JSON text or
 * bytes are parsed, an in-process value is taken as it is, the draft is validated (sealed) and
 * the store's version checked against it. For tests and tools that read a store directly.
 *
 * @throws `CorruptRecordError` for text that is not JSON, JSON `null`, a missing document, an
 *   invalid draft, or a version that disagrees with the document's.
 *
 * @example
 * ```ts
 * const draft = decodeStoredDraft({ document: '{"id":"d-1", ...}', version: 1 });
 * ```
 */
export function decodeStoredDraft(stored: StoredDraft): OnboardingDraft {
  const raw = stored.document;
  const text = typeof raw === "string" ? raw : raw instanceof Uint8Array ? decoder.decode(raw) : null;
  return checkStoredVersion(parseDraft(storedValue(raw, text, stored.draftId ?? null)), stored.version);
}

/**
 * Creates a {@link DocumentCache} holding at most `capacity` drafts; when full, the draft cached
 * first goes first (neither a hit nor a rewrite reorders). A capacity of 0 caches nothing.
 */
export function createDocumentCache(capacity: number = DEFAULT_DOCUMENT_CACHE_SIZE): DocumentCache {
  const limit = Number.isFinite(capacity) && capacity > 0 ? Math.floor(capacity) : 0;
  const entries = new Map<string, CachedDraft>();

  const remember = (draft: OnboardingDraft, text: string): void => {
    if (limit === 0) return;
    entries.set(keyOf(draft.workspaceId, draft.id), { draft, text });
    if (entries.size > limit) {
      const oldest = entries.keys().next();
      if (oldest.done !== true) entries.delete(oldest.value);
    }
  };

  return {
    decode(stored, workspaceId, draftId) {
      const raw = stored.document;
      const text = typeof raw === "string" ? raw : raw instanceof Uint8Array ? decoder.decode(raw) : null;
      if (text !== null && draftId !== undefined) {
        const hit = entries.get(keyOf(workspaceId, draftId));
        if (hit !== undefined && hit.text === text) return checkStoredVersion(hit.draft, stored.version);
      }
      const draft = parseDraft(storedValue(raw, text, draftId ?? null));
      checkStoredVersion(draft, stored.version);
      const ours = draft.workspaceId === workspaceId && (draftId === undefined || draft.id === draftId);
      if (text !== null && ours) remember(draft, text);
      return draft;
    },

    peek(workspaceId, draftId) {
      return entries.size === 0 ? undefined : entries.get(keyOf(workspaceId, draftId));
    },

    wrote(draft, text) {
      // Only a sealed draft is known valid and immutable; a write nobody encoded left no text.
      if (text !== undefined && isSealedDraft(draft)) remember(draft, text);
      else if (entries.size > 0) entries.delete(keyOf(draft.workspaceId, draft.id));
    },

    forget(workspaceId, draftId) {
      if (entries.size > 0) entries.delete(keyOf(workspaceId, draftId));
    },

    get size() {
      return entries.size;
    },
  };
}
