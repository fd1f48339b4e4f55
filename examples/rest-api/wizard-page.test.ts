/**
 * The wizard page's logic without a browser, and the example server's wizard routes:
 *
 * - `availableActions` (page/actions.ts) enables an action exactly when the package's reducer
 *   would accept its command and do something, and the operator has the capabilities: a
 *   property over reachable and structural drafts and every subset of capabilities;
 * - every state, checkpoint, reason, blocker, capability, command, feedback, error code and
 *   guard requirement has words in page/messages.ts;
 * - the conflict notice's pieces (`draftChanges`, `commitsBetween`) and `describeError`;
 * - the routes: the pages and their bundled scripts, `GET /wizard/session`, and the view with
 *   the workers' progress (never a 304 once progress is shown) and links to the run page.
 */
import { readFileSync, readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createMemoryStore } from "../../src/adapters/memory/index.js";
import {
  BLOCKER_CODES,
  CAPABILITIES,
  CHECKPOINTS,
  COMMAND_TYPES,
  ErrorCode,
  Feedback,
  LIFECYCLE_REASONS,
  LIFECYCLE_STATES,
  applyCommand,
  createOnboardingEngine,
  evaluateReadiness,
  isOnboardingError,
  parseCommand,
  requiredCapabilities,
  type AuditEvent,
  type Capability,
  type CommandInput,
  type OnboardingDraft,
} from "../../src/index.js";
import { reachableDraftArbitrary, structuralDraftArbitrary, testContext } from "../../src/testing/index.js";
import { AuthorizationError, NetworkError, NotReadyError, ValidationError } from "../../src/client/index.js";
import { formatETag } from "../../src/http/index.js";
import { availableActions, type ActionName } from "./page/actions.js";
import { commitsBetween, draftChanges } from "./page/changes.js";
import { describeError } from "./page/errors.js";
import * as messages from "./page/messages.js";
import type { WizardSession } from "./page/types.js";
import { demoAuthorize } from "./operators.js";
import { createApp, listen } from "./server.js";

const OPERATIONS = ["sync_directory", "apply_baseline"]; // the arbitraries' bootstrap operations

/** The command each action sends, for a draft (inputs as an operator would type them). */
function commandOf(action: ActionName, draft: OnboardingDraft): CommandInput {
  switch (action) {
    case "identify":
      return { type: "identify", tenantId: draft.identity?.tenantId ?? "t-new", displayName: "Renamed Ltd" };
    case "select_provider":
      return { type: "select_provider", connectionId: `${draft.provider?.connectionId ?? "conn"}-other` };
    case "update_provider_connection":
      return { type: "update_provider_connection", connectionId: draft.provider?.connectionId ?? "conn" };
    case "start_verification":
      return { type: "start_verification" };
    case "start_bootstrap":
      return { type: "start_bootstrap", operations: OPERATIONS };
    case "activate":
      return { type: "activate" };
    case "activate_with_override":
      return { type: "activate", override: { reason: "warnings reviewed" } };
    case "cancel":
      return { type: "cancel", reason: "no longer needed" };
  }
}

/** What the engine would do: accept and change something (or save an unchanged form), with the capabilities. */
function possible(action: ActionName, draft: OnboardingDraft, capabilities: readonly Capability[]): boolean {
  const context = testContext();
  const command = parseCommand(commandOf(action, draft));
  let feedback: string;
  try {
    feedback = applyCommand(draft, command, context).feedback;
  } catch (error) {
    if (isOnboardingError(error)) return false;
    throw error;
  }
  if (feedback === Feedback.Deduped) return false; // nothing would start
  // With nothing to override, the page offers the plain activation instead.
  if (action === "activate_with_override" && evaluateReadiness(draft, context.policy, { now: context.now }).ready)
    return false;
  return requiredCapabilities(draft, command, context).every((capability) => capabilities.includes(capability));
}

