/**
 * Engine events (issue 12): what an observer is told after an outcome is known. The bus is built
 * once per engine; every call site checks `bus.active` (one boolean) before it builds an event,
 * so an engine nobody listens to builds none. Delivery is on a microtask, each listener on its
 * own, so a slow or asynchronous observer never holds a command's promise, and a throw or a
 * rejection goes to `onObserverError`, never to the caller.
 */
import type { Capability, LifecycleState, RunCheckpoint } from "../vocabulary/index.js";
import type { OutboxEntry } from "../record/index.js";
import type { Feedback } from "../commands/index.js";

/** What every engine event carries. */
export interface EngineEventBase {
  /** When it happened, on the engine's clock (ISO-8601, UTC, milliseconds). */
  readonly at: string;
  /** The draft's workspace. */
  readonly workspaceId: string;
  /** The draft (for a denied `create`, the id the new draft would have had). */
  readonly draftId: string;
}

/** A draft was created (`engine.create` inserted it). */
export interface DraftCreatedEvent extends EngineEventBase {
  /** The event's type. */
  readonly type: "draft.created";
  /** Who created it. */
  readonly actorId: string;
  /** The tenant it names, or `null` when created without identity. */
  readonly tenantId: string | null;
  /** The draft's lifecycle state. */
  readonly state: LifecycleState;
}

/** A command was committed: a new version of the draft, its audit entry and outbox entries, written. */
export interface CommandCommittedEvent extends EngineEventBase {
  /** The event's type. */
  readonly type: "command.committed";
  /** The command's type. */
  readonly commandType: string;
  /** Who ran it. */
  readonly actorId: string;
  /** The version the command was applied to. */
  readonly fromVersion: number;
  /** The version it wrote. */
  readonly toVersion: number;
  /** What happened (`applied`, `queued`, `recorded`, ...). */
  readonly feedback: Feedback;
  /** The runs the command started or reported on. */
  readonly runIds: readonly string[];
  /** The lifecycle state after the command. */
  readonly state: LifecycleState;
  /** The id of the commit's `committed` audit entry. */
  readonly eventId: string;
  /** Milliseconds from the call to the commit (`performance.now()`, not the engine's clock). */
  readonly durationMs: number;
}

/** Who made the version a stale command ran into, when the audit trail says. */
export interface ChangedBy {
  /** Who wrote it. */
  readonly actorId: string;
  /** With which command. */
  readonly commandType: string;
  /** Whether that was a background worker's report. */
  readonly worker: boolean;
}

/** An operator command was based on a stale version (audited, `VersionConflictError` thrown). */
export interface CommandConflictEvent extends EngineEventBase {
  /** The event's type. */
  readonly type: "command.conflict";
  /** The command's type. */
  readonly commandType: string;
  /** Who ran it. */
  readonly actorId: string;
  /** The version the caller sent. */
  readonly expectedVersion: number;
  /** The stored version. */
  readonly actualVersion: number;
  /** Who wrote the stored version, or `null` when the trail does not say. */
  readonly changedBy: ChangedBy | null;
}

/** `authorize` refused a capability (audited, `AuthorizationError` thrown). */
export interface CommandDeniedEvent extends EngineEventBase {
  /** The event's type. */
  readonly type: "command.denied";
  /** The command's type, or the read (`get`, `history`, `create`, ...). */
  readonly commandType: string;
  /** Who asked. */
  readonly actorId: string;
  /** The capability refused. */
  readonly capability: Capability;
}

/** A request with a known idempotency key got its first outcome back; nothing was written. */
export interface CommandReplayedEvent extends EngineEventBase {
  /** The event's type. */
  readonly type: "command.replayed";
  /** The command's type (`create` for a create). */
  readonly commandType: string;
  /** Who asked. */
  readonly actorId: string;
  /** The remembered outcome's version. */
  readonly version: number;
}

/** The `ignored_*` feedback values of {@link ResultIgnoredEvent}. */
export type IgnoredFeedback = Extract<Feedback, `ignored_${string}`>;

/** A worker's report was ignored (stale, duplicate, terminal draft, expired run); nothing was written. */
export interface ResultIgnoredEvent extends EngineEventBase {
  /** The event's type. */
  readonly type: "result.ignored";
  /** The command's type. */
  readonly commandType: string;
  /** Who reported. */
  readonly actorId: string;
  /** Why it was ignored. */
  readonly feedback: IgnoredFeedback;
  /** The run reported on. */
  readonly runIds: readonly string[];
  /** The draft's (unchanged) version. */
  readonly version: number;
}

/** A write lost a compare-and-set and the command goes round again (after `delayMs` for a worker report). */
export interface CommandRetriedEvent extends EngineEventBase {
  /** The event's type. */
  readonly type: "command.retried";
  /** The command's type. */
  readonly commandType: string;
  /** Who runs it. */
  readonly actorId: string;
  /** The attempt that lost (1 for the first fresh load). */
  readonly attempt: number;
  /** The backoff before the next attempt, in milliseconds (0 for an operator command). */
  readonly delayMs: number;
}

/** A committed outbox entry: a run to enqueue (`run.requested`) or to drop (`run.cancelled`). */
export interface RunOutboxEvent extends EngineEventBase {
  /** The event's type: the entry's kind. */
  readonly type: "run.requested" | "run.cancelled";
  /** The run. */
  readonly runId: string;
  /** Which checkpoint it serves. */
  readonly checkpoint: RunCheckpoint;
  /** What the worker runs. */
  readonly operation: string;
  /** The draft version the commit produced. */
  readonly version: number;
}

