/**
 * page/wizard.ts — the wizard page's entry (bundled by esbuild with onboarding-lifecycle/client
 * into /wizard/assets/wizard.js). Reads who is acting, builds the client (sending the chosen
 * operator's `x-actor-id`; a real app sends its own authentication), fills the operator picker,
 * then opens the start screen or the draft screen.
 *
 * URL: /wizard?ws=<workspace>[&draft=<id>][&as=<operator>][&pollMs=<ms>]
 */
import { createOnboardingClient } from "../../../src/client/index.js";
import { byId, h, setText } from "./dom.js";
import { openDraftScreen } from "./draft-screen.js";
import { describeError } from "./errors.js";
import { info, showErrorNotice, wireNotices } from "./notices.js";
import { loadSession, readConfig, rememberOperator, wizardUrl, type PageConfig } from "./session.js";
import { openStartScreen, takeFlash } from "./start-screen.js";
import type { WizardSession } from "./types.js";

function fillPicker(config: PageConfig, session: WizardSession): void {
  const picker = byId<HTMLSelectElement>("operator");
  const known = session.operators.some((operator) => operator.id === session.actor.id);
  const operators = known ? session.operators : [session.actor, ...session.operators];
  picker.replaceChildren(
    ...operators.map((operator) =>
      h("option", { value: operator.id, selected: operator.id === session.actor.id }, operator.name),
    ),
  );
  setText(byId("acting-role"), session.actor.role);
  picker.addEventListener("change", () => {
    rememberOperator(picker.value);
    // A new page as the other operator: unsaved input survives it (sessionStorage).
    location.assign(wizardUrl(config, { actorId: picker.value }));
  });
}

async function start(): Promise<void> {
  const config = readConfig();
  setText(byId("workspace-name"), config.ws);
  byId<HTMLAnchorElement>("home").href = wizardUrl(config, { draftId: null });
  wireNotices();
  let session: WizardSession;
  try {
    session = await loadSession(config.actorId);
  } catch (error) {
    showErrorNotice(describeError(error, { actorName: config.actorId, fieldOf: () => null }), () => location.reload());
    return;
  }
  fillPicker(config, session);
  const client = createOnboardingClient({
    baseUrl: "",
    workspaceId: config.ws,
    headers: { "x-actor-id": session.actor.id },
    backoff: { baseMs: 500, maxMs: 10_000 },
  });
  const flash = takeFlash();
  if (flash !== null) info(flash);
  if (config.draftId === null) openStartScreen(client, config, session);
  else openDraftScreen({ client, config: { ...config, draftId: config.draftId }, session });
}

void start();
