/**
 * Property-based tests of the pure core over random drafts (structural: every schema-valid
 * combination; reachable: produced by the commands) and random command sequences. fast-check
 * prints the seed and the counterexample path on failure; replay with `{ seed, path }`.
 */
import { describe, expect } from "vitest";
import { fc, test } from "@fast-check/vitest";
import {
  applyCommand,
  isWorkerCommand,
  newDraft,
  parseCommand,
  type Command,
  type CommandInput,
  type CommandOutcome,
} from "../../src/commands/index.js";
import {
  BOOTSTRAP_ACTIVE,
  BOOTSTRAP_FAILED,
  BOOTSTRAP_STARTED,
  bootstrapRunFlags,
  currentBootstrapRuns,
  describeDraft,
  deriveLifecycle,
  isVerificationStale,
  latestBootstrapRun,
  encodeDraft,
  evaluateReadiness,
  parseDraft,
  resolveStage,
  type ReadinessPolicy,
} from "../../src/lifecycle/index.js";
import {
  InvalidTransitionError,
  NotReadyError,
  RunActiveError,
  TerminalDraftError,
  type OnboardingDraft,
} from "../../src/record/index.js";
import {
  commandArbitrary,
  happyPathCommand,
  reachableDraftArbitrary,
  structuralDraftArbitrary,
  testContext,
  timestampArbitrary,
} from "../../src/testing/arbitraries.js";
import {
  OVERRIDABLE_BLOCKER_CODES,
  isActiveRunStatus,
  isTerminal,
  type Blocker,
  type BlockerCode,
  type Checkpoint,
} from "../../src/vocabulary/index.js";
import { deepFreeze } from "./fixtures.js";

const NUM_RUNS = 200;
const RUN_IDS = Array.from({ length: 8 }, (_, i) => `run-${i + 1}`);

/** Either kind of draft. */
const anyDraft = fc.oneof(structuralDraftArbitrary(), reachableDraftArbitrary());

/** Readiness policies within what the engine accepts. */
const policyArbitrary: fc.Arbitrary<ReadinessPolicy> = fc
  .record(
    {
      verificationMaxAgeMs: fc.integer({ min: 0, max: 400 * 24 * 3600 * 1000 }),
      requiredBootstrapOperations: fc.subarray(["sync_directory", "apply_baseline", "invite_admins"]),
      overridableBlockers: fc.subarray([...OVERRIDABLE_BLOCKER_CODES]),
    },
    { requiredKeys: [] },
  )
  .map((policy) => policy as ReadinessPolicy);

const nowArbitrary = timestampArbitrary;

/** A command sequence with a bias towards the happy path, so late states are reached. */
const stepsArbitrary = fc.array(fc.tuple(fc.nat({ max: 9 }), commandArbitrary(RUN_IDS)), {
  minLength: 1,
  maxLength: 30,
});

const REFUSALS = [InvalidTransitionError, NotReadyError, RunActiveError, TerminalDraftError] as const;

/** Applies a command; a refusal must be one of the typed guard errors and leaves the draft. */
function step(draft: OnboardingDraft, input: CommandInput, context = testContext()): CommandOutcome | null {
  try {
    return applyCommand(draft, parseCommand(input), context);
  } catch (error) {
    if (REFUSALS.some((type) => error instanceof type)) return null;
    throw error;
  }
}

/** Runs a sequence against a fresh draft, calling `check` after every step. */
function runSequence(
  steps: readonly (readonly [number, CommandInput])[],
  check: (
    before: OnboardingDraft,
    outcome: CommandOutcome | null,
    snapshot: OnboardingDraft,
    input: CommandInput,
  ) => void,
  policy: ReadinessPolicy = {},
): OnboardingDraft {
  const context = testContext({ policy });
  let draft = newDraft({ id: "d-1", workspaceId: "ws-1", now: context.now, actorId: "tester" });
  for (const [bias, random] of steps) {
    const input = bias < 4 ? happyPathCommand(draft) : random;
    const snapshot = structuredClone(draft);
    const outcome = step(deepFreeze(draft), input, context);
    check(draft, outcome, snapshot, input);
    if (outcome !== null) draft = outcome.draft;
  }
  return draft;
}

