import * as z from "zod/mini";
import { castDraft } from "immer";
import { compiledStrictObject } from "../record/index.js";
import { Capability } from "../vocabulary/index.js";
import { CommandIdSchema, ensure } from "./shared.js";
import { Feedback, apply, defineCommand } from "./define.js";
import { invalidationFor } from "./select-provider.js";

/** Input of the `update_provider_connection` command: the selected connection was edited inline. */
export const UpdateProviderConnectionCommandSchema = compiledStrictObject({
  /** The command type. */
  type: z.literal("update_provider_connection"),
  /** Must be the currently selected connection. */
  connectionId: CommandIdSchema,
});

/**
 * The `update_provider_connection` command: the selected connection was edited inline (as
 * {@link UpdateProviderConnectionCommandSchema} parses it).
 *
 * @sortStrategy source-order
 */
export interface UpdateProviderConnectionCommand {
  /** The command type. */
  readonly type: "update_provider_connection";
  /** Must be the currently selected connection. */
  readonly connectionId: string;
}

/**
 * `update_provider_connection`: records an inline edit of the selected connection by raising
 * its revision. The verification made against the old revision stays as evidence but is now
 * stale (lifecycle `provider_changed`); bootstrap runs are cleared; the invalidation is recorded.
 */
export const updateProviderConnection = defineCommand({
  type: "update_provider_connection",
  schema: UpdateProviderConnectionCommandSchema,
  worker: false,
  capabilities: () => [Capability.ManageProvider],
  decide(draft, command, context) {
    ensure(draft.provider !== null, draft, "update_provider_connection", "provider_required");
    ensure(
      draft.provider.connectionId === command.connectionId,
      draft,
      "update_provider_connection",
      "connection_not_selected",
    );
    const invalidation = invalidationFor(draft, "provider_updated", context.now, context.actorId);
    return apply(Feedback.Applied, (d) => {
      if (d.provider !== null) {
        // Past every revision a verification was made against, so the verification is stale
        // even on documents written elsewhere with a verification "ahead" of the provider.
        const verified =
          d.verification?.providerConnectionId === d.provider.connectionId ? d.verification.providerRevision : 0;
        d.provider.revision = Math.max(d.provider.revision, verified) + 1;
      }
      d.bootstrap = null;
      if (invalidation !== null) d.invalidation = castDraft(invalidation);
    });
  },
});
