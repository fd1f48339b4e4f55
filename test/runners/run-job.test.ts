/**
 * The shared worker pipeline `runJob` against an engine on the memory store: the full path of a
 * verification and a bootstrap run, a throwing operation, dropping a job whose run is no longer
 * current, reports retried under forced conflicts and store failures until they land, a heartbeat
 * answered "ignored" aborting the operation, and the run job id.
 */
import { describe, expect, it } from "vitest";
import { RetryExhaustedError, StoreError, ValidationError, AuthorizationError } from "../../src/record/index.js";
import {
  parseRunJob,
  runJob,
  runJobFromEntry,
  runJobId,
  type RunJob,
  type RunOperation,
  type RunRelay,
  type RunnerEngine,
} from "../../src/runners/shared/index.js";
import { createOnboardingEngine, type DispatcherOptions, type OnboardingEngine } from "../../src/index.js";
import { createMemoryStore } from "../../src/adapters/memory/index.js";
import {
  eventLog,
  faultyEngine,
  memoryEngine,
  operator,
  outboxRecord,
  startedVerification,
  worker,
} from "./support.js";

const ws = "ws-run-job";
const succeed: RunOperation = async () => ({ outcome: "succeeded", message: "all good" });
const fast = { baseDelayMs: 1, maxDelayMs: 2 };

async function verificationJob(
  engine = memoryEngine(),
): Promise<{ engine: ReturnType<typeof memoryEngine>; job: RunJob }> {
  const { draftId, runId } = await startedVerification(engine, ws);
  return { engine, job: runJobFromEntry(outboxRecord(ws, draftId, runId)) };
}

describe("runJob: the full path", () => {
  it("reports running, runs the operation, reports the result", async () => {
    const { engine, job } = await verificationJob();
    const log = eventLog();
    const seen: string[] = [];
    const result = await runJob(job, {
      engine,
      actor: worker,
      operations: {
        verify_access: async (received) => {
          const draft = await engine.get(ws, received.draftId, { actor: operator });
          seen.push(draft.verification?.status ?? "none");
          return { outcome: "partially_succeeded", message: "one warning" };
        },
      },
      onEvent: log.onEvent,
    });
    expect(result).toEqual({ status: "completed", outcome: "partially_succeeded", feedback: "recorded" });
    expect(seen).toEqual(["running"]);
    const draft = await engine.get(ws, job.draftId, { actor: operator });
    expect(draft.verification).toMatchObject({
      runId: job.runId,
      status: "completed",
      outcome: "partially_succeeded",
      message: "one warning",
    });
    expect(log.events.map((event) => event.type)).toEqual(["run_started", "run_completed"]);
  });

  it("reports a throwing operation as failed with its message", async () => {
    const { engine, job } = await verificationJob();
    const result = await runJob(job, {
      engine,
      actor: worker,
      operations: {
        verify_access: async () => {
          throw new Error("consent missing");
        },
      },
    });
    expect(result).toMatchObject({ status: "completed", outcome: "failed" });
    const draft = await engine.get(ws, job.draftId, { actor: operator });
    expect(draft.verification).toMatchObject({ outcome: "failed", message: "consent missing" });
    expect(draft.lifecycle.state).toBe("action_required");
  });

  it("runs a bootstrap operation and reports it with record_bootstrap_result", async () => {
    const { engine, job } = await verificationJob();
    await runJob(job, { engine, actor: worker, operations: { verify_access: succeed } });
    const verified = await engine.get(ws, job.draftId, { actor: operator });
    const started = await engine.execute(
      ws,
      job.draftId,
      { type: "start_bootstrap", operations: ["seed_policies"] },
      { actor: operator, expectedVersion: verified.version },
    );
    const runId = started.runIds[0]!;
    const bootstrapJob = runJobFromEntry(
      outboxRecord(ws, job.draftId, runId, { checkpoint: "bootstrap", operation: "seed_policies" }),
    );
    const result = await runJob(bootstrapJob, {
      engine,
      actor: worker,
      operations: { seed_policies: async () => ({ outcome: "succeeded" }) },
    });
    expect(result).toMatchObject({ status: "completed", outcome: "succeeded" });
    const draft = await engine.get(ws, job.draftId, { actor: operator });
    expect(draft.bootstrap?.runs).toEqual([
      expect.objectContaining({ runId, status: "completed", outcome: "succeeded" }),
    ]);
  });

  it("fails the job (throws) for an operation it has no function for, without touching the run", async () => {
    const { engine, job } = await verificationJob();
    await expect(runJob(job, { engine, actor: worker, operations: {} })).rejects.toMatchObject({
      code: "configuration",
    });
    const draft = await engine.get(ws, job.draftId, { actor: operator });
    expect(draft.verification?.status).toBe("queued");
  });
});

