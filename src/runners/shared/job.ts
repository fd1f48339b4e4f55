import { createHash } from "node:crypto";
import * as z from "zod/mini";
import {
  ConfigurationError,
  IdSchema,
  RunCheckpointSchema,
  TimestampSchema,
  VersionSchema,
  compiledObject,
  type OutboxRecord,
} from "../../record/index.js";

/**
 * The payload of a queue job that executes one run: the fields of the run's `run.requested`
 * outbox entry a worker needs. Both runners put exactly this on the queue.
 */
export interface RunJob {
  /** The draft's workspace. */
  readonly workspaceId: string;
  /** The draft the run belongs to. */
  readonly draftId: string;
  /** The run. */
  readonly runId: string;
  /** `verify_access` or `bootstrap`: which `record_*` commands report on the run. */
  readonly checkpoint: "verify_access" | "bootstrap";
  /** What the worker runs: the key of `operations` that executes it. */
  readonly operation: string;
  /** The provider connection the run is for. */
  readonly providerConnectionId: string;
  /** The provider connection's revision the run is for. */
  readonly providerRevision: number;
  /** The draft version the commit that started the run produced. */
  readonly draftVersion: number;
  /** The outbox entry that asked for the run. */
  readonly entryId: string;
  /** When the run was requested (the commit's time). */
  readonly requestedAt: string;
}

/** What a queue job must carry (unknown keys are kept out: the job is rebuilt from these). */
const RunJobSchema = compiledObject({
  workspaceId: IdSchema,
  draftId: IdSchema,
  runId: IdSchema,
  checkpoint: RunCheckpointSchema,
  operation: IdSchema,
  providerConnectionId: IdSchema,
  providerRevision: z.int().check(z.gte(1)),
  draftVersion: VersionSchema,
  entryId: IdSchema,
  requestedAt: TimestampSchema,
});

/**
 * The job payload for a `run.requested` outbox entry.
 *
 * @example
 * ```ts
 * declare const entry: Parameters<typeof runJobFromEntry>[0]; // an OutboxRecord
 * const job = runJobFromEntry(entry); // { workspaceId, draftId, runId, checkpoint, operation, ... }
 * ```
 */
export function runJobFromEntry(entry: OutboxRecord): RunJob {
  return {
    workspaceId: entry.workspaceId,
    draftId: entry.draftId,
    runId: entry.runId,
    checkpoint: entry.checkpoint,
    operation: entry.operation,
    providerConnectionId: entry.providerConnectionId,
    providerRevision: entry.providerRevision,
    draftVersion: entry.draftVersion,
    entryId: entry.entryId,
    requestedAt: entry.createdAt,
  };
}

/**
 * Reads a job payload a queue hands back. Anything that is not a {@link RunJob} (another
 * producer's job on the same queue, a hand-edited row) is a `ConfigurationError` naming the
 * `queue` option: the queue is shared with something else.
 *
 * @example
 * ```ts
 * declare const data: unknown;
 * const job = parseRunJob(data);
 * ```
 */
export function parseRunJob(data: unknown): RunJob {
  const parsed = RunJobSchema.safeParse(data);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw new ConfigurationError(
      "queue",
      `a job on the runs queue is not a run payload${first ? ` (${first.path.join(".")}: ${first.message})` : ""}`,
    );
  }
  return parsed.data;
}

/** The namespace of {@link runJobId}'s name-based UUIDs (a fixed, random UUID of this package). */
export const RUN_JOB_ID_NAMESPACE = "6f1e3c0a-5b7d-4c2e-9a41-0d8f2b6e7c13";

/**
 * The queue job id of a run: a name-based UUID (RFC 9562 version 5: SHA-1 over
 * {@link RUN_JOB_ID_NAMESPACE} and `<length of workspaceId>:<workspaceId><runId>`). Deterministic, so delivering
 * the same outbox entry twice names the same job; scoped by workspace, so two workspaces whose
 * run ids only look alike never share a job; a UUID, because pg-boss job ids must be UUIDs
 * (BullMQ accepts it too: no `:`, not an integer).
 *
 * @example
 * ```ts
 * runJobId("ws-1", "run-1") === runJobId("ws-1", "run-1"); // true
 * runJobId("ws-1", "run-1") === runJobId("ws-2", "run-1"); // false
 * ```
 */
export function runJobId(workspaceId: string, runId: string): string {
  const namespace = Buffer.from(RUN_JOB_ID_NAMESPACE.replace(/-/g, ""), "hex");
  const hash = createHash("sha1")
    .update(namespace)
    .update(`${workspaceId.length}:${workspaceId}${runId}`, "utf8")
    .digest();
  const bytes = hash.subarray(0, 16);
  bytes.writeUInt8((bytes.readUInt8(6) & 0x0f) | 0x50, 6); // version 5
  bytes.writeUInt8((bytes.readUInt8(8) & 0x3f) | 0x80, 8); // RFC 9562 variant
  const hex = bytes.toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
