/**
 * Recording an engine's calls into a draft history: each `create`, `get` and `execute` is
 * invoked in the history before the call and settled after it, its answer turned into the
 * version register's terms (a version and a digest of the document), its error into an outcome:
 * a `VersionConflictError` is an answer (a conflict, with the stored version), a `StoreError` an
 * unknown outcome (the write may have happened), any other error of the package a failure
 * (nothing was written).
 */
import { createHash } from "node:crypto";
import { isWorkerCommandType, type CommandInput, type CreateDraftInput } from "../../commands/index.js";
import type {
  Actor,
  CreateOptions,
  CreateResult,
  ExecuteOptions,
  MutationResult,
  OnboardingEngine,
  ReadOptions,
  WorkerExecuteOptions,
} from "../../engine/index.js";
import { encodeDraft } from "../../lifecycle/index.js";
import {
  DraftNotFoundError,
  StoreError,
  VersionConflictError,
  isOnboardingError,
  type OnboardingDraft,
} from "../../record/index.js";
import { createHistory, type History, type HistoryOperation, type HistoryOptions } from "./history.js";
import type { RegisterInput, RegisterOutput } from "./register.js";

/** A history of drafts' version registers, as {@link checkLinearizability} reads it. */
export type DraftHistory = History<RegisterInput, RegisterOutput>;

/** One operation of a {@link DraftHistory}. */
export type DraftOperation = HistoryOperation<RegisterInput, RegisterOutput>;

/**
 * A new, empty {@link DraftHistory} (on its own logical clock, or `options.clock`: pass
 * `wallClock` for a part of a history recorded in several processes, see `mergeHistories`).
 *
 * @example
 * ```ts
 * const history = createDraftHistory();
 * const part = createDraftHistory({ clock: wallClock }); // one process's part
 * ```
 */
export function createDraftHistory(options: HistoryOptions = {}): DraftHistory {
  return createHistory<RegisterInput, RegisterOutput>(options);
}

/**
 * A short digest of a draft's canonical JSON text (`encodeDraft`): two reads see the same
 * document exactly when their digests are equal.
 *
 * @example
 * ```ts
 * declare const draft: OnboardingDraft;
 * draftDigest(draft); // e.g. "3f9a0c41d2b7e655"
 * ```
 */
export function draftDigest(draft: OnboardingDraft): string {
  return createHash("sha256").update(encodeDraft(draft)).digest("hex").slice(0, 16);
}

/**
 * The partition of a draft in a {@link DraftHistory}: its workspace and id.
 *
 * @example
 * ```ts
 * draftPartition("ws-1", "d-1"); // "ws-1/d-1"
 * ```
 */
export function draftPartition(workspaceId: string, draftId: string): string {
  return `${workspaceId}/${draftId}`;
}

/** The engine calls a {@link recordingEngine} records, with the engine's own signatures. */
export interface RecordingEngine<TActor extends Actor = Actor> {
  /** `engine.create` of a draft with a chosen `id` (its partition): a commit from version 0. */
  create(
    workspaceId: string,
    input: CreateDraftInput & {
      /** The new draft's id (required: it names the partition before the call). */
      readonly id: string;
    },
    options: CreateOptions<TActor>,
  ): Promise<CreateResult>;
  /** `engine.get`: a read (a missing draft reads as version 0). */
  get(workspaceId: string, draftId: string, options: ReadOptions<TActor>): Promise<OnboardingDraft>;
  /** `engine.execute`: a commit from `expectedVersion` (from any version for a worker's report). */
  execute(
    workspaceId: string,
    draftId: string,
    command: CommandInput,
    options: ExecuteOptions<TActor> | WorkerExecuteOptions<TActor>,
  ): Promise<MutationResult>;
}

/** Settles an operation that threw, then rethrows. */
function settleError(history: DraftHistory, id: number, error: unknown): never {
  if (error instanceof VersionConflictError) {
    history.ok(id, { type: "conflict", actualVersion: error.actualVersion, value: draftDigest(error.current) });
  } else if (error instanceof StoreError || !isOnboardingError(error)) {
    history.unknown(id);
  } else {
    history.fail(id);
  }
  throw error;
}

function executed(result: MutationResult): RegisterOutput {
  const value = draftDigest(result.draft);
  if (result.replayed) return { type: "committed", version: result.version, value, replayed: true };
  if (result.event !== null) return { type: "committed", version: result.version, value, replayed: false };
  return { type: "unchanged", version: result.version, value };
}

function created(result: CreateResult): RegisterOutput {
  const value = draftDigest(result.draft);
  if (result.created || result.replayed) {
    return { type: "committed", version: result.draft.version, value, replayed: result.replayed };
  }
  // Resumed: the draft already existed, so the create was a conflict from version 0.
  return { type: "conflict", actualVersion: result.draft.version, value };
}

/**
 * Wraps an engine so that every `create`, `get` and `execute` through it is recorded in
 * `history` as one operation of `client`; results and errors pass through unchanged.
 *
 * @example
 * ```ts
 * const history = createDraftHistory();
 * const alice = recordingEngine(engine, history, "alice");
 * await alice.create("ws-1", { id: "d-1" }, { actor }); // a commit from version 0
 * const seen = await alice.get("ws-1", "d-1", { actor });
 * await alice.execute("ws-1", "d-1", { type: "cancel" }, { actor, expectedVersion: seen.version });
 * assertLinearizable(history);
 * ```
 */
export function recordingEngine<TActor extends Actor>(
  engine: OnboardingEngine<TActor>,
  history: DraftHistory,
  client: string,
): RecordingEngine<TActor> {
  return {
    async create(workspaceId, input, options) {
      const key = options.idempotencyKey ?? null;
      const id = history.invoke(draftPartition(workspaceId, input.id), client, {
        type: "commit",
        expectedVersion: 0,
        idempotencyKey: key,
      });
      let result: CreateResult;
      try {
        result = await engine.create(workspaceId, input, options);
      } catch (error) {
        return settleError(history, id, error);
      }
      if (result.draft.id === input.id) history.ok(id, created(result));
      else history.fail(id); // resumed another draft: nothing happened to this one
      return result;
    },
    async get(workspaceId, draftId, options) {
      const id = history.invoke(draftPartition(workspaceId, draftId), client, { type: "read" });
      try {
        const draft = await engine.get(workspaceId, draftId, options);
        history.ok(id, { type: "read", version: draft.version, value: draftDigest(draft) });
        return draft;
      } catch (error) {
        if (error instanceof DraftNotFoundError) history.ok(id, { type: "read", version: 0, value: "" });
        else settleError(history, id, error);
        throw error;
      }
    },
    async execute(workspaceId, draftId, command, options) {
      const worker = isWorkerCommandType(String((command as { readonly type?: unknown }).type));
      const input: RegisterInput = {
        type: "commit",
        expectedVersion: worker ? null : (options.expectedVersion ?? null),
        idempotencyKey: options.idempotencyKey ?? null,
      };
      const id = history.invoke(draftPartition(workspaceId, draftId), client, input);
      try {
        const result = await engine.execute(workspaceId, draftId, command as unknown, options);
        history.ok(id, executed(result));
        return result;
      } catch (error) {
        return settleError(history, id, error);
      }
    },
  };
}
