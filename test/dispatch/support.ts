/**
 * Test support for the dispatcher: a virtual clock with a sleep that only wakes when the test
 * advances time (no real sleeps, no timing assertions), and the store the tests hand the
 * dispatcher: a small in-test fake of the outbox contract or the memory adapter, behind one
 * wrapper with fault injection (failing calls, corrupt records, latency on the virtual clock).
 */
import { createMemoryStore, type MemoryStore } from "../../src/adapters/memory/index.js";
import type { AuditEvent, DispatchStore, OnboardingDraft } from "../../src/index.js";
import { newOutboxState, type OutboxEntry, type OutboxRecord } from "../../src/record/index.js";
import type {
  ClaimOutboxInput,
  ListOutboxOptions,
  OutboxEntryRef,
  OutboxSettlement,
  ReleaseOutboxInput,
  SettleOutboxInput,
} from "../../src/store/index.js";
import { commitWithEntries, seedDraft } from "../../src/testing/conformance/outbox-support.js";

interface Timer {
  readonly at: number;
  readonly seq: number;
  readonly wake: () => void;
}

/** A virtual clock: `sleep` resolves only when `advance` reaches it (or its signal aborts). */
export class VirtualTime {
  now = Date.parse("2026-01-01T00:00:00.000Z");
  private timers: Timer[] = [];
  private seq = 0;

  readonly clock = (): number => this.now;

  readonly sleep = (ms: number, signal: AbortSignal): Promise<void> =>
    new Promise((resolve) => {
      if (signal.aborted) return resolve();
      const timer: Timer = {
        at: this.now + Math.max(0, ms),
        seq: this.seq++,
        wake: () => {
          signal.removeEventListener("abort", onAbort);
          resolve();
        },
      };
      const onAbort = (): void => {
        this.timers = this.timers.filter((t) => t !== timer);
        resolve();
      };
      signal.addEventListener("abort", onAbort, { once: true });
      this.timers.push(timer);
    });

  /** Lets every pending promise chain run (real macrotask turns, no real waiting). */
  async flush(turns = 3): Promise<void> {
    for (let i = 0; i < turns; i++) await new Promise<void>((resolve) => setImmediate(resolve));
  }

  get pendingTimers(): number {
    return this.timers.length;
  }

  /** Moves time to the next timer and wakes every timer due then; false when there is none. */
  async step(): Promise<boolean> {
    await this.flush();
    if (this.timers.length === 0) return false;
    const next = Math.min(...this.timers.map((t) => t.at));
    this.now = Math.max(this.now, next);
    const due = this.timers.filter((t) => t.at <= this.now).sort((a, b) => a.seq - b.seq);
    this.timers = this.timers.filter((t) => t.at > this.now);
    for (const timer of due) timer.wake();
    await this.flush();
    return true;
  }

  /** Steps until `done()` holds; throws after `maxSteps`. */
  async until(done: () => boolean | Promise<boolean>, maxSteps = 10_000): Promise<void> {
    for (let i = 0; i < maxSteps; i++) {
      await this.flush();
      if (await done()) return;
      if (!(await this.step())) {
        await this.flush();
        if (await done()) return;
        throw new Error("virtual time: nothing left to wait for and the condition does not hold");
      }
    }
    throw new Error(`virtual time: condition not reached after ${maxSteps} steps`);
  }

  /** Advances the clock by `ms`, waking the timers due on the way. */
  async advance(ms: number): Promise<void> {
    const target = this.now + ms;
    for (;;) {
      await this.flush();
      const next = Math.min(...this.timers.map((t) => t.at));
      if (!(next <= target)) break;
      await this.step();
    }
    this.now = target;
    await this.flush();
  }
}

let counter = 0;

/** An outbox entry of a run, created at `createdAt`. */
export function entry(overrides: Partial<OutboxEntry> = {}): OutboxEntry {
  counter += 1;
  const id = `e${String(counter).padStart(6, "0")}`;
  return {
    entryId: id,
    workspaceId: "ws-1",
    draftId: "draft-1",
    runId: `run-${id}`,
    kind: "run.requested",
    checkpoint: "verify_access",
    operation: "verify_access",
    providerConnectionId: "conn-1",
    providerRevision: 1,
    draftVersion: 2,
    eventId: `event-${id}`,
    createdAt: "2025-12-31T23:00:00.000Z",
    ...overrides,
  };
}

type Method = "claimOutbox" | "settleOutbox" | "releaseOutbox" | "listOutbox" | "requeueOutbox" | "appendAudit";

