/**
 * Maps errors to RFC 9457 problem details by a table lookup on `code`: every `OnboardingError`
 * (the engine's and the HTTP helpers') gets the `type`, `title`, `status` and data its
 * declaration in `PROBLEM_CATALOG` (`ERROR_CATALOG` plus `internal_error`) gives it. Server-side
 * failures (corrupt records, store failures, configuration, unknown errors) never leak
 * internals: their declarations have no data and a generic detail.
 */
import * as z from "zod/mini";
import { isOnboardingError, type ErrorDeclaration, type VersionConflictError } from "../record/index.js";
import { formatETag } from "./etag.js";
import type { PreconditionFailedError } from "./errors.js";
import { PROBLEM_CATALOG, type ProblemCode, type ProblemDetails } from "./contract.js";
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

/** The problem codes whose declarations have derived members. */
type DerivingCode = {
  [C in ProblemCode]: [(typeof PROBLEM_CATALOG)[C]["derived"][number]] extends [never] ? never : C;
}[ProblemCode];

/** The error class of each code with derived members. */
interface DerivingError {
  /** Its `currentETag` comes from the current draft. */
  version_conflict: VersionConflictError;
  /** Its `currentETag` comes from the draft id and the current version, when known. */
  precondition_failed: PreconditionFailedError;
}

/**
 * How the HTTP layer computes each derived member (the declarations list them, this gives
 * their values). A member it cannot compute is left out, and the problem's schema decides.
 */
const DERIVE: {
  readonly [C in DerivingCode]: (
    error: C extends keyof DerivingError ? DerivingError[C] : never,
  ) => Partial<Pick<z.output<(typeof PROBLEM_CATALOG)[C]["data"]>, (typeof PROBLEM_CATALOG)[C]["derived"][number]>>;
} = {
  version_conflict: (error) => etagOf(error.current),
  precondition_failed: (error) =>
    error.currentVersion === null ? {} : etagOf({ id: error.draftId, version: error.currentVersion }),
};

/**
 * `{ currentETag }` of a draft, or nothing when it cannot make a tag (an error built by hand with
 * a bad id or version): an error handler must answer, never throw.
 */
function etagOf(subject: unknown): { currentETag?: string } {
  try {
    return { currentETag: formatETag(subject as { readonly id: string; readonly version: number }) };
  } catch {
    return {};
  }
}

/**
 * Maps any thrown value to an RFC 9457 problem details object. `OnboardingError`s (the engine's
 * and the HTTP helpers') get their code's status, title and data from `PROBLEM_CATALOG` (see
 * docs/http.md for the table); anything else, and an error whose data does not fit its
 * declaration (built by hand), is a generic 500 `internal_error` with no details, so log the
 * error yourself.
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
  const known = isOnboardingError(error) && Object.hasOwn(PROBLEM_CATALOG, error.code);
  try {
    if (known) {
      const problem = problemOf(error as unknown as Record<string, unknown>, error.code, error.message, options);
      if (problem !== null) return problem;
    }
  } catch {
    // A hand-built error whose fields throw on access: answer, never throw.
  }
  return problemOf({}, "internal_error", "", options) as ProblemDetails;
}

/** The problem of `code` from the error's fields, or `null` when they do not fit its declaration. */
function problemOf(
  fields: Readonly<Record<string, unknown>>,
  code: ProblemCode,
  message: string,
  options: ProblemOptions,
): ProblemDetails | null {
  const declaration: ErrorDeclaration = PROBLEM_CATALOG[code];
  const carried: Record<string, unknown> = {};
  for (const key of Object.keys(declaration.data.shape)) {
    if (!declaration.derived.includes(key) && fields[key] !== undefined) carried[key] = fields[key];
  }
  const derive = (DERIVE as Partial<Record<ProblemCode, (error: unknown) => object>>)[code];
  if (derive !== undefined) Object.assign(carried, derive(fields));
  // The declaration's schema checks the data and drops anything else (extra blocker fields).
  const data = z.safeParse(declaration.data, carried);
  if (!data.success) return null;
  const problem = {
    type: `${options.typeBase ?? DEFAULT_PROBLEM_TYPE_BASE}${code}`,
    title: declaration.title,
    status: options.ifMatchUsed === true ? declaration.status : declaration.statusWithoutIfMatch,
    detail: declaration.detail(data.data, message),
    ...(options.instance === undefined ? {} : { instance: options.instance }),
    code,
    ...data.data,
  };
  // Built from the declaration the problem's schema is derived from; test/http checks the two.
  return problem as ProblemDetails;
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
