import type { OutboxEntry } from "../record/index.js";
import type { OutboxStatus } from "../vocabulary/index.js";

/*
 * The outbox half of the storage port. Every timestamp the engine or a dispatcher passes is UTC
 * ISO-8601 with milliseconds (`2026-01-01T00:00:00.000Z`, `Date#toISOString`), so a store may
 * compare timestamps as text. Records come back raw (`unknown`): the caller validates them with
 * `OutboxRecordSchema` and checks their workspace.
 */

/** Input of {@link OutboxStore.claimOutbox}. */
export interface ClaimOutboxInput {
  /** The dispatcher claiming (its lease owner id). */
  readonly owner: string;
  /** The dispatcher's current time. */
  readonly now: string;
  /** When the leases this claim takes end. */
  readonly leaseUntil: string;
  /** At most this many entries (1..1000). */
  readonly limit: number;
}

/** One outcome of a delivery, for {@link OutboxStore.settleOutbox}. */
export type OutboxSettlement =
  | {
      /** The entry's workspace. */
      readonly workspaceId: string;
      /** The entry. */
      readonly entryId: string;
      /** Delivered. */
      readonly status: typeof OutboxStatus.Delivered;
    }
  | {
      /** The entry's workspace. */
      readonly workspaceId: string;
      /** The entry. */
      readonly entryId: string;
      /** Failed; try again at `availableAt`. */
      readonly status: typeof OutboxStatus.Pending;
      /** When it may be claimed again. */
      readonly availableAt: string;
      /** Why the delivery failed (at most `MAX_OUTBOX_ERROR_LENGTH` characters). */
      readonly error: string;
    }
  | {
      /** The entry's workspace. */
      readonly workspaceId: string;
      /** The entry. */
      readonly entryId: string;
      /** Failed too often: park it. */
      readonly status: typeof OutboxStatus.Dead;
      /** Why the last delivery failed (at most `MAX_OUTBOX_ERROR_LENGTH` characters). */
      readonly error: string;
    };

/** Input of {@link OutboxStore.settleOutbox}. */
export interface SettleOutboxInput {
  /** The dispatcher that claimed the entries. */
  readonly owner: string;
  /** When (becomes `deliveredAt` of delivered entries). */
  readonly at: string;
  /** One outcome per entry. */
  readonly settlements: readonly OutboxSettlement[];
}

/** An entry named by workspace and id. */
export interface OutboxEntryRef {
  /** The entry's workspace. */
  readonly workspaceId: string;
  /** The entry. */
  readonly entryId: string;
}

/** Input of {@link OutboxStore.releaseOutbox}. */
export interface ReleaseOutboxInput {
  /** The dispatcher that claimed the entries. */
  readonly owner: string;
  /** The entries to give back without a delivery. */
  readonly entries: readonly OutboxEntryRef[];
}

/** Options of {@link OutboxStore.listOutbox}. */
export interface ListOutboxOptions {
  /** Only entries with this status. */
  readonly status?: OutboxStatus;
  /** Only entries of this workspace. */
  readonly workspaceId?: string;
  /** At most this many entries (1..500). */
  readonly limit: number;
  /** The `nextCursor` of the previous page; omit for the first page. */
  readonly cursor?: string | null;
}

/** One page of {@link OutboxStore.listOutbox}. */
export interface OutboxPage {
  /** Raw records, ordered by (`createdAt`, `workspaceId`, `entryId`) ascending. */
  readonly entries: readonly unknown[];
  /** Pass back to get the next page; `null` on the last page. */
  readonly nextCursor: string | null;
}

/** Input of {@link OutboxStore.recordRunProgress}. */
export interface RunProgressInput {
  /** The run's workspace. */
  readonly workspaceId: string;
  /** The run's draft. */
  readonly draftId: string;
  /** The run. */
  readonly runId: string;
  /** When the worker reported. */
  readonly at: string;
  /** Its message (`null`: keep the previous one). */
  readonly message: string | null;
  /** Its percent (`null`: keep the previous one). */
  readonly percent: number | null;
}

