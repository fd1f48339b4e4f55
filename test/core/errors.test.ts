/**
 * The error classes: codes, data, `isOnboardingError`, `instanceof` (own class yes, other classes
 * no), and recognition across copies of the package (the built CJS and ESM entry files named by
 * package.json `exports`, loaded side by side with the source; built privately when dist/ is
 * missing). Also the codec's legacy upgrade and its lifecycle consistency check.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as source from "../../src/index.js";
import { formatPath } from "../../src/record/errors.js";
import type { OnboardingDraft } from "../../src/index.js";
import { verified } from "./fixtures.js";

type Package = typeof source;
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

const draft: OnboardingDraft = verified();

/** One instance of every error class, built from a given copy of the package. */
function everyError(m: Package) {
  return {
    ValidationError: {
      error: new m.ValidationError("command", [{ code: "invalid_type", path: ["type"], message: "bad" }]),
      code: "validation_failed",
      data: { target: "command", issues: [{ code: "invalid_type", path: ["type"], message: "bad" }] },
    },
    CorruptRecordError: {
      error: new m.CorruptRecordError(
        [{ code: "custom", path: ["bootstrap", "runs", 2, "status"], message: "bad" }],
        "d-1",
      ),
      code: "corrupt_record",
      data: { path: ["bootstrap", "runs", 2, "status"], recordId: "d-1" },
    },
    VersionConflictError: {
      error: new m.VersionConflictError(3, { ...draft, version: 5 }),
      code: "version_conflict",
      data: { expectedVersion: 3, actualVersion: 5, current: { ...draft, version: 5 } },
    },
    TerminalDraftError: {
      error: new m.TerminalDraftError("d-1", "completed", "cancel"),
      code: "terminal_draft",
      data: { draftId: "d-1", state: "completed", commandType: "cancel" },
    },
    NotReadyError: {
      error: new m.NotReadyError(
        "d-1",
        [{ code: "verification_warnings", checkpoint: "verify_access", overridable: true, message: "w" }],
        true,
      ),
      code: "not_ready",
      data: {
        draftId: "d-1",
        overridable: true,
        blockers: [{ code: "verification_warnings", checkpoint: "verify_access", overridable: true, message: "w" }],
      },
    },
    AuthorizationError: {
      error: new m.AuthorizationError("activate", "u-1", "d-1"),
      code: "forbidden",
      data: { capability: "activate", actorId: "u-1", draftId: "d-1" },
    },
    DraftNotFoundError: {
      error: new m.DraftNotFoundError("ws-1", "d-1"),
      code: "draft_not_found",
      data: { workspaceId: "ws-1", draftId: "d-1" },
    },
    IdempotencyKeyReuseError: {
      error: new m.IdempotencyKeyReuseError("k-1", "d-1", "cancel"),
      code: "idempotency_key_reuse",
      data: { idempotencyKey: "k-1", originalDraftId: "d-1", originalCommandType: "cancel" },
    },
    InvalidTransitionError: {
      error: new m.InvalidTransitionError("d-1", "start_bootstrap", "draft", "verification_succeeded_required"),
      code: "invalid_transition",
      data: {
        draftId: "d-1",
        commandType: "start_bootstrap",
        state: "draft",
        requirement: "verification_succeeded_required",
      },
    },
    OpenDraftExistsError: {
      error: new m.OpenDraftExistsError("ws-1", "t-1", "d-0"),
      code: "open_draft_exists",
      data: { workspaceId: "ws-1", tenantId: "t-1", existingDraftId: "d-0" },
    },
    RetryExhaustedError: {
      error: new m.RetryExhaustedError("d-1", 8),
      code: "retry_exhausted",
      data: { draftId: "d-1", attempts: 8 },
    },
    ConfigurationError: {
      error: new m.ConfigurationError("now", "needs now"),
      code: "configuration",
      data: { option: "now" },
    },
    StoreError: {
      error: new m.StoreError("sqlite", "commit", new Error("disk I/O error")),
      code: "store_failure",
      data: { adapter: "sqlite", operation: "commit" },
    },
    SchemaVersionError: {
      error: new m.SchemaVersionError(
        { adapter: "postgres", tablePrefix: "app_", reason: "newer_than_package", current: 7, latest: 5 },
        "postgres schema app_ is at version 7",
      ),
      code: "schema_version",
      data: { adapter: "postgres", tablePrefix: "app_", reason: "newer_than_package", current: 7, latest: 5 },
    },
    UnknownRunError: {
      error: new m.UnknownRunError("d-1", "run-9", "record_verification_result"),
      code: "unknown_run",
      data: { draftId: "d-1", runId: "run-9", commandType: "record_verification_result" },
    },
    RunActiveError: {
      error: new m.RunActiveError("d-1", "start_verification", ["run-1"]),
      code: "run_active",
      data: { draftId: "d-1", commandType: "start_verification", runIds: ["run-1"] },
    },
  } as const;
}

