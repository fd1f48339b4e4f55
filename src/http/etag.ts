/**
 * Entity tags of drafts, the `If-Match` precondition (RFC 9110 §8.8.3 and §13.1.1) and the
 * `If-None-Match` check of conditional `GET`s (§13.1.2).
 *
 * A draft's ETag is a strong tag built from its id and version, `"<base64url(id)>.<version>"`:
 * the id is base64url-encoded (UTF-8) so any id, including quotes, commas, spaces or non-ASCII
 * text, is safe inside the quotes, and the version changes on every committed mutation, so
 * (id, version) identifies one representation exactly. An id that is not well-formed UTF-16
 * (a lone surrogate) cannot round-trip through UTF-8; it is encoded from its UTF-16 code units
 * instead, marked with a leading `~`. Only web-platform globals are used (`btoa`, `atob`,
 * `TextEncoder`, `TextDecoder`), so this runs on Node, Deno, Bun and edge runtimes.
 */
import { PreconditionFailedError, PreconditionRequiredError, InvalidIfMatchError } from "./errors.js";

/**
 * The part of a draft an ETag is made of.
 *
 * @example
 * ```ts
 * const subject: ETagSubject = { id: draft.id, version: draft.version };
 * formatETag(subject);
 * ```
 */
export interface ETagSubject {
  /** The draft's id. */
  readonly id: string;
  /** The draft's version (integer >= 1). */
  readonly version: number;
}

/**
 * One entity tag as written in a header: weak or strong, and its opaque part with the quotes.
 *
 * @example
 * ```ts
 * const parsed = parseIfMatch(request.headers.get("if-match"));
 * const strong = parsed.kind === "tags" ? parsed.tags.filter((tag: EntityTag) => !tag.weak) : [];
 * ```
 */
export interface EntityTag {
  /** `true` for a `W/"..."` tag. Weak tags never match `If-Match` (strong comparison). */
  readonly weak: boolean;
  /** The opaque tag including its double quotes, e.g. `"ZDE.3"`. */
  readonly opaque: string;
}

/**
 * What an `If-Match` header said, before it is compared with a draft.
 *
 * @example
 * ```ts
 * function check(request: Request): string | null {
 *   const parsed: IfMatch = parseIfMatch(request.headers.get("if-match"));
 *   return parsed.kind === "invalid" ? parsed.reason : null;
 * }
 * ```
 */
export type IfMatch =
  /** No `If-Match` header (or `undefined` / `null`). */
  | {
      /** The header is missing. */
      readonly kind: "absent";
    }
  /** `If-Match: *`: any current representation. */
  | {
      /** The header is `*`. */
      readonly kind: "any";
    }
  /** A list of entity tags (possibly empty: an empty header value matches nothing). */
  | {
      /** The header lists entity tags. */
      readonly kind: "tags";
      /** The tags in header order, weak ones included (they never match); empty for an empty header value. */
      readonly tags: readonly EntityTag[];
    }
  /** Not valid `If-Match` syntax; `reason` says why. */
  | {
      /** The header is not valid `If-Match` syntax. */
      readonly kind: "invalid";
      /** A human-readable explanation, e.g. `unterminated entity tag` or `"*" cannot be combined with entity tags`. */
      readonly reason: string;
    };

/**
 * What to do when a mutation arrives without `If-Match`.
 *
 * @example
 * ```ts
 * const onMissing: OnMissingIfMatch = request.headers.has("x-internal-client") ? "allow-current" : "require";
 * ```
 */
export type OnMissingIfMatch = "require" | "allow-current";

/**
 * Options of {@link expectedVersionFromIfMatch}.
 *
 * @example
 * ```ts
 * expectedVersionFromIfMatch(request.headers.get("if-match"), { id }, { onMissing: "allow-current" } satisfies IfMatchOptions);
 * ```
 */
