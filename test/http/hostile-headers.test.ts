/**
 * Hostile header values: whatever a framework, a proxy or an attacker puts in `If-Match` /
 * `If-None-Match` (non-strings, arrays of header lines, huge lists, odd whitespace, weak and
 * unquoted tags), every helper of `onboarding-lifecycle/http` either returns or throws one of the
 * package's typed errors that `toProblem` maps to a 4xx: never a TypeError, a RangeError or a
 * 500. The property at the end throws arbitrary values at every helper; fast-check prints the
 * seed and the counterexample path on failure (replay with `{ seed, path }`).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { VersionConflictError, isOnboardingError, type OnboardingDraft } from "../../src/index.js";
import {
  IF_MATCH_MAX_LENGTH,
  IF_MATCH_MAX_TAGS,
  InvalidIfMatchError,
  PreconditionFailedError,
  PreconditionRequiredError,
  expectedVersionFromIfMatch,
  formatETag,
  ifMatchMatches,
  isHttpRequestError,
  notModified,
  parseETag,
  parseIfMatch,
  problemResponse,
  toProblem,
  type IfMatch,
} from "../../src/http/index.js";

const id = "draft-1";
const draft = { id, version: 3 };
const tag = (version: number, draftId = id): string => formatETag({ id: draftId, version });

/** Values a header can be at run time although the types say `string | string[]`. */
const NON_STRINGS: ReadonlyArray<readonly [string, unknown]> = [
  ["a number", 5],
  ["NaN", Number.NaN],
  ["a boolean", true],
  ["a bigint", 10n],
  ["a symbol", Symbol("if-match")],
  ["a function", () => '"x"'],
  ["an object", { value: tag(3) }],
  ["a String object", new String(tag(3))],
  ["a Date", new Date(0)],
  ["an array with a number", [tag(3), 5]],
  ["an array with null", [null]],
  ["an array with undefined", [undefined, tag(3)]],
  ["a nested array", [[tag(3)]]],
  ["a forged IfMatch with tags: 5", { kind: "tags", tags: 5 }],
  ["a forged IfMatch with bad tags", { kind: "tags", tags: [{ weak: "no", opaque: 1 }] }],
  ["a forged IfMatch with null tags", { kind: "tags", tags: [null] }],
  ["an object with an unknown kind", { kind: "everything" }],
];

function thrown(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  return undefined;
}

/** The invariant: no error, or a typed error of the package mapped to a 4xx problem. */
function expectReturnsOrTyped4xx(run: () => unknown): void {
  const error = thrown(run);
  if (error === undefined) return;
  expect(
    isOnboardingError(error) || isHttpRequestError(error),
    `untyped error: ${error instanceof Error ? error.message : typeof error}`,
  ).toBe(true);
  const { status } = toProblem(error);
  expect(status).toBeGreaterThanOrEqual(400);
  expect(status).toBeLessThan(500);
}

describe("non-string header values", () => {
  it.each(NON_STRINGS)("parseIfMatch(%s) is invalid, never a throw", (_label, value) => {
    const parsed = parseIfMatch(value as string);
    expect(parsed.kind).toBe("invalid");
  });

  it.each(NON_STRINGS)("expectedVersionFromIfMatch(%s) throws InvalidIfMatchError (400)", (_label, value) => {
    for (const onMissing of ["require", "allow-current"] as const) {
      const error = thrown(() => expectedVersionFromIfMatch(value as string, { id }, { onMissing }));
      expect(error).toBeInstanceOf(InvalidIfMatchError);
      expect(problemResponse(error).status).toBe(400);
    }
  });

  it.each(NON_STRINGS)("ifMatchMatches and notModified answer false for %s", (_label, value) => {
    expect(ifMatchMatches(value as string, draft)).toBe(false);
    expect(notModified(value as string, draft)).toBe(false);
  });

  it("parseETag answers null for non-strings", () => {
    for (const [, value] of NON_STRINGS) expect(parseETag(value as string)).toBeNull();
  });

  it("still treats undefined and null as a missing header", () => {
    expect(parseIfMatch(undefined)).toEqual({ kind: "absent" });
    expect(() => expectedVersionFromIfMatch(null, { id })).toThrow(PreconditionRequiredError);
  });
});