const ACTIONS: readonly ActionName[] = [
  "identify",
  "select_provider",
  "update_provider_connection",
  "start_verification",
  "start_bootstrap",
  "activate",
  "activate_with_override",
  "cancel",
];

describe("availableActions", () => {
  for (const [name, drafts] of [
    ["reachable", reachableDraftArbitrary()],
    ["structural", structuralDraftArbitrary()],
  ] as const) {
    it(`enables exactly the actions the reducer accepts, on ${name} drafts`, () => {
      // fast-check prints the seed and path of a failure; replay with { seed, path }.
      fc.assert(
        fc.property(drafts, fc.subarray([...CAPABILITIES]), (draft, capabilities) => {
          const context = testContext();
          const readiness = evaluateReadiness(draft, context.policy, { now: context.now });
          const actions = availableActions({
            draft,
            readiness,
            capabilities,
            actorName: "Tess",
            bootstrapOperations: OPERATIONS,
          });
          for (const action of ACTIONS) {
            const expected = possible(action, draft, capabilities);
            if (actions[action].enabled !== expected) {
              throw new Error(
                `${action}: page says ${actions[action].enabled}, engine ${expected} (${JSON.stringify(draft)})`,
              );
            }
            if (!actions[action].enabled && (actions[action].why ?? "") === "")
              throw new Error(`${action}: no reason given`);
          }
        }),
        { numRuns: 400 },
      );
    });
  }

  it("names the missing capability with the operator's name", () => {
    const [draft] = fc.sample(reachableDraftArbitrary(), { numRuns: 1, seed: 3 }) as [OnboardingDraft];
    const readiness = evaluateReadiness(draft);
    const actions = availableActions({
      draft,
      readiness,
      capabilities: ["view"],
      actorName: "Ava Auditor",
      bootstrapOperations: OPERATIONS,
    });
    if (draft.activation === null && draft.cancellation === null) {
      expect(actions.cancel).toEqual({ enabled: false, why: "You (Ava Auditor) may not cancel onboardings." });
    }
  });
});

describe("page/messages.ts", () => {
  const every = (table: Readonly<Record<string, string>>, keys: readonly string[]): void => {
    for (const key of keys) expect(table[key], key).toMatch(/\S/);
  };

  it("has words for every state, checkpoint, reason, blocker, capability, command, feedback and error code", () => {
    every(messages.STATE_LABELS, LIFECYCLE_STATES);
    every(messages.CHECKPOINT_LABELS, CHECKPOINTS);
    every(messages.REASON_TEXT, LIFECYCLE_REASONS);
    every(messages.BLOCKER_TEXT, BLOCKER_CODES);
    every(messages.CAPABILITY_TEXT, CAPABILITIES);
    every(messages.COMMAND_TEXT, [...COMMAND_TYPES, "create"]);
    every(messages.ACTION_TEXT, COMMAND_TYPES);
    every(messages.FEEDBACK_TEXT, Object.values(Feedback));
    every(messages.ERROR_TITLES, [
      ...Object.values(ErrorCode),
      "network_error",
      "unexpected_response",
      "internal_error",
    ]);
  });

  it("has words for every requirement a command's guard can name", () => {
    const dir = fileURLToPath(new URL("../../src/commands/", import.meta.url));
    const requirements = new Set<string>();
    for (const file of readdirSync(dir).filter((name) => name.endsWith(".ts"))) {
      for (const call of readFileSync(`${dir}${file}`, "utf8").matchAll(/\bensure\(([\s\S]*?)\);/g)) {
        const literals = [...(call[1] ?? "").matchAll(/"([a-z_]+)"/g)].map((match) => match[1] as string);
        if (literals.length > 0) requirements.add(literals.at(-1) as string);
      }
    }
    expect(requirements.size).toBeGreaterThanOrEqual(6);
    every(messages.REQUIREMENT_TEXT, [...requirements]);
  });
});

