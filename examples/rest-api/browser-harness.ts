/**
 * examples/rest-api — what the wizard's browser tests run on: the REST example on a SQLite file
 * (the memory store cannot be shared with another process), the worker process (worker.ts,
 * spawned with `node --import tsx`) on the same file reporting through the API, and Debian's
 * Chromium through playwright-core. Plus the helpers the tests share: open a page as an
 * operator, count requests, take a screenshot into the git-ignored screenshots/ folder, and
 * check that a page shows words, not codes or ids.
 */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { BrowserContext, Page } from "playwright-core";
import { createOnboardingEngine, type Actor, type OnboardingEngine } from "../../src/index.js";
import { launchChromium } from "../../test/support/chromium.js";
import { DEMO_OPERATORS, demoAuthorize, type DemoOperator } from "./operators.js";
import { createApp, listen, type RunningServer } from "./server.js";
import { openStore, type ExampleStore } from "./store.js";

/** Where the screenshots of a test run go (git-ignored). */
export const SCREENSHOTS = fileURLToPath(new URL("./screenshots/", import.meta.url));

const WORKER = fileURLToPath(new URL("./worker.ts", import.meta.url));

/** The worker process, with what it printed. */
export interface WorkerProcess {
  /** Every event line it printed, parsed. */
  readonly events: readonly Record<string, unknown>[];
  /** Lets every held (`hold`) run go on. */
  release(): void;
  /** Ends it (SIGTERM) and waits for the exit; kills it after 10 s. */
  stop(): Promise<void>;
  /** What it wrote to stderr (for failure messages). */
  stderr(): string;
}

