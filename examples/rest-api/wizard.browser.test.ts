/**
 * The wizard page (page/ + public/, on onboarding-lifecycle/client) in Debian's Chromium through
 * playwright-core, against the REST example on a SQLite file with the worker process (worker.ts)
 * running the verification and bootstrap runs and reporting through the API:
 *
 *  1. a full walk as an operator, from the start screen to `completed`, and the run page;
 *  2. two tabs, a stale save: the notice says who changed what, the input stays, "save again" works;
 *  3. two tabs, a stale action: the same notice, and the unsaved input survives a reload;
 *  4. polling: with the page's clock, one read per 5 s while a run is active, none after (request counts);
 *  5. the server stopped and restarted while the page polls: it says so, and recovers;
 *  6. override: hidden and explained for an operator without the capability, validated, refused
 *     by the server when the capability was revoked meanwhile, then allowed;
 *  7. starting an onboarding for a tenant that has one resumes it; cancel with a reason (and
 *     read-only for an auditor before);
 *  8. a failed verification shows the worker's message, on the wizard and on the run page.
 *
 * Every state worth seeing is written to screenshots/ (git-ignored). Waits are on conditions,
 * never fixed sleeps; polling intervals are short (`pollMs`) or driven by the page's clock. A
 * missing Chromium skips loudly; with REQUIRE_SERVICES=1 it fails.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import type { OnboardingDraft } from "../../src/index.js";
import { chromiumAvailable, launchChromium } from "../../test/support/chromium.js";
import {
  countViews,
  enabledControls,
  focusedId,
  openPage,
  rawTokens,
  screenshot,
  startHarness,
  unlabelledControls,
  type Harness,
} from "./browser-harness.js";

const available = await chromiumAvailable("Chromium (browser tests)");

const FAST = 100; // ms between polls while a run is active, instead of the server's 5 s

describe.skipIf(!available)("the wizard page in Chromium, with a worker process", () => {
  let harness: Harness;
  const operator = { id: "operator" };

  beforeAll(async () => {
    harness = await startHarness();
  }, 90_000);

  afterAll(async () => {
    await harness?.close();
    expect(harness?.pageErrors ?? []).toEqual([]);
    expect(harness?.serverErrors ?? []).toEqual([]);
  }, 30_000);

  /** A draft made through the engine (identified, and with a provider connection if given). */
  async function arrange(ws: string, tenant: string, connection?: string): Promise<OnboardingDraft> {
    const { draft } = await harness.engine.create(
      ws,
      { identity: { tenantId: tenant, displayName: `${tenant} Ltd` } },
      { actor: operator },
    );
    if (connection === undefined) return draft;
    const result = await harness.engine.execute(
      ws,
      draft.id,
      { type: "select_provider", connectionId: connection },
      {
        actor: operator,
        expectedVersion: draft.version,
      },
    );
    return result.draft;
  }

  async function startVerification(draft: OnboardingDraft): Promise<OnboardingDraft> {
    const result = await harness.engine.execute(
      draft.workspaceId,
      draft.id,
      { type: "start_verification" },
      {
        actor: operator,
        expectedVersion: draft.version,
      },
    );
    return result.draft;
  }

  /** Waits until the stored draft satisfies `check` (the worker works in its own process). */
  async function storedWhen(
    draft: OnboardingDraft,
    check: (current: OnboardingDraft) => boolean,
  ): Promise<OnboardingDraft> {
    let current = draft;
    await expect
      .poll(async () => check((current = await harness.engine.get(draft.workspaceId, draft.id, { actor: operator }))), {
        timeout: 20_000,
        interval: 50,
      })
      .toBe(true);
    return current;
  }

  /** Waits until the worker reported progress on the draft's verification (it is held there). */
  async function heldWithProgress(draft: OnboardingDraft): Promise<void> {
    await expect
      .poll(
        async () => {
          const reports = await harness.engine.runProgress(draft.workspaceId, draft.id, { actor: operator });
          return reports.some((report) => report.message !== null);
        },
        { timeout: 20_000, interval: 50 },
      )
      .toBe(true);
  }

  const text = (page: Page, selector: string): Promise<string> => page.locator(selector).innerText();

  it("walks a new onboarding to completed with the worker process, and opens a run's page", async () => {
    const ws = "ws-walk";
    const page = await openPage(harness, { ws, as: "operator", pollMs: FAST });
    expect(await unlabelledControls(page)).toEqual([]);
    expect(await text(page, "#drafts-empty")).toContain("No onboarding");
    await screenshot(page, "01-start-screen");

    // Start: the form, by keyboard.
    await page.locator("#c-tenantId").fill("t-contoso");
    await page.locator("#c-displayName").fill("Contoso");
    await page.locator("#c-primaryDomain").fill("contoso.example");
    await page.locator("#c-primaryDomain").press("Enter");
    await page.waitForSelector('body[data-screen="draft"][data-version="1"]');
    const draftId = new URL(page.url()).searchParams.get("draft") as string;
    expect(await text(page, "#title")).toBe("Contoso");
    expect(await text(page, "#state")).toBe("In progress");
    expect(await page.getAttribute('#stepper li[data-checkpoint="connect_provider"]', "aria-current")).toBe("step");
    expect(await page.isDisabled("#verify-start")).toBe(true);
    expect(await text(page, "#start_verification-why")).toContain("Select a provider connection first");
    expect(await unlabelledControls(page)).toEqual([]);
    await screenshot(page, "02-identified");

    // Provider, then verification by the worker.
    await page.locator("#f-connectionId").fill("conn-contoso");
    await page.locator("#provider-submit").click();
    await page.waitForSelector('body[data-version="2"][data-step="verify_access"]');
    expect(await page.isDisabled("#f-tenantId")).toBe(true); // fixed once a provider is selected
    await page.locator("#verify-start").click();
    await page.waitForSelector('body[data-state="ready_for_activation"]', { timeout: 20_000 });
    expect(await page.getAttribute("#verify-runs .run", "data-outcome")).toBe("succeeded");
    expect(await text(page, "#verify-runs")).toContain("All 14 permissions are granted.");
    expect(await text(page, "#readiness")).toContain("the tenant can be activated");
    await screenshot(page, "03-verified");

    // Bootstrap: both steps, run by the worker.
    expect(await page.isChecked("#op-create_admin_group")).toBe(true);
    expect(await page.isChecked("#op-assign_baseline_policies")).toBe(true);
    await page.locator("#bootstrap-start").click();
    await page.waitForSelector('#bootstrap-runs .run[data-outcome="succeeded"] + .run[data-outcome="succeeded"]', {
      timeout: 20_000,
    });
    await page.waitForSelector('body[data-state="ready_for_activation"][data-step="activate"]');
    expect(await text(page, "#bootstrap-runs")).toContain("Assigned 7 baseline policies.");
    expect(await page.isChecked("#op-create_admin_group")).toBe(false); // done: nothing to redo
    await screenshot(page, "04-bootstrapped");

    // Activate: completed, read-only, no more polling.
    await page.locator("#activate").click();
    await page.waitForSelector('body[data-state="completed"][data-watch="stopped"]');
    expect(await text(page, "#finished")).toContain("Omar Operator activated this tenant");
    expect(await enabledControls(page, "#draft")).toEqual([]);
    expect(await page.isHidden("#step-cancel")).toBe(true);
    expect(await rawTokens(page)).toEqual([]);
    expect(await text(page, "#activity")).toContain(
      "The background worker (worker-1) reported on the access verification",
    );
    await screenshot(page, "05-completed");

    const stored = await harness.engine.get(ws, draftId, { actor: operator });
    expect(stored.lifecycle.state).toBe("completed");
    expect(stored.activation?.by).toBe("operator");

    // The run's link opens the run page the example serves.
    await page.locator("#verify-runs .run-link").click();
    await page.waitForSelector('body[data-screen="run"][data-outcome="succeeded"]');
    expect(await text(page, "#title")).toBe("Access verification: Succeeded");
    expect(await text(page, "#details")).toContain("conn-contoso (revision 1)");
    expect(await text(page, "#activity")).toContain("started an access verification");
    await screenshot(page, "06-run-page");
    await page.close();
  });

  it("two tabs, a stale save: the notice says who changed what, the input stays, and saving again works", async () => {
    const ws = "ws-stale-save";
    const draft = await arrange(ws, "t-fabrikam");
    const tabA = await openPage(harness, { ws, as: "operator", draft: draft.id });
    const tabB = await openPage(harness, { ws, as: "owner", draft: draft.id });

    // Tab A (Omar) saves first, by keyboard.
    await tabA.locator("#f-displayName").fill("Fabrikam Europe");
    await tabA.locator("#f-displayName").press("Enter");
    await tabA.waitForSelector('body[data-version="2"]');

    // Tab B (Olivia) still shows version 1: her save is refused, and the page says why.
    await tabB.locator("#f-displayName").fill("Fabrikam International");
    await tabB.locator("#identify-submit").click();
    await tabB.waitForSelector("#conflict:not([hidden])");
    expect(await focusedId(tabB)).toBe("conflict");
    const notice = await text(tabB, "#conflict");
    expect(notice).toContain(
      "Your “Save identity” was not done: it was based on version 1, and the onboarding is now at version 2.",
    );
    expect(notice).toContain("Version 2: Omar Operator saved the identity");
    expect(notice).toContain("Display name: “t-fabrikam Ltd” → “Fabrikam Europe”");
    expect(notice).toContain("Your input is still in the form: Display name “Fabrikam International”");
    expect(await tabB.inputValue("#f-displayName")).toBe("Fabrikam International");
    expect(await rawTokens(tabB)).toEqual([]);
    await screenshot(tabB, "07-stale-save-notice");

    // Nothing was overwritten; the refused write is in the audit trail.
    const stored = await harness.engine.get(ws, draft.id, { actor: operator });
    expect(stored).toMatchObject({ version: 2, identity: { displayName: "Fabrikam Europe" } });
    const kinds = (await harness.engine.history(ws, draft.id, { actor: operator })).entries.map(
      (e) => `${e.kind}:${e.commandType}`,
    );
    expect(kinds).toEqual(["created:create", "committed:identify", "conflict:identify"]);

    // "Save my input again" applies it on top of version 2.
    await tabB.locator("#conflict-retry").click();
    await tabB.waitForSelector('body[data-version="3"]');
    expect(await tabB.isHidden("#conflict")).toBe(true);
    const saved = await harness.engine.get(ws, draft.id, { actor: operator });
    expect(saved).toMatchObject({
      version: 3,
      identity: { displayName: "Fabrikam International" },
      updatedBy: "owner",
    });
    await tabA.close();
    await tabB.close();
  });

  it("two tabs, a stale action: the notice names the change, and unsaved input survives a reload", async () => {
    const ws = "ws-stale-action";
    const draft = await arrange(ws, "t-northwind", "conn-northwind-1");
    const tabA = await openPage(harness, { ws, as: "operator", draft: draft.id });
    const tabB = await openPage(harness, { ws, as: "owner", draft: draft.id });

    // Tab B has typed a cancellation reason it has not sent.
    await tabB.locator("#f-cancelReason").fill("Duplicate of the Northwind EU onboarding");
    // Tab A switches the provider connection.
    await tabA.locator("#f-connectionId").fill("conn-northwind-2");
    await tabA.locator("#provider-submit").click();
    await tabA.waitForSelector('body[data-version="3"]');

    // Tab B's "Verify access" is based on version 2: refused, explained, nothing started.
    await tabB.locator("#verify-start").click();
    await tabB.waitForSelector("#conflict:not([hidden])");
    expect(await focusedId(tabB)).toBe("conflict");
    const notice = await text(tabB, "#conflict");
    expect(notice).toContain("Your “Verify access” was not done: it was based on version 2");
    expect(notice).toContain("Version 3: Omar Operator selected a provider connection");
    expect(notice).toContain("Provider connection: “conn-northwind-1” → “conn-northwind-2”");
    expect(notice).toContain("Cancellation reason “Duplicate of the Northwind EU onboarding”");
    expect(await tabB.isVisible("#conflict-retry")).toBe(false); // an action is not repeated for you
    expect(await tabB.inputValue("#f-connectionId")).toBe("conn-northwind-2"); // untouched fields follow
    expect(await tabB.inputValue("#f-cancelReason")).toBe("Duplicate of the Northwind EU onboarding");
    await screenshot(tabB, "08-stale-action-notice");
    const stored = await harness.engine.get(ws, draft.id, { actor: operator });
    expect(stored.verification).toBeNull();
    const last = (await harness.engine.history(ws, draft.id, { actor: operator })).entries.at(-1);
    expect(last).toMatchObject({
      kind: "conflict",
      commandType: "start_verification",
      expectedVersion: 2,
      actualVersion: 3,
    });

    // A reload keeps what was typed.
    await tabB.reload();
    await tabB.waitForSelector('body[data-version="3"]');
    expect(await tabB.inputValue("#f-cancelReason")).toBe("Duplicate of the Northwind EU onboarding");
    expect(await text(tabB, "#info")).toContain("Your unsaved input from before was restored: Cancellation reason");
    await screenshot(tabB, "09-input-restored-after-reload");
    await tabA.close();
    await tabB.close();
  });

  it("polls once per 5 s while a run is active and stops after it (the page's clock, request counts)", async () => {
    const ws = "ws-polling";
    const draft = await startVerification(await arrange(ws, "t-polling", "conn-hold-polling"));
    await heldWithProgress(draft); // the worker reported progress and holds the run

    // A page clock is per browser context: this test gets a browser of its own.
    const own = await launchChromium("wizard-clock", { viewport: { width: 1180, height: 900 } });
    let views = { count: () => 0 };
    const page = await openPage(
      harness,
      { ws, as: "operator", draft: draft.id },
      async (p) => {
        views = countViews(p);
        // Paused from the start: the page loads without timers, and its first poll waits for us.
        const start = Date.now();
        await p.clock.install({ time: start });
        await p.clock.pauseAt(start + 1_000);
      },
      own.context,
    );
    await page.waitForSelector('body[data-watch="polling"]');
    expect(views.count()).toBe(1); // the first read, no timer needed
    expect(await text(page, "#connection")).toContain("checking every 5 s");
    expect(await text(page, "#verify-runs")).toContain(
      "10% · Reading the admin consent of connection conn-hold-polling",
    );
    await screenshot(page, "10-verifying-with-progress");

    // Exactly one read per 5 s of the page's time while the run is active.
    const reads = async (ms: number): Promise<number> => {
      const before = views.count();
      await page.clock.runFor(ms);
      // A request after every read the timers started: once it is answered, they have been counted.
      await page.evaluate(() => fetch("/wizard/session").then((response) => response.ok));
      return views.count() - before;
    };
    expect(await reads(4_000)).toBe(0);
    expect(await reads(1_000)).toBe(1);
    expect(await reads(5_000)).toBe(1);
    expect(await reads(5_000)).toBe(1);

    // The worker finishes; the next poll sees it and polling stops.
    harness.worker.release();
    await storedWhen(draft, (current) => current.verification?.status === "completed");
    await page.clock.runFor(5_000);
    await page.waitForSelector('body[data-watch="idle"][data-state="ready_for_activation"]');
    expect(await text(page, "#live")).toContain("Access verification: Succeeded");
    expect(await reads(60_000)).toBe(0);
    expect(await reads(10 * 60_000)).toBe(0);
    await own.close();
  });

  it("says so when the server goes away mid-poll, and recovers when it is back", async () => {
    const ws = "ws-restart";
    const draft = await startVerification(await arrange(ws, "t-restart", "conn-hold-restart"));
    await heldWithProgress(draft);
    const page = await openPage(harness, { ws, as: "operator", draft: draft.id, pollMs: FAST });
    await page.waitForSelector('body[data-watch="polling"]');

    await harness.stopServer();
    await page.waitForSelector('body[data-watch="offline"]');
    expect(await text(page, "#connection")).toMatch(/Connection lost: trying again/);
    expect(await page.inputValue("#f-displayName")).toBe("t-restart Ltd"); // the page keeps what it shows
    await screenshot(page, "11-server-away");

    await harness.startServer();
    await page.waitForSelector('body[data-watch="polling"]', { timeout: 20_000 });
    expect(await text(page, "#live")).toContain("Connection restored");
    harness.worker.release();
    await page.waitForSelector('body[data-state="ready_for_activation"][data-watch="idle"]', { timeout: 20_000 });
    expect(await page.getAttribute("#verify-runs .run", "data-outcome")).toBe("succeeded");

    // Away again while nobody polls: a save gets no answer, the page says so and offers to try again.
    await harness.stopServer();
    await page.locator("#f-displayName").fill("Restart Holdings");
    await page.locator("#identify-submit").click();
    await page.waitForSelector("#error:not([hidden])", { timeout: 20_000 });
    expect(await text(page, "#error-title")).toBe("The server cannot be reached");
    expect(await focusedId(page)).toBe("error");
    await page.waitForSelector('body[data-watch="offline"]');
    await screenshot(page, "12-save-without-server");
    await harness.startServer();
    await page.waitForSelector('body[data-watch="idle"]', { timeout: 20_000 });
    await page.locator("#error-retry").click(); // the same action: the client reuses its idempotency key
    await page.waitForSelector("#error", { state: "hidden" });
    await storedWhen(draft, (current) => current.identity?.displayName === "Restart Holdings");
    expect(await page.inputValue("#f-displayName")).toBe("Restart Holdings");
    await page.close();
  });

  it("override: explained to an operator without the capability, validated, refused once revoked, then allowed", async () => {
    const ws = "ws-override";
    const draft = await startVerification(await arrange(ws, "t-tailspin", "conn-warn-tailspin"));
    await storedWhen(draft, (current) => current.verification?.outcome === "partially_succeeded");

    // Omar may not override: no control, and the page says who can.
    const omar = await openPage(harness, { ws, as: "operator", draft: draft.id });
    await omar.waitForSelector('body[data-state="ready_for_activation"]');
    expect(await omar.isDisabled("#activate")).toBe(true);
    expect(await text(omar, "#activate-why")).toBe("Only warnings remain: see below.");
    expect(await text(omar, "#readiness")).toContain(
      "Access was verified with warnings (see step 3). “Access verified, but 2 of 14 permissions are missing",
    );
    expect(await text(omar, "#readiness")).toContain("can be overridden");
    expect(await omar.isHidden("#override-form")).toBe(true);
    expect(await text(omar, "#override-note")).toContain(
      "which you (Omar Operator) do not have; Olivia Owner can do it",
    );
    expect(await rawTokens(omar)).toEqual([]);
    await screenshot(omar, "13-override-not-allowed");
    await omar.close();

    // Olivia may: the reason is required (focus goes to the field).
    const olivia = await openPage(harness, { ws, as: "owner", draft: draft.id });
    await olivia.waitForSelector("#override-form:not([hidden])");
    await olivia.locator("#override-submit").click();
    await olivia.waitForSelector('#f-overrideReason[aria-invalid="true"]');
    expect(await focusedId(olivia)).toBe("f-overrideReason");
    expect(await text(olivia, "#f-overrideReason-error")).toBe("Override reason cannot be empty.");
    expect(await text(olivia, "#error-title")).toBe("Some input needs fixing");
    await screenshot(olivia, "14-override-reason-required");

    // Her permission is revoked while the page is open: the server refuses, the page says so.
    const owner = harness.operators.find((entry) => entry.id === "owner") as { capabilities: readonly string[] };
    const granted = owner.capabilities;
    owner.capabilities = granted.filter((capability) => capability !== "override_readiness");
    await olivia.locator("#f-overrideReason").fill("Customer accepted the two missing permissions in writing");
    await olivia.locator("#override-submit").click();
    await olivia.waitForSelector("#error:not([hidden])");
    await olivia.waitForSelector('body[data-busy="false"]');
    expect(await text(olivia, "#error")).toContain(
      "You (Olivia Owner) may not override readiness. Nothing was changed.",
    );
    await olivia.waitForSelector('#activity li[data-kind="denied"]');
    expect(await text(olivia, "#activity")).toContain("Olivia Owner was not allowed to override readiness.");
    expect(await focusedId(olivia)).toBe("error");
    expect(await olivia.inputValue("#f-overrideReason")).toBe(
      "Customer accepted the two missing permissions in writing",
    );
    await screenshot(olivia, "15-override-refused");
    const refused = await harness.engine.get(ws, draft.id, { actor: operator });
    expect(refused.lifecycle.state).toBe("ready_for_activation");
    expect((await harness.engine.history(ws, draft.id, { actor: operator })).entries.at(-1)).toMatchObject({
      kind: "denied",
      capability: "override_readiness",
      actorId: "owner",
    });

    // Given back: the override goes through and is recorded with its reason.
    owner.capabilities = granted;
    await olivia.locator("#override-submit").click();
    await olivia.waitForSelector('body[data-state="completed"]');
    expect(await text(olivia, "#finished")).toContain(
      "With a readiness override: “Customer accepted the two missing permissions in writing”.",
    );
    await screenshot(olivia, "16-activated-with-override");
    const activated = await harness.engine.get(ws, draft.id, { actor: operator });
    expect(activated.activation).toMatchObject({
      by: "owner",
      override: { reason: "Customer accepted the two missing permissions in writing" },
    });
    expect(activated.lifecycle.reason).toBe("override");
    await olivia.close();
  });

  it("resumes a tenant's open onboarding, and cancels it with a reason (read-only for an auditor before, for everyone after)", async () => {
    const ws = "ws-cancel";
    const draft = await arrange(ws, "t-adatum", "conn-adatum");

    // Starting the same tenant again resumes its open onboarding.
    const start = await openPage(harness, { ws, as: "operator" });
    expect(await text(start, "#drafts")).toContain("t-adatum Ltd");
    await start.locator("#c-tenantId").fill("t-adatum");
    await start.locator("#c-displayName").fill("Adatum again");
    await start.locator("#create-submit").click();
    await start.waitForSelector('body[data-screen="draft"][data-version="2"]');
    expect(new URL(start.url()).searchParams.get("draft")).toBe(draft.id);
    expect(await text(start, "#info")).toContain(
      "Tenant t-adatum already had an open onboarding: you are continuing it.",
    );
    await start.close();

    const ava = await openPage(harness, { ws, as: "auditor", draft: draft.id });
    expect(await enabledControls(ava, "#draft")).toEqual([]);
    expect(await text(ava, "#cancel-why")).toBe("You (Ava Auditor) may not cancel onboardings.");
    expect(await text(ava, "#start_verification-why")).toBe("You (Ava Auditor) may not start access verifications.");
    await screenshot(ava, "17-auditor-read-only");
    await ava.close();

    const page = await openPage(harness, { ws, as: "operator", draft: draft.id });
    await page.locator("#f-cancelReason").fill("Adatum signed with another provider");
    await page.locator("#cancel-submit").click();
    expect(await text(page, "#cancel-submit")).toBe("Yes, cancel this onboarding"); // asks once more
    expect(await text(page, "#live")).toContain("Press the button again to confirm");
    await page.locator("#cancel-submit").click();
    await page.waitForSelector('body[data-state="cancelled"][data-watch="stopped"]');
    expect(await text(page, "#state")).toBe("Cancelled");
    expect(await text(page, "#finished")).toContain("Omar Operator cancelled this onboarding");
    expect(await text(page, "#finished")).toContain("Reason: “Adatum signed with another provider”.");
    expect(await enabledControls(page, "#draft")).toEqual([]);
    expect(await rawTokens(page)).toEqual([]);
    await screenshot(page, "18-cancelled");
    const stored = await harness.engine.get(ws, draft.id, { actor: operator });
    expect(stored.cancellation).toMatchObject({ by: "operator", reason: "Adatum signed with another provider" });
    await page.close();
  });

  it("shows the worker's message when verification fails, on the wizard and on the run's page", async () => {
    const ws = "ws-failed";
    const draft = await arrange(ws, "t-litware", "conn-fail-litware");
    const page = await openPage(harness, { ws, as: "operator", draft: draft.id, pollMs: FAST });
    await page.locator("#verify-start").click();
    await page.waitForSelector('body[data-state="action_required"]', { timeout: 20_000 });
    const consent = "Admin consent is missing for connection conn-fail-litware";
    expect(await text(page, "#state")).toBe("Action required");
    expect(await text(page, "#reason")).toContain("Access verification failed: fix the cause, then verify again.");
    expect(await text(page, "#reason")).toContain(`The worker says: “${consent}`);
    expect(await page.getAttribute("#verify-runs .run", "data-outcome")).toBe("failed");
    expect(await text(page, "#verify-runs .run")).toContain(`Worker's message: ${consent}`);
    expect(await text(page, "#verify-start")).toBe("Verify access again");
    expect(await page.isEnabled("#verify-start")).toBe(true);
    expect(await text(page, "#start_bootstrap-why")).toBe("Verify access successfully first (step 3).");
    expect(await text(page, "#readiness")).toContain(
      "Access verification failed: fix the cause and verify again (step 3).",
    );
    expect(await page.getAttribute('#stepper li[data-checkpoint="verify_access"]', "data-status")).toBe("blocked");
    expect(await rawTokens(page)).toEqual([]);
    await screenshot(page, "19-verification-failed");

    await page.locator("#verify-runs .run-link").click();
    await page.waitForSelector('body[data-screen="run"][data-outcome="failed"]');
    expect(await text(page, "#title")).toBe("Access verification: Failed");
    expect(await text(page, "#details")).toContain(consent);
    await screenshot(page, "20-failed-run-page");
    await page.close();
  });
});
