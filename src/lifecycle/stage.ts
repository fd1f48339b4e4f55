import { Checkpoint, LifecycleState, type LifecycleReason } from "../vocabulary/index.js";
import type { OnboardingDraft } from "../record/index.js";
import { deriveLifecycle } from "./derive.js";

/** The wizard step to show: a checkpoint, or `done` / `cancelled` for terminal drafts. */
export type WizardStep = Checkpoint | "done" | "cancelled";

/** The default polling interval while a run is active: 5 seconds. */
export const DEFAULT_POLL_INTERVAL_MS = 5000;

/** Options of {@link resolveStage}. */
export interface StageOptions {
  /** Polling interval while a verification or bootstrap run is active. Default 5000 ms. */
  readonly pollIntervalMs?: number;
}

/** A polling hint: poll the draft every `intervalMs` milliseconds. */
export interface PollingHint {
  /** How long to wait between two reads. */
  readonly intervalMs: number;
}

/** Where the wizard should be for a draft. */
export interface Stage {
  /** The step to show or resume. */
  readonly step: WizardStep;
  /** Whether the operator can act on this step now (false for terminal drafts and while a run is active). */
  readonly editable: boolean;
  /** Poll while a verification or bootstrap run is queued or running; `null` otherwise. */
  readonly polling: PollingHint | null;
  /** The lifecycle state the stage was resolved from. */
  readonly state: LifecycleState;
  /** The lifecycle reason, if any. */
  readonly reason: LifecycleReason | null;
}

/**
 * Resolves which wizard step to show for a draft, whether it is editable and whether the UI
 * should poll. Pure, and derived from the canonical lifecycle (never from a stored UI hint).
 *
 * @example
 * ```ts
 * const stage = resolveStage(draft);
 * if (stage.polling) setTimeout(refresh, stage.polling.intervalMs);
 * router.push(`/onboarding/${draft.id}/${stage.step}`);
 * ```
 */
export function resolveStage(draft: OnboardingDraft, options: StageOptions = {}): Stage {
  const lifecycle = deriveLifecycle(draft);
  const { state, reason } = lifecycle;
  if (state === LifecycleState.Completed) return { step: "done", editable: false, polling: null, state, reason };
  if (state === LifecycleState.Cancelled) return { step: "cancelled", editable: false, polling: null, state, reason };
  const active = state === LifecycleState.Verifying || state === LifecycleState.Bootstrapping;
  return {
    step: lifecycle.currentCheckpoint ?? Checkpoint.Identify,
    editable: !active,
    polling: active ? { intervalMs: options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS } : null,
    state,
    reason,
  };
}
