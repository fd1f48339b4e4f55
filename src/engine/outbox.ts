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

/** Whether a draft can have active runs: not terminal, with a provider. */
const isOpen = (draft: OnboardingDraft): boolean => !isTerminal(draft.lifecycle.state) && draft.provider !== null;

const NONE: readonly ActiveRun[] = [];

/** The verification run, when it is current (not stale) and queued or running. */
function activeVerification(draft: OnboardingDraft): readonly ActiveRun[] {
  const verification = draft.verification;
  if (!isOpen(draft) || verification === null || !isActiveRunStatus(verification.status)) return NONE;
  if (isVerificationStale(draft)) return NONE;
  return [
    {
      runId: verification.runId,
      checkpoint: "verify_access",
      operation: verification.operation,
      providerConnectionId: verification.providerConnectionId,
      providerRevision: verification.providerRevision,
    },
  ];
}

/** The current bootstrap runs that are queued or running. */
function activeBootstrap(draft: OnboardingDraft): readonly ActiveRun[] {
  const provider = draft.provider;
  if (!isOpen(draft) || provider === null || draft.bootstrap === null) return NONE;
  const runs: ActiveRun[] = [];
  for (const run of currentBootstrapRuns(draft)) {
    if (!isActiveRunStatus(run.status)) continue;
    runs.push({
      runId: run.runId,
      checkpoint: "bootstrap",
      operation: run.operation,
      providerConnectionId: provider.connectionId,
      providerRevision: provider.revision,
    });
  }
  return runs;
}

/** The current, active runs of a draft (none on a terminal draft), by run id. */
export function activeRuns(draft: OnboardingDraft): Map<string, ActiveRun> {
  const runs = new Map<string, ActiveRun>();
  for (const run of [...activeVerification(draft), ...activeBootstrap(draft)]) runs.set(run.runId, run);
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
  /** Entry ids come from `ids.eventId()`. */
  readonly ids: { eventId(): string };
}

/** Appends the entry of `run` to `entries`. */
function addEntry(
  entries: OutboxEntry[],
  next: OnboardingDraft,
  stamp: OutboxStamp,
  run: ActiveRun,
  kind: OutboxKind,
): void {
  entries.push({
    entryId: stamp.ids.eventId(),
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
}

function hasRun(runs: readonly ActiveRun[], runId: string): boolean {
  for (const run of runs) if (run.runId === runId) return true;
  return false;
}

/** Entries for the runs that left (`run.cancelled`, unless `reported` ended it) and joined (`run.requested`). */
function diffRuns(
  entries: OutboxEntry[],
  next: OnboardingDraft,
  stamp: OutboxStamp,
  reported: string | null,
  before: readonly ActiveRun[],
  after: readonly ActiveRun[],
): void {
  for (const run of before) {
    if (run.runId !== reported && !hasRun(after, run.runId))
      addEntry(entries, next, stamp, run, OutboxKind.RunCancelled);
  }
  for (const run of after) if (!hasRun(before, run.runId)) addEntry(entries, next, stamp, run, OutboxKind.RunRequested);
}

/**
 * The outbox entries of a commit from `previous` to `next`: `run.requested` for every run that is
 * active in `next` but was not in `previous`, `run.cancelled` for every run that was active and no
 * longer is, unless the command is the worker's own result for that run (the worker knows).
 * Pure apart from the injected entry ids; `[]` for most commits. The verification and the
 * bootstrap runs are compared separately, each only when its part of the draft changed.
 */
export function outboxEntriesOf(
  previous: OnboardingDraft,
  next: OnboardingDraft,
  command: Command,
  stamp: OutboxStamp,
): OutboxEntry[] {
  if (sameRuns(previous, next)) return [];
  const reported =
    command.type === "record_verification_result" || command.type === "record_bootstrap_result" ? command.runId : null;
  const entries: OutboxEntry[] = [];
  const openChanged = isOpen(previous) !== isOpen(next) || previous.provider !== next.provider;
  if (openChanged || previous.verification !== next.verification) {
    diffRuns(entries, next, stamp, reported, activeVerification(previous), activeVerification(next));
  }
  if (openChanged || previous.bootstrap !== next.bootstrap) {
    diffRuns(entries, next, stamp, reported, activeBootstrap(previous), activeBootstrap(next));
  }
  return entries;
}