describe("reducer invariants over random command sequences", () => {
  test.prop([stepsArbitrary], { numRuns: NUM_RUNS })(
    "the stored lifecycle equals deriveLifecycle after every step",
    (steps) => {
      runSequence(steps, (_before, outcome) => {
        if (outcome !== null) expect(outcome.draft.lifecycle).toEqual(deriveLifecycle(outcome.draft));
      });
    },
  );

  test.prop([stepsArbitrary], { numRuns: NUM_RUNS })(
    "version grows by exactly 1 when changed, 0 otherwise; unchanged returns the same draft",
    (steps) => {
      runSequence(steps, (before, outcome) => {
        if (outcome === null) return;
        if (outcome.changed) {
          expect(outcome.draft.version).toBe(before.version + 1);
          expect(outcome.draft).not.toBe(before);
        } else {
          expect(outcome.draft).toBe(before);
          expect(outcome.draft.version).toBe(before.version);
        }
      });
    },
  );

  test.prop([stepsArbitrary], { numRuns: NUM_RUNS })("reducers never mutate their input", (steps) => {
    runSequence(steps, (before, _outcome, snapshot) => {
      // `before` was deep-frozen (a write would throw in strict mode) and still equals its clone.
      expect(before).toEqual(snapshot);
    });
  });

  test.prop([stepsArbitrary, policyArbitrary], { numRuns: NUM_RUNS })(
    "every draft reached is parseable, and readiness agrees with the lifecycle",
    (steps, policy) => {
      runSequence(
        steps,
        (_before, outcome) => {
          if (outcome === null) return;
          const draft = outcome.draft;
          expect(parseDraft(JSON.parse(encodeDraft(draft)))).toEqual(draft);
          const readiness = evaluateReadiness(draft, policy, { now: Date.parse(draft.updatedAt) });
          if (readiness.ready || readiness.overridable) expect(draft.lifecycle.state).toBe("ready_for_activation");
        },
        policy,
      );
    },
  );
});

describe("terminal states absorb every command", () => {
  const terminalDraft = fc
    .tuple(anyDraft, fc.boolean(), timestampArbitrary)
    .map(([draft, cancel, at]): OnboardingDraft => {
      const next = cancel
        ? { ...draft, cancellation: draft.cancellation ?? { at, by: "u", reason: null } }
        : { ...draft, cancellation: null, activation: draft.activation ?? { at, by: "u", override: null } };
      return { ...next, lifecycle: deriveLifecycle(next) };
    });

  test.prop([terminalDraft, commandArbitrary(RUN_IDS)], { numRuns: NUM_RUNS })(
    "operator commands throw TerminalDraftError, worker reports are ignored_terminal; the draft is unchanged",
    (draft, input) => {
      expect(isTerminal(draft.lifecycle.state)).toBe(true);
      const frozen = deepFreeze(structuredClone(draft));
      const command = parseCommand(input);
      if (isWorkerCommand(command)) {
        const outcome = applyCommand(frozen, command, testContext());
        expect(outcome).toEqual({
          changed: false,
          draft: frozen,
          feedback: "ignored_terminal",
          runIds: [command.runId],
        });
        expect(outcome.draft).toBe(frozen);
      } else {
        expect(() => applyCommand(frozen, command, testContext())).toThrow(TerminalDraftError);
      }
      expect(frozen).toEqual(draft);
    },
  );
});

describe("readiness and lifecycle agree", () => {
  test.prop([anyDraft, policyArbitrary, nowArbitrary], { numRuns: NUM_RUNS })(
    "ready || overridable implies ready_for_activation (any policy)",
    (draft, policy, now) => {
      const readiness = evaluateReadiness(draft, policy, { now });
      if (readiness.ready || readiness.overridable) expect(deriveLifecycle(draft).state).toBe("ready_for_activation");
      expect(readiness.ready).toBe(readiness.blockers.length === 0);
      expect(readiness.ready && readiness.overridable).toBe(false);
    },
  );

  test.prop([anyDraft], { numRuns: NUM_RUNS })(
    "with the default policy, ready_for_activation is exactly ready || overridable",
    (draft) => {
      const readiness = evaluateReadiness(draft);
      expect(deriveLifecycle(draft).state === "ready_for_activation").toBe(readiness.ready || readiness.overridable);
    },
  );
});

