/**
 * The zod schemas of the problem details the HTTP helpers produce (RFC 9457), discriminated by
 * `code`. Nothing here declares a field: every schema is derived from the declarations of
 * `ERROR_CATALOG` (record/errors.ts) plus `internal_error`, one per code, grouped by the
 * declaration's `problem` name. The TypeScript types, `toProblem` and the OpenAPI document
 * (`specs/openapi.json`) derive from the same declarations, so they cannot disagree.
 */
// Each `<Name>Problem` interface declares no member: it names its schema's output, so the API
// reference and editors link to it instead of expanding the object type (the name is the point).
/* eslint-disable @typescript-eslint/no-empty-object-type */
import * as z from "zod/mini";
import { ERROR_CATALOG, defineError } from "../record/index.js";

export { ValidationIssueSchema, BlockerSchema } from "../record/index.js";

/**
 * Every problem code's declaration: `ERROR_CATALOG` (one entry per `ErrorCode`) plus
 * `internal_error`, the problem of anything that is not an error of this package. Each gives the
 * fixed `title`, the HTTP `status` (`version_conflict`: 412 when the stale version came from
 * `If-Match`, `statusWithoutIfMatch` 409 otherwise) and the zod schema of the problem's data.
 *
 * @example
 * ```ts
 * import { PROBLEM_CATALOG } from "onboarding-lifecycle/http";
 *
 * PROBLEM_CATALOG.not_ready.status; // 409
 * PROBLEM_CATALOG.not_ready.title; // "Not ready for activation"
 * Object.keys(PROBLEM_CATALOG.not_ready.data.shape); // ["draftId", "blockers", "overridable"]
 * ```
 */
export const PROBLEM_CATALOG = {
  ...ERROR_CATALOG,
  /** 500: anything that is not an error of this package (a `TypeError`, a driver error thrown raw). */
  internal_error: defineError({ status: 500, title: "Internal server error", problem: "Internal", serverSide: true }),
} as const;

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
export type ProblemCode = keyof typeof PROBLEM_CATALOG;

/**
 * The names of the problem schemas (the declarations' `problem`): `<name>ProblemSchema`, and
 * the OpenAPI component `<name>Problem`.
 *
 * @example
 * ```ts
 * import type { ProblemName } from "onboarding-lifecycle/http";
 *
 * const name: ProblemName = "VersionConflict";
 * ```
 */
export type ProblemName = (typeof PROBLEM_CATALOG)[ProblemCode]["problem"];

/**
 * The codes whose declarations share the schema name `N`.
 *
 * @example
 * ```ts
 * import type { ProblemCodesOf } from "onboarding-lifecycle/http";
 *
 * const serverSide: ProblemCodesOf<"Internal"> = "store_failure";
 * ```
 */
export type ProblemCodesOf<N extends ProblemName> = {
  [C in ProblemCode]: (typeof PROBLEM_CATALOG)[C]["problem"] extends N ? C : never;
}[ProblemCode];

/**
 * The zod schema of the problems named `N`: the members every problem has (RFC 9457 order),
 * `code`, then the declared data of its codes.
 *
 * @example
 * ```ts
 * import type { ProblemSchemaOf } from "onboarding-lifecycle/http";
 *
 * const schema: ProblemSchemaOf<"NotReady"> = NotReadyProblemSchema;
 * ```
 */
export type ProblemSchemaOf<N extends ProblemName> = z.ZodMiniObject<
  Extract<
    {
      /** A URI identifying the problem type: `typeBase` + `code`. */
      type: z.ZodMiniString;
      /** A short, human-readable summary of the problem type (the same for every occurrence). */
      title: z.ZodMiniString;
      /** The HTTP status (see `PROBLEM_CATALOG`). */
      status: z.ZodMiniLiteral<(typeof PROBLEM_CATALOG)[ProblemCodesOf<N>]["status"]>;
      /** A human-readable explanation of this occurrence. */
      detail: z.ZodMiniString;
      /** A URI reference identifying this occurrence (the request path), when given. */
      instance: z.ZodMiniOptional<z.ZodMiniString>;
      /** Discriminates the problem. */
      code: z.ZodMiniLiteral<ProblemCodesOf<N>>;
    } & (typeof PROBLEM_CATALOG)[ProblemCodesOf<N>]["data"]["shape"],
    z.core.$ZodShape
  >