export interface IfMatchOptions {
  /**
   * A mutation without `If-Match`: `"require"` (default) throws {@link PreconditionRequiredError}
   * (428); `"allow-current"` writes against the current version (last writer wins: only for
   * trusted clients that cannot send `If-Match`).
   */
  readonly onMissing?: OnMissingIfMatch;
}

/**
 * The version check an `If-Match` header asks for.
 *
 * @example
 * ```ts
 * const { expectedVersion, ifMatchUsed }: Precondition = expectedVersionFromIfMatch(request.headers.get("if-match"), { id });
 * ```
 */
export interface Precondition {
  /**
   * The version to pass as `expectedVersion`, or `null` for "the current version" (`If-Match: *`
   * or a missing header with `onMissing: "allow-current"`, when the current version was not
   * given): read the draft and use its version.
   */
  readonly expectedVersion: number | null;
  /**
   * `true` when the version came from an `If-Match` entity tag: a `VersionConflictError` is then
   * a failed precondition (412); otherwise it is a plain conflict (409).
   */
  readonly ifMatchUsed: boolean;
}

/**
 * The most entity tags {@link parseIfMatch} reads from one `If-Match` / `If-None-Match` value
 * (all header lines together). A longer list is refused as invalid (400 `invalid_if_match` from
 * {@link expectedVersionFromIfMatch}, no match for {@link notModified}): a client sends one tag,
 * and the cap bounds the work a request can cause.
 *
 * @example
 * ```ts
 * import { IF_MATCH_MAX_TAGS, parseIfMatch } from "onboarding-lifecycle/http";
 *
 * parseIfMatch(Array.from({ length: IF_MATCH_MAX_TAGS + 1 }, () => '"x"').join(", ")).kind; // "invalid"
 * ```
 */
export const IF_MATCH_MAX_TAGS = 32;

/**
 * The longest `If-Match` / `If-None-Match` value {@link parseIfMatch} reads, in UTF-16 code units
 * (all header lines together, counting `", "` between lines): 16 KiB, Node's default limit for
 * all request headers. A longer value is refused as invalid without being scanned.
 *
 * @example
 * ```ts
 * import { IF_MATCH_MAX_LENGTH, parseIfMatch } from "onboarding-lifecycle/http";
 *
 * parseIfMatch(`"${"a".repeat(IF_MATCH_MAX_LENGTH)}"`).kind; // "invalid"
 * ```
 */
export const IF_MATCH_MAX_LENGTH = 16_384;

/** Draft ids have 1 to 128 UTF-16 code units (`IdSchema`). */
const MAX_ID_LENGTH = 128;
/** The longest tag {@link formatETag} makes: quotes, `~`, base64url of 384 bytes, `.`, 16 digits. */
const MAX_ETAG_LENGTH = 2 + 1 + 512 + 1 + 16;

const TAG_PATTERN = /^"(~?)([A-Za-z0-9_-]+)\.([1-9][0-9]{0,15})"$/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function toBase64Url(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromBase64Url(text: string): Uint8Array | null {
  if (text.length % 4 === 1) return null;
  try {
    const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (text.length % 4)) % 4));
    return Uint8Array.from(binary, (char) => char.charCodeAt(0));
  } catch {
    return null;
  }
}

/** `~` + UTF-16LE code units for ids with lone surrogates, else the UTF-8 bytes. */
function encodeId(id: string): string {
  if (!LONE_SURROGATE.test(id)) return toBase64Url(new TextEncoder().encode(id));
  const bytes = new Uint8Array(id.length * 2);
  for (let index = 0; index < id.length; index += 1) {
    const unit = id.charCodeAt(index);
    bytes[index * 2] = unit & 0xff;
    bytes[index * 2 + 1] = unit >> 8;
  }
  return `~${toBase64Url(bytes)}`;
}