/** Which store the dispatcher runs on: the in-test fake below, or the real memory adapter. */
export type Backing = "fake" | "memory";

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** The in-test fake: the contract's semantics over a Map, nothing else. */
class FakeBacking {
  readonly records = new Map<string, Mutable<OutboxRecord>>();
  readonly audits: AuditEvent[] = [];

  claimOutbox(input: { owner: string; now: string; leaseUntil: string; limit: number }): unknown[] {
    const free = [...this.records.values()]
      .filter((r) => r.status === "pending" && r.availableAt <= input.now)
      .filter((r) => r.leaseUntil === null || r.leaseUntil <= input.now)
      .sort(compare)
      .slice(0, input.limit);
    for (const r of free)
      Object.assign(r, { leaseOwner: input.owner, leaseUntil: input.leaseUntil, attempts: r.attempts + 1 });
    return free.map((r) => structuredClone(r));
  }

  settleOutbox(input: { owner: string; at: string; settlements: readonly OutboxSettlement[] }): number {
    let changed = 0;
    for (const s of input.settlements) {
      const r = this.records.get(key(s));
      if (r === undefined || r.status !== "pending" || r.leaseOwner !== input.owner) continue;
      changed += 1;
      Object.assign(r, { leaseOwner: null, leaseUntil: null });
      if (s.status === "delivered") Object.assign(r, { status: "delivered", deliveredAt: input.at, lastError: null });
      else if (s.status === "pending") Object.assign(r, { availableAt: s.availableAt, lastError: s.error });
      else Object.assign(r, { status: "dead", lastError: s.error });
    }
    return changed;
  }

  releaseOutbox(input: { owner: string; entries: readonly { workspaceId: string; entryId: string }[] }): number {
    let changed = 0;
    for (const ref of input.entries) {
      const r = this.records.get(key(ref));
      if (r === undefined || r.status !== "pending" || r.leaseOwner !== input.owner) continue;
      changed += 1;
      Object.assign(r, { leaseOwner: null, leaseUntil: null, attempts: Math.max(0, r.attempts - 1) });
    }
    return changed;
  }

  listOutbox(options: { status?: string; workspaceId?: string; limit: number; cursor?: string | null }) {
    const all = [...this.records.values()]
      .filter((r) => options.status === undefined || r.status === options.status)
      .filter((r) => options.workspaceId === undefined || r.workspaceId === options.workspaceId)
      .sort(compare);
    const after = options.cursor == null ? -1 : all.findIndex((r) => key(r) === options.cursor);
    const page = all.slice(after + 1, after + 1 + options.limit);
    const more = after + 1 + options.limit < all.length;
    return { entries: page.map((r) => structuredClone(r)), nextCursor: more ? key(page.at(-1)!) : null };
  }

  requeueOutbox(input: { workspaceId: string; entryId: string; at: string }): boolean {
    const r = this.records.get(key(input));
    if (r === undefined || r.status !== "dead") return false;
    Object.assign(r, { status: "pending", attempts: 0, availableAt: input.at, leaseOwner: null, leaseUntil: null });
    return true;
  }
}

/**
 * The store a test hands the dispatcher: the fake or the memory adapter, with call counts,
 * injected failures, extra raw records on the next claim (corrupt ones), and optional latency on
 * the virtual clock; plus ways to seed entries and read records and audit entries back.
 */
export class TestStore implements DispatchStore {
  readonly calls: Record<Method, number> = {
    claimOutbox: 0,
    settleOutbox: 0,
    releaseOutbox: 0,
    listOutbox: 0,
    requeueOutbox: 0,
    appendAudit: 0,
  };
  /** Calls of these methods that fail next (counts down). */
  readonly failures = new Map<Method, number>();
  /** Extra raw records `claimOutbox` returns once (to feed corrupt records). */
  injectOnClaim: unknown[] = [];
  private readonly fake = new FakeBacking();
  private readonly memory: MemoryStore | null;
  private readonly drafts = new Map<string, OnboardingDraft>();

  constructor(
    readonly backing: Backing = "fake",
    private readonly latency?: { time: VirtualTime; ms: () => number },
  ) {
    this.memory = backing === "memory" ? createMemoryStore() : null;
  }

