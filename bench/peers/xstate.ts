/**
 * The pure core vs XState v5 on an equivalent machine (`bench/peers/xstate-machine.ts`; the
 * property test `test/core/xstate-peer.properties.test.ts` checks that the two agree), single
 * core, every side in one process, interleaved in rounds with a rotating order:
 *
 * - **read path**: what a page needs from a stored draft: its state and checkpoint, whether it
 *   can be activated, whether to poll.
 *   - `core`: `deriveLifecycle` + `evaluateReadiness` + `resolveStage` on the draft (the same
 *     reads as `bench/core.ts`, on a draft in the same situation);
 *   - `xstate snapshot`: the machine's snapshot already in memory: its state value (mapped to
 *     state and checkpoint), `snapshot.can({ type: "activate" })`, `snapshot.hasTag("polling")`;
 *   - `xstate resolveState`: the same reads after `machine.resolveState({ value, context })` from
 *     the persisted value and context, the XState way to read a stored snapshot back.
 * - **command path**: one onboarding, from a new draft to `completed`, nine commands (identify,
 *   select provider, start verification, two worker reports, start bootstrap, two bootstrap
 *   reports, activate):
 *   - `core`: `newDraft` then the pure reducer `applyCommand` (guards, immer recipe, lifecycle
 *     re-derived, version bumped; what `engine.execute` runs between its read and its commit);
 *   - `xstate`: `initialTransition(machine)` then the pure `transition(machine, snapshot, event)`.
 *
 *   npx tsx bench/peers/xstate.ts        (BENCH_MS=6000 for longer rounds; npm run bench -- xstate)
 *
 * Not a test. Prints operations per CPU-second of the process (`process.cpuUsage`, the figure to
 * compare on a shared machine) and per wall-clock second, the median of the rounds with the
 * range, and the per-round ratios.
 */
import { createRequire } from "node:module";
import { cpus, loadavg } from "node:os";
import { initialTransition, transition } from "xstate";
import { applyCommand, newDraft, type Command, type CommandContext } from "../../src/commands/index.js";
import { deriveLifecycle, evaluateReadiness, resolveStage } from "../../src/lifecycle/index.js";
import type { OnboardingDraft } from "../../src/record/index.js";
import { lifecycleMachine, machineLifecycle, type LifecycleSnapshot } from "./xstate-machine.js";

const XSTATE_VERSION = (createRequire(import.meta.url)("xstate/package.json") as { version: string }).version;
const TOTAL_MS = Number(process.env["BENCH_MS"] ?? 3000);
const ROUNDS = 6;
const NOW = "2026-03-01T09:00:00.000Z";

/** One onboarding, new to completed; run ids as both sides draw them (`run-1`, `run-2`, ...). */
const ONBOARDING: readonly Command[] = [
  { type: "identify", tenantId: "tenant-42", displayName: "Contoso Ltd", primaryDomain: "contoso.example" },
  { type: "select_provider", connectionId: "conn-7" },
  { type: "start_verification" },
  { type: "record_verification_result", runId: "run-1", status: "running" },
  { type: "record_verification_result", runId: "run-1", status: "completed", outcome: "succeeded" },
  { type: "start_bootstrap", operations: ["sync_directory", "apply_baseline"] },
  { type: "record_bootstrap_result", runId: "run-2", status: "completed", outcome: "succeeded" },
  { type: "record_bootstrap_result", runId: "run-3", status: "completed", outcome: "succeeded" },
  { type: "activate" },
];

/**
 * The read-path draft: verified, bootstrap with three runs of which one operation failed and was
 * re-run (so "the latest run per operation" is exercised), ready for activation: as bench/core.ts.
 */
const READ_PATH: readonly Command[] = [
  ...ONBOARDING.slice(0, 6),
  { type: "record_bootstrap_result", runId: "run-2", status: "completed", outcome: "failed", message: "throttled" },
  { type: "record_bootstrap_result", runId: "run-3", status: "completed", outcome: "succeeded" },
  { type: "start_bootstrap", operations: ["sync_directory"] },
  { type: "record_bootstrap_result", runId: "run-4", status: "completed", outcome: "succeeded" },
];

