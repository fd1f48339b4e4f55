import * as z from "zod/mini";
import { compiledStrictObject } from "../record/index.js";
import {
  safeParseWithMessages,
  SCHEMA_VERSION,
  ValidationError,
  toValidationIssues,
  type OnboardingDraft,
} from "../record/index.js";
import { deriveLifecycle } from "../lifecycle/index.js";
import { IdentifyCommandSchema } from "./identify.js";
import { CommandIdSchema } from "./shared.js";

/** Input of `engine.create`: optionally the identity, and optionally a caller-chosen draft id. */
export const CreateDraftInputSchema = compiledStrictObject({
  /** Use this id instead of a generated one (1..128 characters). */
  id: z.optional(CommandIdSchema),
  /** Identify the tenant right away (the same fields as the `identify` command). */
  identity: z.optional(z.omit(IdentifyCommandSchema, { type: true })),
});

/** Input of `engine.create`. */
export type CreateDraftInput = z.input<typeof CreateDraftInputSchema>;

/** Validated input of `engine.create`. */
export type ParsedCreateDraftInput = z.output<typeof CreateDraftInputSchema>;

/** Validates `engine.create` input; throws {@link ValidationError}. */
export function parseCreateInput(input: unknown): ParsedCreateDraftInput {
  const result = safeParseWithMessages(CreateDraftInputSchema, input ?? {});
  if (!result.success) throw new ValidationError("create", toValidationIssues(result.issues));
  return result.data;
}

/**
 * Builds a brand-new draft (version 1, lifecycle derived). Pure: the id, workspace, time and
 * actor are arguments.
 *
 * @example
 * ```ts
 * const draft = newDraft({ id: "d1", workspaceId: "w1", now: new Date().toISOString(), actorId: "u1" });
 * draft.lifecycle.state; // "draft"
 * ```
 */
export function newDraft(input: {
  readonly id: string;
  readonly workspaceId: string;
  readonly now: string;
  readonly actorId: string;
  readonly identity?: ParsedCreateDraftInput["identity"];
}): OnboardingDraft {
  const identity =
    input.identity === undefined
      ? null
      : {
          tenantId: input.identity.tenantId,
          displayName: input.identity.displayName,
          ...(input.identity.primaryDomain === undefined ? {} : { primaryDomain: input.identity.primaryDomain }),
        };
  // The parts the lifecycle is derived from, then the record with its keys in canonical order.
  const lifecycle = deriveLifecycle({
    identity,
    provider: null,
    verification: null,
    bootstrap: null,
    activation: null,
    cancellation: null,
    invalidation: null,
  });
  return {
    id: input.id,
    workspaceId: input.workspaceId,
    version: 1,
    schemaVersion: SCHEMA_VERSION,
    lifecycle,
    identity,
    provider: null,
    verification: null,
    bootstrap: null,
    activation: null,
    cancellation: null,
    invalidation: null,
    createdAt: input.now,
    updatedAt: input.now,
    createdBy: input.actorId,
    updatedBy: input.actorId,
  };
}
