import * as z from "zod/mini";
import { compiledStrictObject, storableText } from "../record/index.js";
import { Capability } from "../vocabulary/index.js";
import { CommandIdSchema, ensure } from "./shared.js";
import { Feedback, apply, defineCommand, noop } from "./define.js";

/** Input of the `identify` command: name the customer tenant. */
export const IdentifyCommandSchema = compiledStrictObject({
  /** The command type. */
  type: z.literal("identify"),
  /** The customer tenant's id; fixed once a provider is selected. */
  tenantId: CommandIdSchema,
  /** The name operators see (trimmed). */
  displayName: z.string().check(z.trim(), z.minLength(1), z.maxLength(4096), storableText),
  /** The tenant's primary DNS domain (trimmed, lower-cased). */
  primaryDomain: z.optional(
    z.string().check(z.trim(), z.toLowerCase(), z.minLength(1), z.maxLength(253), storableText),
  ),
});

/**
 * The `identify` command: names the customer tenant (as {@link IdentifyCommandSchema} parses it).
 *
 * @sortStrategy source-order
 */
export interface IdentifyCommand {
  /** The command type. */
  readonly type: "identify";
  /** The customer tenant's id; fixed once a provider is selected. */
  readonly tenantId: string;
  /** The name operators see (trimmed). */
  readonly displayName: string;
  /** The tenant's primary DNS domain (trimmed, lower-cased). */
  readonly primaryDomain?: string | undefined;
}

/**
 * `identify`: sets the tenant identity. The display name and domain may change at any time
 * before the draft is terminal; the tenant id only until a provider is selected (the provider
 * connection belongs to the tenant, so changing it afterwards would silently discard work:
 * cancel and start a new draft instead).
 */
export const identify = defineCommand({
  type: "identify",
  schema: IdentifyCommandSchema,
  worker: false,
  capabilities: () => [Capability.Identify],
  decide(draft, command, context) {
    const next = {
      tenantId: command.tenantId,
      displayName: command.displayName,
      ...(command.primaryDomain === undefined ? {} : { primaryDomain: command.primaryDomain }),
    };
    const current = draft.identity;
    if (
      current !== null &&
      current.tenantId === next.tenantId &&
      current.displayName === next.displayName &&
      current.primaryDomain === next.primaryDomain
    ) {
      return noop(Feedback.Unchanged);
    }
    ensure(
      current === null || current.tenantId === next.tenantId || draft.provider === null,
      draft,
      "identify",
      "tenant_locked_after_provider",
    );
    void context;
    return apply(Feedback.Applied, (d) => {
      d.identity = next;
    });
  },
});