describe("arrays of header lines (Node's headersDistinct, repeated headers)", () => {
  it("reads several lines as one list", () => {
    expect(expectedVersionFromIfMatch([`W/${tag(9)}`, tag(2), tag(5, "other")], { id })).toEqual({
      expectedVersion: 2,
      ifMatchUsed: true,
    });
    expect(notModified(['"foreign"', `W/${tag(3)}`], draft)).toBe(true);
  });

  it("refuses * inside a list of lines and an empty array is an empty list", () => {
    expect(parseIfMatch(["*", tag(3)]).kind).toBe("invalid");
    expect(thrown(() => expectedVersionFromIfMatch([], { id }))).toMatchObject({ reason: "empty" });
  });

  it("refuses a huge array before joining it", () => {
    const lines: string[] = new Array<string>(1_000_000).fill(tag(3));
    const started = performance.now();
    expect(parseIfMatch(lines)).toEqual({ kind: "invalid", reason: `longer than ${IF_MATCH_MAX_LENGTH} characters` });
    expect(performance.now() - started).toBeLessThan(1000);
  });
});

describe("long lists and long values are bounded", () => {
  it(`reads up to ${IF_MATCH_MAX_TAGS} tags and takes the newest version of this draft`, () => {
    const header = Array.from({ length: IF_MATCH_MAX_TAGS }, (_, index) => tag(index + 1)).join(", ");
    expect(expectedVersionFromIfMatch(header, { id })).toEqual({
      expectedVersion: IF_MATCH_MAX_TAGS,
      ifMatchUsed: true,
    });
  });

  it("refuses a longer list with InvalidIfMatchError (400), also for a list that used to overflow Math.max", () => {
    const justOver = Array.from({ length: IF_MATCH_MAX_TAGS + 1 }, () => '"x"').join(",");
    expect(parseIfMatch(justOver)).toEqual({ kind: "invalid", reason: `more than ${IF_MATCH_MAX_TAGS} entity tags` });
    // 200 000 versions of this draft: Math.max(...versions) threw RangeError here.
    const prefix = tag(1).slice(0, -2); // '"ZHJhZnQtMQ.': the tag of this draft without its version
    const huge = Array.from({ length: 200_000 }, (_, index) => `${prefix}${index + 1}"`);
    expect(parseETag(huge[199_999] as string)).toEqual({ id, version: 200_000 });
    const fromLines = thrown(() => expectedVersionFromIfMatch(huge, { id }));
    expect(fromLines).toBeInstanceOf(InvalidIfMatchError);
    expect(toProblem(fromLines).status).toBe(400);
    const parsed: IfMatch = { kind: "tags", tags: huge.map((opaque) => ({ weak: false, opaque })) };
    expect(thrown(() => expectedVersionFromIfMatch(parsed, { id }))).toBeInstanceOf(InvalidIfMatchError);
    expect(ifMatchMatches(parsed, draft)).toBe(false);
  });

  it("refuses a value longer than IF_MATCH_MAX_LENGTH without scanning it", () => {
    expect(parseIfMatch(`"${"a".repeat(IF_MATCH_MAX_LENGTH)}"`).kind).toBe("invalid");
    expect(notModified(`${tag(3)}${" ".repeat(IF_MATCH_MAX_LENGTH)}`, draft)).toBe(false);
  });

  it("takes linear time on runs of whitespace (the old trim regex backtracked quadratically)", () => {
    // 200 000 spaces between two characters took tens of seconds with /[ \t]+$/.
    const started = performance.now();
    for (const header of [`a${" ".repeat(200_000)}a`, `${tag(3)}${" \t".repeat(IF_MATCH_MAX_LENGTH / 4)}x`]) {
      expect(parseIfMatch(header).kind).toBe("invalid");
    }
    expect(parseIfMatch(`${" ".repeat(8000)}*${"\t".repeat(8000)}`)).toEqual({ kind: "any" });
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it("parseETag refuses tags longer than any it makes, and round-trips the longest id", () => {
    expect(parseETag(`"${"A".repeat(100_000)}.1"`)).toBeNull();
    const longest = "\u{10FFFF}".repeat(64);
    const lone = "\uD800".repeat(128);
    for (const longId of [longest, lone, "\u4e2d".repeat(128)]) {
      expect(parseETag(formatETag({ id: longId, version: Number.MAX_SAFE_INTEGER }))).toEqual({
        id: longId,
        version: Number.MAX_SAFE_INTEGER,
      });
    }
    expect(() => formatETag({ id: "x".repeat(129), version: 1 })).toThrow(TypeError);
  });
});

describe("whitespace, weak and quoted forms", () => {
  it.each([
    ["a no-break space", `\u00a0${tag(3)}`],
    ["an obs-fold (CRLF + space)", `${tag(1)},\r\n ${tag(3)}`],
    ["a line feed", `${tag(3)}\n`],
    ["a vertical tab", `\v${tag(3)}`],
    ["an unquoted tag of this draft", tag(3).slice(1, -1)],
    ["an unquoted weak tag", `W/${tag(3).slice(1, -1)}`],
    ["a doubled weak prefix", `W/W/${tag(3)}`],
    ["a single-quoted tag", `'${tag(3).slice(1, -1)}'`],
  ])("refuses %s as invalid (400)", (_label, header) => {
    const error = thrown(() => expectedVersionFromIfMatch(header, { id }));
    expect(error).toBeInstanceOf(InvalidIfMatchError);
    expect(toProblem(error).status).toBe(400);
    expect(notModified(header, draft)).toBe(false);
  });

  it("accepts spaces and tabs (OWS) around tags and commas", () => {
    expect(expectedVersionFromIfMatch(` \t${tag(3)} \t, \t`, { id })).toEqual({
      expectedVersion: 3,
      ifMatchUsed: true,
    });
  });

  it("never uses a weak tag for a write but lets it match a conditional GET", () => {
    expect(thrown(() => expectedVersionFromIfMatch(`W/${tag(3)}`, draft))).toBeInstanceOf(PreconditionFailedError);
    expect(notModified(`W/${tag(3)}`, draft)).toBe(true);
  });
});

describe("toProblem never throws for errors built by hand", () => {
  it("omits currentETag when a PreconditionFailedError has no usable version", () => {
    for (const version of [0, -1, 1.5, Number.NaN]) {
      const problem = toProblem(new PreconditionFailedError(id, version, "empty"));
      expect(problem).toMatchObject({ status: 412, code: "precondition_failed" });
      expect(problem).not.toHaveProperty("currentETag");
    }
    expect(toProblem(new PreconditionFailedError("", 2, "weak_only")).status).toBe(412);
  });

  it("answers 500 for a VersionConflictError without a taggable draft", () => {
    const forged = new VersionConflictError(1, { id: "", version: 0 } as unknown as OnboardingDraft);
    expect(problemResponse(forged, { ifMatchUsed: true })).toMatchObject({
      status: 500,
      problem: { code: "internal_error" },
    });
  });
});

describe("bad draft arguments are programming errors (TypeError), not header errors", () => {
  it("checks the draft before the header", () => {
    expect(() => expectedVersionFromIfMatch(tag(3), { id: "" })).toThrow(TypeError);
    expect(() => expectedVersionFromIfMatch(tag(3), { id, version: 0 })).toThrow(TypeError);
    expect(() => notModified(tag(3), { id, version: Number.NaN })).toThrow(TypeError);
    expect(() => ifMatchMatches(tag(3), null as unknown as typeof draft)).toThrow(TypeError);
  });
});

describe("property: arbitrary values at every header helper", () => {
  const tags = fc.constantFrom(tag(1), tag(3), tag(4), tag(3, "other"), '"foreign"', '""', "*");
  const tokens = fc.oneof(
    tags,
    tags.map((value) => `W/${value}`),
    fc.constantFrom(",", " ", "\t", '"', "W/", "w/", "\r\n", "\u00a0", "\u0000", "\uD800", "*"),
    fc.string({ maxLength: 4 }),
  );
  const headerLike = fc.array(tokens, { maxLength: 40 }).map((parts) => parts.join(""));
  const parsedLike = fc.record(
    {
      kind: fc.constantFrom("absent", "any", "tags", "invalid", "other"),
      tags: fc.oneof(
        fc.anything(),
        fc.array(fc.record({ weak: fc.anything(), opaque: fc.oneof(tags, fc.anything()) })),
      ),
      reason: fc.anything(),
    },
    { requiredKeys: ["kind"] },
  );
  const header = fc.oneof(
    headerLike,
    fc.string(),
    fc.string({ unit: "binary" }),
    fc.array(fc.oneof(headerLike, fc.string()), { maxLength: 5 }),
    fc.array(fc.anything(), { maxLength: 3 }),
    fc.anything(),
    parsedLike,
  );
  const subject = fc.record({
    id: fc.constantFrom(id, "other", 'a "quoted", id'),
    version: fc.integer({ min: 1, max: 5 }),
  });

  it("returns or throws a typed 4xx error, for every helper", () => {
    fc.assert(
      fc.property(
        header,
        subject,
        fc.boolean(),
        fc.constantFrom("require", "allow-current"),
        (value, target, knowVersion, onMissing) => {
          const parsed = parseIfMatch(value as string);
          expect(["absent", "any", "tags", "invalid"]).toContain(parsed.kind);
          const reread = parseETag(value as string);
          if (reread !== null) expect(parseETag(formatETag(reread))).toEqual(reread);
          expect(typeof ifMatchMatches(value as string, target)).toBe("boolean");
          expect(typeof notModified(value as string, target)).toBe("boolean");
          const known = knowVersion ? target : { id: target.id };
          expectReturnsOrTyped4xx(() => expectedVersionFromIfMatch(value as string, known, { onMissing }));
          expectReturnsOrTyped4xx(() => expectedVersionFromIfMatch(parsed, known, { onMissing }));
        },
      ),
      { numRuns: 500 },
    );
  });
});
