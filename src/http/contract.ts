/**
 * The zod schemas of the problem details the HTTP helpers produce (RFC 9457), one per `code`,
 * discriminated by `code`. The TypeScript types are derived from them, and the OpenAPI document
 * (`specs/openapi.json`) is generated from them, so types, runtime checks and contract agree.
 */
import * as z from "zod/mini";
import { BlockerCode, Capability, Checkpoint, LifecycleState } from "../vocabulary/index.js";

const base = {
  /** A URI identifying the problem type: `typeBase` + `code`. */
  type: z.string(),
  /** A short, human-readable summary of the problem type (the same for every occurrence). */
  title: z.string(),
  /** A human-readable explanation of this occurrence. */
  detail: z.string(),
  /** A URI reference identifying this occurrence (the request path), when given. */
  instance: z.optional(z.string()),
};

const DraftIdField = z.string();

/**
 * One validation problem: a zod issue code, the path into the input and a message.
 *
 * @example
 * ```ts
 * const issue = ValidationIssueSchema.parse({ code: "invalid_type", path: ["connectionId"], message: "Expected string" });
 * ```
 */
export const ValidationIssueSchema = z.object({
  /** The zod issue code, e.g. `invalid_type`, `too_small`, `unrecognized_keys`. */
  code: z.string(),
  /** Where in the input the problem is: object keys and array indexes, outermost first (`[]` for the input itself). */
  path: z.array(z.union([z.string(), z.number()])),
  /** A human-readable description of the problem. */
  message: z.string(),
});

/**
 * One readiness blocker (what `NotReadyError.blockers` carries).
 *
 * @example
 * ```ts
 * const blocker = BlockerSchema.parse({ code: "identity_missing", checkpoint: "identify", overridable: false, message: "Identify the tenant first." });
 * ```
 */
export const BlockerSchema = z.object({
  /** What blocks activation, as a stable token (one of `BlockerCode`). */
  code: z.enum(BlockerCode),
  /** The checkpoint where the blocker is resolved (one of `Checkpoint`). */
  checkpoint: z.enum(Checkpoint),
  /** Whether an activation with an override (reason plus capability) may skip this blocker. */
  overridable: z.boolean(),
  /** A human-readable explanation, fit to show to the operator. */
  message: z.string(),
});

/**
 * 422: the command, create input or options failed validation; `issues` says where.
 *
 * @example
 * ```ts
 * const problem = ValidationProblemSchema.parse(await response.json());
 * for (const issue of problem.issues) log.warn(issue.path.join("."), issue.message);
 * ```
 */
export const ValidationProblemSchema = z.object({
  ...base,
  /** The HTTP status: always 422 Unprocessable Content. */
  status: z.literal(422),
  /** Discriminates the problem: `validation_failed`. */
  code: z.literal("validation_failed"),
  /**
   * What was validated, as in `ValidationError.target`: `command` (the command body), `create`
   * (the create input), `options` (ids, actor, `expectedVersion`, idempotency key, list options),
   * `audit` or `idempotency`.
   */
  target: z.enum(["command", "create", "options", "audit", "idempotency"]),
  /** Every problem found, each with its path into the input. */
  issues: z.array(ValidationIssueSchema),
});

/**
 * 412 when the stale version came from `If-Match`, 409 otherwise: somebody else wrote first.
 * `currentETag` is the ETag to reload with.
 *
 * @example
 * ```ts
 * const problem = VersionConflictProblemSchema.parse(await response.json());
 * showNotice(`Changed by someone else (now v${problem.actualVersion})`);
 * ```
 */
export const VersionConflictProblemSchema = z.object({
  ...base,
  /** The HTTP status: 412 Precondition Failed when the stale version came from `If-Match` (`ifMatchUsed`), 409 Conflict otherwise. */
  status: z.union([z.literal(412), z.literal(409)]),
  /** Discriminates the problem: `version_conflict`. */
  code: z.literal("version_conflict"),
  /** The version the request was based on (from `If-Match` or the caller's `expectedVersion`). */
  expectedVersion: z.int(),
  /** The draft's version in the store now. */
  actualVersion: z.int(),
  /** The strong ETag of the current version: reload the draft, then retry with it in `If-Match`. */
  currentETag: z.string(),
});

