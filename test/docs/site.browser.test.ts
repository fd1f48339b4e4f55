/**
 * The documentation site renders the generated lifecycle diagram in a real browser, offline.
 *
 * beforeAll builds the TypeDoc site (typedoc.json, its plugins and the guides) into
 * `.tmp/docs-site-browser/` (so it never races `npm run docs` over `docs-site/`), serves it from
 * a loopback static server, and opens the lifecycle guide in headless Chromium
 * (playwright-core driving /usr/bin/chromium, or CHROMIUM_PATH) with a fresh profile. It asserts
 * that the ```mermaid block became an <svg> naming every lifecycle state, that NO request left
 * the loopback interface (every request is recorded; non-loopback ones are also aborted so the
 * test can never depend on the network), and saves a screenshot to test-results/.
 *
 * TypeDoc warnings are not this test's business (`npm run docs` fails on them); the build here
 * runs with `--treatWarningsAsErrors false --skipErrorChecking` so it checks the rendering only.
 * A missing Chromium skips loudly; with REQUIRE_SERVICES=1 it fails.
 */
import { spawnSync } from "node:child_process";
import { mkdir, readFile, readdir, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { extname, join, normalize, sep } from "node:path";
import { fileURLToPath } from "node:url";
import type { BrowserContext } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LIFECYCLE_STATES } from "../../src/index.js";
import { chromiumAvailable, launchChromium } from "../support/chromium.js";

const root = fileURLToPath(new URL("../../", import.meta.url));
const siteDir = join(root, ".tmp", "docs-site-browser");
const screenshotDir = join(root, "test-results");

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".json": "application/json",
  ".png": "image/png",
  ".ico": "image/x-icon",
};

/** A static file server for `dir` on 127.0.0.1 (random port). */
async function serve(dir: string): Promise<{ server: Server; url: string }> {
  const server = createServer((request, response) => {
    void (async () => {
      const path = decodeURIComponent(new URL(request.url ?? "/", "http://127.0.0.1").pathname);
      const file = normalize(join(dir, path.endsWith("/") ? `${path}index.html` : path));
      if (!file.startsWith(dir + sep)) {
        response.writeHead(403).end();
        return;
      }
      try {
        const body = await readFile(file);
        response.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream" }).end(body);
      } catch {
        response.writeHead(404).end("not found");
      }
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${port}` };
}

/** The page TypeDoc made from docs/lifecycle.md: the document holding the lifecycle diagram markers' content. */
async function findLifecyclePage(dir: string): Promise<string> {
  const documents = join(dir, "documents");
  for (const name of (await readdir(documents)).sort()) {
    if (!name.endsWith(".html")) continue;
    const html = await readFile(join(documents, name), "utf8");
    if (html.includes("The decision table") && /class="[^"]*mermaid/.test(html)) return `documents/${name}`;
  }
  throw new Error(`no page with the lifecycle diagram under ${documents}`);
}

function isLoopback(url: string): boolean {
  const { protocol, hostname } = new URL(url);
  if (protocol === "data:" || protocol === "blob:" || protocol === "about:") return true;
  return hostname === "127.0.0.1" || hostname === "localhost" || hostname === "[::1]";
}

const available = await chromiumAvailable("Chromium (docs site browser test)");

describe.skipIf(!available)("docs site in Chromium", () => {
  let server: Server | undefined;
  let baseUrl = "";
  let context: BrowserContext | undefined;
  let browser: Awaited<ReturnType<typeof launchChromium>> | undefined;

  beforeAll(async () => {
    await rm(siteDir, { recursive: true, force: true });
    const build = spawnSync(
      process.execPath,
      [
        join(root, "node_modules", "typedoc", "bin", "typedoc"),
        "--out",
        siteDir,
        "--treatWarningsAsErrors",
        "false",
        "--skipErrorChecking",
        "--logLevel",
        "Error",
      ],
      { cwd: root, encoding: "utf8", timeout: 240_000 },
    );
    if (build.status !== 0) throw new Error(`typedoc failed (${build.status}):\n${build.stdout}\n${build.stderr}`);
    ({ server, url: baseUrl } = await serve(siteDir));
    browser = await launchChromium("docs-chromium", { viewport: { width: 1600, height: 1000 } });
    context = browser.context;
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise<void>((resolve) => (server === undefined ? resolve() : server.close(() => resolve())));
  });

  it("renders the lifecycle diagram as an SVG with every state, without leaving loopback", async () => {
    if (context === undefined) throw new Error("browser not started");
    const requests: string[] = [];
    context.on("request", (request) => {
      requests.push(request.url());
    });
    // Belt and braces: anything not on loopback is aborted (and still recorded above).
    await context.route("**/*", (route) => (isLoopback(route.request().url()) ? route.continue() : route.abort()));

    const page = await context.newPage();
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push(error.message));
    const path = await findLifecyclePage(siteDir);
    await page.goto(`${baseUrl}/${path}`, { waitUntil: "load" });
    await page.waitForSelector("html[data-mermaid]", { timeout: 60_000 });
    expect(await page.getAttribute("html", "data-mermaid")).toBe("rendered");

    const svg = page.locator("div.mermaid svg").first();
    await svg.waitFor({ state: "visible" });
    const text = (await svg.textContent()) ?? "";
    for (const state of LIFECYCLE_STATES) expect(text, `state ${state} in the diagram`).toContain(state);
    for (const command of ["start_verification", "record_verification_result", "activate", "cancel"]) {
      expect(text, `label ${command}`).toContain(command);
    }
    const box = await svg.boundingBox();
    expect(box?.width ?? 0).toBeGreaterThan(200);
    expect(box?.height ?? 0).toBeGreaterThan(200);
    expect(errors).toEqual([]);

    await mkdir(screenshotDir, { recursive: true });
    await svg.scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(screenshotDir, "docs-lifecycle-diagram.png"), fullPage: false });
    await svg.screenshot({ path: join(screenshotDir, "docs-lifecycle-diagram-svg.png") });

    const offLoopback = requests.filter((url) => !isLoopback(url));
    expect(offLoopback, "requests that left the loopback interface").toEqual([]);
    expect(requests.some((url) => url.endsWith("/assets/mermaid.min.js"))).toBe(true);
    await page.close();
  }, 120_000);
});
