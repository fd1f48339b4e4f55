import * as z from "zod/mini";
import { MAX_BOOTSTRAP_OPERATIONS, MAX_BOOTSTRAP_RUNS, RunActiveError, compiledStrictObject } from "../record/index.js";
import { Capability, RunOutcome, RunStartPolicy, RunStatus, isActiveRunStatus } from "../vocabulary/index.js";
import { currentBootstrapRuns, isVerificationStale } from "../lifecycle/index.js";
import { CommandIdSchema, ensure } from "./shared.js";
import { Feedback, apply, defineCommand, noop } from "./define.js";

/** Input of the `start_bootstrap` command: queue one run per operation. */
export const StartBootstrapCommandSchema = compiledStrictObject({
  /** The command type. */
  type: z.literal("start_bootstrap"),
  /** The operations to run (1..64, unique); one run is queued per operation. */
  operations: z.array(CommandIdSchema).check(
    z.minLength(1),
    z.maxLength(64),
    z.refine((operations) => new Set(operations).size === operations.length, {
      message: "operations must be unique",
    }),
  ),
  /** What to do for an operation whose current run is queued or running; default `attach`. */
  policy: z.optional(z.enum(RunStartPolicy)),
});

/**
 * The `start_bootstrap` command: queues one run per operation (as {@link StartBootstrapCommandSchema} parses it).
 *
 * @sortStrategy source-order
 */
export interface StartBootstrapCommand {
  /** The command type. */
  readonly type: "start_bootstrap";
  /** The operations to run (1..64, unique); one run is queued per operation. */
  readonly operations: readonly string[];
  /** What to do for an operation whose current run is queued or running; default `attach`. */
  readonly policy?: RunStartPolicy | undefined;
}

/**
 * `start_bootstrap`: queues a run for each requested operation. Needs a current, successful
 * verification. For operations whose current run is queued or running, the command's `policy`
 * decides: `attach` (the default) dedupes them, and when all are, nothing is written (feedback
 * `deduped`); `supersede` completes the active run as `cancelled` and starts a new one;
 * `reject` throws `RunActiveError` naming the active runs. Re-running a failed or finished
 * operation starts a new run that supersedes the old one.
 */
export const startBootstrap = defineCommand({
  type: "start_bootstrap",
  schema: StartBootstrapCommandSchema,
  worker: false,
  capabilities: () => [Capability.Bootstrap],
  decide(draft, command, context) {
    const verification = draft.verification;
    ensure(
      verification !== null &&
        !isVerificationStale(draft) &&
        verification.status === RunStatus.Completed &&
        (verification.outcome === RunOutcome.Succeeded || verification.outcome === RunOutcome.PartiallySucceeded),
      draft,
      "start_bootstrap",
      "verification_succeeded_required",
    );
    const current = currentBootstrapRuns(draft);
    const active = new Map(
      current.filter((run) => isActiveRunStatus(run.status)).map((run) => [run.operation, run.runId] as const),
    );
    const policy = command.policy ?? RunStartPolicy.Attach;
    const busy = command.operations.filter((operation) => active.has(operation));
    if (policy === RunStartPolicy.Reject && busy.length > 0) {
      throw new RunActiveError(
        draft.id,
        "start_bootstrap",
        busy.map((operation) => active.get(operation) ?? ""),
      );
    }
    const supersede = policy === RunStartPolicy.Supersede;
    const superseded = new Set(supersede ? busy.map((operation) => active.get(operation)) : []);
    const toStart = supersede ? command.operations : command.operations.filter((operation) => !active.has(operation));
    if (toStart.length === 0) {
      return noop(
        Feedback.Deduped,
        command.operations.map((operation) => active.get(operation) ?? ""),
      );
    }
    // The record keeps at most MAX_BOOTSTRAP_OPERATIONS operations and MAX_BOOTSTRAP_RUNS runs:
    // a command that would pass either is refused, naming the limit, before any id is drawn.
    const known = new Set(draft.bootstrap?.operations ?? []);
    const operations = known.size + toStart.filter((operation) => !known.has(operation)).length;
    ensure(operations <= MAX_BOOTSTRAP_OPERATIONS, draft, "start_bootstrap", "bootstrap_operations_limit");
    const runs = (draft.bootstrap?.runs.length ?? 0) + toStart.length;
    ensure(runs <= MAX_BOOTSTRAP_RUNS, draft, "start_bootstrap", "bootstrap_runs_limit");
    const started = toStart.map((operation) => ({ operation, runId: context.nextRunId() }));
    return apply(
      Feedback.Queued,
      (d) => {
        const bootstrap = (d.bootstrap ??= { operations: [], runs: [] });
        for (const run of bootstrap.runs) {
          if (!superseded.has(run.runId)) continue;
          run.status = "completed";
          run.outcome = "cancelled";
          run.completedAt = context.now;
          run.message = "Superseded by a new run.";
        }
        for (const { operation, runId } of started) {
          if (!bootstrap.operations.includes(operation)) bootstrap.operations.push(operation);
          bootstrap.runs.push({
            runId,
            operation,
            status: "queued",
            outcome: null,
            startedAt: context.now,
            completedAt: null,
          });
        }
      },
      started.map((entry) => entry.runId),
    );
  },
});
