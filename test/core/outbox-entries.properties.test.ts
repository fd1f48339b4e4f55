/**
 * Property tests of `outboxEntriesOf`, the pure function that decides which outbox entries a
 * commit writes: over random drafts (structural and reachable) and random commands applied by
 * the reducer, the entries are exactly the runs that became active (`run.requested`) and the
 * runs that stopped being active (`run.cancelled`), except a worker's own result for its run.
 * fast-check prints the seed and the counterexample path on failure.
 */
import { describe, expect } from "vitest";
import { fc, test } from "@fast-check/vitest";
import { applyCommand, parseCommand, type Command, type CommandOutcome } from "../../src/commands/index.js";
import { activeRuns, outboxEntriesOf } from "../../src/engine/outbox.js";
import type { OnboardingDraft, OutboxEntry } from "../../src/record/index.js";
import {
  commandArbitrary,
  reachableDraftArbitrary,
  runIdsOf,
  structuralDraftArbitrary,
  testContext,
} from "../../src/testing/arbitraries.js";
import { OutboxKind } from "../../src/vocabulary/index.js";

const NUM_RUNS = 300;

/** A draft, and a command whose run ids are mostly the draft's own (current and superseded runs). */
const draftAndCommand = fc
  .oneof(structuralDraftArbitrary(), reachableDraftArbitrary())
  .chain((draft) => fc.tuple(fc.constant(draft), commandArbitrary(runIdsOf(draft))));

/** The command applied by the reducer, or `null` when the reducer refuses it. */
function applied(draft: OnboardingDraft, command: Command): CommandOutcome | null {
  try {
    return applyCommand(draft, command, testContext({ seed: "new-run" }));
  } catch {
    return null;
  }
}

const STAMP_AT = "2026-02-03T04:05:06.789Z";

function entriesOf(previous: OnboardingDraft, next: OnboardingDraft, command: Command): OutboxEntry[] {
  let n = 0;
  return outboxEntriesOf(previous, next, command, {
    eventId: "event-1",
    createdAt: STAMP_AT,
    ids: { eventId: () => `entry-${(n += 1)}` },
  });
}

/** The run a worker's result reports on: its own run never gets `run.cancelled`. */
function ownResult(command: Command): string | null {
  return command.type === "record_verification_result" || command.type === "record_bootstrap_result"
    ? command.runId
    : null;
}

const sorted = (ids: Iterable<string>): string[] => [...ids].sort();

describe("outboxEntriesOf", () => {
  test.prop([draftAndCommand], { numRuns: NUM_RUNS })(
    "entries are the symmetric difference of the active runs before and after, minus a worker's own result",
    ([draft, input]) => {
      const command = parseCommand(input);
      const outcome = applied(draft, command);
      fc.pre(outcome !== null);
      const next = outcome.draft;
      const before = activeRuns(draft);
      const after = activeRuns(next);
      const entries = entriesOf(draft, next, command);
      const own = ownResult(command);
      const cancelled = [...before.keys()].filter((runId) => !after.has(runId) && runId !== own);
      const requested = [...after.keys()].filter((runId) => !before.has(runId));
      const of = (kind: OutboxKind): string[] => entries.filter((e) => e.kind === kind).map((e) => e.runId);
      expect(sorted(of(OutboxKind.RunCancelled))).toEqual(sorted(cancelled));
      expect(sorted(of(OutboxKind.RunRequested))).toEqual(sorted(requested));
      expect(entries).toHaveLength(cancelled.length + requested.length);
      if (!outcome.changed) expect(entries).toEqual([]);
    },
  );

  test.prop([draftAndCommand], { numRuns: NUM_RUNS })(
    "ids are unique; each entry names the commit, the draft and the run as the draft has it",
    ([draft, input]) => {
      const command = parseCommand(input);
      const outcome = applied(draft, command);
      fc.pre(outcome !== null);
      const next = outcome.draft;
      const entries = entriesOf(draft, next, command);
      expect(new Set(entries.map((entry) => entry.entryId)).size).toBe(entries.length);
      expect(new Set(entries.map((entry) => `${entry.kind} ${entry.runId}`)).size).toBe(entries.length);
      for (const entry of entries) {
        const run =
          entry.kind === OutboxKind.RunRequested
            ? activeRuns(next).get(entry.runId)
            : activeRuns(draft).get(entry.runId);
        expect(run).toBeDefined();
        expect(entry).toEqual({
          entryId: entry.entryId,
          workspaceId: next.workspaceId,
          draftId: next.id,
          runId: entry.runId,
          kind: entry.kind,
          checkpoint: run?.checkpoint,
          operation: run?.operation,
          providerConnectionId: run?.providerConnectionId,
          providerRevision: run?.providerRevision,
          draftVersion: next.version,
          eventId: "event-1",
          createdAt: STAMP_AT,
        });
      }
    },
  );

  test.prop([draftAndCommand], { numRuns: NUM_RUNS })(
    "starts write run.requested for exactly the runs they queue; a terminal draft has no active run",
    ([draft, input]) => {
      // A structural draft may hold a verification without a provider (the commands never
      // produce one: a provider is never removed, and verifying needs one). `activeRuns` lists
      // no run there, so a start on it would queue runs the outbox never hears of.
      fc.pre(draft.provider !== null);
      const command = parseCommand(input);
      const outcome = applied(draft, command);
      fc.pre(outcome !== null);
      const entries = entriesOf(draft, outcome.draft, command);
      const requested = entries.filter((entry) => entry.kind === OutboxKind.RunRequested).map((e) => e.runId);
      const starts = command.type === "start_verification" || command.type === "start_bootstrap";
      if (starts && outcome.feedback === "queued") expect(sorted(requested)).toEqual(sorted(outcome.runIds));
      else expect(requested).toEqual([]);
      if (outcome.draft.lifecycle.state === "completed" || outcome.draft.lifecycle.state === "cancelled") {
        expect(activeRuns(outcome.draft).size).toBe(0);
      }
    },
  );
});