type ErrorName = keyof ReturnType<typeof everyError>;
const NAMES = Object.keys(everyError(source)) as ErrorName[];

describe("every error class", () => {
  const errors = everyError(source);

  it("covers every ErrorCode but the HTTP helpers' (test/http/error-catalog.test.ts covers those)", () => {
    const http = new Set(["precondition_required", "precondition_failed", "invalid_if_match", "malformed_request"]);
    expect(new Set(NAMES.map((n) => errors[n].code))).toEqual(
      new Set(Object.values(source.ErrorCode).filter((code) => !http.has(code))),
    );
  });

  it.each(NAMES)("%s: code, name, data, message, toJSON", (name) => {
    const { error, code, data } = errors[name];
    expect(error.code).toBe(code);
    expect(error.name).toBe(name);
    expect(error).toMatchObject(data);
    expect(error.message.length).toBeGreaterThan(0);
    expect(error).toBeInstanceOf(Error);
    expect(typeof error.stack).toBe("string");
    expect(error.toJSON()).toMatchObject({ name, code, message: error.message, ...data });
    expect(() => JSON.stringify(error)).not.toThrow();
  });

  it.each(NAMES)("%s: isOnboardingError, instanceof OnboardingError and its own class, not another", (name) => {
    const { error } = errors[name];
    expect(source.isOnboardingError(error)).toBe(true);
    expect(error instanceof source.OnboardingError).toBe(true);
    expect(error instanceof source[name]).toBe(true);
    for (const other of NAMES.filter((n) => n !== name)) expect(error instanceof source[other]).toBe(false);
  });

  it("plain errors and look-alikes are not onboarding errors", () => {
    for (const value of [
      new Error("x"),
      { code: "not_ready" },
      null,
      undefined,
      "not_ready",
      Object.assign(new Error("x"), { code: "not_ready" }),
    ]) {
      expect(source.isOnboardingError(value)).toBe(false);
      expect(value instanceof source.OnboardingError).toBe(false);
      expect(value instanceof source.NotReadyError).toBe(false);
    }
  });

  it("StoreError keeps the driver error as cause", () => {
    expect(errors.StoreError.error.cause).toBeInstanceOf(Error);
    expect(errors.StoreError.error.message).toContain("disk I/O error");
  });

  it("formatPath renders issue paths", () => {
    expect(formatPath([])).toBe("(root)");
    expect(formatPath(["bootstrap", "runs", 2, "status"])).toBe("bootstrap.runs[2].status");
  });
});

describe("cross-copy recognition (built CJS and ESM next to the source)", () => {
  let cjs: Package;
  let esm: Package;
  let built: string | null = null;

  beforeAll(async () => {
    // The files consumers get: the package's own `exports["."]` targets.
    const exportsMap = (
      createRequire(import.meta.url)(join(ROOT, "package.json")) as {
        exports: { ".": { import: { default: string }; require: { default: string } } };
      }
    ).exports["."];
    let cjsPath = join(ROOT, exportsMap.require.default);
    let esmPath = join(ROOT, exportsMap.import.default);
    if (!existsSync(cjsPath) || !existsSync(esmPath)) {
      // No `npm run build` yet: build the root entry privately (never touching dist/, which a
      // concurrent build may own), inside the repo so the bundles resolve zod and immer.
      built = join(ROOT, ".tmp", `cross-copy-${process.pid}`);
      mkdirSync(built, { recursive: true });
      execFileSync(
        "npx",
        ["tsup", "src/index.ts", "--no-config", "--format", "esm,cjs", "--target", "node20", "--out-dir", built],
        { cwd: ROOT, stdio: "pipe", timeout: 120_000 },
      );
      cjsPath = join(built, "index.cjs");
      esmPath = join(built, "index.js");
    }
    cjs = createRequire(import.meta.url)(cjsPath) as Package;
    esm = (await import(pathToFileURL(esmPath).href)) as Package;
  }, 150_000);

  afterAll(() => {
    if (built !== null) rmSync(built, { recursive: true, force: true });
  });

  it("the three copies really are different classes", () => {
    expect(cjs.OnboardingError).not.toBe(esm.OnboardingError);
    expect(cjs.OnboardingError).not.toBe(source.OnboardingError);
    expect(esm.NotReadyError).not.toBe(source.NotReadyError);
  });

  it.each(NAMES)("%s made by any copy is recognised by every copy", (name) => {
    const copies: [string, Package][] = [
      ["source", source],
      ["cjs", cjs],
      ["esm", esm],
    ];
    for (const [, maker] of copies) {
      const { error } = everyError(maker)[name];
      for (const [, checker] of copies) {
        expect(checker.isOnboardingError(error)).toBe(true);
        expect(error instanceof checker.OnboardingError).toBe(true);
        expect(error instanceof checker[name]).toBe(true);
        for (const other of NAMES.filter((n) => n !== name)) expect(error instanceof checker[other]).toBe(false);
      }
    }
  });

  it("errors thrown by the CJS copy's functions are caught by the ESM copy's classes, and back", () => {
    const thrown = (fn: () => unknown): unknown => {
      try {
        fn();
      } catch (error) {
        return error;
      }
      throw new Error("did not throw");
    };
    const corrupt = thrown(() => cjs.parseDraft({ id: 42 }));
    expect(corrupt instanceof esm.CorruptRecordError).toBe(true);
    expect(corrupt instanceof source.CorruptRecordError).toBe(true);
    expect(corrupt instanceof esm.ValidationError).toBe(false);

    const invalid = thrown(() => esm.parseCommand({ type: "nope" }));
    expect(invalid instanceof cjs.ValidationError).toBe(true);
    expect(cjs.isOnboardingError(invalid)).toBe(true);

    const completed = { ...draft, activation: { at: draft.createdAt, by: "u", override: null } };
    const terminal = thrown(() =>
      cjs.applyCommand(
        { ...completed, lifecycle: cjs.deriveLifecycle(completed) },
        { type: "cancel" },
        {
          now: draft.createdAt,
          actorId: "u",
          nextRunId: () => "r",
          policy: {},
        },
      ),
    );
    expect(terminal instanceof esm.TerminalDraftError).toBe(true);
    expect(terminal instanceof source.TerminalDraftError).toBe(true);
    expect(terminal instanceof esm.NotReadyError).toBe(false);

    const notReady = thrown(() => esm.evaluateReadiness(draft, { overridableBlockers: ["terminal" as never] }));
    expect(notReady instanceof cjs.ConfigurationError).toBe(true);
  });
});