>;

/**
 * The schema of every problem, by OpenAPI component name (`<problem>Problem`), derived from
 * {@link PROBLEM_CATALOG}: the members every problem has, `status` and `code` as literals of the
 * declarations sharing the name, then their `data`.
 *
 * @example
 * ```ts
 * import { PROBLEM_SCHEMAS } from "onboarding-lifecycle/http";
 *
 * for (const [name, schema] of Object.entries(PROBLEM_SCHEMAS)) console.log(name, Object.keys(schema.shape));
 * ```
 */
export const PROBLEM_SCHEMAS: { readonly [N in ProblemName as `${N}Problem`]: ProblemSchemaOf<N> } =
  /* @__PURE__ */ (() => {
    const groups = new Map<string, ProblemCode[]>();
    for (const code of Object.keys(PROBLEM_CATALOG) as ProblemCode[]) {
      const name = PROBLEM_CATALOG[code].problem;
      groups.set(name, [...(groups.get(name) ?? []), code]);
    }
    const schemas: Record<string, z.ZodMiniObject> = {};
    for (const [name, codes] of groups) {
      const first = PROBLEM_CATALOG[codes[0] as ProblemCode];
      const statuses = [
        ...new Set(codes.flatMap((code) => [PROBLEM_CATALOG[code].status, PROBLEM_CATALOG[code].statusWithoutIfMatch])),
      ];
      schemas[`${name}Problem`] = z.object({
        type: z.string(),
        title: z.string(),
        status: z.literal(statuses),
        detail: z.string(),
        instance: z.optional(z.string()),
        code: z.literal(codes),
        ...first.data.shape,
      });
    }
    return schemas as never;
  })();

/**
 * 422: the command, create input or options failed validation; `issues` says where.
 *
 * @example
 * ```ts
 * const problem = ValidationProblemSchema.parse(await response.json());
 * for (const issue of problem.issues) log.warn(issue.path.join("."), issue.message);
 * ```
 */
export const ValidationProblemSchema = PROBLEM_SCHEMAS.ValidationProblem;

/**
 * A `validation_failed` problem (422): what {@link ValidationProblemSchema} parses. The members every problem has
 * (`type`, `title`, `status`, `detail`, `instance`, `code`), then the data of its code. Derived
 * from the schema, so it cannot drift from it; `ProblemOf<"validation_failed">` narrows {@link ProblemDetails} to it.
 *
 * @example
 * ```ts
 * import type { ValidationProblem } from "onboarding-lifecycle/http";
 *
 * const line = (problem: ValidationProblem): string => `${problem.code} (${problem.status}): ${problem.detail}`;
 * ```
 *
 * @sortStrategy source-order
 */
export interface ValidationProblem extends z.output<typeof ValidationProblemSchema> {}

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
export const VersionConflictProblemSchema = PROBLEM_SCHEMAS.VersionConflictProblem;

/**
 * A `version_conflict` problem (409 or 412): what {@link VersionConflictProblemSchema} parses. The members every problem has
 * (`type`, `title`, `status`, `detail`, `instance`, `code`), then the data of its code. Derived
 * from the schema, so it cannot drift from it; `ProblemOf<"version_conflict">` narrows {@link ProblemDetails} to it.
 *
 * @example
 * ```ts
 * import type { VersionConflictProblem } from "onboarding-lifecycle/http";
 *
 * const line = (problem: VersionConflictProblem): string => `${problem.code} (${problem.status}): ${problem.detail}`;
 * ```
 *
 * @sortStrategy source-order
 */
export interface VersionConflictProblem extends z.output<typeof VersionConflictProblemSchema> {}

/**
 * 409: the draft is completed or cancelled and never changes again.
 *
 * @example
 * ```ts
 * const problem = TerminalDraftProblemSchema.parse(await response.json()); // problem.state: "completed" | "cancelled"
 * ```
 */
