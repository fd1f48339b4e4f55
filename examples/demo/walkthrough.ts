/**
 * A guided tour: one onboarding walked end to end on the embedded in-memory store.
 *
 *   npm run demo
 *
 * Two operators (alice and bob) and a background worker share one draft. Each numbered step
 * says what the actor does and why, then shows the engine's answer as a table row, and where
 * the answer needs words, a "↳" line right after that row explains it. bob's stale write is
 * rejected; the audit trail and pointers to the docs close the tour. Every value printed comes
 * from what the engine returned (drafts, feedback, run ids, errors, the audit trail).
 *
 * Colours are used only when stdout is a TTY and NO_COLOR is unset.
 */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import {
  createOnboardingEngine,
  evaluateReadiness,
  resolveStage,
  LIFECYCLE_STATES,
  VersionConflictError,
  type CommandInput,
  type Feedback,
  type MutationResult,
  type OnboardingDraft,
} from "../../src/index.js";
import { createMemoryStore } from "../../src/adapters/memory/index.js";

/** Options of {@link runWalkthrough}. */
export interface WalkthroughOptions {
  /** Where each output line goes. Default: `console.log`. */
  readonly write?: (line: string) => void;
  /** ANSI colours. Default: only when stdout is a TTY and NO_COLOR is unset. */
  readonly colour?: boolean;
}

/** What the tour did, for its test. */
export interface WalkthroughResult {
  /** The draft at the end (completed). */
  readonly draft: OnboardingDraft;
  /** The rejected stale write. */
  readonly conflict: VersionConflictError;
  /** The draft as re-read right after the rejection. */
  readonly afterConflict: OnboardingDraft;
  /** The files the tour points to, relative to the repository root. */
  readonly pointers: readonly string[];
}

/** The repository root (the tour points at files relative to it). */
const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** What each value of the result column means; the legend lists the ones this run produced. */
const RESULT_MEANING: Partial<Record<Feedback | "created" | "read", string>> = {
  created: "engine.create stored a new draft",
  read: "a read (engine.get): nothing written",
  applied: "the change was made",
  queued: "a background run was started (its run id is in the result)",
  deduped: "a run was already queued or running: nothing new was started, the existing run id is returned",
  unchanged: "the draft already was what the command asked for: nothing was written",
  recorded: "a worker's report on its run was stored",
  activated: "the draft was activated: completed, a terminal state",
  cancelled: "the draft was cancelled, a terminal state",
};

/** Where to read on, and what each file holds. */
const NEXT: readonly (readonly [string, string])[] = [
  ["README.md", "what the package guarantees, the quick start, the adapters"],
  ["docs/getting-started.md", "this flow in code, your authorization rule, handling errors"],
  ["docs/concurrency-and-conflicts.md", "expectedVersion, stale writes like bob's, idempotency keys"],
  ["docs/background-runs.md", "workers, run ids, dedupe and stale results"],
  ["docs/readiness-and-overrides.md", "blockers, policies such as required bootstrap operations, overrides"],
  ["docs/lifecycle.md", "the lifecycle states and how they are derived"],
  ["src/engine/engine.ts", "the engine: create, execute (validate, authorize, guard, commit), history"],
  ["examples/demo/walkthrough.ts", "this tour's source"],
];

type Entry =
  | { readonly kind: "step"; readonly text: string }
  | { readonly kind: "row"; readonly cells: readonly (readonly string[])[] }
  | { readonly kind: "note"; readonly text: string };

/**
 * Runs the tour on a fresh in-memory store and writes its lines. Exported for
 * `walkthrough.test.ts`; `npm run demo` runs it on stdout.
 */
