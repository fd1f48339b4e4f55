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
  code: z.string(),
  path: z.array(z.union([z.string(), z.number()])),
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
  code: z.enum(BlockerCode),
  checkpoint: z.enum(Checkpoint),
  overridable: z.boolean(),
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
  status: z.literal(422),
  code: z.literal("validation_failed"),
  target: z.enum(["command", "create", "options", "audit", "idempotency"]),
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
  status: z.union([z.literal(412), z.literal(409)]),
  code: z.literal("version_conflict"),
  expectedVersion: z.int(),
  actualVersion: z.int(),
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
  status: z.literal(409),
  code: z.literal("terminal_draft"),
  draftId: DraftIdField,
  state: z.enum(LifecycleState),
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
  status: z.literal(409),
  code: z.literal("not_ready"),
  draftId: DraftIdField,
  blockers: z.array(BlockerSchema),
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
  status: z.literal(403),
  code: z.literal("forbidden"),
  capability: z.enum(Capability),
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
  status: z.literal(404),
  code: z.literal("draft_not_found"),
  draftId: DraftIdField,
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
  status: z.literal(409),
  code: z.literal("idempotency_key_reuse"),
  idempotencyKey: z.string(),
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
  status: z.literal(409),
  code: z.literal("invalid_transition"),
  draftId: DraftIdField,
  commandType: z.string(),
  state: z.enum(LifecycleState),
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
  status: z.literal(409),
  code: z.literal("open_draft_exists"),
  tenantId: z.string(),
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
  status: z.literal(503),
  code: z.literal("retry_exhausted"),
  draftId: DraftIdField,
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
  status: z.literal(500),
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
  status: z.literal(428),
  code: z.literal("precondition_required"),
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
  status: z.literal(412),
  code: z.literal("precondition_failed"),
  draftId: DraftIdField,
  reason: z.enum(["empty", "weak_only", "no_matching_tag"]),
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
  status: z.literal(400),
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
  ? P extends { readonly code: infer K }
    ? C extends K
      ? P & { readonly code: C }
      : never
    : never
  : never;
