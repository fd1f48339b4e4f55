import type * as z from "zod/mini";
import { ZodMiniType, never } from "zod/mini";
// Named imports from zod core (never the `z.core` namespace, which would bundle all of core
// and every locale).
import { $ZodObjectJIT, $constructor } from "zod/v4/core";

/**
 * zod/mini's `z.object` parses field by field through a generic loop; classic zod compiles each
 * object schema into a straight-line parser on first use (its "JIT fast path", skipped
 * automatically where `eval` is not allowed, such as under a strict Content-Security-Policy).
 * The draft is parsed on every read, so the record schemas use this constructor: a zod/mini
 * object schema (same API, same types, same issues) built on zod core's `$ZodObjectJIT`.
 */
const ZodMiniObjectJIT: z.core.$constructor<z.ZodMiniObject> = /* @__PURE__ */ $constructor(
  "ZodMiniObject",
  (inst, def) => {
    $ZodObjectJIT.init(inst, def);
    const base: { init(inst: unknown, def: unknown): void } = ZodMiniType;
    base.init(inst, def);
    // zod/mini's `.shape`: the definition's shape, not enumerable.
    Object.defineProperty(inst, "shape", { get: () => def.shape, enumerable: false, configurable: true });
  },
);

/**
 * Like `z.object(shape)` from zod/mini (unknown keys stripped), compiled to a straight-line
 * parser on first use. Internal: the record and command schemas are built with it, e.g.
 * `compiledObject({ x: z.number(), y: z.number() })`.
 */
// @__NO_SIDE_EFFECTS__
export function compiledObject<const T extends z.core.$ZodLooseShape>(shape: T): z.ZodMiniObject<T, z.core.$strip> {
  return new ZodMiniObjectJIT({ type: "object", shape }) as unknown as z.ZodMiniObject<T, z.core.$strip>;
}

/**
 * Like `z.strictObject(shape)` from zod/mini (an unknown key is an `unrecognized_keys` issue),
 * compiled as {@link compiledObject} is. Internal: command and create-input schemas use it, so a
 * misspelt field is refused instead of silently dropped; stored records keep the tolerant
 * {@link compiledObject}.
 */
// @__NO_SIDE_EFFECTS__
export function compiledStrictObject<const T extends z.core.$ZodLooseShape>(
  shape: T,
): z.ZodMiniObject<T, z.core.$strict> {
  return new ZodMiniObjectJIT({ type: "object", shape, catchall: never() }) as unknown as z.ZodMiniObject<
    T,
    z.core.$strict
  >;
}
