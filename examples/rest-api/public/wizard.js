// A minimal onboarding wizard: plain fetch, no framework.
// URL: /wizard?ws=<workspace>&draft=<draft id>[&pollMs=<ms>] (pollMs overrides the server's
// polling hint interval; tests use it to run fast).
//
// - Renders the stage, the state badge and the checkpoint badges from GET .../view (describeDraft).
// - Every save sends If-Match with the ETag the form was rendered from. A 412 shows a conflict
//   notice with a reload action; nothing is retried or overwritten.
// - Polls while the view's polling hint says a run is active, stops when it ends. Every view
//   request sends If-None-Match with the ETag of the view on screen; a 304 keeps that view.

const params = new URLSearchParams(location.search);
const ws = params.get("ws") ?? "";
const draftId = params.get("draft") ?? "";
const pollMs = params.get("pollMs");
const base = `/workspaces/${encodeURIComponent(ws)}/drafts/${encodeURIComponent(draftId)}`;

const $ = (selector) => document.querySelector(selector);
let etag = null; // the ETag the forms are based on
let dirty = false; // the operator typed something not saved yet
let timer = null;
let shown = null; // the last { etag, draft, view } received: what a 304 keeps on screen

async function fetchView() {
  const query = pollMs === null ? "" : `?pollIntervalMs=${encodeURIComponent(pollMs)}`;
  const headers = { accept: "application/json" };
  if (shown !== null) headers["if-none-match"] = shown.etag;
  const response = await fetch(`${base}/view${query}`, { headers });
  if (response.status === 304 && shown !== null) return shown; // unchanged: keep the current view
  if (!response.ok) throw await problemOf(response);
  shown = await response.json();
  return shown;
}

async function problemOf(response) {
  try {
    return await response.json();
  } catch {
    return { status: response.status, title: response.statusText, detail: "" };
  }
}

function render({ etag: currentETag, draft, view }, { resetForms }) {
  if (resetForms || !dirty) {
    etag = currentETag;
    const identity = draft.identity ?? { tenantId: "", displayName: "" };
    $("#identity-form").tenantId.value = identity.tenantId;
    $("#identity-form").displayName.value = identity.displayName;
    $("#provider-form").connectionId.value = draft.provider?.connectionId ?? "";
    dirty = false;
  }
  const state = $("#state");
  state.textContent = view.state;
  state.className = `badge tone-${view.tone}`;
  state.dataset.state = view.state;
  $("#step").textContent = view.stage.step;
  $("#version").textContent = String(view.version);
  document.body.dataset.version = String(view.version);

  const list = $("#checkpoints");
  list.replaceChildren(
    ...view.checkpoints.map((checkpoint) => {
      const item = document.createElement("li");
      item.dataset.checkpoint = checkpoint.checkpoint;
      item.dataset.status = checkpoint.status;
      const badge = document.createElement("span");
      badge.className = `badge tone-${checkpoint.tone}`;
      badge.textContent = checkpoint.status.replace("_", " ");
      item.append(`${checkpoint.checkpoint.replace("_", " ")} `, badge);
      for (const run of checkpoint.runs) {
        const runText = document.createElement("span");
        runText.className = "muted";
        runText.textContent = ` · ${run.operation}: ${run.outcome ?? run.status}`;
        item.append(runText);
      }
      return item;
    }),
  );
  for (const button of document.querySelectorAll("button[data-command]")) button.disabled = !view.stage.editable;
  schedule(view.stage.polling);
}

function schedule(polling) {
  clearTimeout(timer);
  timer = null;
  if (polling) {
    timer = setTimeout(refresh, polling.intervalMs);
    document.body.dataset.polling = "on";
    $("#polling-status").textContent = `checking every ${polling.intervalMs / 1000} s`;
  } else {
    document.body.dataset.polling = "off";
    $("#polling-status").textContent = "not polling";
  }
}

async function refresh(resetForms = false) {
  try {
    render(await fetchView(), { resetForms });
    $("#error").hidden = true;
  } catch (problem) {
    showError(problem);
    schedule(null);
  }
}

function showError(problem) {
  const box = $("#error");
  box.textContent = `${problem.title ?? "Error"}${problem.detail ? `: ${problem.detail}` : ""}`;
  box.hidden = false;
}

async function send(command) {
  $("#error").hidden = true;
  const response = await fetch(`${base}/commands`, {
    method: "POST",
    headers: { "content-type": "application/json", "if-match": etag ?? "" },
    body: JSON.stringify(command),
  });
  if (response.status === 412) {
    // Stale: somebody saved first. Keep the operator's input on screen; offer a reload.
    $("#conflict").hidden = false;
    schedule(null);
    return;
  }
  if (!response.ok) {
    showError(await problemOf(response));
    return;
  }
  dirty = false;
  $("#conflict").hidden = true;
  await refresh(true);
}

$("#identity-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const form = event.currentTarget;
  void send({ type: "identify", tenantId: form.tenantId.value, displayName: form.displayName.value });
});
$("#provider-form").addEventListener("submit", (event) => {
  event.preventDefault();
  void send({ type: "select_provider", connectionId: event.currentTarget.connectionId.value });
});
for (const button of document.querySelectorAll("button[data-command]")) {
  button.addEventListener("click", () => {
    const type = button.dataset.command;
    void send(type === "start_bootstrap" ? { type, operations: ["default"] } : { type });
  });
}
for (const input of document.querySelectorAll("form input")) input.addEventListener("input", () => (dirty = true));
$("#reload").addEventListener("click", async () => {
  $("#conflict").hidden = true;
  await refresh(true);
});

void refresh(true);
