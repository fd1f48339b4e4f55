/**
 * No report is lost under contention, on the real PostgreSQL and MariaDB adapters. One draft with
 * 24 active bootstrap runs: 24 workers, each on its own run, report through the runners' report
 * path (`runJob`: `running`, progress heartbeats, the result retried until it lands), round after
 * round, while 8 operators hammer the same draft with version-checked `identify` commands (they
 * bump the version, never supersede a run); each worker then starts its operation's next run
 * (a version-checked `start_bootstrap`). The engine keeps its default retry options, so the same
 * load sent through a raw `engine.execute` (each report once) ends reports in
 * `RetryExhaustedError` and loses them: the contrast, on a second draft, in the same test. How
 * many depends on the machine's speed, so the raw path's figures are printed and only checked
 * for consistency (exactly the results whose send threw are missing from its draft).
 *
 * Checked for the runner path: every job completed, every run of the draft completed with the
 * outcome its worker reported, exactly one committed `running` and one committed result entry
 * per run (two `record_bootstrap_result` commits: a second result or `running` is a no-op), no
 * run left active, versions 1..N contiguous with one created/committed audit entry each.
 */
import type pg from "pg";
import type { Pool } from "mysql2/promise";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMySqlStore } from "../../src/adapters/mysql/index.js";
import { createOnboardingEngine, type OnboardingEngine } from "../../src/index.js";
import type { DraftStore, OutboxStore } from "../../src/store/index.js";
import {
  OutboxRecordSchema,
  VersionConflictError,
  isOnboardingError,
  type AuditEvent,
  type OnboardingDraft,
} from "../../src/record/index.js";
import type { RunOutcome } from "../../src/vocabulary/index.js";
import { runJob, runJobFromEntry, type RunJob, type RunnerEvent } from "../../src/runners/shared/index.js";
import { serviceAvailable, uniqueSuffix } from "../support/services.js";
import {
  dropTables as dropPostgres,
  migratedStore,
  probePostgres,
  testPool as postgresPool,
  uniquePrefix,
} from "../adapters/fixtures/postgres-support.js";
import { dropTables as dropMySql, probeMySql, testPool as mysqlPool } from "../adapters/fixtures/mysql-support.js";
import { wholeHistory } from "../../src/testing/trail.js";

const pgUp = await serviceAvailable("PostgreSQL", probePostgres);
const myUp = await serviceAvailable("MySQL/MariaDB", probeMySql);

const WORKERS = 24;
const OPERATORS = 8;
/** How long the operators hammer the draft and workers start new rounds. */
const LOAD_MS = 2_500;
const operator = { id: "operator" };
const worker = { id: "worker" };
const OUTCOMES: readonly RunOutcome[] = ["succeeded", "partially_succeeded", "failed", "blocked"];

type Store = DraftStore & OutboxStore;

/** What one pass over a draft measured. */
interface Tally {
  /** Versioned reports sent (`running` and results), each counted once however often it was tried. */
  reports: number;
  /** Progress heartbeats sent. */
  heartbeats: number;
  /** `RetryExhaustedError`s seen by the caller (raw path) or absorbed by the report retry (runner). */
  exhausted: number;
  /** Other retries the runner absorbed (store failures). */
  otherRetries: number;
  /** The most attempts one runner report needed. */
  maxAttempts: number;
  /** Heartbeats that failed (only an event on the runner path: they never bump the version). */
  heartbeatFailures: number;
  /** Results whose send ended in an error (raw path: never sent again). */
  failedSends: number;
  /** Operator commits and version conflicts. */
  operatorCommits: number;
  operatorConflicts: number;
  /** The outcome of every result a worker sent, by run (whether or not it landed). */
  readonly sent: Map<string, RunOutcome>;
}

const newTally = (): Tally => ({
  reports: 0,
  heartbeats: 0,
  exhausted: 0,
  otherRetries: 0,
  maxAttempts: 1,
  heartbeatFailures: 0,
  failedSends: 0,
  operatorCommits: 0,
  operatorConflicts: 0,
  sent: new Map(),
});

const operationOf = (index: number): string => `op_${index}`;

type Mutation = Awaited<ReturnType<OnboardingEngine["execute"]>>;

/**
 * A version-checked operator command, sent again on the conflict's current version after every
 * `VersionConflictError`; given up (`null`) after a conflict past `until`.
 */