/**
 * 409: the draft is completed or cancelled and never changes again.
 *
 * @example
 * ```ts
 * const problem = TerminalDraftProblemSchema.parse(await response.json()); // problem.state: "completed" | "cancelled"
 * ```
 */
export const TerminalDraftProblemSchema = z.object({
  ...base,
  /** The HTTP status: always 409 Conflict. */
  status: z.literal(409),
  /** Discriminates the problem: `terminal_draft`. */
  code: z.literal("terminal_draft"),
  /** The draft's id. */
  draftId: DraftIdField,
  /** The draft's terminal lifecycle state (`completed` or `cancelled`). */
  state: z.enum(LifecycleState),
  /** The command that was refused. */
  commandType: z.string(),
});

/**
 * 409: activation refused; `blockers` says what to fix, `overridable` whether an override would do.
 *
 * @example
 * ```ts
 * const problem = NotReadyProblemSchema.parse(await response.json());
 * if (problem.overridable) showBlockers(problem.blockers);
 * ```
 */
export const NotReadyProblemSchema = z.object({
  ...base,
  /** The HTTP status: always 409 Conflict. */
  status: z.literal(409),
  /** Discriminates the problem: `not_ready`. */
  code: z.literal("not_ready"),
  /** The draft's id. */
  draftId: DraftIdField,
  /** Everything that stands in the way of activation. */
  blockers: z.array(BlockerSchema),
  /** Whether an activation with an override (reason plus capability) would have been accepted. */
  overridable: z.boolean(),
});

/**
 * 403: your `authorize` denied `capability`.
 *
 * @example
 * ```ts
 * const problem = ForbiddenProblemSchema.parse(await response.json()); // problem.capability, e.g. "override_readiness"
 * ```
 */
export const ForbiddenProblemSchema = z.object({
  ...base,
  /** The HTTP status: always 403 Forbidden. */
  status: z.literal(403),
  /** Discriminates the problem: `forbidden`. */
  code: z.literal("forbidden"),
  /** The capability `authorize` refused (one of `Capability`). */
  capability: z.enum(Capability),
  /** The draft the request was about, or `null` for requests on no single draft (create, list). */
  draftId: z.nullable(DraftIdField),
});

/**
 * 404: no such draft in this workspace.
 *
 * @example
 * ```ts
 * if (DraftNotFoundProblemSchema.safeParse(await response.json()).success) router.push("/onboarding");
 * ```
 */
export const DraftNotFoundProblemSchema = z.object({
  ...base,
  /** The HTTP status: always 404 Not Found. */
  status: z.literal(404),
  /** Discriminates the problem: `draft_not_found`. */
  code: z.literal("draft_not_found"),
  /** The id that was asked for. */
  draftId: DraftIdField,
});

/**
 * 404: a worker reported on a run id the draft never had (a wrong id, or the wrong draft). Fix
 * the worker; retrying the same report gives the same answer.
 *
 * @example
 * ```ts
 * const problem = UnknownRunProblemSchema.parse(await response.json());
 * log.error(`worker bug: run ${problem.runId} is not a run of draft ${problem.draftId}`);
 * ```
 */
export const UnknownRunProblemSchema = z.object({
  ...base,
  /** The HTTP status: always 404 Not Found. */
  status: z.literal(404),
  /** Discriminates the problem: `unknown_run`. */
  code: z.literal("unknown_run"),
  /** The draft the report named. */
  draftId: DraftIdField,
  /** The run id the report carried. */
  runId: z.string(),
  /** The report's command type. */
  commandType: z.string(),
});

/**
 * 409: the idempotency key was used before for a different command.
 *
 * @example
 * ```ts
 * const problem = IdempotencyKeyReuseProblemSchema.parse(await response.json()); // use a new key for a new request
 * ```
 */