describe("the conflict notice's pieces", () => {
  const base = fc.sample(reachableDraftArbitrary({ maxCommands: 0 }), { numRuns: 1, seed: 1 })[0] as OnboardingDraft;
  const identified: OnboardingDraft = { ...base, identity: { tenantId: "t-1", displayName: "Contoso" }, version: 2 };

  it("lists the fields that differ, in words, with the input they are typed in", () => {
    const renamed: OnboardingDraft = {
      ...identified,
      identity: { tenantId: "t-1", displayName: "Contoso Ltd" },
      version: 3,
    };
    expect(draftChanges(identified, renamed)).toEqual([
      { label: "Display name", before: "Contoso", after: "Contoso Ltd", field: "displayName" },
    ]);
    const connected: OnboardingDraft = { ...renamed, provider: { connectionId: "conn-1", revision: 1 } };
    expect(
      draftChanges(renamed, connected).map((change) => `${change.label}: ${change.before} → ${change.after}`),
    ).toEqual(["Provider connection: — → conn-1", "Provider connection revision: — → 1"]);
  });

  it("names who wrote the versions in between", () => {
    const event = (toVersion: number, actorId: string, commandType: string, kind = "committed"): AuditEvent =>
      ({ kind, toVersion, actorId, commandType, at: "2026-05-12T10:00:00.000Z" }) as unknown as AuditEvent;
    const events = [
      event(2, "operator", "identify"),
      event(3, "worker-1", "record_verification_result"),
      event(3, "owner", "cancel", "conflict"),
    ];
    const nameOf = (id: string): string => ({ operator: "Omar Operator" })[id] ?? id;
    expect(
      commitsBetween(events, 1, 3, nameOf).map((commit) => `${commit.version} ${commit.who} ${commit.what}`),
    ).toEqual(["2 Omar Operator saved the identity", "3 worker-1 reported on the access verification"]);
  });
});

describe("describeError", () => {
  const context = {
    actorName: "Omar Operator",
    fieldOf: (path: readonly (string | number)[]) => (path[0] === "override" ? "overrideReason" : null),
  };

  it("turns the package's errors into words", () => {
    const notReady = describeError(
      new NotReadyError(
        "d-1",
        [{ code: "verification_failed", checkpoint: "verify_access", overridable: false, message: "x" }],
        false,
      ),
      context,
    );
    expect(notReady.items).toEqual([messages.BLOCKER_TEXT.verification_failed]);
    expect(describeError(new AuthorizationError("override_readiness", "operator", "d-1"), context).detail).toBe(
      "You (Omar Operator) may not override readiness. Nothing was changed.",
    );
    const invalid = describeError(
      new ValidationError("command", [{ code: "too_small", path: ["override", "reason"], message: "Too small" }]),
      context,
    );
    expect(invalid.fields).toEqual({ overrideReason: "Override reason cannot be empty." });
    expect(invalid.detail).toBe("Nothing was saved. Fix Override reason and try again.");
    expect(describeError(new NetworkError(new TypeError("fetch failed"), 3, "k-1"), context)).toMatchObject({
      title: messages.ERROR_TITLES.network_error,
      retry: true,
    });
  });
});