function commandContext(): CommandContext {
  let runs = 0;
  return { now: NOW, actorId: "bench", nextRunId: () => `run-${(runs += 1)}`, policy: {} };
}

function coreDraft(commands: readonly Command[]): OnboardingDraft {
  const context = commandContext();
  let draft = newDraft({ id: "draft-bench", workspaceId: "ws-bench", now: NOW, actorId: "bench" });
  for (const command of commands) draft = applyCommand(draft, command, context).draft;
  return draft;
}

function machineSnapshot(commands: readonly Command[]): LifecycleSnapshot {
  let [snapshot] = initialTransition(lifecycleMachine);
  for (const command of commands) [snapshot] = transition(lifecycleMachine, snapshot, command);
  return snapshot;
}

// The two sides start from the same situation: checked before anything is timed.
const draft = coreDraft(READ_PATH);
const snapshot = machineSnapshot(READ_PATH);
const persisted = JSON.parse(JSON.stringify({ value: snapshot.value, context: snapshot.context })) as {
  value: LifecycleSnapshot["value"];
  context: LifecycleSnapshot["context"];
};
for (const [label, lifecycle] of [
  ["snapshot", machineLifecycle(snapshot)],
  ["resolved", machineLifecycle(lifecycleMachine.resolveState(persisted))],
] as const) {
  if (
    draft.lifecycle.state !== "ready_for_activation" ||
    draft.lifecycle.currentCheckpoint !== "activate" ||
    lifecycle.state !== draft.lifecycle.state ||
    lifecycle.currentCheckpoint !== draft.lifecycle.currentCheckpoint ||
    evaluateReadiness(draft).ready !== lifecycleMachine.resolveState(persisted).can({ type: "activate" })
  ) {
    throw new Error(`read-path drafts disagree (${label}): ${JSON.stringify([draft.lifecycle, lifecycle])}`);
  }
}
if (coreDraft(ONBOARDING).lifecycle.state !== "completed" || machineSnapshot(ONBOARDING).value !== "completed") {
  throw new Error("the command path does not end completed on both sides");
}

let sink = 0;

interface Side {
  readonly name: string;
  readonly group: "read" | "command";
  /** Operations per call of `batch`. */
  readonly opsPerBatch: number;
  readonly batch: () => void;
}

const READS_PER_BATCH = 1000;
const ONBOARDINGS_PER_BATCH = 100;

const sides: readonly Side[] = [
  {
    name: "core: deriveLifecycle + evaluateReadiness + resolveStage",
    group: "read",
    opsPerBatch: READS_PER_BATCH,
    batch: () => {
      for (let i = 0; i < READS_PER_BATCH; i += 1) {
        const lifecycle = deriveLifecycle(draft);
        const readiness = evaluateReadiness(draft);
        const stage = resolveStage(draft);
        sink += lifecycle.state.length + (readiness.ready ? 1 : 0) + stage.step.length + (stage.polling ? 1 : 0);
      }
    },
  },
  {
    name: "xstate: snapshot in memory (value, can(activate), hasTag)",
    group: "read",
    opsPerBatch: READS_PER_BATCH,
    batch: () => {
      for (let i = 0; i < READS_PER_BATCH; i += 1) {
        const lifecycle = machineLifecycle(snapshot);
        const ready = snapshot.can({ type: "activate" });
        const polling = snapshot.hasTag("polling");
        sink +=
          lifecycle.state.length + (ready ? 1 : 0) + (lifecycle.currentCheckpoint?.length ?? 0) + (polling ? 1 : 0);
      }
    },
  },
  {
    name: "xstate: resolveState(persisted) + the same reads",
    group: "read",
    opsPerBatch: READS_PER_BATCH,
    batch: () => {
      for (let i = 0; i < READS_PER_BATCH; i += 1) {
        const resolved = lifecycleMachine.resolveState(persisted);
        const lifecycle = machineLifecycle(resolved);
        const ready = resolved.can({ type: "activate" });
        const polling = resolved.hasTag("polling");
        sink +=
          lifecycle.state.length + (ready ? 1 : 0) + (lifecycle.currentCheckpoint?.length ?? 0) + (polling ? 1 : 0);
      }
    },
  },
  {
    name: "core: newDraft + applyCommand x 9",
    group: "command",
    opsPerBatch: ONBOARDINGS_PER_BATCH * ONBOARDING.length,
    batch: () => {
      for (let i = 0; i < ONBOARDINGS_PER_BATCH; i += 1) sink += coreDraft(ONBOARDING).version;
    },
  },
  {
    name: "xstate: initialTransition + transition x 9",
    group: "command",
    opsPerBatch: ONBOARDINGS_PER_BATCH * ONBOARDING.length,
    batch: () => {
      for (let i = 0; i < ONBOARDINGS_PER_BATCH; i += 1) sink += machineSnapshot(ONBOARDING).context.version;
    },
  },
];