export const TerminalDraftProblemSchema = PROBLEM_SCHEMAS.TerminalDraftProblem;

/**
 * A `terminal_draft` problem (409): what {@link TerminalDraftProblemSchema} parses. The members every problem has
 * (`type`, `title`, `status`, `detail`, `instance`, `code`), then the data of its code. Derived
 * from the schema, so it cannot drift from it; `ProblemOf<"terminal_draft">` narrows {@link ProblemDetails} to it.
 *
 * @example
 * ```ts
 * import type { TerminalDraftProblem } from "onboarding-lifecycle/http";
 *
 * const line = (problem: TerminalDraftProblem): string => `${problem.code} (${problem.status}): ${problem.detail}`;
 * ```
 *
 * @sortStrategy source-order
 */
export interface TerminalDraftProblem extends z.output<typeof TerminalDraftProblemSchema> {}

/**
 * 409: activation refused; `blockers` says what to fix, `overridable` whether an override would do.
 *
 * @example
 * ```ts
 * const problem = NotReadyProblemSchema.parse(await response.json());
 * if (problem.overridable) showBlockers(problem.blockers);
 * ```
 */
export const NotReadyProblemSchema = PROBLEM_SCHEMAS.NotReadyProblem;

/**
 * A `not_ready` problem (409): what {@link NotReadyProblemSchema} parses. The members every problem has
 * (`type`, `title`, `status`, `detail`, `instance`, `code`), then the data of its code. Derived
 * from the schema, so it cannot drift from it; `ProblemOf<"not_ready">` narrows {@link ProblemDetails} to it.
 *
 * @example
 * ```ts
 * import type { NotReadyProblem } from "onboarding-lifecycle/http";
 *
 * const line = (problem: NotReadyProblem): string => `${problem.code} (${problem.status}): ${problem.detail}`;
 * ```
 *
 * @sortStrategy source-order
 */
export interface NotReadyProblem extends z.output<typeof NotReadyProblemSchema> {}

/**
 * 403: your `authorize` denied `capability`.
 *
 * @example
 * ```ts
 * const problem = ForbiddenProblemSchema.parse(await response.json()); // problem.capability, e.g. "override_readiness"
 * ```
 */
export const ForbiddenProblemSchema = PROBLEM_SCHEMAS.ForbiddenProblem;

/**
 * A `forbidden` problem (403): what {@link ForbiddenProblemSchema} parses. The members every problem has
 * (`type`, `title`, `status`, `detail`, `instance`, `code`), then the data of its code. Derived
 * from the schema, so it cannot drift from it; `ProblemOf<"forbidden">` narrows {@link ProblemDetails} to it.
 *
 * @example
 * ```ts
 * import type { ForbiddenProblem } from "onboarding-lifecycle/http";
 *
 * const line = (problem: ForbiddenProblem): string => `${problem.code} (${problem.status}): ${problem.detail}`;
 * ```
 *
 * @sortStrategy source-order
 */
export interface ForbiddenProblem extends z.output<typeof ForbiddenProblemSchema> {}

/**
 * 404: no such draft in this workspace.
 *
 * @example
 * ```ts
 * if (DraftNotFoundProblemSchema.safeParse(await response.json()).success) router.push("/onboarding");
 * ```
 */
export const DraftNotFoundProblemSchema = PROBLEM_SCHEMAS.DraftNotFoundProblem;

/**
 * A `draft_not_found` problem (404): what {@link DraftNotFoundProblemSchema} parses. The members every problem has
 * (`type`, `title`, `status`, `detail`, `instance`, `code`), then the data of its code. Derived
 * from the schema, so it cannot drift from it; `ProblemOf<"draft_not_found">` narrows {@link ProblemDetails} to it.
 *
 * @example
 * ```ts
 * import type { DraftNotFoundProblem } from "onboarding-lifecycle/http";
 *
 * const line = (problem: DraftNotFoundProblem): string => `${problem.code} (${problem.status}): ${problem.detail}`;
 * ```
 *
 * @sortStrategy source-order
 */