function decodeId(marker: string, encoded: string): string | null {
  const bytes = fromBase64Url(encoded);
  if (bytes === null || bytes.length === 0) return null;
  if (marker === "") {
    try {
      return new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
    } catch {
      return null;
    }
  }
  if (bytes.length % 2 !== 0) return null;
  let id = "";
  for (let index = 0; index < bytes.length; index += 2) {
    id += String.fromCharCode((bytes[index] as number) | ((bytes[index + 1] as number) << 8));
  }
  return id;
}

/**
 * The strong ETag of a draft (with its double quotes), for the `ETag` response header.
 *
 * @throws TypeError when `version` is not a positive safe integer or `id` is not a string of 1 to
 * 128 UTF-16 code units (a draft id): a programming error, not bad input from a client.
 *
 * @example
 * ```ts
 * import { formatETag } from "onboarding-lifecycle/http";
 *
 * response.headers.set("etag", formatETag(draft)); // "ZHJhZnQtMQ.3"
 * ```
 */
export function formatETag(subject: ETagSubject): string {
  assertSubject(subject, "an ETag");
  return `"${encodeId(subject.id)}.${subject.version}"`;
}

function assertSubject(subject: unknown, what: string, versionOptional = false): void {
  if (typeof subject !== "object" || subject === null) throw new TypeError(`${what} needs a draft ({ id, version })`);
  const { id, version } = subject as { id?: unknown; version?: unknown };
  if (typeof id !== "string" || id.length === 0 || id.length > MAX_ID_LENGTH) {
    throw new TypeError(`${what} needs a draft id of 1 to ${MAX_ID_LENGTH} characters`);
  }
  if (versionOptional && version === undefined) return;
  if (typeof version !== "number" || !Number.isSafeInteger(version) || version < 1) {
    throw new TypeError(`${what} needs a positive integer version, got ${String(version)}`);
  }
}

/**
 * Reads a draft ETag made by {@link formatETag} back into its id and version. Accepts the tag
 * with or without its quotes; returns `null` for a weak tag or anything that is not a draft ETag
 * (including a non-string value and anything longer than the longest tag `formatETag` makes).
 * Never throws.
 *
 * @example
 * ```ts
 * import { formatETag, parseETag } from "onboarding-lifecycle/http";
 *
 * parseETag(formatETag({ id: 'a "quoted", id', version: 7 })); // { id: 'a "quoted", id', version: 7 }
 * parseETag('W/"ZDE.1"'); // null (weak)
 * ```
 */
export function parseETag(tag: string): ETagSubject | null {
  if (typeof tag !== "string" || tag.length > MAX_ETAG_LENGTH + 64) return null;
  const trimmed = tag.trim();
  const quoted = trimmed.startsWith('"') ? trimmed : `"${trimmed}"`;
  const match = TAG_PATTERN.exec(quoted);
  if (match === null) return null;
  const marker = match[1] as string;
  const encoded = match[2] as string;
  const version = Number(match[3]);
  if (!Number.isSafeInteger(version)) return null;
  const id = decodeId(marker, encoded);
  // Only the canonical encoding is ours: one id, one tag (no padding-bit or marker variants).
  if (id === null || id.length === 0 || encodeId(id) !== marker + encoded) return null;
  return { id, version };
}

function isEtagc(code: number): boolean {
  // etagc = %x21 / %x23-7E / obs-text (%x80-FF); anything above is not a header octet but
  // may reach us through a decoded string: treat it as obs-text.
  return code === 0x21 || (code >= 0x23 && code <= 0x7e) || code >= 0x80;
}

/** Strips optional whitespace (RFC 9110 OWS: spaces and tabs only) without a regex (no backtracking). */
function trimOws(value: string): string {
  let start = 0;
  let end = value.length;
  while (start < end && (value[start] === " " || value[start] === "\t")) start += 1;
  while (end > start && (value[end - 1] === " " || value[end - 1] === "\t")) end -= 1;
  return value.slice(start, end);
}

