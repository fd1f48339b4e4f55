/**
 * The two end-to-end scenarios, the same for pg-boss and BullMQ (each test file brings its
 * store, its queue and its queue-side assertions): a draft driven to `completed` through the
 * dispatcher and a worker in other processes, and a worker SIGKILLed mid-run whose run is
 * expired and restarted. Assertions use vitest's `expect`.
 */
import { expect } from "vitest";
import type { OnboardingEngine } from "../../src/index.js";
import { OutboxRecordSchema } from "../../src/record/index.js";
import type { OutboxStore } from "../../src/store/index.js";
import type { E2eConfig } from "./fixtures/e2e-side.js";
import {
  completedLine,
  deliveriesOf,
  draftWhen,
  eventsOf,
  operator,
  reportsOn,
  startVerification,
  until,
  type Side,
} from "./e2e-support.js";
import { wholeHistory } from "../../src/testing/trail.js";

/** What a scenario needs of its test file. */
export interface E2eContext {
  readonly engine: OnboardingEngine;
  /** The application's store (for its outbox). */
  readonly store: OutboxStore;
  readonly workspaceId: string;
  readonly suffix: string;
  readonly dispatcher: Side;
  /** Starts a worker process (ready when resolved). */
  readonly worker: (label: string, mode: E2eConfig["mode"]) => Promise<Side>;
}

/**
 * The workspace's outbox once everything has run: every entry delivered on its first attempt,
 * none pending or dead, and every run record settled (the dispatcher's `expireStuckRuns` stops
 * watching finished runs). Resolves with the entries' `<kind> <runId>`.
 */
export async function outboxSettled(ctx: E2eContext): Promise<string[]> {
  const entries = await until(async () => {
    const page = await ctx.store.listOutbox({ workspaceId: ctx.workspaceId, limit: 100 });
    const records = page.entries.map((raw) => OutboxRecordSchema.parse(raw));
    const settled = records.every(
      (r) => r.status === "delivered" && (r.kind === "run.cancelled" || r.settledAt !== null),
    );
    return settled ? records : undefined;
  }, "every outbox entry delivered and every run settled");
  expect(entries.every((entry) => entry.attempts === 1)).toBe(true);
  return entries.map((entry) => `${entry.kind} ${entry.runId}`);
}

/** Polls until the draft is `ready_for_activation` with every bootstrap run completed. */
function readyWithRunsDone(ctx: E2eContext, draftId: string, what: string) {
  return draftWhen(
    ctx.engine,
    ctx.workspaceId,
    draftId,
    (d) =>
      d.lifecycle.state === "ready_for_activation" &&
      (d.bootstrap?.runs.every((run) => run.status === "completed") ?? true),
    what,
  );
}

/** Checks the audit trail of a completed draft: two worker reports (running, completed) per run. */
async function checkReports(ctx: E2eContext, draftId: string, verification: string, bootstrap: readonly string[]) {
  const history = await wholeHistory(ctx.engine, ctx.workspaceId, draftId, { actor: operator });
  const twice = (command: string): string[] => [`${command} by worker-w1`, `${command} by worker-w1`];
  expect(reportsOn(history, verification)).toEqual(twice("record_verification_result"));
  for (const id of bootstrap) expect(reportsOn(history, id)).toEqual(twice("record_bootstrap_result"));
}

/**
 * Scenario 1, with worker `w1`: create, identify, select_provider, start_verification ->
 * ready_for_activation (with the worker's progress report); start_bootstrap of two operations
 * -> both complete; activate -> completed. Each run delivered once and run once. Stops `w1`
 * gracefully at the end. Resolves with the runs (verification first).
 */
