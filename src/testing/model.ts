/**
 * The model-based run of the conformance kit: fast-check `fc.commands` sequences of operator
 * commands (fresh and stale, every start policy), worker commands (results, progress reports
 * and `expire_run` on current and stale runs), `engine.expireStuckRuns` after the engine's clock
 * moved on, happy-path steps and idempotent retries, from several actors. The model
 * (`model-state.ts`) predicts each step's feedback, version, error and lifecycle from what it
 * knows alone; after every step the store is checked against it, outbox included
 * (`model-outbox.ts`).
 */
import * as fc from "fast-check";
import { randomUUID } from "node:crypto";
import { createOnboardingEngine, type MutationResult, type OnboardingEngine } from "../engine/index.js";
import { activeRuns } from "../engine/outbox.js";
import {
  isOnboardingError,
  RunActiveError,
  VersionConflictError,
  type OnboardingDraft,
  type OnboardingError,
} from "../record/index.js";
import { isTerminal, LifecycleState } from "../vocabulary/index.js";
import {
  isWorkerCommand,
  parseCommand,
  type CommandInput,
  type OperatorCommand,
  type WorkerCommand,
} from "../commands/index.js";
import type { DraftStore } from "../store/index.js";
import { commandArbitrary, happyPathCommand } from "./arbitraries.js";
import { assertDraftInvariants } from "./invariants.js";
import { assertOutboxInvariants } from "./model-outbox.js";
import {
  applyOperator,
  applyWorker,
  isActive,
  predictLifecycle,
  predictOperator,
  predictWorker,
  type ModelKnowledge,
  type ModelWriter,
  type Prediction,
} from "./model-state.js";

export type { ModelIdentity, ModelKnowledge, ModelRun, ModelWriter } from "./model-state.js";

/**
 * What the model knows: the version the store must have, what each actor last saw, who wrote
 * the current version, and (see {@link ModelKnowledge}) the identity, provider and every run.
 */
export interface DraftModel extends ModelKnowledge {
  /** The version the store must have. */
  version: number;
  /** The version each actor last saw (index = actor). */
  readonly seen: number[];
  /** Who made the current version (`null`: `create`), as `VersionConflictError.changedBy` must say. */
  changedBy: ModelWriter | null;
}

/** The system under test: an engine on the store and one draft. */
export interface DraftReal {
  /** The engine under test (its clock reads {@link DraftReal.clock}). */
  readonly engine: OnboardingEngine;
  /** The store under test. */
  readonly store: DraftStore;
  /** The run's fresh workspace. */
  readonly workspaceId: string;
  /** The draft the run drives. */
  readonly draftId: string;
  /** The draft as last read. */
  draft: OnboardingDraft;
  /** The engine's clock (epoch ms): it moves only when a step moves it. */
  readonly clock: {
    /** The current time, in epoch milliseconds. */
    ms: number;
  };
}

type ModelCommand = fc.AsyncCommand<DraftModel, DraftReal, false>;

const ACTORS = 3;

/** The lease of runs in the model's engine. */
const LEASE_MS = 60_000;

/**
 * The model's clock, shared by every run in the process so it only moves forward: in 2001,
 * before anything a real clock writes, so `expireStuckRuns` only ever finds the model's runs.
 */
const MODEL_CLOCK = { ms: Date.UTC(2001, 0, 1) };

const iso = (ms: number): string => new Date(ms).toISOString();

function fail(message: string): never {
  throw new Error(message);
}

const sameIds = (a: readonly string[], b: readonly string[]): boolean => JSON.stringify(a) === JSON.stringify(b);

async function settle(model: DraftModel, real: DraftReal): Promise<void> {
  const { draft, events } = await assertDraftInvariants(real.store, real.workspaceId, real.draftId);
  if (draft.version !== model.version) fail(`store is at version ${draft.version}, model expects ${model.version}`);
  if (isTerminal(draft.lifecycle.state) !== model.terminal) fail("terminal flag disagrees with the model");
  const predicted = predictLifecycle(model);
  const { state, reason } = draft.lifecycle;
  if (state !== predicted.state || (state !== LifecycleState.Draft && reason !== predicted.reason)) {
    fail(`lifecycle is ${state}/${String(reason)}, model expects ${predicted.state}/${String(predicted.reason)}`);
  }
  const active = [...activeRuns(draft).keys()].sort();
  const expected = [...model.runs.values()].filter((run) => isActive(model, run)).map((run) => run.runId);
  if (!sameIds(active, expected.sort())) fail(`active runs ${active.join()} != model ${expected.join()}`);
  await assertOutboxInvariants(real.store, real, model.runs, events, iso);
  const progress = await real.engine.runProgress(real.workspaceId, real.draftId, { actor: { id: "actor-0" } });
  const reported = progress.map((entry) => `${entry.runId}@${String(entry.reportedAt)}`).sort();
  const modelled = [...model.runs.values()].map(
    (r) => `${r.runId}@${r.reportedAt === null ? "null" : iso(r.reportedAt)}`,
  );
  if (!sameIds(reported, modelled.sort())) fail(`runProgress ${reported.join()} != model ${modelled.join()}`);
  real.draft = draft;
}

