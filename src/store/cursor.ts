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

/** Encodes a list position as an opaque cursor string. */
export function encodeCursor(position: CursorPosition): string {
  return Buffer.from(JSON.stringify([position.createdAt, position.id]), "utf8").toString("base64url");
}

/** Decodes a cursor made by {@link encodeCursor}; `null` for a malformed one. */
export function decodeCursor(cursor: string): CursorPosition | null {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
    if (Array.isArray(value) && value.length === 2 && typeof value[0] === "string" && typeof value[1] === "string") {
      return { createdAt: value[0], id: value[1] };
    }
    return null;
  } catch {
    return null;
  }
}
