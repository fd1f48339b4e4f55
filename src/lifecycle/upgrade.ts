/**
 * Upgrading documents written before this package (or by an older schema version) to the
 * current shape. Pure; the result still goes through `parseDraft`.
 */
import { OnboardingDraftSchema, SCHEMA_VERSION } from "../record/index.js";
import { deriveLifecycle } from "./derive.js";
import { nullableDraftKeys } from "./draft-shape.js";

const PLACEHOLDER_LIFECYCLE = {
  state: "draft",
  currentCheckpoint: "identify",
  lastCompletedCheckpoint: null,
  reason: null,
} as const;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Brings a document written before this package (or by an older schema version) to the current
 * shape: a missing `schemaVersion` means a legacy row, which gets `version` 1 (unless it has
 * one), the current `schemaVersion`, `null` for every nullable field it lacks (`identity`,
 * `provider`, ... `invalidation`: every nullable field of the schema), and a freshly derived
 * `lifecycle`. Documents already at the current schema version are returned unchanged. Pure.
 *
 * The result still has to pass {@link parseDraft}; `upgradeDraft` only fills what older shapes
 * lacked.
 *
 * @example
 * ```ts
 * // Adopt a row from before the package existed:
 * const draft = parseDraft(upgradeDraft(legacyRow));
 * ```
 */
export function upgradeDraft(document: unknown): unknown {
  if (!isPlainObject(document)) return document;
  if (document["schemaVersion"] === SCHEMA_VERSION) return document;
  if (document["schemaVersion"] !== undefined) return document; // unknown future version: let parse report it
  const upgraded: Record<string, unknown> = {
    ...document,
    version: document["version"] ?? 1,
    schemaVersion: SCHEMA_VERSION,
  };
  for (const key of nullableDraftKeys()) upgraded[key] = document[key] ?? null;
  upgraded["updatedAt"] ??= upgraded["createdAt"];
  upgraded["updatedBy"] ??= upgraded["createdBy"];
  const structural = OnboardingDraftSchema.safeParse({ ...upgraded, lifecycle: PLACEHOLDER_LIFECYCLE });
  // A broken legacy row keeps a placeholder lifecycle, so parsing reports the real problem
  // (say `provider.connectionId`) rather than the lifecycle it could not derive.
  upgraded["lifecycle"] = structural.success ? deriveLifecycle(structural.data) : PLACEHOLDER_LIFECYCLE;
  return upgraded;
}