export async function runWalkthrough(options: WalkthroughOptions = {}): Promise<WalkthroughResult> {
  const write = options.write ?? ((line: string) => console.log(line));
  const colour = options.colour ?? (process.stdout.isTTY === true && process.env["NO_COLOR"] === undefined);
  const paint = (code: number) => (text: string) => (colour ? `\u001b[${code}m${text}\u001b[0m` : text);
  const bold = paint(1);
  const dim = paint(2);
  const red = paint(31);
  const green = paint(32);
  const cyan = paint(36);

  // A fixed clock and counting ids make the output the same on every run.
  const start = Date.UTC(2026, 10, 27, 9, 0, 0);
  let tick = 0;
  const clock = { now: () => start + (tick += 1500) };
  let counter = 0;
  const ids = {
    draftId: () => "draft-1",
    runId: () => `run-${(counter += 1)}`,
    eventId: () => `evt-${(counter += 1)}`,
  };
  const policy = { requiredBootstrapOperations: ["sync_directory"] };
  const engine = createOnboardingEngine({ store: createMemoryStore(), authorize: () => true, clock, ids, policy });

  const workspace = "acme-msp";
  const alice = { id: "alice" };
  const bob = { id: "bob" };
  const worker = { id: "worker" };

  const entries: Entry[] = [];
  const seenResults = new Set<Feedback | "created" | "read">();
  let stepNumber = 0;
  const step = (text: string): void => {
    entries.push({ kind: "step", text: `${bold(`${(stepNumber += 1)}.`)} ${text}` });
  };
  const note = (text: string): void => {
    entries.push({ kind: "note", text: `${dim("↳")} ${text}` });
  };

  const stateText = (draft: OnboardingDraft): string => {
    const state = draft.lifecycle.state;
    if (state === "completed" || state === "ready_for_activation") return green(state);
    if (state === "action_required") return red(state);
    return state === "draft" ? state : cyan(state);
  };
  // Reads the clock without advancing it, so the audit trail's times step evenly.
  const readinessOf = (draft: OnboardingDraft) => evaluateReadiness(draft, engine.policy, { now: start + tick });
  const readinessText = (draft: OnboardingDraft): string[] => {
    const readiness = readinessOf(draft);
    if (readiness.ready) return [green("ready")];
    // Wrapped into lines of about 44 characters so the table fits a terminal.
    const lines: string[] = [];
    for (const code of readiness.blockers.map((blocker) => blocker.code)) {
      const last = lines.length - 1;
      if (last >= 0 && (lines[last] ?? "").length + code.length < 44) lines[last] = `${lines[last]},${code}`;
      else lines.push(code);
    }
    return lines;
  };
  /** One table row: who, what, the engine's answer, and what the draft now looks like. */
  const row = (actor: string, command: readonly string[], result: readonly string[], draft: OnboardingDraft): void => {
    const stage = resolveStage(draft);
    entries.push({
      kind: "row",
      cells: [
        [actor],
        command,
        result,
        [String(draft.version)],
        [stateText(draft)],
        [stage.step],
        [stage.polling ? `${stage.polling.intervalMs / 1000}s` : "-"],
        readinessText(draft),
      ],
    });
  };

  let current: OnboardingDraft;
  /** An operator command, sent with the version the operator's page shows. */
  const operator = async (actor: { id: string }, command: CommandInput): Promise<MutationResult> => {
    const result = await engine.execute(workspace, current.id, command, { actor, expectedVersion: current.version });
    current = result.draft;
    seenResults.add(result.feedback);
    row(actor.id, [command.type], [result.feedback], current);
    return result;
  };
  /** A worker's report: it names its run, and carries no version (the engine retries on conflict). */
  const report = async (command: CommandInput, details: string): Promise<MutationResult> => {
    const result = await engine.execute(workspace, current.id, command, { actor: worker });
    current = result.draft;
    seenResults.add(result.feedback);
    row(worker.id, [command.type, `  ${details}`], [result.feedback], current);
    return result;
  };

  // --- The tour ------------------------------------------------------------------------------

  step(
    `alice starts onboarding the tenant Contoso: ${bold("create")} makes an empty draft that every later step builds on.`,
  );
  const created = await engine.create(workspace, {}, { actor: alice });
  current = created.draft;
  if (!created.created) throw new Error("engine.create resumed a draft on a fresh store");
  seenResults.add("created");
  row(alice.id, ["create"], ["created"], current);

  step(`alice enters the tenant's identity (${bold("identify")}), so the draft knows which tenant it onboards.`);
  await operator(alice, {
    type: "identify",
    tenantId: "contoso",
    displayName: "Contoso Ltd",
    primaryDomain: "contoso.example",
  });

  step(`alice picks the provider connection the tenant is reached through (${bold("select_provider")}).`);
  await operator(alice, { type: "select_provider", connectionId: "azure-conn-7" });

  step(
    `alice clicks "Verify access": ${bold("start_verification")} queues a background run that checks the connection works.`,
  );
  const verificationStep = stepNumber;
  const verification = await operator(alice, { type: "start_verification" });
  const verificationRun = verification.runIds[0];
  if (verificationRun === undefined) throw new Error("start_verification returned no run id");
  note(`the engine queued run ${bold(verificationRun)} for the worker; the UI polls while it is active (poll column).`);

  step(
    `bob opens the same draft in his own tab (${bold("engine.get")}) to follow along; a read never locks and never bumps the version.`,
  );
  const bobsStep = stepNumber;
  const bobsView = await engine.get(workspace, current.id, { actor: bob });
  seenResults.add("read");
  row(bob.id, ["get"], ["read"], bobsView);

  step(
    `alice double-clicks "Verify access": the second click sends ${bold("start_verification")} again ` +
      `(with version ${current.version}, which the first click returned).`,
  );
  const doubleClick = await operator(alice, { type: "start_verification" });
  if (
    doubleClick.feedback !== "deduped" ||
    doubleClick.runIds[0] !== verificationRun ||
    doubleClick.version !== verification.version
  ) {
    throw new Error("the second start_verification was not deduplicated: this must never happen");
  }
  note(
    `a double click, answered ${bold(doubleClick.feedback)} with the existing run id ${bold(verificationRun)} ` +
      `(the run from step ${verificationStep}): no second run was queued, and the version stayed at ${doubleClick.version}.`,
  );

  step(`The worker picks up ${verificationRun} and reports it running (${bold("record_verification_result")}).`);
  await report(
    { type: "record_verification_result", runId: verificationRun, status: "running" },
    `${verificationRun} running`,
  );

  step(`The worker finishes the check and reports ${verificationRun} completed, outcome succeeded.`);
  const verified = await report(
    { type: "record_verification_result", runId: verificationRun, status: "completed", outcome: "succeeded" },
    `${verificationRun} succeeded`,
  );
  const afterVerify = readinessOf(verified.draft);
  note(
    `access is verified, so the lifecycle is ${verified.state}` +
      (afterVerify.ready
        ? "; readiness is ready."
        : `; the readiness column still lists ${afterVerify.blockers.map((blocker) => bold(blocker.code)).join(", ")} ` +
          `because this engine's policy requires the bootstrap operation(s) ` +
          `${(engine.policy.requiredBootstrapOperations ?? []).join(", ")}: activate would be refused now.`),
  );

  const operations = ["sync_directory", "apply_baseline"];
  step(`alice starts the bootstrap (${bold("start_bootstrap")}) with the operations ${operations.join(" and ")}.`);
  const bootstrap = await operator(alice, { type: "start_bootstrap", operations });
  const operationOf = (runId: string): string =>
    current.bootstrap?.runs.find((candidate) => candidate.runId === runId)?.operation ?? "unknown operation";
  note(
    `one run per operation was queued: ${bootstrap.runIds.map((runId) => `${bold(runId)} (${operationOf(runId)})`).join(", ")}.`,
  );

  step(
    `bob, whose tab still shows version ${bobsView.version} from step ${bobsStep}, thinks the draft looks stuck and clicks Cancel ` +
      `(${bold("cancel")} with expectedVersion ${bobsView.version}).`,
  );
  let conflict: VersionConflictError;
  try {
    await engine.execute(
      workspace,
      current.id,
      { type: "cancel", reason: "looks stuck" },
      { actor: bob, expectedVersion: bobsView.version },
    );
    throw new Error("the stale write was accepted: this must never happen");
  } catch (error) {
    if (!(error instanceof VersionConflictError)) throw error;
    conflict = error;
  }
  // Re-read what is stored: the rejected write must have changed nothing.
  const afterConflict = await engine.get(workspace, current.id, { actor: bob });
  const rejected = `REJECTED ${conflict.code}`;
  row(bob.id, ["cancel"], [red("REJECTED"), red(conflict.code)], afterConflict);
  note(
    `${red("stale write rejected")} (${conflict.name}, code ${bold(conflict.code)}): bob's cancel was based on version ` +
      `${conflict.expectedVersion}, but alice and the worker had moved the draft on to version ${conflict.actualVersion}. Nothing was written ` +
      `but a conflict audit entry: re-read, the draft stayed at ${bold(`version ${afterConflict.version}`)}, still ` +
      `${afterConflict.lifecycle.state}. bob's wizard shows the current draft the error carries (version ${conflict.current.version}) ` +
      `and he decides again.`,
  );

  for (const runId of bootstrap.runIds) {
    const operation = operationOf(runId);
    step(
      `The worker runs bootstrap operation ${bold(operation)} and reports its run ${runId} completed, outcome succeeded.`,
    );
    await report(
      { type: "record_bootstrap_result", runId, status: "completed", outcome: "succeeded" },
      `${runId} ${operation} succeeded`,
    );
  }
  const succeeded = (current.bootstrap?.runs ?? [])
    .filter((run) => run.outcome === "succeeded")
    .map((run) => run.operation);
  note(
    `succeeded so far: ${succeeded.join(", ") || "nothing"}; readiness is ` +
      `${
        readinessOf(current).ready
          ? "ready"
          : `still blocked (${readinessOf(current)
              .blockers.map((b) => b.code)
              .join(", ")})`
      }.`,
  );

  step(
    `alice activates (${bold("activate")}); the engine evaluates readiness again inside the commit, on what is stored.`,
  );
  const activated = await operator(alice, { type: "activate" });
  note(
    `the draft is ${bold(activated.state)} at version ${activated.version}: a terminal state, every further change is refused.`,
  );

  // --- Output --------------------------------------------------------------------------------

  // eslint-disable-next-line no-control-regex
  const visible = (text: string): number => text.replace(/\u001b\[[0-9;]*m/g, "").length;
  const header = ["actor", "command", "result", "v", "state", "wizard", "poll", "readiness"];
  const rows = entries.flatMap((entry) => (entry.kind === "row" ? [entry.cells] : []));
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.flatMap((cells) => (cells[column] ?? []).map(visible))),
  );
  const line = (cells: readonly string[]): string =>
    `   ${cells.map((cell, column) => cell + " ".repeat((widths[column] ?? 0) - visible(cell))).join("  ")}`.trimEnd();
  /** Word-wraps prose at about 100 columns: the first line starts with `first`, the rest with `rest`. */
  const wrap = (text: string, first: string, rest: string): string[] => {
    const lines: string[] = [];
    let current = first;
    let empty = true;
    for (const word of text.split(" ")) {
      if (!empty && visible(current) + 1 + visible(word) > 100) {
        lines.push(current);
        current = rest + word;
      } else current = empty ? current + word : `${current} ${word}`;
      empty = false;
    }
    lines.push(current);
    return lines;
  };
  /** A row whose cells may hold several lines: one output line per line of its tallest cell. */
  const rowLines = (cells: readonly (readonly string[])[]): string[] => {
    const height = Math.max(...cells.map((cell) => cell.length));
    return Array.from({ length: height }, (_, index) => line(cells.map((cell) => cell[index] ?? "")));
  };

  write(bold("onboarding-lifecycle: a guided tour of one onboarding on the embedded in-memory store"));
  write("");
  for (const text of wrap(
    `alice and bob are operators in workspace ${workspace}, each with the onboarding wizard open; "worker" is the ` +
      `background service that runs verification and bootstrap.`,
    "",
    "",
  )) {
    write(text);
  }
  write("");
  write(bold("How to read the table"));
  write(
    `  Each numbered step says what happens and why; the row under it is the engine's answer; a "↳" line explains that row.`,
  );
  const legend: [string, string][] = [
    ["actor", "who called the engine"],
    [
      "command",
      "what was sent; under a worker's report: its run id, the bootstrap operation if any, the reported status",
    ],
    ["result", "the engine's answer:"],
    ["v", "the draft's version after the call; an operator sends it back as expectedVersion with the next write"],
    ["state", `the lifecycle state, deriveLifecycle(draft): one of ${LIFECYCLE_STATES.join(", ")}`],
    ["wizard", "the wizard step resolveStage(draft).step says to show"],
    [
      "poll",
      'resolveStage(draft).polling: while a run is active the UI re-reads the draft this often; "-" = no polling',
    ],
    ["readiness", 'evaluateReadiness(draft, policy): "ready", or the blockers that would make activate refuse'],
  ];
  const keyWidth = Math.max(...legend.map(([key]) => key.length));
  for (const [key, meaning] of legend) {
    write(`  ${bold(key.padEnd(keyWidth))}  ${meaning}`);
    if (key === "result") {
      // The values this run produced, in order of first appearance.
      const values: [string, string][] = [...seenResults].map((value) => [
        value,
        RESULT_MEANING[value] ?? "see the Feedback type",
      ]);
      values.push([rejected, "the write was refused with that error code; nothing changed"]);
      const valueWidth = Math.max(...values.map(([value]) => value.length));
      for (const [value, meaningOf] of values)
        write(`  ${" ".repeat(keyWidth)}    ${value.padEnd(valueWidth)}  ${meaningOf}`);
    }
  }
  write("");
  write(bold(line(header)));
  write(dim(line(widths.map((width) => "-".repeat(width)))));
  for (const entry of entries) {
    if (entry.kind === "row") for (const text of rowLines(entry.cells)) write(text);
    else if (entry.kind === "step") {
      write("");
      for (const text of wrap(entry.text, "", "    ")) write(text);
    } else for (const text of wrap(entry.text, "   ", "     ")) write(text);
  }

  // One page is the whole trail here (the default page holds 100 entries; see nextCursor).
  const { entries: trail } = await engine.history(workspace, current.id, { actor: alice });
  write("");
  write(bold("Audit trail (engine.history): one entry per commit, plus one for the rejected write"));
  for (const text of wrap(
    "columns: time (the tour's fixed clock), kind (created, committed, conflict), actor, command, versions " +
      "(from -> to; expected/found for a conflict), feedback",
    "  ",
    "  ",
  )) {
    write(text);
  }
  for (const event of trail) {
    const versions =
      event.kind === "conflict"
        ? red(`expected v${event.expectedVersion}, found v${event.actualVersion}`)
        : `v${event.fromVersion ?? "-"} -> v${event.toVersion ?? "-"}`;
    write(
      `  ${dim(event.at)}  ${event.kind.padEnd(9)} ${event.actorId.padEnd(6)} ${event.commandType.padEnd(27)} ${versions}${
        event.feedback ? dim(`  ${event.feedback}`) : ""
      }`,
    );
  }
  const commits = trail.filter((event) => event.kind === "committed" || event.kind === "created").length;
  const conflicts = trail.filter((event) => event.kind === "conflict").length;
  write("");
  write(
    `${green("Done:")} draft ${current.id} is ${current.lifecycle.state} at version ${current.version}; ` +
      `${commits} commits, ${conflicts} rejected stale write${conflicts === 1 ? "" : "s"}.`,
  );

  // Only files that exist: a renamed doc drops out here and fails walkthrough.test.ts.
  const pointers = NEXT.filter(([path]) => existsSync(resolve(ROOT, path)));
  const pathWidth = Math.max(...pointers.map(([path]) => path.length));
  write("");
  write(bold("Read next"));
  for (const [path, what] of pointers) write(`  ${path.padEnd(pathWidth)}  ${what}`);

  return { draft: current, conflict, afterConflict, pointers: pointers.map(([path]) => path) };
}

// `npm run demo` (tsx examples/demo/walkthrough.ts); importing the module runs nothing.
const entry = process.argv[1];
if (entry !== undefined && import.meta.url === pathToFileURL(resolve(entry)).href) {
  runWalkthrough().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
