/**
 * The README's main job: one onboarding walked end to end on the embedded in-memory store.
 *
 *   npm run demo
 *
 * Two operators (alice and bob) and a background worker share one draft. Every step prints the
 * lifecycle, readiness and wizard stage; bob's stale write is rejected; the audit trail closes
 * the walk-through. Colours are used only when stdout is a TTY (and NO_COLOR is unset).
 */
import {
  createOnboardingEngine,
  evaluateReadiness,
  resolveStage,
  VersionConflictError,
  type CommandInput,
  type MutationResult,
  type OnboardingDraft,
} from "../../src/index.js";
import { createMemoryStore } from "../../src/adapters/memory/index.js";

const useColour = process.stdout.isTTY === true && process.env["NO_COLOR"] === undefined;
const paint = (code: number) => (text: string) => (useColour ? `\u001b[${code}m${text}\u001b[0m` : text);
const bold = paint(1);
const dim = paint(2);
const red = paint(31);
const green = paint(32);
const yellow = paint(33);
const cyan = paint(36);

const STATE_COLOUR: Record<string, (text: string) => string> = {
  draft: (t) => t,
  verifying: cyan,
  action_required: red,
  bootstrapping: cyan,
  ready_for_activation: green,
  completed: green,
  cancelled: dim,
};

// A deterministic clock and ids make the output reproducible.
let tick = 0;
const clock = { now: () => Date.UTC(2026, 10, 27, 9, 0, 0) + (tick += 1500) };
let counter = 0;
const ids = {
  draftId: () => "draft-1",
  runId: () => `run-${(counter += 1)}`,
  eventId: () => `evt-${(counter += 1)}`,
};

const engine = createOnboardingEngine({
  store: createMemoryStore(),
  authorize: () => true,
  clock,
  ids,
  policy: { requiredBootstrapOperations: ["sync_directory"] },
});

const workspace = "acme-msp";
const alice = { id: "alice" };
const bob = { id: "bob" };
const worker = { id: "worker" };

const rows: string[][] = [];
const header = ["#", "actor", "command", "feedback", "v", "state", "step", "reason", "readiness", "poll"];

function readinessText(draft: OnboardingDraft): string {
  const readiness = evaluateReadiness(draft, engine.policy, { now: clock.now() });
  if (readiness.ready) return green("ready");
  const codes = readiness.blockers.map((blocker) => blocker.code).join(",");
  return readiness.overridable ? yellow(`overridable: ${codes}`) : codes;
}

function record(actor: string, command: string, feedback: string, draft: OnboardingDraft): void {
  const stage = resolveStage(draft);
  const colour = STATE_COLOUR[draft.lifecycle.state] ?? ((t: string) => t);
  rows.push([
    String(rows.length + 1),
    actor,
    command,
    feedback,
    String(draft.version),
    colour(draft.lifecycle.state),
    stage.step,
    draft.lifecycle.reason ?? dim("-"),
    readinessText(draft),
    stage.polling ? `${stage.polling.intervalMs / 1000}s` : dim("-"),
  ]);
}

// eslint-disable-next-line no-control-regex
const visible = (text: string): number => text.replace(/\u001b\[[0-9;]*m/g, "").length;

function printTable(): void {
  const widths = header.map((title, column) => Math.max(visible(title), ...rows.map((row) => visible(row[column] ?? ""))));
  const line = (cells: string[]) =>
    cells.map((cell, column) => cell + " ".repeat((widths[column] ?? 0) - visible(cell))).join("  ");
  console.log(bold(line(header)));
  console.log(dim(widths.map((width) => "-".repeat(width)).join("  ")));
  for (const row of rows) console.log(line(row));
}

let current: OnboardingDraft;

async function step(actor: { id: string }, command: CommandInput): Promise<MutationResult> {
  const result = await engine.execute(workspace, current.id, command, { actor, expectedVersion: current.version });
  current = result.draft;
  record(actor.id, command.type, result.feedback, current);
  return result;
}

async function report(command: CommandInput): Promise<MutationResult> {
  const result = await engine.execute(workspace, current.id, command, { actor: worker });
  current = result.draft;
  record(worker.id, `${command.type}${"status" in command ? `(${command.status})` : ""}`, result.feedback, current);
  return result;
}

async function main(): Promise<void> {
  console.log(bold("onboarding-lifecycle demo: one tenant onboarded on the embedded in-memory store\n"));

  const created = await engine.create(workspace, {}, { actor: alice });
  current = created.draft;
  record("alice", "create", "applied", current);

  await step(alice, { type: "identify", tenantId: "contoso", displayName: "Contoso Ltd", primaryDomain: "contoso.example" });
  await step(alice, { type: "select_provider", connectionId: "azure-conn-7" });

  const verification = await step(alice, { type: "start_verification" });
  const verificationRun = verification.runIds[0] ?? "";
  // A double click: the same request again is deduplicated, nothing new is queued.
  await step(alice, { type: "start_verification" });
  await report({ type: "record_verification_result", runId: verificationRun, status: "running" });
  await report({ type: "record_verification_result", runId: verificationRun, status: "completed", outcome: "succeeded" });

  const bootstrap = await step(alice, { type: "start_bootstrap", operations: ["sync_directory", "apply_baseline"] });

  // Bob opened the wizard before bootstrap started and now tries to cancel from his stale tab.
  const bobsVersion = verification.version;
  try {
    await engine.execute(workspace, current.id, { type: "cancel", reason: "looks stuck" }, { actor: bob, expectedVersion: bobsVersion });
    throw new Error("the stale write was accepted: this must never happen");
  } catch (error) {
    if (!(error instanceof VersionConflictError)) throw error;
    rows.push([
      String(rows.length + 1),
      "bob",
      "cancel",
      red("REJECTED"),
      String(error.actualVersion),
      red("version_conflict"),
      "-",
      `expected v${error.expectedVersion}`,
      dim("nothing written"),
      dim("-"),
    ]);
    console.log(
      `${red("Stale write rejected:")} bob sent cancel based on version ${error.expectedVersion}, ` +
        `but alice had moved the draft to version ${error.actualVersion}. Nothing was overwritten; ` +
        `bob's wizard reloads the current draft (state ${error.current.lifecycle.state}).\n`,
    );
  }

  for (const runId of bootstrap.runIds) {
    await report({ type: "record_bootstrap_result", runId, status: "completed", outcome: "succeeded" });
  }
  await step(alice, { type: "activate" });

  printTable();

  const trail = await engine.history(workspace, current.id, alice);
  console.log(bold("\nAudit trail"));
  for (const event of trail) {
    const versions =
      event.kind === "conflict"
        ? red(`expected v${event.expectedVersion}, found v${event.actualVersion}`)
        : `v${event.fromVersion ?? "-"} -> v${event.toVersion ?? "-"}`;
    console.log(
      `  ${dim(event.at)}  ${event.kind.padEnd(9)} ${event.actorId.padEnd(6)} ${event.commandType.padEnd(27)} ${versions}${
        event.feedback ? dim(`  ${event.feedback}`) : ""
      }`,
    );
  }
  console.log(
    `\n${green("Done:")} draft ${current.id} is ${current.lifecycle.state} at version ${current.version}; ` +
      `${trail.filter((event) => event.kind === "committed" || event.kind === "created").length} commits, ` +
      `${trail.filter((event) => event.kind === "conflict").length} rejected stale write.`,
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