export interface DraftNotFoundProblem extends z.output<typeof DraftNotFoundProblemSchema> {}

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
export const UnknownRunProblemSchema = PROBLEM_SCHEMAS.UnknownRunProblem;

/**
 * A `unknown_run` problem (404): what {@link UnknownRunProblemSchema} parses. The members every problem has
 * (`type`, `title`, `status`, `detail`, `instance`, `code`), then the data of its code. Derived
 * from the schema, so it cannot drift from it; `ProblemOf<"unknown_run">` narrows {@link ProblemDetails} to it.
 *
 * @example
 * ```ts
 * import type { UnknownRunProblem } from "onboarding-lifecycle/http";
 *
 * const line = (problem: UnknownRunProblem): string => `${problem.code} (${problem.status}): ${problem.detail}`;
 * ```
 *
 * @sortStrategy source-order
 */
export interface UnknownRunProblem extends z.output<typeof UnknownRunProblemSchema> {}

/**
 * 409: a start with policy `reject` found an active run; `runIds` names it. Attach to it, or start
 * again with policy `supersede`.
 *
 * @example
 * ```ts
 * const problem = RunActiveProblemSchema.parse(await response.json());
 * showNotice(`already running: ${problem.runIds.join(", ")}`);
 * ```
 */
export const RunActiveProblemSchema = PROBLEM_SCHEMAS.RunActiveProblem;

/**
 * A `run_active` problem (409): what {@link RunActiveProblemSchema} parses. The members every problem has
 * (`type`, `title`, `status`, `detail`, `instance`, `code`), then the data of its code. Derived
 * from the schema, so it cannot drift from it; `ProblemOf<"run_active">` narrows {@link ProblemDetails} to it.
 *
 * @example
 * ```ts
 * import type { RunActiveProblem } from "onboarding-lifecycle/http";
 *
 * const line = (problem: RunActiveProblem): string => `${problem.code} (${problem.status}): ${problem.detail}`;
 * ```
 *
 * @sortStrategy source-order
 */
export interface RunActiveProblem extends z.output<typeof RunActiveProblemSchema> {}

/**
 * 409: the idempotency key was used before for a different command.
 *
 * @example
 * ```ts
 * const problem = IdempotencyKeyReuseProblemSchema.parse(await response.json()); // use a new key for a new request
 * ```
 */
export const IdempotencyKeyReuseProblemSchema = PROBLEM_SCHEMAS.IdempotencyKeyReuseProblem;

/**
 * A `idempotency_key_reuse` problem (409): what {@link IdempotencyKeyReuseProblemSchema} parses. The members every problem has
 * (`type`, `title`, `status`, `detail`, `instance`, `code`), then the data of its code. Derived
 * from the schema, so it cannot drift from it; `ProblemOf<"idempotency_key_reuse">` narrows {@link ProblemDetails} to it.
 *
 * @example
 * ```ts
 * import type { IdempotencyKeyReuseProblem } from "onboarding-lifecycle/http";
 *
 * const line = (problem: IdempotencyKeyReuseProblem): string => `${problem.code} (${problem.status}): ${problem.detail}`;
 * ```
 *
 * @sortStrategy source-order
 */
export interface IdempotencyKeyReuseProblem extends z.output<typeof IdempotencyKeyReuseProblemSchema> {}

/**
 * 409: the command is not possible in the draft's current lifecycle; `requirement` names what is missing.
 *
 * @example
 * ```ts
 * const problem = InvalidTransitionProblemSchema.parse(await response.json()); // problem.requirement, e.g. "identity_required"
 * ```
 */
export const InvalidTransitionProblemSchema = PROBLEM_SCHEMAS.InvalidTransitionProblem;

/**
 * A `invalid_transition` problem (409): what {@link InvalidTransitionProblemSchema} parses. The members every problem has
 * (`type`, `title`, `status`, `detail`, `instance`, `code`), then the data of its code. Derived
 * from the schema, so it cannot drift from it; `ProblemOf<"invalid_transition">` narrows {@link ProblemDetails} to it.
 *
 * @example
 * ```ts
 * import type { InvalidTransitionProblem } from "onboarding-lifecycle/http";
 *
 * const line = (problem: InvalidTransitionProblem): string => `${problem.code} (${problem.status}): ${problem.detail}`;
 * ```
 *
 * @sortStrategy source-order
 */
