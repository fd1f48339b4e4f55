/**
 * The request flow printed in docs/http.md is real: this test extracts the ```ts block that
 * defines `postCommand` from the guide, writes it to a folder under `.tmp/` (imports resolve to
 * the built package through its own exports map, as they would for a user) and drives a draft
 * through it on the memory store: operator commands need If-Match (428 without, 412 when stale),
 * worker reports need none (the guide's first version answered them 428), a body that is not
 * JSON is a 400 and one that is not a command a 422.
 *
 * Needs `dist/` (`npm test` builds first). Without it the suite skips with a banner; with
 * REQUIRE_SERVICES=1 (CI) it fails instead.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import type { Actor, OnboardingEngine } from "../../src/index.js";

const root = fileURLToPath(new URL("../../", import.meta.url));
type Root = typeof import("../../src/index.js");
type Memory = typeof import("../../src/adapters/memory/index.js");

/** Imports a built entry by its specifier: a parameter, so tsc does not resolve it before the build. */
const importBuilt = (specifier: string): Promise<unknown> => import(specifier);
type PostCommand = (
  request: Request,
  engine: OnboardingEngine,
  ws: string,
  id: string,
  actor: Actor,
) => Promise<Response>;

async function built(): Promise<{ lib: Root; memory: Memory } | null> {
  try {
    const lib = (await importBuilt("onboarding-lifecycle")) as Root;
    const memory = (await importBuilt("onboarding-lifecycle/adapters/memory")) as Memory;
    return { lib, memory };
  } catch (error) {
    if (
      (error as { code?: unknown }).code === "ERR_MODULE_NOT_FOUND" ||
      /Cannot find|Failed to load|does not exist/.test(String(error))
    ) {
      return null;
    }
    throw error;
  }
}

const pkg = await built();
if (pkg === null) {
  const message = "dist/ is missing: run `npm run build` (the guide's flow is run against the built package)";
  if (process.env["REQUIRE_SERVICES"] === "1") throw new Error(message);
  const line = "!".repeat(78);
  console.warn(`\n${line}\n!! SKIPPING the docs/http.md flow: ${message}.\n${line}\n`);
}

function flowSource(): string {
  const guide = readFileSync(join(root, "docs", "http.md"), "utf8");
  const block = [...guide.matchAll(/```ts\n([\s\S]*?)```/g)]
    .map((match) => match[1] ?? "")
    .find((code) => code.includes("async function postCommand("));
  if (block === undefined) throw new Error("docs/http.md has no ```ts block defining postCommand");
  return `${block}\nexport { getDraft, postCommand };\n`;
}

let dir: string | undefined;
let postCommand: PostCommand | undefined;
if (pkg !== null) {
  mkdirSync(join(root, ".tmp"), { recursive: true });
  dir = mkdtempSync(join(root, ".tmp", "http-guide-"));
  writeFileSync(join(dir, "flow.ts"), flowSource());
  ({ postCommand } = (await import(pathToFileURL(join(dir, "flow.ts")).href)) as { postCommand: PostCommand });
}
afterAll(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(pkg === null)("docs/http.md: the request flow", () => {
  const ws = "ws-http-guide";
  const operator: Actor = { id: "operator-1" };
  const worker: Actor = { id: "worker-1" };

  async function setup(): Promise<{ engine: OnboardingEngine; id: string }> {
    const { lib, memory } = pkg as NonNullable<typeof pkg>;
    const engine = lib.createOnboardingEngine({
      store: memory.createMemoryStore(),
      authorize: (actor, capability) => (capability === "record_result" ? actor.id.startsWith("worker") : true),
    });
    const { draft } = await engine.create(ws, {}, { actor: operator });
    return { engine, id: draft.id };
  }

  async function post(
    engine: OnboardingEngine,
    id: string,
    body: unknown,
    options: { ifMatch?: string; actor?: Actor; raw?: string } = {},
  ) {
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (options.ifMatch !== undefined) headers["if-match"] = options.ifMatch;
    const request = new Request(`http://localhost/drafts/${id}/commands`, {
      method: "POST",
      headers,
      body: options.raw ?? JSON.stringify(body),
    });
    const response = await (postCommand as PostCommand)(request, engine, ws, id, options.actor ?? operator);
    return {
      status: response.status,
      etag: response.headers.get("etag"),
      body: (await response.json()) as Record<string, unknown>,
    };
  }

  it("runs operator commands with If-Match and worker reports without it", async () => {
    const { engine, id } = await setup();
    const identify = { type: "identify", tenantId: "tenant-1", displayName: "Contoso" };
    expect(await post(engine, id, identify)).toMatchObject({ status: 428, body: { code: "precondition_required" } });

    const { formatETag } = (await importBuilt("onboarding-lifecycle/http")) as typeof import("../../src/http/index.js");
    const first = formatETag({ id, version: 1 });
    const identified = await post(engine, id, identify, { ifMatch: first });
    expect(identified).toMatchObject({ status: 200, body: { feedback: "applied", version: 2 } });
    const stale = await post(engine, id, { type: "select_provider", connectionId: "conn-1" }, { ifMatch: first });
    expect(stale).toMatchObject({ status: 412, body: { code: "version_conflict", currentETag: identified.etag } });

    const provider = await post(
      engine,
      id,
      { type: "select_provider", connectionId: "conn-1" },
      { ifMatch: identified.etag as string },
    );
    const verification = await post(engine, id, { type: "start_verification" }, { ifMatch: provider.etag as string });
    expect(verification).toMatchObject({ status: 200, body: { feedback: "queued" } });
    const [runId] = verification.body["runIds"] as string[];

    // The regression: a worker report without If-Match is a normal command, not a 428.
    const report = { type: "record_verification_result", runId, status: "completed", outcome: "succeeded" };
    const verified = await post(engine, id, report, { actor: worker });
    expect(verified).toMatchObject({ status: 200, body: { feedback: "recorded" } });
    expect(verified.etag).toBe(formatETag({ id, version: (verification.body["version"] as number) + 1 }));
    // One sent along (even a stale one) is ignored: the report is matched by runId.
    const again = await post(engine, id, report, { actor: worker, ifMatch: first });
    expect(again.status).toBe(200);
  });

  it("answers a body that is not JSON with 400 and one that is not a command with 422", async () => {
    const { engine, id } = await setup();
    expect(await post(engine, id, null, { raw: "{not json" })).toMatchObject({
      status: 400,
      body: { code: "malformed_request" },
    });
    expect(await post(engine, id, { type: "no_such_command" })).toMatchObject({
      status: 422,
      body: { code: "validation_failed" },
    });
  });
});
