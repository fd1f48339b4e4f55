/**
 * The seeded fault-injecting store wrapper: a proxy in front of any `DraftStore` that, by a
 * {@link FaultPlan}, fails writes before or after they reach the store, fails other calls, adds
 * latency, reorders concurrent commits and drops the connection, logging every fault.
 */
import type { DraftStore } from "../../store/index.js";
import { faultError } from "./error.js";
import { countFaults, formatFaultLog, type FaultCounts, type FaultKind, type FaultRecord } from "./log.js";
import { Decision, PORT_METHODS, scheduled, shuffled, type FaultPlan, type StoreMethod } from "./plan.js";
import { CommitHold } from "./reorder.js";

/** What a test can see and steer of a wrapper made by {@link injectFaults}. */
export interface FaultController {
  /** The plan's seed: the same seed gives the same faults to the same calls. */
  readonly seed: number;
  /** Every fault injected so far, in order. */
  readonly log: readonly FaultRecord[];
  /** How many faults of each kind were injected so far. */
  counts(): FaultCounts;
  /** How many calls each port method got so far (faulty or not). */
  calls(): Readonly<Partial<Record<StoreMethod, number>>>;
  /** The seed, the counts and the last `limit` records (default 50) as text, for a failing test. */
  format(limit?: number): string;
  /** Drops the connection now, for `calls` calls (default 10) or `ms` milliseconds. */
  disconnect(outage?: {
    /** How many calls the outage lasts. */
    readonly calls?: number;
    /** How long it lasts in milliseconds (instead of `calls`). */
    readonly ms?: number;
  }): void;
  /** Stops injecting (`false`: every call goes straight to the store, held commits are sent) or starts again. */
  setEnabled(enabled: boolean): void;
}

/** A store behind the fault injector, and its controller. */
export interface FaultyStore<TStore extends DraftStore> {
  /** The wrapped store: use it wherever the store would go (`createOnboardingEngine({ store })`). */
  readonly store: TStore;
  /** The log, the counts and the switches. */
  readonly faults: FaultController;
}

/** The draft a call names, when it names one (for the log). */
function draftOf(method: string, args: readonly unknown[]): string | null {
  const [first, second] = args;
  if (typeof first === "object" && first !== null && "draft" in first) {
    const draft = (first as { readonly draft: { readonly workspaceId?: unknown; readonly id?: unknown } }).draft;
    return `${String(draft.workspaceId)}/${String(draft.id)}`;
  }
  if ((method === "load" || method === "listAudit") && typeof first === "string") return `${first}/${String(second)}`;
  return null;
}

/** The wrapper's mutable state: call counters, the outage, the log. */
class FaultState {
  readonly log: FaultRecord[] = [];
  readonly perMethod: Partial<Record<StoreMethod, number>> = {};
  enabled = true;
  allCalls = 0;
  /** Bumped when the connection drops: a call that began under an older epoch lost its reply. */
  epoch = 0;
  offlineCalls = 0;
  offlineUntil = 0;
  private readonly started = performance.now();

  constructor(readonly plan: FaultPlan) {}

  record(
    kind: FaultKind,
    method: string,
    call: number,
    draft: string | null,
    detail = "",
    applied: boolean | null = null,
  ): FaultRecord {
    const record: FaultRecord = {
      seq: this.log.length + 1,
      kind,
      method,
      call,
      draft,
      applied,
      detail,
      atMs: performance.now() - this.started,
    };
    this.log.push(record);
    return record;
  }

  chance(method: string, call: number, decision: number): number {
    return scheduled(this.plan.seed, method, call, decision);
  }

  /** Whether a call now finds the connection down (and uses up one call of a counted outage). */
  offline(): boolean {
    if (this.offlineCalls > 0) {
      this.offlineCalls -= 1;
      return true;
    }
    return performance.now() < this.offlineUntil;
  }

  drop(outage: { readonly calls?: number; readonly ms?: number } = {}): string {
    this.epoch += 1;
    if (outage.ms !== undefined) {
      this.offlineUntil = performance.now() + outage.ms;
      return `for ${outage.ms} ms`;
    }
    this.offlineCalls = outage.calls ?? 10;
    return `for ${this.offlineCalls} calls`;
  }
}

/** One call's context: where it is in the schedule, and how it fails. */
interface Call {
  readonly state: FaultState;
  readonly adapter: string;
  readonly method: StoreMethod;
  readonly call: number;
  readonly draft: string | null;
  readonly write: boolean;
  /** Whether the connection drops while this call is in flight. */
  readonly drops: boolean;
}

function fail(call: Call, kind: FaultKind, detail = "", applied: boolean | null = null): never {
  throw faultError(call.adapter, call.state.record(kind, call.method, call.call, call.draft, detail, applied));
}

