import * as z from "zod/mini";
import { castDraft } from "immer";
import { compiledStrictObject } from "../record/index.js";
import { Capability } from "../vocabulary/index.js";
import type { Invalidation, OnboardingDraft } from "../record/index.js";
import { CommandIdSchema, ensure } from "./shared.js";
import { Feedback, apply, defineCommand, noop } from "./define.js";

/** Input of the `select_provider` command: choose the provider connection. */
export const SelectProviderCommandSchema = compiledStrictObject({
  /** The command type. */
  type: z.literal("select_provider"),
  /** The provider connection to use. */
  connectionId: CommandIdSchema,
});

/**
 * The `select_provider` command: picks the provider connection (as {@link SelectProviderCommandSchema} parses it).
 *
 * @sortStrategy source-order
 */
export interface SelectProviderCommand {
  /** The command type. */
  readonly type: "select_provider";
  /** The provider connection to use. */
  readonly connectionId: string;
}

/** What a provider change invalidates, or `null` when there is nothing to invalidate. */
export function invalidationFor(
  draft: OnboardingDraft,
  cause: Invalidation["cause"],
  at: string,
  by: string,
): Invalidation | null {
  const bootstrapRunIds = (draft.bootstrap?.runs ?? []).map((run) => run.runId);
  if (draft.verification === null && bootstrapRunIds.length === 0) return null;
  return { cause, at, by, verificationRunId: draft.verification?.runId ?? null, bootstrapRunIds };
}

/**
 * `select_provider`: selects a provider connection (revision 1). Selecting another connection
 * clears verification and bootstrap made against the old one and records the invalidation, so
 * the lifecycle reports `provider_changed`. Selecting the current connection changes nothing.
 */
export const selectProvider = defineCommand({
  type: "select_provider",
  schema: SelectProviderCommandSchema,
  worker: false,
  capabilities: () => [Capability.ManageProvider],
  decide(draft, command, context) {
    ensure(draft.identity !== null, draft, "select_provider", "identity_required");
    if (draft.provider?.connectionId === command.connectionId) return noop(Feedback.Unchanged);
    const invalidation = invalidationFor(draft, "provider_changed", context.now, context.actorId);
    return apply(Feedback.Applied, (d) => {
      d.provider = { connectionId: command.connectionId, revision: 1 };
      d.verification = null;
      d.bootstrap = null;
      if (invalidation !== null) d.invalidation = castDraft(invalidation);
    });
  },
});