describe("a provider change is never ready", () => {
  const openDraft = anyDraft.filter(
    (draft) => !isTerminal(draft.lifecycle.state) && draft.identity !== null && draft.provider !== null,
  );

  test.prop([openDraft, fc.constantFrom("a", "b", "c", "d", "conn-2", "conn-x"), policyArbitrary, nowArbitrary], {
    numRuns: NUM_RUNS,
  })("select_provider with a different connection", (draft, connectionId, policy, now) => {
    fc.pre(draft.provider?.connectionId !== connectionId);
    const outcome = applyCommand(
      draft,
      parseCommand({ type: "select_provider", connectionId }),
      testContext({ policy }),
    );
    expect(outcome.changed).toBe(true);
    const readiness = evaluateReadiness(outcome.draft, policy, { now });
    expect(readiness).toMatchObject({ ready: false, overridable: false });
    expect(outcome.draft.lifecycle.state).toBe("draft");
  });

  test.prop([openDraft, policyArbitrary, nowArbitrary], { numRuns: NUM_RUNS })(
    "update_provider_connection",
    (draft, policy, now) => {
      const connectionId = draft.provider?.connectionId ?? "";
      const outcome = applyCommand(
        draft,
        parseCommand({ type: "update_provider_connection", connectionId }),
        testContext({ policy }),
      );
      expect(outcome.changed).toBe(true);
      const readiness = evaluateReadiness(outcome.draft, policy, { now });
      expect(readiness).toMatchObject({ ready: false, overridable: false });
      // Also on structural drafts whose verification is pinned to a revision newer than the
      // provider's (never produced by the commands): the new revision passes it.
      expect(outcome.draft.lifecycle.state).toBe("draft");
    },
  );
});

describe("pure functions are deterministic", () => {
  test.prop([anyDraft, policyArbitrary, nowArbitrary], { numRuns: NUM_RUNS })(
    "derive, readiness, stage, presenter and codec give deep-equal results twice",
    (draft, policy, now) => {
      const copy = structuredClone(draft);
      expect(deriveLifecycle(copy)).toEqual(deriveLifecycle(draft));
      expect(evaluateReadiness(copy, policy, { now })).toEqual(evaluateReadiness(draft, policy, { now }));
      expect(resolveStage(copy, { pollIntervalMs: 1234 })).toEqual(resolveStage(draft, { pollIntervalMs: 1234 }));
      const options = { policy, now, runUrl: (id: string) => `/runs/${id}` };
      expect(JSON.stringify(describeDraft(copy, options))).toBe(JSON.stringify(describeDraft(draft, options)));
      expect(encodeDraft(copy)).toBe(encodeDraft(draft));
      expect(parseDraft(JSON.parse(encodeDraft(copy)))).toEqual(parseDraft(JSON.parse(encodeDraft(draft))));
      expect(copy).toEqual(draft);
    },
  );

  test.prop([anyDraft, commandArbitrary(RUN_IDS)], { numRuns: NUM_RUNS })(
    "applyCommand with equal contexts gives equal outcomes",
    (draft, input) => {
      const command: Command = parseCommand(input);
      const run = (): unknown => {
        try {
          return applyCommand(structuredClone(draft), command, testContext({ policy: {} }));
        } catch (error) {
          return { threw: (error as Error).constructor.name, json: JSON.stringify(error) };
        }
      };
      expect(run()).toEqual(run());
    },
  );

  test.prop([anyDraft, commandArbitrary(RUN_IDS)], { numRuns: NUM_RUNS })(
    "single commands on any draft: lifecycle re-derived, version +1 iff changed, input untouched",
    (draft, input) => {
      const inputs = [input, happyPathCommand(draft)];
      for (const candidate of inputs) {
        const snapshot = structuredClone(draft);
        const outcome = step(deepFreeze(draft), candidate);
        expect(draft).toEqual(snapshot);
        if (outcome === null) continue;
        expect(outcome.draft.lifecycle).toEqual(deriveLifecycle(outcome.draft));
        expect(outcome.draft.version - draft.version).toBe(outcome.changed ? 1 : 0);
      }
    },
  );
});

