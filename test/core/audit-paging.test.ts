/**
 * The audit paging helpers of the store port: the one check of a page, the one reading of an
 * integer or composite position, and the array slice the in-process stores use.
 */
import { describe, expect, it } from "vitest";
import { fc, test } from "@fast-check/vitest";
import { ValidationError, auditSequence, readAuditPage, sliceAuditTrail } from "../../src/index.js";
import { auditKeyParts } from "../../src/store/index.js";

describe("readAuditPage", () => {
  it("fills in the whole trail, forward", () => {
    expect(readAuditPage(undefined)).toEqual({ after: null, limit: null, backward: false });
    expect(readAuditPage({})).toEqual({ after: null, limit: null, backward: false });
    expect(readAuditPage({ after: "4", limit: 3, direction: "backward" })).toEqual({
      after: "4",
      limit: 3,
      backward: true,
    });
  });

  it("refuses what no caller should send", () => {
    for (const page of [
      { after: "" },
      { after: 4 },
      { after: "x".repeat(257) },
      { limit: 0 },
      { limit: 2.5 },
      { limit: Infinity },
      { direction: "up" },
      "page",
    ]) {
      expect(() => readAuditPage(page as never), JSON.stringify(page)).toThrow(ValidationError);
    }
  });
});

describe("positions", () => {
  it("auditSequence reads canonical decimal only, so one entry has one position", () => {
    expect(auditSequence("0")).toBe(0);
    expect(auditSequence("9007199254740991")).toBe(Number.MAX_SAFE_INTEGER);
    for (const text of ["", "-1", "01", "1.0", "1e3", " 1", "9007199254740992", "0x10"]) {
      expect(() => auditSequence(text), text).toThrow(ValidationError);
    }
  });

  it("auditKeyParts reads a composite key within its ranges", () => {
    const ranges = [
      [0n, 10n],
      [-(2n ** 63n), 2n ** 63n - 1n],
    ] as const;
    expect(auditKeyParts("3:1764000000000000000", ranges)).toEqual(["3", "1764000000000000000"]);
    expect(auditKeyParts("0:-5", ranges)).toEqual(["0", "-5"]);
    for (const text of ["3", "3:1:2", "11:0", "-1:0", "3:-0", "3:9223372036854775808", "a:b", "3:01"]) {
      expect(() => auditKeyParts(text, ranges), text).toThrow(ValidationError);
    }
  });
});

describe("sliceAuditTrail", () => {
  const trail = ["a", "b", "c", "d", "e"];
  const events = (page: Parameters<typeof sliceAuditTrail>[1]) => sliceAuditTrail(trail, page).map((e) => e.event);

  it("pages an array by index, either way, empty past either end", () => {
    expect(sliceAuditTrail(trail)).toEqual(trail.map((event, index) => ({ event, position: String(index) })));
    expect(events({ limit: 2 })).toEqual(["a", "b"]);
    expect(events({ after: "1", limit: 2 })).toEqual(["c", "d"]);
    expect(events({ after: "3" })).toEqual(["e"]);
    expect(events({ after: "4" })).toEqual([]);
    expect(events({ after: "99" })).toEqual([]);
    expect(events({ direction: "backward", limit: 2 })).toEqual(["e", "d"]);
    expect(events({ direction: "backward", after: "3" })).toEqual(["c", "b", "a"]);
    expect(events({ direction: "backward", after: "0" })).toEqual([]);
  });

  test.prop([fc.nat({ max: 40 }), fc.integer({ min: 1, max: 45 }), fc.boolean()])(
    "walking every page gives the array once, in order",
    (length, limit, backward) => {
      const array = Array.from({ length }, (_, index) => index);
      const seen: unknown[] = [];
      let after: string | undefined;
      for (let pages = 0; pages <= length + 1; pages += 1) {
        const page = sliceAuditTrail(array, {
          limit,
          direction: backward ? "backward" : "forward",
          ...(after === undefined ? {} : { after }),
        });
        expect(page.length).toBeLessThanOrEqual(limit);
        seen.push(...page.map((entry) => entry.event));
        const last = page.at(-1);
        if (last === undefined) break;
        after = last.position;
      }
      expect(seen).toEqual(backward ? [...array].reverse() : array);
    },
  );
});
