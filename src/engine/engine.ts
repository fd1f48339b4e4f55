import { Capability } from "../vocabulary/index.js";
import {
  AuditEventSchema,
  AuthorizationError,
  ConfigurationError,
  CorruptRecordError,
  DraftNotFoundError,
  IdempotencyKeyReuseError,
  IdempotencyRecordSchema,
  InvalidTransitionError,
  MAX_VERSION,
  OpenDraftExistsError,
  RetryExhaustedError,
  StoreError,
  UnknownRunError,
  ValidationError,
  VersionConflictError,
  toValidationIssues,
  safeParseWithMessages,
  type AuditEvent,
  type IdempotencyRecord,
  type OnboardingDraft,
} from "../record/index.js";
import { isSealedDraft, parseDraft, sealDraft, type ReadinessPolicy } from "../lifecycle/index.js";
import {
  Feedback,
  applyCommand,
  commandFingerprint,
  isWorkerCommand,
  newDraft,
  parseCommand,
  parseCreateInput,
  requiredCapabilities,
  type Command,
  type CommandContext,
  type CommandOutcome,
  type CommandInput,
  type CommandType,
  type OperatorCommand,
  type ParsedCreateDraftInput,
  type WorkerCommand,
} from "../commands/index.js";
import type { DraftStore, WriteRejection } from "../store/index.js";
import { defaultClock, defaultIds, toIso } from "./defaults.js";
import { auditEvent } from "./audit.js";
import {
  IdArgumentSchema,
  KeyArgumentSchema,
  ListOptionsSchema,
  VersionArgumentSchema,
  checkArgument,
  checkEngineOptions,
  isIdArgument,
  isKeyArgument,
  isVersionArgument,
} from "./options.js";
import { backoffDelay, resolveRetry } from "./retry.js";
import { draftHadRun, auditStartedRun } from "./runs.js";
import type {
  Actor,
  CreateOptions,
  CreateResult,
  DraftPage,
  EngineListOptions,
  EngineOptions,
  ExecuteOptions,
  MutationResult,
  WorkerExecuteOptions,
} from "./types.js";


type UnionToIntersection<U> = (U extends unknown ? (u: U) => void : never) extends (i: infer I) => void ? I : never;
type IsUnion<T> = [T] extends [UnionToIntersection<T>] ? false : true;

/**
 * What the run-time overload of `execute` accepts: values whose command type is not known
 * statically (`unknown`, `any`, a `type: string`, or a union over several command types). A value with one known
 * command type must match the typed overloads; one with an unknown `type` never matches.
 */
export type RuntimeCommand<C> = unknown extends C
  ? unknown
  : [C] extends [
        {
          /** The command's type. */
          readonly type: infer T;
        },
      ]
    ? string extends T
      ? unknown
      : [T] extends [CommandType]
      ? IsUnion<T> extends true
        ? unknown
        : never
      : never
    : never;

/** The mutation engine returned by {@link createOnboardingEngine}. */
export interface OnboardingEngine<TActor extends Actor = Actor> {
  /** The store the engine writes to. */
  readonly store: DraftStore;
  /** The readiness policy activation is checked against. */
  readonly policy: ReadinessPolicy;
  /**
   * Creates a draft (optionally identified right away). At most one open draft per tenant and
   * workspace: `onExisting: "resume"` returns the existing one, `"error"` (default) throws
   * `OpenDraftExistsError`.
   */
  create(workspaceId: string, input: unknown, options: CreateOptions<TActor>): Promise<CreateResult>;
  /** Reads a draft (needs `view`). Never locks, never changes the version. */
  get(workspaceId: string, draftId: string, actor: TActor): Promise<OnboardingDraft>;
  /** Runs an operator command with a version check. */
  execute(
    workspaceId: string,
    draftId: string,
    command: OperatorCommand | Extract<CommandInput, { type: OperatorCommand["type"] }>,
    options: ExecuteOptions<TActor>,
  ): Promise<MutationResult>;
  /** Records a background worker's report on a run (matched by `runId`, retried on conflict). */
  execute(
    workspaceId: string,
    draftId: string,
    command: WorkerCommand | Extract<CommandInput, { type: WorkerCommand["type"] }>,
    options: WorkerExecuteOptions<TActor>,
  ): Promise<MutationResult>;
  /**
   * Runs a command that is only known at run time (validated like any other): an `unknown` or
   * `any` value (a request body) or a `Command` union. A literal command the two overloads above
   * refuse (an operator command without `expectedVersion`, an unknown `type`) stays a type error.
   */
  execute<const C>(
    workspaceId: string,
    draftId: string,
    command: C & RuntimeCommand<C>,
    options: ExecuteOptions<TActor> | WorkerExecuteOptions<TActor>,
  ): Promise<MutationResult>;
  /** The audit trail of a draft in append order (needs `view`). */
  history(workspaceId: string, draftId: string, actor: TActor): Promise<readonly AuditEvent[]>;
  /** Lists drafts of a workspace, keyset-paginated (needs `view` with a `null` draft). */
  list(workspaceId: string, actor: TActor, options?: EngineListOptions): Promise<DraftPage>;
}