  /** Writes the entries (on the memory store: with a commit of their draft); resolves to them as stored. */
  async add(...entries: OutboxEntry[]): Promise<OutboxEntry[]> {
    if (this.memory === null) {
      for (const e of entries) this.fake.records.set(key(e), { ...e, ...newOutboxState(e) });
      return entries;
    }
    const written: OutboxEntry[] = [];
    for (const e of entries) {
      const id = JSON.stringify([e.workspaceId, e.draftId]);
      const draft =
        this.drafts.get(id) ??
        (await seedDraft(this.memory, e.workspaceId, { id: e.draftId, tenantId: `t-${e.draftId}` }));
      const {
        input,
        entries: [stored],
      } = commitWithEntries(draft, [{ createdAt: e.createdAt, entryId: e.entryId, runId: e.runId, kind: e.kind }]);
      const result = await this.memory.commit(input);
      if (!result.ok) throw new Error(`seeding commit failed: ${JSON.stringify(result)}`);
      this.drafts.set(id, input.draft);
      written.push(stored!);
    }
    return written;
  }

  /** {@link TestStore.add} of one entry. */
  async one(e: OutboxEntry): Promise<OutboxEntry> {
    return (await this.add(e))[0]!;
  }

  /** The stored record of an entry. */
  async record(ref: { workspaceId: string; entryId: string }): Promise<OutboxRecord> {
    if (this.memory === null) return structuredClone(this.fake.records.get(key(ref))!);
    let cursor: string | null = null;
    do {
      const page: Awaited<ReturnType<MemoryStore["listOutbox"]>> = await this.memory.listOutbox({
        workspaceId: ref.workspaceId,
        limit: 500,
        cursor,
      });
      const found = (page.entries as OutboxRecord[]).find((r) => r.entryId === ref.entryId);
      if (found !== undefined) return found;
      cursor = page.nextCursor;
    } while (cursor !== null);
    throw new Error(`no record ${key(ref)}`);
  }

  /** The `delivery_*` audit entries of an entry's draft, in order. */
  async deliveryAudits(ref: { workspaceId: string; draftId: string }): Promise<AuditEvent[]> {
    const all =
      this.memory === null
        ? this.fake.audits.filter((a) => a.workspaceId === ref.workspaceId && a.draftId === ref.draftId)
        : ((await this.memory.listAudit(ref.workspaceId, ref.draftId)).map(({ event }) => event) as AuditEvent[]);
    return all.filter((a) => a.kind.startsWith("delivery_"));
  }

  private async enter(method: Method): Promise<void> {
    this.calls[method] += 1;
    if (this.latency !== undefined) await this.latency.time.sleep(this.latency.ms(), new AbortController().signal);
    const left = this.failures.get(method) ?? 0;
    if (left > 0) {
      this.failures.set(method, left - 1);
      throw new Error(`${method}: store unavailable`);
    }
  }

  async claimOutbox(input: ClaimOutboxInput) {
    await this.enter("claimOutbox");
    const claimed = this.memory === null ? this.fake.claimOutbox(input) : await this.memory.claimOutbox(input);
    const injected = this.injectOnClaim;
    this.injectOnClaim = [];
    return [...claimed, ...injected];
  }

  async settleOutbox(input: SettleOutboxInput) {
    await this.enter("settleOutbox");
    return this.memory === null ? this.fake.settleOutbox(input) : this.memory.settleOutbox(input);
  }

  async releaseOutbox(input: ReleaseOutboxInput) {
    await this.enter("releaseOutbox");
    return this.memory === null ? this.fake.releaseOutbox(input) : this.memory.releaseOutbox(input);
  }

  async listOutbox(options: ListOutboxOptions) {
    await this.enter("listOutbox");
    return this.memory === null ? this.fake.listOutbox(options) : this.memory.listOutbox(options);
  }

  async requeueOutbox(input: OutboxEntryRef & { readonly at: string }) {
    await this.enter("requeueOutbox");
    return this.memory === null ? this.fake.requeueOutbox(input) : this.memory.requeueOutbox(input);
  }

  async appendAudit(events: readonly AuditEvent[]) {
    await this.enter("appendAudit");
    if (this.memory === null) this.fake.audits.push(...events);
    else await this.memory.appendAudit(events);
  }

  async recordRunProgress(): Promise<boolean> {
    throw new Error("not used by the dispatcher");
  }
  async listRunRecords(): Promise<readonly unknown[]> {
    throw new Error("not used by the dispatcher");
  }
  async findStaleRuns(): Promise<readonly unknown[]> {
    throw new Error("not used by the dispatcher");
  }
  async settleRuns(): Promise<number> {
    throw new Error("not used by the dispatcher");
  }
}

const key = (r: { workspaceId: string; entryId: string }): string => JSON.stringify([r.workspaceId, r.entryId]);

function compare(a: OutboxRecord, b: OutboxRecord): number {
  const cmp = (x: string, y: string): number => (x < y ? -1 : x > y ? 1 : 0);
  return cmp(a.createdAt, b.createdAt) || cmp(a.workspaceId, b.workspaceId) || cmp(a.entryId, b.entryId);
}
