/**
 * Errors raised by the HTTP helpers themselves (not by the engine): a missing, malformed or
 * unmatchable `If-Match`, and a request body that is not JSON. {@link toProblem} maps them like
 * the engine's errors. They are recognised across copies of the package (ESM and CJS side by
 * side) through a `Symbol.for` brand, like `OnboardingError`.
 */

const BRAND: unique symbol = Symbol.for("onboarding-lifecycle.http-error") as never;

/**
 * The stable codes of {@link HttpRequestError}s.
 *
 * @example
 * ```ts
 * if (isHttpRequestError(error) && error.code === HttpErrorCode.PreconditionRequired) log.warn("send If-Match");
 * ```
 */
export const HttpErrorCode = {
  /** A mutation without `If-Match` (428). */
  PreconditionRequired: "precondition_required",
  /** `If-Match` names no strong tag of this draft (412). */
  PreconditionFailed: "precondition_failed",
  /** `If-Match` is not valid syntax (400). */
  InvalidIfMatch: "invalid_if_match",
  /** The request body is not valid JSON (400). */
  MalformedRequest: "malformed_request",
} as const;

/**
 * One of the values of {@link HttpErrorCode}.
 *
 * @example
 * ```ts
 * import type { HttpErrorCode } from "onboarding-lifecycle/http";
 *
 * const expected: HttpErrorCode = "precondition_required";
 * ```
 */
export type HttpErrorCode = (typeof HttpErrorCode)[keyof typeof HttpErrorCode];

/**
 * Whether a value is an error raised by the HTTP helpers (whichever copy of the package threw it).
 *
 * @example
 * ```ts
 * function toResponse(error: unknown) {
 *   if (isHttpRequestError(error)) return problemResponse(error);
 *   throw error;
 * }
 * ```
 */
export function isHttpRequestError(value: unknown): value is HttpRequestError {
  return (
    typeof value === "object" &&
    value !== null &&
    (value as { [BRAND]?: unknown })[BRAND] === true &&
    typeof (value as { code?: unknown }).code === "string"
  );
}

/**
 * The base class of the HTTP helpers' errors. Match on `code`.
 *
 * @example
 * ```ts
 * try {
 *   parseIfMatch(req.headers["if-match"]);
 * } catch (error) {
 *   if (error instanceof HttpRequestError) log.info({ code: error.code }, error.message);
 *   else throw error;
 * }
 * ```
 */
export class HttpRequestError extends Error {
  /** The error's stable code. */
  readonly code: HttpErrorCode;

  /** @param code the stable code @param message a human-readable description */
  constructor(code: HttpErrorCode, message: string) {
    super(message);
    this.code = code;
    this.name = new.target.name;
    Object.defineProperty(this, BRAND, { value: true, enumerable: false });
  }

  /** Cross-copy `instanceof`: the brand and, for subclasses, the code. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    if (!isHttpRequestError(value)) return false;
    const expected = (this as { readonly errorCode?: HttpErrorCode }).errorCode;
    return expected === undefined || value.code === expected;
  }
}

/**
 * A mutation arrived without `If-Match` while `onMissing` is `"require"` (the default): 428.
 *
 * @example
 * ```ts
 * expectedVersionFromIfMatch(undefined, { id: "d1" }); // throws PreconditionRequiredError
 * ```
 */
export class PreconditionRequiredError extends HttpRequestError {
  /** The code every instance carries. */
  static readonly errorCode = HttpErrorCode.PreconditionRequired;
  declare readonly code: typeof HttpErrorCode.PreconditionRequired;
  /** The draft the mutation was aimed at. */
  readonly draftId: string;

  /** @param draftId the draft the mutation was aimed at */
  constructor(draftId: string) {
    super(
      HttpErrorCode.PreconditionRequired,
      `Send If-Match with the ETag of draft ${draftId} (from its last GET or mutation response)`,
    );
    this.draftId = draftId;
  }
}

/**
 * Why an `If-Match` header could not match before the engine was even asked.
 *
 * @example
 * ```ts
 * if (error instanceof PreconditionFailedError && error.reason === "weak_only") log.warn("weak ETag in If-Match");
 * ```
 */
export type PreconditionFailure = "empty" | "weak_only" | "no_matching_tag";

/**
 * `If-Match` lists no strong entity tag of this draft (an empty list, only weak tags, or tags
 * of other drafts or other servers): it can never match, 412.
 *
 * @example
 * ```ts
 * expectedVersionFromIfMatch('W/"ZDE.1"', { id: "d1" }); // throws PreconditionFailedError ("weak_only")
 * ```
 */
export class PreconditionFailedError extends HttpRequestError {
  /** The code every instance carries. */
  static readonly errorCode = HttpErrorCode.PreconditionFailed;
  declare readonly code: typeof HttpErrorCode.PreconditionFailed;
  /** The draft the mutation was aimed at. */
  readonly draftId: string;
  /** The draft's current version, when the caller knew it (gives the problem a `currentETag`). */
  readonly currentVersion: number | null;
  /** Why nothing could match. */
  readonly reason: PreconditionFailure;

  /** @param draftId the draft @param currentVersion its version if known @param reason why */
  constructor(draftId: string, currentVersion: number | null, reason: PreconditionFailure) {
    super(
      HttpErrorCode.PreconditionFailed,
      reason === "weak_only"
        ? "If-Match uses strong comparison: a weak entity tag (W/) never matches"
        : reason === "empty"
          ? "If-Match is empty: no entity tag can match"
          : `If-Match names no entity tag of draft ${draftId}`,
    );
    this.draftId = draftId;
    this.currentVersion = currentVersion;
    this.reason = reason;
  }
}

/**
 * The `If-Match` header is not valid syntax (RFC 9110: `*` or a list of quoted entity tags): 400.
 *
 * @example
 * ```ts
 * expectedVersionFromIfMatch("abc", { id: "d1" }); // throws InvalidIfMatchError (tags must be quoted)
 * ```
 */
export class InvalidIfMatchError extends HttpRequestError {
  /** The code every instance carries. */
  static readonly errorCode = HttpErrorCode.InvalidIfMatch;
  declare readonly code: typeof HttpErrorCode.InvalidIfMatch;
  /** What is wrong with it. */
  readonly reason: string;

  /** @param reason what is wrong */
  constructor(reason: string) {
    super(HttpErrorCode.InvalidIfMatch, `Invalid If-Match header: ${reason}`);
    this.reason = reason;
  }
}

/**
 * The request body could not be read as JSON: 400. Raise it from your route when
 * `JSON.parse` (or your framework's body parser) fails.
 *
 * @example
 * ```ts
 * let body: unknown;
 * try { body = await request.json(); } catch { throw new MalformedRequestError("the body is not valid JSON"); }
 * ```
 */
export class MalformedRequestError extends HttpRequestError {
  /** The code every instance carries. */
  static readonly errorCode = HttpErrorCode.MalformedRequest;
  declare readonly code: typeof HttpErrorCode.MalformedRequest;

  /** @param message what is wrong with the request */
  constructor(message: string) {
    super(HttpErrorCode.MalformedRequest, message);
  }
}
