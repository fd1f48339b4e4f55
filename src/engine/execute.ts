import { Capability } from "../vocabulary/index.js";
import {
  DraftNotFoundError,
  IdempotencyKeyReuseError,
  InvalidTransitionError,
  MAX_VERSION,
  OpenDraftExistsError,
  RetryExhaustedError,
  UnknownRunError,
  ValidationError,
  VersionConflictError,
  AuditEventSchema,
  type AuditEvent,
  type IdempotencyRecord,
  type OnboardingDraft,
  type OutboxEntry,
} from "../record/index.js";
import { parseDraft, sealDraft } from "../lifecycle/index.js";
import {
  Feedback,
  applyCommand,
  commandFingerprint,
  isProgressCommand,
  isWorkerCommand,
  isWorkerCommandType,
  parseCommand,
  requiredCapabilities,
  type Command,
  type CommandContext,
  type CommandOutcome,
} from "../commands/index.js";
import type { StoredChange, WriteRejection, WriteResult } from "../store/index.js";
import { auditEvent } from "./audit.js";
import { outboxEntriesOf } from "./outbox.js";
import type { Access, EngineContext } from "./context.js";
import { VersionArgumentSchema, checkArgument, isVersionArgument } from "./options.js";
import { backoffDelay } from "./retry.js";
import { auditStartedRun, draftHadRun } from "./runs.js";
import { searchTrailBackward } from "./history.js";
import { isIgnoredFeedback, outboxEvents } from "./events.js";
import { quietly, type OperationTrace } from "./instrumentation.js";
import { gateKey, type GateClaim, type GateTicket, type StaleVerdict } from "./gate.js";
import type { Actor, ExecuteOptions, MutationResult, WorkerExecuteOptions } from "./types.js";

/** One validated `execute` call: everything an attempt needs, in one object. */
interface CommandRequest<TActor extends Actor> extends Access<TActor> {
  readonly command: Command;
  /** `null` for a worker report (matched by run id, retried on conflict). */
  readonly expectedVersion: number | null;
  readonly worker: boolean;
  /** The request's fingerprint; only computed with an idempotency key. */
  readonly fingerprint: string;
  /** `performance.now()` at the call when someone observes the engine (for `durationMs`), else 0. */
  readonly startedMs: number;
  /** The draft's key in the write gate (`""` without a gate): built once per call. */
  readonly lane: string;
}

/**
 * Where an attempt's draft came from: a fresh `load`, or the engine's document cache with the
 * text it was decoded from (sent as the commit's `basis`). An attempt on a cached ("peeked") draft
 * only ever ends in a committed write; every other outcome restarts from a fresh load, where
 * refusals, denials and conflicts are decided and audited.
 */
type Source =
  | { readonly peeked: false; readonly draft: OnboardingDraft; readonly known?: KnownConflict }
  | { readonly peeked: true; readonly draft: OnboardingDraft; readonly token: string };

/**
 * What a rejected commit already settled about the conflict it reports: whether the store wrote
 * the `conflict` entry in the same statement, and who wrote the current version (when it read it).
 */
interface KnownConflict {
  readonly audited: boolean;
  readonly changedBy?: ChangedBy | null;
}

/** Who made a draft's current version, as `VersionConflictError.changedBy` reports it. */
type ChangedBy = { actorId: string; commandType: string; worker: boolean };

/** An attempt that did not settle: go round again from a fresh load. */
const AGAIN = Symbol("again");
/** An attempt that did not settle, with the draft as the store read it on the miss (no load needed). */
interface Again {
  readonly again: Source;
}
type Attempt = MutationResult | typeof AGAIN | Again;

/** The `execute` operation of an engine on its shared context. */
export function createExecute<TActor extends Actor>(ctx: EngineContext<TActor>) {
  return (
    workspaceId: string,
    draftId: string,
    command: unknown,
    options: ExecuteOptions<TActor> | WorkerExecuteOptions<TActor>,
  ): Promise<MutationResult> => execute(ctx, workspaceId, draftId, command, options);
}

