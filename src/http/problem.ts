/**
 * Maps errors to RFC 9457 problem details: every `OnboardingError` and every error of the HTTP
 * helpers gets a stable `type` URI, a fixed `title`, an HTTP `status`, a `detail`, its `code` and
 * the data a client needs to react. Server-side failures (corrupt records, store failures,
 * configuration, unknown errors) never leak internals: a generic detail and no data.
 */
import {
  AuthorizationError,
  DraftNotFoundError,
  IdempotencyKeyReuseError,
  InvalidTransitionError,
  NotReadyError,
  OpenDraftExistsError,
  RetryExhaustedError,
  TerminalDraftError,
  UnknownRunError,
  ValidationError,
  VersionConflictError,
  isOnboardingError,
  type OnboardingError,
} from "../record/index.js";
import { formatETag } from "./etag.js";
import {
  InvalidIfMatchError,
  MalformedRequestError,
  PreconditionFailedError,
  PreconditionRequiredError,
  isHttpRequestError,
  type HttpRequestError,
} from "./errors.js";
import type { ProblemCode, ProblemDetails } from "./contract.js";

/**
 * The default base of problem `type` URIs: `urn:onboarding-lifecycle:problem:` + `code`. Set
 * `typeBase` to your documentation URL (e.g. `https://api.example.com/problems/`) to make them
 * resolvable.
 *
 * @example
 * ```ts
 * toProblem(error).type; // "urn:onboarding-lifecycle:problem:version_conflict" (with DEFAULT_PROBLEM_TYPE_BASE)
 * ```
 */
export const DEFAULT_PROBLEM_TYPE_BASE = "urn:onboarding-lifecycle:problem:";

/**
 * The `content-type` of problem responses.
 *
 * @example
 * ```ts
 * if (response.headers.get("content-type") === PROBLEM_CONTENT_TYPE) log.warn(await response.json());
 * ```
 */
export const PROBLEM_CONTENT_TYPE = "application/problem+json";

/**
 * The status and title of every problem code. `version_conflict` is 412 when the stale version
 * came from `If-Match` and 409 otherwise (the table shows the `If-Match` case).
 *
 * @example
 * ```ts
 * import { PROBLEM_CATALOG } from "onboarding-lifecycle/http";
 *
 * PROBLEM_CATALOG.not_ready; // { status: 409, title: "Not ready for activation" }
 * ```
 */
export const PROBLEM_CATALOG: {
  readonly [C in ProblemCode]: {
    /** The HTTP status of problems with this code. */
    readonly status: number;
    /** The fixed `title` of problems with this code. */
    readonly title: string;
  };
} = {
  validation_failed: { status: 422, title: "Invalid input" },
  version_conflict: { status: 412, title: "Version conflict" },
  terminal_draft: { status: 409, title: "Draft is completed or cancelled" },
  not_ready: { status: 409, title: "Not ready for activation" },
  forbidden: { status: 403, title: "Forbidden" },
  draft_not_found: { status: 404, title: "Draft not found" },
  unknown_run: { status: 404, title: "Unknown run" },
  idempotency_key_reuse: { status: 409, title: "Idempotency key reused" },
  invalid_transition: { status: 409, title: "Command not possible in this state" },
  open_draft_exists: { status: 409, title: "Tenant already has an open draft" },
  retry_exhausted: { status: 503, title: "Too many concurrent writes" },
  corrupt_record: { status: 500, title: "Stored record is unreadable" },
  store_failure: { status: 500, title: "Storage failure" },
  configuration: { status: 500, title: "Server misconfiguration" },
  internal_error: { status: 500, title: "Internal server error" },
  precondition_required: { status: 428, title: "Precondition required" },
  precondition_failed: { status: 412, title: "Precondition failed" },
  invalid_if_match: { status: 400, title: "Invalid If-Match header" },
  malformed_request: { status: 400, title: "Malformed request" },
};

const INTERNAL_DETAIL = "The server could not complete the request. The failure was logged; try again later.";

/**
 * Options of {@link toProblem} and {@link problemResponse}.
 *
 * @example
 * ```ts
 * const options: ProblemOptions = { ifMatchUsed: true, typeBase: "https://api.example.com/problems/", instance: "/drafts/d1" };
 * toProblem(error, options);
 * ```
 */
