/**
 * One declaration per error code (ERROR_CATALOG, plus internal_error in PROBLEM_CATALOG) and
 * everything derived from it must agree: the fields an error class carries, what `toProblem`
 * returns, the problem schema in `PROBLEM_SCHEMAS` / `ProblemDetailsSchema`, the component in
 * the generated OpenAPI document and the table in docs/http.md. The expected member lists come
 * from the declarations, never from a second hand-written list. Also: the HTTP helpers' errors
 * are `OnboardingError`s, recognised across the built ESM and CJS copies.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import * as z from "zod/mini";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as root from "../../src/index.js";
import * as http from "../../src/http/index.js";
import {
  PROBLEM_TABLE_PATH,
  buildOpenApiDocument,
  renderProblemTable,
  withProblemTable,
} from "../../scripts/openapi.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
type Json = Record<string, unknown>;
type Code = http.ProblemCode;

const draft = {
  ...root.newDraft({ id: "d-1", workspaceId: "ws-secret", now: "2026-01-01T00:00:00.000Z", actorId: "u1" }),
  version: 5,
};

/** One sample of every error code, built from a copy of the package (source or built). */
function samples(r: typeof root, h: typeof http): Record<root.ErrorCode, root.OnboardingError> {
  return {
    validation_failed: new r.ValidationError("command", [{ code: "invalid_type", path: ["a", 0], message: "bad" }]),
    corrupt_record: new r.CorruptRecordError([{ code: "custom", path: ["x"], message: "secret" }], "d-1"),
    version_conflict: new r.VersionConflictError(3, draft),
    terminal_draft: new r.TerminalDraftError("d-1", "completed", "cancel"),
    not_ready: new r.NotReadyError(
      "d-1",
      [{ code: "verification_warnings", checkpoint: "verify_access", overridable: true, message: "w" }],
      true,
    ),
    forbidden: new r.AuthorizationError("activate", "u-1", "d-1"),
    draft_not_found: new r.DraftNotFoundError("ws-secret", "d-1"),
    idempotency_key_reuse: new r.IdempotencyKeyReuseError("k-1", "d-0", "cancel"),
    invalid_transition: new r.InvalidTransitionError("d-1", "start_bootstrap", "draft", "identity_required"),
    open_draft_exists: new r.OpenDraftExistsError("ws-secret", "t-1", "d-0"),
    retry_exhausted: new r.RetryExhaustedError("d-1", 8),
    configuration: new r.ConfigurationError("now", "secret"),
    store_failure: new r.StoreError("postgres", "commit", new Error("secret")),
    schema_version: new r.SchemaVersionError(
      { adapter: "postgres", tablePrefix: "secret_", reason: "newer_than_package", current: 9, latest: 5 },
      "secret",
    ),
    unknown_run: new r.UnknownRunError("d-1", "run-9", "record_verification_result"),
    run_active: new r.RunActiveError("d-1", "start_verification", ["run-1"]),
    precondition_required: new h.PreconditionRequiredError("d-1"),
    precondition_failed: new h.PreconditionFailedError("d-1", 5, "weak_only"),
    invalid_if_match: new h.InvalidIfMatchError("unterminated entity tag"),
    malformed_request: new h.MalformedRequestError("the body is not valid JSON"),
  };
}

const SAMPLES = samples(root, http);
const CODES = Object.keys(http.PROBLEM_CATALOG) as Code[];
const HEAD = ["type", "title", "status", "detail", "instance", "code"];

/** The data members a code's declaration gives its problems, in declared order. */
const dataKeys = (code: Code): string[] => Object.keys(http.PROBLEM_CATALOG[code].data.shape);
/** The statuses a code's problems may have. */
const statusesOf = (code: Code): number[] => [
  ...new Set([http.PROBLEM_CATALOG[code].status, http.PROBLEM_CATALOG[code].statusWithoutIfMatch]),
];
/** The schema name the code's declaration names. */
const componentOf = (code: Code): string => `${http.PROBLEM_CATALOG[code].problem}Problem`;

