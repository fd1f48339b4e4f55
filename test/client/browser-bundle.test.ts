/**
 * `onboarding-lifecycle/client` in a browser bundle: esbuild (`platform: "browser"`) bundles it
 * without a Node built-in, zod, immer or the engine; minified and gzipped it stays under the
 * 5 KB budget (size-limit checks the built file too); and the bundle, run in a sandbox that has
 * only the web platform's globals (a `fetch` bridged to the real REST example, `crypto` with
 * `getRandomValues` only, as on a page served over plain HTTP), creates and edits a draft and
 * gets a VersionConflictError that the Node side recognises as its own class.
 */
import { createContext, runInContext } from "node:vm";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { build, type Metafile } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMemoryStore } from "../../src/adapters/memory/index.js";
import { OnboardingError, VersionConflictError, createOnboardingEngine } from "../../src/index.js";
import { createApp, listen, type RunningServer } from "../../examples/rest-api/server.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const CLIENT = fileURLToPath(new URL("../../src/client/index.ts", import.meta.url));

const ENTRY = `
import { createOnboardingClient, VersionConflictError, OnboardingError } from ${JSON.stringify(CLIENT)};
export async function scenario(baseUrl) {
  const tabA = createOnboardingClient({ baseUrl, workspaceId: "ws-browser", headers: { "x-actor-id": "a" } });
  const tabB = createOnboardingClient({ baseUrl, workspaceId: "ws-browser", headers: { "x-actor-id": "b" } });
  const { draft } = await tabA.create({ identity: { tenantId: "t-1", displayName: "One" } });
  await tabB.get(draft.id);
  const saved = await tabA.execute(draft.id, { type: "select_provider", connectionId: "conn-1" });
  let conflict = null;
  try {
    await tabB.execute(draft.id, { type: "cancel", reason: "stale tab" });
  } catch (error) {
    conflict = error;
  }
  const snapshot = await tabB.view(draft.id);
  return {
    version: saved.version,
    conflict,
    conflictIsLocal: conflict instanceof VersionConflictError && conflict instanceof OnboardingError,
    currentVersion: conflict && conflict.current.version,
    step: snapshot.view.stage.step,
    etag: tabB.etagOf(draft.id),
  };
}`;

interface Bundle {
  readonly text: string;
  readonly metafile: Metafile;
}

async function bundle(minify = false, contents = ENTRY, format: "iife" | "esm" = "iife"): Promise<Bundle> {
  const result = await build({
    stdin: { contents, resolveDir: ROOT, sourcefile: "entry.js", loader: "js" },
    bundle: true,
    write: false,
    platform: "browser",
    format,
    ...(format === "iife" ? { globalName: "lib" } : {}),
    metafile: true,
    minify,
    logLevel: "silent",
  });
  const [output] = result.outputFiles;
  if (output === undefined) throw new Error("esbuild wrote no output");
  return { text: output.text, metafile: result.metafile };
}

/** A sandbox with the web platform's globals only, `fetch` bridged to Node's. */
function browserSandbox(): Record<string, unknown> {
  const webCrypto = globalThis.crypto;
  const sandbox: Record<string, unknown> = {
    console,
    setTimeout,
    clearTimeout,
    queueMicrotask,
    URL,
    URLSearchParams,
    AbortController,
    EventTarget,
    Event,
    fetch: (url: string, init: RequestInit) => fetch(url, init),
    // A page served over plain HTTP: no randomUUID.
    crypto: { getRandomValues: <T extends ArrayBufferView>(array: T): T => webCrypto.getRandomValues(array as never) },
  };
  const context = createContext(sandbox);
  expect(runInContext("[typeof process, typeof Buffer, typeof require, typeof global]", context)).toEqual([
    "undefined",
    "undefined",
    "undefined",
    "undefined",
  ]);
  return context;
}

describe("browser bundle of onboarding-lifecycle/client", () => {
  let server: RunningServer;

  beforeAll(async () => {
    const engine = createOnboardingEngine({ store: createMemoryStore(), authorize: () => true });
    server = await listen(createApp({ engine, onServerError: (error) => console.error(error) }));
  });

  afterAll(async () => {
    await server?.close();
  });

  it("builds for platform browser without Node built-ins, zod, immer or the engine", async () => {
    const { text, metafile } = await bundle();
    const externals = Object.values(metafile.outputs).flatMap((o) => o.imports.filter((i) => i.external));
    expect(externals).toEqual([]);
    expect(text).not.toMatch(/\bnode:[a-z_/]+|\brequire\(|\b__dirname\b|\bBuffer\b/);
    // What ends up in the output (esbuild reads more: the re-exports it then drops).
    const included = Object.values(metafile.outputs).flatMap((output) =>
      Object.entries(output.inputs)
        .filter(([, input]) => input.bytesInOutput > 0)
        .map(([path]) => path),
    );
    const heavy = /node_modules|src\/(engine|lifecycle|commands|store|adapters)\/|src\/record\/error-catalog/;
    expect(included.filter((path) => heavy.test(path))).toEqual([]);
    expect(included.some((path) => path.endsWith("src/record/errors.ts"))).toBe(true);
  });

  it("stays under 5 KB minified and gzipped", async () => {
    const { text } = await bundle(true, `export * from ${JSON.stringify(CLIENT)};`, "esm");
    const gzipped = gzipSync(text).length;
    console.log(`onboarding-lifecycle/client browser bundle: ${text.length} B minified, ${gzipped} B gzipped`);
    expect(gzipped).toBeLessThanOrEqual(5_000);
  });

  it("runs in a browser sandbox against the REST example, its errors recognised by the Node side", async () => {
    const context = browserSandbox();
    runInContext((await bundle()).text, context);
    const lib = context["lib"] as { scenario(baseUrl: string): Promise<Record<string, unknown>> };
    const outcome = await lib.scenario(server.url);
    expect(outcome).toMatchObject({ version: 2, conflictIsLocal: true, currentVersion: 2, step: "verify_access" });
    // Another copy's class (the bundle's), recognised by the brand across copies.
    expect(outcome["conflict"]).toBeInstanceOf(VersionConflictError);
    expect(outcome["conflict"]).toBeInstanceOf(OnboardingError);
    expect(outcome["etag"]).toMatch(/^"[^"]+\.2"$/);
  });
});