function toRequest<TActor extends Actor>(
  ctx: EngineContext<TActor>,
  workspaceIdInput: string,
  draftIdInput: string,
  commandInput: unknown,
  options: ExecuteOptions<TActor> | WorkerExecuteOptions<TActor>,
): CommandRequest<TActor> {
  const workspaceId = ctx.checkId(workspaceIdInput, "workspaceId");
  const draftId = ctx.checkId(draftIdInput, "draftId");
  const command = parseCommand(commandInput);
  const actor = options?.actor;
  const actorId = ctx.actorIdOf(actor);
  const idempotencyKey = ctx.checkKey(options.idempotencyKey);
  const worker = isWorkerCommand(command);
  const expectedVersion = worker
    ? null
    : checkArgument(VersionArgumentSchema, isVersionArgument, options.expectedVersion, ["expectedVersion"]);
  // Only a request with an idempotency key needs its fingerprint.
  const fingerprint = idempotencyKey === null ? "" : commandFingerprint(draftId, command);
  return {
    workspaceId,
    draftId,
    command,
    actor,
    actorId,
    idempotencyKey,
    worker,
    expectedVersion,
    fingerprint,
    commandType: command.type,
    startedMs: ctx.events.active ? performance.now() : 0,
    lane: ctx.gate === null ? "" : gateKey(workspaceId, draftId),
  };
}

/** The engine's cached copy of the draft (and its stored text), when it has one that could be current. */
function peekedSource<TActor extends Actor>(
  ctx: EngineContext<TActor>,
  request: CommandRequest<TActor>,
): Source | null {
  if (request.idempotencyKey !== null) return null;
  const cached = ctx.documents.peek(request.workspaceId, request.draftId);
  if (cached === undefined) return null;
  const draft = cached.draft;
  if (draft.workspaceId !== request.workspaceId || draft.id !== request.draftId) return null;
  if (request.expectedVersion !== null && draft.version !== request.expectedVersion) return null;
  return { peeked: true, draft, token: cached.text };
}

async function execute<TActor extends Actor>(
  ctx: EngineContext<TActor>,
  workspaceIdInput: string,
  draftIdInput: string,
  commandInput: unknown,
  options: ExecuteOptions<TActor> | WorkerExecuteOptions<TActor>,
): Promise<MutationResult> {
  const request = toRequest(ctx, workspaceIdInput, draftIdInput, commandInput, options);
  let next: Source | null = null;
  const { gate } = ctx;
  if (gate !== null && isDecidable(request)) {
    // A commit on the draft is in flight: wait for it before reading (a read now would be stale,
    // and the command is certainly stale if the commit lands a version above it).
    if (gate.ahead(request.lane)) {
      const verdict = await gate.waitAhead(request.lane, gateTicket(ctx, request, request.expectedVersion ?? 0));
      if (verdict !== null) next = (await staleInProcess(verdict)).again;
    }
  }
  next ??= peekedSource(ctx, request);
  // The first read of an operator command: the commands arriving during it wait for its commit
  // (not for an in-process store: its load has no round trip to save).
  const claim =
    next === null && gate !== null && isDecidable(request) && ctx.store.stores !== "values"
      ? gate.claim(request.lane)
      : null;
  try {
    // A fresh read is a `load`, or the row a rejected commit read on its miss (the same truth).
    for (let loads = next === null ? 1 : 0; ; loads += 1) {
      const source: Source = next ?? {
        peeked: false,
        draft:
          claim === null
            ? ctx.checkLoaded(
                await ctx.store.load(request.workspaceId, request.draftId),
                request.workspaceId,
                request.draftId,
              )
            : await claimedLoad(ctx, request, claim),
      };
      const result = await attempt(ctx, request, source, loads);
      if (result === AGAIN) next = null;
      else if ("again" in result) next = result.again;
      else return result;
    }
  } finally {
    if (claim !== null) gate?.unclaim(request.lane, claim);
  }
}

