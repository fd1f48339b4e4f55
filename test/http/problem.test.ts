/**
 * Problem details (RFC 9457): every error code's status, type, title and data; no internals for
 * server-side failures; the response helper.
 */
import { describe, expect, it } from "vitest";
import {
  AuthorizationError,
  ConfigurationError,
  SchemaVersionError,
  CorruptRecordError,
  DraftNotFoundError,
  UnknownRunError,
  RunActiveError,
  ErrorCode,
  IdempotencyKeyReuseError,
  InvalidTransitionError,
  NotReadyError,
  OpenDraftExistsError,
  RetryExhaustedError,
  StoreError,
  TerminalDraftError,
  ValidationError,
  VersionConflictError,
  newDraft,
  type Blocker,
} from "../../src/index.js";
import {
  DEFAULT_PROBLEM_TYPE_BASE,
  InvalidIfMatchError,
  MalformedRequestError,
  PROBLEM_CATALOG,
  PreconditionFailedError,
  PreconditionRequiredError,
  ProblemDetailsSchema,
  formatETag,
  problemResponse,
  toProblem,
  type ProblemCode,
  type ProblemDetails,
} from "../../src/http/index.js";

const draft = {
  ...newDraft({ id: "d-1", workspaceId: "ws-secret", now: "2026-01-01T00:00:00.000Z", actorId: "u1" }),
  version: 5,
};
const blockers: Blocker[] = [
  { code: "verification_warnings", checkpoint: "verify_access", overridable: true, message: "Verified with warnings." },
];

