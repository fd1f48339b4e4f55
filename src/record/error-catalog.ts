/**
 * The one declaration of every error code, the way zod declares its issues (a union on
 * `code`): for each code, the HTTP status and title of its problem and the zod schema of the
 * data a client may see. The error classes (./errors.ts) carry that data, typed from here
 * ({@link ErrorData}); the HTTP layer derives from it the problem-details schemas, `toProblem`
 * and the OpenAPI components (scripts/openapi.ts), and docs/http.md's table.
 *
 * A module of its own so that the pure core, which only throws errors, never loads it: the
 * classes import its types only.
 */
import * as z from "zod/mini";
import { BlockerCode, Capability, Checkpoint, LifecycleState } from "../vocabulary/index.js";
import type { ErrorCode } from "./error-code.js";
import type { DeepReadonly } from "./schema.js";

// ---------------------------------------------------------------------------------------------
// The declaration of every code.

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
  /** A human-readable description of the problem, in English. */
  message: z.string(),
});

/**
 * One readiness blocker, as `NotReadyError.blockers` carries it.
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

/** The `detail` of every server-side problem: nothing about the failure itself. */
const SERVER_SIDE_DETAIL = "The server could not complete the request. The failure was logged; try again later.";

/**
 * The declaration of one error code (an entry of {@link ERROR_CATALOG}): how its problem
 * details look. Everything else (the problem-details schemas, `toProblem`, the OpenAPI
 * components, the table in docs/http.md) is derived from it.
 *
 * @example
 * ```ts
 * const { status, title, data } = ERROR_CATALOG.not_ready;
 * Object.keys(data.shape); // ["draftId", "blockers", "overridable"]
 * ```
 */
export interface ErrorDeclaration<
  Status extends number = number,
  Problem extends string = string,
  Shape extends z.core.$ZodShape = z.core.$ZodShape,
  Derived extends string = string,
> {
  /** A short, fixed summary of the problem type: the problem's `title`. */
  readonly title: string;
  /** The HTTP status of the problem (for `version_conflict`: when the version came from `If-Match`). */
  readonly status: Status;
  /** The HTTP status when the request's version did not come from `If-Match` (differs only for `version_conflict`). */
  readonly statusWithoutIfMatch: Status;
  /**
   * The name of the code's problem schema: `<problem>ProblemSchema` in `onboarding-lifecycle/http`
   * and the OpenAPI component `<problem>Problem`. Codes that share a name share the schema (and
   * must then declare the same data).
   */
  readonly problem: Problem;
  /**
   * The data a client may see: the problem's members besides `type`, `title`, `status`,
   * `detail`, `instance` and `code`. The error carries each of them as a field of the same name,
   * except the `derived` ones.
   */
  readonly data: z.ZodMiniObject<Shape>;
  /** Members of `data` the HTTP layer computes from the error (an ETag from a draft) instead of copying a field. */
  readonly derived: readonly Derived[];
  /**
   * A server-side failure: the problem gets a generic `detail` and no data, whatever the error
   * carries, so nothing internal (SQL, driver messages, record paths) reaches a client.
   */
  readonly serverSide: boolean;
  /**
   * The problem's `detail` from its public data and the error's message (default: the message).
   * Declared where the message names something a client must not see (a workspace, an actor).
   */
  detail(data: z.output<z.ZodMiniObject<Shape>>, message: string): string;
}

/**
 * Declares one error code (see {@link ErrorDeclaration}): `data` is the shape of the public
 * data, `serverSide: true` a failure that shows nothing. Internal to the package (the catalog
 * and the HTTP layer's `internal_error` use it); not exported from any entry point.
 */
/* @__NO_SIDE_EFFECTS__ */
export function defineError<
  const S extends number,
  const P extends string,
  Shape extends z.core.$ZodShape = Record<never, never>,
  const D extends keyof Shape & string = never,
  const W extends number = S,