/** A fresh read of the request's draft; the end of the load opens the claim (`authorize` runs next). */
async function claimedLoad<TActor extends Actor>(
  ctx: EngineContext<TActor>,
  request: CommandRequest<TActor>,
  claim: GateClaim | null,
): Promise<OnboardingDraft> {
  try {
    return ctx.checkLoaded(
      await ctx.store.load(request.workspaceId, request.draftId),
      request.workspaceId,
      request.draftId,
    );
  } finally {
    claim?.loaded();
  }
}

/**
 * One attempt of a command on one draft: decide (replay, authorize, version check, reduce),
 * then write with a compare-and-set. `loads` counts fresh loads so far (0 for a peeked draft),
 * which bounds the retries.
 */
async function attempt<TActor extends Actor>(
  ctx: EngineContext<TActor>,
  request: CommandRequest<TActor>,
  source: Source,
  loads: number,
): Promise<Attempt> {
  const { draft } = source;
  const context = ctx.commandContext(request.actorId);
  const outcome = source.peeked
    ? await decideQuietly(ctx, request, draft, context)
    : await decide(ctx, request, draft, context, source.known);
  if (outcome === null) return AGAIN;
  if (!("changed" in outcome)) return outcome; // a replay, a conflict report or a no-op result
  if (draft.version >= MAX_VERSION) {
    if (source.peeked) return AGAIN;
    throw new InvalidTransitionError(draft.id, request.command.type, draft.lifecycle.state, "version_limit");
  }
  const { next, event, idempotency, outbox } = prepareWrite(ctx, request, draft, outcome, context.now);
  const document = ctx.documentOf(next); // encoded once; "" for a store of values
  const events = [event];
  const expectedVersion = draft.version;
  const entries: { outbox?: OutboxEntry[]; conflict?: AuditEvent } = outbox.length > 0 ? { outbox } : {};
  // A store that can append the conflict entry in the commit's own statement gets it: a miss
  // then costs one round trip (the caller's conflict, no load, no separate append).
  const conflicting = conflictTemplate(ctx, request, context.now);
  if (conflicting !== undefined) entries.conflict = conflicting;
  const { gate } = ctx;
  const { lane } = request;
  if (gate !== null && !gate.tryEnter(lane)) {
    const verdict = await gate.wait(lane, gateTicket(ctx, request, expectedVersion));
    if (verdict !== null) return staleInLine(ctx, request, verdict, loads);
  }
  let written: WriteResult;
  try {
    written = await ctx.store.commit(
      source.peeked
        ? { draft: next, document, expectedVersion, basis: source.token, events, idempotency, ...entries }
        : { draft: next, document, expectedVersion, events, idempotency, ...entries },
    );
  } catch (error) {
    gate?.leave(lane, null, "", "", false);
    ctx.documents.forget(next.workspaceId, next.id); // the outcome is unknown
    throw error;
  }
  gate?.leave(lane, written.ok ? next : null, request.actorId, request.commandType, request.worker);
  if (written.ok) {
    ctx.documents.wrote(next, document === "" ? undefined : document);
    if (ctx.events.active) committedEvents(ctx, request, next, event, outbox, outcome.feedback);
    if (reportsRunning(request.command)) await heartbeat(ctx, request, request.command.runId, null, null, event.at);
    return applied(next, event, outcome);
  }
  if (source.peeked) {
    // Refusals and conflicts are decided on a fresh read: the row the store read on its miss is one.
    const fresh = freshFromRejection(ctx, request, written);
    return fresh === null ? AGAIN : { again: fresh };
  }
  return rejected(ctx, request, written, next, loads);
}

/** What a command waiting in the write gate tells it: its basis, and whether the gate may reject it. */
function gateTicket<TActor extends Actor>(
  ctx: EngineContext<TActor>,
  request: CommandRequest<TActor>,
  basis: number,
): GateTicket {
  return {
    basis,
    // A keyed command may replay a winner with the same key, and a worker's report is retried:
    // only the store (or a fresh read) decides them.
    decidable: isDecidable(request),
    conflictEntry: (current) => conflictEvent(ctx, request, basis, ctx.now(), current),
    store: ctx.store,
  };
}

