/**
 * page/render-draft.ts — puts a snapshot of a draft (the server's `describeDraft` view and the
 * draft) on the draft screen: the heading and state badge, the five steps with their status,
 * the runs, readiness, and every button enabled exactly as `availableActions` says, with the
 * reason beside a disabled one. A finished draft is read-only. Rendering is idempotent: a poll
 * that brings the same snapshot changes nothing on screen (focus and typing are left alone).
 */
import type { DraftSnapshot } from "../../../src/client/index.js";
import type { AuditEvent } from "../../../src/record/audit.js";
import type { CheckpointRun, OnboardingDraft } from "../../../src/record/schema.js";
import type { CheckpointView } from "../../../src/lifecycle/presenter.js";
import type { ActionName, ActionState } from "./actions.js";
import { bootstrapChoices } from "./actions.js";
import { byId, h, setText, show } from "./dom.js";
import { clock, when } from "./format.js";
import {
  ACTION_TEXT,
  BLOCKER_TEXT,
  CAPABILITY_TEXT,
  CHECKPOINT_LABELS,
  CHECKPOINT_STATUS_LABELS,
  COMMAND_TEXT,
  REASON_TEXT,
  STATE_LABELS,
  operationLabel,
} from "./messages.js";
import { runCard } from "./runs.js";
import type { WizardSession } from "./types.js";

/** What rendering needs besides the snapshot. */
export interface RenderContext {
  /** Who is acting and what the page offers. */
  readonly session: WizardSession;
  /** Actor ids to names. */
  readonly nameOf: (actorId: string) => string;
  /** Every action's state. */
  readonly actions: Readonly<Record<ActionName, ActionState>>;
  /** A command is in flight: every button waits. */
  readonly busy: boolean;
}

const finishedOf = (draft: OnboardingDraft): boolean => draft.activation !== null || draft.cancellation !== null;

function renderHead({ draft, view }: DraftSnapshot, context: RenderContext): void {
  setText(byId("title"), draft.identity?.displayName ?? "New onboarding");
  const badge = byId("state");
  setText(badge, STATE_LABELS[view.state]);
  badge.className = `badge tone-${view.tone}`;
  const parts = [
    draft.identity ? `Tenant ${draft.identity.tenantId}` : null,
    draft.identity?.primaryDomain ?? null,
    `Version ${draft.version}`,
    `Last change ${clock(draft.updatedAt)} by ${context.nameOf(draft.updatedBy)}`,
  ];
  setText(byId("summary"), parts.filter((part) => part !== null).join(" · "));
  const reason = byId("reason");
  const workerSays =
    (view.reason === "verification_failed" || view.reason === "verification_blocked") && draft.verification?.message
      ? ` The worker says: “${draft.verification.message}”`
      : "";
  const text = view.reason === null || finishedOf(draft) ? "" : REASON_TEXT[view.reason] + workerSays;
  setText(reason, text);
  reason.className = `reason tone-${view.tone}`;
  show(reason, text !== "");
  document.title = `${draft.identity?.displayName ?? "New onboarding"}: ${STATE_LABELS[view.state]} · Tenant onboarding`;
}

function renderFinished(draft: OnboardingDraft, context: RenderContext): void {
  const box = byId("finished");
  show(box, finishedOf(draft));
  box.className = `notice ${draft.cancellation !== null ? "notice-neutral" : "notice-success"}`;
  if (draft.activation !== null) {
    const override = draft.activation.override
      ? ` With a readiness override: “${draft.activation.override.reason}”.`
      : "";
    setText(byId("finished-title"), "Activated");
    setText(
      byId("finished-text"),
      `${context.nameOf(draft.activation.by)} activated this tenant on ${when(draft.activation.at)}.${override} This onboarding is read-only now.`,
    );
  } else if (draft.cancellation !== null) {
    const reason = draft.cancellation.reason ? ` Reason: “${draft.cancellation.reason}”.` : "";
    setText(byId("finished-title"), "Cancelled");
    setText(
      byId("finished-text"),
      `${context.nameOf(draft.cancellation.by)} cancelled this onboarding on ${when(draft.cancellation.at)}.${reason} It is read-only now; the tenant can be onboarded again.`,
    );
  }
}

function stepItem(checkpoint: CheckpointView, index: number, current: boolean): HTMLLIElement {
  return h(
    "li",
    {
      class: `tone-${checkpoint.tone}${current ? " is-current" : ""}`,
      "data-checkpoint": checkpoint.checkpoint,
      "data-status": checkpoint.status,
      "aria-current": current ? "step" : null,
    },
    h(
      "a",
      { href: `#step-${checkpoint.checkpoint}` },
      h("span", { class: "num", "aria-hidden": "true" }, String(index + 1)),
      h("span", { class: "label" }, CHECKPOINT_LABELS[checkpoint.checkpoint]),
      h("span", { class: "status" }, CHECKPOINT_STATUS_LABELS[checkpoint.status]),
    ),
  );
}