>(
  declaration:
    | {
        readonly status: S;
        readonly statusWithoutIfMatch?: W;
        readonly title: string;
        readonly problem: P;
        readonly data?: Shape;
        readonly derived?: readonly D[];
        readonly detail?: (data: z.output<z.ZodMiniObject<Shape>>, message: string) => string;
        readonly serverSide?: false;
      }
    | {
        readonly status: S;
        readonly title: string;
        readonly problem: P;
        readonly serverSide: true;
      },
): ErrorDeclaration<NoInfer<S | W>, NoInfer<P>, NoInfer<Shape>, NoInfer<D>> {
  const open = declaration.serverSide === true ? null : declaration;
  return {
    title: declaration.title,
    status: declaration.status,
    statusWithoutIfMatch: open?.statusWithoutIfMatch ?? declaration.status,
    problem: declaration.problem,
    data: z.object((open?.data ?? {}) as Shape),
    derived: open?.derived ?? [],
    serverSide: open === null,
    detail: open === null ? () => SERVER_SIDE_DETAIL : (open.detail ?? ((_data, message) => message)),
  };
}

const DraftId = z.string();

/**
 * The declaration of every {@link ErrorCode}: its problem's HTTP status and title and the zod
 * schema of the data a client may see. The single source of the error classes' public fields,
 * of `ProblemDetailsSchema`, `PROBLEM_CATALOG` and `toProblem` (in `onboarding-lifecycle/http`)
 * and of the problem components of specs/openapi.json.
 *
 * @example
 * ```ts
 * ERROR_CATALOG.version_conflict.status; // 412 (409 without If-Match: statusWithoutIfMatch)
 * Object.keys(ERROR_CATALOG.draft_not_found.data.shape); // ["draftId"]
 * ```
 */
