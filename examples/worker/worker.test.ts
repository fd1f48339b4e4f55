/**
 * Runs the worker example's scenario on Redis (127.0.0.1:6379, or REDIS_HOST / REDIS_PORT) and
 * checks its outcomes. Skipped, loudly, when Redis does not answer; a failure with
 * REQUIRE_SERVICES=1.
 */
import { describe, expect, it } from "vitest";
import { serviceAvailable } from "../../test/support/services.js";
import { redisReachable, runScenario, type ScenarioResult } from "./scenario.js";

const up = await serviceAvailable("Redis (examples/worker)", () => redisReachable());

describe.skipIf(!up)("examples/worker (BullMQ runner on Redis)", () => {
  let result: ScenarioResult;
  const lines: string[] = [];

  it("runs the scenario to the end and deletes its keys", async () => {
    result = await runScenario((line) => lines.push(line));
    expect(result.contoso.lifecycle.state).toBe("completed");
    expect(result.fabrikam.lifecycle.state).toBe("completed");
    expect(result.leftoverKeys).toBe(0);
  }, 60_000);

  it("hands every run to the queue through the outbox, and reports progress without a version bump", () => {
    // Every run a start command created reached the queue as a run.requested entry.
    const requested = result.deliveries.filter((entry) => entry.kind === "run.requested");
    expect(new Set(requested.map((entry) => entry.runId)).size).toBe(requested.length);
    expect(requested.length).toBe(2 + 1 + 1 + 2 + 2 + 1); // verifications, re-verification, bootstraps, re-run
    // Progress reports are recorded and never bump the draft's version: a verification's first
    // progress comes back with the version its `running` report produced.
    const progress = result.reports.filter((report) => report.type.endsWith("_progress"));
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.every((report) => report.feedback === "recorded")).toBe(true);
    for (const report of progress.filter((candidate) => candidate.type === "record_verification_progress")) {
      const running = result.reports.find(
        (other) =>
          other.runId === report.runId && other.type === "record_verification_result" && other.detail === "running",
      );
      expect(report.version).toBe(running?.version);
    }
  });

  it("removes the job of a run superseded while it waited", () => {
    expect(result.deliveries).toContainEqual(
      expect.objectContaining({ kind: "run.cancelled", runId: result.supersededQueued.runId }),
    );
    expect(result.supersededQueued).toMatchObject({ jobState: "unknown", marker: "cancelled" });
    // No worker ever reported on it.
    expect(result.reports.some((report) => report.runId === result.supersededQueued.runId)).toBe(false);
  });

  it("ignores the late result of a verification made stale while it ran, and drops its job", () => {
    const stale = result.staleRunning.runId;
    expect(result.deliveries).toContainEqual(expect.objectContaining({ kind: "run.cancelled", runId: stale }));
    // The job was running when its run.cancelled arrived: left to its worker, marked cancelled.
    expect(result.staleRunning).toMatchObject({ jobState: "active", marker: "cancelled" });
    const final = result.reports.filter(
      (report) => report.runId === stale && report.type === "record_verification_result",
    );
    expect(final.map((report) => [report.detail, report.feedback])).toEqual([
      ["running", "recorded"],
      ["completed succeeded", "ignored_stale_result"],
    ]);
    expect(result.events.filter((event) => event.runId === stale).map((event) => event.type)).toEqual([
      "run_started",
      "job_dropped",
    ]);
    expect(lines.some((line) => line.includes("ignored_stale_result"))).toBe(true);
    // The draft's verification is the later run, made against revision 2.
    expect(result.contoso.verification?.runId).not.toBe(stale);
    expect(result.contoso.provider?.revision).toBe(2);
    expect(result.contoso.verification?.providerRevision).toBe(2);
    // The ignored result wrote nothing: no audit entry of the worker names that run with a result.
    const workerEntries = result.contosoHistory.filter((event) => event.actorId === "svc-onboarding-worker");
    expect(workerEntries.filter((event) => event.runIds.includes(stale)).map((event) => event.feedback)).toEqual([
      "recorded",
    ]);
  });

  it("re-runs Fabrikam's failed bootstrap operation", () => {
    const runs = result.deliveries
      .filter((entry) => entry.draftId === result.fabrikam.id && entry.operation === "assign_baseline_policies")
      .map((entry) => entry.runId);
    const outcomes = runs.map(
      (runId) =>
        result.reports.find(
          (report) =>
            report.runId === runId && report.type === "record_bootstrap_result" && report.detail !== "running",
        )?.detail,
    );
    expect(outcomes).toEqual(["completed failed", "completed succeeded"]);
  });
});