/** Whether the write gate may reject a request in process: an operator command without an idempotency key. */
function isDecidable<TActor extends Actor>(request: CommandRequest<TActor>): boolean {
  return request.expectedVersion !== null && request.idempotencyKey === null;
}

/**
 * A command found stale in the write gate's line. One the gate may not reject (a keyed command,
 * a worker's report) decides again on the draft the gate's commit wrote instead of sending a
 * compare-and-set that would miss (as on the row a miss reads; a worker's retries stay bounded).
 */
async function staleInLine<TActor extends Actor>(
  ctx: EngineContext<TActor>,
  request: CommandRequest<TActor>,
  verdict: StaleVerdict,
  loads: number,
): Promise<Again> {
  if (verdict.audited !== null) return staleInProcess(verdict);
  if (request.worker && loads >= ctx.retry.attempts) throw new RetryExhaustedError(request.draftId, loads);
  return { again: { peeked: false, draft: verdict.current, known: { audited: false, changedBy: verdict.changedBy } } };
}

/**
 * A command the write gate found stale: once its `conflict` entry is stored, decide again on the
 * draft the gate's commit wrote (as on the row a rejected compare-and-set reads): the command's
 * capabilities and `view` are checked on it, and the version check reports the conflict
 * without a second entry.
 */
async function staleInProcess(verdict: StaleVerdict): Promise<Again> {
  if (verdict.audited !== null) await verdict.audited;
  return { again: { peeked: false, draft: verdict.current, known: { audited: true, changedBy: verdict.changedBy } } };
}

/**
 * The `conflict` entry a commit carries for a store that can write it on a miss (one with
 * `appendConflict`, not in-process): only for an operator command without an idempotency key, whose miss is
 * the caller's conflict (with a key, a concurrent request with the same key may have won; a
 * worker's report is retried). The store fills in the stored version and state.
 */
function conflictTemplate<TActor extends Actor>(
  ctx: EngineContext<TActor>,
  request: CommandRequest<TActor>,
  at: string,
): AuditEvent | undefined {
  const expectedVersion = request.expectedVersion;
  if (expectedVersion === null || request.idempotencyKey !== null || !ctx.store.appendConflict) return undefined;
  // An in-process store has no round trip to save, and an entry built for every commit costs it
  // more than the append after a rare miss.
  if (ctx.store.stores === "values") return undefined;
  return conflictEvent(ctx, request, expectedVersion, at, null);
}

/** A `conflict` entry of a request; `current` null: the store fills in the stored version and state. */
function conflictEvent<TActor extends Actor>(
  ctx: EngineContext<TActor>,
  request: CommandRequest<TActor>,
  expectedVersion: number,
  at: string,
  current: OnboardingDraft | null,
): AuditEvent {
  return auditEvent({
    eventId: ctx.ids.eventId(),
    workspaceId: request.workspaceId,
    draftId: request.draftId,
    kind: "conflict",
    commandType: request.command.type,
    actorId: request.actorId,
    at,
    fromVersion: expectedVersion,
    expectedVersion,
    actualVersion: current?.version ?? null,
    idempotencyKey: request.idempotencyKey,
    state: current?.lifecycle.state ?? null,
  });
}

/**
 * The draft a `version_conflict` rejection carries (the row the store read on its miss), decoded
 * and checked like a `load`, with what the store settled about the conflict; `null` when it
 * carries none (then the engine loads).
 */