describe("codec round-trip", () => {
  /** Shuffles object keys recursively, as a database returning JSON might. */
  const shuffled = (value: unknown, seed: number): unknown => {
    if (Array.isArray(value)) return value.map((v, i) => shuffled(v, seed + i));
    if (typeof value === "object" && value !== null) {
      const entries = Object.entries(value);
      entries.sort(
        (a, b) =>
          ((a[0].charCodeAt(0) * 31 + seed) % 7) - ((b[0].charCodeAt(0) * 31 + seed) % 7) || (seed % 2 ? 1 : -1),
      );
      return Object.fromEntries(entries.map(([k, v]) => [k, shuffled(v, seed + k.length)]));
    }
    return value;
  };

  test.prop([anyDraft, fc.nat()], { numRuns: NUM_RUNS })(
    "encodeDraft(parseDraft(JSON.parse(encodeDraft(d)))) is encodeDraft(d), byte for byte, whatever the key order",
    (draft, seed) => {
      const encoded = encodeDraft(draft);
      expect(encodeDraft(parseDraft(JSON.parse(encoded)))).toBe(encoded);
      const reordered = JSON.stringify(shuffled(JSON.parse(encoded), seed));
      expect(encodeDraft(parseDraft(JSON.parse(reordered)))).toBe(encoded);
      expect(parseDraft(JSON.parse(encoded))).toEqual(draft);
    },
  );
});

/**
 * The straightforward readiness evaluator the optimised one replaced (allocation-heavy but
 * obviously right): a model the fast path must agree with, blocker for blocker.
 */
function referenceReadiness(draft: OnboardingDraft, policy: ReadinessPolicy, now: string) {
  const overridable = policy.overridableBlockers ?? ["verification_warnings"];
  const blockers: Pick<Blocker, "code" | "checkpoint" | "overridable">[] = [];
  const add = (code: BlockerCode, checkpoint: Checkpoint): void => {
    blockers.push({ code, checkpoint, overridable: (overridable as readonly string[]).includes(code) });
  };
  if (isTerminal(deriveLifecycle(draft).state)) add("terminal", "activate");
  else {
    if (draft.identity === null) add("identity_missing", "identify");
    if (draft.provider === null) add("provider_missing", "connect_provider");
    const v = draft.verification;
    let verified = false;
    if (v === null) add("verification_missing", "verify_access");
    else if (isVerificationStale(draft)) add("verification_stale", "verify_access");
    else if (isActiveRunStatus(v.status)) add("verification_in_progress", "verify_access");
    else if (v.timedOut === true) add("verification_timed_out", "verify_access");
    else if (v.outcome === "failed" || v.outcome === null) add("verification_failed", "verify_access");
    else if (v.outcome === "blocked") add("verification_blocked", "verify_access");
    else if (v.outcome === "cancelled") add("verification_cancelled", "verify_access");
    else {
      verified = true;
      if (
        policy.verificationMaxAgeMs !== undefined &&
        Date.parse(now) - Date.parse(v.completedAt ?? v.startedAt) > policy.verificationMaxAgeMs
      ) {
        add("verification_expired", "verify_access");
      }
      if (v.outcome === "partially_succeeded") add("verification_warnings", "verify_access");
    }
    const required = policy.requiredBootstrapOperations ?? [];
    if (verified || draft.bootstrap !== null) {
      const runs = currentBootstrapRuns(draft);
      if (runs.some((r) => isActiveRunStatus(r.status))) add("bootstrap_in_progress", "bootstrap");
      if (
        runs.some((r) => r.status === "completed" && r.outcome !== "succeeded" && r.outcome !== "partially_succeeded")
      ) {
        add("bootstrap_failed", "bootstrap");
      }
      if (runs.some((r) => r.status === "completed" && r.timedOut === true)) add("bootstrap_timed_out", "bootstrap");
      const ok = new Set(
        runs.filter((r) => r.outcome === "succeeded" || r.outcome === "partially_succeeded").map((r) => r.operation),
      );
      if (required.some((op) => !ok.has(op))) add("bootstrap_required", "bootstrap");
    } else if (required.length > 0) add("bootstrap_required", "bootstrap");
  }
  const ready = blockers.length === 0;
  return { ready, overridable: !ready && blockers.every((b) => b.overridable), blockers };
}