export interface InvalidTransitionProblem extends z.output<typeof InvalidTransitionProblemSchema> {}

/**
 * 409: the tenant already has an open draft in this workspace (`existingDraftId`: resume it).
 *
 * @example
 * ```ts
 * const problem = OpenDraftExistsProblemSchema.parse(await response.json());
 * router.push(`/onboarding/${problem.existingDraftId}`);
 * ```
 */
export const OpenDraftExistsProblemSchema = PROBLEM_SCHEMAS.OpenDraftExistsProblem;

/**
 * A `open_draft_exists` problem (409): what {@link OpenDraftExistsProblemSchema} parses. The members every problem has
 * (`type`, `title`, `status`, `detail`, `instance`, `code`), then the data of its code. Derived
 * from the schema, so it cannot drift from it; `ProblemOf<"open_draft_exists">` narrows {@link ProblemDetails} to it.
 *
 * @example
 * ```ts
 * import type { OpenDraftExistsProblem } from "onboarding-lifecycle/http";
 *
 * const line = (problem: OpenDraftExistsProblem): string => `${problem.code} (${problem.status}): ${problem.detail}`;
 * ```
 *
 * @sortStrategy source-order
 */
export interface OpenDraftExistsProblem extends z.output<typeof OpenDraftExistsProblemSchema> {}

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
export const RetryExhaustedProblemSchema = PROBLEM_SCHEMAS.RetryExhaustedProblem;

/**
 * A `retry_exhausted` problem (503): what {@link RetryExhaustedProblemSchema} parses. The members every problem has
 * (`type`, `title`, `status`, `detail`, `instance`, `code`), then the data of its code. Derived
 * from the schema, so it cannot drift from it; `ProblemOf<"retry_exhausted">` narrows {@link ProblemDetails} to it.
 *
 * @example
 * ```ts
 * import type { RetryExhaustedProblem } from "onboarding-lifecycle/http";
 *
 * const line = (problem: RetryExhaustedProblem): string => `${problem.code} (${problem.status}): ${problem.detail}`;
 * ```
 *
 * @sortStrategy source-order
 */
export interface RetryExhaustedProblem extends z.output<typeof RetryExhaustedProblemSchema> {}

/**
 * 500: a server-side failure, `code` says which kind: `corrupt_record` (a stored record is
 * unreadable), `store_failure`, `configuration` (server misconfiguration) or `internal_error`
 * (anything else). No internals are included; the server logs the cause.
 *
 * @example
 * ```ts
 * const problem = InternalProblemSchema.parse(await response.json()); // generic detail only: look at the server logs
 * ```
 */
export const InternalProblemSchema = PROBLEM_SCHEMAS.InternalProblem;

/**
 * A `corrupt_record` / `store_failure` / `schema_version` / `configuration` / `internal_error` problem (500, `code` says which): what {@link InternalProblemSchema} parses. The members every problem has
 * (`type`, `title`, `status`, `detail`, `instance`, `code`), then the data of its code. Derived
 * from the schema, so it cannot drift from it; `ProblemOf<"corrupt_record">` narrows {@link ProblemDetails} to it.
 *
 * @example
 * ```ts
 * import type { InternalProblem } from "onboarding-lifecycle/http";
 *
 * const line = (problem: InternalProblem): string => `${problem.code} (${problem.status}): ${problem.detail}`;
 * ```
 *
 * @sortStrategy source-order
 */
export interface InternalProblem extends z.output<typeof InternalProblemSchema> {}

/**
 * 428: a mutation without `If-Match`.
 *
 * @example
 * ```ts
 * if (PreconditionRequiredProblemSchema.safeParse(await response.json()).success) console.warn("send If-Match with the ETag");
 * ```
 */
export const PreconditionRequiredProblemSchema = PROBLEM_SCHEMAS.PreconditionRequiredProblem;

