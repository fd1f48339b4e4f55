/**
 * `inspect <workspace> <draft>`: one draft as an operator needs to see it: its lifecycle,
 * readiness with blockers, wizard stage, runs with their last progress report, and the audit
 * trail. A table by default, `--json` for scripts.
 */
import {
  createOnboardingEngine,
  currentBootstrapRuns,
  describeDraft,
  type AuditEvent,
  type CheckpointRun,
  type OnboardingDraft,
  type RunProgress,
} from "../../index.js";
import { withConnection, type CommonOptions } from "../context.js";
import { ExitCode } from "../exit.js";
import type { CliIo } from "../io.js";
import { fields, jsonText, plural, table } from "../render.js";
import { auditTrail } from "../trail.js";

/** Options of `inspect`. */
export interface InspectOptions extends CommonOptions {
  /** `--actor`: the actor id the reads are made as. */
  readonly actor?: string;
  /** `--audit-limit`: how many of the newest audit entries to show. */
  readonly auditLimit?: number;
}

/** The default `--actor`. */
export const DEFAULT_ACTOR = "onboarding-lifecycle-cli";

/** One run of a draft as `inspect` shows it. */
interface RunReport {
  readonly checkpoint: "verify_access" | "bootstrap";
  readonly runId: string;
  readonly operation: string;
  readonly status: string;
  readonly outcome: string | null;
  /** Whether the lifecycle counts it (a bootstrap run superseded by a retry does not). */
  readonly current: boolean;
  readonly startedAt: string;
  readonly completedAt: string | null;
  readonly message: string | null;
  readonly timedOut: boolean;
  readonly progress: {
    readonly percent: number | null;
    readonly message: string | null;
    readonly reportedAt: string | null;
  } | null;
}

function runReport(
  checkpoint: RunReport["checkpoint"],
  run: CheckpointRun,
  current: boolean,
  progress: readonly RunProgress[],
): RunReport {
  const report = run.status === "completed" ? undefined : progress.find((p) => p.runId === run.runId);
  return {
    checkpoint,
    runId: run.runId,
    operation: run.operation,
    status: run.status,
    outcome: run.outcome,
    current,
    startedAt: run.startedAt,
    completedAt: run.completedAt,
    message: run.message ?? null,
    timedOut: run.timedOut === true,
    progress:
      report === undefined ? null : { percent: report.percent, message: report.message, reportedAt: report.reportedAt },
  };
}

function runsOf(draft: OnboardingDraft, progress: readonly RunProgress[]): RunReport[] {
  const counted = new Set(currentBootstrapRuns(draft).map((run) => run.runId));
  return [
    ...(draft.verification === null ? [] : [runReport("verify_access", draft.verification, true, progress)]),
    ...(draft.bootstrap?.runs ?? []).map((run) => runReport("bootstrap", run, counted.has(run.runId), progress)),
  ];
}

/** What `inspect --json` prints (see specs/009-observability/cli.md). */
function report(
  draft: OnboardingDraft,
  progress: readonly RunProgress[],
  trail: { entries: readonly AuditEvent[]; total: number },
  now: number,
) {
  const view = describeDraft(draft, { progress, now });
  return {
    workspaceId: draft.workspaceId,
    draftId: draft.id,
    version: draft.version,
    lifecycle: draft.lifecycle,
    readiness: view.readiness,
    stage: view.stage,
    checkpoints: view.checkpoints.map((checkpoint) => ({
      checkpoint: checkpoint.checkpoint,
      status: checkpoint.status,
    })),
    runs: runsOf(draft, progress),
    audit: { total: trail.total, entries: trail.entries },
    draft,
  };
}

type Report = ReturnType<typeof report>;

function progressText(run: RunReport): string {
  if (run.progress === null) return "-";
  const percent = run.progress.percent === null ? "" : `${run.progress.percent}%`;
  return [percent, run.progress.message ?? ""].filter((part) => part !== "").join(" ") || "reported";
}

function versionText(entry: AuditEvent): string {
  if (entry.kind === "conflict") return `expected ${entry.expectedVersion ?? "-"}, found ${entry.actualVersion ?? "-"}`;
  if (entry.toVersion === null) return entry.fromVersion === null ? "-" : `at ${entry.fromVersion}`;
  return entry.fromVersion === null ? `-> ${entry.toVersion}` : `${entry.fromVersion} -> ${entry.toVersion}`;
}

