/**
 * fast-check arbitraries for drafts and commands, exported so users can property-test their
 * own code on top of the package.
 */
import * as fc from "fast-check";
import { applyCommand, newDraft, type CommandContext, type CommandInput } from "../commands/index.js";
import {
  currentBootstrapRuns,
  deriveLifecycle,
  isVerificationStale,
  type ReadinessPolicy,
} from "../lifecycle/index.js";
import { SCHEMA_VERSION, type CheckpointRun, type OnboardingDraft } from "../record/index.js";
import { RUN_OUTCOMES, RunStartPolicy, type RunOutcome } from "../vocabulary/index.js";

const BASE_TIME = Date.UTC(2026, 0, 1);

/** ISO timestamps within a year of 2026-01-01, always UTC with milliseconds (as the engine writes them). */
export const timestampArbitrary: fc.Arbitrary<string> = fc
  .integer({ min: 0, max: 365 * 24 * 3600 * 1000 })
  .map((offset) => new Date(BASE_TIME + offset).toISOString());

/** Short ids from a small alphabet, so collisions (same tenant, same connection) actually happen. */
export const smallIdArbitrary: fc.Arbitrary<string> = fc.constantFrom("a", "b", "c", "d");

/** Strings that tend to break storage layers: quotes, SQL and Lua fragments, unicode, long text. */
export const hostileStringArbitrary: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    'O\'Brien "quoted" `back`',
    "'; DROP TABLE onboarding_drafts; --",
    "\\\\server\\share\\",
    "{hash}:tag:{}",
    "redis.call('FLUSHALL')",
    "ünïcødé ✓ 漢字 🚀",
    "\u0001\u0002\u007f\u00ff binary-looking \uFFFD",
    "x".repeat(4096),
  ),
  fc.string({ minLength: 1, maxLength: 64, unit: "grapheme" }).filter((s) => s.trim().length > 0),
);

const outcomeArbitrary: fc.Arbitrary<RunOutcome> = fc.constantFrom(...RUN_OUTCOMES);

function runArbitrary(operation: fc.Arbitrary<string>): fc.Arbitrary<CheckpointRun> {
  return fc
    .record({
      runId: fc.uuid(),
      operation,
      status: fc.constantFrom("queued", "running", "completed"),
      outcome: outcomeArbitrary,
      startedAt: timestampArbitrary,
      completedAt: timestampArbitrary,
    })
    .map((run): CheckpointRun => ({
      runId: run.runId,
      operation: run.operation,
      status: run.status,
      outcome: run.status === "completed" ? run.outcome : null,
      startedAt: run.startedAt,
      completedAt: run.status === "completed" ? run.completedAt : null,
    }));
}

/**
 * Schema-valid drafts with every combination of parts (including combinations the commands
 * never produce, such as a stale verification next to bootstrap runs), with the lifecycle
 * derived. Good for testing pure functions over the whole input space.
 */
export function structuralDraftArbitrary(): fc.Arbitrary<OnboardingDraft> {
  return fc
    .record({
      id: fc.uuid(),
      workspaceId: smallIdArbitrary,
      version: fc.integer({ min: 1, max: 1000 }),
      identity: fc.option(
        fc.record({ tenantId: smallIdArbitrary, displayName: fc.constantFrom("Contoso", "Fabrikam") }),
      ),
      provider: fc.option(fc.record({ connectionId: smallIdArbitrary, revision: fc.integer({ min: 1, max: 3 }) })),
      verification: fc.option(
        fc
          .tuple(runArbitrary(fc.constant("verify_access")), smallIdArbitrary, fc.integer({ min: 1, max: 3 }))
          .map(([run, providerConnectionId, providerRevision]) => ({ ...run, providerConnectionId, providerRevision })),
      ),
      bootstrap: fc.option(
        fc
          .array(runArbitrary(fc.constantFrom("sync_directory", "apply_baseline", "invite_admins")), { maxLength: 5 })
          .map((runs) => ({
            operations: [...new Set(runs.map((run) => run.operation))],
            runs,
          })),
      ),
      activation: fc.option(
        fc.record({
          at: timestampArbitrary,
          by: smallIdArbitrary,
          override: fc.option(fc.record({ reason: fc.constant("accepted risk") })),
        }),
        { freq: 5 },
      ),
      cancellation: fc.option(
        fc.record({ at: timestampArbitrary, by: smallIdArbitrary, reason: fc.option(fc.constant("duplicate")) }),
        { freq: 5 },
      ),
      invalidation: fc.option(
        fc.record({
          cause: fc.constantFrom("provider_changed" as const, "provider_updated" as const),
          at: timestampArbitrary,
          by: smallIdArbitrary,
          verificationRunId: fc.option(fc.uuid()),
          bootstrapRunIds: fc.array(fc.uuid(), { maxLength: 2 }),
        }),
      ),
      createdAt: timestampArbitrary,
      actor: smallIdArbitrary,
    })
    .map((parts): OnboardingDraft => {
      const body = {
        identity: parts.identity,
        provider: parts.provider,
        verification: parts.verification,
        bootstrap: parts.bootstrap,
        activation: parts.activation,
        cancellation: parts.cancellation,
        invalidation: parts.invalidation,
      };
      return {
        id: parts.id,
        workspaceId: parts.workspaceId,
        version: parts.version,
        schemaVersion: SCHEMA_VERSION,
        lifecycle: deriveLifecycle(body),
        ...body,
        createdAt: parts.createdAt,
        updatedAt: parts.createdAt,
        createdBy: parts.actor,
        updatedBy: parts.actor,
      };
    });
}

