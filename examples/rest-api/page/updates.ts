/**
 * page/updates.ts — what changed between two snapshots the watch brought, as one sentence for
 * the page's `aria-live` region ("Access verification: Running, 60% · Checking the permissions").
 * Only changes are announced: a poll that brings nothing new says nothing. Pure: no DOM.
 */
import type { DraftView, RunView } from "../../../src/lifecycle/presenter.js";
import { STATE_LABELS, operationLabel, runLabel } from "./messages.js";
import { progressText } from "./runs.js";

const runsOf = (view: DraftView): RunView[] => view.checkpoints.flatMap((checkpoint) => checkpoint.runs);

function runUpdate(before: RunView | undefined, after: RunView): string | null {
  const name = operationLabel(after.operation);
  const progress = after.status === "completed" ? null : progressText(after);
  if (before === undefined || before.status !== after.status || before.outcome !== after.outcome) {
    const message = after.status === "completed" && after.message !== null ? ` — ${after.message}` : "";
    return `${name}: ${runLabel(after)}${progress === null ? "" : `, ${progress}`}${message}`;
  }
  if (progress !== null && progress !== progressText(before)) return `${name}: ${progress}`;
  return null;
}

/** The announcement for the change from `before` (the view on screen, if any) to `after`. */
export function describeUpdate(before: DraftView | null, after: DraftView): string {
  if (before === null) return "";
  const parts: string[] = [];
  if (before.state !== after.state) parts.push(`Now: ${STATE_LABELS[after.state]}.`);
  const previous = new Map(runsOf(before).map((run) => [run.runId, run]));
  for (const run of runsOf(after)) {
    const update = runUpdate(previous.get(run.runId), run);
    if (update !== null) parts.push(`${update}.`.replace(/\.\.$/, "."));
  }
  return parts.join(" ");
}
