/**
 * The documentation site renders the generated lifecycle diagram in a real browser, offline.
 *
 * beforeAll builds the TypeDoc site (typedoc.json, its plugins and the guides) into
 * `.tmp/docs-site-browser/` (so it never races `npm run docs` over `docs-site/`), serves it from
 * a loopback static server, and opens the lifecycle guide in headless Chromium
 * (playwright-core driving /usr/bin/chromium, or CHROMIUM_PATH) with a fresh profile. It asserts
 * that the ```mermaid block became an <svg> naming every lifecycle state, that NO request left
 * the loopback interface (every request is recorded; non-loopback ones are also aborted so the
 * test can never depend on the network), that its labels render at 12 px or more (at the test's
 * 1600 px and in a narrow window), and saves screenshots to test-results/ (git-ignored).
 *
 * It also holds the API reference to being readable: the `OnboardingEngine` and
 * `OnboardingDraft` pages stay under a height budget (they were 22,500 and 1,000 px, the second
 * showing no field at all, because the draft types were expanded inline everywhere), name the
 * record's parts instead of expanding them, list every draft field with its comment, and show an
 * example on every signature of the engine. Full-page screenshots of both go to test-results/.
 * And it measures EVERY page of the site against a height budget (`PAGE_BUDGETS`: 8,000 px for
 * a reference page, larger for the few pages long by content, each named with its reason), so a
 * type expanded inline anywhere fails with the list of offending pages instead of going
 * unnoticed (`toProblem` and `ProblemResponse` were 25,000 px); every height is written to
 * test-results/docs-page-heights.txt.
 *
 * TypeDoc warnings are not this test's business (`npm run docs` fails on them); the build here
 * runs with `--treatWarningsAsErrors false --skipErrorChecking` so it checks the rendering only.
 * A missing Chromium skips loudly; with REQUIRE_SERVICES=1 it fails.
 */
import { spawnSync } from "node:child_process";
import { mkdir, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { extname, join, normalize, sep } from "node:path";
import { fileURLToPath } from "node:url";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LIFECYCLE_STATES, OnboardingDraftSchema } from "../../src/index.js";
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

/**
 * Height budgets of two API pages at 1600 x 1000 (measured: engine about 6,600 px with an example
 * on each of its ten signatures, draft about 4,400 px with its sixteen fields). One inline
 * expansion of the draft type adds some 3,000 px, so a regression fails long before the old
 * 22,500 px.
 */
const MAX_ENGINE_PAGE_PX = 8000;
const MAX_DRAFT_PAGE_PX = 5000;
/**
 * The height budget of every other page of the site, at the same 1600 x 1000 (measured
 * 2026-12-01 on 688 pages). A reference page (a class, interface, function, type or variable)
 * gets 8,000 px: the tallest outside the exceptions below is `OnboardingEngine` at about 6,900
 * px and the next about 5,600, while one type expanded inline costs some 3,000 px (a draft) to
 * 24,000 px (every problem body: `toProblem` was 25,400 px, `ProblemResponse` 25,300; both are
 * now under 1,700 since `ProblemDetails` is a union of named interfaces). The exceptions are
 * long because of what they list, each with 20 to 25 % margin:
 * - the storage ports (`DraftStore` and the adapters' `*Store`, 8,200 to 9,300 px): some thirty
 *   documented methods each, all content;
 * - the module pages (the root entry's is an index of about 330 names, 10,500 px);
 * - the two error catalogs (`ERROR_CATALOG`, `PROBLEM_CATALOG`, 7,300 and 7,500 px, from 11,700
 *   and 11,900 before the theme stopped printing their types twice): one entry per error code,
 *   about 300 px each, so a few new codes must not fail the build.
 * The guides (`documents/`) are prose and may be long (the longest, "Writing an adapter", is
 * 17,800 px): their 24,000 px catches a page whose layout broke (an unwrapped table or code
 * block), not a long text.
 */
