import {
  CorruptRecordError,
  OutboxRecordSchema,
  ValidationError,
  safeParseWithMessages,
  toValidationIssues,
  type OutboxRecord,
  type RunProgress,
} from "../record/index.js";
import { Capability, OutboxKind, type RunCheckpoint } from "../vocabulary/index.js";
import { Feedback, findCurrentRun } from "../commands/index.js";
import type { DraftStore } from "../store/index.js";
import type { Access, EngineContext } from "./context.js";
import type { Actor, MutationResult, ReadOptions, WorkerExecuteOptions } from "./types.js";

/** The default lease of a run: expired after five minutes without a report. */
export const DEFAULT_RUN_LEASE_MS = 5 * 60 * 1000;

/** Options of `engine.expireStuckRuns`. */
export interface ExpireStuckRunsOptions<TActor extends Actor = Actor> {
  /** Who expires (needs `record_result`; usually the dispatcher's service identity). */
  readonly actor: TActor;
  /** A run with no report for longer than this is stuck. Default: the engine's `runLeaseMs`. */
  readonly leaseMs?: number;
  /** At most this many runs per call (1..1000, default 100). */
  readonly limit?: number;
}

/** A run `expireStuckRuns` expired. */
export interface ExpiredRun {
  /** The run's workspace. */
  readonly workspaceId: string;
  /** The run's draft. */
  readonly draftId: string;
  /** The run. */
  readonly runId: string;
  /** Its checkpoint. */
  readonly checkpoint: RunCheckpoint;
  /** The draft's version after the expiry. */
  readonly version: number;
}

/** What `engine.expireStuckRuns` did. */
export interface ExpireStuckRunsReport {
  /** The runs it expired (each audited as a committed `expire_run`). */
  readonly expired: readonly ExpiredRun[];
  /** Runs it found finished (or gone) and stopped watching. */
  readonly settled: number;
  /** Runs that reported again since they were listed, left alone. */
  readonly alive: number;
}

/** Validates an outbox record a store handed back, and checks its workspace. */
export function checkRunRecord<TActor extends Actor>(
  ctx: EngineContext<TActor>,
  raw: unknown,
  workspaceId: string | null,
): OutboxRecord {
  const result = safeParseWithMessages(OutboxRecordSchema, raw);
  if (!result.success) throw new CorruptRecordError(toValidationIssues(result.issues), null);
  if (workspaceId !== null && result.data.workspaceId !== workspaceId) ctx.foreignRecord("outbox");
  return result.data;
}

/** `engine.runProgress`: the last progress report of every run of a draft (needs `view`). */
export async function runProgress<TActor extends Actor>(
  ctx: EngineContext<TActor>,
  workspaceIdInput: string,
  draftIdInput: string,
  options: ReadOptions<TActor>,
): Promise<readonly RunProgress[]> {
  const workspaceId = ctx.checkId(workspaceIdInput, "workspaceId");
  const draftId = ctx.checkId(draftIdInput, "draftId");
  const store = ctx.store;
  const actor = options?.actor;
  const access: Access<TActor> = {
    actor,
    actorId: ctx.actorIdOf(actor),
    workspaceId,
    draftId,
    commandType: "run_progress",
    idempotencyKey: null,
  };
  const draft = await ctx.loadDraft(workspaceId, draftId);
  const authorizing = ctx.authorizeAll(access, [Capability.View], draft);
  if (authorizing !== undefined) await authorizing;
  const records = (await store.listRunRecords(workspaceId, draftId)).map((raw) =>
    checkRunRecord(ctx, raw, workspaceId),
  );
  if (records.some((record) => record.draftId !== draftId)) ctx.foreignRecord("listRunRecords");
  return records
    .filter((record) => record.kind === OutboxKind.RunRequested)
    .map((record) => ({
      runId: record.runId,
      reportedAt: record.reportedAt,
      message: record.progressMessage,
      percent: record.progressPercent,
    }));
}