function renderSteps({ view }: DraftSnapshot): void {
  const signature = JSON.stringify([view.stage.step, view.checkpoints.map((c) => c.status)]);
  const stepper = byId("stepper");
  if (stepper.dataset["signature"] !== signature) {
    stepper.dataset["signature"] = signature;
    stepper.replaceChildren(...view.checkpoints.map((c, i) => stepItem(c, i, c.checkpoint === view.stage.step)));
  }
  for (const checkpoint of view.checkpoints) {
    const section = byId(`step-${checkpoint.checkpoint}`);
    section.dataset["status"] = checkpoint.status;
    section.classList.toggle("is-current", checkpoint.checkpoint === view.stage.step);
    const status = section.querySelector<HTMLElement>(".step-status");
    if (status !== null) setText(status, CHECKPOINT_STATUS_LABELS[checkpoint.status]);
  }
}

function renderRuns(container: HTMLElement, snapshot: DraftSnapshot, checkpoint: "verify_access" | "bootstrap"): void {
  const runs = snapshot.view.checkpoints.find((c) => c.checkpoint === checkpoint)?.runs ?? [];
  const records: readonly CheckpointRun[] = [
    ...(snapshot.draft.verification ? [snapshot.draft.verification] : []),
    ...(snapshot.draft.bootstrap?.runs ?? []),
  ];
  const signature = JSON.stringify(runs);
  if (container.dataset["signature"] === signature) return;
  container.dataset["signature"] = signature;
  const stale = checkpoint === "verify_access" && snapshot.view.reason === "provider_changed" && runs.length > 0;
  container.replaceChildren(
    ...(stale
      ? [h("p", { class: "note" }, "This verification was made against an older provider connection: verify again.")]
      : []),
    ...runs.map((run) =>
      runCard(
        run,
        records.find((record) => record.runId === run.runId),
        { link: true },
      ),
    ),
  );
}

function renderBootstrapChoices(draft: OnboardingDraft, context: RenderContext): void {
  const fieldset = byId("bootstrap-operations");
  const enabled = context.actions.start_bootstrap.enabled;
  for (const choice of bootstrapChoices(draft, context.session.bootstrapOperations)) {
    const id = `op-${choice.operation}`;
    let box = document.getElementById(id) as HTMLInputElement | null;
    if (box === null) {
      box = h("input", { type: "checkbox", id, name: "operations", value: choice.operation });
      fieldset.append(h("div", { class: "check" }, box, h("label", { for: id }, operationLabel(choice.operation))));
    }
    // The operator's ticks are kept until the step's state changes (a run starts or ends).
    const finished = finishedOf(draft);
    const signature = `${choice.active}/${choice.done}/${finished}`;
    if (box.dataset["signature"] !== signature) {
      box.dataset["signature"] = signature;
      box.checked = !choice.done && !choice.active && !finished;
    }
    box.disabled = !enabled || choice.active;
  }
}

function renderReadiness({ draft, view }: DraftSnapshot): void {
  const box = byId("readiness");
  const { readiness } = view;
  const signature = JSON.stringify([readiness, draft.verification?.message ?? null, finishedOf(draft)]);
  if (box.dataset["signature"] === signature) return;
  box.dataset["signature"] = signature;
  if (finishedOf(draft)) {
    box.replaceChildren();
    return;
  }
  if (readiness.ready) {
    box.replaceChildren(h("p", { class: "ready" }, "Everything is in place: the tenant can be activated."));
    return;
  }
  const items = readiness.blockers.map((blocker) => {
    const warnings =
      blocker.code === "verification_warnings" && draft.verification?.message ? ` “${draft.verification.message}”` : "";
    return h(
      "li",
      { "data-code": blocker.code },
      (BLOCKER_TEXT[blocker.code] ?? blocker.message) + warnings,
      blocker.overridable ? h("span", { class: "tag" }, "can be overridden") : null,
    );
  });
  box.replaceChildren(h("p", {}, "What stands in the way of activation:"), h("ul", { class: "blockers" }, ...items));
}

function renderOverride({ draft, view }: DraftSnapshot, context: RenderContext): void {
  const overridable = view.readiness.overridable && !finishedOf(draft);
  const allowed = context.session.actor.capabilities.includes("override_readiness");
  show(byId("override-form"), overridable && allowed);
  const note = byId("override-note");
  show(note, overridable && !allowed);
  if (overridable && !allowed) {
    const who = context.session.operators
      .filter((o) => o.capabilities.includes("override_readiness"))
      .map((o) => o.name);
    setText(
      note,
      `Only warnings remain. Activating despite them needs the permission to ${CAPABILITY_TEXT.override_readiness}, ` +
        `which you (${context.session.actor.name}) do not have${who.length > 0 ? `; ${who.join(", ")} can do it` : ""}.`,
    );
  }
}

function renderProvider(draft: OnboardingDraft): void {
  const provider = draft.provider;
  setText(
    byId("provider-current"),
    provider === null
      ? "No connection selected yet."
      : `Selected: ${provider.connectionId} (revision ${provider.revision}).`,
  );
}

/** `start_bootstrap` needs at least one step ticked: the command names the steps to run. */
function withChosenSteps(
  actions: Readonly<Record<ActionName, ActionState>>,
): Readonly<Record<ActionName, ActionState>> {
  const chosen = document.querySelector("#bootstrap-operations input:checked:not(:disabled)") !== null;
  if (!actions.start_bootstrap.enabled || chosen) return actions;
  return { ...actions, start_bootstrap: { enabled: false, why: "Tick at least one step to run." } };
}

