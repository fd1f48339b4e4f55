import { Capability } from "../vocabulary/index.js";
import {
  IdempotencyKeyReuseError,
  OpenDraftExistsError,
  RetryExhaustedError,
  DraftNotFoundError,
  ValidationError,
  type AuditEvent,
  type IdempotencyRecord,
  type OnboardingDraft,
} from "../record/index.js";
import { parseDraft, sealDraft } from "../lifecycle/index.js";
import { Feedback, newDraft, parseCreateInput, type ParsedCreateDraftInput } from "../commands/index.js";
import type { WriteResult } from "../store/index.js";
import { auditEvent } from "./audit.js";
import type { Access, EngineContext } from "./context.js";
import { rememberOutcome } from "./execute.js";
import type { Actor, CreateOptions, CreateResult } from "./types.js";

/** One validated `create` call. */
interface CreateRequest<TActor extends Actor> extends Access<TActor> {
  readonly identity: ParsedCreateDraftInput["identity"];
  readonly onExisting: "resume" | "error";
  readonly fingerprint: string;
}

/** The `create` operation of an engine on its shared context. */
export function createCreate<TActor extends Actor>(ctx: EngineContext<TActor>) {
  return (workspaceId: string, input: unknown, options: CreateOptions<TActor>): Promise<CreateResult> =>
    create(ctx, workspaceId, input, options);
}

function toRequest<TActor extends Actor>(
  ctx: EngineContext<TActor>,
  workspaceIdInput: string,
  input: unknown,
  options: CreateOptions<TActor>,
): CreateRequest<TActor> {
  const workspaceId = ctx.checkId(workspaceIdInput, "workspaceId");
  const parsed = parseCreateInput(input);
  const actor = options?.actor;
  const actorId = ctx.actorIdOf(actor);
  const idempotencyKey = ctx.checkKey(options.idempotencyKey);
  const onExisting = options.onExisting ?? "error";
  if (onExisting !== "resume" && onExisting !== "error") {
    throw new ValidationError("options", [
      { code: "invalid_value", path: ["onExisting"], message: 'onExisting must be "resume" or "error"' },
    ]);
  }
  const draftId = parsed.id ?? ctx.ids.draftId();
  const fingerprint = JSON.stringify(["create", parsed.id ?? null, parsed.identity ?? null]);
  return {
    workspaceId,
    draftId,
    actor,
    actorId,
    idempotencyKey,
    onExisting,
    fingerprint,
    identity: parsed.identity,
    commandType: "create",
  };
}

async function create<TActor extends Actor>(
  ctx: EngineContext<TActor>,
  workspaceIdInput: string,
  input: unknown,
  options: CreateOptions<TActor>,
): Promise<CreateResult> {
  const request = toRequest(ctx, workspaceIdInput, input, options);
  const authorizing = ctx.authorizeAll(request, [Capability.Create], null);
  if (authorizing !== undefined) await authorizing;
  for (let attempt = 1; attempt <= 3; attempt += 1) {
    const existing = await existingOutcome(ctx, request);
    if (existing !== null) return existing;
    const { draft, event, idempotency } = prepareCreate(ctx, request);
    const written = await insert(ctx, draft, event, idempotency);
    if (written.ok) {
      if (ctx.events.active) {
        const { at, workspaceId, draftId, actorId } = event;
        const tenantId = draft.identity?.tenantId ?? null;
        ctx.events.emit({
          type: "draft.created",
          at,
          workspaceId,
          draftId,
          actorId,
          tenantId,
          state: draft.lifecycle.state,
        });
      }
      return { draft, created: true, event, replayed: false };
    }
    // Every rejection goes round again: the next pass replays a concurrent request with the same
    // key (whose draft is what the insert ran into), or finds and reports the tenant's open draft
    // (asking for `view` first), or inserts after that draft closed.
    if (written.reason === "draft_exists" && (request.idempotencyKey === null || attempt > 1)) {
      throw new ValidationError("create", [
        { code: "custom", path: ["id"], message: `a draft with id ${request.draftId} already exists` },
      ]);
    }
    if (written.reason === "version_conflict") throw new DraftNotFoundError(request.workspaceId, request.draftId);
  }
  throw new RetryExhaustedError(request.draftId, 3);
}

