/**
 * page/draft-screen.ts — one onboarding, live. A client watch reads the draft's view and keeps
 * reading it at the server's polling hint while a run is active (stopping when it ends), backs
 * off while the server is away and catches up when it is back. Every command sends the ETag of
 * the version on screen; a stale one comes back as a `VersionConflictError`, shown as a notice
 * that says who changed what while the operator's input stays in the form. Every refusal is
 * shown in words, focused; "Try again" after a lost answer reuses the action's idempotency key.
 */
import {
  NetworkError,
  VersionConflictError,
  type CommandInput,
  type DraftSnapshot,
  type OnboardingClient,
  type Watch,
  type WatchStatus,
} from "../../../src/client/index.js";
import { availableActions, type ActionName } from "./actions.js";
import { commitsBetween, draftChanges } from "./changes.js";
import { byId, fieldError, h, setText, show } from "./dom.js";
import { describeError } from "./errors.js";
import { clock, namer } from "./format.js";
import { createInputs, type FieldName, type FormName, type Inputs } from "./inputs.js";
import { ACTION_TEXT, FEEDBACK_TEXT, FIELD_LABELS } from "./messages.js";
import { announce, hideErrorNotice, info, showErrorNotice } from "./notices.js";
import { renderActivity, renderDraft, runNames } from "./render-draft.js";
import type { PageConfig } from "./session.js";
import type { WizardSession } from "./types.js";
import { describeUpdate } from "./updates.js";
import { wholeTrail } from "./history.js";

/** What the draft screen needs. */
export interface DraftScreenOptions {
  /** The client, acting as the session's operator. */
  readonly client: OnboardingClient;
  /** The page's parameters (`draftId` set). */
  readonly config: PageConfig & { readonly draftId: string };
  /** Who is acting. */
  readonly session: WizardSession;
}

/** Where a validation issue's path points, per form. */
const FIELD_OF: Readonly<Record<FormName, (path: readonly (string | number)[]) => FieldName | null>> = {
  identify: (path) =>
    path[0] === "tenantId" || path[0] === "displayName" || path[0] === "primaryDomain" ? path[0] : null,
  provider: (path) => (path[0] === "connectionId" ? "connectionId" : null),
  override: (path) => (path[0] === "override" ? "overrideReason" : null),
  cancel: (path) => (path[0] === "reason" ? "cancelReason" : null),
};

const FIELDS_OF: Readonly<Record<FormName, readonly FieldName[]>> = {
  identify: ["tenantId", "displayName", "primaryDomain"],
  provider: ["connectionId"],
  override: ["overrideReason"],
  cancel: ["cancelReason"],
};

/** A command the screen sends, with the form it comes from (for field errors and "save again"). */
interface Act {
  readonly action: ActionName;
  readonly build: () => CommandInput;
  readonly form: FormName | null;
}