describe("runJob: runs that are no longer current", () => {
  it("drops a job whose run was superseded by a provider change, without running it", async () => {
    const { engine, job } = await verificationJob();
    const before = await engine.get(ws, job.draftId, { actor: operator });
    await engine.execute(
      ws,
      job.draftId,
      { type: "select_provider", connectionId: "conn-2" },
      { actor: operator, expectedVersion: before.version },
    );
    const log = eventLog();
    let ran = false;
    const result = await runJob(job, {
      engine,
      actor: worker,
      operations: { verify_access: async () => ((ran = true), { outcome: "succeeded" }) },
      onEvent: log.onEvent,
    });
    expect(result).toEqual({ status: "dropped", reason: "not_current" });
    expect(ran).toBe(false);
    expect(log.events).toEqual([{ type: "job_dropped", job, reason: "not_current" }]);
  });

  it("drops a job of a completed run (a redelivered job) and of a cancelled draft", async () => {
    const { engine, job } = await verificationJob();
    await runJob(job, { engine, actor: worker, operations: { verify_access: succeed } });
    expect(await runJob(job, { engine, actor: worker, operations: { verify_access: succeed } })).toEqual({
      status: "dropped",
      reason: "not_current",
    });
    const other = await verificationJob(engine);
    const draft = await engine.get(ws, other.job.draftId, { actor: operator });
    await engine.execute(ws, draft.id, { type: "cancel" }, { actor: operator, expectedVersion: draft.version });
    expect(await runJob(other.job, { engine, actor: worker, operations: { verify_access: succeed } })).toMatchObject({
      status: "dropped",
    });
  });

  it("drops a job whose draft does not exist in its workspace", async () => {
    const { engine, job } = await verificationJob();
    const elsewhere = { ...job, workspaceId: "ws-other" };
    expect(await runJob(elsewhere, { engine, actor: worker, operations: { verify_access: succeed } })).toEqual({
      status: "dropped",
      reason: "not_current",
    });
  });

  it("aborts the operation when a heartbeat is answered with an ignored feedback, and reports nothing", async () => {
    const base = await verificationJob();
    const engine = faultyEngine(base.engine, (type) => (type === "record_verification_progress" ? "ignored" : null));
    const log = eventLog();
    const result = await runJob(base.job, {
      engine,
      actor: worker,
      onEvent: log.onEvent,
      operations: {
        verify_access: async (_job, { signal, progress }) => {
          await progress("half way", 50);
          expect(signal.aborted).toBe(true);
          return { outcome: "succeeded" };
        },
      },
    });
    expect(result).toEqual({ status: "dropped", reason: "superseded" });
    expect(engine.calls).toEqual(["record_verification_result", "record_verification_progress"]);
    const draft = await base.engine.get(ws, base.job.draftId, { actor: operator });
    expect(draft.verification?.status).toBe("running");
  });

  it("drops a job whose run was expired between the draft read and the running report, without running it", async () => {
    const { engine, advance } = clockedEngine();
    const { draftId, runId } = await startedVerification(engine, ws);
    advance(61_000); // past the 60 s lease: the dispatcher's expireStuckRuns will expire the run
    const expiring: RunnerEngine = {
      get: async (...args) => {
        const draft = await engine.get(...args);
        expect((await engine.expireStuckRuns({ actor: system })).expired).toHaveLength(1);
        return draft; // the worker holds the draft as it was: running, current
      },
      execute: engine.execute,
    };
    const log = eventLog();
    const ran: string[] = [];
    const result = await runJob(runJobFromEntry(outboxRecord(ws, draftId, runId)), {
      engine: expiring,
      actor: worker,
      onEvent: log.onEvent,
      operations: { verify_access: async (job) => (ran.push(job.runId), { outcome: "succeeded" }) },
    });
    expect(result).toEqual({ status: "dropped", reason: "not_current" });
    expect(ran).toEqual([]);
    expect(log.events.map((event) => event.type)).toEqual(["job_dropped"]);
  });

  it("drops the result of a run expired while its operation ran (no run_completed: it did not land)", async () => {
    const { engine, advance } = clockedEngine();
    const { draftId, runId } = await startedVerification(engine, ws);
    const log = eventLog();
    const result = await runJob(runJobFromEntry(outboxRecord(ws, draftId, runId)), {
      engine,
      actor: worker,
      heartbeatMs: 3_600_000,
      onEvent: log.onEvent,
      operations: {
        verify_access: async () => {
          advance(61_000);
          expect((await engine.expireStuckRuns({ actor: system })).expired).toHaveLength(1);
          return { outcome: "succeeded" };
        },
      },
    });
    expect(result).toEqual({ status: "dropped", reason: "superseded" });
    expect(log.events.map((event) => event.type)).toEqual(["run_started", "job_dropped"]);
    const draft = await engine.get(ws, draftId, { actor: operator });
    expect(draft.verification).toMatchObject({ status: "completed", outcome: "failed", timedOut: true });
  });
});

