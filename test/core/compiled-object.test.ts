/**
 * `compiledObject` (zod core's JIT object parser behind the zod/mini API) must behave exactly like
 * zod/mini's `z.object`: same verdict, same output, same issues, for any input. The record and
 * command schemas are built on it, so this is what keeps their validation unchanged.
 */
import { describe, expect, it } from "vitest";
import { fc, test } from "@fast-check/vitest";
import * as z from "zod/mini";
import { OnboardingDraftSchema, compiledObject } from "../../src/record/index.js";

const shape = () => ({
  id: z.string().check(z.minLength(1), z.maxLength(8)),
  count: z.int().check(z.gte(1)),
  kind: z.enum(["a", "b"]),
  note: z.optional(z.string()),
  when: z.nullable(z.iso.datetime({ offset: true })),
  tags: z.array(z.string().check(z.minLength(1))),
});

const nested = (object: typeof z.object) =>
  object({
    ...shape(),
    inner: z.nullable(object({ flag: z.boolean(), label: z.optional(z.string()) })),
  });

const reference = nested(z.object);
const compiled = nested(compiledObject as unknown as typeof z.object);

/** Inputs near the shape (so both valid and subtly invalid objects come up) and anything at all. */
const inputArbitrary = fc.oneof(
  fc.record(
    {
      id: fc.oneof(fc.string({ maxLength: 10 }), fc.integer()),
      count: fc.oneof(fc.integer({ min: -2, max: 3 }), fc.double(), fc.constant("1")),
      kind: fc.constantFrom("a", "b", "c", undefined),
      note: fc.oneof(fc.string(), fc.constant(undefined), fc.constant(null)),
      when: fc.oneof(fc.constant(null), fc.constant("2026-01-01T00:00:00Z"), fc.string()),
      tags: fc.oneof(fc.array(fc.string({ maxLength: 2 }), { maxLength: 3 }), fc.constant("x")),
      inner: fc.oneof(
        fc.constant(null),
        fc.record({ flag: fc.oneof(fc.boolean(), fc.constant(0)), label: fc.string() }, { requiredKeys: ["flag"] }),
      ),
      extra: fc.anything(),
    },
    { requiredKeys: [] },
  ),
  fc.anything(),
);

const issuesOf = (result: { success: boolean; error?: { issues: readonly unknown[] } }) =>
  result.success ? [] : result.error!.issues;

describe("compiledObject", () => {
  test.prop([inputArbitrary], { numRuns: 500 })("agrees with z.object on verdict, output and issues", (input) => {
    const expected = reference.safeParse(input);
    const actual = compiled.safeParse(input);
    expect(actual.success).toBe(expected.success);
    if (expected.success && actual.success) expect(actual.data).toEqual(expected.data);
    expect(issuesOf(actual)).toEqual(issuesOf(expected));
  });

  it("keeps the zod/mini API: shape, check, and use inside unions", () => {
    const point = compiledObject({ x: z.number(), y: z.number() });
    expect(Object.keys(point.shape)).toEqual(["x", "y"]);
    expect(point.parse({ x: 1, y: 2, z: 3 })).toEqual({ x: 1, y: 2 });
    const positive = point.check(z.refine((p) => p.x > 0, "x must be positive"));
    expect(positive.safeParse({ x: -1, y: 0 }).success).toBe(false);
    const union = z.discriminatedUnion("type", [
      compiledObject({ type: z.literal("a"), a: z.string() }),
      compiledObject({ type: z.literal("b"), b: z.number() }),
    ]);
    expect(union.parse({ type: "b", b: 2 })).toEqual({ type: "b", b: 2 });
    expect(union.safeParse({ type: "b", b: "2" }).success).toBe(false);
  });

  it("the draft schema is one", () => {
    expect(OnboardingDraftSchema._zod.def.type).toBe("object");
    expect(Object.keys(OnboardingDraftSchema.shape)).toContain("lifecycle");
  });
});
