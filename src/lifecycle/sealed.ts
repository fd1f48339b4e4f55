/**
 * The registry of sealed drafts: deep-frozen drafts that passed the zod schema. A sealed draft
 * can never change, so reading it again needs no second validation and a store may keep it
 * without copying it. `parseDraft` and `sealDraft` are the only ways in.
 */
import { SCHEMA_VERSION, type OnboardingDraft } from "../record/index.js";

/**
 * The registry lives on `globalThis` under a `Symbol.for` key (per schema version) so the
 * separately bundled CommonJS entry points share it with each other and with the ESM build.
 */
const SEALED_KEY: unique symbol = Symbol.for(`onboarding-lifecycle.sealed-drafts.v${SCHEMA_VERSION}`) as never;
let sealedValues: WeakSet<object> | undefined;

function sealed(): WeakSet<object> {
  if (sealedValues === undefined) {
    const global = globalThis as { [SEALED_KEY]?: WeakSet<object> };
    sealedValues = global[SEALED_KEY] ??= new WeakSet();
  }
  return sealedValues;
}

/**
 * Registers a frozen draft that passed the schema and the lifecycle check as sealed. Internal to
 * lifecycle/ (not exported by its barrel): anything registered here is trusted without a parse.
 *
 * @internal
 */
export function registerSealed(draft: OnboardingDraft): void {
  sealed().add(draft);
}

/**
 * Freezes a plain JSON value and everything under it (stops at parts already frozen). Internal
 * to lifecycle/.
 *
 * @internal
 */
export function deepFreeze<T extends object>(value: T): T {
  if (Object.isFrozen(value)) return value;
  if (Array.isArray(value)) {
    for (let index = 0; index < value.length; index += 1) {
      const child: unknown = value[index];
      if (typeof child === "object" && child !== null) deepFreeze(child);
    }
  } else {
    const record = value as Record<string, unknown>;
    for (const key in record) {
      const child = record[key];
      if (typeof child === "object" && child !== null) deepFreeze(child);
    }
  }
  return Object.freeze(value);
}

/**
 * Whether a value is a sealed draft: deep-frozen, canonical and already validated by
 * {@link parseDraft} or {@link sealDraft}. Such a value can never change, so reading it again
 * needs no second validation, and a store may keep it without copying it.
 *
 * @example
 * ```ts
 * const draft = await engine.get("ws-1", draftId, { actor });
 * isSealedDraft(draft); // true: engine results are sealed
 * ```
 */
export function isSealedDraft(value: unknown): value is OnboardingDraft {
  return typeof value === "object" && value !== null && sealed().has(value);
}