const system = { id: "system" };

/** An engine on the memory store with a hand-moved clock and a 60 s run lease. */
function clockedEngine(): { engine: OnboardingEngine; advance: (ms: number) => void } {
  let now = Date.parse("2026-01-01T00:00:00.000Z");
  const engine = createOnboardingEngine({
    store: createMemoryStore(),
    authorize: () => true,
    clock: { now: () => now },
    runLeaseMs: 60_000,
  });
  return { engine, advance: (ms) => void (now += ms) };
}

describe("runJob: reports that must land", () => {
  it("retries the result under forced conflicts until it lands", async () => {
    const base = await verificationJob();
    let failures = 0;
    const engine = faultyEngine(base.engine, (type, command) => {
      const completed = (command as { status?: string }).status === "completed";
      if (type === "record_verification_result" && completed && failures < 5) {
        failures += 1;
        return new RetryExhaustedError(base.job.draftId, 8);
      }
      return null;
    });
    const log = eventLog();
    const result = await runJob(base.job, {
      engine,
      actor: worker,
      operations: { verify_access: succeed },
      reportRetry: fast,
      onEvent: log.onEvent,
    });
    expect(result).toMatchObject({ status: "completed", outcome: "succeeded", feedback: "recorded" });
    const retries = log.events.filter((event) => event.type === "report_retry");
    expect(retries.map((event) => (event.type === "report_retry" ? event.attempt : 0))).toEqual([1, 2, 3, 4, 5]);
    const draft = await base.engine.get(ws, base.job.draftId, { actor: operator });
    expect(draft.verification).toMatchObject({ status: "completed", outcome: "succeeded" });
  });

  it("retries store failures and network errors, for the running report too", async () => {
    const base = await verificationJob();
    const faults = [new StoreError("memory", "commit", new Error("connection reset")), new Error("ECONNRESET")];
    const engine = faultyEngine(base.engine, (type) =>
      type === "record_verification_result" ? (faults.shift() ?? null) : null,
    );
    const result = await runJob(base.job, {
      engine,
      actor: worker,
      operations: { verify_access: succeed },
      reportRetry: fast,
    });
    expect(result).toMatchObject({ status: "completed", outcome: "succeeded" });
    expect(engine.calls.filter((type) => type === "record_verification_result")).toHaveLength(4);
  });

  it("treats a lost reply (the result landed, the retry sees it completed) as landed", async () => {
    const base = await verificationJob();
    let lost = false;
    const engine = faultyEngine(base.engine, () => null);
    const landedThenLost: typeof engine = {
      ...engine,
      execute: async (...args: Parameters<typeof engine.execute>) => {
        const result = await engine.execute(...args);
        const command = args[2] as { status?: string };
        if (command.status === "completed" && !lost) {
          lost = true;
          throw new Error("socket hang up");
        }
        return result;
      },
    };
    const result = await runJob(base.job, {
      engine: landedThenLost,
      actor: worker,
      operations: { verify_access: succeed },
      reportRetry: fast,
    });
    expect(result).toMatchObject({ status: "completed", feedback: "ignored_duplicate_result" });
  });

  it("stops retrying when the run is no longer current (the result is then dropped)", async () => {
    const base = await verificationJob();
    let failures = 0;
    const engine = faultyEngine(base.engine, (type, command) => {
      if (type !== "record_verification_result" || (command as { status?: string }).status !== "completed") return null;
      failures += 1;
      return failures <= 2 ? new RetryExhaustedError(base.job.draftId, 8) : "ignored";
    });
    const result = await runJob(base.job, {
      engine,
      actor: worker,
      operations: { verify_access: succeed },
      reportRetry: fast,
    });
    expect(result).toEqual({ status: "dropped", reason: "superseded" });
  });

  it("fails the job on an error that would fail again (authorization), never silently", async () => {
    const base = await verificationJob();
    const engine = faultyEngine(base.engine, (type) =>
      type === "record_verification_result"
        ? new AuthorizationError("record_result", "worker", base.job.draftId)
        : null,
    );
    await expect(
      runJob(base.job, { engine, actor: worker, operations: { verify_access: succeed }, reportRetry: fast }),
    ).rejects.toBeInstanceOf(AuthorizationError);
  });

  it("keeps running when heartbeats fail (an unknown progress command, a store failure)", async () => {
    const base = await verificationJob();
    const engine = faultyEngine(base.engine, (type) =>
      type === "record_verification_progress" ? new ValidationError("command", []) : null,
    );
    const log = eventLog();
    const result = await runJob(base.job, {
      engine,
      actor: worker,
      onEvent: log.onEvent,
      operations: {
        verify_access: async (_job, { signal, progress }) => {
          await progress("step 1", 10);
          await progress("step 2", 250);
          return signal.aborted ? { outcome: "cancelled" } : { outcome: "succeeded" };
        },
      },
    });
    expect(result).toMatchObject({ status: "completed", outcome: "succeeded" });
    expect(log.events.filter((event) => event.type === "heartbeat_failed")).toHaveLength(2);
  });

  it("stops retrying and throws when the worker is force-closed", async () => {
    const base = await verificationJob();
    const stop = new AbortController();
    const engine = faultyEngine(base.engine, (type, command) => {
      if (type === "record_verification_result" && (command as { status?: string }).status === "completed") {
        stop.abort();
        return new RetryExhaustedError(base.job.draftId, 8);
      }
      return null;
    });
    await expect(
      runJob(
        base.job,
        { engine, actor: worker, operations: { verify_access: succeed }, reportRetry: fast },
        stop.signal,
      ),
    ).rejects.toBeInstanceOf(RetryExhaustedError);
  });
});

