import type { AuditEvent, OnboardingDraft } from "../record/index.js";
import type { DraftStore } from "../store/index.js";

/**
 * The write gate of one engine (write combining): at most one compare-and-set in flight per
 * (workspace, draft), the others wait in line, first come first served. Only the store's
 * `commit` is gated (never `authorize`, an observer or a read), so a rule or an observer that
 * calls the engine on the same draft cannot deadlock.
 *
 * What the line buys: while a commit is in flight, the commands behind it wait instead of racing
 * it to the draft's row lock. When it lands, the gate knows the version its own commit produced;
 * versions only grow, so every waiting operator command (no idempotency key) that expects an
 * older version is certainly stale. Those are rejected without a compare-and-set, and their
 * `conflict` entries are appended in ONE `appendAudit` call that each of them awaits before
 * its caller sees the error. Everything else (equal or higher version: another process may have
 * written; keyed commands: the key may have won; worker reports) goes to the store as before,
 * whose compare-and-set stays the only judge across processes.
 *
 * A lane exists only while a commit holds it: a draft with one writer costs a `Map` set and
 * delete per commit, and an idle draft costs nothing.
 */
export interface WriteGate {
  /** Takes the turn on `key` when it is free (`true`); `false`: call {@link WriteGate.wait}. */
  tryEnter(key: string): boolean;
  /** Waits for the turn on `key`: `null` when it is the caller's, or the verdict that it is stale. */
  wait(key: string, ticket: GateTicket): Promise<StaleVerdict | null>;
  /**
   * Gives the turn on `key` up after the commit: `committed` is the draft it wrote (`null` when
   * it wrote nothing), `actorId` / `commandType` / `worker` who wrote it.
   */
  leave(key: string, committed: OnboardingDraft | null, actorId: string, commandType: string, worker: boolean): void;
  /** How many lanes are open (for tests: an idle gate has none). */
  readonly size: number;
}

/** What a waiting command tells the gate about itself. */
export interface GateTicket {
  /** The version its compare-and-set expects. */
  readonly basis: number;
  /** Whether it may be rejected in process (an operator command without an idempotency key). */
  readonly decidable: boolean;
  /** Its `conflict` entry against `current` (called once, only when it is rejected). */
  conflictEntry(current: OnboardingDraft): AuditEvent;
  /** The store the batch of entries goes to (the command's own, traced when instrumented). */
  readonly store: DraftStore;
}

/** Who made a draft's version, as `VersionConflictError.changedBy` reports it. */
export interface GateChange {
  readonly actorId: string;
  readonly commandType: string;
  readonly worker: boolean;
}

/** A waiting command found stale: the draft that made it so, and its stored conflict entry. */
export interface StaleVerdict {
  /** The draft the gate's own last commit wrote (a version above the command's). */
  readonly current: OnboardingDraft;
  readonly changedBy: GateChange;
  /** Settles when the batch holding the command's `conflict` entry is stored (rejects if it failed). */
  readonly audited: Promise<void>;
}

interface Waiter {
  readonly ticket: GateTicket;
  readonly resolve: (verdict: StaleVerdict | null) => void;
}

/** One draft's line: the commands waiting, and what the gate's last commit on it wrote. */
interface Lane {
  readonly waiting: Waiter[];
  last: { readonly draft: OnboardingDraft; readonly changedBy: GateChange } | null;
}

/** A new, empty write gate. */
export function createWriteGate(): WriteGate {
  const lanes = new Map<string, Lane>();

  return {
    tryEnter(key) {
      if (lanes.has(key)) return false;
      lanes.set(key, { waiting: [], last: null });
      return true;
    },
    wait(key, ticket) {
      return new Promise((resolve) => {
        const lane = lanes.get(key);
        if (lane === undefined) {
          // Freed between tryEnter and now (cannot happen in one turn of the loop, but cheap to keep true).
          lanes.set(key, { waiting: [], last: null });
          resolve(null);
          return;
        }
        lane.waiting.push({ ticket, resolve });
      });
    },
    leave(key, committed, actorId, commandType, worker) {
      const lane = lanes.get(key);
      if (lane === undefined) return;
      if (lane.waiting.length === 0) {
        lanes.delete(key);
        return;
      }
      if (committed !== null) lane.last = { draft: committed, changedBy: { actorId, commandType, worker } };
      if (lane.last !== null) rejectStale(lane, lane.last);
      const next = lane.waiting.shift();
      if (next === undefined) lanes.delete(key);
      else next.resolve(null);
    },
    get size() {
      return lanes.size;
    },
  };
}

/**
 * Takes every waiting command that is certainly stale against `last` out of the line, appends
 * their `conflict` entries in one batch and hands each its verdict. The others keep their order.
 */
function rejectStale(lane: Lane, last: NonNullable<Lane["last"]>): void {
  const version = last.draft.version;
  const stale: Waiter[] = [];
  let kept = 0;
  for (const waiter of lane.waiting) {
    if (waiter.ticket.decidable && waiter.ticket.basis < version) stale.push(waiter);
    else lane.waiting[kept++] = waiter;
  }
  if (stale.length === 0) return;
  lane.waiting.length = kept;
  const audited = appendBatch(stale, last.draft);
  // Each caller awaits `audited`; this handler only keeps a failure from being reported as unhandled.
  audited.catch(() => undefined);
  for (const waiter of stale) waiter.resolve({ current: last.draft, changedBy: last.changedBy, audited });
}

/** The one `appendAudit` of a batch of rejected commands (through the first one's store). */
async function appendBatch(stale: readonly Waiter[], current: OnboardingDraft): Promise<void> {
  const first = stale[0];
  if (first === undefined) return;
  const entries = stale.map((waiter) => waiter.ticket.conflictEntry(current));
  await first.ticket.store.appendAudit(entries);
}

/** The gate's key of a draft: unambiguous for any pair of ids (the workspace id's length first). */
export function gateKey(workspaceId: string, draftId: string): string {
  return `${workspaceId.length}:${workspaceId}${draftId}`;
}