export interface ProblemOptions {
  /**
   * Whether the `expectedVersion` of the failed request came from an `If-Match` header (see
   * `expectedVersionFromIfMatch(...).ifMatchUsed`): a `VersionConflictError` is then 412
   * Precondition Failed, otherwise 409 Conflict. Default `false`.
   */
  readonly ifMatchUsed?: boolean;
  /** The base of `type` URIs; `type` is `typeBase + code`. Default {@link DEFAULT_PROBLEM_TYPE_BASE}. */
  readonly typeBase?: string;
  /** The `instance` member: a URI reference of this occurrence, e.g. the request path. */
  readonly instance?: string;
}

/**
 * Maps any thrown value to an RFC 9457 problem details object. `OnboardingError`s and the HTTP
 * helpers' errors get their own code, status and data (see docs/http.md for the table);
 * anything else is a generic 500 `internal_error` with no details, so log the error yourself.
 *
 * @example
 * ```ts
 * import { toProblem } from "onboarding-lifecycle/http";
 *
 * try {
 *   await engine.execute(ws, id, command, { actor, expectedVersion: draft.version });
 * } catch (error) {
 *   const problem = toProblem(error, { ifMatchUsed: true, typeBase: "https://api.example.com/problems/" });
 *   // { type: "https://api.example.com/problems/version_conflict", title: "Version conflict", status: 412,
 *   //   code: "version_conflict", expectedVersion: 3, actualVersion: 4, currentETag: "\"ZDE.4\"", detail: "..." }
 * }
 * ```
 */
export function toProblem(error: unknown, options: ProblemOptions = {}): ProblemDetails {
  const typeBase = options.typeBase ?? DEFAULT_PROBLEM_TYPE_BASE;
  const head: Head = (code, detail, status = PROBLEM_CATALOG[code].status) => ({
    type: `${typeBase}${code}`,
    title: PROBLEM_CATALOG[code].title,
    status,
    detail,
    ...(options.instance === undefined ? {} : { instance: options.instance }),
    code,
  });
  if (isOnboardingError(error)) return fromOnboardingError(error, head, options.ifMatchUsed === true);
  if (isHttpRequestError(error)) return fromHttpError(error, head);
  return { ...head("internal_error", INTERNAL_DETAIL), status: 500 };
}

/** The members every problem shares, in RFC 9457 order (the branches narrow `status`). */
type Head = <C extends ProblemCode>(
  code: C,
  detail: string,
  status?: number,
) => { type: string; title: string; status: number; detail: string; instance?: string; code: C };

function fromOnboardingError(error: OnboardingError, head: Head, ifMatchUsed: boolean): ProblemDetails {
  // `instanceof` checks the cross-copy brand and the code (see record/errors.ts), and narrows.
  if (error instanceof ValidationError) {
    return {
      ...head(error.code, error.message),
      status: 422,
      target: error.target,
      issues: error.issues.map((issue) => ({ code: issue.code, path: [...issue.path], message: issue.message })),
    };
  }
  if (error instanceof VersionConflictError) {
    const status = ifMatchUsed ? 412 : 409;
    const tag = currentETag(error.current).currentETag;
    // Only a hand-built error lacks a draft to tag: nothing a client could reload from.
    if (tag === undefined) return { ...head("internal_error", INTERNAL_DETAIL), status: 500 };
    return {
      ...head(error.code, error.message, status),
      status,
      expectedVersion: error.expectedVersion,
      actualVersion: error.actualVersion,
      currentETag: tag,
    };
  }
  if (error instanceof TerminalDraftError) {
    return {
      ...head(error.code, error.message),
      status: 409,
      draftId: error.draftId,
      state: error.state,
      commandType: error.commandType,
    };
  }
  if (error instanceof NotReadyError) {
    return {
      ...head(error.code, error.message),
      status: 409,
      draftId: error.draftId,
      blockers: error.blockers.map((blocker) => ({
        code: blocker.code,
        checkpoint: blocker.checkpoint,
        overridable: blocker.overridable,
        message: blocker.message,
      })),
      overridable: error.overridable,
    };
  }
  if (error instanceof AuthorizationError) {
    return {
      ...head(error.code, `Not allowed to ${error.capability}${error.draftId === null ? "" : ` on draft ${error.draftId}`}`),
      status: 403,
      capability: error.capability,
      draftId: error.draftId,
    };
  }
  if (error instanceof DraftNotFoundError) {
    return { ...head(error.code, `No onboarding draft ${error.draftId} here`), status: 404, draftId: error.draftId };
  }
  if (error instanceof UnknownRunError) {
    return {
      ...head(error.code, error.message),
      status: 404,
      draftId: error.draftId,
      runId: error.runId,
      commandType: error.commandType,
    };
  }
  if (error instanceof IdempotencyKeyReuseError) {
    return {
      ...head(
        error.code,
        `Idempotency key ${JSON.stringify(error.key)} was already used for a different ${error.originalCommandType} request`,
      ),
      status: 409,
      idempotencyKey: error.key,
      originalCommandType: error.originalCommandType,
    };
  }
  if (error instanceof InvalidTransitionError) {
    return {
      ...head(error.code, error.message),
      status: 409,
      draftId: error.draftId,
      commandType: error.commandType,
      state: error.state,
      requirement: error.requirement,
    };
  }
  if (error instanceof OpenDraftExistsError) {
    return {
      ...head(error.code, `Tenant ${error.tenantId} already has an open onboarding draft (${error.existingDraftId})`),
      status: 409,
      tenantId: error.tenantId,
      existingDraftId: error.existingDraftId,
    };
  }
  if (error instanceof RetryExhaustedError) {
    return {
      ...head(error.code, "The draft is being changed by too many writers at once; retry shortly"),
      status: 503,
      draftId: error.draftId,
      attempts: error.attempts,
    };
  }
  if (error.code === "corrupt_record" || error.code === "store_failure" || error.code === "configuration") {
    return { ...head(error.code, INTERNAL_DETAIL), status: 500 };
  }
  return { ...head("internal_error", INTERNAL_DETAIL), status: 500 };
}