describe("the error declarations", () => {
  it("declare every ErrorCode plus internal_error, and a sample exists for each", () => {
    expect(new Set(Object.keys(root.ERROR_CATALOG))).toEqual(new Set(Object.values(root.ErrorCode)));
    expect(new Set(CODES)).toEqual(new Set([...Object.values(root.ErrorCode), "internal_error"]));
    expect(new Set(Object.keys(SAMPLES))).toEqual(new Set(Object.values(root.ErrorCode)));
  });

  it("serverSide declarations have no data and a generic detail; derived members are data members", () => {
    for (const code of CODES) {
      const declaration = http.PROBLEM_CATALOG[code];
      if (declaration.serverSide) expect(dataKeys(code), code).toEqual([]);
      for (const key of declaration.derived) expect(dataKeys(code), code).toContain(key);
    }
  });

  it.each(Object.keys(SAMPLES) as root.ErrorCode[])(
    "%s: the error carries each declared, non-derived member, valid",
    (code) => {
      const error = SAMPLES[code] as unknown as Record<string, unknown>;
      const declaration = root.ERROR_CATALOG[code];
      const shape = declaration.data.shape as Record<string, z.core.$ZodType>;
      for (const key of dataKeys(code)) {
        if ((declaration.derived as readonly string[]).includes(key)) continue;
        expect(Object.keys(error), `${code}.${key}`).toContain(key);
        expect(z.safeParse(shape[key] as z.core.$ZodType, error[key]).success, `${code}.${key}`).toBe(true);
      }
    },
  );

  it.each(Object.keys(SAMPLES) as root.ErrorCode[])(
    "%s: toProblem has exactly the declared members, and its schema accepts it",
    (code) => {
      for (const ifMatchUsed of [true, false]) {
        const problem = http.toProblem(SAMPLES[code], { ifMatchUsed, instance: "/x" }) as Json;
        expect(problem["code"]).toBe(code);
        const declaration = http.PROBLEM_CATALOG[code];
        expect(problem["status"]).toBe(ifMatchUsed ? declaration.status : declaration.statusWithoutIfMatch);
        expect(problem["title"]).toBe(declaration.title);
        const optional = new Set(
          dataKeys(code).filter(
            (key) => (declaration.data.shape as Record<string, z.core.$ZodType>)[key]?._zod.optin === "optional",
          ),
        );
        const expected = [...HEAD, ...dataKeys(code)];
        // The sample of each code knows every optional member (the PreconditionFailedError knows its version).
        expect(Object.keys(problem), code).toEqual(expected);
        expect(optional.size === 0 || Object.keys(problem).some((key) => optional.has(key))).toBe(true);
        const schema = http.PROBLEM_SCHEMAS[componentOf(code) as keyof typeof http.PROBLEM_SCHEMAS];
        expect(Object.keys(schema.shape)).toEqual(expected);
        expect(z.parse(schema, problem)).toEqual(problem);
        expect(http.ProblemDetailsSchema.parse(problem)).toEqual(problem);
        if (declaration.serverSide) expect(problem["detail"]).toBe(http.toProblem(new Error("x"))["detail"]);
      }
    },
  );

  it("internal_error: anything that is not an error of the package", () => {
    const problem = http.toProblem(new Error("secret"));
    expect(Object.keys(problem)).toEqual(["type", "title", "status", "detail", "code"]);
    expect(problem.status).toBe(http.PROBLEM_CATALOG.internal_error.status);
  });

  it("codes that share a schema name declare the same data and each status literal is declared", () => {
    const groups = new Map<string, Code[]>();
    for (const code of CODES) groups.set(componentOf(code), [...(groups.get(componentOf(code)) ?? []), code]);
    expect(new Set(groups.keys())).toEqual(new Set(Object.keys(http.PROBLEM_SCHEMAS)));
    for (const [name, codes] of groups) {
      const datas = codes.map((code) => JSON.stringify(z.toJSONSchema(http.PROBLEM_CATALOG[code].data)));
      expect(new Set(datas).size, name).toBe(1);
      const schema = http.PROBLEM_SCHEMAS[name as keyof typeof http.PROBLEM_SCHEMAS];
      expect(new Set(schema.shape.code._zod.def.values)).toEqual(new Set(codes));
      expect(new Set(schema.shape.status._zod.def.values)).toEqual(new Set(codes.flatMap(statusesOf)));
    }
  });
});