function renderControls(draft: OnboardingDraft, context: RenderContext): void {
  const { busy } = context;
  const finished = finishedOf(draft);
  const actions = withChosenSteps(context.actions);
  const said = new Set<string>(); // one reason once per step ("You may not …" for two buttons)
  for (const button of document.querySelectorAll<HTMLButtonElement>("#draft [data-action]")) {
    const name = button.dataset["action"] as ActionName;
    button.disabled = busy || !actions[name].enabled;
    const why = document.getElementById(`${name}-why`);
    if (why === null) continue;
    const reason = finished ? null : actions[name].why;
    const key = `${button.closest(".step")?.id ?? ""}:${reason ?? ""}`;
    setText(why, reason ?? "");
    show(why, reason !== null && !said.has(key));
    said.add(key);
  }
  const lockTenant = !actions.identify.enabled || draft.provider !== null;
  byId<HTMLInputElement>("f-tenantId").disabled = lockTenant;
  for (const name of ["displayName", "primaryDomain"])
    byId<HTMLInputElement>(`f-${name}`).disabled = !actions.identify.enabled;
  byId<HTMLInputElement>("f-connectionId").disabled = !actions.select_provider.enabled;
  byId<HTMLTextAreaElement>("f-overrideReason").disabled = !actions.activate_with_override.enabled;
  byId<HTMLTextAreaElement>("f-cancelReason").disabled = !actions.cancel.enabled;
  show(byId("step-cancel"), !finished);
  document.body.dataset["busy"] = busy ? "true" : "false";
}

/** Puts a snapshot on the draft screen. */
export function renderDraft(snapshot: DraftSnapshot, context: RenderContext): void {
  const { draft, view } = snapshot;
  document.body.dataset["version"] = String(draft.version);
  document.body.dataset["state"] = view.state;
  document.body.dataset["step"] = view.stage.step;
  renderHead(snapshot, context);
  renderFinished(draft, context);
  renderSteps(snapshot);
  renderProvider(draft);
  renderRuns(byId("verify-runs"), snapshot, "verify_access");
  renderRuns(byId("bootstrap-runs"), snapshot, "bootstrap");
  renderBootstrapChoices(draft, context);
  renderReadiness(snapshot);
  renderOverride(snapshot, context);
  renderControls(draft, context);
  setText(byId("verify-start"), draft.verification?.status === "completed" ? "Verify access again" : "Verify access");
}

const capitalised = (text: string): string => text.charAt(0).toUpperCase() + text.slice(1);

/** The runs of a draft by id, as their operation's words (for "reported on “Create the admin group”"). */
export function runNames(draft: OnboardingDraft): (runId: string) => string | null {
  const runs: readonly CheckpointRun[] = [
    ...(draft.verification ? [draft.verification] : []),
    ...(draft.bootstrap?.runs ?? []),
  ];
  return (runId) => {
    const run = runs.find((candidate) => candidate.runId === runId);
    return run === undefined ? null : operationLabel(run.operation);
  };
}

/** One audit entry in words. */
function activityText(
  event: AuditEvent,
  nameOf: (actorId: string) => string,
  runName: (runId: string) => string | null,
): string {
  const who = capitalised(nameOf(event.actorId));
  const run =
    event.runIds.length === 1 && event.commandType === "record_bootstrap_result"
      ? runName(event.runIds[0] as string)
      : null;
  const commands = COMMAND_TEXT as Readonly<Record<string, string>>;
  const actions = ACTION_TEXT as Readonly<Record<string, string>>;
  const capabilities = CAPABILITY_TEXT as Readonly<Record<string, string>>;
  switch (event.kind) {
    case "created":
    case "committed":
      return `${who} ${commands[event.commandType] ?? event.commandType}${run === null ? "" : `: ${run}`} (version ${event.toVersion ?? "?"}).`;
    case "conflict":
      return `${who}'s “${actions[event.commandType] ?? event.commandType}” was refused: it was based on version ${event.expectedVersion ?? "?"}, the draft was at version ${event.actualVersion ?? "?"}. Nothing was overwritten.`;
    case "denied":
      return `${who} was not allowed to ${capabilities[event.capability ?? ""] ?? event.capability ?? "do that"}.`;
    default:
      return `${who}: ${event.kind.replaceAll("_", " ")} (${event.commandType.replaceAll("_", " ")}).`;
  }
}

/** The audit trail, newest first (at most `limit` entries). */
export function renderActivity(
  events: readonly AuditEvent[],
  nameOf: (actorId: string) => string,
  runName: (runId: string) => string | null,
  limit = 12,
): void {
  const shown = events.slice(-limit).reverse();
  byId("activity").replaceChildren(
    ...shown.map((event) =>
      h(
        "li",
        { "data-kind": event.kind },
        h("time", { datetime: event.at }, clock(event.at)),
        " ",
        activityText(event, nameOf, runName),
      ),
    ),
  );
}