/** One instance of every error the package and the HTTP helpers throw, with the expected problem. */
const CASES: readonly {
  readonly name: string;
  readonly error: unknown;
  readonly ifMatchUsed?: boolean;
  readonly code: ProblemCode;
  readonly status: number;
  readonly data: Record<string, unknown>;
}[] = [
  {
    name: "ValidationError",
    error: new ValidationError("command", [
      { code: "invalid_type", path: ["connectionId"], message: "Expected string" },
    ]),
    code: "validation_failed",
    status: 422,
    data: { target: "command", issues: [{ code: "invalid_type", path: ["connectionId"], message: "Expected string" }] },
  },
  {
    name: "VersionConflictError with If-Match",
    error: new VersionConflictError(3, draft, {
      actorId: "worker-1",
      commandType: "record_verification_result",
      worker: true,
    }),
    ifMatchUsed: true,
    code: "version_conflict",
    status: 412,
    data: {
      expectedVersion: 3,
      actualVersion: 5,
      currentETag: formatETag(draft),
      changedBy: { actorId: "worker-1", commandType: "record_verification_result", worker: true },
    },
  },
  {
    name: "VersionConflictError without If-Match",
    error: new VersionConflictError(3, draft),
    code: "version_conflict",
    status: 409,
    data: { expectedVersion: 3, actualVersion: 5, currentETag: formatETag(draft), changedBy: null },
  },
  {
    name: "TerminalDraftError",
    error: new TerminalDraftError("d-1", "completed", "cancel"),
    code: "terminal_draft",
    status: 409,
    data: { draftId: "d-1", state: "completed", commandType: "cancel" },
  },
  {
    name: "NotReadyError",
    error: new NotReadyError("d-1", blockers, true),
    code: "not_ready",
    status: 409,
    data: { draftId: "d-1", blockers, overridable: true },
  },
  {
    name: "AuthorizationError",
    error: new AuthorizationError("override_readiness", "u1", "d-1"),
    code: "forbidden",
    status: 403,
    data: { capability: "override_readiness", draftId: "d-1" },
  },
  {
    name: "AuthorizationError on create",
    error: new AuthorizationError("create", "u1", null),
    code: "forbidden",
    status: 403,
    data: { capability: "create", draftId: null },
  },
  {
    name: "DraftNotFoundError",
    error: new DraftNotFoundError("ws-secret", "d-404"),
    code: "draft_not_found",
    status: 404,
    data: { draftId: "d-404" },
  },
  {
    name: "UnknownRunError",
    error: new UnknownRunError("d-1", "run-x", "record_bootstrap_result"),
    code: "unknown_run",
    status: 404,
    data: { draftId: "d-1", runId: "run-x", commandType: "record_bootstrap_result" },
  },
  {
    name: "RunActiveError",
    error: new RunActiveError("d-1", "start_bootstrap", ["run-1", "run-2"]),
    code: "run_active",
    status: 409,
    data: { draftId: "d-1", commandType: "start_bootstrap", runIds: ["run-1", "run-2"] },
  },
  {
    name: "IdempotencyKeyReuseError",
    error: new IdempotencyKeyReuseError("key-1", "d-other", "select_provider"),
    code: "idempotency_key_reuse",
    status: 409,
    data: { idempotencyKey: "key-1", originalCommandType: "select_provider" },
  },
  {
    name: "InvalidTransitionError",
    error: new InvalidTransitionError("d-1", "start_bootstrap", "draft", "verification_succeeded_required"),
    code: "invalid_transition",
    status: 409,
    data: {
      draftId: "d-1",
      commandType: "start_bootstrap",
      state: "draft",
      requirement: "verification_succeeded_required",
    },
  },
  {
    name: "OpenDraftExistsError",
    error: new OpenDraftExistsError("ws-secret", "tenant-1", "d-open"),
    code: "open_draft_exists",
    status: 409,
    data: { tenantId: "tenant-1", existingDraftId: "d-open" },
  },
  {
    name: "RetryExhaustedError",
    error: new RetryExhaustedError("d-1", 8),
    code: "retry_exhausted",
    status: 503,
    data: { draftId: "d-1", attempts: 8 },
  },
  {
    name: "CorruptRecordError",
    error: new CorruptRecordError(
      [{ code: "invalid_type", path: ["hiddenField", "state"], message: "secret-path" }],
      "d-1",
    ),
    code: "corrupt_record",
    status: 500,
    data: {},
  },
  {
    name: "StoreError",
    error: new StoreError("postgres", "commit", new Error("password authentication failed for user admin at 10.0.0.7")),
    code: "store_failure",
    status: 500,
    data: {},
  },
  {
    name: "ConfigurationError",
    error: new ConfigurationError("policy.overridableBlockers", "secret configuration detail"),
    code: "configuration",
    status: 500,
    data: {},
  },
  {
    name: "SchemaVersionError",
    error: new SchemaVersionError(
      { adapter: "postgres", tablePrefix: "secret_", reason: "newer_than_package", current: 9, latest: 5 },
      "postgres schema secret_ is at 9, newer than this package's 5",
    ),
    code: "schema_version",
    status: 500,
    data: {},
  },
  {
    name: "PreconditionRequiredError",
    error: new PreconditionRequiredError("d-1"),
    code: "precondition_required",
    status: 428,
    data: { draftId: "d-1" },
  },
  {
    name: "PreconditionFailedError with the current version",
    error: new PreconditionFailedError("d-1", 5, "weak_only"),
    code: "precondition_failed",
    status: 412,
    data: { draftId: "d-1", reason: "weak_only", currentETag: formatETag({ id: "d-1", version: 5 }) },
  },
  {
    name: "PreconditionFailedError without it",
    error: new PreconditionFailedError("d-1", null, "no_matching_tag"),
    code: "precondition_failed",
    status: 412,
    data: { draftId: "d-1", reason: "no_matching_tag" },
  },
  {
    name: "InvalidIfMatchError",
    error: new InvalidIfMatchError("unterminated entity tag"),
    code: "invalid_if_match",
    status: 400,
    data: {},
  },
  {
    name: "MalformedRequestError",
    error: new MalformedRequestError("the body is not valid JSON"),
    code: "malformed_request",
    status: 400,
    data: {},
  },
  {
    name: "a plain Error",
    error: new Error("SELECT * FROM secrets failed"),
    code: "internal_error",
    status: 500,
    data: {},
  },
  { name: "a thrown string", error: "secret string", code: "internal_error", status: 500, data: {} },
  { name: "null", error: null, code: "internal_error", status: 500, data: {} },
  {
    name: "an object pretending to be an OnboardingError",
    error: { code: "version_conflict", expectedVersion: 1 },
    code: "internal_error",
    status: 500,
    data: {},
  },
];

const MEMBERS = new Set(["type", "title", "status", "detail", "instance", "code"]);

