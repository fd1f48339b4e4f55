/**
 * ETags and If-Match: round trips with hostile ids, the If-Match grammar (RFC 9110 §8.8.3,
 * §13.1.1) and the mapping of a header to the engine's expectedVersion.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  InvalidIfMatchError,
  PreconditionFailedError,
  PreconditionRequiredError,
  expectedVersionFromIfMatch,
  formatETag,
  ifMatchMatches,
  parseETag,
  parseIfMatch,
} from "../../src/http/index.js";

const HOSTILE_IDS = [
  "d1",
  'a "quoted" id',
  "comma, separated, id",
  'W/"not-weak"',
  "*",
  "  leading and trailing  ",
  "back\\slash",
  "tab\tnew\nline\r\n",
  "nul\u0000byte",
  "\u00e9\u00e8\u00ea unicode \u4e2d\u6587",
  "emoji \u{1F600}\u{1F469}\u200D\u{1F4BB}",
  "lone high \uD800 surrogate",
  "lone low \uDC00",
  "\uFEFFbom",
  "x".repeat(128),
  "\u{10FFFF}".repeat(64),
  "=padding==",
  "~tilde",
  "dots.and.3",
  "<script>alert(1)</script>",
  "'; DROP TABLE onboarding_drafts; --",
];

// Visible ASCII only (what a header value may carry without obs-text), quoted, no inner quote.
const HEADER_SAFE = /^"[\x21\x23-\x7e]+"$/;

describe("formatETag / parseETag", () => {
  it.each(HOSTILE_IDS)("round-trips %j", (id) => {
    for (const version of [1, 2, 41, Number.MAX_SAFE_INTEGER]) {
      const tag = formatETag({ id, version });
      expect(tag).toMatch(HEADER_SAFE);
      expect(parseETag(tag)).toEqual({ id, version });
      expect(parseIfMatch(tag)).toEqual({ kind: "tags", tags: [{ weak: false, opaque: tag }] });
      expect(ifMatchMatches(tag, { id, version })).toBe(true);
      expect(ifMatchMatches(tag, { id, version: version === 1 ? 2 : version - 1 })).toBe(false);
    }
  });

  it("round-trips any string id of 1..128 UTF-16 code units (property)", () => {
    const codeUnit = fc.integer({ min: 0, max: 0xffff }).map((unit) => String.fromCharCode(unit));
    const anyChar = fc.oneof(codeUnit, fc.string({ unit: "binary", minLength: 1, maxLength: 1 }));
    fc.assert(
      fc.property(
        fc.string({ unit: anyChar, minLength: 1, maxLength: 64 }).filter((id) => id.length <= 128),
        fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
        (id, version) => {
          const tag = formatETag({ id, version });
          expect(tag).toMatch(HEADER_SAFE);
          expect(parseETag(tag)).toEqual({ id, version });
          expect(expectedVersionFromIfMatch(`W/"x", ${tag}`, { id })).toEqual({
            expectedVersion: version,
            ifMatchUsed: true,
          });
        },
      ),
      { numRuns: 300 },
    );
  });

  it("gives distinct ids distinct tags (no collisions between the two encodings)", () => {
    const ids = [...HOSTILE_IDS, "\uD800", "\uFFFD", "\uDC00\uD800", "\uD800\uDC00"];
    const tags = new Set(ids.map((id) => formatETag({ id, version: 1 })));
    expect(tags.size).toBe(ids.length);
  });

  it("is strong and quoted", () => {
    const tag = formatETag({ id: "draft-1", version: 3 });
    expect(tag.startsWith('"')).toBe(true);
    expect(tag).not.toMatch(/^W\//);
    expect(tag).toBe('"ZHJhZnQtMQ.3"');
  });

  it("accepts an unquoted tag in parseETag but never a weak one or garbage", () => {
    expect(parseETag("ZHJhZnQtMQ.3")).toEqual({ id: "draft-1", version: 3 });
    expect(parseETag('W/"ZHJhZnQtMQ.3"')).toBeNull();
    for (const bad of [
      '"ZHJhZnQtMQ.0"',
      '"ZHJhZnQtMQ.-1"',
      '"ZHJhZnQtMQ.03"',
      '"ZHJhZnQtMQ.99999999999999999"',
      '"ZHJhZnQtMQ"',
      '""',
      '"."',
      '"ZHJhZnQtMQ==.3"',
      '"~.3"',
      '"~YQ.1"',
      '"_w.1"',
      '"abc.1.2"',
    ]) {
      expect(parseETag(bad), bad).toBeNull();
    }
  });

  it("rejects non-canonical encodings (one id, one tag)", () => {
    // "ZHJhZnQtMR" decodes like "ZHJhZnQtMQ" with different trailing bits.
    expect(parseETag('"ZHJhZnQtMR.3"')).toBeNull();
    // A UTF-16 tag of a well-formed id is not the canonical (UTF-8) tag of that id.
    expect(parseETag('"~YQA.1"')).toBeNull();
  });

  it("refuses ids and versions that cannot make a tag", () => {
    expect(() => formatETag({ id: "", version: 1 })).toThrow(TypeError);
    for (const version of [0, -1, 1.5, Number.NaN, Number.MAX_SAFE_INTEGER + 1]) {
      expect(() => formatETag({ id: "d", version })).toThrow(TypeError);
    }
  });
});

describe("parseIfMatch (RFC 9110 grammar)", () => {
  const a = formatETag({ id: "a", version: 1 });
  const b = formatETag({ id: "b", version: 2 });

  it.each<[string | readonly string[] | null | undefined, ReturnType<typeof parseIfMatch>]>([
    [undefined, { kind: "absent" }],
    [null, { kind: "absent" }],
    ["*", { kind: "any" }],
    [" \t* ", { kind: "any" }],
    ["", { kind: "tags", tags: [] }],
    ["  ", { kind: "tags", tags: [] }],
    [", ,", { kind: "tags", tags: [] }],
    [a, { kind: "tags", tags: [{ weak: false, opaque: a }] }],
    [`W/${a}`, { kind: "tags", tags: [{ weak: true, opaque: a }] }],
    [
      `${a},${b}`,
      {
        kind: "tags",
        tags: [
          { weak: false, opaque: a },
          { weak: false, opaque: b },
        ],
      },
    ],
    [
      ` ${a} ,\t W/${b} `,
      {
        kind: "tags",
        tags: [
          { weak: false, opaque: a },
          { weak: true, opaque: b },
        ],
      },
    ],
    [`,, ${a} ,, ,`, { kind: "tags", tags: [{ weak: false, opaque: a }] }],
    [
      [a, `W/${b}`],
      {
        kind: "tags",
        tags: [
          { weak: false, opaque: a },
          { weak: true, opaque: b },
        ],
      },
    ],
    ['""', { kind: "tags", tags: [{ weak: false, opaque: '""' }] }],
    ['"foreign-tag"', { kind: "tags", tags: [{ weak: false, opaque: '"foreign-tag"' }] }],
    ['"with\u00e9obs-text"', { kind: "tags", tags: [{ weak: false, opaque: '"with\u00e9obs-text"' }] }],
  ])("parses %j", (header, expected) => {
    expect(parseIfMatch(header)).toEqual(expected);
  });

  it.each([
    "abc", // unquoted
    `${a} ${b}`, // missing comma
    `*, ${a}`, // * in a list
    `${a}, *`,
    '"unterminated',
    '"in"side"',
    'w/"lowercase-weak"', // W/ is case-sensitive
    'W/ "space-after-weak"',
    '"space inside"',
    '"tab\tinside"',
    '"ctl\u0001"',
    "**",
    `${a};q=1`,
  ])("rejects %j as invalid", (header) => {
    expect(parseIfMatch(header).kind).toBe("invalid");
    expect(() => expectedVersionFromIfMatch(header, { id: "a" })).toThrow(InvalidIfMatchError);
  });
});

describe("expectedVersionFromIfMatch", () => {
  const id = 'draft "7", with comma';
  const tag = (version: number, draftId = id): string => formatETag({ id: draftId, version });

  it("takes the version of this draft's strong tag", () => {
    expect(expectedVersionFromIfMatch(tag(4), { id })).toEqual({ expectedVersion: 4, ifMatchUsed: true });
  });

  it("ignores weak tags, other drafts' tags and foreign tags in a list", () => {
    const header = `W/${tag(9)}, ${tag(5, "other")}, "foreign", ${tag(3)}`;
    expect(expectedVersionFromIfMatch(header, { id })).toEqual({ expectedVersion: 3, ifMatchUsed: true });
  });

  it("picks the current version when the list names it, else the newest", () => {
    const header = `${tag(2)}, ${tag(5)}, ${tag(3)}`;
    expect(expectedVersionFromIfMatch(header, { id, version: 3 })).toEqual({ expectedVersion: 3, ifMatchUsed: true });
    expect(expectedVersionFromIfMatch(header, { id, version: 4 })).toEqual({ expectedVersion: 5, ifMatchUsed: true });
    expect(expectedVersionFromIfMatch(header, { id })).toEqual({ expectedVersion: 5, ifMatchUsed: true });
  });

  it("never matches a weak tag (strong comparison): 412 weak_only", () => {
    const error = captureError(() => expectedVersionFromIfMatch(`W/${tag(4)}`, { id, version: 4 }));
    expect(error).toBeInstanceOf(PreconditionFailedError);
    expect(error).toMatchObject({ reason: "weak_only", currentVersion: 4, draftId: id });
    expect(ifMatchMatches(`W/${tag(4)}`, { id, version: 4 })).toBe(false);
  });

  it("fails tags of another draft and foreign tags: 412 no_matching_tag", () => {
    for (const header of [tag(4, "other-draft"), '"foreign"', `${tag(1, "x")}, W/${tag(1)}`]) {
      const error = captureError(() => expectedVersionFromIfMatch(header, { id }));
      expect(error).toBeInstanceOf(PreconditionFailedError);
      expect(error).toMatchObject({ reason: "no_matching_tag", currentVersion: null });
    }
  });

  it("fails an empty header value: 412 empty (never an unconditional write)", () => {
    for (const header of ["", " ", ","]) {
      const error = captureError(() => expectedVersionFromIfMatch(header, { id }, { onMissing: "allow-current" }));
      expect(error).toBeInstanceOf(PreconditionFailedError);
      expect(error).toMatchObject({ reason: "empty" });
    }
  });

  it("treats * as the current version, not as an If-Match tag", () => {
    expect(expectedVersionFromIfMatch("*", { id, version: 6 })).toEqual({ expectedVersion: 6, ifMatchUsed: false });
    expect(expectedVersionFromIfMatch("*", { id })).toEqual({ expectedVersion: null, ifMatchUsed: false });
    expect(ifMatchMatches("*", { id, version: 6 })).toBe(true);
  });

  it("requires If-Match by default (428) and allows the current version when configured", () => {
    const error = captureError(() => expectedVersionFromIfMatch(undefined, { id }));
    expect(error).toBeInstanceOf(PreconditionRequiredError);
    expect(error).toMatchObject({ code: "precondition_required", draftId: id });
    expect(() => expectedVersionFromIfMatch(null, { id }, { onMissing: "require" })).toThrow(PreconditionRequiredError);
    expect(expectedVersionFromIfMatch(undefined, { id }, { onMissing: "allow-current" })).toEqual({
      expectedVersion: null,
      ifMatchUsed: false,
    });
    expect(expectedVersionFromIfMatch(undefined, { id, version: 2 }, { onMissing: "allow-current" })).toEqual({
      expectedVersion: 2,
      ifMatchUsed: false,
    });
  });

  it("accepts an already parsed header", () => {
    expect(expectedVersionFromIfMatch(parseIfMatch(tag(8)), { id })).toEqual({ expectedVersion: 8, ifMatchUsed: true });
    expect(ifMatchMatches(parseIfMatch(tag(8)), { id, version: 8 })).toBe(true);
  });

  it("does not match absent or invalid headers in ifMatchMatches", () => {
    expect(ifMatchMatches(undefined, { id, version: 1 })).toBe(false);
    expect(ifMatchMatches("garbage", { id, version: 1 })).toBe(false);
  });
});

function captureError(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error("expected an error");
}