function freshFromRejection<TActor extends Actor>(
  ctx: EngineContext<TActor>,
  request: CommandRequest<TActor>,
  rejection: WriteRejection,
): Source | null {
  if (rejection.reason !== "version_conflict" || rejection.current === undefined || rejection.current === null) {
    return null;
  }
  const draft = ctx.checkLoaded(rejection.current, request.workspaceId, request.draftId);
  const changedBy = storedChange(rejection.changedBy);
  const known: KnownConflict = {
    audited: rejection.conflictAudited === true && draft.version !== request.expectedVersion,
    ...(changedBy === undefined ? {} : { changedBy }),
  };
  return { peeked: false, draft, known };
}

/** A store's {@link StoredChange} as `changedBy` (`undefined` when it read none or sent no strings). */
function storedChange(change: StoredChange | null | undefined): ChangedBy | null | undefined {
  if (change === null) return null;
  const { actorId, commandType } = change ?? {};
  if (typeof actorId !== "string" || typeof commandType !== "string") return undefined;
  return { actorId, commandType, worker: isWorkerCommandType(commandType) };
}

/**
 * The decision on a freshly loaded draft: a replay of the key's first outcome, a changed
 * outcome to write, or the result of a no-op. Denials and conflicts are audited and thrown.
 */
async function decide<TActor extends Actor>(
  ctx: EngineContext<TActor>,
  request: CommandRequest<TActor>,
  draft: OnboardingDraft,
  context: CommandContext,
  known?: KnownConflict,
): Promise<Extract<CommandOutcome, { changed: true }> | MutationResult> {
  if (request.idempotencyKey !== null) {
    const remembered = await ctx.loadIdempotency(request.workspaceId, request.idempotencyKey);
    if (remembered !== null) {
      const authorizing = ctx.authorizeAll(request, [Capability.View], draft);
      if (authorizing !== undefined) await authorizing;
      const replayed = replay(remembered, request);
      if (ctx.events.active) {
        const { workspaceId, draftId, commandType, actorId } = request;
        const { version } = replayed;
        ctx.events.emit({
          type: "command.replayed",
          at: context.now,
          workspaceId,
          draftId,
          commandType,
          actorId,
          version,
        });
      }
      return replayed;
    }
  }
  // Authorize before the version check: a VersionConflictError carries the current draft,
  // which an actor without the command's capabilities must never see.
  const authorizing = ctx.authorizeAll(request, requiredCapabilities(draft, request.command, context), draft);
  if (authorizing !== undefined) await authorizing;
  if (request.expectedVersion !== null && draft.version !== request.expectedVersion) {
    return conflict(ctx, request, request.expectedVersion, draft, known);
  }
  const outcome = applyCommand(draft, request.command, context);
  if (outcome.changed) return outcome;
  if (outcome.feedback === Feedback.IgnoredStaleResult && request.worker) await checkRunKnown(ctx, request, draft);
  const { command } = request;
  if (outcome.feedback === Feedback.Recorded && isProgressCommand(command)) {
    await heartbeat(ctx, request, command.runId, command.message ?? null, command.percent ?? null, context.now);
  }
  if (ctx.events.active && isIgnoredFeedback(outcome.feedback)) {
    const { workspaceId, draftId, commandType, actorId } = request;
    const { feedback, runIds } = outcome;
    const at = context.now;
    ctx.events.emit({
      type: "result.ignored",
      at,
      workspaceId,
      draftId,
      commandType,
      actorId,
      feedback,
      runIds,
      version: draft.version,
    });
  }
  return {
    draft,
    version: draft.version,
    feedback: outcome.feedback,
    event: null,
    runIds: outcome.runIds,
    replayed: false,
    state: draft.lifecycle.state,
  };
}

/**
 * The decision on a peeked draft: a changed outcome, or `null` (write nothing, audit nothing,
 * decide again on a fresh read). If the commit then succeeds, the stored record was exactly
 * this draft, so a fresh read would have given the same answers and the same outcome.
 */
