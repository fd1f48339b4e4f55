import type { AuditEvent, OnboardingDraft } from "../record/index.js";
import type { DraftStore } from "../store/index.js";

/**
 * The write gate of one engine (write combining): at most one compare-and-set in flight per
 * (workspace, draft), the others wait in line, first come first served. Only the store's
 * `commit` is gated, and the first `load` of a command on its way to one is waited on by the
 * commands that arrive during it (never `authorize`, an observer or a read), so a rule or an
 * observer that calls the engine on the same draft cannot deadlock.
 *
 * What the line buys: while a commit is in flight, the commands behind it wait instead of racing
 * it to the draft's row lock. When the commit lands, the gate knows the version its own commit
 * produced while they waited; versions only grow, so every waiting operator command (no
 * idempotency key) that expects an older version is certainly stale. Those are rejected without
 * a compare-and-set (and, when they arrived while the commit was in flight, without a read), and
 * their `conflict` entries are appended in ONE `appendAudit` call that each of them awaits before
 * its caller sees the error. Only a commit that landed while they waited decides them: what an
 * older commit wrote may have been overwritten by another process since, and a conflict reports
 * a version the draft had during the call. Everything else (equal or higher version: another
 * process may have written; keyed commands: the key may have won; worker reports) goes on as
 * before, and the store's compare-and-set stays the only judge across processes.
 *
 * A lane exists only while a commit holds it (deleted when it is free: nothing to leak): a
 * draft with one writer costs a `Map` set and delete per commit, and never waits.
 */
export interface WriteGate {
  /**
   * Whether an operator command must wait before it even reads: a commit on `key` is in flight.
   * Then call {@link WriteGate.waitAhead}.
   */
  ahead(key: string): boolean;
  /** Waits (before reading) until the commit in flight lands: `null` to go on, or the stale verdict. */
  waitAhead(key: string, ticket: GateTicket): Promise<StaleVerdict | null>;
  /**
   * Marks the read of an operator command about to load `key` with no commit in flight (`null`
   * when a commit or another such read is): the commands arriving during that load wait for the
   * commit that follows it instead of reading too. Call {@link GateClaim.loaded} when the load
   * returns (later arrivals read: `authorize` runs after it, and a rule that calls the engine on
   * the same draft must not wait for itself) and {@link WriteGate.unclaim} when the command ends.
   */
  claim(key: string): GateClaim | null;
  /** Ends a claim: the commands still waiting on it go on to read (a no-op once a commit took them in line). */
  unclaim(key: string, claim: GateClaim): void;
  /** Takes the turn on `key` when it is free (`true`); `false`: call {@link WriteGate.wait}. */
  tryEnter(key: string): boolean;
  /** Waits for the turn on `key`: `null` when it is the caller's, or the verdict that it is stale. */
  wait(key: string, ticket: GateTicket): Promise<StaleVerdict | null>;
  /**
   * Gives the turn on `key` up after the commit: `committed` is the draft it wrote (`null` when
   * it wrote nothing), `actorId` / `commandType` / `worker` who wrote it.
   */
  leave(key: string, committed: OnboardingDraft | null, actorId: string, commandType: string, worker: boolean): void;
  /** How many lanes and claims are open (for tests: an idle gate has none). */
  readonly size: number;
}

/** A command's read of a draft that later arrivals wait on (see {@link WriteGate.claim}). */
export interface GateClaim {
  /** The load returned: commands arriving from now on read for themselves. */
  loaded(): void;
}

/** A claim's state: whether arrivals still wait on it, and who waits. */
interface Claim extends GateClaim {
  closed: boolean;
  readonly readers: Waiter[];
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
  /** The draft the gate's own commit wrote while the command waited (a version above the command's). */
  readonly current: OnboardingDraft;
  readonly changedBy: GateChange;
  /**
   * Settles when the batch holding the command's `conflict` entry is stored (rejects if it
   * failed); `null` for a command the gate may not reject (a keyed command, a worker's report):
   * its compare-and-set would miss, so it decides again on `current` instead of sending it.
   */
  readonly audited: Promise<void> | null;
}

