/**
 * Generates specs/openapi.json, the OpenAPI 3.1 document of the logical HTTP contract of
 * onboarding drafts (the routes of examples/rest-api), from the package's zod schemas with
 * `z.toJSONSchema`. Nothing in the schemas is written by hand twice: commands, the draft, audit
 * events and problem details come from src/; only the wizard view (a TypeScript interface in
 * src/lifecycle/presenter.ts) and the response envelopes are declared here, and the view schema
 * is checked against the interface at compile time and against `describeDraft` output in
 * test/http/openapi.test.ts.
 *
 * The problem components, the problem responses and the problem table of docs/http.md are
 * derived from the error declarations (`ERROR_CATALOG`, through `PROBLEM_CATALOG` and
 * `PROBLEM_SCHEMAS`): adding an error code changes them without editing this script.
 *
 * Run: `npx tsx scripts/openapi.ts` (writes specs/openapi.json and the table in docs/http.md) or
 * `npx tsx scripts/openapi.ts --check` (exits 1 when either checked-in file is out of date).
 */
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import * as z from "zod/mini";
import {
  AuditEventSchema,
  CHECKPOINTS,
  CheckpointSchema,
  CommandSchema,
  CreateDraftInputSchema,
  IdSchema,
  IdentifyCommandSchema,
  LifecycleReasonSchema,
  LifecycleStateSchema,
  OnboardingDraftSchema,
  RunOutcomeSchema,
  RunStatusSchema,
  SelectProviderCommandSchema,
  UpdateProviderConnectionCommandSchema,
  StartVerificationCommandSchema,
  RecordVerificationResultCommandSchema,
  StartBootstrapCommandSchema,
  RecordBootstrapResultCommandSchema,
  RecordVerificationProgressCommandSchema,
  RecordBootstrapProgressCommandSchema,
  ExpireRunCommandSchema,
  ActivateCommandSchema,
  CancelCommandSchema,
  OutboxRecordSchema,
  type DraftView,
  type RunProgress,
} from "../src/index.js";
import * as http from "../src/http/index.js";
import * as root from "../src/index.js";
import {
  BlockerSchema,
  PROBLEM_CATALOG,
  PROBLEM_SCHEMAS,
  ProblemDetailsSchema,
  ValidationIssueSchema,
} from "../src/http/index.js";

/** Where the generated document lives, relative to the repository root. */
export const OPENAPI_PATH = "specs/openapi.json";

/** The version of the HTTP contract (not the package version: bump it when the contract changes). */
export const CONTRACT_VERSION = "2.1.0";

// ---------------------------------------------------------------------------------------------
// The wizard view (`describeDraft`), mirrored as zod. Strict objects: the runtime test fails on
// any field the presenter adds without this schema knowing.

const ToneSchema = z.enum(["neutral", "info", "success", "warning", "danger"]);
const CheckpointStatusSchema = z.enum(["complete", "current", "in_progress", "blocked", "stale", "pending"]);

/** One background run as the wizard shows it. */
export const RunViewSchema = z.strictObject({
  runId: z.string(),
  operation: z.string(),
  status: RunStatusSchema,
  outcome: z.nullable(RunOutcomeSchema),
  labelKey: z.string(),
  tone: ToneSchema,
  url: z.nullable(z.string()),
  message: z.nullable(z.string()),
  timedOut: z.boolean(),
  progress: z.nullable(
    z.strictObject({
      message: z.nullable(z.string()),
      percent: z.nullable(z.number()),
      reportedAt: z.nullable(z.string()),
    }),
  ),
});

/** One checkpoint as the wizard shows it. */
export const CheckpointViewSchema = z.strictObject({
  checkpoint: CheckpointSchema,
  status: CheckpointStatusSchema,
  labelKey: z.string(),
  statusLabelKey: z.string(),
  tone: ToneSchema,
  runs: z.array(RunViewSchema),
});

