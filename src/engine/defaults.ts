import { ConfigurationError } from "../record/errors.js";
import type { Clock, IdGenerator } from "./types.js";

/** The system clock. */
export const defaultClock: Clock = { now: () => Date.now() };

/** The part of the Web Crypto API the default ids use; typed here so no Node or DOM types leak. */
interface WebCrypto {
  randomUUID?: () => string;
  getRandomValues?: (array: Uint8Array) => Uint8Array;
}

/**
 * A random (version 4) UUID from the Web Crypto API, which Node >= 20, Deno, Bun and browsers
 * all expose as `globalThis.crypto`; no `node:crypto` import, so the root entry bundles for
 * the browser. Looked up per call so importing the module has no side effect.
 */
function randomUuid(): string {
  const crypto = (globalThis as { crypto?: WebCrypto }).crypto;
  if (typeof crypto?.randomUUID === "function") return crypto.randomUUID();
  // Browsers hide randomUUID outside secure contexts (plain http://) but keep getRandomValues.
  if (typeof crypto?.getRandomValues === "function") {
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x40; // version 4
    bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80; // RFC 4122 variant
    const hex = Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }
  throw new ConfigurationError(
    "ids",
    "No Web Crypto API (globalThis.crypto) in this runtime to generate ids; pass `ids` to createOnboardingEngine",
  );
}

/** Random UUIDs for every kind of id. */
export const defaultIds: IdGenerator = {
  draftId: () => randomUuid(),
  runId: () => randomUuid(),
  eventId: () => randomUuid(),
};

/** Converts a clock reading to the ISO-8601 UTC string the engine stores. */
export function toIso(value: number | Date): string {
  return (typeof value === "number" ? new Date(value) : value).toISOString();
}
