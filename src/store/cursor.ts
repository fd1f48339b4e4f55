/**
 * Keyset cursors for {@link DraftStore.list}: an opaque, URL-safe encoding of the last
 * (`createdAt`, `id`) of a page.
 */
import { ValidationError } from "../record/index.js";

/** The position a cursor encodes. */
export interface CursorPosition {
  /** The `createdAt` of the last draft of the previous page. */
  readonly createdAt: string;
  /** The `id` of the last draft of the previous page. */
  readonly id: string;
}

// base64url over UTF-8 with web APIs only (btoa/atob, TextEncoder/TextDecoder), so the engine's
// list paging also runs in a browser, where there is no Buffer.
const BASE64URL = /^[A-Za-z0-9_-]*$/;

/** @internal base64url of the UTF-8 bytes of `text` (no padding). */
export function toBase64Url(text: string): string {
  let binary = "";
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** @internal The text {@link toBase64Url} encoded; throws on anything else. */
export function fromBase64Url(encoded: string): string {
  if (!BASE64URL.test(encoded)) throw new Error("not base64url");
  const binary = atob(encoded.replace(/-/g, "+").replace(/_/g, "/"));
  const bytes = Uint8Array.from(binary, (char) => char.charCodeAt(0));
  return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
}

/** Encodes a list position as an opaque cursor string. */
export function encodeCursor(position: CursorPosition): string {
  return toBase64Url(JSON.stringify([position.createdAt, position.id]));
}

/** Decodes a cursor made by {@link encodeCursor}; `null` for a malformed one. */
export function decodeCursor(cursor: string): CursorPosition | null {
  try {
    const value: unknown = JSON.parse(fromBase64Url(cursor));
    if (Array.isArray(value) && value.length === 2 && typeof value[0] === "string" && typeof value[1] === "string") {
      return { createdAt: value[0], id: value[1] };
    }
    return null;
  } catch {
    return null;
  }
}

/**
 * The position a `ListOptions.cursor` names, for an adapter's `list`: `null` for the first page
 * (no cursor). The engine has already checked `limit`, `state` and that a cursor is a string;
 * what only the store can check is that the cursor is one of its own, so a malformed one is a
 * `ValidationError` here (the same one for every adapter).
 *
 * @throws {@link ValidationError} (`options`, path `cursor`) for a cursor {@link decodeCursor} refuses.
 *
 * @example (internal helper, not exported from the package root, so not type-checked)
 * ```text
 * listCursor(undefined); // null: the first page
 * listCursor(encodeCursor({ createdAt: "2026-01-01T00:00:00.000Z", id: "d-1" })); // { createdAt, id }
 * ```
 */
export function listCursor(cursor: string | null | undefined): CursorPosition | null {
  if (cursor === undefined || cursor === null) return null;
  const position = typeof cursor === "string" ? decodeCursor(cursor) : null;
  if (position === null) {
    throw new ValidationError("options", [{ code: "invalid_cursor", path: ["cursor"], message: "malformed cursor" }]);
  }
  return position;
}