describe("the OpenAPI document agrees with the declarations", () => {
  const document = buildOpenApiDocument();
  const schemas = (document["components"] as Json)["schemas"] as Record<string, Json>;
  const responses = (document["components"] as Json)["responses"] as Record<string, Json>;

  it.each(CODES)(
    "%s: its component has the declared members, required ones required, its code and statuses",
    (code) => {
      const component = schemas[componentOf(code)] as Json;
      expect(component, componentOf(code)).toBeDefined();
      const properties = component["properties"] as Json;
      expect(Object.keys(properties)).toEqual([...HEAD, ...dataKeys(code)]);
      const data = z.toJSONSchema(http.PROBLEM_CATALOG[code].data) as Json;
      const requiredData = (data["required"] as string[] | undefined) ?? [];
      expect(component["required"]).toEqual([...HEAD.filter((key) => key !== "instance"), ...requiredData]);
      // The component's members, with the shared schemas it references ($ref) inlined.
      const inline = (value: unknown): unknown => {
        if (Array.isArray(value)) return value.map(inline);
        if (value === null || typeof value !== "object") return value;
        const ref = (value as Json)["$ref"];
        if (typeof ref === "string") return inline(schemas[ref.replace("#/components/schemas/", "")]);
        return Object.fromEntries(Object.entries(value).map(([key, child]) => [key, inline(child)]));
      };
      for (const key of dataKeys(code))
        expect(inline(properties[key]), `${code}.${key}`).toEqual((data["properties"] as Json)[key]);
      const codeSchema = properties["code"] as Json;
      expect(codeSchema["const"] === code || (codeSchema["enum"] as string[]).includes(code)).toBe(true);
      const mapping = ((schemas["ProblemDetails"] as Json)["discriminator"] as Json)["mapping"] as Json;
      expect(mapping[code]).toBe(`#/components/schemas/${componentOf(code)}`);
      for (const status of statusesOf(code)) {
        expect(JSON.stringify(responses[`Problem${status}`]), `Problem${status}`).toContain(
          `#/components/schemas/${componentOf(code)}`,
        );
        expect(String((responses[`Problem${status}`] as Json)["description"])).toContain(`\`${code}\``);
      }
    },
  );
});

describe("docs/http.md", () => {
  it("has the problem table generated from the declarations", () => {
    const text = readFileSync(`${ROOT}${PROBLEM_TABLE_PATH}`, "utf8");
    expect(text, "run `npm run openapi` to regenerate the table").toBe(withProblemTable(text));
    const table = renderProblemTable();
    for (const code of CODES) {
      const row = table.split("\n").find((line) => line.includes(`| \`${code}\` |`));
      expect(row, code).toBeDefined();
      for (const key of dataKeys(code)) expect(row, `${code}.${key}`).toContain(`\`${key}`);
    }
  });
});

