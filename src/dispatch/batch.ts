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
import type { DeliveryContext, DispatchReport } from "./types.js";
import type { DeliveryTrace } from "./instrumentation.js";

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

/**
 * The lease of one claimed batch: ONE timer for the whole batch (every entry of a claim has the
 * same lease), and an `AbortSignal` per delivery made only when `deliver` reads it. When the
 * deadline (shortly before the lease ends) passes, every delivery still in flight is aborted with
 * its own {@link leaseEndingError}; a signal first read after that comes back already aborted.
 * A timer, two controllers and an abort per entry cost more than a no-op delivery itself.
 */
class BatchLease {
  readonly #leaseUntil: string;
  readonly #inFlight = new Map<OutboxRecord, AbortController>();
  readonly #watch = new AbortController();
  #expired = false;

  constructor(config: ResolvedDispatcherOptions, deadline: number, leaseUntil: string) {
    this.#leaseUntil = leaseUntil;
    void pause(config, deadline - config.now(), this.#watch.signal).then((elapsed) => {
      if (elapsed) this.#expire();
    });
  }

  /** The signal of `record`'s delivery (one per delivery, made on first use). */
  signalOf(record: OutboxRecord): AbortSignal {
    const existing = this.#inFlight.get(record);
    if (existing !== undefined) return existing.signal;
    if (this.#expired) return AbortSignal.abort(leaseEndingError(record, this.#leaseUntil));
    const controller = new AbortController();
    this.#inFlight.set(record, controller);
    return controller.signal;
  }

  /** `record`'s delivery ended: its signal is no longer aborted at the deadline. */
  settled(record: OutboxRecord): void {
    this.#inFlight.delete(record);
  }

  /** Every delivery has ended: stops the timer. */
  close(): void {
    this.#watch.abort("batch done");
  }

  #expire(): void {
    this.#expired = true;
    for (const [record, controller] of this.#inFlight) controller.abort(leaseEndingError(record, this.#leaseUntil));
    this.#inFlight.clear();
  }
}

/** Runs one delivery; its signal is aborted at the batch's deadline (shortly before the lease ends). */
async function deliverOne(
  config: ResolvedDispatcherOptions,
  record: OutboxRecord,
  lease: BatchLease,
): Promise<Outcome> {
  const context: DeliveryContext = {
    attempt: record.attempts,
    get signal() {
      return lease.signalOf(record);
    },
  };
  const trace = config.instrumentation === undefined ? undefined : startDelivery(config, record);
  let outcome: Outcome;
  try {
    await (trace === undefined ? config.deliver(record, context) : trace.run(() => config.deliver(record, context)));
    outcome = { record, error: null };
  } catch (error) {
    outcome = { record, error: errorText(error) };
  } finally {
    lease.settled(record);
  }
  if (trace !== undefined) endDelivery(config, trace, outcome);
  return outcome;
}

/** Asks the instrumentation for a delivery's trace; a throw from it leaves the delivery untraced. */
function startDelivery(config: ResolvedDispatcherOptions, record: OutboxRecord): DeliveryTrace | undefined {
  try {
    return config.instrumentation?.startDelivery(record, {
      attempt: record.attempts,
      owner: config.owner,
      store: config.store,
    });
  } catch {
    return undefined;
  }
}

/** Tells a delivery's trace how it ended, with the lag from the entry's commit; a throw is ignored. */
function endDelivery(config: ResolvedDispatcherOptions, trace: DeliveryTrace, outcome: Outcome): void {
  const at = config.now();
  try {
    trace.end({
      delivered: outcome.error === null,
      error: outcome.error,
      at,
      lagMs: Math.max(0, at - Date.parse(outcome.record.createdAt)),
    });
  } catch {
    // An instrumentation never breaks a delivery.
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
  if (records.length === 0) return { outcomes, unstarted };
  const deadline = leaseUntilMs - config.marginMs;
  const lease = new BatchLease(config, deadline, iso(leaseUntilMs));
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < records.length) {
      const record = records[next++] as OutboxRecord;
      if (stopping() || config.now() >= deadline) unstarted.push(record);
      else outcomes.push(await deliverOne(config, record, lease));
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(config.concurrency, records.length) }, worker));
  } finally {
    lease.close();
  }
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