/** The wizard stage and polling hint. */
export const StageSchema = z.strictObject({
  step: z.enum([...CHECKPOINTS, "done", "cancelled"]),
  editable: z.boolean(),
  polling: z.nullable(z.strictObject({ intervalMs: z.int().check(z.gte(1)) })),
  state: LifecycleStateSchema,
  reason: z.nullable(LifecycleReasonSchema),
});

/** Readiness for activation. */
export const ReadinessSchema = z.strictObject({
  ready: z.boolean(),
  overridable: z.boolean(),
  blockers: z.array(BlockerSchema),
});

/** What `describeDraft` returns. */
export const DraftViewSchema = z.strictObject({
  draftId: z.string(),
  version: z.int().check(z.gte(1)),
  state: LifecycleStateSchema,
  stateLabelKey: z.string(),
  tone: ToneSchema,
  reason: z.nullable(LifecycleReasonSchema),
  reasonLabelKey: z.nullable(z.string()),
  stage: StageSchema,
  readiness: ReadinessSchema,
  checkpoints: z.array(CheckpointViewSchema),
});

// Compile-time agreement with the interface: the schema's output is a DraftView, and both
// declare the same keys at every level.
type Keys<T> = keyof T;
type SameKeys<A, B> = [Keys<A>] extends [Keys<B>] ? ([Keys<B>] extends [Keys<A>] ? true : false) : false;
type ViewOut = z.output<typeof DraftViewSchema>;
const viewIsDraftView: (value: ViewOut) => DraftView = (value) => value;
const viewKeys: [
  SameKeys<ViewOut, DraftView>,
  SameKeys<ViewOut["stage"], DraftView["stage"]>,
  SameKeys<ViewOut["readiness"], DraftView["readiness"]>,
  SameKeys<ViewOut["checkpoints"][number], DraftView["checkpoints"][number]>,
  SameKeys<ViewOut["checkpoints"][number]["runs"][number], DraftView["checkpoints"][number]["runs"][number]>,
] = [true, true, true, true, true];
void viewIsDraftView;
void viewKeys;

// ---------------------------------------------------------------------------------------------
// Response envelopes of the example routes.

const ETagSchema = z.string().check(z.regex(/^"~?[A-Za-z0-9_-]+\.[1-9][0-9]*"$/));

/** `POST /drafts`: the created (201) or resumed/replayed (200) draft. */
export const CreateDraftResponseSchema = z.object({
  draft: OnboardingDraftSchema,
  created: z.boolean(),
  replayed: z.boolean(),
});

/** `POST /commands`: the outcome of one command. */
export const MutationResponseSchema = z.object({
  draft: OnboardingDraftSchema,
  version: z.int().check(z.gte(1)),
  state: LifecycleStateSchema,
  feedback: z.enum([
    "applied",
    "queued",
    "deduped",
    "unchanged",
    "recorded",
    "activated",
    "cancelled",
    "ignored_stale_result",
    "ignored_duplicate_result",
    "ignored_terminal",
  ]),
  runIds: z.array(z.string()),
  replayed: z.boolean(),
});

/** `GET /drafts`: one page. */
export const DraftPageSchema = z.object({
  drafts: z.array(OnboardingDraftSchema),
  nextCursor: z.nullable(z.string()),
});

/** `GET /history`: one page of the audit trail (`engine.history`). */
export const DraftHistorySchema = z.object({
  events: z.array(AuditEventSchema),
  nextCursor: z.nullable(z.string()),
  endCursor: z.nullable(z.string()),
});

/** One run's last progress report (`engine.runProgress`). */
export const RunProgressSchema = z.strictObject({
  runId: z.string(),
  reportedAt: z.nullable(z.string()),
  message: z.nullable(z.string()),
  percent: z.nullable(z.number()),
});
const progressIsRunProgress: (value: z.output<typeof RunProgressSchema>) => RunProgress = (value) => value;
const progressKeys: SameKeys<z.output<typeof RunProgressSchema>, RunProgress> = true;
void progressIsRunProgress;
void progressKeys;

