import { Capability } from "../vocabulary/index.js";
import {
  AuthorizationError,
  ConfigurationError,
  CorruptRecordError,
  DraftNotFoundError,
  IdempotencyRecordSchema,
  isId,
  StoreError,
  safeParseWithMessages,
  toValidationIssues,
  type IdempotencyRecord,
  type OnboardingDraft,
} from "../record/index.js";
import { encodeDraft, type ReadinessPolicy } from "../lifecycle/index.js";
import type { CommandContext } from "../commands/index.js";
import type { DraftStore, StoredDraft } from "../store/index.js";
import { createDocumentCache, DEFAULT_DOCUMENT_CACHE_SIZE, type DocumentCache } from "./document-cache.js";
import { defaultClock, defaultIds, toIso } from "./defaults.js";
import { auditEvent } from "./audit.js";
import {
  IdArgumentSchema,
  KeyArgumentSchema,
  checkArgument,
  checkEngineOptions,
  isIdArgument,
  isKeyArgument,
} from "./options.js";
import { createEventBus, type EventBus } from "./events.js";
import { createWriteGate, type WriteGate } from "./gate.js";
import { resolveRetry, type ResolvedRetry } from "./retry.js";
import type { OperationTrace } from "./instrumentation.js";
import type { Actor, Authorize, EngineOptions, IdGenerator } from "./types.js";

/**
 * What every engine operation shares: the injected store, rule, clock, ids, policy and retry,
 * plus the checks and lookups each operation repeats (arguments, authorization and its audit
 * entry, records handed back by the store). Built once per engine by {@link createContext}.
 */
export interface EngineContext<TActor extends Actor> {
  readonly store: DraftStore;
  readonly authorize: Authorize<TActor>;
  readonly ids: IdGenerator;
  readonly policy: ReadinessPolicy;
  readonly retry: ResolvedRetry;
  /** The one cache of decoded drafts, and the one decoder of stored documents. */
  readonly documents: DocumentCache;
  /** The per-draft line of compare-and-sets (`writeGate`), `null` when turned off. */
  readonly gate: WriteGate | null;
  /** The engine's observers; check `events.active` before building an event. */
  readonly events: EventBus;
  /** The instrumentation's trace of the current operation (see {@link withTrace}), else `undefined`. */
  readonly trace: OperationTrace | undefined;
  /** The canonical text a write sends as `document`: `encodeDraft`, or `""` for a store of values. */
  documentOf(draft: OnboardingDraft): string;
  /** The clock's reading as the ISO-8601 string the engine stores. */
  now(): string;
  /** A command context (time, actor, run ids, policy) for the reducers. */
  commandContext(actorId: string): CommandContext;
  /** Validates an id argument (`workspaceId`, `draftId`). */
  checkId(value: unknown, name: string): string;
  /** Validates an idempotency key argument; `null` when absent. */
  checkKey(value: unknown): string | null;
  /** Validates `actor.id`. */
  actorIdOf(actor: TActor): string;
  /**
   * Asks `authorize` for every capability; a denial is audited and thrown. `undefined` when every
   * answer was a synchronous `true` (no promise, no extra turn of the event loop).
   */
  authorizeAll(
    access: Access<TActor>,
    capabilities: readonly Capability[],
    draft: OnboardingDraft | null,
  ): Promise<void> | undefined;
  /** Asks for `view` on an existing draft before it is returned or named. */
  authorizeView(access: Access<TActor>, draft: OnboardingDraft): Promise<void>;
  /** Loads a draft of (workspace, id), validated, or throws `DraftNotFoundError`. */
  loadDraft(workspaceId: string, draftId: string): Promise<OnboardingDraft>;
  /** Decodes what `store.load` returned for (workspace, id). */
  checkLoaded(stored: StoredDraft | null, workspaceId: string, draftId: string): OnboardingDraft;
  /** The idempotency record of a key, validated and checked to be of this workspace. */
  loadIdempotency(workspaceId: string, key: string): Promise<IdempotencyRecord | null>;
  /** The open draft of a tenant, checked to be of this workspace and tenant. */
  findOpenDraft(workspaceId: string, tenantId: string): Promise<OnboardingDraft | null>;
  /** Throws the `StoreError` for a record of another workspace (or key, or tenant). */
  foreignRecord(operation: string): never;
}