describe("runJob: heartbeats on the engine's progress commands", () => {
  it("records progress without bumping the version, on the timer and on progress()", async () => {
    const { engine, job } = await verificationJob();
    const log = eventLog();
    const versions: number[] = [];
    let beats = 0;
    const counting = faultyEngine(engine, (type) => {
      if (type === "record_verification_progress") beats += 1;
      return null;
    });
    const result = await runJob(job, {
      engine: counting,
      actor: worker,
      heartbeatMs: 5,
      onEvent: log.onEvent,
      operations: {
        verify_access: async (_job, { progress }) => {
          versions.push((await engine.get(ws, job.draftId, { actor: operator })).version);
          await progress("half way", 50);
          // wait (bounded) for a timer heartbeat besides the progress() one
          for (let i = 0; i < 400 && beats < 2; i += 1) await new Promise((resolve) => setTimeout(resolve, 5));
          versions.push((await engine.get(ws, job.draftId, { actor: operator })).version);
          return { outcome: "succeeded" };
        },
      },
    });
    expect(result).toMatchObject({ status: "completed", outcome: "succeeded", feedback: "recorded" });
    expect(beats).toBeGreaterThanOrEqual(2);
    expect(versions[0]).toBe(versions[1]);
    expect(log.events.filter((event) => event.type === "heartbeat_failed")).toEqual([]);
  });

  it("aborts a running operation once the run is superseded (the engine ignores its heartbeat)", async () => {
    const { engine, job } = await verificationJob();
    const result = await runJob(job, {
      engine,
      actor: worker,
      operations: {
        verify_access: async (_job, { signal, progress }) => {
          const draft = await engine.get(ws, job.draftId, { actor: operator });
          await engine.execute(
            ws,
            job.draftId,
            { type: "select_provider", connectionId: "conn-2" },
            { actor: operator, expectedVersion: draft.version },
          );
          await progress("still going");
          return signal.aborted ? { outcome: "cancelled" } : { outcome: "succeeded" };
        },
      },
    });
    expect(result).toEqual({ status: "dropped", reason: "superseded" });
    const draft = await engine.get(ws, job.draftId, { actor: operator });
    expect(draft.verification).toBeNull();
  });

  it("is the dispatcher's deliver type", () => {
    const relay: RunRelay = async () => undefined;
    const deliver: DispatcherOptions["deliver"] = relay;
    expect(typeof deliver).toBe("function");
  });
});

describe("run job payload and id", () => {
  it("derives one UUID (version 5) per run and workspace", () => {
    const id = runJobId("ws-1", "run-1");
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(runJobId("ws-1", "run-1")).toBe(id);
    expect(runJobId("ws-2", "run-1")).not.toBe(id);
    expect(runJobId("ws-1\u0000run", "-1")).not.toBe(runJobId("ws-1", "run\u0000-1"));
  });

  it("parses the payload it puts on the queue, and refuses anything else", () => {
    const job = runJobFromEntry(outboxRecord("ws-1", "d-1", "r-1"));
    expect(parseRunJob(JSON.parse(JSON.stringify(job)))).toEqual(job);
    expect(() => parseRunJob({ ...job, runId: "" })).toThrow(/not a run payload/);
    expect(() => parseRunJob("hello")).toThrow(expect.objectContaining({ code: "configuration", option: "queue" }));
  });
});
