/**
 * The zod schemas of the transactional outbox: what the engine writes beside a commit that starts
 * or supersedes runs (`OutboxEntry`), what a store hands back with its delivery state
 * (`OutboxRecord`), and a run's progress report (kept beside the versioned record, so a heartbeat
 * never bumps the version an operator's `If-Match` has to match).
 *
 * May import: vocabulary/ and zod. Nothing else.
 */
import * as z from "zod/mini";
import { compiledObject } from "./object.js";
import { IdSchema, TextSchema, TimestampSchema, VersionSchema, type DeepReadonly } from "./schema.js";
import { OutboxKind, OutboxStatus } from "../vocabulary/index.js";

/** The checkpoints whose runs go through the outbox. */
export const RunCheckpointSchema = z.enum(["verify_access", "bootstrap"]);

/** A run's progress in percent: 0 to 100. */
export const PercentSchema = z.number().check(z.gte(0), z.lte(100));

/** The most characters of a delivery error an outbox record keeps. */
export const MAX_OUTBOX_ERROR_LENGTH = 1024;

const entryShape = {
  /** The entry's id (from the engine's id generator); unique within the workspace. */
  entryId: IdSchema,
  /** The draft's workspace. */
  workspaceId: IdSchema,
  /** The draft the run belongs to. */
  draftId: IdSchema,
  /** The run. A `run.requested` and a later `run.cancelled` entry name the same run. */
  runId: IdSchema,
  /** `run.requested` or `run.cancelled`. */
  kind: z.enum(OutboxKind),
  /** Which checkpoint the run serves. */
  checkpoint: RunCheckpointSchema,
  /** What the worker runs (`verify_access`, a bootstrap operation). */
  operation: IdSchema,
  /** The provider connection the run is for. */
  providerConnectionId: IdSchema,
  /** The provider connection's revision the run is for. */
  providerRevision: z.int().check(z.gte(1)),
  /** The draft version the commit that wrote the entry produced. */
  draftVersion: VersionSchema,
  /** The `committed` audit entry of that commit. */
  eventId: IdSchema,
  /** When the entry was written (the commit's time; UTC ISO-8601 with milliseconds). */
  createdAt: TimestampSchema,
};

/** An outbox entry as the engine writes it, in the same atomic commit as the draft. */
export const OutboxEntrySchema = compiledObject(entryShape);

/** An outbox entry as the engine writes it. */
export type OutboxEntry = DeepReadonly<z.output<typeof OutboxEntrySchema>>;

/**
 * An outbox entry with the delivery state a store keeps for it. A `run.requested` record also
 * keeps its run's last progress report (`reportedAt`, `progressMessage`, `progressPercent`) and
 * whether the run has finished (`settledAt`): it is the run's liveness record.
 */
export const OutboxRecordSchema = compiledObject({
  ...entryShape,
  /** `pending`, `delivered` or `dead`. */
  status: z.enum(OutboxStatus),
  /** Deliveries started so far (a claim counts one; a release gives it back). */
  attempts: z.int().check(z.gte(0)),
  /** Not claimed before this instant (the retry backoff). */
  availableAt: TimestampSchema,
  /** The dispatcher holding the lease, or `null`. */
  leaseOwner: z.nullable(IdSchema),
  /** When the lease ends, or `null`. */
  leaseUntil: z.nullable(TimestampSchema),
  /** The last delivery error, or `null`. */
  lastError: z.nullable(z.string().check(z.maxLength(MAX_OUTBOX_ERROR_LENGTH))),
  /** When it was delivered, or `null`. */
  deliveredAt: z.nullable(TimestampSchema),
  /** `run.requested` only: when a worker last reported progress on the run, or `null`. */
  reportedAt: z.nullable(TimestampSchema),
  /** `run.requested` only: the worker's last progress message, or `null`. */
  progressMessage: z.nullable(TextSchema),
  /** `run.requested` only: the worker's last progress percent, or `null`. */
  progressPercent: z.nullable(PercentSchema),
  /** `run.requested` only: when the run was seen finished (no longer watched for a timeout), or `null`. */
  settledAt: z.nullable(TimestampSchema),
});

/** An outbox entry with its delivery state. */
export type OutboxRecord = DeepReadonly<z.output<typeof OutboxRecordSchema>>;

/** A run's last progress report, as `describeDraft` shows it. */
export interface RunProgress {
  /** The run. */
  readonly runId: string;
  /** When the worker last reported, or `null` when it never did. */
  readonly reportedAt: string | null;
  /** The worker's last message, or `null`. */
  readonly message: string | null;
  /** The worker's last percent, or `null`. */
  readonly percent: number | null;
}

/**
 * The fields a store sets on an entry it writes (everything {@link OutboxRecord} has beyond
 * {@link OutboxEntry}): pending, no attempts, available at once, no lease, no report.
 *
 * @example
 * ```ts
 * import { newOutboxState, type OutboxEntry, type OutboxRecord } from "onboarding-lifecycle";
 * declare const entry: OutboxEntry;
 *
 * const record: OutboxRecord = { ...entry, ...newOutboxState(entry) };
 * ```
 */
export function newOutboxState(entry: OutboxEntry): Omit<OutboxRecord, keyof OutboxEntry> {
  return {
    status: "pending",
    attempts: 0,
    availableAt: entry.createdAt,
    leaseOwner: null,
    leaseUntil: null,
    lastError: null,
    deliveredAt: null,
    reportedAt: null,
    progressMessage: null,
    progressPercent: null,
    settledAt: null,
  };
}

/**
 * The record a store keeps for a new entry: the entry's fields plus {@link newOutboxState}, built
 * as one object literal (V8 builds `{ ...entry, ...newOutboxState(entry) }` about 25 times slower,
 * which an in-process store pays on every commit that starts a run).
 *
 * @example
 * ```ts
 * declare const entry: OutboxEntry;
 * const record: OutboxRecord = newOutboxRecord(entry);
 * ```
 */
export function newOutboxRecord(entry: OutboxEntry): OutboxRecord {
  return {
    entryId: entry.entryId,
    workspaceId: entry.workspaceId,
    draftId: entry.draftId,
    runId: entry.runId,
    kind: entry.kind,
    checkpoint: entry.checkpoint,
    operation: entry.operation,
    providerConnectionId: entry.providerConnectionId,
    providerRevision: entry.providerRevision,
    draftVersion: entry.draftVersion,
    eventId: entry.eventId,
    createdAt: entry.createdAt,
    status: "pending",
    attempts: 0,
    availableAt: entry.createdAt,
    leaseOwner: null,
    leaseUntil: null,
    lastError: null,
    deliveredAt: null,
    reportedAt: null,
    progressMessage: null,
    progressPercent: null,
    settledAt: null,
  };
}
