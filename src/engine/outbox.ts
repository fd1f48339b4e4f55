import type { OutboxEntry, OnboardingDraft } from "../record/index.js";
import { currentBootstrapRuns, isVerificationStale } from "../lifecycle/index.js";
import { OutboxKind, isActiveRunStatus, isTerminal, type RunCheckpoint } from "../vocabulary/index.js";
import type { Command } from "../commands/index.js";

/** A run that is current and queued or running, with what an outbox entry says about it. */
interface ActiveRun {
  readonly runId: string;
  readonly checkpoint: RunCheckpoint;
  readonly operation: string;
  readonly providerConnectionId: string;
  readonly providerRevision: number;
}

/** The current, active runs of a draft (none on a terminal draft), by run id. */
export function activeRuns(draft: OnboardingDraft): Map<string, ActiveRun> {
  const runs = new Map<string, ActiveRun>();
  if (isTerminal(draft.lifecycle.state) || draft.provider === null) return runs;
  const verification = draft.verification;
  if (verification !== null && isActiveRunStatus(verification.status) && !isVerificationStale(draft)) {
    runs.set(verification.runId, {
      runId: verification.runId,
      checkpoint: "verify_access",
      operation: verification.operation,
      providerConnectionId: verification.providerConnectionId,
      providerRevision: verification.providerRevision,
    });
  }
  const provider = draft.provider;
  for (const run of currentBootstrapRuns(draft)) {
    if (!isActiveRunStatus(run.status)) continue;
    runs.set(run.runId, {
      runId: run.runId,
      checkpoint: "bootstrap",
      operation: run.operation,
      providerConnectionId: provider.connectionId,
      providerRevision: provider.revision,
    });
  }
  return runs;
}

/**
 * Whether a commit cannot have changed which runs are active: the reducers share every part they
 * do not change (immer), so the same run, provider and terminal parts mean the same active runs.
 * Most commits take this exit and pay nothing for the outbox.
 */
function sameRuns(previous: OnboardingDraft, next: OnboardingDraft): boolean {
  return (
    previous.verification === next.verification &&
    previous.bootstrap === next.bootstrap &&
    previous.provider === next.provider &&
    previous.cancellation === next.cancellation &&
    previous.activation === next.activation
  );
}

/** What a commit's entries have in common: where, when, and which commit. */
export interface OutboxStamp {
  readonly eventId: string;
  readonly createdAt: string;
  readonly nextEntryId: () => string;
}

/**
 * The outbox entries of a commit from `previous` to `next`: `run.requested` for every run that is
 * active in `next` but was not in `previous`, `run.cancelled` for every run that was active and no
 * longer is, unless the command is the worker's own result for that run (the worker knows).
 * Pure apart from the injected entry ids; `[]` for most commits.
 */
export function outboxEntriesOf(
  previous: OnboardingDraft,
  next: OnboardingDraft,
  command: Command,
  stamp: OutboxStamp,
): OutboxEntry[] {
  if (sameRuns(previous, next)) return [];
  const before = activeRuns(previous);
  const after = activeRuns(next);
  if (before.size === 0 && after.size === 0) return [];
  const reported =
    command.type === "record_verification_result" || command.type === "record_bootstrap_result" ? command.runId : null;
  const entries: OutboxEntry[] = [];
  const add = (run: ActiveRun, kind: OutboxKind): void => {
    entries.push({
      entryId: stamp.nextEntryId(),
      workspaceId: next.workspaceId,
      draftId: next.id,
      runId: run.runId,
      kind,
      checkpoint: run.checkpoint,
      operation: run.operation,
      providerConnectionId: run.providerConnectionId,
      providerRevision: run.providerRevision,
      draftVersion: next.version,
      eventId: stamp.eventId,
      createdAt: stamp.createdAt,
    });
  };
  for (const run of before.values()) {
    if (!after.has(run.runId) && run.runId !== reported) add(run, OutboxKind.RunCancelled);
  }
  for (const run of after.values()) {
    if (!before.has(run.runId)) add(run, OutboxKind.RunRequested);
  }
  return entries;
}