/** `GET /runs`: the last progress report of each of the draft's runs. */
export const RunProgressListSchema = z.object({ runs: z.array(RunProgressSchema) });

/** `GET /deliveries/dead`: one page of dead outbox entries (`dispatcher.listDead`). */
export const DeadDeliveriesSchema = z.object({
  entries: z.array(OutboxRecordSchema),
  nextCursor: z.nullable(z.string()),
});

/** `POST /deliveries/{entryId}/requeue`: whether a dead entry was made pending again. */
export const RequeueResponseSchema = z.object({ requeued: z.boolean() });

/** `GET /view`: what the wizard renders. */
export const DraftViewResponseSchema = z.object({
  etag: ETagSchema,
  draft: OnboardingDraftSchema,
  view: DraftViewSchema,
});

// ---------------------------------------------------------------------------------------------

type JsonSchema = Record<string, unknown>;

const COMMAND_COMPONENTS = {
  IdentifyCommand: IdentifyCommandSchema,
  SelectProviderCommand: SelectProviderCommandSchema,
  UpdateProviderConnectionCommand: UpdateProviderConnectionCommandSchema,
  StartVerificationCommand: StartVerificationCommandSchema,
  RecordVerificationResultCommand: RecordVerificationResultCommandSchema,
  StartBootstrapCommand: StartBootstrapCommandSchema,
  RecordBootstrapResultCommand: RecordBootstrapResultCommandSchema,
  RecordVerificationProgressCommand: RecordVerificationProgressCommandSchema,
  RecordBootstrapProgressCommand: RecordBootstrapProgressCommandSchema,
  ExpireRunCommand: ExpireRunCommandSchema,
  ActivateCommand: ActivateCommandSchema,
  CancelCommand: CancelCommandSchema,
} as const;

// One component per problem schema, all derived from the error declarations (ERROR_CATALOG).
const PROBLEM_COMPONENTS: Readonly<Record<string, z.core.$ZodType>> = PROBLEM_SCHEMAS;

function generate(entries: Record<string, z.core.$ZodType>, io: "input" | "output"): Record<string, JsonSchema> {
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of Object.entries(entries)) registry.add(schema, { id });
  const { schemas } = z.toJSONSchema(registry, {
    target: "draft-2020-12",
    io,
    unrepresentable: "throw",
    uri: (id) => `#/components/schemas/${id}`,
  });
  const out: Record<string, JsonSchema> = {};
  for (const [id, schema] of Object.entries(schemas)) {
    const { $schema: _schema, $id: _id, ...rest } = schema as JsonSchema;
    out[id] = rest;
  }
  return out;
}

const ref = (name: string): JsonSchema => ({ $ref: `#/components/schemas/${name}` });

function statusesOf(schema: JsonSchema): number[] {
  const status = (schema["properties"] as Record<string, JsonSchema>)["status"] as JsonSchema;
  return status["const"] !== undefined ? [status["const"] as number] : (status["enum"] as number[]);
}

function codeOf(schema: JsonSchema): string[] {
  const code = (schema["properties"] as Record<string, JsonSchema>)["code"] as JsonSchema;
  return code["const"] !== undefined ? [code["const"] as string] : (code["enum"] as string[]);
}