describe("the wizard's routes", () => {
  const app = (): ReturnType<typeof createApp> =>
    createApp({ engine: createOnboardingEngine({ store: createMemoryStore(), authorize: demoAuthorize() }) });

  it("serves the pages, the stylesheet and the bundled scripts", async () => {
    const server = await listen(app());
    try {
      const page = await fetch(`${server.url}/wizard`);
      expect(page.headers.get("content-type")).toContain("text/html");
      expect(await page.text()).toContain('src="/wizard/assets/wizard.js"');
      expect(await (await fetch(`${server.url}/wizard/run`)).text()).toContain('src="/wizard/assets/run.js"');
      expect((await fetch(`${server.url}/wizard/assets/wizard.css`)).headers.get("content-type")).toContain("text/css");
      for (const script of ["wizard", "run"]) {
        const response = await fetch(`${server.url}/wizard/assets/${script}.js`);
        expect(response.headers.get("content-type")).toContain("text/javascript");
        const text = await response.text();
        expect(text).toContain("createOnboardingClient");
        expect(text).not.toMatch(/from\s*["']node:|\brequire\(/);
      }
    } finally {
      await server.close();
    }
  });

  it("tells the page who is acting and what they may do", async () => {
    const served = app();
    const session = async (actor: string): Promise<WizardSession> =>
      (await (await served.request("/wizard/session", { headers: { "x-actor-id": actor } })).json()) as WizardSession;
    const owner = await session("owner");
    expect(owner.actor).toMatchObject({ id: "owner", name: "Olivia Owner" });
    expect(owner.actor.capabilities).toContain("override_readiness");
    expect((await session("operator")).actor.capabilities).not.toContain("override_readiness");
    expect((await session("auditor")).actor.capabilities).toEqual(["view"]);
    expect((await session("worker-1")).actor).toMatchObject({
      role: "Background worker",
      capabilities: ["view", "record_result"],
    });
    expect((await session("mallory")).actor).toMatchObject({ name: "mallory", capabilities: [] });
    expect(owner.operators.map((operator) => operator.id)).toEqual(["operator", "owner", "auditor"]);
    expect(owner.bootstrapOperations).toEqual(["create_admin_group", "assign_baseline_policies"]);
  });

  it("shows the workers' progress in the view while a run is active, and then never answers 304", async () => {
    const engine = createOnboardingEngine({ store: createMemoryStore(), authorize: demoAuthorize() });
    const served = createApp({ engine });
    const actor = { id: "operator" };
    const { draft } = await engine.create("ws", { identity: { tenantId: "t-1", displayName: "One" } }, { actor });
    const provided = await engine.execute(
      "ws",
      draft.id,
      { type: "select_provider", connectionId: "c-1" },
      { actor, expectedVersion: 1 },
    );
    const started = await engine.execute(
      "ws",
      draft.id,
      { type: "start_verification" },
      { actor, expectedVersion: provided.version },
    );
    const runId = started.runIds[0] as string;
    const path = `/workspaces/ws/drafts/${draft.id}/view`;
    const etag = formatETag(started.draft);
    const get = (ifNoneMatch?: string) =>
      served.request(path, {
        headers: { "x-actor-id": "operator", ...(ifNoneMatch ? { "if-none-match": ifNoneMatch } : {}) },
      });

    // No report yet: the view is a function of the draft, so a 304.
    expect((await get(etag)).status).toBe(304);
    const quiet = (await (await get()).json()) as {
      view: { checkpoints: { runs: { url: string; progress: unknown }[] }[] };
    };
    const run = quiet.view.checkpoints[2]?.runs[0];
    expect(run?.url).toBe(`/wizard/run?ws=ws&draft=${draft.id}&run=${runId}`);

    // A heartbeat changes no version, but the view shows it: 200, without an ETag header.
    await engine.execute(
      "ws",
      draft.id,
      { type: "record_verification_progress", runId, message: "half way", percent: 50 },
      { actor: { id: "worker-1" } },
    );
    const live = await get(etag);
    expect(live.status).toBe(200);
    expect(live.headers.get("etag")).toBeNull();
    const body = (await live.json()) as { etag: string; view: { checkpoints: { runs: { progress: unknown }[] }[] } };
    expect(body.etag).toBe(etag); // the body still names the draft's version for If-Match
    expect(body.view.checkpoints[2]?.runs[0]?.progress).toMatchObject({ message: "half way", percent: 50 });

    // The run ends: no progress shown, conditional again.
    const done = await engine.execute(
      "ws",
      draft.id,
      { type: "record_verification_result", runId, status: "completed", outcome: "succeeded" },
      { actor: { id: "worker-1" } },
    );
    expect((await get(formatETag(done.draft))).status).toBe(304);
  });
});