/** The faults before a call is sent: an outage, latency, a failure before the store. */
async function beforeSend(call: Call): Promise<void> {
  const { state, method } = call;
  const { plan } = state;
  if (state.offline()) fail(call, "offline");
  if (call.drops) return; // it is sent, and its reply lost
  if (plan.latency !== undefined && state.chance(method, call.call, Decision.Latency) < plan.latency.rate) {
    const min = plan.latency.minMs ?? 0;
    const ms = Math.round(min + state.chance(method, call.call, Decision.LatencyMs) * (plan.latency.maxMs - min));
    state.record("latency", method, call.call, call.draft, `${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, ms));
    if (state.offline()) fail(call, "offline");
  }
  if (call.write && state.chance(method, call.call, Decision.Before) < (plan.failBefore ?? 0)) fail(call, "before");
  if (!call.write && state.chance(method, call.call, Decision.Other) < (plan.failOther ?? 0)) fail(call, "other");
}

/** A reply lost to a dropped connection (dropping it first, when this call is the one it drops during). */
function loseReply(call: Call, applied: boolean | null): never {
  const { state } = call;
  if (call.drops) state.record("disconnect", call.method, call.call, call.draft, state.drop(state.plan.disconnect));
  return fail(call, "lost_reply", "", applied);
}

/** One call through the wrapper: the faults before it, the call (held, for a reordered commit), the faults after. */
async function faultyCall(
  state: FaultState,
  adapter: string,
  hold: CommitHold | null,
  method: StoreMethod,
  send: () => Promise<unknown>,
  args: readonly unknown[],
): Promise<unknown> {
  const { plan } = state;
  const number = (state.perMethod[method] = (state.perMethod[method] ?? 0) + 1);
  state.allCalls += 1;
  if (!state.enabled) return send();
  const drops =
    plan.disconnect !== undefined &&
    scheduled(plan.seed, "*", state.allCalls, Decision.Disconnect) < plan.disconnect.rate;
  const write = (plan.writes ?? ["commit", "insert"]).includes(method);
  const call: Call = { state, adapter, method, call: number, draft: draftOf(method, args), write, drops };
  await beforeSend(call);
  const epoch = state.epoch;
  let result: unknown;
  try {
    result = await (method === "commit" && hold !== null ? hold.hold(send) : send());
  } catch (error) {
    if (drops || state.epoch !== epoch) loseReply(call, write ? false : null);
    throw error;
  }
  // A write answers a WriteResult (applied when ok); any other write that returned has applied.
  const answer = (result as { readonly ok?: unknown } | null | undefined)?.ok;
  const applied = write ? (typeof answer === "boolean" ? answer : true) : null;
  if (drops || state.epoch !== epoch) loseReply(call, applied);
  if (write && state.chance(method, number, Decision.After) < (plan.failAfter ?? 0)) fail(call, "after", "", applied);
  return result;
}

/**
 * Wraps a store in a seeded fault injector. Writes (by default `commit` and `insert`) fail
 * before they reach the store, or reach it and fail anyway (the outcome is unknown to the
 * caller, exactly as when a connection drops after the database committed); other calls fail;
 * calls slow down; concurrent commits are held and sent in a shuffled order; the connection
 * drops for a while (calls in flight lose their replies, every call fails until it is back).
 *
 * Every fault reaches the caller as a `StoreError` (what the engine surfaces for a storage
 * failure) whose cause is an {@link InjectedFault}; every fault is logged. Decisions depend
 * only on the seed and each call's number (among its method's calls; among all calls for a
 * dropped connection), so a deterministic workload replays the same faults; print
 * `faults.format()` when a test fails.
 *
 * @example
 * ```ts
 * const { store, faults } = injectFaults(createMemoryStore(), {
 *   seed: 42,
 *   failBefore: 0.05,
 *   failAfter: 0.1,
 *   latency: { rate: 0.2, maxMs: 3 },
 *   reorder: { window: 4, holdMs: 2 },
 *   disconnect: { rate: 0.005, calls: 5 },
 * });
 * const engine = createOnboardingEngine({ store, authorize: () => true });
 * // ... run the workload, retrying StoreErrors with the same idempotency key ...
 * console.log(faults.format());
 * ```
 */
export function injectFaults<TStore extends DraftStore>(store: TStore, plan: FaultPlan): FaultyStore<TStore> {
  const state = new FaultState(plan);
  const hold =
    plan.reorder === undefined
      ? null
      : new CommitHold(
          Math.max(2, plan.reorder.window),
          plan.reorder.holdMs,
          (batch, size) => shuffled(plan.seed, batch, size),
          (order) =>
            state.record(
              "reorder",
              "commit",
              state.perMethod.commit ?? 0,
              null,
              `${order.length} commits sent in the order ${order.join(",")}`,
            ),
        );
  const wrapped = new Proxy(store, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== "function") return value;
      const method = value as (...args: unknown[]) => Promise<unknown>;
      if (typeof property !== "string" || !(property in PORT_METHODS)) return method.bind(target);
      return (...args: unknown[]) =>
        faultyCall(state, target.name, hold, property as StoreMethod, () => method.apply(target, args), args);
    },
  });
  const faults: FaultController = {
    seed: plan.seed,
    log: state.log,
    counts: () => countFaults(state.log),
    calls: () => ({ ...state.perMethod }),
    format: (limit) => formatFaultLog(plan.seed, state.log, limit),
    disconnect(outage) {
      state.record("disconnect", "*", state.allCalls, null, state.drop(outage));
    },
    setEnabled(enabled) {
      state.enabled = enabled;
      if (!enabled) hold?.release();
    },
  };
  return { store: wrapped, faults };
}