/** Who asks, about which draft, for what: what an authorization's audit entry needs besides the draft. */
export interface Access<TActor extends Actor> {
  readonly actor: TActor;
  readonly actorId: string;
  readonly workspaceId: string;
  readonly draftId: string;
  /** The command type, or the read (`get`, `history`, `create`). */
  readonly commandType: string;
  readonly idempotencyKey: string | null;
}

/** Builds the shared context of one engine, checking its options first. */
export function createContext<TActor extends Actor>(options: EngineOptions<TActor>): EngineContext<TActor> {
  checkEngineOptions(options);
  const { store, authorize } = options;
  const clock = options.clock ?? defaultClock;
  const ids = options.ids ?? defaultIds;
  const policy = options.policy ?? {};
  const now = isoClock(() => clock.now());
  const documents = createDocumentCache(options.documentCacheSize ?? DEFAULT_DOCUMENT_CACHE_SIZE);
  const events = createEventBus(options.observe, options.onObserverError);

  /** A new run id: a storable id (1..128 characters), as the audit entry's `runIds` hold them. */
  const nextRunId = (): string => {
    const id = ids.runId();
    if (!isId(id)) {
      throw new ConfigurationError(
        "ids.runId",
        `run ids must be storable ids of 1..128 characters, got ${JSON.stringify(id)}`,
      );
    }
    return id;
  };

  return {
    store,
    authorize,
    ids,
    policy,
    retry: resolveRetry(options.retry),
    documents,
    gate: options.writeGate === false ? null : createWriteGate(),
    events,
    trace: undefined,
    documentOf: store.stores === "values" ? () => "" : encodeDraft,
    now,
    commandContext: (actorId) => ({ now: now(), actorId, nextRunId, policy }),
    checkId: (value, name) => checkArgument(IdArgumentSchema, isIdArgument, value, [name]),
    checkKey: (value) => checkArgument(KeyArgumentSchema, isKeyArgument, value, ["idempotencyKey"]) ?? null,
    actorIdOf: (actor) =>
      checkArgument(IdArgumentSchema, isIdArgument, (actor as { id?: unknown } | null | undefined)?.id, [
        "actor",
        "id",
      ]),
    ...createAuthorization(store, authorize, events, () => ids.eventId(), now),
    ...createRecordChecks(store, documents),
  };
}

/**
 * The context of one instrumented operation: the same engine, with `store` replaced by `traced`
 * (the store whose calls go through `trace`), so every store call the operation makes, the
 * audited denials and record checks included, is one the instrumentation sees.
 */
export function withTrace<TActor extends Actor>(
  ctx: EngineContext<TActor>,
  trace: OperationTrace,
  traced: DraftStore,
): EngineContext<TActor> {
  return {
    ...ctx,
    store: traced,
    trace,
    ...createAuthorization(
      traced,
      ctx.authorize,
      ctx.events,
      () => ctx.ids.eventId(),
      () => ctx.now(),
    ),
    ...createRecordChecks(traced, ctx.documents),
  };
}

