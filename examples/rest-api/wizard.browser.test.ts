/**
 * Browser tests of the wizard page (public/index.html + wizard.js) with playwright-core driving
 * the system Chromium (/usr/bin/chromium, or CHROMIUM_PATH), on the memory store:
 * (1) two tabs on one draft: the stale save shows the conflict notice and overwrites nothing;
 * (2) polling runs while a verification run is active and stops when it ends.
 * A missing Chromium skips loudly; with REQUIRE_SERVICES=1 it fails.
 */
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMemoryStore } from "../../src/adapters/memory/index.js";
import { createOnboardingEngine, type Actor, type OnboardingEngine } from "../../src/index.js";
import { chromiumAvailable, launchChromium } from "../../test/support/chromium.js";
import { createApp, listen, type RunningServer } from "./server.js";

const available = await chromiumAvailable("Chromium (browser tests)");

describe.skipIf(!available)("wizard page in Chromium", () => {
  const ws = "ws-browser";
  const operator: Actor = { id: "operator" };
  let engine: OnboardingEngine<Actor>;
  let server: RunningServer;
  let context: BrowserContext;
  let browser: Awaited<ReturnType<typeof launchChromium>> | undefined;

  beforeAll(async () => {
    engine = createOnboardingEngine({ store: createMemoryStore(), authorize: () => true });
    server = await listen(createApp({ engine, onServerError: (error) => console.error(error) }));
    browser = await launchChromium("wizard-chromium");
    context = browser.context;
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  const wizardUrl = (draftId: string, pollMs?: number): string =>
    `${server.url}/wizard?ws=${encodeURIComponent(ws)}&draft=${encodeURIComponent(draftId)}${
      pollMs === undefined ? "" : `&pollMs=${pollMs}`
    }`;

  async function open(url: string): Promise<Page> {
    const page = await context.newPage();
    page.on("pageerror", (error) => console.error("page error:", error));
    await page.goto(url);
    return page;
  }

  it("shows a conflict notice for a stale save in a second tab and overwrites nothing", async () => {
    const { draft } = await engine.create(
      ws,
      { identity: { tenantId: "t-conflict", displayName: "Original" } },
      { actor: operator },
    );
    const url = wizardUrl(draft.id);
    const tabA = await open(url);
    const tabB = await open(url);
    for (const tab of [tabA, tabB]) {
      await tab.waitForSelector('body[data-version="1"]');
      expect(await tab.inputValue('#identity-form input[name="displayName"]')).toBe("Original");
      expect(await tab.getAttribute('li[data-checkpoint="identify"]', "data-status")).toBe("complete");
      expect(await tab.getAttribute('li[data-checkpoint="connect_provider"]', "data-status")).toBe("current");
    }

    // Tab A saves first.
    await tabA.fill('#identity-form input[name="displayName"]', "Saved in tab A");
    await tabA.click('#identity-form button[type="submit"]');
    await tabA.waitForSelector('body[data-version="2"]');
    expect(await tabA.isVisible("#conflict")).toBe(false);

    // Tab B still holds version 1: its save is refused with 412 and the notice appears.
    await tabB.fill('#identity-form input[name="displayName"]', "Saved in tab B");
    const refused = tabB.waitForResponse((response) => response.url().endsWith("/commands"));
    await tabB.click('#identity-form button[type="submit"]');
    expect((await refused).status()).toBe(412);
    await tabB.waitForSelector("#conflict", { state: "visible" });
    expect(await tabB.textContent("#conflict")).toContain("Someone else changed this draft");
    expect(await tabB.inputValue('#identity-form input[name="displayName"]')).toBe("Saved in tab B");

    // Nothing was overwritten: the stored draft is tab A's, and the rejected write is audited.
    const stored = await engine.get(ws, draft.id, { actor: operator });
    expect(stored.version).toBe(2);
    expect(stored.identity?.displayName).toBe("Saved in tab A");
    const history = (await engine.history(ws, draft.id, { actor: operator })).entries;
    expect(history.map((event) => event.kind)).toEqual(["created", "committed", "conflict"]);

    // Reload brings tab B to the latest version.
    await tabB.click("#reload");
    await tabB.waitForSelector('body[data-version="2"]');
    expect(await tabB.isVisible("#conflict")).toBe(false);
    expect(await tabB.inputValue('#identity-form input[name="displayName"]')).toBe("Saved in tab A");
    await tabA.close();
    await tabB.close();
  });

  it("polls while a run is active and stops when it ends", async () => {
    const { draft } = await engine.create(
      ws,
      { identity: { tenantId: "t-poll", displayName: "Polling" } },
      { actor: operator },
    );
    const withProvider = await engine.execute(
      ws,
      draft.id,
      { type: "select_provider", connectionId: "c-1" },
      {
        actor: operator,
        expectedVersion: draft.version,
      },
    );
    const started = await engine.execute(
      ws,
      draft.id,
      { type: "start_verification" },
      {
        actor: operator,
        expectedVersion: withProvider.version,
      },
    );
    const runId = started.runIds[0] as string;

    const page = await context.newPage();
    const viewRequests: number[] = [];
    page.on("request", (request) => {
      if (new URL(request.url()).pathname.endsWith("/view")) viewRequests.push(Date.now());
    });
    await page.goto(wizardUrl(draft.id, 100));
    await page.waitForSelector('body[data-polling="on"]');
    expect(await page.getAttribute('li[data-checkpoint="verify_access"]', "data-status")).toBe("in_progress");
    expect(await page.textContent("#polling-status")).toContain("0.1 s");

    // While the run is active, the page keeps reading the view.
    await expect.poll(() => viewRequests.length, { timeout: 10_000, interval: 50 }).toBeGreaterThanOrEqual(4);

    // The worker reports the result: the next poll sees no polling hint and stops.
    await engine.execute(
      ws,
      draft.id,
      { type: "record_verification_result", runId, status: "completed", outcome: "succeeded" },
      {
        actor: { id: "worker" },
      },
    );
    await page.waitForSelector('body[data-polling="off"]', { timeout: 10_000 });
    expect(await page.getAttribute('li[data-checkpoint="verify_access"]', "data-status")).toBe("complete");
    const settled = viewRequests.length;
    await page.waitForTimeout(800); // eight polling intervals
    expect(viewRequests.length).toBe(settled);
    await page.close();
  });

  it("does not poll a draft without an active run", async () => {
    const { draft } = await engine.create(
      ws,
      { identity: { tenantId: "t-idle", displayName: "Idle" } },
      { actor: operator },
    );
    const page = await open(wizardUrl(draft.id));
    await page.waitForSelector('body[data-version="1"]');
    expect(await page.getAttribute("body", "data-polling")).toBe("off");
    const view = (await (await fetch(`${server.url}/workspaces/${ws}/drafts/${draft.id}/view`)).json()) as {
      view: { stage: { polling: unknown } };
    };
    expect(view.view.stage.polling).toBeNull();
    await page.close();
  });
});