async function decideQuietly<TActor extends Actor>(
  ctx: EngineContext<TActor>,
  request: CommandRequest<TActor>,
  draft: OnboardingDraft,
  context: CommandContext,
): Promise<Extract<CommandOutcome, { changed: true }> | null> {
  try {
    for (const capability of requiredCapabilities(draft, request.command, context)) {
      const verdict = ctx.authorize(request.actor, capability, draft);
      if (verdict !== true && (await verdict) !== true) return null;
    }
    const outcome = applyCommand(draft, request.command, context);
    return outcome.changed ? outcome : null;
  } catch {
    return null; // refusals and failures are decided on a fresh read
  }
}

/** Audits a stale write and throws `VersionConflictError` (to an actor who may `view`). */
async function conflict<TActor extends Actor>(
  ctx: EngineContext<TActor>,
  request: CommandRequest<TActor>,
  expectedVersion: number,
  current: OnboardingDraft,
  known?: KnownConflict,
): Promise<never> {
  // The error carries the current draft: only for an actor who may see it. (When the store wrote
  // the conflict entry with the rejected commit, a denial here comes after it in the trail.)
  await ctx.authorizeView(request, current);
  const at = ctx.now();
  let changedBy = known?.changedBy;
  if (known?.audited !== true) {
    const event = conflictEvent(ctx, request, expectedVersion, at, current);
    // One round trip for the entry and its writer when the store offers it.
    if (ctx.store.appendConflict) changedBy = storedChange(await ctx.store.appendConflict(event));
    else await ctx.store.appendAudit([event]);
  }
  if (changedBy === undefined) changedBy = await changeOf(ctx, current);
  if (ctx.events.active) {
    const { workspaceId, commandType, actorId } = request;
    ctx.events.emit({
      type: "command.conflict",
      at,
      workspaceId,
      draftId: current.id,
      commandType,
      actorId,
      expectedVersion,
      actualVersion: current.version,
      changedBy,
    });
  }
  throw new VersionConflictError(expectedVersion, current, changedBy);
}

/**
 * Who made the draft's current version, from its committed audit entry: an operator or a
 * background worker (its report bumped the version a page was based on). `null` when the trail
 * does not say (a version written by `create`, or entries that fail validation). Reads the trail
 * from its end, a short page at a time, and stops at the first entry that wrote a version at or
 * below the current one: only the conflicts and denials since that write are read past.
 */
async function changeOf<TActor extends Actor>(
  ctx: EngineContext<TActor>,
  current: OnboardingDraft,
): Promise<{ actorId: string; commandType: string; worker: boolean } | null> {
  const found = await searchTrailBackward(ctx.store, current.workspaceId, current.id, CHANGE_PAGE_SIZE, (entry) => {
    const parsed = AuditEventSchema.safeParse(entry);
    if (!parsed.success || (parsed.data.kind !== "committed" && parsed.data.kind !== "created")) return undefined;
    const { kind, toVersion, actorId, commandType } = parsed.data;
    if (toVersion === null || toVersion > current.version) return undefined; // written after `current` was read
    if (kind !== "committed" || toVersion !== current.version) return null;
    return { actorId, commandType, worker: isWorkerCommandType(commandType) };
  });
  return found ?? null;
}

/** Entries per read while looking for the write of the current version (it is nearly always in the first). */
const CHANGE_PAGE_SIZE = 16;
/** Entries per read while looking for a run in the trail. */
const RUN_SEARCH_PAGE_SIZE = 100;

