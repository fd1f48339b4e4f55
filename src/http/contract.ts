/**
 * The zod schemas of the problem details the HTTP helpers produce (RFC 9457), discriminated by
 * `code`. Nothing here declares a field: every schema is derived from the declarations of
 * `ERROR_CATALOG` (record/errors.ts) plus `internal_error`, one per code, grouped by the
 * declaration's `problem` name. The TypeScript types, `toProblem` and the OpenAPI document
 * (`specs/openapi.json`) derive from the same declarations, so they cannot disagree.
 */
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
 * 409: the draft is completed or cancelled and never changes again.
 *
 * @example
 * ```ts
 * const problem = TerminalDraftProblemSchema.parse(await response.json()); // problem.state: "completed" | "cancelled"
 * ```
 */
export const TerminalDraftProblemSchema = PROBLEM_SCHEMAS.TerminalDraftProblem;

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
 * 403: your `authorize` denied `capability`.
 *
 * @example
 * ```ts
 * const problem = ForbiddenProblemSchema.parse(await response.json()); // problem.capability, e.g. "override_readiness"
 * ```
 */
export const ForbiddenProblemSchema = PROBLEM_SCHEMAS.ForbiddenProblem;

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
 * 409: the idempotency key was used before for a different command.
 *
 * @example
 * ```ts
 * const problem = IdempotencyKeyReuseProblemSchema.parse(await response.json()); // use a new key for a new request
 * ```
 */
export const IdempotencyKeyReuseProblemSchema = PROBLEM_SCHEMAS.IdempotencyKeyReuseProblem;

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
 * 428: a mutation without `If-Match`.
 *
 * @example
 * ```ts
 * if (PreconditionRequiredProblemSchema.safeParse(await response.json()).success) console.warn("send If-Match with the ETag");
 * ```
 */
export const PreconditionRequiredProblemSchema = PROBLEM_SCHEMAS.PreconditionRequiredProblem;

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
export type ProblemDetails = z.output<typeof ProblemDetailsSchema>;

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