/** `authorizeAll` and `authorizeView`: ask the caller's rule, audit and throw a denial. */
function createAuthorization<TActor extends Actor>(
  store: DraftStore,
  authorize: Authorize<TActor>,
  events: EventBus,
  eventId: () => string,
  now: () => string,
): Pick<EngineContext<TActor>, "authorizeAll" | "authorizeView"> {
  const deny = async (
    access: Access<TActor>,
    capability: Capability,
    draft: OnboardingDraft | null,
  ): Promise<never> => {
    const at = now();
    await store.appendAudit([
      auditEvent({
        eventId: eventId(),
        workspaceId: access.workspaceId,
        draftId: access.draftId,
        kind: "denied",
        commandType: access.commandType,
        actorId: access.actorId,
        at,
        fromVersion: draft?.version ?? null,
        capability,
        idempotencyKey: access.idempotencyKey,
        state: draft?.lifecycle.state ?? null,
      }),
    ]);
    if (events.active) {
      const { workspaceId, draftId, commandType, actorId } = access;
      events.emit({ type: "command.denied", at, workspaceId, draftId, commandType, actorId, capability });
    }
    throw new AuthorizationError(capability, access.actorId, draft === null ? null : access.draftId);
  };

  const authorizeAll = (
    access: Access<TActor>,
    capabilities: readonly Capability[],
    draft: OnboardingDraft | null,
  ): Promise<void> | undefined => {
    let index = 0;
    for (const first of capabilities) {
      index += 1;
      const verdict = authorize(access.actor, first, draft);
      if (verdict === true) continue;
      const rest = capabilities.slice(index);
      return (async () => {
        if ((await verdict) !== true) await deny(access, first, draft);
        for (const capability of rest) {
          if ((await authorize(access.actor, capability, draft)) !== true) await deny(access, capability, draft);
        }
      })();
    }
    return undefined;
  };

  return {
    authorizeAll,
    async authorizeView(access, draft) {
      const viewing = { ...access, workspaceId: draft.workspaceId, draftId: draft.id };
      const authorizing = authorizeAll(viewing, [Capability.View], draft);
      if (authorizing !== undefined) await authorizing;
    },
  };
}

/** The checks of every record a store hands back: validated, and of the workspace asked for. */
function createRecordChecks<TActor extends Actor>(
  store: DraftStore,
  documents: DocumentCache,
): Pick<EngineContext<TActor>, "foreignRecord" | "checkLoaded" | "loadDraft" | "loadIdempotency" | "findOpenDraft"> {
  const foreignRecord = (operation: string): never => {
    throw new StoreError(
      store.name,
      operation,
      new Error("the store returned a record that does not belong to the requested workspace"),
    );
  };

  const checkLoaded = (stored: StoredDraft | null, workspaceId: string, draftId: string): OnboardingDraft => {
    if (stored === null || stored === undefined) throw new DraftNotFoundError(workspaceId, draftId);
    const draft = documents.decode(stored, workspaceId, draftId);
    // A store must never leak another workspace's record; treat a mismatch as not found.
    if (draft.workspaceId !== workspaceId || draft.id !== draftId) throw new DraftNotFoundError(workspaceId, draftId);
    return draft;
  };

  return {
    foreignRecord,
    checkLoaded,
    loadDraft: async (workspaceId, draftId) =>
      checkLoaded(await store.load(workspaceId, draftId), workspaceId, draftId),
    async loadIdempotency(workspaceId, key) {
      const raw = await store.loadIdempotency(workspaceId, key);
      if (raw === null || raw === undefined) return null;
      const result = safeParseWithMessages(IdempotencyRecordSchema, raw);
      if (!result.success) throw new CorruptRecordError(toValidationIssues(result.issues), key);
      const record = result.data;
      const ours =
        record.workspaceId === workspaceId && record.key === key && record.outcome.draft.workspaceId === workspaceId;
      if (!ours) foreignRecord("loadIdempotency");
      return record;
    },
    async findOpenDraft(workspaceId, tenantId) {
      const stored = await store.findOpenDraft(workspaceId, tenantId);
      if (stored === null || stored === undefined) return null;
      const draft = documents.decode(stored, workspaceId, stored.draftId);
      if (draft.workspaceId !== workspaceId || draft.identity?.tenantId !== tenantId) foreignRecord("findOpenDraft");
      return draft;
    },
  };
}

/** Consecutive commands often read the same millisecond: format it once. */
function isoClock(read: () => number | Date): () => string {
  let lastReading = Number.NaN;
  let lastIso = "";
  return () => {
    const reading = read();
    if (typeof reading !== "number") return toIso(reading);
    if (reading !== lastReading) {
      lastIso = toIso(reading);
      lastReading = reading;
    }
    return lastIso;
  };
}
