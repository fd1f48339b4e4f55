import * as z from "zod/mini";
import { RunActiveError, compiledStrictObject } from "../record/index.js";
import { Capability, RunStartPolicy, isActiveRunStatus } from "../vocabulary/index.js";
import { currentBootstrapRuns, isVerificationStale } from "../lifecycle/index.js";
import { CommandIdSchema, ensure } from "./shared.js";
import { Feedback, apply, defineCommand, noop } from "./define.js";

/** The operation name verification runs get unless the command names another. */
export const DEFAULT_VERIFICATION_OPERATION = "verify_access";

/** Input of the `start_verification` command. */
export const StartVerificationCommandSchema = compiledStrictObject({
  /** The command type. */
  type: z.literal("start_verification"),
  /** The operation the worker runs; default `verify_access`. */
  operation: z.optional(CommandIdSchema),
  /** What to do while the current run is queued or running; default `attach`. */
  policy: z.optional(z.enum(RunStartPolicy)),
});

/**
 * The `start_verification` command: queues a verification run (as {@link StartVerificationCommandSchema} parses it).
 *
 * @sortStrategy source-order
 */
export interface StartVerificationCommand {
  /** The command type. */
  readonly type: "start_verification";
  /** The operation the worker runs; default `verify_access`. */
  readonly operation?: string | undefined;
  /** What to do while the current run is queued or running; default `attach`. */
  readonly policy?: RunStartPolicy | undefined;
}

/**
 * `start_verification`: queues a verification run against the current provider connection and
 * revision. While a current run is queued or running, the command's `policy` decides: `attach`
 * (the default) dedupes (feedback `deduped`, the existing run id, no write), `supersede` replaces
 * the run with a new one (the old one gets a `run.cancelled` outbox entry), `reject` throws
 * `RunActiveError`. Not possible while bootstrap runs are active.
 */
export const startVerification = defineCommand({
  type: "start_verification",
  schema: StartVerificationCommandSchema,
  worker: false,
  capabilities: () => [Capability.Verify],
  decide(draft, command, context) {
    ensure(draft.identity !== null, draft, "start_verification", "identity_required");
    ensure(draft.provider !== null, draft, "start_verification", "provider_required");
    const existing = draft.verification;
    if (existing !== null && !isVerificationStale(draft) && isActiveRunStatus(existing.status)) {
      const policy = command.policy ?? RunStartPolicy.Attach;
      if (policy === RunStartPolicy.Attach) return noop(Feedback.Deduped, [existing.runId]);
      if (policy === RunStartPolicy.Reject) throw new RunActiveError(draft.id, "start_verification", [existing.runId]);
    }
    ensure(
      !currentBootstrapRuns(draft).some((run) => isActiveRunStatus(run.status)),
      draft,
      "start_verification",
      "bootstrap_in_progress",
    );
    const runId = context.nextRunId();
    const provider = draft.provider;
    return apply(
      Feedback.Queued,
      (d) => {
        d.verification = {
          runId,
          operation: command.operation ?? DEFAULT_VERIFICATION_OPERATION,
          status: "queued",
          outcome: null,
          startedAt: context.now,
          completedAt: null,
          providerConnectionId: provider.connectionId,
          providerRevision: provider.revision,
        };
        d.invalidation = null;
      },
      [runId],
    );
  },
});