/** `expireStuckRuns` expired a run no worker reported on in time. */
export interface RunExpiredEvent extends EngineEventBase {
  /** The event's type. */
  readonly type: "run.expired";
  /** The run. */
  readonly runId: string;
  /** Its checkpoint. */
  readonly checkpoint: RunCheckpoint;
  /** The draft's version after the expiry. */
  readonly version: number;
}

/**
 * Everything an engine tells its observers, discriminated on `type`. Delivered after the
 * outcome is known (never before a commit), on a microtask.
 */
export type EngineEvent =
  | DraftCreatedEvent
  | CommandCommittedEvent
  | CommandConflictEvent
  | CommandDeniedEvent
  | CommandReplayedEvent
  | ResultIgnoredEvent
  | CommandRetriedEvent
  | RunOutboxEvent
  | RunExpiredEvent;

/** One of the `type` values of {@link EngineEvent}. */
export type EngineEventType = EngineEvent["type"];

/** The event of one type (`"*"`: any event). */
export type EngineEventOf<T extends EngineEventType | "*"> = T extends "*"
  ? EngineEvent
  : Extract<
      EngineEvent,
      {
        /** The event type to select. */
        readonly type: T;
      }
    >;

/**
 * An observer of engine events. It may be asynchronous; the engine never waits for it, and a
 * throw or a rejection goes to `onObserverError`.
 *
 * @example
 * ```ts
 * const observe: EngineObserver = (event) => {
 *   if (event.type === "command.committed") console.info(event.commandType, event.durationMs);
 * };
 * ```
 */
export type EngineObserver<E extends EngineEvent = EngineEvent> = (event: E) => void | Promise<void>;

/** Where an observer's throw or rejection goes: `(error, event)`. Default `console.error`. */
export type ObserverErrorHandler = (error: unknown, event: EngineEvent) => void;

/** The engine's event bus: listeners by type, and whether anyone listens. */
export interface EventBus {
  /** Whether anyone listens: check it before building an event. */
  readonly active: boolean;
  /** Delivers an event to its listeners, each on its own microtask. */
  emit(event: EngineEvent): void;
  /** Adds a listener; returns its unsubscribe. */
  on<T extends EngineEventType | "*">(type: T, listener: EngineObserver<EngineEventOf<T>>): () => void;
}

const defaultErrorHandler: ObserverErrorHandler = (error, event) => {
  console.error(`onboarding-lifecycle: an engine observer failed on ${event.type}`, error);
};

/** Builds an engine's bus with its permanent observers (`EngineOptions.observe`). */
export function createEventBus(
  observe: EngineObserver | readonly EngineObserver[] | undefined,
  onObserverError: ObserverErrorHandler = defaultErrorHandler,
): EventBus {
  const listeners = new Map<string, Set<EngineObserver>>();
  let count = 0;
  const bus: { active: boolean } & Omit<EventBus, "active"> = {
    active: false, // a plain field: the hot path reads it without a call
    emit(event) {
      const typed = listeners.get(event.type);
      if (typed !== undefined) for (const listener of typed) deliver(listener, event);
      const any = listeners.get("*");
      if (any !== undefined) for (const listener of any) deliver(listener, event);
    },
    on: (type, listener) => add(type, listener as EngineObserver),
  };
  const report = (error: unknown, event: EngineEvent): void => {
    try {
      onObserverError(error, event);
    } catch {
      // an error handler that throws has nowhere left to report to
    }
  };
  const deliver = (listener: EngineObserver, event: EngineEvent): void => {
    queueMicrotask(() => {
      try {
        const result = listener(event);
        if (result !== undefined && typeof result.then === "function") {
          result.then(undefined, (error: unknown) => report(error, event));
        }
      } catch (error) {
        report(error, event);
      }
    });
  };
  const add = (type: string, listener: EngineObserver): (() => void) => {
    let set = listeners.get(type);
    if (set === undefined) listeners.set(type, (set = new Set()));
    const wrapped: EngineObserver = (event) => listener(event); // one subscription per call
    set.add(wrapped);
    count += 1;
    bus.active = true;
    let subscribed = true;
    return () => {
      if (!subscribed) return;
      subscribed = false;
      set.delete(wrapped);
      count -= 1;
      bus.active = count > 0;
    };
  };
  const initial = observe === undefined ? [] : typeof observe === "function" ? [observe] : observe;
  for (const observer of initial) add("*", observer);
  return bus;
}

/** The `run.requested` / `run.cancelled` events of a commit's outbox entries. */
export function outboxEvents(bus: EventBus, entries: readonly OutboxEntry[], at: string): void {
  for (const entry of entries) {
    bus.emit({
      type: entry.kind,
      at,
      workspaceId: entry.workspaceId,
      draftId: entry.draftId,
      runId: entry.runId,
      checkpoint: entry.checkpoint,
      operation: entry.operation,
      version: entry.draftVersion,
    });
  }
}

/** Whether a feedback value is one of the `ignored_*` ones. */
export function isIgnoredFeedback(feedback: Feedback): feedback is IgnoredFeedback {
  return feedback.startsWith("ignored_");
}