describe("the optimised hot paths agree with the straightforward model", () => {
  /** Drafts with many bootstrap runs (past the small-run fast path) over few operations. */
  const manyRuns = fc
    .tuple(
      structuralDraftArbitrary(),
      fc.array(
        fc.record({
          operation: fc.constantFrom("sync_directory", "apply_baseline", "invite_admins"),
          status: fc.constantFrom("queued" as const, "running" as const, "completed" as const),
          outcome: fc.constantFrom(
            "succeeded" as const,
            "partially_succeeded" as const,
            "failed" as const,
            "blocked" as const,
            "cancelled" as const,
          ),
        }),
        { maxLength: 48 },
      ),
    )
    .map(([draft, runs]): OnboardingDraft => {
      const bootstrap = {
        operations: [...new Set(runs.map((r) => r.operation))],
        runs: runs.map((r, i) => ({
          runId: `b-${i}`,
          operation: r.operation,
          status: r.status,
          outcome: r.status === "completed" ? r.outcome : null,
          startedAt: draft.createdAt,
          completedAt: r.status === "completed" ? draft.createdAt : null,
        })),
      };
      const next = { ...draft, bootstrap };
      return { ...next, lifecycle: deriveLifecycle(next) };
    });

  test.prop([fc.oneof(anyDraft, manyRuns)], { numRuns: NUM_RUNS })(
    "bootstrapRunFlags and latestBootstrapRun",
    (draft) => {
      const runs = currentBootstrapRuns(draft);
      const expected =
        (runs.some((r) => isActiveRunStatus(r.status)) ? BOOTSTRAP_ACTIVE : 0) |
        (runs.some((r) => r.status === "completed" && r.outcome !== "succeeded" && r.outcome !== "partially_succeeded")
          ? BOOTSTRAP_FAILED
          : 0) |
        (runs.length > 0 ? BOOTSTRAP_STARTED : 0);
      expect(bootstrapRunFlags(draft)).toBe(expected);
      for (const operation of ["sync_directory", "apply_baseline", "invite_admins", "never"]) {
        expect(latestBootstrapRun(draft, operation)).toBe(runs.find((r) => r.operation === operation));
      }
    },
  );

  // The counterexample of seed 1227725067 (CI, session 7): the model did not know timed-out runs.
  test("evaluateReadiness: a verification that timed out blocks as verification_timed_out, in the model too", () => {
    const at = "2026-01-01T00:00:00.000Z";
    const draft = {
      ...JSON.parse(
        '{"id":"draft-1","workspaceId":"ws-1","version":5,"schemaVersion":1,"lifecycle":{"state":"action_required","currentCheckpoint":"verify_access","lastCompletedCheckpoint":"connect_provider","reason":"verification_timed_out"},"identity":{"tenantId":"t-1","displayName":"Contoso"},"provider":{"connectionId":"conn-1","revision":1},"bootstrap":null,"activation":null,"cancellation":null,"invalidation":null,"createdBy":"tester","updatedBy":"tester"}',
      ),
      verification: {
        runId: "run-1",
        operation: "verify_access",
        status: "completed",
        outcome: "failed",
        startedAt: at,
        completedAt: at,
        providerConnectionId: "conn-1",
        providerRevision: 1,
        message: "No worker reported on the run in time.",
        timedOut: true,
      },
      createdAt: at,
      updatedAt: at,
    } as OnboardingDraft;
    const codes = evaluateReadiness(draft, {}, { now: at }).blockers.map((b) => b.code);
    expect(codes).toEqual(["verification_timed_out"]);
    expect(referenceReadiness(draft, {}, at).blockers.map((b) => b.code)).toEqual(codes);
  });

  test.prop([fc.oneof(anyDraft, manyRuns), policyArbitrary, nowArbitrary], { numRuns: NUM_RUNS })(
    "evaluateReadiness",
    (draft, policy, now) => {
      const actual = evaluateReadiness(draft, policy, { now });
      const expected = referenceReadiness(draft, policy, now);
      expect({
        ...actual,
        blockers: actual.blockers.map(({ code, checkpoint, overridable }) => ({ code, checkpoint, overridable })),
      }).toEqual(expected);
    },
  );
});