function text(result: Report): string {
  const { draft, readiness, stage } = result;
  const lifecycle = draft.lifecycle;
  const identity = draft.identity;
  const out: string[] = [];
  out.push(`Draft ${draft.id} in workspace ${draft.workspaceId}, version ${draft.version}\n`);
  out.push(
    fields([
      ["state", lifecycle.reason === null ? lifecycle.state : `${lifecycle.state} (${lifecycle.reason})`],
      ["current checkpoint", lifecycle.currentCheckpoint],
      ["last completed", lifecycle.lastCompletedCheckpoint],
      [
        "tenant",
        identity === null
          ? null
          : `${identity.tenantId} "${identity.displayName}"${identity.primaryDomain ? ` ${identity.primaryDomain}` : ""}`,
      ],
      [
        "provider",
        draft.provider === null ? null : `${draft.provider.connectionId} (revision ${draft.provider.revision})`,
      ],
      ["created", `${draft.createdAt} by ${draft.createdBy}`],
      ["updated", `${draft.updatedAt} by ${draft.updatedBy}`],
    ]),
  );
  out.push(`\nStage\n`);
  out.push(
    fields([
      ["step", stage.step],
      ["editable", stage.editable],
      ["polling", stage.polling === null ? "none" : `every ${stage.polling.intervalMs} ms`],
    ]),
  );
  const verdict = readiness.ready ? "ready" : readiness.overridable ? "ready with an override" : "not ready";
  out.push(
    `\nReadiness: ${verdict}${readiness.blockers.length === 0 ? "" : `, ${plural(readiness.blockers.length, "blocker")}`}\n`,
  );
  if (readiness.blockers.length > 0) {
    out.push(
      table(
        ["code", "checkpoint", "overridable", "message"],
        readiness.blockers.map((b) => [b.code, b.checkpoint, b.overridable, b.message]),
      ),
    );
  }
  out.push(`\nCheckpoints\n`);
  out.push(
    table(
      ["checkpoint", "status"],
      result.checkpoints.map((c) => [c.checkpoint, c.status]),
    ),
  );
  out.push(`\nRuns (${result.runs.length})\n`);
  if (result.runs.length > 0) {
    out.push(
      table(
        [
          "checkpoint",
          "run",
          "operation",
          "status",
          "outcome",
          "current",
          "progress",
          "started",
          "completed",
          "message",
        ],
        result.runs.map((run) => [
          run.checkpoint,
          run.runId,
          run.operation,
          run.status,
          run.timedOut ? `${run.outcome ?? "-"} (timed out)` : run.outcome,
          run.current,
          progressText(run),
          run.startedAt,
          run.completedAt,
          run.message,
        ]),
      ),
    );
  }
  const shown = result.audit.entries.length;
  const hidden = result.audit.total - shown;
  out.push(
    `\nAudit trail (${plural(result.audit.total, "entry", "entries")}${hidden > 0 ? `, the newest ${shown} shown` : ""})\n`,
  );
  if (shown > 0) {
    out.push(
      table(
        ["at", "kind", "command", "actor", "version", "feedback", "state", "runs"],
        result.audit.entries.map((entry) => [
          entry.at,
          entry.kind,
          entry.commandType,
          entry.actorId,
          versionText(entry),
          entry.kind === "denied" ? `denied ${entry.capability ?? ""}`.trim() : entry.feedback,
          entry.state,
          entry.runIds.join(","),
        ]),
      ),
    );
  }
  return out.join("");
}

/** Runs `inspect`. */
export async function inspect(
  io: CliIo,
  workspaceId: string,
  draftId: string,
  options: InspectOptions,
): Promise<number> {
  const actor = { id: options.actor ?? DEFAULT_ACTOR };
  return withConnection(io, options, {}, async (connection) => {
    // The CLI runs with the database's own credentials: every read is allowed.
    const engine = createOnboardingEngine({ store: connection.store, authorize: () => true, documentCacheSize: 0 });
    const draft = await engine.get(workspaceId, draftId, { actor });
    const progress = await engine.runProgress(workspaceId, draftId, { actor });
    const trail = await auditTrail(engine, workspaceId, draftId, actor, options.auditLimit ?? 1000);
    const result = report(draft, progress, trail, io.now());
    io.stdout.write(options.json === true ? jsonText(result) : text(result));
    return ExitCode.Ok;
  });
}
