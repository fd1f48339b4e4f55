/**
 * notModified: the If-None-Match side of conditional GETs (RFC 9110 §13.1.2): weak comparison,
 * `*`, lists (also over several header lines), and malformed headers that never match.
 */
import { describe, expect, it } from "vitest";
import { formatETag, notModified } from "../../src/http/index.js";

const draft = { id: "draft-1", version: 3 };
const tag = formatETag(draft); // "ZHJhZnQtMQ.3"
const otherDraft = formatETag({ id: "draft-2", version: 3 });
const olderVersion = formatETag({ id: "draft-1", version: 2 });
const newerVersion = formatETag({ id: "draft-1", version: 4 });

describe("notModified (If-None-Match)", () => {
  it("matches the draft's own strong tag", () => {
    expect(tag).toBe('"ZHJhZnQtMQ.3"');
    expect(notModified(tag, draft)).toBe(true);
    expect(notModified(`  ${tag}\t`, draft)).toBe(true);
  });

  it("uses the weak comparison: W/ tags match too", () => {
    expect(notModified(`W/${tag}`, draft)).toBe(true);
    expect(notModified(`W/${olderVersion}`, draft)).toBe(false);
  });

  it("matches * for any existing draft", () => {
    expect(notModified("*", draft)).toBe(true);
    expect(notModified(" * ", { id: "anything", version: 99 })).toBe(true);
  });

  it("matches when any element of a list matches", () => {
    expect(notModified(`${otherDraft}, ${tag}`, draft)).toBe(true);
    expect(notModified(`${olderVersion},W/${tag}`, draft)).toBe(true);
    expect(notModified(`, ${otherDraft} ,, ${tag} ,`, draft)).toBe(true);
    expect(notModified([otherDraft, tag], draft)).toBe(true); // several header lines
    expect(notModified(`${otherDraft}, ${olderVersion}`, draft)).toBe(false);
  });

  it("does not match another draft's tag", () => {
    expect(notModified(otherDraft, draft)).toBe(false);
    expect(notModified(`W/${otherDraft}`, draft)).toBe(false);
    expect(notModified('"foreign-tag"', draft)).toBe(false);
  });

  it("does not match another version's tag of the same draft", () => {
    expect(notModified(olderVersion, draft)).toBe(false);
    expect(notModified(newerVersion, draft)).toBe(false);
  });

  it("does not match an absent or empty header", () => {
    expect(notModified(undefined, draft)).toBe(false);
    expect(notModified(null, draft)).toBe(false);
    expect(notModified("", draft)).toBe(false);
    expect(notModified(" , ", draft)).toBe(false);
    expect(notModified([], draft)).toBe(false);
  });

  it.each([
    ["an unquoted tag", "ZHJhZnQtMQ.3"],
    ["a lowercase weak prefix", `w/${tag}`],
    ["an unterminated tag", '"ZHJhZnQtMQ.3'],
    ["* inside a list", `*, ${tag}`],
    ["a malformed element next to a matching tag", `${tag}, bogus`],
    ["a space inside a tag", '"ZHJhZnQtMQ .3"'],
    ["a missing comma", `${tag} ${tag}`],
    ["a weak prefix with a space", `W/ ${tag}`],
  ])("treats %s as no match", (_label, header) => {
    expect(notModified(header, draft)).toBe(false);
  });

  it("compares exactly what formatETag issues, for hostile ids", () => {
    for (const id of ['a "quoted", id', "*", 'W/"x"', "lone \uD800"]) {
      const subject = { id, version: 7 };
      expect(notModified(formatETag(subject), subject)).toBe(true);
      expect(notModified(`W/${formatETag(subject)}`, subject)).toBe(true);
      expect(notModified(formatETag({ id, version: 6 }), subject)).toBe(false);
    }
  });
});