async function operatorCommand(
  engine: OnboardingEngine,
  draft: OnboardingDraft,
  command: Parameters<OnboardingEngine["execute"]>[2],
  tally: Tally,
  until?: number,
): Promise<Mutation | null> {
  let expectedVersion = draft.version;
  while (until === undefined || Date.now() < until) {
    try {
      const result = await engine.execute(draft.workspaceId, draft.id, command, { actor: operator, expectedVersion });
      tally.operatorCommits += 1;
      return result;
    } catch (error) {
      if (!(error instanceof VersionConflictError)) throw error;
      tally.operatorConflicts += 1;
      expectedVersion = error.current.version;
    }
  }
  return null;
}

/** A fresh draft with a succeeded verification and 24 queued bootstrap runs (one per worker). */
async function draftWithRuns(
  engine: OnboardingEngine,
  label: string,
): Promise<{ draft: OnboardingDraft; runs: string[] }> {
  const workspaceId = `ws-${label}-${uniqueSuffix()}`;
  const { draft } = await engine.create(
    workspaceId,
    { identity: { tenantId: "t", displayName: "Contoso" } },
    { actor: operator },
  );
  const call = (command: Parameters<OnboardingEngine["execute"]>[2], version?: number) =>
    engine.execute(
      workspaceId,
      draft.id,
      command,
      version === undefined ? { actor: worker } : { actor: operator, expectedVersion: version },
    );
  const selected = await call({ type: "select_provider", connectionId: "conn-1" }, draft.version);
  const verifying = await call({ type: "start_verification" }, selected.version);
  const runId = verifying.runIds[0]!;
  await call({ type: "record_verification_result", runId, status: "running" });
  const verified = await call({ type: "record_verification_result", runId, status: "completed", outcome: "succeeded" });
  const operations = Array.from({ length: WORKERS }, (_, index) => operationOf(index));
  const started = await call({ type: "start_bootstrap", operations }, verified.version);
  return { draft: started.draft, runs: [...started.runIds] };
}

/** The queue job of a run, built from its `run.requested` outbox record as the dispatcher would. */
async function jobOf(store: Store, draft: OnboardingDraft, runId: string): Promise<RunJob> {
  const records = await store.listRunRecords(draft.workspaceId, draft.id);
  const record = records.map((raw) => OutboxRecordSchema.parse(raw)).find((entry) => entry.runId === runId);
  if (record === undefined) throw new Error(`no run.requested record for ${runId}`);
  return runJobFromEntry(record);
}

/** 8 operators renaming the draft until the deadline, each command version-checked. */
async function operators(
  engine: OnboardingEngine,
  draft: OnboardingDraft,
  deadline: number,
  tally: Tally,
): Promise<void> {
  await Promise.all(
    Array.from({ length: OPERATORS }, async (_, index) => {
      let current = draft;
      for (let round = 0; Date.now() < deadline; round += 1) {
        const command = { type: "identify", tenantId: "t", displayName: `Contoso ${index}.${round}` } as const;
        current = (await operatorCommand(engine, current, command, tally, deadline))?.draft ?? current;
      }
    }),
  );
}

/** Counts the runner's events into the tally. */
function onRunnerEvent(tally: Tally): (event: RunnerEvent) => void {
  return (event) => {
    if (event.type === "heartbeat_failed") tally.heartbeatFailures += 1;
    if (event.type !== "report_retry") return;
    tally.maxAttempts = Math.max(tally.maxAttempts, event.attempt + 1);
    if (isOnboardingError(event.error) && event.error.code === "retry_exhausted") tally.exhausted += 1;
    else tally.otherRetries += 1;
  };
}

/** One round of a worker on the runner path: `runJob` with two progress heartbeats. */
async function runnerRound(
  engine: OnboardingEngine,
  store: Store,
  draft: OnboardingDraft,
  runId: string,
  outcome: RunOutcome,
  tally: Tally,
): Promise<void> {
  const job = await jobOf(store, draft, runId);
  const result = await runJob(job, {
    engine,
    actor: worker,
    onEvent: onRunnerEvent(tally),
    operations: {
      [job.operation]: async (_job, { progress }) => {
        for (const percent of [30, 60]) {
          tally.heartbeats += 1;
          await progress(`step ${percent}`, percent);
        }
        tally.sent.set(runId, outcome);
        return { outcome, message: `round of ${runId}` };
      },
    },
  });
  tally.reports += 2;
  expect(result).toMatchObject({ status: "completed", outcome, feedback: "recorded" });
}