/** Inserts a new draft with its canonical text (encoded once, unless the store keeps values), followed by the cache. */
async function insert<TActor extends Actor>(
  ctx: EngineContext<TActor>,
  draft: OnboardingDraft,
  event: AuditEvent,
  idempotency: IdempotencyRecord | null,
): Promise<WriteResult> {
  const document = ctx.documentOf(draft); // encoded once; "" for a store of values
  let written: WriteResult;
  try {
    written = await ctx.store.insert({ draft, document, event, idempotency });
  } catch (error) {
    ctx.documents.forget(draft.workspaceId, draft.id); // the outcome is unknown
    throw error;
  }
  if (written.ok) ctx.documents.wrote(draft, document === "" ? undefined : document);
  return written;
}

/** A replay of the key's first outcome, or the tenant's open draft (resumed or refused), or `null`. */
async function existingOutcome<TActor extends Actor>(
  ctx: EngineContext<TActor>,
  request: CreateRequest<TActor>,
): Promise<CreateResult | null> {
  const key = request.idempotencyKey;
  if (key !== null) {
    const remembered = await ctx.loadIdempotency(request.workspaceId, key);
    if (remembered !== null) return replayCreate(ctx, request, remembered);
  }
  const tenantId = request.identity?.tenantId;
  if (tenantId === undefined) return null;
  const open = await ctx.findOpenDraft(request.workspaceId, tenantId);
  if (open === null) return null;
  // A concurrent request with the same key may have committed between the two reads: its draft
  // and its record become visible together, so once the draft is seen, so is the record.
  const late = key === null ? null : await ctx.loadIdempotency(request.workspaceId, key);
  if (late !== null) return replayCreate(ctx, request, late);
  await ctx.authorizeView(request, open);
  if (request.onExisting === "error") throw new OpenDraftExistsError(request.workspaceId, tenantId, open.id);
  return { draft: open, created: false, event: null, replayed: false };
}

/** The remembered outcome of an earlier create with the same key (needs `view` on its draft). */
async function replayCreate<TActor extends Actor>(
  ctx: EngineContext<TActor>,
  request: CreateRequest<TActor>,
  remembered: IdempotencyRecord,
): Promise<CreateResult> {
  if (remembered.commandType !== "create" || remembered.fingerprint !== request.fingerprint) {
    throw new IdempotencyKeyReuseError(remembered.key, remembered.draftId, remembered.commandType);
  }
  const draft = parseDraft(remembered.outcome.draft);
  await ctx.authorizeView(request, draft);
  if (ctx.events.active) {
    const { workspaceId, actorId } = request;
    const at = ctx.now();
    const version = remembered.outcome.version;
    ctx.events.emit({
      type: "command.replayed",
      at,
      workspaceId,
      draftId: draft.id,
      commandType: "create",
      actorId,
      version,
    });
  }
  return { draft, created: false, event: null, replayed: true };
}

/** A new draft (sealed), its `created` entry and its idempotency record. */
function prepareCreate<TActor extends Actor>(
  ctx: EngineContext<TActor>,
  request: CreateRequest<TActor>,
): { draft: OnboardingDraft; event: AuditEvent; idempotency: IdempotencyRecord | null } {
  const at = ctx.now();
  const { workspaceId, draftId, actorId, identity } = request;
  const draft = sealDraft(
    newDraft({ id: draftId, workspaceId, now: at, actorId, ...(identity === undefined ? {} : { identity }) }),
  );
  const event = auditEvent({
    eventId: ctx.ids.eventId(),
    workspaceId,
    draftId,
    kind: "created",
    commandType: "create",
    actorId,
    at,
    toVersion: 1,
    idempotencyKey: request.idempotencyKey,
    feedback: Feedback.Applied,
    state: draft.lifecycle.state,
  });
  return {
    draft,
    event,
    idempotency: rememberOutcome(request.idempotencyKey, "create", request.fingerprint, event, draft),
  };
}
