/**
 * The engine's one decoded-document cache: a read of byte-identical text returns the sealed
 * draft without parsing; any other text is parsed and validated once; the version the store
 * keeps beside the document is checked once; a corrupt row is parsed once.
 */
import { describe, expect, it, vi } from "vitest";
import { idempotencyCutoff } from "../../src/store/index.js";
import { encodeDraft, isSealedDraft, parseDraft } from "../../src/lifecycle/index.js";
import { CorruptRecordError, ValidationError, type OnboardingDraft } from "../../src/record/index.js";
import { createDocumentCache, decodeStoredDraft } from "../../src/engine/document-cache.js";
import { createOnboardingEngine } from "../../src/index.js";
import { createMemoryStore } from "../../src/adapters/memory/index.js";
import { draftWith } from "./fixtures.js";

const sealed = (parts: Parameters<typeof draftWith>[0] = {}): OnboardingDraft =>
  parseDraft(JSON.parse(JSON.stringify(draftWith(parts))));

describe("createDocumentCache", () => {
  it("returns the remembered sealed draft for byte-identical text, and parses anything else", () => {
    const cache = createDocumentCache(10);
    const draft = sealed({ id: "d-1" });
    const text = encodeDraft(draft);
    cache.wrote(draft, text);
    expect(cache.decode({ document: text }, draft.workspaceId, "d-1")).toBe(draft);
    expect(cache.decode({ document: Buffer.from(text) }, draft.workspaceId, "d-1")).toBe(draft);
    expect(cache.peek(draft.workspaceId, "d-1")).toEqual({ draft, text });
    const changed = text.replace('"version":1', '"version":2');
    const read = cache.decode({ document: changed }, draft.workspaceId, "d-1");
    expect(read).not.toBe(draft);
    expect(read.version).toBe(2);
    expect(isSealedDraft(read)).toBe(true);
    // The new text is what is cached now.
    expect(cache.decode({ document: changed }, draft.workspaceId, "d-1")).toBe(read);
    expect(cache.decode({ document: text }, draft.workspaceId, "d-1")).not.toBe(draft);
  });

  it("keys by workspace and draft: the same text under another key is parsed afresh", () => {
    const cache = createDocumentCache(10);
    const draft = sealed({ id: "d-1" });
    cache.wrote(draft, encodeDraft(draft));
    expect(cache.decode({ document: encodeDraft(draft) }, "other-ws", "d-1")).not.toBe(draft);
  });

  it("a first read caches what it parsed; invalid, non-JSON and JSON null documents are CorruptRecordError", () => {
    const cache = createDocumentCache(10);
    const draft = draftWith({ id: "d-2" });
    const text = JSON.stringify(draft);
    const first = cache.decode({ document: text }, draft.workspaceId, "d-2");
    expect(isSealedDraft(first)).toBe(true);
    expect(cache.decode({ document: text }, draft.workspaceId, "d-2")).toBe(first);
    const broken = JSON.stringify({ ...draft, version: "seven" });
    expect(() => cache.decode({ document: broken }, draft.workspaceId, "d-2")).toThrow(CorruptRecordError);
    expect(() => cache.decode({ document: "{nope" }, draft.workspaceId, "d-2")).toThrow(CorruptRecordError);
    expect(() => cache.decode({ document: "null" }, draft.workspaceId, "d-2")).toThrow(CorruptRecordError);
    expect(() => cache.decode({ document: null }, draft.workspaceId, "d-2")).toThrow(CorruptRecordError);
  });

  it("checks the store's version against the document, on a hit as on a miss", () => {
    const cache = createDocumentCache(10);
    const draft = sealed({ id: "d-5" });
    const text = encodeDraft(draft);
    expect(cache.decode({ document: text, version: 1 }, draft.workspaceId, "d-5")).toBe(
      cache.decode({ document: text, version: "1" }, draft.workspaceId, "d-5"),
    );
    for (const version of [2, "2", 2n]) {
      const error = (() => {
        try {
          cache.decode({ document: text, version }, draft.workspaceId, "d-5");
        } catch (caught) {
          return caught;
        }
        return null;
      })();
      expect(error).toBeInstanceOf(CorruptRecordError);
      expect((error as CorruptRecordError).issues.map((issue) => issue.code)).toEqual(["version_mismatch"]);
    }
    expect(() => decodeStoredDraft({ document: text, version: 3 })).toThrow(CorruptRecordError);
    expect(decodeStoredDraft({ document: text, version: null }).id).toBe("d-5");
  });

  it("never caches an unsealed draft or a write nobody encoded, and forgets on request", () => {
    const cache = createDocumentCache(10);
    const draft = sealed({ id: "d-3" });
    const text = encodeDraft(draft);
    cache.wrote({ ...draft }, text);
    expect(cache.size).toBe(0);
    cache.wrote(draft, text);
    expect(cache.size).toBe(1);
    cache.wrote(draft, undefined);
    expect(cache.size).toBe(0);
    cache.wrote(draft, text);
    cache.forget(draft.workspaceId, draft.id);
    expect(cache.peek(draft.workspaceId, draft.id)).toBeUndefined();
  });

  it("holds at most `capacity` drafts, the first cached out first; capacity 0 caches nothing", () => {
    const cache = createDocumentCache(2);
    const drafts = ["a", "b", "c"].map((id) => sealed({ id }));
    for (const draft of drafts) cache.wrote(draft, encodeDraft(draft));
    expect(cache.size).toBe(2);
    expect(cache.decode({ document: encodeDraft(drafts[0]!) }, drafts[0]!.workspaceId, "a")).not.toBe(drafts[0]);
    const none = createDocumentCache(0);
    none.wrote(drafts[1]!, encodeDraft(drafts[1]!));
    expect(none.size).toBe(0);
    expect(none.decode({ document: encodeDraft(drafts[1]!) }, drafts[1]!.workspaceId, "b")).not.toBe(drafts[1]);
  });
});