type Execute<TActor extends Actor> = (
  workspaceId: string,
  draftId: string,
  command: unknown,
  options: WorkerExecuteOptions<TActor>,
) => Promise<MutationResult>;

function checkLimit(value: number | undefined, name: string, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw new ValidationError("options", [
      { code: "invalid_value", path: [name], message: `${name} must be an integer from 1 to ${max}` },
    ]);
  }
  return value;
}

/**
 * `engine.expireStuckRuns`: lists runs with no report for longer than the lease, and completes
 * each that is still current and active with `expire_run` (outcome `failed`, `timedOut`), which
 * is audited like any command and writes a `run.cancelled` outbox entry so a queue drops the job.
 * Runs found finished are settled. All timing is on the engine's clock.
 */
export async function expireStuckRuns<TActor extends Actor>(
  ctx: EngineContext<TActor>,
  execute: Execute<TActor>,
  options: ExpireStuckRunsOptions<TActor>,
  defaultLeaseMs: number,
): Promise<ExpireStuckRunsReport> {
  const store = ctx.store;
  const leaseMs = checkLimit(options.leaseMs, "leaseMs", 2_147_483_647, defaultLeaseMs);
  const limit = checkLimit(options.limit, "limit", 1000, 100);
  const now = ctx.now();
  const before = new Date(Date.parse(now) - leaseMs).toISOString();
  const stale = (await store.findStaleRuns({ before, limit })).map((raw) => checkRunRecord(ctx, raw, null));
  const expired: ExpiredRun[] = [];
  let settled = 0;
  let alive = 0;
  for (const record of stale) {
    const outcome = await expireOne(ctx, store, execute, record, { actor: options.actor, before, now, leaseMs });
    if (outcome === "alive") alive += 1;
    else if (outcome === "settled") settled += 1;
    else expired.push(outcome);
  }
  return { expired, settled, alive };
}

async function expireOne<TActor extends Actor>(
  ctx: EngineContext<TActor>,
  store: DraftStore,
  execute: Execute<TActor>,
  record: OutboxRecord,
  at: { readonly actor: TActor; readonly before: string; readonly now: string; readonly leaseMs: number },
): Promise<ExpiredRun | "settled" | "alive"> {
  const settle = async (): Promise<"settled"> => {
    await store.settleRuns({
      workspaceId: record.workspaceId,
      draftId: record.draftId,
      runIds: [record.runId],
      at: at.now,
    });
    return "settled";
  };
  const raw = await store.load(record.workspaceId, record.draftId);
  if (raw === null) return settle();
  const draft = ctx.checkLoaded(raw, record.workspaceId, record.draftId);
  if ("ignored" in findCurrentRun(draft, record.runId)) return settle();
  // A report may have arrived since the list was read: look again right before expiring.
  const fresh = (await store.listRunRecords(record.workspaceId, record.draftId))
    .map((entry) => checkRunRecord(ctx, entry, record.workspaceId))
    .find((entry) => entry.runId === record.runId && entry.kind === OutboxKind.RunRequested);
  if (fresh !== undefined && (fresh.reportedAt ?? fresh.createdAt) >= at.before) return "alive";
  const seconds = Math.round(at.leaseMs / 1000);
  const result = await execute(
    record.workspaceId,
    record.draftId,
    { type: "expire_run", runId: record.runId, message: `No worker reported on the run for ${seconds} s.` },
    { actor: at.actor },
  );
  if (result.feedback !== Feedback.Expired) return settle();
  await settle();
  const { workspaceId, draftId, runId, checkpoint } = record;
  const version = result.version;
  if (ctx.events.active) {
    ctx.events.emit({
      type: "run.expired",
      at: result.event?.at ?? at.now,
      workspaceId,
      draftId,
      runId,
      checkpoint,
      version,
    });
  }
  return { workspaceId, draftId, runId, checkpoint, version };
}