type Outcome = { readonly ok: MutationResult } | { readonly error: OnboardingError };

async function run(call: () => Promise<MutationResult>): Promise<Outcome> {
  try {
    return { ok: await call() };
  } catch (error) {
    if (!isOnboardingError(error)) throw error;
    return { error };
  }
}

/** Checks an outcome against the prediction (`before`: the version before the step). */
function checkOutcome(label: string, prediction: Prediction, outcome: Outcome, model: DraftModel): void {
  const before = model.version;
  if ("error" in prediction) {
    if (!("error" in outcome)) fail(`${label}: expected ${prediction.error}, got ${outcome.ok.feedback}`);
    if (outcome.error.code !== prediction.error) {
      fail(`${label}: expected ${prediction.error}, got ${outcome.error.code}: ${outcome.error.message}`);
    }
    const { runIds } = prediction;
    if (runIds !== undefined && !(outcome.error instanceof RunActiveError && sameIds(outcome.error.runIds, runIds))) {
      fail(`${label}: RunActiveError should name ${runIds.join()}`);
    }
    return;
  }
  if ("error" in outcome) {
    fail(`${label}: expected ${prediction.feedback}, got ${outcome.error.code}: ${outcome.error.message}`);
  }
  const result = outcome.ok;
  if (result.feedback !== prediction.feedback)
    fail(`${label}: feedback ${result.feedback}, model ${prediction.feedback}`);
  const version = before + (prediction.bumps ? 1 : 0);
  if (result.version !== version || result.draft.version !== version) {
    fail(`${label}: version ${result.version}, model ${version}`);
  }
  if ((result.event !== null) !== prediction.bumps) fail(`${label}: an audit entry must exist exactly when it commits`);
  if (prediction.runIds !== null && !sameIds(result.runIds, prediction.runIds)) {
    fail(`${label}: runIds ${result.runIds.join()}, model ${prediction.runIds.join()}`);
  }
  const starts = prediction.starts ?? [];
  if (prediction.runIds === null && result.runIds.length !== starts.length) {
    fail(`${label}: started ${result.runIds.length} runs, model ${starts.length}`);
  }
  if (prediction.runIds === null && result.runIds.some((runId) => model.runs.has(runId))) {
    fail(`${label}: a new run reuses an old run id`);
  }
}

/** A committed step moves the model's version and writer. */
function committed(model: DraftModel, prediction: Prediction, writer: ModelWriter): void {
  if ("error" in prediction || !prediction.bumps) return;
  model.version += 1;
  model.changedBy = writer;
}

/** An operator command sent with what the actor last saw (possibly stale) or a fresh version. */
class OperatorStep implements ModelCommand {
  constructor(
    readonly actor: number,
    readonly input: CommandInput,
    readonly fresh: boolean,
  ) {}
  check(): boolean {
    return true;
  }
  async run(model: DraftModel, real: DraftReal): Promise<void> {
    const expectedVersion = this.fresh ? model.version : (model.seen[this.actor] ?? 1);
    const command = parseCommand(this.input) as OperatorCommand;
    const stale = expectedVersion !== model.version;
    const prediction: Prediction = stale ? { error: "version_conflict" } : predictOperator(model, command);
    const actorId = `actor-${this.actor}`;
    const outcome = await run(() =>
      real.engine.execute(real.workspaceId, real.draftId, command, { actor: { id: actorId }, expectedVersion }),
    );
    checkOutcome(this.toString(), prediction, outcome, model);
    if ("error" in outcome && outcome.error instanceof VersionConflictError) {
      if (outcome.error.actualVersion !== model.version) fail("VersionConflictError.actualVersion wrong");
      if (JSON.stringify(outcome.error.changedBy) !== JSON.stringify(model.changedBy)) {
        fail(
          `VersionConflictError.changedBy ${JSON.stringify(outcome.error.changedBy)}, model ${JSON.stringify(model.changedBy)}`,
        );
      }
    }
    applyOperator(model, command, prediction, "ok" in outcome ? outcome.ok.runIds : [], real.clock.ms);
    committed(model, prediction, { actorId, commandType: command.type, worker: false });
    model.seen[this.actor] = model.version;
    await settle(model, real);
  }
  toString(): string {
    return `${this.fresh ? "fresh" : "stale?"} actor-${this.actor} ${JSON.stringify(this.input)}`;
  }
}