export const IdempotencyKeyReuseProblemSchema = z.object({
  ...base,
  /** The HTTP status: always 409 Conflict. */
  status: z.literal(409),
  /** Discriminates the problem: `idempotency_key_reuse`. */
  code: z.literal("idempotency_key_reuse"),
  /** The idempotency key the request sent. */
  idempotencyKey: z.string(),
  /** The command type the key was first used with. */
  originalCommandType: z.string(),
});

/**
 * 409: the command is not possible in the draft's current lifecycle; `requirement` names what is missing.
 *
 * @example
 * ```ts
 * const problem = InvalidTransitionProblemSchema.parse(await response.json()); // problem.requirement, e.g. "identity_required"
 * ```
 */
export const InvalidTransitionProblemSchema = z.object({
  ...base,
  /** The HTTP status: always 409 Conflict. */
  status: z.literal(409),
  /** Discriminates the problem: `invalid_transition`. */
  code: z.literal("invalid_transition"),
  /** The draft's id. */
  draftId: DraftIdField,
  /** The refused command. */
  commandType: z.string(),
  /** The draft's lifecycle state when the command was refused. */
  state: z.enum(LifecycleState),
  /** A stable token for what is missing, e.g. `identity_required`, `verification_succeeded_required`. */
  requirement: z.string(),
});

/**
 * 409: the tenant already has an open draft in this workspace (`existingDraftId`: resume it).
 *
 * @example
 * ```ts
 * const problem = OpenDraftExistsProblemSchema.parse(await response.json());
 * router.push(`/onboarding/${problem.existingDraftId}`);
 * ```
 */
export const OpenDraftExistsProblemSchema = z.object({
  ...base,
  /** The HTTP status: always 409 Conflict. */
  status: z.literal(409),
  /** Discriminates the problem: `open_draft_exists`. */
  code: z.literal("open_draft_exists"),
  /** The tenant the create request was for. */
  tenantId: z.string(),
  /** The tenant's open draft in this workspace: resume it instead. */
  existingDraftId: DraftIdField,
});

/**
 * 503: a worker report kept conflicting with other writers; retry later (`Retry-After`).
 *
 * @example
 * ```ts
 * if (RetryExhaustedProblemSchema.safeParse(await response.json()).success) {
 *   await new Promise((done) => setTimeout(done, Number(response.headers.get("retry-after")) * 1000));
 * }
 * ```
 */
export const RetryExhaustedProblemSchema = z.object({
  ...base,
  /** The HTTP status: always 503 Service Unavailable (sent with `Retry-After`). */
  status: z.literal(503),
  /** Discriminates the problem: `retry_exhausted`. */
  code: z.literal("retry_exhausted"),
  /** The draft's id. */
  draftId: DraftIdField,
  /** How many attempts the engine made before giving up. */
  attempts: z.int(),
});

/**
 * 500: a server-side failure. No internals are included; the server logs the cause.
 *
 * @example
 * ```ts
 * const problem = InternalProblemSchema.parse(await response.json()); // generic detail only: look at the server logs
 * ```
 */
export const InternalProblemSchema = z.object({
  ...base,
  /** The HTTP status: always 500 Internal Server Error. */
  status: z.literal(500),
  /** What kind of server-side failure: `corrupt_record` (a stored record is unreadable), `store_failure`, `configuration` (server misconfiguration) or `internal_error` (anything else). */
  code: z.enum(["corrupt_record", "store_failure", "configuration", "internal_error"]),
});

/**
 * 428: a mutation without `If-Match`.
 *
 * @example
 * ```ts
 * if (PreconditionRequiredProblemSchema.safeParse(await response.json()).success) console.warn("send If-Match with the ETag");
 * ```
 */
export const PreconditionRequiredProblemSchema = z.object({
  ...base,
  /** The HTTP status: always 428 Precondition Required. */
  status: z.literal(428),
  /** Discriminates the problem: `precondition_required`. */
  code: z.literal("precondition_required"),
  /** The draft the mutation was aimed at. */
  draftId: DraftIdField,
});

/**
 * 412: `If-Match` lists no strong tag of this draft (empty, weak only, or other drafts' tags).
 *
 * @example
 * ```ts
 * const problem = PreconditionFailedProblemSchema.parse(await response.json());
 * if (problem.reason === "weak_only") console.warn("a proxy weakened the ETag");
 * ```
 */