describe("the HTTP helpers' errors are OnboardingErrors", () => {
  const httpCodes = ["precondition_required", "precondition_failed", "invalid_if_match", "malformed_request"] as const;

  it("extend OnboardingError, carry an ErrorCode, and instanceof tells them apart", () => {
    for (const code of httpCodes) {
      const error = SAMPLES[code];
      expect(error).toBeInstanceOf(Error);
      expect(error instanceof root.OnboardingError).toBe(true);
      expect(root.isOnboardingError(error)).toBe(true);
      expect(http.isHttpRequestError(error)).toBe(true);
      expect(error instanceof http.HttpRequestError).toBe(true);
      expect(Object.values(root.ErrorCode)).toContain(error.code);
      expect(error.toJSON()).toMatchObject({ code, name: error.name });
    }
    expect(SAMPLES.precondition_required instanceof http.PreconditionFailedError).toBe(false);
    expect(SAMPLES.precondition_required instanceof root.ValidationError).toBe(false);
    expect(SAMPLES.validation_failed instanceof http.HttpRequestError).toBe(false);
    expect(http.isHttpRequestError(SAMPLES.validation_failed)).toBe(false);
  });

  describe("across copies (the built CJS and ESM http entries next to the source)", () => {
    let copies: [string, typeof root, typeof http][] = [];
    let built: string | null = null;

    beforeAll(async () => {
      const require = createRequire(import.meta.url);
      let paths = {
        rootCjs: join(ROOT, "dist/index.cjs"),
        rootEsm: join(ROOT, "dist/esm/index.js"),
        httpCjs: join(ROOT, "dist/http.cjs"),
        httpEsm: join(ROOT, "dist/esm/http/index.js"),
      };
      if (!Object.values(paths).every((path) => existsSync(path))) {
        // No `npm run build` yet: build privately (never touching dist/, which a concurrent build may own).
        built = join(ROOT, ".tmp", `http-cross-copy-${process.pid}`);
        mkdirSync(built, { recursive: true });
        execFileSync(
          "npx",
          [
            "tsup",
            "src/index.ts",
            "src/http/index.ts",
            "--no-config",
            "--format",
            "esm,cjs",
            "--target",
            "node20",
            "--out-dir",
            built,
          ],
          { cwd: ROOT, stdio: "pipe", timeout: 120_000 },
        );
        paths = {
          rootCjs: join(built, "index.cjs"),
          rootEsm: join(built, "index.js"),
          httpCjs: join(built, "http", "index.cjs"),
          httpEsm: join(built, "http", "index.js"),
        };
      }
      copies = [
        ["source", root, http],
        ["cjs", require(paths.rootCjs) as typeof root, require(paths.httpCjs) as typeof http],
        [
          "esm",
          (await import(pathToFileURL(paths.rootEsm).href)) as typeof root,
          (await import(pathToFileURL(paths.httpEsm).href)) as typeof http,
        ],
      ];
    }, 150_000);

    afterAll(() => {
      if (built !== null) rmSync(built, { recursive: true, force: true });
    });

    it("an HTTP error made by any copy is recognised by every copy, and maps to the same problem", () => {
      expect(copies[1]?.[2].HttpRequestError).not.toBe(http.HttpRequestError);
      for (const [, makerRoot, makerHttp] of copies) {
        const made = samples(makerRoot, makerHttp);
        for (const code of httpCodes) {
          const error = made[code];
          for (const [name, checkerRoot, checkerHttp] of copies) {
            expect(checkerRoot.isOnboardingError(error), `${name} ${code}`).toBe(true);
            expect(error instanceof checkerRoot.OnboardingError, `${name} ${code}`).toBe(true);
            expect(checkerHttp.isHttpRequestError(error), `${name} ${code}`).toBe(true);
            expect(error instanceof checkerHttp.HttpRequestError, `${name} ${code}`).toBe(true);
            expect(error instanceof checkerRoot.ValidationError, `${name} ${code}`).toBe(false);
            expect(checkerHttp.toProblem(error)).toEqual(http.toProblem(SAMPLES[code]));
          }
        }
        // And the engine's errors too, through every copy's toProblem.
        for (const [, , checkerHttp] of copies) {
          expect(checkerHttp.toProblem(made.not_ready)).toEqual(http.toProblem(SAMPLES.not_ready));
        }
      }
    });
  });
});
