/**
 * The root entry and the memory adapter bundle for the browser: esbuild (`platform: "browser"`)
 * resolves them without any Node built-in, and the bundles run in a sandbox that has only the
 * web platform's globals (no `process`, `Buffer`, `require`). A `node:crypto` import anywhere
 * the root entry reaches fails the build ("Could not resolve"), which is what users saw.
 */
import { runInContext, createContext } from "node:vm";
import { fileURLToPath } from "node:url";
import { build, type Metafile } from "esbuild";
import { describe, expect, it } from "vitest";
import { describeDraft, deriveLifecycle, evaluateReadiness, resolveStage } from "../../src/index.js";
import { bootstrapOf, connected, run, verified } from "./fixtures.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const INDEX = fileURLToPath(new URL("../../src/index.ts", import.meta.url));
const MEMORY = fileURLToPath(new URL("../../src/adapters/memory/index.ts", import.meta.url));

/** Entry (a): the pure core and presenter, as an app would import them. */
const CORE_ENTRY = `
import { describeDraft, resolveStage, deriveLifecycle, evaluateReadiness } from ${JSON.stringify(INDEX)};
export function view(json) {
  const draft = JSON.parse(json);
  return JSON.stringify({
    lifecycle: deriveLifecycle(draft),
    readiness: evaluateReadiness(draft, { requiredBootstrapOperations: ["sync_directory"] }, { now: 0 }),
    stage: resolveStage(draft),
    view: describeDraft(draft, { runUrl: (id) => "/runs/" + id }),
  });
}`;

/** Entry (b): the engine over the memory store, one onboarding with a rejected stale write. */
const ENGINE_ENTRY = `
import { createOnboardingEngine, resolveStage } from ${JSON.stringify(INDEX)};
import { createMemoryStore } from ${JSON.stringify(MEMORY)};
const ws = "browser-ws";
const operator = { id: "operator" };
const worker = { id: "worker" };
export function engine() {
  return createOnboardingEngine({ store: createMemoryStore(), authorize: () => true });
}
export async function onboard() {
  const e = engine();
  const created = await e.create(ws, { identity: { tenantId: "t-1", displayName: "T" } }, { actor: operator });
  const id = created.draft.id;
  let r = await e.execute(ws, id, { type: "select_provider", connectionId: "conn-1" }, { actor: operator, expectedVersion: created.draft.version });
  r = await e.execute(ws, id, { type: "start_verification" }, { actor: operator, expectedVersion: r.version });
  const runId = r.runIds[0];
  await e.execute(ws, id, { type: "record_verification_result", runId, status: "completed", outcome: "succeeded" }, { actor: worker });
  let conflict = null;
  try {
    await e.execute(ws, id, { type: "cancel", reason: "stale tab" }, { actor: operator, expectedVersion: r.version });
  } catch (error) {
    conflict = error.code;
  }
  const current = await e.get(ws, id, { actor: operator });
  r = await e.execute(ws, id, { type: "activate" }, { actor: operator, expectedVersion: current.version });
  const history = (await e.history(ws, id, { actor: operator })).entries;
  return JSON.stringify({ id, runId, conflict, state: r.state, feedback: r.feedback, step: resolveStage(r.draft).step, kinds: history.map((h) => h.kind) });
}
export async function pagedList() {
  const e = engine();
  await e.create(ws, { identity: { tenantId: "t-1", displayName: "T" } }, { actor: operator });
  await e.create(ws, { identity: { tenantId: "t-2", displayName: "T" } }, { actor: operator });
  const first = await e.list(ws, { actor: operator, limit: 1 });
  const second = await e.list(ws, { actor: operator, limit: 1, cursor: first.nextCursor });
  return second.drafts.length;
}
export async function newDraftId() {
  try {
    return (await engine().create(ws, {}, { actor: operator })).draft.id;
  } catch (error) {
    return "error:" + error.code;
  }
}`;

interface Bundle {
  readonly text: string;
  readonly metafile: Metafile;
}

async function bundle(contents: string): Promise<Bundle> {
  const result = await build({
    stdin: { contents, resolveDir: ROOT, sourcefile: "entry.js", loader: "js" },
    bundle: true,
    write: false,
    platform: "browser",
    format: "iife",
    globalName: "lib",
    metafile: true,
    logLevel: "silent",
  });
  const [output] = result.outputFiles;
  if (output === undefined) throw new Error("esbuild wrote no output");
  return { text: output.text, metafile: result.metafile };
}

/** Imports esbuild left unresolved (external): a browser bundle must have none. */
const externalImports = (metafile: Metafile): string[] =>
  Object.values(metafile.outputs).flatMap((output) => output.imports.filter((i) => i.external).map((i) => i.path));