function spawnWorker(env: Record<string, string>): Promise<WorkerProcess> {
  const child: ChildProcessWithoutNullStreams = spawn(process.execPath, ["--import", "tsx", WORKER], {
    env: { ...process.env, ...env },
    stdio: ["pipe", "pipe", "pipe"],
  });
  const events: Record<string, unknown>[] = [];
  let stderr = "";
  let buffered = "";
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the worker did not start in 60 s: ${stderr}`)), 60_000);
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`the worker exited with ${code}: ${stderr}`));
    });
    child.stdout.on("data", (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split("\n");
      buffered = lines.pop() ?? "";
      for (const line of lines) {
        if (line.trim() === "") continue;
        const event = JSON.parse(line) as Record<string, unknown>;
        events.push(event);
        if (event["event"] !== "ready") continue;
        clearTimeout(timer);
        resolve({
          events,
          release: () => void child.stdin.write("release\n"),
          stderr: () => stderr,
          async stop() {
            if (child.exitCode !== null) return;
            child.kill("SIGTERM");
            const kill = setTimeout(() => child.kill("SIGKILL"), 10_000);
            await exited;
            clearTimeout(kill);
          },
        });
      }
    });
  });
}

/** Everything a browser test needs. */
export interface Harness {
  /** The engine the server uses (for arranging drafts and checking the store). */
  readonly engine: OnboardingEngine<Actor>;
  /** The demo operators, mutable: changing someone's capabilities takes effect at once. */
  readonly operators: DemoOperator[];
  /** The server (replaced by `restart`). */
  server: RunningServer;
  /** The worker process. */
  readonly worker: WorkerProcess;
  /** The browser context pages open in. */
  readonly context: BrowserContext;
  /** Errors the server turned into 5xx problems. */
  readonly serverErrors: unknown[];
  /** Errors thrown in pages. */
  readonly pageErrors: string[];
  /** Stops the server (connections closed). */
  stopServer(): Promise<void>;
  /** Starts the server again on the same port. */
  startServer(): Promise<void>;
  /** Stops everything and removes the database. */
  close(): Promise<void>;
}

/** Starts the server, the worker process and Chromium. */
export async function startHarness(): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), "wizard-browser-"));
  const file = join(dir, "onboarding.db");
  const prefix = "wizard_";
  const store: ExampleStore = await openStore(`file:${file}`, prefix);
  const operators: DemoOperator[] = DEMO_OPERATORS.map((operator) => ({ ...operator }));
  const engine = createOnboardingEngine({ store, authorize: demoAuthorize(() => operators) });
  const serverErrors: unknown[] = [];
  const app = createApp({ engine, operators: () => operators, onServerError: (error) => serverErrors.push(error) });
  let server = await listen(app);
  const port = server.port;
  const worker = await spawnWorker({
    DATABASE_URL: `file:${file}`,
    TABLE_PREFIX: prefix,
    API_URL: server.url,
    WORKER_STEP_MS: "80",
    HEARTBEAT_MS: "300",
    DISPATCH_POLL_MS: "100",
  });
  const browser = await launchChromium("wizard-chromium", { viewport: { width: 1180, height: 900 } });
  mkdirSync(SCREENSHOTS, { recursive: true });
  const harness: Harness = {
    engine,
    operators,
    server,
    worker,
    context: browser.context,
    serverErrors,
    pageErrors: [],
    stopServer: () => harness.server.close(),
    async startServer() {
      server = await listen(app, port);
      harness.server = server;
    },
    async close() {
      await browser.close();
      await worker.stop();
      await harness.server.close().catch(() => undefined);
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return harness;
}

/**
 * Opens the wizard as `as` (on the start screen, or on `draft`), collecting page errors. `before`
 * runs before the navigation (to count requests, install a clock); `context` is another browser
 * context than the shared one (a page clock is per context).
 */
export async function openPage(
  harness: Harness,
  query: { readonly ws: string; readonly as: string; readonly draft?: string; readonly pollMs?: number },
  before?: (page: Page) => Promise<void>,
  context: BrowserContext = harness.context,
): Promise<Page> {
  const page = await context.newPage();
  page.on("pageerror", (error) => harness.pageErrors.push(`${page.url()}: ${error.message}`));
  if (before !== undefined) await before(page);
  const params = new URLSearchParams({ ws: query.ws, as: query.as });
  if (query.draft !== undefined) params.set("draft", query.draft);
  if (query.pollMs !== undefined) params.set("pollMs", String(query.pollMs));
  await page.goto(`${harness.server.url}/wizard?${params.toString()}`);
  await page.waitForSelector(query.draft === undefined ? 'body[data-screen="start"]' : "body[data-version]");
  return page;
}

/** Writes a full-page screenshot of the page's current state. */
export async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/** The `GET /view` requests a page makes, counted as they start. */
export function countViews(page: Page): { readonly count: () => number } {
  let count = 0;
  page.on("request", (request) => {
    if (new URL(request.url()).pathname.endsWith("/view")) count += 1;
  });
  return { count: () => count };
}

/**
 * Codes and ids a page must never show an operator: snake_case codes (`action_required`,
 * `verification_failed`) and UUIDs. Returns what it found in the visible text of `selector`.
 */
export async function rawTokens(page: Page, selector = "main"): Promise<string[]> {
  const text = await page.locator(selector).innerText();
  return [
    ...text.matchAll(/\b[a-z]+(?:_[a-z]+)+\b|\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/g),
  ].map((match) => match[0]);
}

/** What the checks below read of a form control (the root tsconfig has no DOM types). */
interface Control {
  readonly id: string;
  readonly tagName: string;
  readonly type?: string;
  readonly disabled?: boolean;
  readonly textContent: string | null;
  readonly outerHTML: string;
  readonly labels?: { readonly length: number } | null;
  getAttribute(name: string): string | null;
  closest(selector: string): unknown;
}

/** Form controls without an accessible name (a label, aria-label or aria-labelledby). */
export async function unlabelledControls(page: Page): Promise<string[]> {
  return page.$$eval("input, select, textarea, button", (elements) =>
    (elements as unknown as Control[])
      .filter((control) => {
        if (control.type === "hidden" || control.closest("[hidden]") !== null) return false;
        const labelled =
          (control.labels?.length ?? 0) > 0 ||
          control.getAttribute("aria-label") ||
          control.getAttribute("aria-labelledby");
        const text = control.tagName === "BUTTON" && (control.textContent ?? "").trim() !== "";
        return !labelled && !text;
      })
      .map((control) => control.id || control.outerHTML.slice(0, 60)),
  );
}

/** The ids of enabled controls inside `selector`. */
export async function enabledControls(page: Page, selector: string): Promise<string[]> {
  return page.$$eval(`${selector} :is(input, textarea, select, button)`, (elements) =>
    (elements as unknown as Control[])
      .filter((control) => control.disabled !== true)
      .map((control) => control.id || control.getAttribute("name") || "?"),
  );
}

/** The id of the element that has the focus. */
export function focusedId(page: Page): Promise<string | undefined> {
  return page.evaluate("document.activeElement?.id");
}