/** One field value from a header as frameworks give it (a string, or one string per header line). */
function fieldValue(header: unknown): string | { readonly invalid: string } {
  if (typeof header === "string") {
    return header.length > IF_MATCH_MAX_LENGTH ? { invalid: `longer than ${IF_MATCH_MAX_LENGTH} characters` } : header;
  }
  if (!Array.isArray(header)) return { invalid: "not a string" };
  let length = 0;
  for (let index = 0; index < header.length; index += 1) {
    const line: unknown = header[index];
    if (typeof line !== "string") return { invalid: "header lines must be strings" };
    length += line.length + (index === 0 ? 0 : 2);
    // Checked per line so a huge array is refused before it is joined.
    if (length > IF_MATCH_MAX_LENGTH) return { invalid: `longer than ${IF_MATCH_MAX_LENGTH} characters` };
  }
  return header.join(", ");
}

/**
 * Parses an `If-Match` field value (RFC 9110: `"*"` or a comma-separated list of entity tags,
 * empty list elements allowed). Several header lines may be passed as an array (they are one
 * list, as Node's `headersDistinct` gives them). Never throws: bad syntax, a value that is not a
 * string (or an array of strings), more than {@link IF_MATCH_MAX_TAGS} tags or more than
 * {@link IF_MATCH_MAX_LENGTH} characters give `{ kind: "invalid" }`. Only spaces and tabs are
 * whitespace (OWS); `W/` is case-sensitive and must touch the quote.
 *
 * @example
 * ```ts
 * import { parseIfMatch } from "onboarding-lifecycle/http";
 *
 * parseIfMatch('"ZDE.3", W/"ZDE.2"'); // { kind: "tags", tags: [{ weak: false, opaque: '"ZDE.3"' }, { weak: true, opaque: '"ZDE.2"' }] }
 * parseIfMatch("*"); // { kind: "any" }
 * parseIfMatch(undefined); // { kind: "absent" }
 * ```
 */
export function parseIfMatch(header: string | readonly string[] | null | undefined): IfMatch {
  if (header === undefined || header === null) return { kind: "absent" };
  const value = fieldValue(header);
  if (typeof value !== "string") return { kind: "invalid", reason: value.invalid };
  if (trimOws(value) === "*") return { kind: "any" };
  const tags: EntityTag[] = [];
  let i = 0;
  const skipOws = (): void => {
    while (i < value.length && (value[i] === " " || value[i] === "\t")) i += 1;
  };
  while (i < value.length) {
    skipOws();
    if (i >= value.length) break;
    if (value[i] === ",") {
      i += 1; // empty list element
      continue;
    }
    let weak = false;
    if (value.startsWith("W/", i)) {
      weak = true;
      i += 2;
    }
    if (value[i] !== '"') {
      return {
        kind: "invalid",
        reason:
          value[i] === "*" ? '"*" cannot be combined with entity tags' : `expected an entity tag at position ${i}`,
      };
    }
    const start = i;
    i += 1;
    while (i < value.length && value[i] !== '"') {
      if (!isEtagc(value.charCodeAt(i)))
        return { kind: "invalid", reason: `invalid character in entity tag at position ${i}` };
      i += 1;
    }
    if (i >= value.length) return { kind: "invalid", reason: "unterminated entity tag" };
    i += 1; // closing quote
    if (tags.length === IF_MATCH_MAX_TAGS)
      return { kind: "invalid", reason: `more than ${IF_MATCH_MAX_TAGS} entity tags` };
    tags.push({ weak, opaque: value.slice(start, i) });
    skipOws();
    if (i < value.length) {
      if (value[i] !== ",") return { kind: "invalid", reason: `expected "," at position ${i}` };
      i += 1;
    }
  }
  return { kind: "tags", tags };
}