/** One round of a worker on the raw path: each report sent once through `engine.execute`. */
async function rawRound(
  engine: OnboardingEngine,
  draft: OnboardingDraft,
  runId: string,
  outcome: RunOutcome,
  tally: Tally,
): Promise<boolean> {
  const send = async (command: Parameters<OnboardingEngine["execute"]>[2]): Promise<boolean> => {
    try {
      await engine.execute(draft.workspaceId, draft.id, command, { actor: worker });
      return true;
    } catch (error) {
      if (!isOnboardingError(error) || error.code !== "retry_exhausted") throw error;
      tally.exhausted += 1;
      return false;
    }
  };
  tally.reports += 2;
  await send({ type: "record_bootstrap_result", runId, status: "running" });
  for (const percent of [30, 60]) {
    tally.heartbeats += 1;
    await engine.execute(
      draft.workspaceId,
      draft.id,
      { type: "record_bootstrap_progress", runId, percent },
      { actor: worker },
    );
  }
  tally.sent.set(runId, outcome);
  const landed = await send({ type: "record_bootstrap_result", runId, status: "completed", outcome });
  if (!landed) tally.failedSends += 1;
  return landed;
}

/**
 * Starts the next run of a worker's operation: a version-checked `start_bootstrap` (`supersede`
 * when its result was lost and the run is still active).
 */
async function restart(
  engine: OnboardingEngine,
  draft: OnboardingDraft,
  index: number,
  policy: "attach" | "supersede",
  tally: Tally,
): Promise<{ draft: OnboardingDraft; runId: string }> {
  const command = { type: "start_bootstrap", operations: [operationOf(index)], policy } as const;
  const started = await operatorCommand(engine, draft, command, tally);
  if (started === null) throw new Error("an operator command without a deadline gave up");
  return { draft: started.draft, runId: started.runIds[0]! };
}

/**
 * 24 workers, round after round until the deadline: each executes its run, then starts the next
 * run of its operation (`supersede` when its result was lost and the run is still active).
 */
async function workers(
  engine: OnboardingEngine,
  store: Store,
  start: { draft: OnboardingDraft; runs: string[] },
  deadline: number,
  path: "runner" | "raw",
  tally: Tally,
): Promise<void> {
  await Promise.all(
    start.runs.map(async (first, index) => {
      let runId = first;
      let draft = start.draft;
      for (let round = 0; ; round += 1) {
        const outcome = OUTCOMES[(index + round) % OUTCOMES.length]!;
        const landed =
          path === "runner"
            ? (await runnerRound(engine, store, start.draft, runId, outcome, tally), true)
            : await rawRound(engine, start.draft, runId, outcome, tally);
        if (Date.now() >= deadline) return;
        ({ draft, runId } = await restart(engine, draft, index, landed ? "attach" : "supersede", tally));
      }
    }),
  );
}

/** The load on one draft through one path; resolves with the tally and the draft's final state. */
async function underLoad(
  engine: OnboardingEngine,
  store: Store,
  path: "runner" | "raw",
): Promise<{ tally: Tally; draft: OnboardingDraft; audit: readonly AuditEvent[]; ms: number }> {
  const start = await draftWithRuns(engine, path);
  const tally = newTally();
  const began = Date.now();
  const deadline = began + LOAD_MS;
  await Promise.all([
    operators(engine, start.draft, deadline, tally),
    workers(engine, store, start, deadline, path, tally),
  ]);
  const ms = Date.now() - began;
  const draft = await engine.get(start.draft.workspaceId, start.draft.id, { actor: operator });
  const audit = await wholeHistory(engine, draft.workspaceId, draft.id, { actor: operator });
  return { tally, draft, audit, ms };
}

/** The results sent whose run does not hold them in the stored draft: the reports lost. */
function lostIn(tally: Tally, draft: OnboardingDraft): number {
  const runs = new Map((draft.bootstrap?.runs ?? []).map((run) => [run.runId, run] as const));
  let lost = 0;
  for (const [runId, outcome] of tally.sent) {
    const run = runs.get(runId);
    if (run?.status !== "completed" || run.outcome !== outcome) lost += 1;
  }
  return lost;
}

