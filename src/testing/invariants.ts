/**
 * The per-draft invariants every store must keep, checked through the engine: shared by the
 * conformance kit and the model-based run (and by adapter tests of their own).
 */
import { createOnboardingEngine } from "../engine/index.js";
import type { AuditEvent, OnboardingDraft } from "../record/index.js";
import { deriveLifecycle, lifecycleEquals } from "../lifecycle/index.js";
import type { DraftStore } from "../store/index.js";
import { wholeHistory } from "./trail.js";

const actor = { id: "conformance-user" };

/**
 * Checks the invariants every store must keep for one draft: the stored lifecycle equals the
 * derived one, versions of `created`/`committed` entries are exactly 1..version, once each, in
 * order. Throws an `Error` describing the first broken invariant.
 *
 * @example
 * ```ts
 * const { draft: final, events } = await assertDraftInvariants(store, "ws-1", draftId);
 * console.log(final.version, events.length);
 * ```
 */
export async function assertDraftInvariants(
  store: DraftStore,
  workspaceId: string,
  draftId: string,
): Promise<{
  /** The validated draft. */
  draft: OnboardingDraft;
  /** Its audit trail. */
  events: AuditEvent[];
}> {
  const engine = createOnboardingEngine({ store, authorize: () => true });
  const draft = await engine.get(workspaceId, draftId, { actor });
  const derived = deriveLifecycle(draft);
  if (!lifecycleEquals(draft.lifecycle, derived)) {
    throw new Error(`stored lifecycle ${JSON.stringify(draft.lifecycle)} != derived ${JSON.stringify(derived)}`);
  }
  const events = await wholeHistory(engine, workspaceId, draftId, { actor });
  const versions = events
    .filter((event) => event.kind === "created" || event.kind === "committed")
    .map((event) => event.toVersion);
  const expected = Array.from({ length: draft.version }, (_, index) => index + 1);
  if (JSON.stringify(versions) !== JSON.stringify(expected)) {
    throw new Error(`audit versions ${JSON.stringify(versions)} are not 1..${draft.version} once each, in order`);
  }
  return { draft, events };
}