const PAGE_BUDGETS: readonly { readonly pages: RegExp; readonly px: number; readonly why: string }[] = [
  { pages: /^documents\//, px: 24_000, why: "guide" },
  { pages: /^modules\//, px: 13_000, why: "module index" },
  { pages: /^interfaces\/[^/]*\.\w*Store\.html$/, px: 11_500, why: "storage port" },
  { pages: /^variables\/[^/]*\.(ERROR|PROBLEM)_CATALOG\.html$/, px: 9_500, why: "error catalog" },
  { pages: /./, px: 8_000, why: "reference page" },
];
/** How many pages are measured at the same time (each waits on its own scripts). */
const MEASURE_TABS = 3;
/**
 * TypeDoc's scripts the height check does not load: the sidebar's navigation tree, the search
 * index, the hierarchy data and the icon sprite. None changes the height of the page (measured
 * on 200 pages: every height the same with and without them) and together they cost 60 % of
 * the time per page, because every page rebuilds the sidebar of all ~690 pages.
 */
const NOT_FOR_HEIGHTS = /\/assets\/(navigation|search|hierarchy|icons)\.js$/;
/** The smallest label size the lifecycle diagram may render at, in CSS pixels. */
const MIN_DIAGRAM_LABEL_PX = 12;

// Scripts run in the page are plain text: this program has no DOM types (tsconfig `lib`).

/** Waits until TypeDoc shows the page (it keeps <body> hidden until its script is ready). */
async function shown(page: Page): Promise<void> {
  await page.waitForFunction('getComputedStyle(document.body).display !== "none"', undefined, { timeout: 30_000 });
}

/**
 * Every HTML page under `dir`, as paths relative to it with `/` separators (sorted).
 */
async function sitePages(dir: string): Promise<string[]> {
  const files = await readdir(dir, { recursive: true });
  return files
    .map((file) => file.split(sep).join("/"))
    .filter((file) => file.endsWith(".html"))
    .sort();
}

/** The first budget whose pattern matches `path` (the last one matches every page). */
function budgetOf(path: string): (typeof PAGE_BUDGETS)[number] {
  const budget = PAGE_BUDGETS.find((candidate) => candidate.pages.test(path));
  if (budget === undefined) throw new Error(`no height budget for ${path}`);
  return budget;
}

/**
 * Opens `path` and returns its rendered height. It shows the page the way TypeDoc's own script
 * would (that script otherwise waits half a second), and waits for a lifecycle diagram to render
 * where the page has one, since the diagram changes the height.
 */
async function measuredHeight(page: Page, url: string): Promise<number> {
  await page.goto(url, { waitUntil: "domcontentloaded" });
  await page.evaluate('window.app ? window.app.showPage() : document.body.style.removeProperty("display")');
  await shown(page);
  if (await page.evaluate('document.querySelector("pre > code.mermaid, div.mermaid") !== null')) {
    await page.waitForSelector("html[data-mermaid]", { timeout: 60_000 });
  }
  return pageHeight(page);
}

/** The page's full height in CSS pixels. */
async function pageHeight(page: Page): Promise<number> {
  return Number(await page.evaluate("document.documentElement.scrollHeight"));
}

/** Runs `script` (an expression yielding JSON text) in the page and parses its result. */
async function inPage<T>(page: Page, script: string): Promise<T> {
  return JSON.parse(String(await page.evaluate(script))) as T;
}

/** The smallest rendered size of the diagram's state and edge labels: CSS font size times the SVG's scale. */
function smallestLabelPx(page: Page): Promise<{ px: number; labels: number }> {
  return inPage(
    page,
    `(() => {
      const svg = document.querySelector("div.mermaid svg");
      const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
      const labels = [...svg.querySelectorAll(".nodeLabel, .edgeLabel span, .edgeLabel text")]
        .filter((label) => (label.textContent || "").trim() !== "");
      const sizes = labels.map((label) => parseFloat(getComputedStyle(label).fontSize) * scale);
      return JSON.stringify({ px: Math.min(...sizes), labels: labels.length });
    })()`,
  );
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

    const labels = await smallestLabelPx(page);
    expect(labels.labels, "labels found in the diagram").toBeGreaterThan(LIFECYCLE_STATES.length);
    expect(labels.px, "smallest diagram label (px)").toBeGreaterThanOrEqual(MIN_DIAGRAM_LABEL_PX);

    const offLoopback = requests.filter((url) => !isLoopback(url));
    expect(offLoopback, "requests that left the loopback interface").toEqual([]);
    expect(requests.some((url) => url.endsWith("/assets/mermaid.min.js"))).toBe(true);
    await page.close();
  }, 120_000);
  it("keeps the diagram's labels at 12 px or more in a narrow window (it scrolls sideways instead)", async () => {
    if (context === undefined) throw new Error("browser not started");
    const page = await context.newPage();
    await page.setViewportSize({ width: 900, height: 900 });
    await page.goto(`${baseUrl}/${await findLifecyclePage(siteDir)}`, { waitUntil: "load" });
    await page.waitForSelector("html[data-mermaid=rendered]", { timeout: 60_000 });
    const labels = await smallestLabelPx(page);
    expect(labels.px, "smallest diagram label (px) at 900 px").toBeGreaterThanOrEqual(MIN_DIAGRAM_LABEL_PX);
    const svg = page.locator("div.mermaid svg").first();
    await svg.scrollIntoViewIfNeeded();
    await mkdir(screenshotDir, { recursive: true });
    await page.screenshot({ path: join(screenshotDir, "docs-lifecycle-diagram-narrow.png") });
    await page.close();
  }, 120_000);

  it("shows OnboardingEngine on one readable page: named types, an example on every signature", async () => {
    if (context === undefined) throw new Error("browser not started");
    const page = await context.newPage();
    await page.goto(`${baseUrl}/interfaces/onboarding-lifecycle.OnboardingEngine.html`, { waitUntil: "load" });
    await shown(page);
    const height = await pageHeight(page);
    expect(height, "OnboardingEngine page height (px)").toBeLessThan(MAX_ENGINE_PAGE_PX);

    const content = page.locator(".col-content");
    const text = (await content.textContent()) ?? "";
    // The draft and its audit entries are links to their pages, never expanded: fields only an
    // expansion would print (the examples do not use them).
    for (const field of ["lastCompletedCheckpoint", "providerRevision", "bootstrapRunIds", "fromVersion"]) {
      expect(text, `${field} expanded inline on the engine page`).not.toContain(field);
    }
    for (const name of ["OnboardingDraft", "AuditEvent", "OperatorCommand", "WorkerCommand", "MutationResult"]) {
      expect(
        await content.locator(`a[href$="onboarding-lifecycle.${name}.html"]`).count(),
        `link to ${name}`,
      ).toBeGreaterThan(0);
    }

    const methods = await inPage<{ name: string; example: boolean }[]>(
      page,
      `JSON.stringify([...document.querySelectorAll(".col-content section.tsd-member ul.tsd-signatures > li")].map((item) => ({
        name: item.closest("section").querySelector("h3").id,
        example: item.querySelector(".tsd-description .tsd-tag-example pre code") !== null,
      })))`,
    );
    expect(methods.map((method) => method.name)).toEqual(
      expect.arrayContaining(["create", "get", "execute", "history", "list", "runprogress", "expirestuckruns", "on"]),
    );
    expect(
      methods.filter((method) => !method.example).map((method) => method.name),
      "signatures without an example",
    ).toEqual([]);

    await mkdir(screenshotDir, { recursive: true });
    await page.screenshot({ path: join(screenshotDir, "docs-onboarding-engine.png"), fullPage: true });
    await page.close();
  }, 120_000);

  it("keeps every page of the site under its height budget", async () => {
    if (context === undefined) throw new Error("browser not started");
    const pages = await sitePages(siteDir);
    expect(pages.length, "pages in the site").toBeGreaterThan(300);
    const heights = new Map<string, number>();
    const queue = [...pages];
    const tabs = await Promise.all(
      Array.from({ length: MEASURE_TABS }, async () => {
        const tab = await context!.newPage();
        await tab.route(NOT_FOR_HEIGHTS, (route) => route.abort());
        return tab;
      }),
    );
    await Promise.all(
      tabs.map(async (tab) => {
        for (let path = queue.shift(); path !== undefined; path = queue.shift()) {
          heights.set(path, await measuredHeight(tab, `${baseUrl}/${path}`));
        }
        await tab.close();
      }),
    );
    expect(heights.size).toBe(pages.length);

    const offenders = [...heights]
      .map(([path, px]) => ({ path, px, budget: budgetOf(path) }))
      .filter(({ px, budget }) => px > budget.px)
      .sort((a, b) => b.px - a.px)
      .map(({ path, px, budget }) => `${path}: ${px} px (budget ${budget.px} px, ${budget.why})`);
    const tallest = [...heights].sort((a, b) => b[1] - a[1]).slice(0, 12);
    await mkdir(screenshotDir, { recursive: true });
    await writeFile(
      join(screenshotDir, "docs-page-heights.txt"),
      [...heights]
        .sort((a, b) => b[1] - a[1])
        .map(([path, px]) => `${px}\t${path}`)
        .join("\n") + "\n",
    );
    expect(
      offenders,
      `pages over their height budget (an inline-expanded type? name it); tallest: ${tallest
        .map(([path, px]) => `${path} ${px}`)
        .join(", ")}`,
    ).toEqual([]);
  }, 900_000);

  it("lists every field of OnboardingDraft, in record order, with its comment and links to its parts", async () => {
    if (context === undefined) throw new Error("browser not started");
    const page = await context.newPage();
    await page.goto(`${baseUrl}/interfaces/onboarding-lifecycle.OnboardingDraft.html`, { waitUntil: "load" });
    await shown(page);
    const height = await pageHeight(page);
    expect(height, "OnboardingDraft page height (px)").toBeLessThan(MAX_DRAFT_PAGE_PX);

    const members = await inPage<{ name: string; comment: string }[]>(
      page,
      `JSON.stringify([...document.querySelectorAll(".col-content section.tsd-member")].map((section) => ({
        name: section.querySelector("h3").textContent.replace("Readonly", "").trim(),
        comment: (section.querySelector(".tsd-comment") || { textContent: "" }).textContent.trim(),
      })))`,
    );
    expect(members.map((member) => member.name)).toEqual(Object.keys(OnboardingDraftSchema.shape));
    for (const member of members) expect(member.comment.length, `comment of ${member.name}`).toBeGreaterThan(10);

    const content = page.locator(".col-content");
    const parts = ["Lifecycle", "Identity", "Provider", "Verification", "Bootstrap", "Activation", "Cancellation"];
    for (const part of [...parts, "Invalidation"]) {
      expect(
        await content.locator(`a[href$="onboarding-lifecycle.${part}.html"]`).count(),
        `link to ${part}`,
      ).toBeGreaterThan(0);
    }

    await mkdir(screenshotDir, { recursive: true });
    await page.screenshot({ path: join(screenshotDir, "docs-onboarding-draft.png"), fullPage: true });
    await page.close();
  }, 120_000);
});
