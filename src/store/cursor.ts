/**
 * Keyset cursors for {@link DraftStore.list}: an opaque, URL-safe encoding of the last
 * (`createdAt`, `id`) of a page.
 */

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

function toBase64Url(text: string): string {
  let binary = "";
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromBase64Url(encoded: string): string {
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
