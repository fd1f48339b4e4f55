/**
 * The model-based run of the conformance kit: fast-check `fc.commands` sequences of operator
 * commands (fresh and stale), worker reports (current and stale runs), happy-path steps and
 * idempotent retries, from several actors, checked against a small model after every step.
 */
import * as fc from "fast-check";
import { randomUUID } from "node:crypto";
import { createOnboardingEngine, type OnboardingEngine } from "../engine/index.js";
import { isOnboardingError, UnknownRunError, VersionConflictError, type OnboardingDraft } from "../record/index.js";
import { isTerminal } from "../vocabulary/index.js";
import { isWorkerCommand, parseCommand, type CommandInput } from "../commands/index.js";
import type { DraftStore } from "../store/index.js";
import { commandArbitrary, happyPathCommand, runIdsOf } from "./arbitraries.js";
import { assertDraftInvariants } from "./invariants.js";

/** What the model knows: the version the store must have, whether the draft is terminal, and what each actor last saw. */
export interface DraftModel {
  /** The version the store must have. */
  version: number;
  /** Whether the draft must be terminal. */
  terminal: boolean;
  /** The version each actor last saw (index = actor). */
  readonly seen: number[];
  /** Every run id the draft has had: a report on any other is an `UnknownRunError`. */
  readonly runs: Set<string>;
}

/** The system under test: an engine on the store and one draft. */
export interface DraftReal {
  /** The engine under test. */
  readonly engine: OnboardingEngine;
  /** The store under test. */
  readonly store: DraftStore;
  /** The run's fresh workspace. */
  readonly workspaceId: string;
  /** The draft the run drives. */
  readonly draftId: string;
  /** The draft as last read. */
  draft: OnboardingDraft;
}

type ModelCommand = fc.AsyncCommand<DraftModel, DraftReal, false>;

const ACTORS = 3;

function fail(message: string): never {
  throw new Error(message);
}

async function settle(model: DraftModel, real: DraftReal): Promise<void> {
  const { draft } = await assertDraftInvariants(real.store, real.workspaceId, real.draftId);
  if (draft.version !== model.version) fail(`store is at version ${draft.version}, model expects ${model.version}`);
  if (isTerminal(draft.lifecycle.state) !== model.terminal) fail("terminal flag disagrees with the model");
  for (const runId of runIdsOf(draft)) model.runs.add(runId);
  real.draft = draft;
}

function absorb(model: DraftModel, real: DraftReal, draft: OnboardingDraft): void {
  if (model.terminal && draft.version !== model.version) fail("a terminal draft changed");
  model.version = draft.version;
  model.terminal = isTerminal(draft.lifecycle.state);
  real.draft = draft;
}

/** An operator command sent with what the actor last saw (possibly stale) or a fresh version. */
class OperatorCommand implements ModelCommand {
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
    const before = model.version;
    try {
      const result = await real.engine.execute(real.workspaceId, real.draftId, this.input, {
        actor: { id: `actor-${this.actor}` },
        expectedVersion,
      });
      if (expectedVersion !== before) fail(`stale expectedVersion ${expectedVersion} (store ${before}) was accepted`);
      if (model.terminal) fail(`${this.input.type} succeeded on a terminal draft`);
      const grew = result.version - before;
      if (grew !== 0 && grew !== 1) fail(`version jumped by ${grew}`);
      if ((result.event === null) !== (grew === 0)) fail("an audit entry must exist exactly when the version grew");
      absorb(model, real, result.draft);
    } catch (error) {
      if (!isOnboardingError(error)) throw error;
      if (expectedVersion !== before) {
        if (!(error instanceof VersionConflictError)) fail(`stale write gave ${error.code}, not version_conflict`);
        if (error.actualVersion !== before) fail("VersionConflictError.actualVersion wrong");
      } else if (model.terminal && error.code !== "terminal_draft") {
        fail(`command on a terminal draft gave ${error.code}, not terminal_draft`);
      }
    }
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
    const command = parseCommand(input);
    if (isWorkerCommand(command)) {
      await new WorkerReport(command, null).run(model, real);
      return;
    }
    await new OperatorCommand(this.actor, input, true).run(model, real);
  }
  toString(): string {
    return `happy-step actor-${this.actor}`;
  }
}