/**
 * Whether an `If-Match` header matches a draft under RFC 9110's strong comparison: `*` matches
 * any draft, a strong tag matches when it is exactly the draft's ETag, a weak tag never matches.
 * `false` for an absent or invalid header (including a value that is not a string).
 *
 * @throws TypeError when `draft` is not a valid {@link ETagSubject} (see {@link formatETag}).
 *
 * @example
 * ```ts
 * import { ifMatchMatches } from "onboarding-lifecycle/http";
 *
 * function precondition(request: Request, draft: OnboardingDraft): Response | null {
 *   return ifMatchMatches(request.headers.get("if-match"), draft) ? null : new Response(null, { status: 412 });
 * }
 * ```
 */
export function ifMatchMatches(
  header: string | readonly string[] | IfMatch | null | undefined,
  draft: ETagSubject,
): boolean {
  assertSubject(draft, "ifMatchMatches");
  const parsed = toIfMatch(header);
  if (parsed.kind === "any") return true;
  if (parsed.kind !== "tags") return false;
  const etag = formatETag(draft);
  return parsed.tags.some((tag) => !tag.weak && tag.opaque === etag);
}

/**
 * Whether a conditional `GET` may be answered with **304 Not Modified**: evaluates an
 * `If-None-Match` header against a draft under RFC 9110's **weak** comparison (§13.1.2), so
 * `W/"x"` matches `"x"` (a proxy that weakened the tag does not defeat caching). `*` matches any
 * existing draft; a comma-separated list (or several header lines, as an array) matches when any
 * of its tags does. An absent, empty or malformed header, tags of other drafts and tags of other
 * versions of this draft never match: the caller then sends the full `200`.
 *
 * Call it after the draft was read (and authorized), and answer a match with `304`, the draft's
 * `ETag` header and no body. Never throws for any header value (see {@link parseIfMatch} for
 * what is invalid).
 *
 * @throws TypeError when `draft` is not a valid {@link ETagSubject} (see {@link formatETag}).
 *
 * @example
 * ```ts
 * import { formatETag, notModified } from "onboarding-lifecycle/http";
 *
 * async function getDraft(request: Request): Promise<Response> {
 *   const current = await engine.get(ws, draftId, { actor });
 *   const etag = formatETag(current);
 *   if (notModified(request.headers.get("if-none-match"), current)) {
 *     return new Response(null, { status: 304, headers: { etag } });
 *   }
 *   return new Response(JSON.stringify(current), { headers: { "content-type": "application/json", etag } });
 * }
 * ```
 */
export function notModified(ifNoneMatch: string | readonly string[] | null | undefined, draft: ETagSubject): boolean {
  assertSubject(draft, "notModified");
  // If-None-Match has the same grammar as If-Match: "*" / #entity-tag.
  const parsed = parseIfMatch(ifNoneMatch);
  if (parsed.kind === "any") return true;
  if (parsed.kind !== "tags") return false;
  const etag = formatETag(draft);
  return parsed.tags.some((tag) => tag.opaque === etag);
}

/** A header value, or an `IfMatch` the caller parsed already (checked: it may come from anywhere). */
function toIfMatch(header: unknown): IfMatch {
  if (header === null || typeof header !== "object" || Array.isArray(header)) {
    return parseIfMatch(header as string | readonly string[] | null | undefined);
  }
  const given = header as { kind?: unknown; tags?: unknown; reason?: unknown };
  switch (given.kind) {
    case "absent":
      return { kind: "absent" };
    case "any":
      return { kind: "any" };
    case "invalid":
      return { kind: "invalid", reason: typeof given.reason === "string" ? given.reason : "invalid" };
    case "tags": {
      const tags = given.tags;
      if (!Array.isArray(tags)) break;
      if (tags.length > IF_MATCH_MAX_TAGS)
        return { kind: "invalid", reason: `more than ${IF_MATCH_MAX_TAGS} entity tags` };
      const checked: EntityTag[] = [];
      for (const tag of tags as unknown[]) {
        const { weak, opaque } = (typeof tag === "object" && tag !== null ? tag : {}) as {
          weak?: unknown;
          opaque?: unknown;
        };
        if (typeof weak !== "boolean" || typeof opaque !== "string")
          return { kind: "invalid", reason: "not a parsed If-Match value" };
        checked.push({ weak, opaque });
      }
      return { kind: "tags", tags: checked };
    }
  }
  return { kind: "invalid", reason: "not a string" };
}