describe("the engine decodes each stored draft once", () => {
  it("a corrupt row is parsed once per read, and reported as CorruptRecordError", async () => {
    const store = createMemoryStore();
    const engine = createOnboardingEngine({ store, authorize: () => true });
    const actor = { id: "u" };
    const { draft } = await engine.create("ws", {}, { actor });
    store.setRawDocument("ws", draft.id, JSON.stringify({ ...draft, version: "seven" }));
    const parse = vi.spyOn(JSON, "parse");
    try {
      await expect(engine.get("ws", draft.id, { actor })).rejects.toBeInstanceOf(CorruptRecordError);
      expect(parse).toHaveBeenCalledTimes(1);
    } finally {
      parse.mockRestore();
    }
  });

  it("byte-identical stored text is not parsed again", async () => {
    const store = createMemoryStore();
    const engine = createOnboardingEngine({ store, authorize: () => true });
    const actor = { id: "u" };
    const { draft } = await engine.create("ws", {}, { actor });
    store.setRawDocument("ws", draft.id, encodeDraft(draft));
    const first = await engine.get("ws", draft.id, { actor });
    const parse = vi.spyOn(JSON, "parse");
    try {
      expect(await engine.get("ws", draft.id, { actor })).toBe(first);
      expect(parse).not.toHaveBeenCalled();
    } finally {
      parse.mockRestore();
    }
  });
});

describe("idempotencyCutoff", () => {
  it("turns a Date, epoch milliseconds or any ISO-8601 instant into the UTC text stores compare", () => {
    const utc = "2026-01-01T00:00:00.000Z";
    expect(idempotencyCutoff(new Date(utc))).toBe(utc);
    expect(idempotencyCutoff(Date.parse(utc))).toBe(utc);
    expect(idempotencyCutoff("2026-01-01T01:00:00+01:00")).toBe(utc);
    expect(idempotencyCutoff("2026-01-01T00:00:00Z")).toBe(utc);
  });

  it("refuses what is not an instant", () => {
    for (const bad of ["yesterday", "", Number.NaN, new Date("nope")]) {
      expect(() => idempotencyCutoff(bad)).toThrow(ValidationError);
    }
  });
});