/** Node-only names a browser does not have. */
const NODE_REFERENCE = /\bnode:[a-z_/]+|\brequire\(|\b__dirname\b|\bsetImmediate\(/;

/**
 * A sandbox with the web platform's globals only; `crypto` can be narrowed to model a browser
 * page outside a secure context (no `randomUUID`) or removed (`null`) for a runtime without it.
 */
function browserSandbox(crypto: object | null = globalThis.crypto): Record<string, unknown> {
  const sandbox: Record<string, unknown> = {
    console,
    setTimeout,
    clearTimeout,
    queueMicrotask,
    structuredClone,
    TextEncoder,
    TextDecoder,
    URL,
    URLSearchParams,
    atob,
    btoa,
    AbortController,
    EventTarget,
    Event,
  };
  if (crypto !== null) sandbox["crypto"] = crypto;
  const context = createContext(sandbox);
  // The context's own globals must not include Node's: the test is worthless otherwise.
  expect(runInContext("[typeof process, typeof Buffer, typeof require, typeof global]", context)).toEqual([
    "undefined",
    "undefined",
    "undefined",
    "undefined",
  ]);
  return context;
}

function load(
  text: string,
  context: Record<string, unknown> = browserSandbox(),
): Record<string, (...args: unknown[]) => unknown> {
  runInContext(text, context);
  return context["lib"] as Record<string, (...args: unknown[]) => unknown>;
}

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe("browser bundle: pure core and presenter (describeDraft, resolveStage, deriveLifecycle, evaluateReadiness)", () => {
  it("builds for platform browser with no node: import", async () => {
    const { text, metafile } = await bundle(CORE_ENTRY);
    expect(externalImports(metafile)).toEqual([]);
    expect(text).not.toMatch(NODE_REFERENCE);
    expect(text).not.toMatch(/\bBuffer\b/);
  });

  it("gives in a browser sandbox the same answers as in Node", async () => {
    const lib = load((await bundle(CORE_ENTRY)).text);
    const drafts = [
      connected(),
      verified(),
      verified("succeeded", { bootstrap: bootstrapOf(run("sync_directory", "running")) }),
      verified("failed"),
    ];
    for (const draft of drafts) {
      const inBrowser = JSON.parse(lib["view"]?.(JSON.stringify(draft)) as string) as unknown;
      const inNode = JSON.parse(
        JSON.stringify({
          lifecycle: deriveLifecycle(draft),
          readiness: evaluateReadiness(draft, { requiredBootstrapOperations: ["sync_directory"] }, { now: 0 }),
          stage: resolveStage(draft),
          view: describeDraft(draft, { runUrl: (id) => "/runs/" + id }),
        }),
      ) as unknown;
      expect(inBrowser).toEqual(inNode);
    }
  });
});

describe("browser bundle: createOnboardingEngine + the memory adapter", () => {
  it("builds for platform browser with no node: import", async () => {
    const { text, metafile } = await bundle(ENGINE_ENTRY);
    expect(externalImports(metafile)).toEqual([]);
    expect(text).not.toMatch(NODE_REFERENCE);
  });

  it("runs a whole onboarding, stale write included, with default (Web Crypto) ids", async () => {
    const lib = load((await bundle(ENGINE_ENTRY)).text);
    const outcome = JSON.parse((await lib["onboard"]?.()) as string) as Record<string, unknown>;
    expect(outcome).toMatchObject({
      conflict: "version_conflict",
      state: "completed",
      feedback: "activated",
      step: "done",
    });
    expect(outcome["id"]).toMatch(UUID_V4);
    expect(outcome["runId"]).toMatch(UUID_V4);
    expect(outcome["kinds"]).toContain("conflict");
  });

  it("falls back to getRandomValues where randomUUID is hidden (a page outside a secure context)", async () => {
    const webCrypto = globalThis.crypto;
    const insecure = {
      getRandomValues: <T extends ArrayBufferView>(array: T): T => webCrypto.getRandomValues(array as never),
    };
    const lib = load((await bundle(ENGINE_ENTRY)).text, browserSandbox(insecure));
    const ids = new Set<unknown>();
    for (let i = 0; i < 20; i += 1) ids.add(await lib["newDraftId"]?.());
    expect(ids.size).toBe(20);
    for (const id of ids) expect(id).toMatch(UUID_V4);
  });

  it("throws ConfigurationError, not a TypeError, where there is no Web Crypto at all", async () => {
    const lib = load((await bundle(ENGINE_ENTRY)).text, browserSandbox(null));
    expect(await lib["newDraftId"]?.()).toBe("error:configuration");
  });

  // List cursors once used Node's global `Buffer` (a global, so the bundle built but paging threw
  // in a browser); they now use btoa/atob and TextEncoder/TextDecoder.
  it("pages engine.list in a browser sandbox", async () => {
    const lib = load((await bundle(ENGINE_ENTRY)).text);
    expect(await lib["pagedList"]?.()).toBe(1);
  });
});