/**
 * Turns the `If-Match` header of a mutation into the `expectedVersion` for the engine.
 *
 * Rules (see docs/http.md):
 * - strong tags of this draft give their version; tags of other drafts, foreign tags and weak
 *   tags (`W/`, never equal under strong comparison) are ignored; when several versions of this
 *   draft are listed, the one equal to `draft.version` is used if it is given, else the newest;
 * - no usable tag at all (including an empty header value) throws {@link PreconditionFailedError} (412);
 * - `*` means "whatever is current": `draft.version` if given, else `null` (read it first);
 * - a missing header throws {@link PreconditionRequiredError} (428) unless
 *   `onMissing: "allow-current"`, which behaves like `*`;
 * - bad syntax, a value that is not a string (or an array of strings, one per header line), more
 *   than {@link IF_MATCH_MAX_TAGS} tags or more than {@link IF_MATCH_MAX_LENGTH} characters throw
 *   {@link InvalidIfMatchError} (400).
 *
 * Every failure caused by the header is one of those three errors (4xx through {@link toProblem});
 * only a bad `draft` argument (a programming error) throws a `TypeError`.
 *
 * The engine still compares the version atomically when it commits: a stale tag becomes a
 * `VersionConflictError`, which {@link toProblem} maps to 412 when `ifMatchUsed` is true.
 *
 * @example
 * ```ts
 * import { expectedVersionFromIfMatch, problemResponse } from "onboarding-lifecycle/http";
 *
 * const pre = expectedVersionFromIfMatch(req.headers["if-match"], { id: draftId });
 * const expectedVersion = pre.expectedVersion ?? (await engine.get(ws, draftId, { actor })).version;
 * try {
 *   await engine.execute(ws, draftId, command, { actor, expectedVersion });
 * } catch (error) {
 *   const { status, headers, body } = problemResponse(error, { ifMatchUsed: pre.ifMatchUsed });
 * }
 * ```
 */
export function expectedVersionFromIfMatch(
  header: string | readonly string[] | IfMatch | null | undefined,
  draft: { readonly id: string; readonly version?: number },
  options: IfMatchOptions = {},
): Precondition {
  assertSubject(draft, "expectedVersionFromIfMatch", true);
  const parsed = toIfMatch(header);
  const onMissing = options.onMissing ?? "require";
  const current = draft.version ?? null;
  switch (parsed.kind) {
    case "invalid":
      throw new InvalidIfMatchError(parsed.reason);
    case "absent":
      if (onMissing === "allow-current") return { expectedVersion: current, ifMatchUsed: false };
      throw new PreconditionRequiredError(draft.id);
    case "any":
      return { expectedVersion: current, ifMatchUsed: false };
    case "tags": {
      const versions = new Set<number>();
      let weakOnly = parsed.tags.length > 0;
      for (const tag of parsed.tags) {
        if (tag.weak) continue;
        weakOnly = false;
        const subject = parseETag(tag.opaque);
        if (subject !== null && subject.id === draft.id) versions.add(subject.version);
      }
      if (versions.size === 0) {
        throw new PreconditionFailedError(
          draft.id,
          current,
          parsed.tags.length === 0 ? "empty" : weakOnly ? "weak_only" : "no_matching_tag",
        );
      }
      if (current !== null && versions.has(current)) return { expectedVersion: current, ifMatchUsed: true };
      // A loop, not Math.max(...versions): spreading a long list overflows the call stack.
      let newest = 0;
      for (const version of versions) if (version > newest) newest = version;
      return { expectedVersion: newest, ifMatchUsed: true };
    }
  }
}