/** A rejected compare-and-set on a loaded draft: go round again, or end with the error. */
async function rejected<TActor extends Actor>(
  ctx: EngineContext<TActor>,
  request: CommandRequest<TActor>,
  rejection: WriteRejection,
  next: OnboardingDraft,
  loads: number,
): Promise<Attempt> {
  switch (rejection.reason) {
    case "idempotency_key_exists":
      return AGAIN; // the next attempt replays the concurrent request with the same key
    case "open_draft_exists":
      throw new OpenDraftExistsError(request.workspaceId, next.identity?.tenantId ?? "", rejection.existingDraftId);
    case "draft_exists":
      throw new ValidationError("create", [
        { code: "custom", path: ["id"], message: `a draft with id ${request.draftId} already exists` },
      ]);
    case "version_conflict":
      break;
  }
  if (rejection.actualVersion === null) throw new DraftNotFoundError(request.workspaceId, request.draftId);
  const fresh = freshFromRejection(ctx, request, rejection);
  const again: Attempt = fresh === null ? AGAIN : { again: fresh };
  if (request.worker) {
    if (loads >= ctx.retry.attempts) throw new RetryExhaustedError(request.draftId, loads);
    const delayMs = backoffDelay(ctx.retry, loads);
    if (ctx.events.active) retried(ctx, request, loads, delayMs);
    if (ctx.trace !== undefined) traceRetry(ctx.trace, loads, delayMs);
    await ctx.retry.sleep(delayMs);
    // After a backoff the row read on the miss is old: read again.
    return delayMs > 0 ? AGAIN : again;
  }
  // Operator command: another writer won. The fresh read (the row the store read on its miss, or
  // a reload) either replays a concurrent request with the same key or reports the conflict
  // (versions only grow, so the version check ends it).
  if (loads < 3) {
    if (ctx.events.active) retried(ctx, request, loads, 0);
    if (ctx.trace !== undefined) traceRetry(ctx.trace, loads, 0);
    return again;
  }
  const current = await ctx.loadDraft(request.workspaceId, request.draftId);
  return conflict(ctx, request, request.expectedVersion ?? current.version, current);
}

/**
 * What a changed outcome writes: the next record, sealed (validated before it is written, only
 * the fields the command changed need checking, and frozen so it can be handed out and kept by
 * an in-process store without a copy), its `committed` audit entry, its idempotency record and
 * the outbox entries of the runs it started or superseded.
 */
function prepareWrite<TActor extends Actor>(
  ctx: EngineContext<TActor>,
  request: CommandRequest<TActor>,
  draft: OnboardingDraft,
  outcome: Extract<CommandOutcome, { changed: true }>,
  at: string,
): { next: OnboardingDraft; event: AuditEvent; idempotency: IdempotencyRecord | null; outbox: OutboxEntry[] } {
  const next = sealDraft(outcome.draft, draft);
  const event = auditEvent({
    eventId: ctx.ids.eventId(),
    workspaceId: next.workspaceId,
    draftId: next.id,
    kind: "committed",
    commandType: request.command.type,
    actorId: request.actorId,
    at,
    fromVersion: draft.version,
    toVersion: next.version,
    idempotencyKey: request.idempotencyKey,
    feedback: outcome.feedback,
    runIds: outcome.runIds,
    state: next.lifecycle.state,
  });
  const idempotency = rememberOutcome(request.idempotencyKey, request.command.type, request.fingerprint, event, next);
  const outbox = outboxEntriesOf(draft, next, request.command, {
    eventId: event.eventId,
    createdAt: at,
    ids: ctx.ids,
  });
  return { next, event, idempotency, outbox };
}

/** The events of a commit: `command.committed`, then one per outbox entry. Only called when someone listens. */
function committedEvents<TActor extends Actor>(
  ctx: EngineContext<TActor>,
  request: CommandRequest<TActor>,
  next: OnboardingDraft,
  event: AuditEvent,
  outbox: readonly OutboxEntry[],
  feedback: Feedback,
): void {
  const { at, eventId, fromVersion, runIds } = event;
  ctx.events.emit({
    type: "command.committed",
    at,
    workspaceId: next.workspaceId,
    draftId: next.id,
    commandType: request.commandType,
    actorId: request.actorId,
    fromVersion: fromVersion ?? next.version - 1,
    toVersion: next.version,
    feedback,
    runIds,
    state: next.lifecycle.state,
    eventId,
    durationMs: request.startedMs === 0 ? 0 : performance.now() - request.startedMs,
  });
  outboxEvents(ctx.events, outbox, at);
}

