/**
 * page/start-screen.ts — no draft chosen yet: the workspace's onboardings to resume (open ones
 * first), and a form to start one. Starting asks the server to resume the tenant's open
 * onboarding if it has one (`onExisting: "resume"`), so an operator never makes a duplicate.
 */
import type { OnboardingClient } from "../../../src/client/index.js";
import type { OnboardingDraft } from "../../../src/record/schema.js";
import type { LifecycleState } from "../../../src/vocabulary/index.js";
import { byId, fieldError, h, show } from "./dom.js";
import { describeError } from "./errors.js";
import { when, namer } from "./format.js";
import { STATE_LABELS } from "./messages.js";
import { hideErrorNotice, showErrorNotice } from "./notices.js";
import { wizardUrl, type PageConfig } from "./session.js";
import type { WizardSession } from "./types.js";

const TONES: Readonly<Record<LifecycleState, string>> = {
  draft: "neutral",
  verifying: "info",
  action_required: "danger",
  bootstrapping: "info",
  ready_for_activation: "success",
  completed: "success",
  cancelled: "neutral",
};

const FLASH = "wizard.flash";

/** A message for the next page of this tab (the draft screen shows it once). */
export function takeFlash(): string | null {
  try {
    const text = sessionStorage.getItem(FLASH);
    sessionStorage.removeItem(FLASH);
    return text;
  } catch {
    return null;
  }
}

const finished = (draft: OnboardingDraft): boolean => draft.activation !== null || draft.cancellation !== null;

function draftItem(draft: OnboardingDraft, config: PageConfig, nameOf: (id: string) => string): HTMLLIElement {
  const state = draft.lifecycle.state;
  const name = draft.identity?.displayName ?? "New onboarding";
  return h(
    "li",
    { "data-draft-id": draft.id },
    h("a", { href: wizardUrl(config, { draftId: draft.id }) }, name),
    draft.identity ? h("span", { class: "muted" }, ` · tenant ${draft.identity.tenantId}`) : null,
    " ",
    h("span", { class: `badge tone-${TONES[state]}` }, STATE_LABELS[state]),
    h("span", { class: "muted block" }, `Last change ${when(draft.updatedAt)} by ${nameOf(draft.updatedBy)}`),
  );
}

/** Opens the start screen. */
export function openStartScreen(client: OnboardingClient, config: PageConfig, session: WizardSession): void {
  const nameOf = namer(session.operators);
  let cursor: string | null = null;
  const list = byId("drafts");
  const more = byId<HTMLButtonElement>("drafts-more");
  const load = async (): Promise<void> => {
    try {
      const page = await client.list({ limit: 20, cursor });
      const drafts = [...page.drafts].sort(
        (a, b) => Number(finished(a)) - Number(finished(b)) || b.updatedAt.localeCompare(a.updatedAt),
      );
      list.append(...drafts.map((draft) => draftItem(draft, config, nameOf)));
      cursor = page.nextCursor;
      show(more, cursor !== null);
      show(byId("drafts-empty"), list.children.length === 0);
    } catch (error) {
      showErrorNotice(describeError(error, { actorName: session.actor.name, fieldOf: () => null }), () => void load());
    }
  };
  more.addEventListener("click", () => void load());

  const form = byId<HTMLFormElement>("create-form");
  const submit = byId<HTMLButtonElement>("create-submit");
  const allowed = session.actor.capabilities.includes("create");
  submit.disabled = !allowed;
  const why = byId("create-why");
  why.textContent = allowed ? "" : `You (${session.actor.name}) may not start onboardings.`;
  show(why, !allowed);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    void create(client, config, session, form, submit);
  });
  document.body.dataset["screen"] = "start";
  show(byId("start"), true);
  void load();
}

async function create(
  client: OnboardingClient,
  config: PageConfig,
  session: WizardSession,
  form: HTMLFormElement,
  submit: HTMLButtonElement,
): Promise<void> {
  const input = (name: string): HTMLInputElement => form.elements.namedItem(name) as HTMLInputElement;
  const value = (name: string): string => input(name).value.trim();
  hideErrorNotice();
  for (const name of ["tenantId", "displayName", "primaryDomain"]) fieldError(input(name), null);
  submit.disabled = true;
  try {
    const identity = {
      tenantId: value("tenantId"),
      displayName: value("displayName"),
      ...(value("primaryDomain") === "" ? {} : { primaryDomain: value("primaryDomain") }),
    };
    const { draft, created } = await client.create({ identity }, { onExisting: "resume" });
    if (!created) {
      try {
        sessionStorage.setItem(
          FLASH,
          `Tenant ${draft.identity?.tenantId ?? ""} already had an open onboarding: you are continuing it.`,
        );
      } catch {
        // no flash then
      }
    }
    location.assign(wizardUrl(config, { draftId: draft.id }));
  } catch (error) {
    const fieldOf = (path: readonly (string | number)[]): string | null =>
      path[0] === "identity" && typeof path[1] === "string" ? path[1] : null;
    const text = describeError(error, { actorName: session.actor.name, fieldOf });
    const invalid = Object.entries(text.fields);
    for (const [name, message] of invalid) fieldError(input(name), message);
    showErrorNotice(
      text,
      () => void create(client, config, session, form, submit),
      invalid[0] ? input(invalid[0][0]) : null,
    );
    submit.disabled = false;
  }
}
