import * as z from "zod/mini";
import { compiledStrictObject, storableText, type ActivationOverride } from "../record/index.js";
import { Capability } from "../vocabulary/index.js";
import { NotReadyError } from "../record/index.js";
import { evaluateReadiness } from "../lifecycle/index.js";
import { Feedback, apply, defineCommand } from "./define.js";

/** Input of the `activate` command, with an optional readiness override. */
export const ActivateCommandSchema = compiledStrictObject({
  /** The command type. */
  type: z.literal("activate"),
  /** Activate despite overridable blockers; needs the `override_readiness` capability. */
  override: z.optional(
    compiledStrictObject({
      /** Why the remaining overridable blockers are acceptable (recorded on the draft). */
      reason: z.string().check(z.trim(), z.minLength(1), z.maxLength(2000), storableText),
    }),
  ),
});

/**
 * The `activate` command: completes the draft, optionally overriding overridable blockers (as
 * {@link ActivateCommandSchema} parses it).
 *
 * @sortStrategy source-order
 */
export interface ActivateCommand {
  /** The command type. */
  readonly type: "activate";
  /** Activate despite overridable blockers; needs the `override_readiness` capability. */
  readonly override?: ActivationOverride | undefined;
}

/**
 * `activate`: completes the draft. Readiness is evaluated on the stored draft inside the commit
 * path (never trusted from the UI). Ready: activates (an override given anyway is not recorded).
 * Only overridable blockers and an override reason: activates with the override recorded and
 * the `override_readiness` capability required. Anything else: {@link NotReadyError}.
 */
export const activate = defineCommand({
  type: "activate",
  schema: ActivateCommandSchema,
  worker: false,
  capabilities(command, draft, context) {
    if (command.override === undefined) return [Capability.Activate];
    const readiness = evaluateReadiness(draft, context.policy, { now: context.now });
    return readiness.ready ? [Capability.Activate] : [Capability.Activate, Capability.OverrideReadiness];
  },
  decide(draft, command, context) {
    const readiness = evaluateReadiness(draft, context.policy, { now: context.now });
    if (readiness.ready) {
      return apply(Feedback.Activated, (d) => {
        d.activation = { at: context.now, by: context.actorId, override: null };
      });
    }
    if (readiness.overridable && command.override !== undefined) {
      const reason = command.override.reason;
      return apply(Feedback.Activated, (d) => {
        d.activation = { at: context.now, by: context.actorId, override: { reason } };
      });
    }
    throw new NotReadyError(draft.id, readiness.blockers, readiness.overridable);
  },
});