/** Opens the draft screen: starts the watch and wires the forms and buttons. */
export function openDraftScreen(options: DraftScreenOptions): void {
  const { client, config, session } = options;
  const draftId = config.draftId;
  const nameOf = namer(session.operators);
  const inputs = createInputs(`wizard-input:${config.ws}:${draftId}`);
  let shown: DraftSnapshot | null = null;
  let busy = false;
  let watch: Watch | null = null;
  let watchStatus: WatchStatus = "stopped";
  let conflictOpen = false;
  let reset: { readonly form: FormName; readonly version: number } | null = null;
  let historyVersion = 0;

  const actionsOf = (snapshot: DraftSnapshot) =>
    availableActions({
      draft: snapshot.draft,
      readiness: snapshot.view.readiness,
      capabilities: session.actor.capabilities,
      actorName: session.actor.name,
      bootstrapOperations: session.bootstrapOperations,
    });

  const rerender = (): void => {
    if (shown !== null) renderDraft(shown, { session, nameOf, actions: actionsOf(shown), busy });
  };

  function render(snapshot: DraftSnapshot): void {
    const previous = shown;
    const forms = reset !== null && snapshot.draft.version >= reset.version ? [reset.form] : [];
    if (forms.length > 0) reset = null;
    const changedUnder = inputs.sync(snapshot.draft, forms);
    shown = snapshot;
    rerender();
    if (previous === null) restoreInput();
    else announce(describeUpdate(previous.view, snapshot.view));
    if (changedUnder.length > 0 && !conflictOpen && previous !== null)
      void showChangedUnder(previous, snapshot, changedUnder);
    if (snapshot.draft.version !== historyVersion) void refreshActivity(snapshot.draft.version);
  }

  function restoreInput(): void {
    const restored = inputs.restore();
    if (restored.length === 0) return;
    info(
      `Your unsaved input from before was restored: ${restored.map((name) => FIELD_LABELS[name]).join(", ")}. Save it or discard it.`,
    );
  }

  async function refreshActivity(version: number): Promise<void> {
    historyVersion = version;
    try {
      const events = await wholeTrail(client, draftId);
      if (shown !== null) renderActivity(events, nameOf, runNames(shown.draft));
    } catch {
      historyVersion = 0; // tried again with the next snapshot
    }
  }

  // ---- notices ----

  function hideError(): void {
    hideErrorNotice();
    for (const name of Object.keys(FIELD_LABELS) as FieldName[]) fieldError(inputs.element(name), null);
  }

  function showError(error: unknown, retry: (() => void) | null, form: FormName | null): void {
    const text = describeError(error, {
      actorName: session.actor.name,
      fieldOf: form === null ? () => null : FIELD_OF[form],
    });
    const invalid = Object.entries(text.fields) as [FieldName, string][];
    for (const [name, message] of invalid) fieldError(inputs.element(name), message);
    const first = invalid[0];
    showErrorNotice(text, retry, first === undefined ? null : inputs.element(first[0]));
  }

  function keptText(form: FormName | null): string {
    const kept = inputs.dirty();
    if (kept.length === 0) return "";
    const list = kept.map((field) => `${FIELD_LABELS[field.name]} “${field.value}”`).join(", ");
    const next = form === null ? "" : " Save it again to apply it on top of the new version, or discard it.";
    return `Your input is still in the form: ${list}.${next}`;
  }

  function fillChanges(before: DraftSnapshot["draft"], after: DraftSnapshot["draft"]): void {
    const changes = draftChanges(before, after);
    byId("conflict-changes").replaceChildren(
      ...(changes.length === 0
        ? [h("li", {}, "Nothing an operator edits: a background worker's report.")]
        : changes.map((change) =>
            h("li", { "data-field": change.field ?? "" }, `${change.label}: “${change.before}” → “${change.after}”`),
          )),
    );
  }

  function openConflict(summary: string, commits: readonly string[], retry: Act | null, form: FormName | null): void {
    conflictOpen = true;
    setText(byId("conflict-summary"), summary);
    byId("conflict-commits").replaceChildren(...commits.map((commit) => h("li", {}, commit)));
    setText(byId("conflict-kept"), keptText(form));
    const retryButton = byId<HTMLButtonElement>("conflict-retry");
    show(retryButton, retry !== null && inputs.dirty().length > 0);
    retryButton.onclick = retry === null ? null : () => void act(retry);
    const discard = byId<HTMLButtonElement>("conflict-discard");
    show(discard, form !== null && inputs.dirty().length > 0);
    discard.onclick = () => {
      if (form !== null) inputs.discard(form);
      closeConflict();
      announce("Your input was discarded: the form shows the current version.");
    };
    show(byId("conflict"), true);
    byId("conflict").focus();
  }

  function closeConflict(): void {
    conflictOpen = false;
    show(byId("conflict"), false);
  }

  async function commitLines(from: number, to: number, fallback: string | null): Promise<string[]> {
    const events = await wholeTrail(client, draftId).catch(() => []);
    const commits = commitsBetween(events, from, to, nameOf);
    if (commits.length === 0 && fallback !== null) return [fallback];
    return commits.map((commit) => `Version ${commit.version}: ${commit.who} ${commit.what} at ${clock(commit.at)}.`);
  }

  async function showConflict(error: VersionConflictError, before: DraftSnapshot, request: Act): Promise<void> {
    conflictOpen = true; // the reload below keeps the input: this notice says what changed
    await showLatest();
    const by = error.changedBy;
    const fallback =
      by === null
        ? null
        : `Version ${error.actualVersion}: ${by.worker ? "a background worker" : nameOf(by.actorId)} (${by.commandType.replaceAll("_", " ")}).`;
    const commits = await commitLines(error.expectedVersion, error.actualVersion, fallback);
    fillChanges(before.draft, error.current);
    const label = ACTION_TEXT[request.build().type];
    const then =
      request.form === null ? ` Check what changed, then use “${label}” again if it is still what you want.` : "";
    const summary =
      `Your “${label}” was not done: it was based on version ${error.expectedVersion}, and the onboarding is now at ` +
      `version ${error.actualVersion}. Nothing was overwritten.${then}`;
    openConflict(summary, commits, request.form === null ? null : request, request.form);
  }

  async function showChangedUnder(
    before: DraftSnapshot,
    after: DraftSnapshot,
    fields: readonly FieldName[],
  ): Promise<void> {
    conflictOpen = true;
    const commits = await commitLines(before.draft.version, after.draft.version, null);
    fillChanges(before.draft, after.draft);
    const names = fields.map((name) => FIELD_LABELS[name]).join(", ");
    const form =
      (Object.keys(FIELDS_OF) as FormName[]).find((name) => FIELDS_OF[name].includes(fields[0] as FieldName)) ?? null;
    openConflict(
      `While you were editing ${names}, someone saved a new version (${after.draft.version}).`,
      commits,
      null,
      form,
    );
  }

  // ---- commands ----

  async function showLatest(): Promise<void> {
    try {
      render(await client.view(draftId, config.pollMs === undefined ? {} : { pollIntervalMs: config.pollMs }));
    } catch {
      // the watch shows the connection's state; the screen keeps what it had
    }
  }

  async function act(request: Act): Promise<void> {
    if (shown === null || busy) return;
    const before = shown;
    hideError();
    busy = true;
    rerender();
    try {
      const command = request.build();
      const result = await client.execute(draftId, command, { etag: before.etag });
      if (request.form !== null) reset = { form: request.form, version: result.version };
      closeConflict();
      announce(`${ACTION_TEXT[command.type]}: ${FEEDBACK_TEXT[result.feedback]}`);
      await showLatest();
      ensureWatch();
    } catch (error) {
      if (error instanceof VersionConflictError) await showConflict(error, before, request);
      else {
        showError(error, () => void act(request), request.form);
        if (error instanceof NetworkError)
          restartWatch(); // an idle watch learns the server is away, and when it is back
        else {
          await showLatest();
          void refreshActivity(before.draft.version); // a refusal is audited without a new version
        }
      }
    } finally {
      busy = false;
      rerender();
    }
  }

  // ---- the watch ----

  function onStatus(status: WatchStatus): void {
    const was = watchStatus;
    watchStatus = status;
    document.body.dataset["watch"] = status;
    byId("connection").dataset["watch"] = status;
    const interval = shown?.view.stage.polling?.intervalMs;
    const finished = shown !== null && (shown.draft.activation !== null || shown.draft.cancellation !== null);
    const text: Record<WatchStatus, string> = {
      polling: `Live: checking every ${interval === undefined ? "few" : interval / 1000} s while a run is active.`,
      idle: "Up to date. The page checks again after each change you make.",
      offline: "Connection lost: trying again…",
      stopped: finished ? "Finished: this onboarding no longer changes." : "Updates stopped.",
    };
    setText(byId("connection"), text[status]);
    if (was === "offline" && (status === "polling" || status === "idle")) {
      offlineSaid = false;
      announce("Connection restored: the page is up to date again.");
    }
  }

  let offlineSaid = false;
  function onWatchError(error: unknown, retryInMs: number | null): void {
    if (retryInMs === null) {
      showError(error, () => ensureWatch(), null);
      return;
    }
    const seconds = Math.max(1, Math.round(retryInMs / 1000));
    setText(byId("connection"), `Connection lost: trying again in ${seconds} s.`);
    if (!offlineSaid) announce("The server cannot be reached. The page keeps trying; what you typed stays here.");
    offlineSaid = true;
  }

  function restartWatch(): void {
    watch?.stop();
    watch = null;
    ensureWatch();
  }

  function ensureWatch(): void {
    if (watch !== null) return;
    const current = client.watch(draftId, {
      ...(config.pollMs === undefined ? {} : { pollIntervalMs: config.pollMs }),
      onChange: render,
      onStatus,
      onError: onWatchError,
    });
    watch = current;
    void current.done.then(() => {
      if (watch === current) watch = null;
    });
  }

  // ---- wiring ----

  const text = (name: FieldName): string => inputs.value(name).trim();
  const submit = (id: string, request: Act): void =>
    byId<HTMLFormElement>(id).addEventListener("submit", (event) => {
      event.preventDefault();
      void act(request);
    });
  submit("identify-form", {
    action: "identify",
    form: "identify",
    build: () => ({
      type: "identify",
      tenantId: text("tenantId"),
      displayName: text("displayName"),
      ...(text("primaryDomain") === "" ? {} : { primaryDomain: text("primaryDomain") }),
    }),
  });
  submit("provider-form", {
    action: "select_provider",
    form: "provider",
    build: () => ({ type: "select_provider", connectionId: text("connectionId") }),
  });
  byId("provider-edited").addEventListener("click", () => {
    const connectionId = shown?.draft.provider?.connectionId ?? text("connectionId");
    void act({
      action: "update_provider_connection",
      form: null,
      build: () => ({ type: "update_provider_connection", connectionId }),
    });
  });
  byId("verify-start").addEventListener(
    "click",
    () => void act({ action: "start_verification", form: null, build: () => ({ type: "start_verification" }) }),
  );
  submit("bootstrap-form", {
    action: "start_bootstrap",
    form: null,
    build: () => ({
      type: "start_bootstrap",
      operations: [...document.querySelectorAll<HTMLInputElement>("#bootstrap-operations input:checked")].map(
        (box) => box.value,
      ),
    }),
  });
  byId("activate").addEventListener(
    "click",
    () => void act({ action: "activate", form: null, build: () => ({ type: "activate" }) }),
  );
  submit("override-form", {
    action: "activate_with_override",
    form: "override",
    build: () => ({ type: "activate", override: { reason: text("overrideReason") } }),
  });
  byId("bootstrap-operations").addEventListener("change", rerender);
  wireCancel(act, inputs, text);
  byId("conflict-dismiss").addEventListener("click", closeConflict);

  document.body.dataset["screen"] = "draft";
  show(byId("draft"), true);
  show(byId("connection"), true);
  ensureWatch();
}

/** Cancelling asks once more before it sends (a second click on the same button). */
function wireCancel(act: (request: Act) => Promise<void>, inputs: Inputs, text: (name: FieldName) => string): void {
  const button = byId<HTMLButtonElement>("cancel-submit");
  let confirming = false;
  const idle = (): void => {
    confirming = false;
    setText(button, "Cancel onboarding");
  };
  inputs.element("cancelReason").addEventListener("input", idle);
  byId<HTMLFormElement>("cancel-form").addEventListener("submit", (event) => {
    event.preventDefault();
    if (!confirming) {
      confirming = true;
      setText(button, "Yes, cancel this onboarding");
      announce("Cancelling ends this onboarding for good. Press the button again to confirm.");
      return;
    }
    idle();
    const reason = text("cancelReason");
    void act({
      action: "cancel",
      form: "cancel",
      build: () => ({ type: "cancel", ...(reason === "" ? {} : { reason }) }),
    });
  });
}