/**
 * A `precondition_required` problem (428): what {@link PreconditionRequiredProblemSchema} parses. The members every problem has
 * (`type`, `title`, `status`, `detail`, `instance`, `code`), then the data of its code. Derived
 * from the schema, so it cannot drift from it; `ProblemOf<"precondition_required">` narrows {@link ProblemDetails} to it.
 *
 * @example
 * ```ts
 * import type { PreconditionRequiredProblem } from "onboarding-lifecycle/http";
 *
 * const line = (problem: PreconditionRequiredProblem): string => `${problem.code} (${problem.status}): ${problem.detail}`;
 * ```
 *
 * @sortStrategy source-order
 */
export interface PreconditionRequiredProblem extends z.output<typeof PreconditionRequiredProblemSchema> {}

/**
 * 412: `If-Match` lists no strong tag of this draft (empty, weak only, or other drafts' tags).
 *
 * @example
 * ```ts
 * const problem = PreconditionFailedProblemSchema.parse(await response.json());
 * if (problem.reason === "weak_only") console.warn("a proxy weakened the ETag");
 * ```
 */
export const PreconditionFailedProblemSchema = PROBLEM_SCHEMAS.PreconditionFailedProblem;

/**
 * A `precondition_failed` problem (412): what {@link PreconditionFailedProblemSchema} parses. The members every problem has
 * (`type`, `title`, `status`, `detail`, `instance`, `code`), then the data of its code. Derived
 * from the schema, so it cannot drift from it; `ProblemOf<"precondition_failed">` narrows {@link ProblemDetails} to it.
 *
 * @example
 * ```ts
 * import type { PreconditionFailedProblem } from "onboarding-lifecycle/http";
 *
 * const line = (problem: PreconditionFailedProblem): string => `${problem.code} (${problem.status}): ${problem.detail}`;
 * ```
 *
 * @sortStrategy source-order
 */
export interface PreconditionFailedProblem extends z.output<typeof PreconditionFailedProblemSchema> {}

/**
 * 400: the `If-Match` header is not valid syntax (`invalid_if_match`), or the body is not JSON
 * (`malformed_request`).
 *
 * @example
 * ```ts
 * const problem = BadRequestProblemSchema.parse(await response.json()); // problem.code: "invalid_if_match" | "malformed_request"
 * ```
 */
export const BadRequestProblemSchema = PROBLEM_SCHEMAS.BadRequestProblem;

/**
 * A `invalid_if_match` / `malformed_request` problem (400, `code` says which): what {@link BadRequestProblemSchema} parses. The members every problem has
 * (`type`, `title`, `status`, `detail`, `instance`, `code`), then the data of its code. Derived
 * from the schema, so it cannot drift from it; `ProblemOf<"invalid_if_match">` narrows {@link ProblemDetails} to it.
 *
 * @example
 * ```ts
 * import type { BadRequestProblem } from "onboarding-lifecycle/http";
 *
 * const line = (problem: BadRequestProblem): string => `${problem.code} (${problem.status}): ${problem.detail}`;
 * ```
 *
 * @sortStrategy source-order
 */
export interface BadRequestProblem extends z.output<typeof BadRequestProblemSchema> {}

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
export const ProblemDetailsSchema = /* @__PURE__ */ z.discriminatedUnion(
  "code",
  Object.values(PROBLEM_SCHEMAS) as [
    (typeof PROBLEM_SCHEMAS)[keyof typeof PROBLEM_SCHEMAS],
    ...(typeof PROBLEM_SCHEMAS)[keyof typeof PROBLEM_SCHEMAS][],
  ],
);

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
export type ProblemDetails =
  | ValidationProblem
  | VersionConflictProblem
  | TerminalDraftProblem
  | NotReadyProblem
  | ForbiddenProblem
  | DraftNotFoundProblem
  | UnknownRunProblem
  | RunActiveProblem
  | IdempotencyKeyReuseProblem
  | InvalidTransitionProblem
  | OpenDraftExistsProblem
  | RetryExhaustedProblem
  | InternalProblem
  | PreconditionRequiredProblem
  | PreconditionFailedProblem
  | BadRequestProblem;

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