export const PreconditionFailedProblemSchema = z.object({
  ...base,
  /** The HTTP status: always 412 Precondition Failed. */
  status: z.literal(412),
  /** Discriminates the problem: `precondition_failed`. */
  code: z.literal("precondition_failed"),
  /** The draft the mutation was aimed at. */
  draftId: DraftIdField,
  /**
   * Why no tag could match: `empty` (an empty `If-Match` value), `weak_only` (only `W/` tags,
   * which never match) or `no_matching_tag` (only tags of other drafts or foreign tags).
   */
  reason: z.enum(["empty", "weak_only", "no_matching_tag"]),
  /** The strong ETag of the draft's current version, when the server knew it: reload, then retry with it. */
  currentETag: z.optional(z.string()),
});

/**
 * 400: the `If-Match` header is not valid syntax, or the body is not JSON.
 *
 * @example
 * ```ts
 * const problem = BadRequestProblemSchema.parse(await response.json()); // problem.code: "invalid_if_match" | "malformed_request"
 * ```
 */
export const BadRequestProblemSchema = z.object({
  ...base,
  /** The HTTP status: always 400 Bad Request. */
  status: z.literal(400),
  /** What was malformed: `invalid_if_match` (the `If-Match` header is not valid syntax) or `malformed_request` (the body is not JSON). */
  code: z.enum(["invalid_if_match", "malformed_request"]),
});

/**
 * Every problem details object {@link toProblem} returns, discriminated by `code`. Parse
 * `application/problem+json` responses with it on the client.
 *
 * @example
 * ```ts
 * import { ProblemDetailsSchema } from "onboarding-lifecycle/http";
 *
 * const problem = ProblemDetailsSchema.parse(await response.json());
 * if (problem.code === "version_conflict") log.info("reload", problem.currentETag);
 * ```
 */
export const ProblemDetailsSchema = z.discriminatedUnion("code", [
  ValidationProblemSchema,
  VersionConflictProblemSchema,
  TerminalDraftProblemSchema,
  NotReadyProblemSchema,
  ForbiddenProblemSchema,
  DraftNotFoundProblemSchema,
  UnknownRunProblemSchema,
  IdempotencyKeyReuseProblemSchema,
  InvalidTransitionProblemSchema,
  OpenDraftExistsProblemSchema,
  RetryExhaustedProblemSchema,
  InternalProblemSchema,
  PreconditionRequiredProblemSchema,
  PreconditionFailedProblemSchema,
  BadRequestProblemSchema,
]);

/**
 * An RFC 9457 problem details object produced by {@link toProblem}, discriminated by `code`.
 *
 * @example
 * ```ts
 * import type { ProblemDetails } from "onboarding-lifecycle/http";
 *
 * function summary(problem: ProblemDetails): string {
 *   return problem.code === "not_ready" ? problem.blockers.map((b) => b.message).join(" ") : problem.detail;
 * }
 * ```
 */
export type ProblemDetails = z.output<typeof ProblemDetailsSchema>;

/**
 * Every `code` a problem details object may carry.
 *
 * @example
 * ```ts
 * import type { ProblemCode } from "onboarding-lifecycle/http";
 *
 * const retryable: readonly ProblemCode[] = ["retry_exhausted", "version_conflict"];
 * ```
 */
export type ProblemCode = ProblemDetails["code"];

/**
 * The problem details object with a given `code`.
 *
 * @example
 * ```ts
 * import type { ProblemOf } from "onboarding-lifecycle/http";
 *
 * function showBlockers(problem: ProblemOf<"not_ready">) { render(problem.blockers); }
 * ```
 */
export type ProblemOf<C extends ProblemCode> = ProblemDetails extends infer P
  ? P extends {
      /** The member `code` of one problem details type, inferred as `K`. */
      readonly code: infer K;
    }
    ? C extends K
      ? P & {
          /** The problem's `code`, narrowed to `C`. */
          readonly code: C;
        }
      : never
    : never
  : never;