describe("toProblem", () => {
  it.each(CASES)("maps $name to $status $code", ({ error, ifMatchUsed, code, status, data }) => {
    const problem = toProblem(error, ifMatchUsed === undefined ? {} : { ifMatchUsed });
    expect(problem.code).toBe(code);
    expect(problem.status).toBe(status);
    expect(problem.type).toBe(`${DEFAULT_PROBLEM_TYPE_BASE}${code}`);
    expect(problem.title).toBe(PROBLEM_CATALOG[code].title);
    expect(typeof problem.detail).toBe("string");
    expect(problem.detail.length).toBeGreaterThan(0);
    const extensions = Object.fromEntries(Object.entries(problem).filter(([key]) => !MEMBERS.has(key)));
    expect(extensions).toEqual(data);
    // The contract schema accepts exactly what toProblem produces.
    expect(ProblemDetailsSchema.parse(JSON.parse(JSON.stringify(problem)))).toEqual(problem);
  });

  it("covers every ErrorCode of the package and every catalog entry", () => {
    const mapped = new Set(CASES.map((entry) => entry.code));
    for (const code of Object.values(ErrorCode)) expect(mapped.has(code), code).toBe(true);
    for (const code of Object.keys(PROBLEM_CATALOG)) expect(mapped.has(code as ProblemCode), code).toBe(true);
  });

  it("never leaks internals of server-side failures", () => {
    for (const entry of CASES.filter((c) => c.status === 500)) {
      const text = JSON.stringify(toProblem(entry.error));
      for (const secret of [
        "secret",
        "password",
        "10.0.0.7",
        "SELECT",
        "hiddenField",
        "postgres",
        "d-1",
        "ws-secret",
      ]) {
        expect(text, `${entry.name} leaks ${secret}`).not.toContain(secret);
      }
    }
  });

  it("does not reveal the workspace in 4xx problems", () => {
    for (const entry of CASES.filter((c) => c.status < 500)) {
      expect(JSON.stringify(toProblem(entry.error)), entry.name).not.toContain("ws-secret");
    }
  });

  it("does not include the current draft in conflicts (the engine checks versions before authorization)", () => {
    const problem = toProblem(new VersionConflictError(3, draft), { ifMatchUsed: true });
    expect(problem).not.toHaveProperty("current");
    expect(JSON.stringify(problem)).not.toContain("ws-secret");
  });

  it("uses a configurable type base and instance", () => {
    const problem = toProblem(new DraftNotFoundError("w", "d"), {
      typeBase: "https://api.example.com/problems/",
      instance: "/drafts/d",
    });
    expect(problem.type).toBe("https://api.example.com/problems/draft_not_found");
    expect(problem.instance).toBe("/drafts/d");
    expect(Object.keys(problem).slice(0, 6)).toEqual(["type", "title", "status", "detail", "instance", "code"]);
  });

  it("narrows by code for TypeScript users", () => {
    const problem: ProblemDetails = toProblem(new VersionConflictError(3, draft), { ifMatchUsed: true });
    if (problem.code === "version_conflict") {
      const etag: string = problem.currentETag;
      expect(etag).toBe(formatETag(draft));
    } else {
      throw new Error("expected a version conflict");
    }
  });
});

describe("problemResponse", () => {
  it("returns status, problem+json headers and the JSON body", () => {
    const response = problemResponse(new VersionConflictError(4, draft), { ifMatchUsed: true, instance: "/x" });
    expect(response.status).toBe(412);
    expect(response.headers).toEqual({ "content-type": "application/problem+json", "cache-control": "no-store" });
    expect(JSON.parse(response.body)).toEqual(response.problem);
    expect(response.problem.instance).toBe("/x");
  });

  it("adds Retry-After to 503", () => {
    const response = problemResponse(new RetryExhaustedError("d", 8));
    expect(response.status).toBe(503);
    expect(response.headers["retry-after"]).toBe("1");
  });

  it("maps unknown values to a generic 500", () => {
    const response = problemResponse(new TypeError("x is undefined"));
    expect(response.status).toBe(500);
    expect(JSON.parse(response.body)).toMatchObject({ code: "internal_error", status: 500 });
    expect(response.body).not.toContain("undefined");
  });
});
