/**
 * The decoded-document cache the text-storing adapters share: a read of byte-identical text
 * returns the sealed draft without parsing; any other text is parsed and validated as before.
 */
import { describe, expect, it } from "vitest";
import { createDraftDocumentCache, idempotencyCutoff } from "../../src/store/index.js";
import { encodeDraft, isSealedDraft, parseDraft } from "../../src/lifecycle/index.js";
import { CorruptRecordError, ValidationError, type OnboardingDraft } from "../../src/record/index.js";
import { draftWith } from "./fixtures.js";

const sealed = (parts: Parameters<typeof draftWith>[0] = {}): OnboardingDraft =>
  parseDraft(JSON.parse(JSON.stringify(draftWith(parts))));

describe("createDraftDocumentCache", () => {
  it("returns the remembered sealed draft for byte-identical text, and parses anything else", () => {
    const cache = createDraftDocumentCache(10);
    const draft = sealed({ id: "d-1" });
    const text = encodeDraft(draft);
    cache.wrote(draft, text);
    expect(cache.read(draft.workspaceId, "d-1", text)).toBe(draft);
    expect(cache.read(draft.workspaceId, "d-1", Buffer.from(text))).toBe(draft);
    const changed = text.replace('"version":1', '"version":2');
    const read = cache.read(draft.workspaceId, "d-1", changed) as OnboardingDraft;
    expect(read).not.toBe(draft);
    expect(read.version).toBe(2);
    expect(isSealedDraft(read)).toBe(true);
    // The new text is what is cached now.
    expect(cache.read(draft.workspaceId, "d-1", changed)).toBe(read);
    expect(cache.read(draft.workspaceId, "d-1", text)).not.toBe(draft);
  });

  it("keys by workspace and draft: the same text under another key is parsed afresh", () => {
    const cache = createDraftDocumentCache(10);
    const draft = sealed({ id: "d-1" });
    const text = encodeDraft(draft);
    cache.wrote(draft, text);
    expect(cache.read("other-ws", "d-1", text)).not.toBe(draft);
  });

  it("a first read caches what it parsed; invalid documents come back raw and are never cached", () => {
    const cache = createDraftDocumentCache(10);
    const draft = draftWith({ id: "d-2" });
    const text = JSON.stringify(draft);
    const first = cache.read(draft.workspaceId, "d-2", text);
    expect(isSealedDraft(first)).toBe(true);
    expect(cache.read(draft.workspaceId, "d-2", text)).toBe(first);
    const broken = JSON.stringify({ ...draft, version: "seven" });
    const raw = cache.read(draft.workspaceId, "d-2", broken);
    expect(isSealedDraft(raw)).toBe(false);
    expect(raw).toMatchObject({ version: "seven" });
    expect(() => parseDraft(raw)).toThrow(CorruptRecordError);
    expect(cache.size).toBe(0);
    expect(() => cache.read(draft.workspaceId, "d-2", "{nope")).toThrow(CorruptRecordError);
    expect(() => cache.read(draft.workspaceId, "d-2", "null")).toThrow(CorruptRecordError);
  });

  it("never caches an unsealed draft, and forgets the key when told one was written", () => {
    const cache = createDraftDocumentCache(10);
    const draft = sealed({ id: "d-3" });
    const text = encodeDraft(draft);
    cache.wrote(draft, text);
    cache.wrote({ ...draft }, text);
    expect(cache.size).toBe(0);
  });

  it("track remembers committed writes, ignores rejected ones and forgets on failure", async () => {
    const cache = createDraftDocumentCache(10);
    const draft = sealed({ id: "d-4" });
    const text = encodeDraft(draft);
    await cache.track(draft, text, Promise.resolve({ ok: false }));
    expect(cache.size).toBe(0);
    await cache.track(draft, text, Promise.resolve({ ok: true }));
    expect(cache.read(draft.workspaceId, "d-4", text)).toBe(draft);
    const failure = new Error("connection reset");
    await expect(cache.track(draft, text, Promise.reject(failure))).rejects.toBe(failure);
    expect(cache.size).toBe(0);
  });

  it("holds at most `capacity` drafts, the first cached out first; capacity 0 caches nothing", () => {
    const cache = createDraftDocumentCache(2);
    const drafts = ["a", "b", "c"].map((id) => sealed({ id }));
    for (const draft of drafts) cache.wrote(draft, encodeDraft(draft));
    expect(cache.size).toBe(2);
    expect(cache.read(drafts[0]!.workspaceId, "a", encodeDraft(drafts[0]!))).not.toBe(drafts[0]);
    const none = createDraftDocumentCache(0);
    none.wrote(drafts[1]!, encodeDraft(drafts[1]!));
    expect(none.size).toBe(0);
    expect(none.read(drafts[1]!.workspaceId, "b", encodeDraft(drafts[1]!))).not.toBe(drafts[1]);
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