/**
 * Creates the mutation engine: every command is validated, authorized, guarded against the
 * current lifecycle, applied (immer), re-derived and committed with a version check, its audit
 * entry and its idempotency record, atomically, through the given store.
 *
 * @example
 * ```ts
 * import { createOnboardingEngine } from "onboarding-lifecycle";
 * import { createMemoryStore } from "onboarding-lifecycle/adapters/memory";
 *
 * const engine = createOnboardingEngine({
 *   store: createMemoryStore(),
 *   authorize: (actor, capability) => capability !== "override_readiness" || actor.id === "owner",
 * });
 * const { draft } = await engine.create("ws-1", { identity: { tenantId: "t-1", displayName: "Contoso" } }, { actor: { id: "u-1" } });
 * const result = await engine.execute("ws-1", draft.id, { type: "select_provider", connectionId: "conn-1" }, {
 *   actor: { id: "u-1" },
 *   expectedVersion: draft.version,
 * });
 * result.draft.lifecycle.currentCheckpoint; // "verify_access"
 * ```
 */
export function createOnboardingEngine<TActor extends Actor = Actor>(
  options: EngineOptions<TActor>,
): OnboardingEngine<TActor> {
  checkEngineOptions(options);
  const { store, authorize } = options;
  const clock = options.clock ?? defaultClock;
  const ids = options.ids ?? defaultIds;
  const policy = options.policy ?? {};
  const retry = resolveRetry(options.retry);

  // Consecutive commands often read the same millisecond: format it once.
  let lastReading = Number.NaN;
  let lastIso = "";
  const now = (): string => {
    const reading = clock.now();
    if (typeof reading !== "number") return toIso(reading);
    if (reading !== lastReading) {
      lastIso = toIso(reading);
      lastReading = reading;
    }
    return lastIso;
  };

  function actorIdOf(actor: TActor): string {
    const id = (actor as { id?: unknown } | null | undefined)?.id;
    return checkArgument(IdArgumentSchema, isIdArgument, id, ["actor", "id"]);
  }

  function checkId(value: unknown, name: string): string {
    return checkArgument(IdArgumentSchema, isIdArgument, value, [name]);
  }

  function checkKey(value: unknown): string | undefined {
    return checkArgument(KeyArgumentSchema, isKeyArgument, value, ["idempotencyKey"]);
  }

  /**
   * A new run id from the injected generator. Several run ids of one command are recorded
   * comma-joined in the audit entry's `runId` (and split again on replay), so an id must not
   * contain a comma.
   */
  function nextRunId(): string {
    const id = ids.runId();
    if (id.length === 0 || id.length > 128 || id.includes(",")) {
      throw new ConfigurationError("ids.runId", `run ids must be 1..128 characters without commas, got ${JSON.stringify(id)}`);
    }
    return id;
  }

  async function loadDraft(workspaceId: string, draftId: string): Promise<OnboardingDraft> {
    return checkLoaded(await store.load(workspaceId, draftId), workspaceId, draftId);
  }

  /** Validates what `store.load` returned for (workspace, draft). */
  function checkLoaded(raw: unknown, workspaceId: string, draftId: string): OnboardingDraft {
    if (raw === null || raw === undefined) throw new DraftNotFoundError(workspaceId, draftId);
    const draft = parseDraft(raw);
    // A store must never leak another workspace's record; treat a mismatch as not found.
    if (draft.workspaceId !== workspaceId || draft.id !== draftId) throw new DraftNotFoundError(workspaceId, draftId);
    return draft;
  }

  async function loadIdempotency(workspaceId: string, key: string): Promise<IdempotencyRecord | null> {
    const raw = await store.loadIdempotency(workspaceId, key);
    if (raw === null || raw === undefined) return null;
    const result = safeParseWithMessages(IdempotencyRecordSchema, raw);
    if (!result.success) throw new CorruptRecordError(toValidationIssues(result.issues), key);
    const record = result.data;
    if (record.workspaceId !== workspaceId || record.key !== key || record.outcome.draft.workspaceId !== workspaceId) {
      foreignRecord("loadIdempotency");
    }
    return record;
  }

  /**
   * A store handed back a record of another workspace (or key, or tenant): a broken adapter, or
   * one that stores two different ids as the same bytes. Nothing of the record is used or shown.
   */
  function foreignRecord(operation: string): never {
    throw new StoreError(store.name, operation, new Error("the store returned a record that does not belong to the requested workspace"));
  }

  /** The open draft of a tenant, checked to be of this workspace and tenant. */
  async function findOpenDraft(workspaceId: string, tenantId: string): Promise<OnboardingDraft | null> {
    const raw = await store.findOpenDraft(workspaceId, tenantId);
    if (raw === null || raw === undefined) return null;
    const draft = parseDraft(raw);
    if (draft.workspaceId !== workspaceId || draft.identity?.tenantId !== tenantId) foreignRecord("findOpenDraft");
    return draft;
  }

  /** Asks for `view` on an existing draft before it is returned or named; a denial is audited and thrown. */
  async function authorizeView(
    actor: TActor,
    actorId: string,
    draft: OnboardingDraft,
    commandType: string,
    idempotencyKey: string | null,
  ): Promise<void> {
    const authorizing = authorizeAll(actor, actorId, [Capability.View], draft.workspaceId, draft.id, draft, commandType, idempotencyKey);
    if (authorizing !== undefined) await authorizing;
  }

  async function deny(
    actorId: string,
    capability: Capability,
    workspaceId: string,
    draftId: string,
    draft: OnboardingDraft | null,
    commandType: string,
    idempotencyKey: string | null,
  ): Promise<never> {
    await store.appendAudit([
      auditEvent({
        eventId: ids.eventId(),
        workspaceId,
        draftId,
        kind: "denied",
        commandType,
        actorId,
        at: now(),
        fromVersion: draft?.version ?? null,
        capability,
        idempotencyKey,
        state: draft?.lifecycle.state ?? null,
      }),
    ]);
    throw new AuthorizationError(capability, actorId, draft === null ? null : draftId);
  }

  /**
   * Asks `authorize` for every capability; a denial is audited and thrown. Returns `undefined`
   * when every answer was a synchronous `true` (the common case: no promise, no extra turn of
   * the event loop), otherwise a promise to await.
   */
  function authorizeAll(
    actor: TActor,
    actorId: string,
    capabilities: readonly Capability[],
    workspaceId: string,
    draftId: string,
    draft: OnboardingDraft | null,
    commandType: string,
    idempotencyKey: string | null,
  ): Promise<void> | undefined {
    for (let index = 0; index < capabilities.length; index += 1) {
      const verdict = authorize(actor, capabilities[index]!, draft);
      if (verdict === true) continue;
      return (async () => {
        for (let rest = index; rest < capabilities.length; rest += 1) {
          const capability = capabilities[rest]!;
          const answer = rest === index ? await verdict : await authorize(actor, capability, draft);
          if (answer !== true) await deny(actorId, capability, workspaceId, draftId, draft, commandType, idempotencyKey);
        }
      })();
    }
    return undefined;
  }

  async function conflict(
    workspaceId: string,
    actor: TActor,
    actorId: string,
    command: Command,
    expectedVersion: number,
    current: OnboardingDraft,
    idempotencyKey: string | null,
  ): Promise<never> {
    // The error carries the current draft: only for an actor who may see it.
    await authorizeView(actor, actorId, current, command.type, idempotencyKey);
    await store.appendAudit([
      auditEvent({
        eventId: ids.eventId(),
        workspaceId,
        draftId: current.id,
        kind: "conflict",
        commandType: command.type,
        actorId,
        at: now(),
        fromVersion: expectedVersion,
        expectedVersion,
        actualVersion: current.version,
        idempotencyKey,
        state: current.lifecycle.state,
      }),
    ]);
    throw new VersionConflictError(expectedVersion, current);
  }

  /** The idempotency record of a write (`null` without a key): the request's fingerprint and outcome. */
  function rememberOutcome(
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
        runId: event.runId,
        draft,
      },
    };
  }

  function replay(record: IdempotencyRecord, draftId: string, fingerprint: string): MutationResult {
    if (record.draftId !== draftId || record.fingerprint !== fingerprint) {
      throw new IdempotencyKeyReuseError(record.key, record.draftId, record.commandType);
    }
    const draft = parseDraft(record.outcome.draft);
    return {
      draft,
      version: record.outcome.version,
      feedback: record.outcome.feedback as Feedback,
      event: null,
      runIds: record.outcome.runId === null ? [] : record.outcome.runId.split(","),
      replayed: true,
      state: draft.lifecycle.state,
    };
  }

  async function execute(
    workspaceIdInput: string,
    draftIdInput: string,
    commandInput: unknown,
    executeOptions: ExecuteOptions<TActor> | WorkerExecuteOptions<TActor>,
  ): Promise<MutationResult> {
    const workspaceId = checkId(workspaceIdInput, "workspaceId");
    const draftId = checkId(draftIdInput, "draftId");
    const command = parseCommand(commandInput);
    const actor = executeOptions?.actor;
    const actorId = actorIdOf(actor);
    const idempotencyKey = checkKey(executeOptions.idempotencyKey) ?? null;
    const worker = isWorkerCommand(command);
    let expectedVersion: number | null = null;
    if (!worker) {
      expectedVersion = checkArgument(VersionArgumentSchema, isVersionArgument, executeOptions.expectedVersion, [
        "expectedVersion",
      ]);
    }
    // Only a request with an idempotency key needs its fingerprint.
    const fingerprint = idempotencyKey === null ? "" : commandFingerprint(draftId, command);

    if (idempotencyKey === null && store.peek !== undefined) {
      const speculative = await speculate(workspaceId, draftId, command, actor, actorId, expectedVersion);
      if (speculative !== null) return speculative;
    }

    for (let attempt = 1; ; attempt += 1) {
      const draft = checkLoaded(await store.load(workspaceId, draftId), workspaceId, draftId);
      if (idempotencyKey !== null) {
        const remembered = await loadIdempotency(workspaceId, idempotencyKey);
        if (remembered !== null) {
          const authorizing = authorizeAll(actor, actorId, [Capability.View], workspaceId, draftId, draft, command.type, idempotencyKey);
          if (authorizing !== undefined) await authorizing;
          return replay(remembered, draftId, fingerprint);
        }
      }
      const context: CommandContext = { now: now(), actorId, nextRunId, policy };
      // Authorize before the version check: a VersionConflictError carries the current draft,
      // which an actor without the command's capabilities must never see.
      const authorizing = authorizeAll(
        actor,
        actorId,
        requiredCapabilities(draft, command, context),
        workspaceId,
        draftId,
        draft,
        command.type,
        idempotencyKey,
      );
      if (authorizing !== undefined) await authorizing;
      if (expectedVersion !== null && draft.version !== expectedVersion) {
        return conflict(workspaceId, actor, actorId, command, expectedVersion, draft, idempotencyKey);
      }
      const outcome = applyCommand(draft, command, context);
      if (!outcome.changed) {
        if (outcome.feedback === Feedback.IgnoredStaleResult && worker) await checkRunKnown(workspaceId, draft, command);
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
      if (draft.version >= MAX_VERSION) {
        throw new InvalidTransitionError(draftId, command.type, draft.lifecycle.state, "version_limit");
      }
      const { next, event, idempotency } = prepareWrite(draft, outcome, command, actorId, context.now, idempotencyKey, fingerprint);
      const written = await store.commit({ draft: next, expectedVersion: draft.version, events: [event], idempotency });
      if (written.ok) return applied(next, event, outcome);
      const resolved = await onRejection(written, workspaceId, draftId, next);
      if (resolved === "retry_idempotency") continue; // the next loop iteration replays
      // version_conflict
      if (worker) {
        if (attempt >= retry.attempts) throw new RetryExhaustedError(draftId, attempt);
        await retry.sleep(backoffDelay(retry, attempt));
        continue;
      }
      // Operator command: another writer won the compare-and-set. Go round once more: the reload
      // either replays a concurrent request with the same idempotency key or reports the conflict
      // (the version only grows, so the early version check ends the loop).
      if (attempt >= 3) {
        const current = await loadDraft(workspaceId, draftId);
        return conflict(workspaceId, actor, actorId, command, expectedVersion ?? draft.version, current, idempotencyKey);
      }
    }
  }

  /**
   * The first attempt of a command on a store that can `peek`: computed from the draft the store
   * holds in process (no read), committed with that draft's token as `basis`, so the write
   * happens only if the stored record is still exactly that draft (same version, same bytes).
   * Then a fresh read would have produced the same draft, the same answers from `authorize` and
   * the same outcome, so the result is the one a fresh attempt gives. Anything else (nothing
   * peeked, a stale version, a no-op, a refusal, a denial, a lost compare-and-set) returns
   * `null` having written nothing, and the caller starts over from a fresh `load`, where
   * refusals, denials and conflicts are decided and audited as usual.
   */
  async function speculate(
    workspaceId: string,
    draftId: string,
    command: Command,
    actor: TActor,
    actorId: string,
    expectedVersion: number | null,
  ): Promise<MutationResult | null> {
    const peeked = store.peek?.(workspaceId, draftId);
    if (peeked === undefined) return null;
    const draft = peeked.draft;
    if (!isSealedDraft(draft) || draft.workspaceId !== workspaceId || draft.id !== draftId) return null;
    if (expectedVersion !== null && draft.version !== expectedVersion) return null;
    const context: CommandContext = { now: now(), actorId, nextRunId, policy };
    let outcome: CommandOutcome;
    try {
      for (const capability of requiredCapabilities(draft, command, context)) {
        const verdict = authorize(actor, capability, draft);
        if (verdict !== true && (await verdict) !== true) return null;
      }
      outcome = applyCommand(draft, command, context);
    } catch {
      return null; // refusals and failures are decided on a fresh read
    }
    // No-ops and the version limit are decided (and reported) on a fresh read.
    if (!outcome.changed || draft.version >= MAX_VERSION) return null;
    const { next, event } = prepareWrite(draft, outcome, command, actorId, context.now, null, "");
    const written = await store.commit({
      draft: next,
      expectedVersion: draft.version,
      basis: peeked.token,
      events: [event],
      idempotency: null,
    });
    return written.ok ? applied(next, event, outcome) : null;
  }

  /**
   * What a changed outcome writes: the next record, sealed (validated before it is written, only
   * the fields the command changed need checking, and frozen so it can be handed out and kept by
   * an in-process store without a copy), its `committed` audit entry and its idempotency record.
   */
  function prepareWrite(
    draft: OnboardingDraft,
    outcome: Extract<CommandOutcome, { changed: true }>,
    command: Command,
    actorId: string,
    at: string,
    idempotencyKey: string | null,
    fingerprint: string,
  ): { next: OnboardingDraft; event: AuditEvent; idempotency: IdempotencyRecord | null } {
    const next = sealDraft(outcome.draft, draft);
    const event = auditEvent({
      eventId: ids.eventId(),
      workspaceId: next.workspaceId,
      draftId: next.id,
      kind: "committed",
      commandType: command.type,
      actorId,
      at,
      fromVersion: draft.version,
      toVersion: next.version,
      idempotencyKey,
      feedback: outcome.feedback,
      runId: outcome.runIds.length === 0 ? null : outcome.runIds.join(","),
      state: next.lifecycle.state,
    });
    return { next, event, idempotency: rememberOutcome(idempotencyKey, command.type, fingerprint, event, next) };
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

  async function onRejection(
    rejection: WriteRejection,
    workspaceId: string,
    draftId: string,
    next: OnboardingDraft,
  ): Promise<"retry_idempotency" | "version_conflict"> {
    switch (rejection.reason) {
      case "version_conflict":
        if (rejection.actualVersion === null) throw new DraftNotFoundError(workspaceId, draftId);
        return "version_conflict";
      case "idempotency_key_exists":
        return "retry_idempotency";
      case "open_draft_exists":
        throw new OpenDraftExistsError(workspaceId, next.identity?.tenantId ?? "", rejection.existingDraftId);
      case "draft_exists":
        throw new ValidationError("create", [
          { code: "custom", path: ["id"], message: `a draft with id ${draftId} already exists` },
        ]);
    }
  }

  async function create(
    workspaceIdInput: string,
    input: unknown,
    createOptions: CreateOptions<TActor>,
  ): Promise<CreateResult> {
    const workspaceId = checkId(workspaceIdInput, "workspaceId");
    const parsed = parseCreateInput(input);
    const actor = createOptions?.actor;
    const actorId = actorIdOf(actor);
    const idempotencyKey = checkKey(createOptions.idempotencyKey) ?? null;
    const onExisting = createOptions.onExisting ?? "error";
    if (onExisting !== "resume" && onExisting !== "error") {
      throw new ValidationError("options", [
        { code: "invalid_value", path: ["onExisting"], message: 'onExisting must be "resume" or "error"' },
      ]);
    }
    const draftId = parsed.id ?? ids.draftId();
    const fingerprint = JSON.stringify(["create", parsed.id ?? null, parsed.identity ?? null]);
    const tenantId = parsed.identity?.tenantId;

    if ((await authorize(actor, Capability.Create, null)) !== true) {
      await deny(actorId, Capability.Create, workspaceId, draftId, null, "create", idempotencyKey);
    }

    for (let attempt = 1; attempt <= 3; attempt += 1) {
      if (idempotencyKey !== null) {
        const remembered = await loadIdempotency(workspaceId, idempotencyKey);
        if (remembered !== null) return replayCreate(remembered, fingerprint, actor, actorId);
      }
      if (tenantId !== undefined) {
        const open = await findOpenDraft(workspaceId, tenantId);
        if (open !== null) {
          // A concurrent request with the same key may have committed between the two reads: its
          // draft and its record become visible together, so once the draft is seen, so is it.
          const late = idempotencyKey === null ? null : await loadIdempotency(workspaceId, idempotencyKey);
          if (late !== null) return replayCreate(late, fingerprint, actor, actorId);
          await authorizeView(actor, actorId, open, "create", idempotencyKey);
          if (onExisting === "error") throw new OpenDraftExistsError(workspaceId, tenantId, open.id);
          return { draft: open, created: false, event: null, replayed: false };
        }
      }
      const { draft, event, idempotency } = prepareCreate(workspaceId, draftId, parsed.identity, actorId, idempotencyKey, fingerprint);
      const written = await store.insert({ draft, event, idempotency });
      if (written.ok) return { draft, created: true, event, replayed: false };
      // Every rejection goes round again: the next pass replays a concurrent request with the same
      // key (whose draft is what the insert ran into), or finds and reports the tenant's open draft
      // (asking for `view` first), or inserts after that draft closed.
      if (written.reason === "draft_exists" && (idempotencyKey === null || attempt > 1)) {
        throw new ValidationError("create", [
          { code: "custom", path: ["id"], message: `a draft with id ${draftId} already exists` },
        ]);
      }
      if (written.reason === "version_conflict") throw new DraftNotFoundError(workspaceId, draftId);
    }
    throw new RetryExhaustedError(draftId, 3);
  }

  /** The remembered outcome of an earlier create with the same key (needs `view` on its draft). */
  async function replayCreate(
    remembered: IdempotencyRecord,
    fingerprint: string,
    actor: TActor,
    actorId: string,
  ): Promise<CreateResult> {
    if (remembered.commandType !== "create" || remembered.fingerprint !== fingerprint) {
      throw new IdempotencyKeyReuseError(remembered.key, remembered.draftId, remembered.commandType);
    }
    const draft = parseDraft(remembered.outcome.draft);
    await authorizeView(actor, actorId, draft, "create", remembered.key);
    return { draft, created: false, event: null, replayed: true };
  }

  /** A new draft (sealed), its `created` entry and its idempotency record. */
  function prepareCreate(
    workspaceId: string,
    draftId: string,
    identity: ParsedCreateDraftInput["identity"],
    actorId: string,
    idempotencyKey: string | null,
    fingerprint: string,
  ): { draft: OnboardingDraft; event: AuditEvent; idempotency: IdempotencyRecord | null } {
    const at = now();
    const draft = sealDraft(
      newDraft({ id: draftId, workspaceId, now: at, actorId, ...(identity === undefined ? {} : { identity }) }),
    );
    const event = auditEvent({
      eventId: ids.eventId(),
      workspaceId,
      draftId,
      kind: "created",
      commandType: "create",
      actorId,
      at,
      toVersion: 1,
      idempotencyKey,
      feedback: Feedback.Applied,
      state: draft.lifecycle.state,
    });
    return { draft, event, idempotency: rememberOutcome(idempotencyKey, "create", fingerprint, event, draft) };
  }

  /** Throws {@link UnknownRunError} when a worker's report names a run the draft never had. */
  async function checkRunKnown(workspaceId: string, draft: OnboardingDraft, command: Command): Promise<void> {
    if (!("runId" in command)) return;
    if (draftHadRun(draft, command.runId)) return;
    if (auditStartedRun(await store.listAudit(workspaceId, draft.id), command.runId)) return;
    throw new UnknownRunError(draft.id, command.runId, command.type);
  }

  async function get(workspaceIdInput: string, draftIdInput: string, actor: TActor): Promise<OnboardingDraft> {
    const workspaceId = checkId(workspaceIdInput, "workspaceId");
    const draftId = checkId(draftIdInput, "draftId");
    const actorId = actorIdOf(actor);
    const draft = await loadDraft(workspaceId, draftId);
    const authorizing = authorizeAll(actor, actorId, [Capability.View], workspaceId, draftId, draft, "get", null);
    if (authorizing !== undefined) await authorizing;
    return draft;
  }

  async function history(workspaceIdInput: string, draftIdInput: string, actor: TActor): Promise<readonly AuditEvent[]> {
    const workspaceId = checkId(workspaceIdInput, "workspaceId");
    const draftId = checkId(draftIdInput, "draftId");
    const actorId = actorIdOf(actor);
    const draft = await loadDraft(workspaceId, draftId);
    const authorizing = authorizeAll(actor, actorId, [Capability.View], workspaceId, draftId, draft, "history", null);
    if (authorizing !== undefined) await authorizing;
    const raw = await store.listAudit(workspaceId, draftId);
    return raw.map((entry, index) => {
      const result = safeParseWithMessages(AuditEventSchema, entry);
      if (!result.success) {
        throw new CorruptRecordError(
          toValidationIssues(result.issues).map((issue) => ({ ...issue, path: ["audit", index, ...issue.path] })),
          draftId,
        );
      }
      return result.data;
    });
  }

  async function list(workspaceIdInput: string, actor: TActor, listOptions: EngineListOptions = {}): Promise<DraftPage> {
    const workspaceId = checkId(workspaceIdInput, "workspaceId");
    const actorId = actorIdOf(actor);
    const checked = safeParseWithMessages(ListOptionsSchema, listOptions);
    if (!checked.success) throw new ValidationError("options", toValidationIssues(checked.issues));
    const { state, cursor } = checked.data;
    if ((await authorize(actor, Capability.View, null)) !== true) {
      throw new AuthorizationError(Capability.View, actorId, null);
    }
    const page = await store.list(workspaceId, {
      limit: checked.data.limit ?? 50,
      ...(state === undefined ? {} : { state }),
      ...(cursor === undefined ? {} : { cursor }),
    });
    const drafts = page.drafts.map((raw) => parseDraft(raw));
    // A page with a foreign draft is refused whole: its cursor may point into that workspace too.
    if (drafts.some((draft) => draft.workspaceId !== workspaceId)) {
      foreignRecord("list");
    }
    return { drafts, nextCursor: page.nextCursor };
  }

  return {
    store,
    policy,
    create,
    get,
    execute: execute as OnboardingEngine<TActor>["execute"],
    history,
    list,
  };
}