export const ERROR_CATALOG = {
  /** 422: the input failed its zod schema (`ValidationError`). */
  validation_failed: defineError({
    status: 422,
    title: "Invalid input",
    problem: "Validation",
    data: {
      /**
       * What was validated: `command` (the command body), `create` (the create input), `options`
       * (ids, actor, `expectedVersion`, idempotency key, list options), `audit` or `idempotency`.
       */
      target: z.enum(["command", "create", "options", "audit", "idempotency"]),
      /** Every problem found, each with its path into the input. */
      issues: z.array(ValidationIssueSchema),
    },
  }),
  /** 412 with `If-Match`, 409 otherwise: a stale version (`VersionConflictError`). */
  version_conflict: defineError({
    status: 412,
    statusWithoutIfMatch: 409,
    title: "Version conflict",
    problem: "VersionConflict",
    data: {
      /** The version the request was based on (from `If-Match` or the caller's `expectedVersion`). */
      expectedVersion: z.int(),
      /** The draft's version in the store now. */
      actualVersion: z.int(),
      /** The strong ETag of the current version: reload the draft, then retry with it in `If-Match`. */
      currentETag: z.string(),
      /**
       * Who made the change the request missed: the actor, the command, and whether it was a
       * background worker's report (`record_*_result`, `expire_run`); `null` when unknown.
       */
      changedBy: z.nullable(
        z.object({
          /** The actor of the commit that produced the current version. */
          actorId: z.string(),
          /** Its command type. */
          commandType: z.string(),
          /** Whether it was a background worker's report rather than an operator's command. */
          worker: z.boolean(),
        }),
      ),
    },
    // The ETag of the error's current draft; the draft itself stays on the server (the engine
    // checks versions before authorization, so it could reach a caller without `view`).
    derived: ["currentETag"],
  }),
  /** 409: the draft is completed or cancelled (`TerminalDraftError`). */
  terminal_draft: defineError({
    status: 409,
    title: "Draft is completed or cancelled",
    problem: "TerminalDraft",
    data: {
      /** The draft's id. */
      draftId: DraftId,
      /** The draft's terminal lifecycle state (`completed` or `cancelled`). */
      state: z.enum(LifecycleState),
      /** The command that was refused. */
      commandType: z.string(),
    },
  }),
  /** 409: activation refused, blockers remain (`NotReadyError`). */
  not_ready: defineError({
    status: 409,
    title: "Not ready for activation",
    problem: "NotReady",
    data: {
      /** The draft's id. */
      draftId: DraftId,
      /** Everything that stands in the way of activation. */
      blockers: z.array(BlockerSchema),
      /** Whether an activation with an override (reason plus capability) would have been accepted. */
      overridable: z.boolean(),
    },
  }),
  /** 403: `authorize` denied a capability (`AuthorizationError`). */
  forbidden: defineError({
    status: 403,
    title: "Forbidden",
    problem: "Forbidden",
    data: {
      /** The capability `authorize` refused (one of `Capability`). */
      capability: z.enum(Capability),
      /** The draft the request was about, or `null` for requests on no single draft (create, list). */
      draftId: z.nullable(DraftId),
    },
    // The message names the actor; the problem does not echo it.
    detail: ({ capability, draftId }) =>
      `Not allowed to ${capability}${draftId === null ? "" : ` on draft ${draftId}`}`,
  }),
  /** 404: no such draft in the workspace (`DraftNotFoundError`). */
  draft_not_found: defineError({
    status: 404,
    title: "Draft not found",
    problem: "DraftNotFound",
    data: {
      /** The id that was asked for. */
      draftId: DraftId,
    },
    // The message names the workspace.
    detail: ({ draftId }) => `No onboarding draft ${draftId} here`,
  }),
  /** 404: a worker reported on a run the draft never had (`UnknownRunError`). */
  unknown_run: defineError({
    status: 404,
    title: "Unknown run",
    problem: "UnknownRun",
    data: {
      /** The draft the report named. */
      draftId: DraftId,
      /** The run id the report carried. */
      runId: z.string(),
      /** The report's command type (`record_verification_result` or `record_bootstrap_result`). */
      commandType: z.string(),
    },
  }),
  /** 409: a start with policy `reject` while a run is active (`RunActiveError`). */
  run_active: defineError({
    status: 409,
    title: "A run is already active",
    problem: "RunActive",
    data: {
      /** The draft. */
      draftId: DraftId,
      /** The start command (`start_verification` or `start_bootstrap`). */
      commandType: z.string(),
      /** The active runs that refused the start. */
      runIds: z.array(z.string()),
    },
  }),
  /** 409: an idempotency key reused for another command (`IdempotencyKeyReuseError`). */
  idempotency_key_reuse: defineError({
    status: 409,
    title: "Idempotency key reused",
    problem: "IdempotencyKeyReuse",
    data: {
      /** The idempotency key the request sent. */
      idempotencyKey: z.string(),
      /** The command type the key was first used with. */
      originalCommandType: z.string(),
    },
    // The message names the draft the key was first used on, possibly one the caller cannot see.
    detail: ({ idempotencyKey, originalCommandType }) =>
      `Idempotency key ${JSON.stringify(idempotencyKey)} was already used for a different ${originalCommandType} request`,
  }),
  /** 409: the command is not possible in the current state (`InvalidTransitionError`). */
  invalid_transition: defineError({
    status: 409,
    title: "Command not possible in this state",
    problem: "InvalidTransition",
    data: {
      /** The draft's id. */
      draftId: DraftId,
      /** The refused command. */
      commandType: z.string(),
      /** The draft's lifecycle state when the command was refused. */
      state: z.enum(LifecycleState),
      /** A stable token for what is missing, e.g. `identity_required`, `verification_succeeded_required`. */
      requirement: z.string(),
    },
  }),
  /** 409: the tenant already has an open draft (`OpenDraftExistsError`). */
  open_draft_exists: defineError({
    status: 409,
    title: "Tenant already has an open draft",
    problem: "OpenDraftExists",
    data: {
      /** The tenant the create request was for. */
      tenantId: z.string(),
      /** The tenant's open draft in this workspace: resume it instead. */
      existingDraftId: DraftId,
    },
    // The message names the workspace.
    detail: ({ tenantId, existingDraftId }) =>
      `Tenant ${tenantId} already has an open onboarding draft (${existingDraftId})`,
  }),
  /** 503: a worker report kept conflicting (`RetryExhaustedError`). */
  retry_exhausted: defineError({
    status: 503,
    title: "Too many concurrent writes",
    problem: "RetryExhausted",
    data: {
      /** The draft's id. */
      draftId: DraftId,
      /** How many attempts the engine made before giving up. */
      attempts: z.int(),
    },
    detail: () => "The draft is being changed by too many writers at once; retry shortly",
  }),
  /** 500, server-side: a stored record is unreadable (`CorruptRecordError`). */
  corrupt_record: defineError({
    status: 500,
    title: "Stored record is unreadable",
    problem: "Internal",
    serverSide: true,
  }),
  /** 500, server-side: the storage adapter failed (`StoreError`). */
  store_failure: defineError({ status: 500, title: "Storage failure", problem: "Internal", serverSide: true }),
  /** 500, server-side: the database schema is newer than the package, or not one it knows (`SchemaVersionError`). */
  schema_version: defineError({
    status: 500,
    title: "Database schema version mismatch",
    problem: "Internal",
    serverSide: true,
  }),
  /** 500, server-side: invalid options or policy (`ConfigurationError`). */
  configuration: defineError({ status: 500, title: "Server misconfiguration", problem: "Internal", serverSide: true }),
  /** 428: a mutation without `If-Match` (`PreconditionRequiredError`). */
  precondition_required: defineError({
    status: 428,
    title: "Precondition required",
    problem: "PreconditionRequired",
    data: {
      /** The draft the mutation was aimed at. */
      draftId: DraftId,
    },
  }),
  /** 412: `If-Match` names no strong tag of the draft (`PreconditionFailedError`). */
  precondition_failed: defineError({
    status: 412,
    title: "Precondition failed",
    problem: "PreconditionFailed",
    data: {
      /** The draft the mutation was aimed at. */
      draftId: DraftId,
      /**
       * Why no tag could match: `empty` (an empty `If-Match` value), `weak_only` (only `W/` tags,
       * which never match) or `no_matching_tag` (only tags of other drafts or foreign tags).
       */
      reason: z.enum(["empty", "weak_only", "no_matching_tag"]),
      /** The strong ETag of the draft's current version, when the server knew it: reload, then retry with it. */
      currentETag: z.optional(z.string()),
    },
    // From the error's draft id and current version, when it knows the version.
    derived: ["currentETag"],
  }),
  /** 400: `If-Match` is not valid syntax (`InvalidIfMatchError`). */
  invalid_if_match: defineError({ status: 400, title: "Invalid If-Match header", problem: "BadRequest" }),
  /** 400: the request body is not valid JSON (`MalformedRequestError`). */
  malformed_request: defineError({ status: 400, title: "Malformed request", problem: "BadRequest" }),
} as const satisfies { readonly [C in ErrorCode]: ErrorDeclaration };

/**
 * The public data of errors with code `C`, as the error classes carry it: the members of
 * {@link ERROR_CATALOG}`[C].data` except the derived ones (read-only all the way down).
 *
 * @example
 * ```ts
 * const data: ErrorData<"draft_not_found"> = { draftId: "d-1" };
 * ```
 */
export type ErrorData<C extends ErrorCode> = DeepReadonly<
  Omit<z.output<(typeof ERROR_CATALOG)[C]["data"]>, (typeof ERROR_CATALOG)[C]["derived"][number]>
>;

/**
 * One problem found while validating input or a stored record: a plain, serialisable summary of
 * a zod issue (see {@link ValidationIssueSchema}).
 */
export type ValidationIssue = DeepReadonly<z.output<typeof ValidationIssueSchema>>;

/** What a {@link ValidationError} was validating. */
export type ValidationTarget = ErrorData<"validation_failed">["target"];