/**
 * `{ currentETag }` of a draft, or nothing when it cannot make a tag (an error built by hand with
 * a bad id or version): an error handler must answer, never throw.
 */
function currentETag(subject: unknown): { currentETag?: string } {
  try {
    return { currentETag: formatETag(subject as { readonly id: string; readonly version: number }) };
  } catch {
    return {};
  }
}

function fromHttpError(error: HttpRequestError, head: Head): ProblemDetails {
  if (error instanceof PreconditionRequiredError) {
    return { ...head(error.code, error.message), status: 428, draftId: error.draftId };
  }
  if (error instanceof PreconditionFailedError) {
    return {
      ...head(error.code, error.message),
      status: 412,
      draftId: error.draftId,
      reason: error.reason,
      ...(error.currentVersion === null ? {} : currentETag({ id: error.draftId, version: error.currentVersion })),
    };
  }
  if (error instanceof InvalidIfMatchError || error instanceof MalformedRequestError) {
    return { ...head(error.code, error.message), status: 400 };
  }
  return { ...head("internal_error", INTERNAL_DETAIL), status: 500 };
}

/**
 * A framework-neutral HTTP response: pass it to your framework's response API.
 *
 * @example
 * ```ts
 * function send(error: unknown): Response {
 *   const { status, headers, body }: ProblemResponse = problemResponse(error);
 *   return new Response(body, { status, headers });
 * }
 * ```
 */
export interface ProblemResponse {
  /** The HTTP status. */
  readonly status: number;
  /** Response headers: `content-type: application/problem+json`, `cache-control: no-store`, and `retry-after` for 503. */
  readonly headers: Readonly<Record<string, string>>;
  /** The JSON text of the problem details object. */
  readonly body: string;
  /** The problem details object itself. */
  readonly problem: ProblemDetails;
}

/**
 * Maps a thrown value to a ready-to-send problem response (`application/problem+json`).
 *
 * @example
 * ```ts
 * import { problemResponse } from "onboarding-lifecycle/http";
 *
 * // Any fetch-style framework (Hono: app.onError((error, c) => toResponse(error, c.req.path)))
 * function toResponse(error: unknown, path: string): Response {
 *   const { status, headers, body } = problemResponse(error, { instance: path });
 *   return new Response(body, { status, headers });
 * }
 * ```
 */
export function problemResponse(error: unknown, options: ProblemOptions = {}): ProblemResponse {
  const problem = toProblem(error, options);
  const headers: Record<string, string> = { "content-type": PROBLEM_CONTENT_TYPE, "cache-control": "no-store" };
  if (problem.status === 503) headers["retry-after"] = "1";
  return { status: problem.status, headers, body: JSON.stringify(problem), problem };
}