/** The runner path's guarantees on the draft and its audit trail. */
function expectNothingLost(tally: Tally, draft: OnboardingDraft, audit: readonly AuditEvent[]): void {
  const runs = draft.bootstrap?.runs ?? [];
  expect(tally.failedSends).toBe(0);
  expect(lostIn(tally, draft)).toBe(0);
  expect(runs.map((run) => run.runId).sort()).toEqual([...tally.sent.keys()].sort());
  for (const run of runs) {
    expect(run, `run ${run.runId}`).toMatchObject({ status: "completed", outcome: tally.sent.get(run.runId) });
  }
  const commits = audit.filter((event) => event.kind === "created" || event.kind === "committed");
  expect(commits.map((event) => event.toVersion)).toEqual(Array.from({ length: draft.version }, (_, i) => i + 1));
  expect(commits.slice(1).every((event) => event.fromVersion === (event.toVersion ?? 0) - 1)).toBe(true);
  const reports = new Map<string, number>();
  for (const event of commits) {
    if (event.commandType !== "record_bootstrap_result") continue;
    for (const runId of event.runIds) reports.set(runId, (reports.get(runId) ?? 0) + 1);
  }
  for (const run of runs) expect(reports.get(run.runId), `record_bootstrap_result commits of ${run.runId}`).toBe(2);
}

/**
 * The raw path's bookkeeping: exactly the results whose send threw are missing from the draft
 * (their runs were superseded as `cancelled`, or are still active), every other one landed.
 */
function expectRawAccounted(tally: Tally, draft: OnboardingDraft): void {
  expect(lostIn(tally, draft)).toBe(tally.failedSends);
  const runs = draft.bootstrap?.runs ?? [];
  expect(runs.map((run) => run.runId).sort()).toEqual([...tally.sent.keys()].sort());
}

/** Runs both paths on `store` and prints the one-line figure. */
async function contrast(database: string, store: Store): Promise<void> {
  const engine = createOnboardingEngine({ store, authorize: () => true });
  const raw = await underLoad(engine, store, "raw");
  const runner = await underLoad(engine, store, "runner");
  console.log(
    `[contention ${database}] ${WORKERS} workers + ${OPERATORS} operators, one draft: ` +
      `raw execute: ${raw.tally.reports} reports, ${raw.tally.exhausted} RetryExhaustedError, ${lostIn(raw.tally, raw.draft)} results lost, ${raw.ms} ms | ` +
      `runner path: ${runner.tally.reports} reports (+${runner.tally.heartbeats} heartbeats), ` +
      `${runner.tally.exhausted} RetryExhaustedError absorbed (+${runner.tally.otherRetries} other retries; at most ${runner.tally.maxAttempts} attempts for one report; ${runner.tally.heartbeatFailures} heartbeats failed), lost = ${lostIn(runner.tally, runner.draft)}, ` +
      `${runner.draft.version} versions, ${runner.tally.operatorCommits} operator commits incl. restarts (${runner.tally.operatorConflicts} conflicts, ${runner.audit.length} audit entries), ${runner.ms} ms`,
  );
  expectRawAccounted(raw.tally, raw.draft);
  expectNothingLost(runner.tally, runner.draft, runner.audit);
}

describe.skipIf(!pgUp)("no report lost under contention: PostgreSQL", () => {
  let pool: pg.Pool;
  let store: Store;
  const prefix = uniquePrefix("cont");

  beforeAll(async () => {
    pool = postgresPool(16);
    store = await migratedStore(pool, prefix);
  });

  afterAll(async () => {
    await dropPostgres(pool, prefix);
    await pool.end();
  });

  it("24 workers and 8 operators on one draft: the runner path loses no report", async () => {
    await contrast("postgres", store);
  }, 60_000);
});

describe.skipIf(!myUp)("no report lost under contention: MariaDB", () => {
  let pool: Pool;
  let store: Store;
  const prefix = `t_cont_${uniqueSuffix()}_`;

  beforeAll(async () => {
    pool = mysqlPool(16);
    const created = createMySqlStore({ pool, tablePrefix: prefix });
    await created.migrate();
    store = created;
  });

  afterAll(async () => {
    await dropMySql(pool, prefix);
    await pool.end();
  });

  it("24 workers and 8 operators on one draft: the runner path loses no report", async () => {
    await contrast("mariadb", store);
  }, 60_000);
});