export async function completesADraft(ctx: E2eContext): Promise<readonly string[]> {
  const { engine, workspaceId: ws } = ctx;
  const first = await ctx.worker("w1", "succeed");
  const { draftId, runId } = await startVerification(engine, ws, `tenant-a-${ctx.suffix}`);
  const verified = await readyWithRunsDone(ctx, draftId, "the verification to land");
  expect(verified.verification).toMatchObject({ runId, outcome: "succeeded", message: "verified by w1" });
  expect(await engine.runProgress(ws, draftId, { actor: operator })).toEqual([
    expect.objectContaining({ runId, message: "checking consent", percent: 50 }),
  ]);

  const bootstrap = await engine.execute(
    ws,
    draftId,
    { type: "start_bootstrap", operations: ["seed_policies", "create_groups"] },
    { actor: operator, expectedVersion: verified.version },
  );
  expect(bootstrap.runIds).toHaveLength(2);
  const bootstrapped = await readyWithRunsDone(ctx, draftId, "both bootstrap runs to complete");
  expect(bootstrapped.bootstrap?.runs.map((run) => [run.operation, run.outcome, run.message])).toEqual([
    ["seed_policies", "succeeded", "seed_policies done"],
    ["create_groups", "succeeded", "create_groups done"],
  ]);
  const progress = await engine.runProgress(ws, draftId, { actor: operator });
  expect(progress.filter((p) => bootstrap.runIds.includes(p.runId)).map((p) => p.percent)).toEqual([50, 50]);
  const activated = await engine.execute(
    ws,
    draftId,
    { type: "activate" },
    { actor: operator, expectedVersion: bootstrapped.version },
  );
  expect(activated.draft.lifecycle.state).toBe("completed");

  await checkReports(ctx, draftId, runId, bootstrap.runIds);
  const runIds = [runId, ...bootstrap.runIds];
  for (const id of runIds) {
    await first.waitFor(completedLine(id), `run ${id} completed`);
    expect(eventsOf(first, id)).toEqual(["run_started", "run_completed"]);
    expect(deliveriesOf(ctx.dispatcher, id)).toBe(1);
  }
  expect(await first.stop()).toBe(0);
  // (entries of one commit share createdAt and are ordered by entryId: compare as sets)
  expect((await outboxSettled(ctx)).sort()).toEqual(runIds.map((id) => `run.requested ${id}`).sort());
  return runIds;
}

/** What {@link survivesAKill} leaves for the queue-side assertions. */
export interface KillOutcome {
  /** The run of the killed worker (expired). */
  readonly killedRun: string;
  /** The run started again, completed by the restarted worker. */
  readonly retryRun: string;
  /** The restarted worker. */
  readonly restarted: Side;
  /** Every outbox entry of the workspace once settled (see {@link outboxSettled}). */
  readonly outbox: readonly string[];
}

/**
 * Scenario 2: worker `w2-killed` blocks in `verify_access` and is SIGKILLed; the dispatcher's
 * `expireStuckRuns` task expires the run (action_required / verification_timed_out, audited as
 * the dispatcher's `expire_run`, a `run.cancelled` delivered); worker `w3-restarted` and a new
 * start_verification complete the draft.
 */
export async function survivesAKill(ctx: E2eContext): Promise<KillOutcome> {
  const { engine, workspaceId: ws, dispatcher } = ctx;
  const blocked = await ctx.worker("w2-killed", "block");
  const { draftId, runId } = await startVerification(engine, ws, `tenant-b-${ctx.suffix}`);
  await blocked.waitFor((line) => line.type === "blocked" && line.runId === runId, "the run to block");
  expect((await engine.get(ws, draftId, { actor: operator })).verification?.status).toBe("running");
  await blocked.kill();

  const expired = await draftWhen(engine, ws, draftId, (d) => d.lifecycle.state === "action_required", "the expiry");
  expect(expired.lifecycle).toMatchObject({ state: "action_required", reason: "verification_timed_out" });
  expect(expired.verification).toMatchObject({ runId, status: "completed", outcome: "failed", timedOut: true });
  await dispatcher.waitFor((line) => line.type === "expired" && line.runId === runId, "the expiry line");
  await dispatcher.waitFor((line) => line.kind === "run.cancelled" && line.runId === runId, "the run.cancelled");

  const restarted = await ctx.worker("w3-restarted", "succeed");
  const again = await engine.execute(
    ws,
    draftId,
    { type: "start_verification" },
    { actor: operator, expectedVersion: expired.version },
  );
  const retryRun = again.runIds[0] ?? "";
  const done = await readyWithRunsDone(ctx, draftId, "the new verification to land");
  expect(done.verification).toMatchObject({
    runId: retryRun,
    outcome: "succeeded",
    message: "verified by w3-restarted",
  });
  await restarted.waitFor(completedLine(retryRun), "the new run's completed line");
  expect(eventsOf(restarted, retryRun)).toEqual(["run_started", "run_completed"]);

  const history = await wholeHistory(engine, ws, draftId, { actor: operator });
  expect(reportsOn(history, runId)).toEqual([
    "record_verification_result by worker-w2-killed",
    `expire_run by dispatcher-${dispatcher.label}`,
  ]);
  expect(reportsOn(history, retryRun)).toEqual([
    "record_verification_result by worker-w3-restarted",
    "record_verification_result by worker-w3-restarted",
  ]);
  for (const id of [runId, retryRun]) expect(deliveriesOf(dispatcher, id)).toBe(1);
  const outbox = await outboxSettled(ctx);
  expect(outbox.slice(-3)).toEqual([`run.requested ${runId}`, `run.cancelled ${runId}`, `run.requested ${retryRun}`]);
  return { killedRun: runId, retryRun, restarted, outbox };
}

/** Nothing any side printed on stderr looks like an error. */
export function expectQuietSides(sides: readonly Side[]): void {
  for (const side of sides) expect(side.stderr(), side.label).not.toMatch(/error/i);
}