/** Input of {@link OutboxStore.findStaleRuns}. */
export interface FindStaleRunsInput {
  /** Runs whose last report (or, without one, whose request) is older than this. */
  readonly before: string;
  /** At most this many (1..1000). */
  readonly limit: number;
}

/** Input of {@link OutboxStore.settleRuns}. */
export interface SettleRunsInput {
  /** The runs' workspace. */
  readonly workspaceId: string;
  /**
   * The runs' draft (every run belongs to one draft): SQL stores find the runs through an index
   * keyed by draft, so a commit's outbox entry goes into fewer indexes.
   */
  readonly draftId: string;
  /** The runs that finished (of that draft; others are left alone). */
  readonly runIds: readonly string[];
  /** When they were seen finished. */
  readonly at: string;
}

/**
 * The outbox and run-liveness methods every store implements, beside the draft methods. Entries
 * are written only by `commit` (`CommitInput.outbox`), atomically with the draft: no entry
 * without its commit and no commit without its entries.
 *
 * Promises (checked by the conformance kit's outbox section):
 * - `claimOutbox` takes a lease on up to `limit` pending entries whose `availableAt` has come and
 *   whose lease is free or has ended, oldest first, and counts an attempt on each. Concurrent
 *   claims never hand the same entry to two owners while a lease holds.
 * - `settleOutbox` and `releaseOutbox` change only entries still leased by `owner` (a claim by
 *   another owner after the lease ended wins), and resolve to how many they changed.
 * - A `run.requested` record is its run's liveness record: `recordRunProgress` updates it without
 *   touching the draft or its version; `findStaleRuns` lists unsettled ones whose last report (or
 *   request) is older than `before`; `settleRuns` stops watching them.
 * - `pruneOutbox` (optional) deletes only records that are done with: delivered before the
 *   cut-off and no longer a run's liveness record.
 */
export interface OutboxStore {
  /** Leases pending entries to `owner`; resolves to the claimed records (raw). */
  claimOutbox(input: ClaimOutboxInput): Promise<readonly unknown[]>;
  /** Records delivery outcomes of entries leased by `owner`; resolves to how many changed. */
  settleOutbox(input: SettleOutboxInput): Promise<number>;
  /** Gives leased entries back undelivered (their attempt is not counted); resolves to how many. */
  releaseOutbox(input: ReleaseOutboxInput): Promise<number>;
  /** One page of outbox records (the dead ones, for example). */
  listOutbox(options: ListOutboxOptions): Promise<OutboxPage>;
  /** Makes a dead entry pending again with no attempts, available at `at`; `false` if it is not dead. */
  requeueOutbox(input: OutboxEntryRef & { readonly at: string }): Promise<boolean>;
  /** Stores a run's progress report on its `run.requested` record; `false` when there is none. */
  recordRunProgress(input: RunProgressInput): Promise<boolean>;
  /** The `run.requested` records of a draft (raw), oldest first. */
  listRunRecords(workspaceId: string, draftId: string): Promise<readonly unknown[]>;
  /** Unsettled `run.requested` records whose last report (or request) is older than `before`, oldest first. */
  findStaleRuns(input: FindStaleRunsInput): Promise<readonly unknown[]>;
  /** Marks runs finished, so `findStaleRuns` no longer lists them; resolves to how many changed. */
  settleRuns(input: SettleRunsInput): Promise<number>;
  /**
   * Optional: deletes, in every workspace, the outbox records that are done with, and resolves
   * to how many went. A record goes when its status is `delivered`, its `deliveredAt` is before
   * `before` (a UTC ISO-8601 instant, see {@link outboxCutoff}), and it is no longer a run's
   * liveness record: a `run.cancelled` entry, or a `run.requested` one whose run is settled
   * (`settledAt` not null). Pending, leased and dead records (dead ones wait for a person to
   * requeue or handle them) and unsettled `run.requested` records always stay. Meant for a
   * scheduled job, e.g. a dispatcher `tasks` entry; drafts and audit entries are never touched.
   */
  pruneOutbox?(before: string): Promise<number>;
}

/** The `outbox` field of a commit: the entries written with it (usually none). */
export type OutboxEntries = readonly OutboxEntry[];
