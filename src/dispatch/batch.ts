import {
  AuditKind,
  CorruptRecordError,
  OutboxRecordSchema,
  safeParseWithMessages,
  toValidationIssues,
  type OutboxRecord,
} from "../record/index.js";
import type { OutboxSettlement } from "../store/index.js";
import type { ResolvedDispatcherOptions } from "./options.js";
import { deliveryAudit, errorText, leaseEndingError, retryDelay } from "./outcome.js";
import type { DispatchReport } from "./types.js";

/** A counter per field of {@link DispatchReport}. */
type Tally = { -readonly [K in keyof DispatchReport]: number };

/** One delivery's outcome: `error` is `null` when it succeeded. */
interface Outcome {
  readonly record: OutboxRecord;
  readonly error: string | null;
}

const iso = (ms: number): string => new Date(ms).toISOString();

/** Validates claimed records: a corrupt one (or one not leased to us) is reported and left to its lease. */
function checkClaimed(config: ResolvedDispatcherOptions, raw: readonly unknown[]): OutboxRecord[] {
  const records: OutboxRecord[] = [];
  for (const item of raw) {
    const result = safeParseWithMessages(OutboxRecordSchema, item);
    const id =
      typeof (item as { entryId?: unknown } | null)?.entryId === "string"
        ? (item as { entryId: string }).entryId
        : null;
    if (!result.success) {
      report(config, new CorruptRecordError(toValidationIssues(result.issues), id));
    } else if (result.data.leaseOwner !== config.owner || result.data.status !== "pending") {
      const issue = {
        code: "custom",
        path: ["leaseOwner"],
        message: "claimOutbox returned an entry not leased to this dispatcher",
      };
      report(config, new CorruptRecordError([issue], id));
    } else {
      records.push(result.data);
    }
  }
  return records;
}

/** Calls `onError`, which must not break the dispatcher when it throws. */
export function report(config: ResolvedDispatcherOptions, error: unknown): void {
  try {
    config.onError(error);
  } catch {
    // An error handler that throws has nowhere else to report to.
  }
}

/** Waits with the injected sleep; resolves `true` when the full time passed, `false` when `signal` aborted it. */
export async function pause(config: ResolvedDispatcherOptions, ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return false;
  try {
    await config.sleep(Math.max(0, ms), signal);
  } catch {
    return false;
  }
  return !signal.aborted;
}

/** Runs one delivery; its signal is aborted at `deadline` (shortly before the lease ends). */
async function deliverOne(
  config: ResolvedDispatcherOptions,
  record: OutboxRecord,
  deadline: number,
  leaseUntil: string,
): Promise<Outcome> {
  const delivery = new AbortController();
  const watch = new AbortController();
  void pause(config, deadline - config.now(), watch.signal).then((elapsed) => {
    if (elapsed) delivery.abort(leaseEndingError(record, leaseUntil));
  });
  try {
    await config.deliver(record, { signal: delivery.signal, attempt: record.attempts });
    return { record, error: null };
  } catch (error) {
    return { record, error: errorText(error) };
  } finally {
    watch.abort();
  }
}

/** Delivers the records, at most `concurrency` at once; those not started in time (or when stopping) are returned unstarted. */
async function deliverAll(
  config: ResolvedDispatcherOptions,
  records: readonly OutboxRecord[],
  leaseUntilMs: number,
  stopping: () => boolean,
): Promise<{ outcomes: Outcome[]; unstarted: OutboxRecord[] }> {
  const outcomes: Outcome[] = [];
  const unstarted: OutboxRecord[] = [];
  const deadline = leaseUntilMs - config.marginMs;
  const leaseUntil = iso(leaseUntilMs);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < records.length) {
      const record = records[next++] as OutboxRecord;
      if (stopping() || config.now() >= deadline) unstarted.push(record);
      else outcomes.push(await deliverOne(config, record, deadline, leaseUntil));
    }
  };
  await Promise.all(Array.from({ length: Math.min(config.concurrency, records.length) }, worker));
  return { outcomes, unstarted };
}

const refOf = (record: OutboxRecord) => ({ workspaceId: record.workspaceId, entryId: record.entryId });

/** Turns the outcomes into settlements: delivered, retried with backoff, or dead. */
function settlementsOf(config: ResolvedDispatcherOptions, outcomes: readonly Outcome[], at: number) {
  const live: OutboxSettlement[] = [];
  const dead: { record: OutboxRecord; settlement: OutboxSettlement }[] = [];
  for (const { record, error } of outcomes) {
    if (error === null) live.push({ ...refOf(record), status: "delivered" });
    else if (record.attempts >= config.maxAttempts)
      dead.push({ record, settlement: { ...refOf(record), status: "dead", error } });
    else {
      const availableAt = iso(at + retryDelay(config, record.attempts));
      live.push({ ...refOf(record), status: "pending", availableAt, error });
    }
  }
  return { live, dead };
}

/**
 * Settles the outcomes: every delivered and retried entry in ONE batched `settleOutbox`; each
 * dead one in a settle of its own (rare), so that exactly those that changed get their
 * `delivery_dead` audit entry.
 */
async function settle(config: ResolvedDispatcherOptions, outcomes: readonly Outcome[], tally: Tally): Promise<void> {
  if (outcomes.length === 0) return;
  const now = config.now();
  const at = iso(now);
  const { live, dead } = settlementsOf(config, outcomes, now);
  const { owner, store } = config;
  const [changed, deadChanged] = await Promise.all([
    live.length === 0 ? 0 : store.settleOutbox({ owner, at, settlements: live }),
    Promise.all(dead.map(({ settlement }) => store.settleOutbox({ owner, at, settlements: [settlement] }))),
  ]);
  for (const settlement of live) tally[settlement.status === "delivered" ? "delivered" : "retried"] += 1;
  tally.dead += dead.length;
  tally.lost += live.length - changed + deadChanged.filter((count) => count === 0).length;
  const events = dead
    .filter((_, index) => deadChanged[index] !== 0)
    .map(({ record }) =>
      deliveryAudit({ eventId: config.newId(), kind: AuditKind.DeliveryDead, record, actorId: owner, at }),
    );
  if (events.length > 0) await store.appendAudit(events);
}

/** Gives back the entries claimed but not delivered. */
async function release(config: ResolvedDispatcherOptions, unstarted: readonly OutboxRecord[], tally: Tally) {
  if (unstarted.length === 0) return;
  tally.released += await config.store.releaseOutbox({ owner: config.owner, entries: unstarted.map(refOf) });
}

/** One claim -> deliveries (bounded concurrency) -> one batched settle (and the release of what did not start). */
export async function runBatch(config: ResolvedDispatcherOptions, stopping: () => boolean): Promise<DispatchReport> {
  const tally: Tally = { claimed: 0, delivered: 0, retried: 0, dead: 0, released: 0, lost: 0 };
  if (stopping()) return tally;
  const now = config.now();
  const leaseUntilMs = now + config.leaseMs;
  const raw = await config.store.claimOutbox({
    owner: config.owner,
    now: iso(now),
    leaseUntil: iso(leaseUntilMs),
    limit: config.batchSize,
  });
  tally.claimed = raw.length;
  const records = checkClaimed(config, raw);
  const { outcomes, unstarted } = await deliverAll(config, records, leaseUntilMs, stopping);
  const results = await Promise.allSettled([settle(config, outcomes, tally), release(config, unstarted, tally)]);
  const failed = results.find((result) => result.status === "rejected");
  if (failed !== undefined) throw failed.reason;
  return tally;
}