/** A start policy, or none (the default, `attach`), as an optional `policy` field. */
const policyField: fc.Arbitrary<{ policy?: RunStartPolicy }> = fc
  .option(fc.constantFrom(...Object.values(RunStartPolicy)), { nil: undefined })
  .map((policy) => (policy === undefined ? {} : { policy }));

/** A progress report's optional message and percent. */
const progressFields: fc.Arbitrary<{ message?: string; percent?: number }> = fc
  .tuple(
    fc.option(fc.constantFrom("listing users", "50 of 120 groups", "almost done"), { nil: undefined }),
    fc.option(fc.integer({ min: 0, max: 100 }), { nil: undefined }),
  )
  .map(([message, percent]) => ({
    ...(message === undefined ? {} : { message }),
    ...(percent === undefined ? {} : { percent }),
  }));

/** The worker commands about a run: results, progress reports (heartbeats) and `expire_run`. */
function workerCommandArbitrary(runId: fc.Arbitrary<string>): fc.Arbitrary<CommandInput> {
  const report = fc.oneof(
    fc.record({ status: fc.constant("running" as const) }),
    fc.record({ status: fc.constant("completed" as const), outcome: outcomeArbitrary }),
  );
  return fc.oneof(
    fc.tuple(runId, report).map(([id, r]) => ({ type: "record_verification_result" as const, runId: id, ...r })),
    fc.tuple(runId, report).map(([id, r]) => ({ type: "record_bootstrap_result" as const, runId: id, ...r })),
    fc
      .tuple(runId, progressFields)
      .map(([id, fields]) => ({ type: "record_verification_progress" as const, runId: id, ...fields })),
    fc
      .tuple(runId, progressFields)
      .map(([id, fields]) => ({ type: "record_bootstrap_progress" as const, runId: id, ...fields })),
    runId.map((id) => ({ type: "expire_run" as const, runId: id })),
  );
}

/**
 * Random command inputs. Run ids are drawn from `runIds` (the runs of the draft at hand) or
 * random ones, so worker commands (results, progress reports, `expire_run`) hit both current
 * and stale runs. Starts come with every start policy (`attach`, `supersede`, `reject`) or none.
 */
export function commandArbitrary(runIds: readonly string[] = []): fc.Arbitrary<CommandInput> {
  const runId = runIds.length > 0 ? fc.oneof(fc.constantFrom(...runIds), fc.uuid()) : fc.uuid();
  return fc.oneof(
    fc.record({
      type: fc.constant("identify" as const),
      tenantId: smallIdArbitrary,
      displayName: fc.constantFrom("Contoso", "Fabrikam", "Northwind"),
    }),
    fc.record({ type: fc.constant("select_provider" as const), connectionId: smallIdArbitrary }),
    fc.record({ type: fc.constant("update_provider_connection" as const), connectionId: smallIdArbitrary }),
    policyField.map((policy) => ({ type: "start_verification" as const, ...policy })),
    fc
      .tuple(
        fc.uniqueArray(fc.constantFrom("sync_directory", "apply_baseline"), { minLength: 1, maxLength: 2 }),
        policyField,
      )
      .map(([operations, policy]) => ({ type: "start_bootstrap" as const, operations, ...policy })),
    workerCommandArbitrary(runId),
    workerCommandArbitrary(runId),
    fc
      .option(fc.record({ reason: fc.constant("accepted risk") }), { nil: undefined })
      .map((override) =>
        override === undefined ? { type: "activate" as const } : { type: "activate" as const, override },
      ),
    fc.constant({ type: "cancel" as const, reason: "no longer needed" }),
  );
}