/** The next happy-path command, computed from the real draft at run time. */
class HappyStep implements ModelCommand {
  constructor(readonly actor: number) {}
  check(): boolean {
    return true;
  }
  async run(model: DraftModel, real: DraftReal): Promise<void> {
    const input = happyPathCommand(real.draft);
    if (isWorkerCommand(parseCommand(input))) {
      await new WorkerStep(input, null).run(model, real);
      return;
    }
    await new OperatorStep(this.actor, input, true).run(model, real);
  }
  toString(): string {
    return `happy-step actor-${this.actor}`;
  }
}

/** A worker command on a run the draft has had (picked), or on an unknown run. */
class WorkerStep implements ModelCommand {
  constructor(
    readonly input: CommandInput,
    readonly pick: number | null,
  ) {}
  check(): boolean {
    return true;
  }
  async run(model: DraftModel, real: DraftReal): Promise<void> {
    const runs = [...model.runs.keys()];
    const picked = this.pick !== null && runs.length > 0 ? runs[this.pick % runs.length] : undefined;
    const command = parseCommand(
      picked !== undefined && "runId" in this.input ? { ...this.input, runId: picked } : this.input,
    ) as WorkerCommand;
    const prediction = predictWorker(model, command);
    const outcome = await run(() =>
      real.engine.execute(real.workspaceId, real.draftId, command, { actor: { id: "worker" } }),
    );
    const label = `${this.toString()} on ${command.runId}`;
    if (prediction === "unknown") {
      if (!("error" in outcome) || outcome.error.code !== "unknown_run") {
        fail(`${label}: a report on a run the draft never had must be unknown_run`);
      }
      return settle(model, real);
    }
    checkOutcome(label, prediction, outcome, model);
    applyWorker(model, command, prediction, real.clock.ms);
    committed(model, prediction, { actorId: "worker", commandType: command.type, worker: true });
    await settle(model, real);
  }
  toString(): string {
    return `worker ${JSON.stringify(this.input)} pick=${String(this.pick)}`;
  }
}

/**
 * The engine's clock moves on by `advanceMs`, then `engine.expireStuckRuns` runs: exactly the
 * active runs with no report (nor start) since the lease began are expired.
 */
class ExpireStuckStep implements ModelCommand {
  constructor(readonly advanceMs: number) {}
  check(): boolean {
    return true;
  }
  async run(model: DraftModel, real: DraftReal): Promise<void> {
    real.clock.ms += this.advanceMs;
    const before = real.clock.ms - LEASE_MS;
    const stuck = [...model.runs.values()].filter(
      (candidate) => isActive(model, candidate) && (candidate.reportedAt ?? candidate.startedAt) < before,
    );
    const report = await real.engine.expireStuckRuns({ actor: { id: "expirer" }, limit: 1000 });
    const ours = report.expired.filter((expired) => expired.workspaceId === real.workspaceId);
    const got = ours.map((expired) => expired.runId).sort();
    const want = stuck.map((candidate) => candidate.runId).sort();
    if (!sameIds(got, want)) fail(`${this.toString()}: expired ${got.join()}, model ${want.join()}`);
    for (const expired of ours) {
      const command = parseCommand({ type: "expire_run", runId: expired.runId }) as WorkerCommand;
      const prediction = predictWorker(model, command);
      if (prediction === "unknown" || "error" in prediction || prediction.feedback !== "expired") {
        fail(`${this.toString()}: expired ${expired.runId}, which the model says is not active`);
      }
      if (expired.checkpoint !== model.runs.get(expired.runId)?.checkpoint) fail("expired run's checkpoint wrong");
      applyWorker(model, command, prediction, real.clock.ms);
      committed(model, prediction, { actorId: "expirer", commandType: "expire_run", worker: true });
    }
    const versions = ours.map((expired) => expired.version).sort((a, b) => a - b);
    if (ours.length > 0 && versions.at(-1) !== model.version) fail("expireStuckRuns reported wrong versions");
    await settle(model, real);
  }
  toString(): string {
    return `expire-stuck-runs after +${this.advanceMs} ms`;
  }
}