/** A worker report on a run picked from the draft (or an unknown run). */
class WorkerReport implements ModelCommand {
  constructor(
    readonly input: CommandInput,
    readonly pick: number | null,
  ) {}
  check(): boolean {
    return true;
  }
  async run(model: DraftModel, real: DraftReal): Promise<void> {
    const runs = runIdsOf(real.draft);
    const input =
      this.pick !== null && runs.length > 0 && "runId" in this.input
        ? { ...this.input, runId: runs[this.pick % runs.length] ?? this.input.runId }
        : this.input;
    const before = model.version;
    const unknown = "runId" in input && !model.runs.has(input.runId) && !model.terminal;
    let result: Awaited<ReturnType<OnboardingEngine["execute"]>>;
    try {
      result = await real.engine.execute(real.workspaceId, real.draftId, input, { actor: { id: "worker" } });
    } catch (error) {
      if (unknown && error instanceof UnknownRunError) return settle(model, real);
      throw error;
    }
    if (unknown) fail(`a report on a run the draft never had gave ${result.feedback}, not unknown_run`);
    if (model.terminal && result.feedback !== "ignored_terminal") fail("a report on a terminal draft was not ignored");
    if (result.feedback.startsWith("ignored") && result.version !== before) fail("an ignored report changed the draft");
    absorb(model, real, result.draft);
    await settle(model, real);
  }
  toString(): string {
    return `worker ${JSON.stringify(this.input)} pick=${String(this.pick)}`;
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
    if ("runId" in this.input) return; // worker reports are covered by WorkerReport
    const key = `key-${randomUUID()}`;
    const options = { actor: { id: `actor-${this.actor}` }, expectedVersion: model.version, idempotencyKey: key };
    const first = await real.engine
      .execute(real.workspaceId, real.draftId, this.input, options)
      .catch((e: unknown) => e);
    const second = await real.engine
      .execute(real.workspaceId, real.draftId, this.input, options)
      .catch((e: unknown) => e);
    if (!isOnboardingError(first) && !(first instanceof Error)) {
      const applied = first as Awaited<ReturnType<OnboardingEngine["execute"]>>;
      if (applied.event !== null) {
        const again = second as typeof applied;
        if (!again.replayed || again.version !== applied.version) fail("the retry was applied a second time");
      }
      absorb(model, real, applied.draft);
    } else if (!isOnboardingError(first)) {
      throw first;
    }
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
  return fc.commands(
    [
      fc.tuple(actor, operatorInput, fc.boolean()).map(([a, input, fresh]) => new OperatorCommand(a, input, fresh)),
      // Weighted towards the happy path so late states (bootstrapping, ready, completed) are
      // reached often, not only the early ones.
      ...Array.from({ length: 8 }, () => actor.map((a): ModelCommand => new HappyStep(a))),
      fc.tuple(workerInput, fc.option(fc.nat({ max: 7 }))).map(([input, pick]) => new WorkerReport(input, pick)),
      fc.tuple(operatorInput, actor).map(([input, a]) => new IdempotentRetry(input, a)),
    ],
    { maxCommands, size: "max" },
  );
}

/** Runs one model-based sequence against a store, on a fresh workspace and draft. */
export async function runModel(store: DraftStore, commands: Iterable<ModelCommand>): Promise<void> {
  const engine = createOnboardingEngine({ store, authorize: () => true, retry: { attempts: 50, maxDelayMs: 10 } });
  const workspaceId = `model-${randomUUID()}`;
  const { draft } = await engine.create(workspaceId, {}, { actor: { id: "actor-0" } });
  const model: DraftModel = {
    version: 1,
    terminal: false,
    seen: Array.from({ length: ACTORS }, () => 1),
    runs: new Set(),
  };
  const real: DraftReal = { engine, store, workspaceId, draftId: draft.id, draft };
  await fc.asyncModelRun(() => ({ model, real }), commands);
}
