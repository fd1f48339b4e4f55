/**
 * examples/rest-api — who may do what, for the demo. Authentication is out of scope of the
 * example: the acting user is named by the `x-actor-id` header, and the wizard page offers a
 * picker of the demo operators below. One directory feeds both the engine's `authorize` and the
 * page (which shows an action only to an operator who has its capability), so the two can never
 * disagree. Replace it with your own users and roles.
 */
import { CAPABILITIES, type Actor, type Authorize, type Capability } from "../../src/index.js";

/** A person the demo lets you act as. */
export interface DemoOperator {
  /** The actor id (the `x-actor-id` header, recorded in the draft and the audit trail). */
  readonly id: string;
  /** The name the page shows. */
  readonly name: string;
  /** What they are, in words. */
  readonly role: string;
  /** Everything they may do. */
  readonly capabilities: readonly Capability[];
}

/** What an onboarding operator may do: everything but overriding readiness and reporting run results. */
const OPERATOR: readonly Capability[] = CAPABILITIES.filter(
  (capability) => capability !== "override_readiness" && capability !== "record_result",
);

/** The demo's operators: one who may override readiness, one who may not, and a read-only one. */
export const DEMO_OPERATORS: readonly DemoOperator[] = [
  { id: "operator", name: "Omar Operator", role: "Onboarding operator", capabilities: OPERATOR },
  {
    id: "owner",
    name: "Olivia Owner",
    role: "Workspace owner (may override readiness)",
    capabilities: [...OPERATOR, "override_readiness"],
  },
  { id: "auditor", name: "Ava Auditor", role: "Auditor (read-only)", capabilities: ["view"] },
];

/** What a background worker may do: read drafts and report on runs. Worker ids start with `worker`. */
export const WORKER_CAPABILITIES: readonly Capability[] = ["view", "record_result"];

/** The capabilities of an actor id: a demo operator's, a worker's, or none for anybody else. */
export function capabilitiesOf(operators: readonly DemoOperator[], actorId: string): readonly Capability[] {
  if (actorId.startsWith("worker")) return WORKER_CAPABILITIES;
  return operators.find((operator) => operator.id === actorId)?.capabilities ?? [];
}

/**
 * The engine's `authorize` over a directory of operators. It reads the directory on every call,
 * so a test (or an admin screen) can change someone's capabilities while pages are open.
 *
 * @example
 * ```ts
 * const engine = createOnboardingEngine({ store, authorize: demoAuthorize() });
 * ```
 */
export function demoAuthorize(operators: () => readonly DemoOperator[] = () => DEMO_OPERATORS): Authorize<Actor> {
  return (actor, capability) => capabilitiesOf(operators(), actor.id).includes(capability);
}