/** A `command.retried` event. Only called when someone listens. */
function retried<TActor extends Actor>(
  ctx: EngineContext<TActor>,
  request: CommandRequest<TActor>,
  attempt: number,
  delayMs: number,
): void {
  const { workspaceId, draftId, commandType, actorId } = request;
  ctx.events.emit({
    type: "command.retried",
    at: ctx.now(),
    workspaceId,
    draftId,
    commandType,
    actorId,
    attempt,
    delayMs,
  });
}

/** Tells the operation's trace about a retry. */
function traceRetry(trace: OperationTrace, attempt: number, delayMs: number): void {
  quietly(() => trace.retried(attempt, delayMs));
}

/** Whether a command is a worker's `running` report (it counts as a heartbeat too). */
function reportsRunning(command: Command): command is Extract<Command, { type: `record_${string}_result` }> {
  return (
    (command.type === "record_verification_result" || command.type === "record_bootstrap_result") &&
    command.status === "running"
  );
}

/**
 * Stores a worker's report beside the record (on its run's outbox record): no version bump, so
 * an operator's `If-Match` stays current. A failure after a committed `running` report is not
 * the caller's: that report landed, and the next heartbeat refreshes the record.
 */
async function heartbeat<TActor extends Actor>(
  ctx: EngineContext<TActor>,
  request: CommandRequest<TActor>,
  runId: string,
  message: string | null,
  percent: number | null,
  at: string,
): Promise<void> {
  const input = { workspaceId: request.workspaceId, draftId: request.draftId, runId, at, message, percent };
  if (isProgressCommand(request.command)) {
    await ctx.store.recordRunProgress(input);
    return;
  }
  await ctx.store.recordRunProgress(input).catch(() => false);
}

/** Throws {@link UnknownRunError} when a worker's report names a run the draft never had. */
async function checkRunKnown<TActor extends Actor>(
  ctx: EngineContext<TActor>,
  request: CommandRequest<TActor>,
  draft: OnboardingDraft,
): Promise<void> {
  const { command } = request;
  if (!("runId" in command)) return;
  if (draftHadRun(draft, command.runId)) return;
  const started = await searchTrailBackward(ctx.store, request.workspaceId, draft.id, RUN_SEARCH_PAGE_SIZE, (entry) =>
    auditStartedRun(entry, command.runId) ? true : undefined,
  );
  if (started === true) return;
  throw new UnknownRunError(draft.id, command.runId, command.type);
}

/** The result of a committed write. */
function applied(next: OnboardingDraft, event: AuditEvent, outcome: CommandOutcome): MutationResult {
  return {
    draft: next,
    version: next.version,
    feedback: outcome.feedback,
    event,
    runIds: outcome.runIds,
    replayed: false,
    state: next.lifecycle.state,
  };
}

/** The remembered outcome of an earlier request with the same key (the same command on the same draft). */
function replay(
  record: IdempotencyRecord,
  request: { readonly draftId: string; readonly fingerprint: string },
): MutationResult {
  if (record.draftId !== request.draftId || record.fingerprint !== request.fingerprint) {
    throw new IdempotencyKeyReuseError(record.key, record.draftId, record.commandType);
  }
  const draft = parseDraft(record.outcome.draft);
  return {
    draft,
    version: record.outcome.version,
    feedback: record.outcome.feedback as Feedback,
    event: null,
    runIds: record.outcome.runIds,
    replayed: true,
    state: draft.lifecycle.state,
  };
}

/** The idempotency record of a write (`null` without a key): the request's fingerprint and outcome. */
export function rememberOutcome(
  key: string | null,
  commandType: string,
  fingerprint: string,
  event: AuditEvent,
  draft: OnboardingDraft,
): IdempotencyRecord | null {
  if (key === null) return null;
  return {
    workspaceId: draft.workspaceId,
    key,
    draftId: draft.id,
    commandType,
    fingerprint,
    createdAt: event.at,
    outcome: {
      version: draft.version,
      feedback: event.feedback ?? Feedback.Applied,
      eventId: event.eventId,
      runIds: event.runIds,
      draft,
    },
  };
}