interface Waiter {
  readonly ticket: GateTicket;
  readonly resolve: (verdict: StaleVerdict | null) => void;
}

/** The gate's own commit that just landed on a draft. */
interface Known {
  readonly draft: OnboardingDraft;
  readonly changedBy: GateChange;
}

/** One draft's line while a commit holds it: the commits waiting, and the commands waiting to read. */
interface Lane {
  readonly waiting: Waiter[];
  readonly reading: Waiter[];
}

/** A new, empty write gate. */
export function createWriteGate(): WriteGate {
  // A held lane nobody waits on is `null`: the common case (one writer) allocates nothing.
  const lanes = new Map<string, Lane | null>();
  const claims = new Map<string, Claim>();
  const lineOf = (key: string): Lane => {
    let lane = lanes.get(key);
    if (lane === undefined || lane === null) {
      lane = { waiting: [], reading: [] };
      lanes.set(key, lane);
    }
    return lane;
  };
  /** A commit takes the lane: the commands waiting on a read of the draft now wait for this commit. */
  const hold = (key: string): void => {
    lanes.set(key, null);
    const claim = claims.get(key);
    if (claim === undefined) return;
    claims.delete(key);
    if (claim.readers.length > 0) lineOf(key).reading.push(...claim.readers);
  };

  return {
    ahead: (key) => lanes.has(key) || claims.get(key)?.closed === true,
    waitAhead(key, ticket) {
      return new Promise((resolve) => {
        const claim = claims.get(key);
        if (lanes.has(key)) lineOf(key).reading.push({ ticket, resolve });
        else if (claim?.closed === true) claim.readers.push({ ticket, resolve });
        else resolve(null);
      });
    },
    claim(key) {
      if (lanes.has(key) || claims.has(key)) return null;
      const claim: Claim = {
        closed: true,
        readers: [],
        loaded: () => void (claim.closed = false),
      };
      claims.set(key, claim);
      return claim;
    },
    unclaim(key, claim) {
      if (claims.get(key) !== claim) return;
      claims.delete(key);
      for (const reader of (claim as Claim).readers) reader.resolve(null);
    },
    tryEnter(key) {
      if (lanes.has(key)) return false;
      hold(key);
      return true;
    },
    wait(key, ticket) {
      return new Promise((resolve) => {
        if (lanes.has(key)) {
          lineOf(key).waiting.push({ ticket, resolve });
          return;
        }
        hold(key); // freed since tryEnter (not within one turn of the loop, but cheap to keep true)
        resolve(null);
      });
    },
    leave(key, committed, actorId, commandType, worker) {
      const lane = lanes.get(key);
      if (lane === undefined || lane === null) {
        lanes.delete(key);
        return;
      }
      if (committed !== null) {
        const last: Known = { draft: committed, changedBy: { actorId, commandType, worker } };
        const stale = [...takeStale(lane.waiting, last), ...takeStale(lane.reading, last)];
        if (stale.length > 0) reject(stale, last);
      }
      // The rest of the readers go on to read (their version may be current).
      for (const reader of lane.reading.splice(0)) reader.resolve(null);
      const next = lane.waiting.shift();
      if (next === undefined) lanes.delete(key);
      else next.resolve(null);
    },
    get size() {
      return lanes.size + claims.size;
    },
  };
}

/**
 * Takes the commands certainly stale against `last` out of `line` (the ones the gate may not
 * reject are told to decide again on it); the others keep their order.
 */
function takeStale(line: Waiter[], last: Known): Waiter[] {
  const version = last.draft.version;
  const stale: Waiter[] = [];
  let kept = 0;
  for (const waiter of line) {
    if (waiter.ticket.basis >= version) line[kept++] = waiter;
    else if (waiter.ticket.decidable) stale.push(waiter);
    else waiter.resolve({ current: last.draft, changedBy: last.changedBy, audited: null });
  }
  line.length = kept;
  return stale;
}

/** Appends the `conflict` entries of `stale` in one batch and hands each its verdict. */
function reject(stale: readonly Waiter[], last: Known): void {
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
