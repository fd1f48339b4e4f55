import { Capability } from "../vocabulary/index.js";
import {
  AuthorizationError,
  ValidationError,
  safeParseWithMessages,
  toValidationIssues,
  type OnboardingDraft,
} from "../record/index.js";
import type { Access, EngineContext } from "./context.js";
import { ListOptionsSchema } from "./options.js";
import { history, type HistoryOptions, type HistoryPage } from "./history.js";
import type { Actor, DraftPage, ListDraftsOptions, ReadOptions } from "./types.js";

/** The reads of an engine on its shared context: `get`, `history` and `list`. None locks or writes a draft. */
export function createReads<TActor extends Actor>(ctx: EngineContext<TActor>) {
  return {
    get: (workspaceId: string, draftId: string, options: ReadOptions<TActor>): Promise<OnboardingDraft> =>
      get(ctx, workspaceId, draftId, options),
    history: (workspaceId: string, draftId: string, options: HistoryOptions<TActor>): Promise<HistoryPage> =>
      history(
        ctx,
        (ws, id, readOptions) => viewable(ctx, ws, id, readOptions, "history"),
        workspaceId,
        draftId,
        options,
      ),
    list: (workspaceId: string, options: ListDraftsOptions<TActor>): Promise<DraftPage> =>
      list(ctx, workspaceId, options),
  };
}

/** Loads a draft and asks for `view` on it (a denial is audited). */
async function viewable<TActor extends Actor>(
  ctx: EngineContext<TActor>,
  workspaceIdInput: string,
  draftIdInput: string,
  options: ReadOptions<TActor>,
  commandType: string,
): Promise<OnboardingDraft> {
  const workspaceId = ctx.checkId(workspaceIdInput, "workspaceId");
  const draftId = ctx.checkId(draftIdInput, "draftId");
  const actor = options?.actor;
  const actorId = ctx.actorIdOf(actor);
  const draft = await ctx.loadDraft(workspaceId, draftId);
  const access: Access<TActor> = { actor, actorId, workspaceId, draftId, commandType, idempotencyKey: null };
  const authorizing = ctx.authorizeAll(access, [Capability.View], draft);
  if (authorizing !== undefined) await authorizing;
  return draft;
}

async function get<TActor extends Actor>(
  ctx: EngineContext<TActor>,
  workspaceId: string,
  draftId: string,
  options: ReadOptions<TActor>,
): Promise<OnboardingDraft> {
  return viewable(ctx, workspaceId, draftId, options, "get");
}

async function list<TActor extends Actor>(
  ctx: EngineContext<TActor>,
  workspaceIdInput: string,
  options: ListDraftsOptions<TActor>,
): Promise<DraftPage> {
  const workspaceId = ctx.checkId(workspaceIdInput, "workspaceId");
  const { actor, ...listOptions } = options ?? ({} as ListDraftsOptions<TActor>);
  const actorId = ctx.actorIdOf(actor);
  const checked = safeParseWithMessages(ListOptionsSchema, listOptions);
  if (!checked.success) throw new ValidationError("options", toValidationIssues(checked.issues));
  const { state, cursor } = checked.data;
  if ((await ctx.authorize(actor, Capability.View, null)) !== true) {
    throw new AuthorizationError(Capability.View, actorId, null);
  }
  const page = await ctx.store.list(workspaceId, {
    limit: checked.data.limit ?? 50,
    ...(state === undefined ? {} : { state }),
    ...(cursor === undefined ? {} : { cursor }),
  });
  const drafts = page.drafts.map((stored) => ctx.documents.decode(stored, workspaceId, stored.draftId));
  // A page with a foreign draft is refused whole: its cursor may point into that workspace too.
  if (drafts.some((draft) => draft.workspaceId !== workspaceId)) ctx.foreignRecord("list");
  return { drafts, nextCursor: page.nextCursor };
}
