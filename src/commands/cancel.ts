import * as z from "zod/mini";
import { compiledStrictObject, storableText } from "../record/index.js";
import { Capability } from "../vocabulary/index.js";
import { Feedback, apply, defineCommand } from "./define.js";

/** Input of the `cancel` command. */
export const CancelCommandSchema = compiledStrictObject({
  /** The command type. */
  type: z.literal("cancel"),
  /** Why the draft is cancelled (optional, recorded on the draft). */
  reason: z.optional(z.nullable(z.string().check(z.maxLength(2000), storableText))),
});

/**
 * The `cancel` command: ends the draft as `cancelled` (as {@link CancelCommandSchema} parses it).
 *
 * @sortStrategy source-order
 */
export interface CancelCommand {
  /** The command type. */
  readonly type: "cancel";
  /** Why the draft is cancelled (optional, recorded on the draft). */
  readonly reason?: string | null | undefined;
}

/**
 * `cancel`: ends the draft. Runs still in flight are left as they are; their results will be
 * ignored because the draft is terminal. Frees the tenant for a new draft.
 */
export const cancel = defineCommand({
  type: "cancel",
  schema: CancelCommandSchema,
  worker: false,
  capabilities: () => [Capability.Cancel],
  decide(_draft, command, context) {
    return apply(Feedback.Cancelled, (d) => {
      d.cancellation = { at: context.now, by: context.actorId, reason: command.reason ?? null };
    });
  },
});