describe("upgradeDraft and the codec's lifecycle check", () => {
  const legacy = {
    id: "legacy-1",
    workspaceId: "ws-1",
    identity: { tenantId: "t-1", displayName: "Contoso" },
    provider: { connectionId: "conn-1", revision: 1 },
    verification: {
      runId: "v-1",
      operation: "verify_access",
      status: "completed",
      outcome: "partially_succeeded",
      startedAt: "2025-06-01T00:00:00.000Z",
      completedAt: "2025-06-01T00:05:00.000Z",
      providerConnectionId: "conn-1",
      providerRevision: 1,
    },
    createdAt: "2025-06-01T00:00:00.000Z",
    createdBy: "importer",
  };

  it("adopts a legacy row without version, lifecycle or schemaVersion", () => {
    const adopted = source.parseDraft(legacy);
    expect(adopted).toMatchObject({
      id: "legacy-1",
      version: 1,
      schemaVersion: 1,
      bootstrap: null,
      activation: null,
      cancellation: null,
      invalidation: null,
      updatedAt: legacy.createdAt,
      updatedBy: "importer",
      lifecycle: {
        state: "ready_for_activation",
        currentCheckpoint: "bootstrap",
        lastCompletedCheckpoint: "verify_access",
        reason: "verification_warnings",
      },
    });
    expect(adopted.lifecycle).toEqual(source.deriveLifecycle(adopted));
  });

  it("keeps a legacy row's own version and replaces any lifecycle it carried", () => {
    const adopted = source.parseDraft({ ...legacy, version: 7, lifecycle: { state: "completed" } });
    expect(adopted.version).toBe(7);
    expect(adopted.lifecycle.state).toBe("ready_for_activation");
  });

  it("leaves a current document unchanged and does not mutate its input", () => {
    const current = source.parseDraft(legacy);
    const copy = structuredClone(current);
    expect(source.upgradeDraft(current)).toBe(current);
    const upgradedLegacy = structuredClone(legacy);
    source.upgradeDraft(upgradedLegacy);
    expect(upgradedLegacy).toEqual(legacy);
    expect(current).toEqual(copy);
  });

  it("a row with an inconsistent persisted lifecycle is CorruptRecordError at lifecycle", () => {
    const tampered = { ...draft, lifecycle: { ...draft.lifecycle, state: "completed" } };
    try {
      source.parseDraft(tampered);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(source.CorruptRecordError);
      expect(error).toMatchObject({ path: ["lifecycle"], recordId: draft.id });
    }
  });

  it("an unknown future schemaVersion is reported, not upgraded", () => {
    expect(() => source.parseDraft({ ...draft, schemaVersion: 2 })).toThrow(source.CorruptRecordError);
  });

  it("a structurally broken legacy row is CorruptRecordError with its id, listing the real problem", () => {
    const error = source.safeParseDraft({ ...legacy, provider: { connectionId: "" } });
    expect(error.success).toBe(false);
    if (!error.success) {
      expect(error.error.recordId).toBe("legacy-1");
      expect(error.error.issues.some((issue) => issue.path[0] === "provider")).toBe(true);
    }
  });

  // For a broken legacy row upgradeDraft cannot derive a lifecycle; the error must still name
  // the real problem, not the lifecycle it could not derive.
  it("a structurally broken legacy row names the real problem as its path", () => {
    const error = source.safeParseDraft({ ...legacy, provider: { connectionId: "" } });
    expect(!error.success && error.error.path[0]).toBe("provider");
  });
});
