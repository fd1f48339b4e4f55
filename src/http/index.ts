/**
 * http/ — `onboarding-lifecycle/http`: framework-agnostic HTTP helpers for serving drafts over
 * HTTP. Strong ETags from a draft's id and version, `If-Match` parsing into the engine's
 * `expectedVersion` (428 when missing, 412 when stale), `If-None-Match` for 304 on conditional
 * `GET`s, and RFC 9457 problem details for every error, with the zod schemas of those problems (derived from
 * `ERROR_CATALOG`, and the source of `specs/openapi.json`).
 *
 * May import: the root modules (vocabulary/, record/, lifecycle/, commands/, engine/ types) and
 * zod. Never a web framework (Hono, Express, Fastify ...) or a storage driver: a route handler
 * in any framework calls these functions and sends `{ status, headers, body }` itself. Uses only
 * web-platform globals, so it also runs on edge runtimes.
 *
 * @packageDocumentation
 */
export {
  formatETag,
  parseETag,
  parseIfMatch,
  ifMatchMatches,
  notModified,
  expectedVersionFromIfMatch,
  IF_MATCH_MAX_TAGS,
  IF_MATCH_MAX_LENGTH,
  type ETagSubject,
  type EntityTag,
  type IfMatch,
  type IfMatchOptions,
  type OnMissingIfMatch,
  type Precondition,
} from "./etag.js";
export {
  HttpRequestError,
  isHttpRequestError,
  PreconditionRequiredError,
  PreconditionFailedError,
  InvalidIfMatchError,
  MalformedRequestError,
  type HttpErrorCode,
  type PreconditionFailure,
} from "./errors.js";
export {
  toProblem,
  problemResponse,
  PROBLEM_CONTENT_TYPE,
  DEFAULT_PROBLEM_TYPE_BASE,
  type ProblemOptions,
  type ProblemResponse,
} from "./problem.js";
export {
  PROBLEM_CATALOG,
  PROBLEM_SCHEMAS,
  ProblemDetailsSchema,
  ValidationIssueSchema,
  BlockerSchema,
  ValidationProblemSchema,
  VersionConflictProblemSchema,
  TerminalDraftProblemSchema,
  NotReadyProblemSchema,
  ForbiddenProblemSchema,
  DraftNotFoundProblemSchema,
  UnknownRunProblemSchema,
  RunActiveProblemSchema,
  IdempotencyKeyReuseProblemSchema,
  InvalidTransitionProblemSchema,
  OpenDraftExistsProblemSchema,
  RetryExhaustedProblemSchema,
  InternalProblemSchema,
  PreconditionRequiredProblemSchema,
  PreconditionFailedProblemSchema,
  BadRequestProblemSchema,
  type ProblemDetails,
  type ValidationProblem,
  type VersionConflictProblem,
  type TerminalDraftProblem,
  type NotReadyProblem,
  type ForbiddenProblem,
  type DraftNotFoundProblem,
  type UnknownRunProblem,
  type RunActiveProblem,
  type IdempotencyKeyReuseProblem,
  type InvalidTransitionProblem,
  type OpenDraftExistsProblem,
  type RetryExhaustedProblem,
  type InternalProblem,
  type PreconditionRequiredProblem,
  type PreconditionFailedProblem,
  type BadRequestProblem,
  type ProblemCode,
  type ProblemOf,
  type ProblemName,
  type ProblemCodesOf,
  type ProblemSchemaOf,
} from "./contract.js";
