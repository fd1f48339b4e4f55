/**
 * Shared by the runner tests: an engine on the memory store, a draft driven to a started run,
 * the run's hand-built `run.requested` outbox record, and an engine wrapper that injects faults
 * into chosen commands.
 */
import { createMemoryStore } from "../../src/adapters/memory/index.js";
import { createOnboardingEngine, type OnboardingEngine } from "../../src/index.js";
import { OutboxRecordSchema, type OutboxRecord } from "../../src/record/index.js";
import type { RunnerEngine, RunnerEvent } from "../../src/runners/shared/index.js";

export const operator = { id: "operator" };
export const worker = { id: "worker" };

/** An engine on a fresh memory store that allows everything. */
export function memoryEngine(): OnboardingEngine {
  return createOnboardingEngine({ store: createMemoryStore(), authorize: () => true });
}

let counter = 0;

/** A draft with identity and provider, and a started verification run. */
export async function startedVerification(
  engine: OnboardingEngine,
  workspaceId: string,
): Promise<{ draftId: string; runId: string; version: number }> {
  counter += 1;
  const { draft } = await engine.create(
    workspaceId,
    { identity: { tenantId: `tenant-${counter}`, displayName: "Contoso" } },
    { actor: operator },
  );
  const selected = await engine.execute(
    workspaceId,
    draft.id,
    { type: "select_provider", connectionId: "conn-1" },
    { actor: operator, expectedVersion: draft.version },
  );
  const started = await engine.execute(
    workspaceId,
    draft.id,
    { type: "start_verification" },
    { actor: operator, expectedVersion: selected.version },
  );
  return { draftId: draft.id, runId: started.runIds[0]!, version: started.version };
}

/** The `run.requested` (or `run.cancelled`) record the engine would write for a run, built by hand. */
export function outboxRecord(
  workspaceId: string,
  draftId: string,
  runId: string,
  overrides: Partial<{
    kind: "run.requested" | "run.cancelled";
    checkpoint: "verify_access" | "bootstrap";
    operation: string;
    entryId: string;
  }> = {},
): OutboxRecord {
  const createdAt = "2026-01-01T00:00:00.000Z";
  return OutboxRecordSchema.parse({
    entryId: overrides.entryId ?? `entry-${runId}-${overrides.kind ?? "run.requested"}`,
    workspaceId,
    draftId,
    runId,
    kind: overrides.kind ?? "run.requested",
    checkpoint: overrides.checkpoint ?? "verify_access",
    operation: overrides.operation ?? "verify_access",
    providerConnectionId: "conn-1",
    providerRevision: 1,
    draftVersion: 3,
    eventId: `event-${runId}`,
    createdAt,
    status: "pending",
    attempts: 1,
    availableAt: createdAt,
    leaseOwner: "dispatcher-1",
    leaseUntil: "2026-01-01T00:01:00.000Z",
    lastError: null,
    deliveredAt: null,
    reportedAt: null,
    progressMessage: null,
    progressPercent: null,
    settledAt: null,
  });
}

/** The command type of an `execute` call (or `undefined`). */
const typeOf = (command: unknown): string | undefined =>
  typeof command === "object" && command !== null && "type" in command ? String(command.type) : undefined;

/**
 * An engine whose `execute` runs `fault(command)` first: a returned error is thrown instead of
 * running the command, `"ignored"` answers an ignored feedback without running it.
 */
export function faultyEngine(
  engine: OnboardingEngine,
  fault: (type: string | undefined, command: unknown) => Error | "ignored" | null,
): RunnerEngine & { readonly calls: string[] } {
  const calls: string[] = [];
  const execute = (async (
    workspaceId: string,
    draftId: string,
    command: unknown,
    options: { actor: { id: string } },
  ) => {
    const type = typeOf(command);
    calls.push(type ?? "?");
    const injected = fault(type, command);
    if (injected instanceof Error) throw injected;
    if (injected === "ignored") {
      const draft = await engine.get(workspaceId, draftId, { actor: options.actor });
      return {
        draft,
        version: draft.version,
        feedback: "ignored_stale_result",
        event: null,
        runIds: [],
        replayed: false,
        state: draft.lifecycle.state,
      };
    }
    return engine.execute(workspaceId, draftId, command, options);
  }) as RunnerEngine["execute"];
  return { get: engine.get, execute, calls };
}

/** Collects a worker's events. */
export function eventLog(): { readonly events: RunnerEvent[]; readonly onEvent: (event: RunnerEvent) => void } {
  const events: RunnerEvent[] = [];
  return { events, onEvent: (event) => events.push(event) };
}

/** Polls `check` until it returns a value other than `undefined` (bounded: 200 tries, 50 ms apart). */
export async function eventually<T>(check: () => Promise<T | undefined>, what: string): Promise<T> {
  for (let attempt = 0; attempt < 200; attempt += 1) {
    const value = await check();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}
