/**
 * page/actions.ts — which of the wizard's actions the operator can take on the draft on screen,
 * and in words why not. An action is enabled exactly when its command, sent now, would be
 * accepted and do something: the command's guard passes (the same rules as the package's
 * reducers; `wizard-page.test.ts` checks this against `applyCommand` over thousands of drafts),
 * the operator has the capabilities it needs, and it would not be a no-op (a verification
 * already running is `deduped`, not started again). Activation is gated on the view's
 * readiness, which the server evaluated (backend truth, with its clock and policy); the engine
 * re-checks it inside the commit anyway.
 *
 * Pure: no DOM. Imports only types and the lifecycle's two tiny helpers.
 */
import type { Capability } from "../../../src/vocabulary/index.js";
import type { OnboardingDraft } from "../../../src/record/schema.js";
import type { Readiness } from "../../../src/lifecycle/readiness.js";
import { currentBootstrapRuns, isVerificationStale } from "../../../src/lifecycle/derive.js";
import { CAPABILITY_TEXT } from "./messages.js";

/** The wizard's actions: one per operator command, and the activation with an override. */
export type ActionName =
  | "identify"
  | "select_provider"
  | "update_provider_connection"
  | "start_verification"
  | "start_bootstrap"
  | "activate"
  | "activate_with_override"
  | "cancel";

/** Whether an action is possible now, and why not. */
export interface ActionState {
  /** The button is enabled. */
  readonly enabled: boolean;
  /** Why it is not, for the operator (`null` when enabled). */
  readonly why: string | null;
}

/** What the decision depends on. */
export interface ActionContext {
  /** The draft on screen. */
  readonly draft: OnboardingDraft;
  /** Its readiness, from the server's view. */
  readonly readiness: Readiness;
  /** What the acting operator may do. */
  readonly capabilities: readonly Capability[];
  /** The operator's name, for "You (…) may not …". */
  readonly actorName: string;
  /** The bootstrap operations the page offers. */
  readonly bootstrapOperations: readonly string[];
}

/** One bootstrap operation as its checkbox shows it. */
export interface BootstrapChoice {
  /** The operation. */
  readonly operation: string;
  /** Its current run is queued or running (the checkbox is disabled). */
  readonly active: boolean;
  /** Its current run succeeded (the checkbox starts unchecked: nothing to redo). */
  readonly done: boolean;
}

const ACTIVE = new Set(["queued", "running"]);
const SUCCESS = new Set(["succeeded", "partially_succeeded"]);

/** The bootstrap operations with the state of their current run. */
export function bootstrapChoices(draft: OnboardingDraft, operations: readonly string[]): BootstrapChoice[] {
  const runs = currentBootstrapRuns(draft);
  return operations.map((operation) => {
    const run = runs.find((candidate) => candidate.operation === operation);
    return {
      operation,
      active: run !== undefined && ACTIVE.has(run.status),
      done: run?.outcome != null && SUCCESS.has(run.outcome),
    };
  });
}

const yes: ActionState = { enabled: true, why: null };
const no = (why: string): ActionState => ({ enabled: false, why });

/** The first reason against, or enabled. */
function decide(checks: readonly (readonly [boolean, string])[]): ActionState {
  const failed = checks.find(([ok]) => !ok);
  return failed === undefined ? yes : no(failed[1]);
}

/**
 * Every action's state for the draft on screen.
 *
 * @example
 * ```ts
 * const actions = availableActions({ draft, readiness: view.readiness, capabilities, actorName, bootstrapOperations });
 * button.disabled = !actions.start_verification.enabled;
 * ```
 */
export function availableActions(context: ActionContext): Readonly<Record<ActionName, ActionState>> {
  const { draft, readiness } = context;
  const can = (capability: Capability): readonly [boolean, string] => [
    context.capabilities.includes(capability),
    `You (${context.actorName}) may not ${CAPABILITY_TEXT[capability]}.`,
  ];
  if (draft.activation !== null || draft.cancellation !== null) {
    const finished = no("This onboarding is finished: nothing can change any more.");
    return {
      identify: finished,
      select_provider: finished,
      update_provider_connection: finished,
      start_verification: finished,
      start_bootstrap: finished,
      activate: finished,
      activate_with_override: finished,
      cancel: finished,
    };
  }
  const verification = draft.verification;
  const stale = isVerificationStale(draft);
  const runs = currentBootstrapRuns(draft);
  const verified =
    verification !== null && !stale && verification.outcome !== null && SUCCESS.has(verification.outcome);
  const identified: readonly [boolean, string] = [draft.identity !== null, "Identify the tenant first (step 1)."];
  const connected: readonly [boolean, string] = [
    draft.provider !== null,
    "Select a provider connection first (step 2).",
  ];
  return {
    identify: decide([can("identify")]),
    select_provider: decide([identified, can("manage_provider")]),
    update_provider_connection: decide([
      [draft.provider !== null, "For a selected connection that was edited at the provider: select one first."],
      can("manage_provider"),
    ]),
    start_verification: decide([
      identified,
      connected,
      [
        !(verification !== null && !stale && ACTIVE.has(verification.status)),
        "Access verification is already running.",
      ],
      [!runs.some((run) => ACTIVE.has(run.status)), "Bootstrap steps are running: wait for them to finish."],
      can("verify"),
    ]),
    start_bootstrap: decide([
      [verified, "Verify access successfully first (step 3)."],
      [
        bootstrapChoices(draft, context.bootstrapOperations).some((choice) => !choice.active),
        "Every bootstrap step is already running.",
      ],
      can("bootstrap"),
    ]),
    activate: decide([
      [
        readiness.ready,
        readiness.overridable ? "Only warnings remain: see below." : "Not ready yet: see what stands in the way.",
      ],
      can("activate"),
    ]),
    activate_with_override: decide([
      [!readiness.ready, "No override needed: the tenant is ready."],
      [readiness.overridable, "Blockers remain that no override can pass."],
      can("activate"),
      can("override_readiness"),
    ]),
    cancel: decide([can("cancel")]),
  };
}