/** Builds the OpenAPI 3.1 document (deterministic: same schemas, same JSON). */
export function buildOpenApiDocument(): JsonSchema {
  const requests = generate(
    { CreateDraftInput: CreateDraftInputSchema, Command: CommandSchema, ...COMMAND_COMPONENTS },
    "input",
  );
  const responses = generate(
    {
      Draft: OnboardingDraftSchema,
      AuditEvent: AuditEventSchema,
      Blocker: BlockerSchema,
      ValidationIssue: ValidationIssueSchema,
      DraftView: DraftViewSchema,
      CreateDraftResponse: CreateDraftResponseSchema,
      MutationResponse: MutationResponseSchema,
      DraftPage: DraftPageSchema,
      DraftHistory: DraftHistorySchema,
      DraftViewResponse: DraftViewResponseSchema,
      RunProgress: RunProgressSchema,
      RunProgressList: RunProgressListSchema,
      OutboxRecord: OutboxRecordSchema,
      DeadDeliveries: DeadDeliveriesSchema,
      RequeueResponse: RequeueResponseSchema,
      ProblemDetails: ProblemDetailsSchema,
      ...PROBLEM_COMPONENTS,
    },
    "output",
  );
  const schemas: Record<string, JsonSchema> = { ...requests, ...responses };

  // Discriminators for code generators (the oneOf members are all $refs).
  const commandMapping: Record<string, string> = {};
  for (const name of Object.keys(COMMAND_COMPONENTS)) {
    const type = ((schemas[name] as JsonSchema)["properties"] as Record<string, JsonSchema>)["type"] as JsonSchema;
    commandMapping[type["const"] as string] = `#/components/schemas/${name}`;
  }
  schemas["Command"] = { ...schemas["Command"], discriminator: { propertyName: "type", mapping: commandMapping } };
  const problemMapping: Record<string, string> = {};
  const byStatus = new Map<number, string[]>();
  for (const name of Object.keys(PROBLEM_COMPONENTS)) {
    const schema = schemas[name] as JsonSchema;
    for (const code of codeOf(schema)) problemMapping[code] = `#/components/schemas/${name}`;
    schemas[name] = {
      description: codeOf(schema)
        .map((code) => `\`${code}\`: ${PROBLEM_CATALOG[code as keyof typeof PROBLEM_CATALOG].title}.`)
        .join(" "),
      ...schema,
    };
    for (const status of statusesOf(schema)) byStatus.set(status, [...(byStatus.get(status) ?? []), name]);
  }
  schemas["ProblemDetails"] = {
    ...schemas["ProblemDetails"],
    description:
      "RFC 9457 problem details. `type` is a stable URI per `code` (base configurable); the other members depend on `code`.",
    discriminator: { propertyName: "code", mapping: problemMapping },
  };

  const problemResponses: Record<string, JsonSchema> = {};
  // Each response says which problems it carries, from their declared titles.
  const STATUS_TEXT = new Map<number, string[]>();
  for (const [code, declaration] of Object.entries(PROBLEM_CATALOG)) {
    for (const status of new Set([declaration.status, declaration.statusWithoutIfMatch])) {
      const note =
        declaration.status === declaration.statusWithoutIfMatch
          ? ""
          : status === declaration.status
            ? " (If-Match)"
            : " (without If-Match)";
      STATUS_TEXT.set(status, [...(STATUS_TEXT.get(status) ?? []), `\`${code}\`: ${declaration.title}${note}`]);
    }
  }
  for (const [status, names] of [...byStatus.entries()].sort(([a], [b]) => a - b)) {
    const schema: JsonSchema = names.length === 1 ? ref(names[0] as string) : { oneOf: names.map(ref) };
    problemResponses[`Problem${status}`] = {
      description: (STATUS_TEXT.get(status) ?? []).join("; "),
      ...(status === 503 ? { headers: { "Retry-After": { $ref: "#/components/headers/RetryAfter" } } } : {}),
      content: { "application/problem+json": { schema } },
    };
  }
  const problems = (...statuses: number[]): Record<string, JsonSchema> =>
    Object.fromEntries(statuses.map((status) => [String(status), { $ref: `#/components/responses/Problem${status}` }]));

  const idSchema = generate({ Id: IdSchema }, "output")["Id"] as JsonSchema;
  const parameter = (
    name: string,
    location: "path" | "query" | "header",
    schema: JsonSchema,
    description: string,
    required = location === "path",
  ) => ({
    name,
    in: location,
    required,
    description,
    schema,
  });
  const etagHeader = { ETag: { $ref: "#/components/headers/ETag" } };
  const notModified = { "304": { $ref: "#/components/responses/NotModified" } };
  const ifNoneMatch = { $ref: "#/components/parameters/IfNoneMatch" };
  const json = (schema: JsonSchema) => ({ "application/json": { schema } });
  const draftParams = [{ $ref: "#/components/parameters/WorkspaceId" }, { $ref: "#/components/parameters/DraftId" }];

  return {
    openapi: "3.1.0",
    info: {
      title: "onboarding-lifecycle HTTP contract",
      version: CONTRACT_VERSION,
      summary: "Onboarding drafts over HTTP: strong ETags, If-Match preconditions and RFC 9457 problem details.",
      description:
        "The logical HTTP contract served by examples/rest-api and built from onboarding-lifecycle/http. " +
        "Generated from the package's zod schemas by scripts/openapi.ts; do not edit by hand. " +
        "Every mutation of an existing draft by an operator needs If-Match with the draft's ETag (428 without it, " +
        "412 when it is stale); worker reports (record_*_result) are matched by runId instead. See docs/http.md.",
      license: { name: "MIT", identifier: "MIT" },
    },
    jsonSchemaDialect: "https://spec.openapis.org/oas/3.1/dialect/base",
    servers: [{ url: "http://127.0.0.1:3000", description: "examples/rest-api (local)" }],
    tags: [
      { name: "drafts", description: "Onboarding drafts" },
      { name: "runs", description: "Background runs: progress, and outbox deliveries the dispatcher gave up on" },
    ],
    paths: {
      "/workspaces/{workspaceId}/drafts": {
        parameters: [{ $ref: "#/components/parameters/WorkspaceId" }],
        get: {
          operationId: "listDrafts",
          tags: ["drafts"],
          summary: "List drafts (keyset pagination by createdAt, id)",
          parameters: [
            parameter(
              "state",
              "query",
              generate({ S: LifecycleStateSchema }, "output")["S"] as JsonSchema,
              "Only drafts in this state.",
            ),
            parameter("limit", "query", { type: "integer", minimum: 1, maximum: 500, default: 50 }, "Page size."),
            parameter("cursor", "query", { type: "string" }, "The nextCursor of the previous page."),
          ],
          responses: {
            "200": { description: "One page", content: json(ref("DraftPage")) },
            ...problems(403, 422, 500),
          },
        },
        post: {
          operationId: "createDraft",
          tags: ["drafts"],
          summary: "Create a draft (or resume the tenant's open draft)",
          parameters: [
            parameter(
              "onExisting",
              "query",
              { type: "string", enum: ["error", "resume"], default: "error" },
              "The tenant already has an open draft: 409 open_draft_exists (error) or return it (resume).",
            ),
            { $ref: "#/components/parameters/IdempotencyKey" },
          ],
          requestBody: { required: false, content: json(ref("CreateDraftInput")) },
          responses: {
            "201": {
              description: "Created",
              headers: { ...etagHeader, Location: { description: "The draft's URL", schema: { type: "string" } } },
              content: json(ref("CreateDraftResponse")),
            },
            "200": {
              description: "Resumed or replayed (created: false)",
              headers: etagHeader,
              content: json(ref("CreateDraftResponse")),
            },
            ...problems(400, 403, 409, 422, 500, 503),
          },
        },
      },
      "/workspaces/{workspaceId}/drafts/{draftId}": {
        parameters: draftParams,
        get: {
          operationId: "getDraft",
          tags: ["drafts"],
          summary: "Read a draft (never locks, never changes the version)",
          parameters: [ifNoneMatch],
          responses: {
            "200": { description: "The draft", headers: etagHeader, content: json(ref("Draft")) },
            ...notModified,
            ...problems(403, 404, 422, 500),
          },
        },
      },
      "/workspaces/{workspaceId}/drafts/{draftId}/view": {
        parameters: draftParams,
        get: {
          operationId: "getDraftView",
          tags: ["drafts"],
          summary: "What a wizard shows: stage, polling hint, readiness and checkpoint badges (describeDraft)",
          parameters: [
            parameter(
              "pollIntervalMs",
              "query",
              { type: "integer", minimum: 50, maximum: 999999 },
              "Override the polling hint's interval (tests).",
            ),
            ifNoneMatch,
          ],
          responses: {
            "200": {
              description:
                "The view, the draft and its ETag. The ETag header (and 304) only when the view depends on the draft alone: " +
                "not when the readiness policy ages verifications (verificationMaxAgeMs makes it depend on the clock), nor " +
                "when it shows a worker's progress report on an active run (heartbeats never bump the version).",
              headers: etagHeader,
              content: json(ref("DraftViewResponse")),
            },
            ...notModified,
            ...problems(403, 404, 422, 500),
          },
        },
      },
      "/workspaces/{workspaceId}/drafts/{draftId}/commands": {
        parameters: draftParams,
        post: {
          operationId: "executeCommand",
          tags: ["drafts"],
          summary: "Run one command (discriminated by type)",
          description:
            "Operator commands need If-Match with the draft's current ETag: 428 without it, 412 when stale. " +
            "`If-Match: *` writes against whatever version is current. Worker reports (record_*_result, " +
            "record_*_progress, expire_run) need no If-Match (it is ignored); they are matched by runId, and " +
            "progress reports never change the draft's version or ETag.",
          parameters: [{ $ref: "#/components/parameters/IfMatch" }, { $ref: "#/components/parameters/IdempotencyKey" }],
          requestBody: { required: true, content: json(ref("Command")) },
          responses: {
            "200": {
              description: "The command's outcome and the new ETag",
              headers: etagHeader,
              content: json(ref("MutationResponse")),
            },
            ...problems(400, 403, 404, 409, 412, 422, 428, 500, 503),
          },
        },
      },
      "/workspaces/{workspaceId}/drafts/{draftId}/history": {
        parameters: draftParams,
        get: {
          operationId: "getDraftHistory",
          tags: ["drafts"],
          summary: "One page of the audit trail, oldest first (append order) or newest first",
          description:
            "Keyset pages of a draft's audit trail: each page is one range read of the store, however long the " +
            'trail. `nextCursor` (and the `Link: rel="next"` header) is null on the last page; `endCursor` ' +
            "points past the page's last entry even then, so a follower that keeps it later reads only what " +
            "was appended since. A cursor is opaque and tied to its draft and order: a malformed or altered " +
            "one, or one of another draft, is a 422.",
          parameters: [
            parameter("limit", "query", { type: "integer", minimum: 1, maximum: 1000, default: 100 }, "Page size."),
            parameter("cursor", "query", { type: "string" }, "The nextCursor (or endCursor) of an earlier page."),
            parameter(
              "order",
              "query",
              { type: "string", enum: ["oldest_first", "newest_first"], default: "oldest_first" },
              "oldest_first (append order) or newest_first; a cursor goes on in the order it was made in.",
            ),
          ],
          responses: {
            "200": {
              description: "Audit events",
              headers: {
                Link: {
                  description: 'The next page, RFC 8288 (`<...>; rel="next"`); absent on the last page.',
                  schema: { type: "string" },
                },
              },
              content: json(ref("DraftHistory")),
            },
            ...problems(403, 404, 422, 500),
          },
        },
      },
      "/workspaces/{workspaceId}/drafts/{draftId}/runs": {
        parameters: draftParams,
        get: {
          operationId: "getRunProgress",
          tags: ["runs"],
          summary: "The last progress report (heartbeat) of each of the draft's runs",
          description:
            "Progress lives beside the versioned record: reports never change the draft's version or ETag, " +
            "so this route has no ETag and never answers 304.",
          responses: {
            "200": { description: "One entry per run", content: json(ref("RunProgressList")) },
            ...problems(403, 404, 422, 500),
          },
        },
      },
      "/workspaces/{workspaceId}/deliveries/dead": {
        parameters: [{ $ref: "#/components/parameters/WorkspaceId" }],
        get: {
          operationId: "listDeadDeliveries",
          tags: ["runs"],
          summary: "Outbox entries the dispatcher parked as dead, oldest first (needs view)",
          description:
            "An entry is dead after the dispatcher's maxAttempts failed deliveries; its lastError says the " +
            "last failure. Served only when the app is given a dispatcher.",
          parameters: [
            parameter("limit", "query", { type: "integer", minimum: 1, maximum: 500, default: 100 }, "Page size."),
            parameter("cursor", "query", { type: "string" }, "The nextCursor of the previous page."),
          ],
          responses: {
            "200": { description: "One page", content: json(ref("DeadDeliveries")) },
            ...problems(403, 422, 500),
          },
        },
      },
      "/workspaces/{workspaceId}/deliveries/{entryId}/requeue": {
        parameters: [
          { $ref: "#/components/parameters/WorkspaceId" },
          parameter("entryId", "path", idSchema, "The dead outbox entry."),
        ],
        post: {
          operationId: "requeueDelivery",
          tags: ["runs"],
          summary: "Make a dead entry pending again (attempts 0), audited on its draft (needs verify and bootstrap)",
          description:
            "`requeued: false` when the entry is not dead (already requeued, delivered, or not there): nothing " +
            "changed, so a repeated click is harmless. The dispatcher delivers it on its next claim.",
          responses: {
            "200": { description: "Whether it was requeued", content: json(ref("RequeueResponse")) },
            ...problems(403, 422, 500),
          },
        },
      },
    },
    components: {
      schemas: Object.fromEntries(Object.entries(schemas).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
      parameters: {
        WorkspaceId: parameter("workspaceId", "path", idSchema, "The workspace; every access is scoped to it."),
        DraftId: parameter("draftId", "path", idSchema, "The draft's id."),
        IfMatch: parameter(
          "If-Match",
          "header",
          { type: "string" },
          "The draft's ETag (strong comparison: weak W/ tags never match), a list of tags, or *. Required for operator commands.",
        ),
        IfNoneMatch: parameter(
          "If-None-Match",
          "header",
          { type: "string" },
          "The ETag the client already has (weak comparison: W/ tags match too), a list of tags, or *. 304 while the draft is unchanged.",
        ),
        IdempotencyKey: parameter(
          "Idempotency-Key",
          "header",
          { type: "string", minLength: 1, maxLength: 255 },
          "Makes retries safe: the same key with the same command returns the first outcome; with another command, 409.",
        ),
      },
      headers: {
        ETag: {
          description:
            'Strong entity tag of the draft: "<base64url(id)>.<version>". Send it back in If-Match (writes) or If-None-Match (polling).',
          schema: { type: "string" },
        },
        RetryAfter: { description: "Seconds to wait before retrying.", schema: { type: "integer" } },
      },
      responses: {
        NotModified: {
          description:
            "Not Modified: If-None-Match matched the draft's current ETag; no body, keep the representation you have",
          headers: etagHeader,
        },
        ...problemResponses,
      },
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The problem table of docs/http.md, from the same declarations.

/** Where the problem table lives, and the comments around it. */
export const PROBLEM_TABLE_PATH = "docs/http.md";
const TABLE_START =
  "<!-- problem-table:start (generated by scripts/openapi.ts from ERROR_CATALOG; npm run openapi) -->";
const TABLE_END = "<!-- problem-table:end -->";

/** The class name of each error code, found among the exports of the root and http entries. */
function classNames(): Map<string, string> {
  const names = new Map<string, string>();
  for (const [name, value] of Object.entries({ ...root, ...http })) {
    if (typeof value === "function" && "errorCode" in value) names.set(String(value.errorCode), name);
  }
  return names;
}

/** One data member as the table shows it: name, allowed values, array items, optional, null. */
function describeMember(name: string, schema: JsonSchema, required: boolean): string {
  const options = (schema["anyOf"] as JsonSchema[] | undefined) ?? [schema];
  const isNull = (type: unknown): boolean => type === "null" || (Array.isArray(type) && type.includes("null"));
  const nullable = options.some((option) => isNull(option["type"]));
  const value = options.find((option) => option["type"] !== "null") ?? schema;
  let text = `\`${name}\``;
  const items = value["items"] as JsonSchema | undefined;
  if (value["type"] === "array" && items?.["properties"] !== undefined) {
    text = `\`${name}[]\` (${Object.keys(items["properties"] as JsonSchema)
      .map((key) => `\`${key}\``)
      .join(", ")})`;
  } else if (Array.isArray(value["enum"])) {
    text += ` (${(value["enum"] as string[]).map((entry) => `\`${entry}\``).join(", ")})`;
  }
  if (nullable) text += " or `null`";
  if (!required) text += " when known";
  return text;
}

/** The Markdown table of every problem code: the error, its code, status and data members. */
export function renderProblemTable(): string {
  const names = classNames();
  const rows = ["| Error | `code` | Status | Title | Extra members |", "|---|---|---|---|---|"];
  for (const [code, declaration] of Object.entries(PROBLEM_CATALOG)) {
    const json = z.toJSONSchema(declaration.data, {
      target: "draft-2020-12",
      io: "output",
      unrepresentable: "throw",
    }) as JsonSchema;
    const properties = (json["properties"] ?? {}) as Record<string, JsonSchema>;
    const required = new Set((json["required"] as string[] | undefined) ?? []);
    const members = Object.entries(properties).map(([name, schema]) =>
      describeMember(name, schema, required.has(name)),
    );
    let status = String(declaration.status);
    if (declaration.statusWithoutIfMatch !== declaration.status)
      status = `**${declaration.status}** with \`If-Match\`, **${declaration.statusWithoutIfMatch}** otherwise`;
    if (declaration.status === 503) status += " (+ `Retry-After: 1`)";
    const error = names.has(code) ? `\`${names.get(code)}\`` : "anything else";
    const extra = declaration.serverSide ? "none (generic `detail`)" : members.join(", ") || "none";
    rows.push(`| ${error} | \`${code}\` | ${status} | ${declaration.title} | ${extra} |`);
  }
  return `${rows.join("\n")}\n`;
}

/** `text` (docs/http.md) with the table between its markers replaced by `renderProblemTable()`. */
export function withProblemTable(text: string): string {
  const start = text.indexOf(TABLE_START);
  const end = text.indexOf(TABLE_END);
  if (start < 0 || end < start) throw new Error(`${PROBLEM_TABLE_PATH} has no problem-table markers`);
  return `${text.slice(0, start + TABLE_START.length)}\n${renderProblemTable()}${text.slice(end)}`;
}

/** The JSON text written to specs/openapi.json. */
export function renderOpenApiDocument(): string {
  return `${JSON.stringify(buildOpenApiDocument(), null, 2)}\n`;
}

const ROOT = fileURLToPath(new URL("../", import.meta.url));

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const read = (path: string): string => {
    try {
      return readFileSync(`${ROOT}${path}`, "utf8");
    } catch {
      return ""; // missing file: out of date
    }
  };
  const docs = read(PROBLEM_TABLE_PATH);
  const outputs: [string, string, string][] = [
    [OPENAPI_PATH, read(OPENAPI_PATH), renderOpenApiDocument()],
    [PROBLEM_TABLE_PATH, docs, withProblemTable(docs)],
  ];
  for (const [path, current, text] of outputs) {
    if (process.argv.includes("--check")) {
      if (current !== text) {
        console.error(`${path} is out of date: run \`npx tsx scripts/openapi.ts\``);
        process.exitCode = 1;
      } else {
        console.log(`${path} is up to date`);
      }
    } else {
      writeFileSync(`${ROOT}${path}`, text);
      console.log(`wrote ${path}`);
    }
  }
}
