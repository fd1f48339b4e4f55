/**
 * Errors raised by the HTTP helpers themselves (not by the engine): a missing, malformed or
 * unmatchable `If-Match`, and a request body that is not JSON. They are `OnboardingError`s
 * like the engine's: their codes are in `ErrorCode`, their public data is declared in
 * `ERROR_CATALOG`, {@link toProblem} maps them by that declaration, and they are recognised
 * across copies of the package (ESM and CJS side by side) through the same brand.
 */
import { ErrorCode, OnboardingError, isOnboardingError, type ErrorData } from "../record/index.js";

/**
 * The codes of {@link HttpRequestError}s: `precondition_required`, `precondition_failed`,
 * `invalid_if_match`, `malformed_request` (members of `ErrorCode`).
 *
 * @example
 * ```ts
 * import type { HttpErrorCode } from "onboarding-lifecycle/http";
 *
 * const expected: HttpErrorCode = "precondition_required";
 * ```
 */
export type HttpErrorCode =
  | typeof ErrorCode.PreconditionRequired
  | typeof ErrorCode.PreconditionFailed
  | typeof ErrorCode.InvalidIfMatch
  | typeof ErrorCode.MalformedRequest;

/** The same codes at run time (test/http/error-catalog.test.ts checks each class's code is here). */
const HTTP_ERROR_CODES: readonly HttpErrorCode[] = [
  ErrorCode.PreconditionRequired,
  ErrorCode.PreconditionFailed,
  ErrorCode.InvalidIfMatch,
  ErrorCode.MalformedRequest,
];

const isHttpErrorCode = (code: string): code is HttpErrorCode => (HTTP_ERROR_CODES as readonly string[]).includes(code);

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
  return isOnboardingError(value) && isHttpErrorCode(value.code);
}

/**
 * The base class of the HTTP helpers' errors, an `OnboardingError`. Match on `code`.
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
export class HttpRequestError extends OnboardingError {
  declare readonly code: HttpErrorCode;

  /** @param code the stable code @param message a human-readable description */
  constructor(code: HttpErrorCode, message: string) {
    super(code, message);
  }

  /** Cross-copy `instanceof`: the brand and, for subclasses, the code (any HTTP code for this class). */
  static override [Symbol.hasInstance](value: unknown): boolean {
    if (!isHttpRequestError(value)) return false;
    const expected = (this as { readonly errorCode?: ErrorCode }).errorCode;
    return expected === undefined || value.code === expected;
  }
}

/** The public fields of a {@link PreconditionRequiredError} (declared in `ERROR_CATALOG`). */
export interface PreconditionRequiredError extends ErrorData<"precondition_required"> {}
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
  static readonly errorCode = ErrorCode.PreconditionRequired;
  declare readonly code: typeof ErrorCode.PreconditionRequired;

  /** @param draftId the draft the mutation was aimed at */
  constructor(draftId: string) {
    super(
      ErrorCode.PreconditionRequired,
      `Send If-Match with the ETag of draft ${draftId} (from its last GET or mutation response)`,
    );
    const data: ErrorData<"precondition_required"> = { draftId };
    Object.assign(this, data);
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
export type PreconditionFailure = ErrorData<"precondition_failed">["reason"];

/** The public fields of a {@link PreconditionFailedError} (declared in `ERROR_CATALOG`). */
export interface PreconditionFailedError extends ErrorData<"precondition_failed"> {}
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
  static readonly errorCode = ErrorCode.PreconditionFailed;
  declare readonly code: typeof ErrorCode.PreconditionFailed;
  /** The draft's current version, when the caller knew it (gives the problem a `currentETag`). */
  readonly currentVersion: number | null;

  /** @param draftId the draft @param currentVersion its version if known @param reason why */
  constructor(draftId: string, currentVersion: number | null, reason: PreconditionFailure) {
    super(
      ErrorCode.PreconditionFailed,
      reason === "weak_only"
        ? "If-Match uses strong comparison: a weak entity tag (W/) never matches"
        : reason === "empty"
          ? "If-Match is empty: no entity tag can match"
          : `If-Match names no entity tag of draft ${draftId}`,
    );
    const data: ErrorData<"precondition_failed"> = { draftId, reason };
    Object.assign(this, data);
    this.currentVersion = currentVersion;
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
  static readonly errorCode = ErrorCode.InvalidIfMatch;
  declare readonly code: typeof ErrorCode.InvalidIfMatch;
  /** What is wrong with it (also in the message, and so in the problem's `detail`). */
  readonly reason: string;

  /** @param reason what is wrong */
  constructor(reason: string) {
    super(ErrorCode.InvalidIfMatch, `Invalid If-Match header: ${reason}`);
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
  static readonly errorCode = ErrorCode.MalformedRequest;
  declare readonly code: typeof ErrorCode.MalformedRequest;

  /** @param message what is wrong with the request */
  constructor(message: string) {
    super(ErrorCode.MalformedRequest, message);
  }
}