/** The same request sent twice with one idempotency key: applied at most once. */
class IdempotentRetry implements ModelCommand {
  constructor(
    readonly input: CommandInput,
    readonly actor: number,
  ) {}
  check(): boolean {
    return true;
  }
  async run(model: DraftModel, real: DraftReal): Promise<void> {
    const command = parseCommand(this.input);
    if (isWorkerCommand(command)) return; // worker commands are covered by WorkerStep
    const key = `key-${randomUUID()}`;
    const actorId = `actor-${this.actor}`;
    const options = { actor: { id: actorId }, expectedVersion: model.version, idempotencyKey: key };
    const prediction = predictOperator(model, command);
    const first = await run(() => real.engine.execute(real.workspaceId, real.draftId, command, options));
    const second = await run(() => real.engine.execute(real.workspaceId, real.draftId, command, options));
    checkOutcome(this.toString(), prediction, first, model);
    if ("ok" in first) {
      const again = "ok" in second ? second.ok : fail(`the retry failed: ${second.error.code}`);
      const same = again.version === first.ok.version && again.feedback === first.ok.feedback;
      if (!same || !sameIds(again.runIds, first.ok.runIds)) fail("the retry's outcome differs from the first");
      if (again.replayed !== (first.ok.event !== null)) fail("a committed request must be replayed, a no-op redone");
    } else if (!("error" in second) || second.error.code !== first.error.code) {
      fail("the retry of a refused request must be refused alike");
    }
    applyOperator(model, command, prediction, "ok" in first ? first.ok.runIds : [], real.clock.ms);
    committed(model, prediction, { actorId, commandType: command.type, worker: false });
    await settle(model, real);
  }
  toString(): string {
    return `idempotent-retry actor-${this.actor} ${JSON.stringify(this.input)}`;
  }
}

const operatorInput = commandArbitrary().filter((input) => !("runId" in input));
const workerInput = commandArbitrary().filter((input) => "runId" in input);

/** The arbitrary of model-based command sequences the kit runs. */
export function modelRunArbitrary(maxCommands = 35): fc.Arbitrary<Iterable<ModelCommand>> {
  const actor = fc.nat({ max: ACTORS - 1 });
  const worker = fc
    .tuple(workerInput, fc.option(fc.nat({ max: 7 })))
    .map(([input, pick]): ModelCommand => new WorkerStep(input, pick));
  // Right before, at and right after the lease ends, and well past it.
  const advance = fc.constantFrom(0, 1, LEASE_MS / 2, LEASE_MS - 1, LEASE_MS, LEASE_MS + 1, 3 * LEASE_MS);
  return fc.commands(
    [
      fc.tuple(actor, operatorInput, fc.boolean()).map(([a, input, fresh]) => new OperatorStep(a, input, fresh)),
      // Weighted towards the happy path so late states (bootstrapping, ready, completed) are
      // reached often, not only the early ones.
      ...Array.from({ length: 8 }, () => actor.map((a): ModelCommand => new HappyStep(a))),
      worker,
      worker,
      advance.map((ms): ModelCommand => new ExpireStuckStep(ms)),
      fc.tuple(operatorInput, actor).map(([input, a]) => new IdempotentRetry(input, a)),
    ],
    { maxCommands, size: "max" },
  );
}

/** Runs one model-based sequence against a store, on a fresh workspace and draft. */
export async function runModel(store: DraftStore, commands: Iterable<ModelCommand>): Promise<void> {
  // Each sequence starts well past the last one's lease, so its first sweep settles the rest.
  MODEL_CLOCK.ms += 10 * LEASE_MS;
  const clock = MODEL_CLOCK;
  const engine = createOnboardingEngine({
    store,
    authorize: () => true,
    retry: { attempts: 50, maxDelayMs: 10 },
    clock: { now: () => clock.ms },
    runLeaseMs: LEASE_MS,
  });
  const workspaceId = `model-${randomUUID()}`;
  const { draft } = await engine.create(workspaceId, {}, { actor: { id: "actor-0" } });
  const model: DraftModel = {
    version: 1,
    terminal: false,
    seen: Array.from({ length: ACTORS }, () => 1),
    runs: new Map(),
    identity: null,
    connectionId: null,
    ending: null,
    changedBy: null,
  };
  const real: DraftReal = { engine, store, workspaceId, draftId: draft.id, draft, clock };
  await fc.asyncModelRun(() => ({ model, real }), commands);
}
