/**
 * Hand-built drafts for the pure-core tests. Every builder derives the lifecycle, so a fixture
 * is always a valid, consistent record; tests state the parts that matter and nothing else.
 */
import { deriveLifecycle } from "../../src/lifecycle/index.js";
import {
  SCHEMA_VERSION,
  type Bootstrap,
  type CheckpointRun,
  type Invalidation,
  type OnboardingDraft,
  type Verification,
} from "../../src/record/index.js";
import type { RunOutcome } from "../../src/vocabulary/index.js";

export const T0 = "2026-01-01T00:00:00.000Z";
export const T1 = "2026-01-01T00:01:00.000Z";
export const T2 = "2026-01-01T00:02:00.000Z";

export const IDENTITY = { tenantId: "t-1", displayName: "Contoso" } as const;

/** What a test may set on a draft; everything else gets a neutral default. */
export type DraftParts = Partial<
  Pick<
    OnboardingDraft,
    | "identity"
    | "provider"
    | "verification"
    | "bootstrap"
    | "activation"
    | "cancellation"
    | "invalidation"
    | "version"
    | "id"
  >
>;

/** A draft with the given parts and a derived lifecycle. */
export function draftWith(parts: DraftParts = {}): OnboardingDraft {
  const body = {
    identity: parts.identity ?? null,
    provider: parts.provider ?? null,
    verification: parts.verification ?? null,
    bootstrap: parts.bootstrap ?? null,
    activation: parts.activation ?? null,
    cancellation: parts.cancellation ?? null,
    invalidation: parts.invalidation ?? null,
  };
  return {
    id: parts.id ?? "draft-1",
    workspaceId: "ws-1",
    version: parts.version ?? 1,
    schemaVersion: SCHEMA_VERSION,
    lifecycle: deriveLifecycle(body),
    ...body,
    createdAt: T0,
    updatedAt: T0,
    createdBy: "u-1",
    updatedBy: "u-1",
  };
}

/** A run in the given status (completed runs need an outcome). */
export function run(
  operation: string,
  status: "queued" | "running" | "completed",
  outcome: RunOutcome | null = null,
  runId = `${operation}-run`,
): CheckpointRun {
  return {
    runId,
    operation,
    status,
    outcome: status === "completed" ? (outcome ?? "succeeded") : null,
    startedAt: T0,
    completedAt: status === "completed" ? T1 : null,
  };
}

/** A verification pinned to a connection and revision. */
export function verification(
  status: "queued" | "running" | "completed",
  outcome: RunOutcome | null = null,
  options: { connectionId?: string; revision?: number; runId?: string; completedAt?: string } = {},
): Verification {
  const base = run("verify_access", status, outcome, options.runId ?? "v-1");
  return {
    ...base,
    ...(status === "completed" && options.completedAt !== undefined ? { completedAt: options.completedAt } : {}),
    providerConnectionId: options.connectionId ?? "conn-1",
    providerRevision: options.revision ?? 1,
  };
}

/** A bootstrap checkpoint with these runs (operations in first-seen order). */
export function bootstrapOf(...runs: CheckpointRun[]): Bootstrap {
  return { operations: [...new Set(runs.map((r) => r.operation))], runs };
}

export const PROVIDER = { connectionId: "conn-1", revision: 1 } as const;

/** An identified draft with conn-1 selected. */
export function connected(parts: DraftParts = {}): OnboardingDraft {
  return draftWith({ identity: { ...IDENTITY }, provider: { ...PROVIDER }, ...parts });
}

/** A draft whose verification succeeded (optionally with the given outcome) on conn-1 rev 1. */
export function verified(outcome: RunOutcome = "succeeded", parts: DraftParts = {}): OnboardingDraft {
  return connected({ verification: verification("completed", outcome), ...parts });
}

export const INVALIDATION: Invalidation = {
  cause: "provider_changed",
  at: T1,
  by: "u-1",
  verificationRunId: "v-0",
  bootstrapRunIds: [],
};

/** Recursively freezes a value (to prove reducers never mutate their input). */
export function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
  }
  return value;
}