/** Every run id present in a draft (verification and bootstrap). */
export function runIdsOf(draft: OnboardingDraft): string[] {
  return [
    ...(draft.verification ? [draft.verification.runId] : []),
    ...(draft.bootstrap?.runs.map((run) => run.runId) ?? []),
  ];
}

/** A deterministic command context for pure tests: fixed time, counter-based run ids. */
export function testContext(overrides: Partial<CommandContext> & { seed?: string } = {}): CommandContext {
  let counter = 0;
  const prefix = overrides.seed ?? "run";
  return {
    now: overrides.now ?? new Date(BASE_TIME).toISOString(),
    actorId: overrides.actorId ?? "tester",
    nextRunId: overrides.nextRunId ?? (() => `${prefix}-${(counter += 1)}`),
    policy: overrides.policy ?? ({} satisfies ReadinessPolicy),
  };
}

/**
 * Drafts reachable through the commands: a fresh draft with a random sequence of commands
 * applied by the pure reducer (refused commands are skipped). Weighted towards the happy path
 * so late states (bootstrapping, ready, completed) are common.
 */
export function reachableDraftArbitrary(options: { maxCommands?: number } = {}): fc.Arbitrary<OnboardingDraft> {
  return fc
    .array(fc.tuple(fc.nat({ max: 9 }), commandArbitrary(["run-1", "run-2", "run-3", "run-4", "run-5"])), {
      maxLength: options.maxCommands ?? 25,
    })
    .map((steps) => {
      const context = testContext();
      let draft = newDraft({ id: "draft-1", workspaceId: "ws-1", now: context.now, actorId: "tester" });
      for (const [bias, input] of steps) {
        const command = bias < 4 ? happyPathCommand(draft) : input;
        try {
          draft = applyCommand(draft, command, context).draft;
        } catch {
          // refused commands leave the draft as it was
        }
      }
      return draft;
    });
}

/**
 * The command that moves a draft towards completion, given where it is: it also recovers from
 * failed or stale runs (verify again, re-run a failed bootstrap operation) and overrides
 * verification warnings, so random walks that use it reach the late states.
 */
export function happyPathCommand(draft: OnboardingDraft): CommandInput {
  if (draft.identity === null) return { type: "identify", tenantId: "t-1", displayName: "Contoso" };
  if (draft.provider === null) return { type: "select_provider", connectionId: "conn-1" };
  const verification = draft.verification;
  if (verification === null || isVerificationStale(draft)) return { type: "start_verification" };
  if (verification.status === "queued")
    return { type: "record_verification_result", runId: verification.runId, status: "running" };
  if (verification.status === "running") {
    return { type: "record_verification_result", runId: verification.runId, status: "completed", outcome: "succeeded" };
  }
  if (verification.outcome !== "succeeded" && verification.outcome !== "partially_succeeded") {
    const active = currentBootstrapRuns(draft).find((run) => run.status !== "completed");
    if (active)
      return { type: "record_bootstrap_result", runId: active.runId, status: "completed", outcome: "succeeded" };
    return { type: "start_verification" };
  }
  const runs = currentBootstrapRuns(draft);
  const active = runs.find((run) => run.status !== "completed");
  if (active)
    return { type: "record_bootstrap_result", runId: active.runId, status: "completed", outcome: "succeeded" };
  const failed = runs.find((run) => run.outcome !== "succeeded" && run.outcome !== "partially_succeeded");
  if (failed) return { type: "start_bootstrap", operations: [failed.operation] };
  if (draft.bootstrap === null) return { type: "start_bootstrap", operations: ["sync_directory"] };
  return verification.outcome === "partially_succeeded"
    ? { type: "activate", override: { reason: "warnings reviewed" } }
    : { type: "activate" };
}