interface Measurement {
  readonly perCpuSecond: number;
  readonly perWallSecond: number;
}

function runFor(side: Side, ms: number): Measurement {
  const cpuStart = process.cpuUsage();
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(Math.round(ms * 1e6));
  let ops = 0;
  let now = start;
  while (now < deadline) {
    side.batch();
    ops += side.opsPerBatch;
    now = process.hrtime.bigint();
  }
  const cpu = process.cpuUsage(cpuStart);
  return { perCpuSecond: (ops * 1e6) / (cpu.user + cpu.system), perWallSecond: (ops * 1e9) / Number(now - start) };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

const fmt = (n: number): string => Math.round(n).toLocaleString("en-US");

const roundMs = TOTAL_MS / ROUNDS;
for (const side of sides) runFor(side, Math.min(300, roundMs)); // warm-up: JIT, zod, immer
const results = sides.map(() => [] as Measurement[]);
const loads: number[] = [];
for (let round = 0; round < ROUNDS; round += 1) {
  loads.push(loadavg()[0] ?? 0);
  for (let k = 0; k < sides.length; k += 1) {
    const index = (k + round) % sides.length; // rotate the order
    results[index]!.push(runFor(sides[index]!, roundMs));
  }
}

const cpu = cpus()[0]?.model ?? "unknown CPU";
console.log(
  `pure core vs XState v5 (xstate ${XSTATE_VERSION}, production build), ${ROUNDS} interleaved rounds of ${fmt(roundMs)} ms per side`,
);
console.log(
  `${cpus().length} x ${cpu}, Node ${process.versions.node}, load average ${loads.map((l) => l.toFixed(1)).join(" ")}`,
);
console.log("");
console.log("| path | side | ops / CPU-second, median (range) | ops / wall-second, median |");
console.log("|---|---|---|---|");
sides.forEach((side, i) => {
  const cpuRates = results[i]!.map((m) => m.perCpuSecond);
  const wallRates = results[i]!.map((m) => m.perWallSecond);
  console.log(
    `| ${side.group} | ${side.name} | ${fmt(median(cpuRates))} (${fmt(Math.min(...cpuRates))} – ${fmt(Math.max(...cpuRates))}) | ${fmt(median(wallRates))} |`,
  );
});
console.log("");
console.log("| ratio (per CPU-second, median of the per-round ratios) | median | range |");
console.log("|---|---|---|");
const ratio = (label: string, a: number, b: number): void => {
  const perRound = results[a]!.map((m, r) => m.perCpuSecond / results[b]![r]!.perCpuSecond);
  console.log(
    `| ${label} | ${median(perRound).toFixed(2)} | ${Math.min(...perRound).toFixed(2)} – ${Math.max(...perRound).toFixed(2)} |`,
  );
};
ratio("read: core / xstate snapshot in memory", 0, 1);
ratio("read: core / xstate resolveState", 0, 2);
ratio("command: core / xstate transition", 3, 4);
if (sink === 42) console.log("");
