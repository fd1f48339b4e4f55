/**
 * page/runs.ts — one background run as a card: what it does, its status or outcome, the
 * worker's message (always shown: it is what an operator acts on), its progress while active,
 * its times, and a link to its own page. Shared by the wizard and the run page.
 */
import type { RunView } from "../../../src/lifecycle/presenter.js";
import type { CheckpointRun } from "../../../src/record/schema.js";
import { h } from "./dom.js";
import { clock } from "./format.js";
import { operationLabel, runLabel } from "./messages.js";

/** The progress line of an active run, or `null` when the worker has not reported any. */
export function progressText(run: RunView): string | null {
  const progress = run.progress;
  if (progress === null || (progress.message === null && progress.percent === null)) return null;
  const parts = [progress.percent === null ? null : `${progress.percent}%`, progress.message];
  return parts.filter((part) => part !== null).join(" · ");
}

function progressBlock(run: RunView): HTMLElement | null {
  if (run.status === "completed") return null;
  const line =
    progressText(run) ?? (run.status === "queued" ? "Waiting for a worker…" : "Started: waiting for the first report…");
  const id = `progress-${run.runId}`;
  const bar = h("progress", { max: 100, "aria-labelledby": id });
  if (run.progress?.percent != null) bar.value = run.progress.percent;
  const reported = run.progress?.reportedAt ? ` (reported ${clock(run.progress.reportedAt)})` : "";
  return h("div", { class: "progress" }, bar, h("p", { id, class: "progress-text" }, line + reported));
}

/** A run's card. `record` is the run as the draft stores it (for its times), when available. */
export function runCard(
  run: RunView,
  record: CheckpointRun | undefined,
  options: { readonly link: boolean },
): HTMLElement {
  const label = operationLabel(run.operation);
  const times = [
    record ? `Started ${clock(record.startedAt)}` : null,
    record?.completedAt ? `finished ${clock(record.completedAt)}` : null,
  ].filter((part) => part !== null);
  return h(
    "article",
    {
      class: `run tone-${run.tone}`,
      "data-run-id": run.runId,
      "data-status": run.status,
      "data-outcome": run.outcome ?? "",
    },
    h(
      "header",
      { class: "run-head" },
      h("h3", {}, label),
      h("span", { class: `badge tone-${run.tone}` }, runLabel(run)),
    ),
    run.message === null
      ? null
      : h("p", { class: "run-message" }, h("span", { class: "run-message-label" }, "Worker's message: "), run.message),
    run.timedOut ? h("p", { class: "run-message" }, "No worker reported on this run in time, so it was ended.") : null,
    progressBlock(run),
    h(
      "p",
      { class: "run-meta muted" },
      times.join(" · "),
      options.link && run.url !== null
        ? h("a", { href: run.url, class: "run-link", "aria-label": `Details of the run “${label}”` }, "Run details")
        : null,
    ),
  );
}
