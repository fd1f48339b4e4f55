/**
 * The checked-in OpenAPI document (specs/openapi.json) must equal what scripts/openapi.ts
 * generates from the zod schemas today; plus sanity checks of the document and of the wizard
 * view schema against `describeDraft`.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import {
  COMMAND_TYPES,
  applyCommand,
  describeDraft,
  newDraft,
  type Command,
  type OnboardingDraft,
} from "../../src/index.js";
import { PROBLEM_CATALOG } from "../../src/http/index.js";
import { DraftViewSchema, OPENAPI_PATH, buildOpenApiDocument, renderOpenApiDocument } from "../../scripts/openapi.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const REGENERATE = "npx tsx scripts/openapi.ts";

type Json = Record<string, unknown>;

describe("specs/openapi.json", () => {
  it("is up to date with the zod schemas", () => {
    let checkedIn: string;
    try {
      checkedIn = readFileSync(`${ROOT}${OPENAPI_PATH}`, "utf8");
    } catch {
      throw new Error(`${OPENAPI_PATH} is missing. Generate it with: ${REGENERATE}`);
    }
    const generated = renderOpenApiDocument();
    if (checkedIn !== generated) {
      // A readable diff of the first difference, then a failure that says how to fix it.
      const a = checkedIn.split("\n");
      const b = generated.split("\n");
      const line = a.findIndex((text, index) => text !== b[index]);
      throw new Error(
        `${OPENAPI_PATH} is out of date with the zod schemas (first difference at line ${line + 1}:\n` +
          `  checked in: ${a[line] ?? "<end>"}\n  generated:  ${b[line] ?? "<end>"}).\n` +
          `Regenerate it with \`${REGENERATE}\` (npm run openapi) and commit the result.`,
      );
    }
  });

  it("is OpenAPI 3.1 and every $ref resolves", () => {
    const document = buildOpenApiDocument();
    expect(document["openapi"]).toBe("3.1.0");
    const refs: string[] = [];
    const walk = (value: unknown): void => {
      if (Array.isArray(value)) value.forEach(walk);
      else if (value !== null && typeof value === "object") {
        for (const [key, child] of Object.entries(value)) {
          if (key === "$ref" && typeof child === "string") refs.push(child);
          else walk(child);
        }
      }
    };
    walk(document);
    expect(refs.length).toBeGreaterThan(20);
    for (const ref of refs) {
      expect(ref.startsWith("#/"), ref).toBe(true);
      let node: unknown = document;
      for (const segment of ref.slice(2).split("/")) node = (node as Json | undefined)?.[segment];
      expect(node, `unresolved ${ref}`).toBeDefined();
    }
  });

  it("names every command and every problem code in its discriminators", () => {
    const schemas = (buildOpenApiDocument()["components"] as Json)["schemas"] as Json;
    const commandMapping = ((schemas["Command"] as Json)["discriminator"] as Json)["mapping"] as Json;
    expect(Object.keys(commandMapping).sort()).toEqual([...COMMAND_TYPES].sort());
    const problemMapping = ((schemas["ProblemDetails"] as Json)["discriminator"] as Json)["mapping"] as Json;
    expect(Object.keys(problemMapping).sort()).toEqual(Object.keys(PROBLEM_CATALOG).sort());
  });

  it("documents ETag, If-Match and problem+json on the command route", () => {
    const document = buildOpenApiDocument();
    const post = ((document["paths"] as Json)["/workspaces/{workspaceId}/drafts/{draftId}/commands"] as Json)[
      "post"
    ] as Json;
    expect(JSON.stringify(post["parameters"])).toContain("#/components/parameters/IfMatch");
    const responses = post["responses"] as Json;
    for (const status of ["200", "412", "428", "409", "422"]) expect(responses[status], status).toBeDefined();
    expect(JSON.stringify(responses["200"])).toContain("#/components/headers/ETag");
    const problem412 = ((document["components"] as Json)["responses"] as Json)["Problem412"] as Json;
    expect(Object.keys(problem412["content"] as Json)).toEqual(["application/problem+json"]);
  });
});

describe("the wizard view schema", () => {
  let counter = 0;
  const step = (draft: OnboardingDraft, command: Command): OnboardingDraft => {
    const outcome = applyCommand(draft, command, {
      now: new Date(Date.UTC(2026, 0, 1, 0, 0, (counter += 1))).toISOString(),
      actorId: "u1",
      nextRunId: () => `run-${(counter += 1)}`,
      policy: {},
    });
    return outcome.draft;
  };

  it("accepts describeDraft output in every stage (and nothing the presenter does not produce)", () => {
    const drafts: OnboardingDraft[] = [];
    let draft = newDraft({ id: "d1", workspaceId: "w1", now: "2026-01-01T00:00:00.000Z", actorId: "u1" });
    drafts.push(draft);
    draft = step(draft, { type: "identify", tenantId: "t1", displayName: "Contoso" });
    drafts.push(draft);
    draft = step(draft, { type: "select_provider", connectionId: "c1" });
    drafts.push(draft);
    draft = step(draft, { type: "start_verification" });
    drafts.push(draft);
    const verificationRun = draft.verification?.runId ?? "";
    draft = step(draft, {
      type: "record_verification_result",
      runId: verificationRun,
      status: "completed",
      outcome: "partially_succeeded",
      message: "warn",
    });
    drafts.push(draft);
    draft = step(draft, { type: "start_bootstrap", operations: ["a", "b"] });
    drafts.push(draft);
    const bootstrapRun = draft.bootstrap?.runs[0]?.runId ?? "";
    draft = step(draft, {
      type: "record_bootstrap_result",
      runId: bootstrapRun,
      status: "completed",
      outcome: "failed",
    });
    drafts.push(draft);
    drafts.push(step(draft, { type: "cancel", reason: "no" }));
    for (const each of drafts) {
      const view = describeDraft(each, { runUrl: (id) => `/runs/${id}` });
      expect(DraftViewSchema.parse(view)).toEqual(view);
    }
    expect(() => DraftViewSchema.parse({ ...describeDraft(drafts[0] as OnboardingDraft), extra: 1 })).toThrow();
  });
});
