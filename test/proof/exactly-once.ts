/**
 * The exactly-once proof, shared by its test files: many random operations, each with its own
 * idempotency key, sent by concurrent workers through the fault injector and retried until
 * acknowledged (a storage failure is an unknown outcome: send it again under the same key; a
 * conflict: read and send it again under the same key). Afterwards, with the faults off, the
 * audit trail must hold exactly one committed entry per operation: none lost, none doubled;
 * every draft's versions contiguous; the recorded history linearizable; and the replays must
 * match, one for one, the unknown outcomes whose commit the store had applied.
 */
import { expect } from "vitest";
import { createOnboardingEngine, type OnboardingEngine } from "../../src/engine/index.js";
import { StoreError, VersionConflictError } from "../../src/record/index.js";
import type { CommandInput } from "../../src/commands/index.js";
import type { DraftStore } from "../../src/store/index.js";
import {
  FAULT_KINDS,
  assertDraftInvariants,
  checkLinearizability,
  createDraftHistory,
  injectFaults,
  recordingEngine,
  type FaultPlan,
  type RecordingEngine,
} from "../../src/testing/index.js";
import { prng } from "../support/register-history.js";

const actor = { id: "exactly-once" };

/** The shape of one proof run. */
export interface ExactlyOnceRun {
  readonly label: string;
  readonly seed: number;
  readonly operations: number;
  readonly drafts: number;
  readonly workers: number;
  /** The faults (default {@link faultPlan} of the seed). */
  readonly plan?: FaultPlan;
}

/** The faults of every run: each kind, often enough to matter. */
export function faultPlan(seed: number): FaultPlan {
  return {
    seed,
    failBefore: 0.03,
    failAfter: 0.05,
    failOther: 0.01,
    latency: { rate: 0.05, maxMs: 2 },
    reorder: { window: 4, holdMs: 1 },
    disconnect: { rate: 0.0005, calls: 8 },
  };
}

/** The seed of a run: `EXACTLY_ONCE_SEED` to replay one, else a fresh one (always printed). */
export function runSeed(): number {
  const fixed = process.env["EXACTLY_ONCE_SEED"];
  return fixed === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(fixed);
}

interface Tally {
  retries: number;
  conflicts: number;
  unknown: number;
  resolvedApplied: number;
  resolvedByRetry: number;
  replays: number;
}

/** One logical operation, fixed before it is first sent: its draft, its command and its key. */
interface Logical {
  readonly draftId: string;
  readonly command: CommandInput;
  readonly key: string;
}

function logicalOperations(run: ExactlyOnceRun, drafts: readonly string[]): Logical[] {
  const random = prng(run.seed);
  return Array.from({ length: run.operations }, (_, i) => {
    const index = Math.floor(random() * drafts.length);
    const command: CommandInput =
      random() < 0.5
        ? { type: "identify", tenantId: `tenant-${index}`, displayName: `operation ${i}` }
        : { type: "select_provider", connectionId: `conn-${i}` };
    return { draftId: drafts[index] as string, command, key: `op-${i}` };
  });
}

/** The draft's version, or `null` when the read failed (counted as a retry). */
async function readVersion(engine: RecordingEngine, ws: string, draftId: string, tally: Tally): Promise<number | null> {
  try {
    return (await engine.get(ws, draftId, { actor })).version;
  } catch (error) {
    if (!(error instanceof StoreError)) throw error;
    tally.retries += 1;
    return null;
  }
}

/** Sends one logical operation until it is acknowledged, counting what it took. */
async function untilAcknowledged(
  engine: RecordingEngine,
  ws: string,
  op: Logical,
  known: Map<string, number>,
  tally: Tally,
): Promise<void> {
  let unknown = false;
  for (let attempt = 0; attempt < 2_000; attempt += 1) {
    const version = known.get(op.draftId) ?? (await readVersion(engine, ws, op.draftId, tally));
    if (version === null) continue;
    known.set(op.draftId, version);
    try {
      const result = await engine.execute(ws, op.draftId, op.command, {
        actor,
        expectedVersion: version,
        idempotencyKey: op.key,
      });
      known.set(op.draftId, result.version);
      if (result.replayed) tally.replays += 1;
      if (unknown) {
        if (result.replayed) tally.resolvedApplied += 1;
        else tally.resolvedByRetry += 1;
      }
      return;
    } catch (error) {
      tally.retries += 1;
      if (error instanceof VersionConflictError) {
        tally.conflicts += 1;
        known.set(op.draftId, error.actualVersion);
      } else if (error instanceof StoreError) {
        if (!unknown) tally.unknown += 1;
        unknown = true;
        known.delete(op.draftId); // read again: the write may have landed
      } else {
        throw error;
      }
    }
  }
  throw new Error(`operation ${op.key} was never acknowledged`);
}

async function createDrafts(engine: RecordingEngine, ws: string, count: number): Promise<string[]> {
  const ids = Array.from({ length: count }, (_, i) => `draft-${i}`);
  for (const [i, id] of ids.entries()) {
    for (let attempt = 0; ; attempt += 1) {
      try {
        await engine.create(
          ws,
          { id, identity: { tenantId: `tenant-${i}`, displayName: "start" } },
          { actor, idempotencyKey: `create-${id}` },
        );
        break;
      } catch (error) {
        if (!(error instanceof StoreError) || attempt > 100) throw error;
      }
    }
  }
  return ids;
}

/** Runs the proof on `store` (under workspace `ws`) and prints its figures. */
export async function proveExactlyOnce(store: DraftStore, ws: string, run: ExactlyOnceRun): Promise<void> {
  const started = performance.now();
  const { store: faulty, faults } = injectFaults(store, run.plan ?? faultPlan(run.seed));
  const history = createDraftHistory();
  const engines: OnboardingEngine[] = Array.from({ length: run.workers }, () =>
    createOnboardingEngine({ store: faulty, authorize: () => true }),
  );
  const drafts = await createDrafts(recordingEngine(engines[0] as OnboardingEngine, history, "setup"), ws, run.drafts);
  const operations = logicalOperations(run, drafts);
  const tally: Tally = { retries: 0, conflicts: 0, unknown: 0, resolvedApplied: 0, resolvedByRetry: 0, replays: 0 };
  let next = 0;
  await Promise.all(
    engines.map(async (engine, worker) => {
      const recorded = recordingEngine(engine, history, `w${worker}`);
      const known = new Map<string, number>();
      for (let i = next++; i < operations.length; i = next++) {
        await untilAcknowledged(recorded, ws, operations[i] as Logical, known, tally);
      }
    }),
  );
  faults.setEnabled(false);
  const runMs = performance.now() - started;
  const failure = (what: string): string =>
    `${run.label}: ${what} (seed ${run.seed}; replay with EXACTLY_ONCE_SEED=${run.seed})\n${faults.format(20)}`;

  // The audit trail: exactly one committed entry per logical operation, none lost, none doubled.
  const perKey = new Map<string, number>();
  let committed = 0;
  for (const draftId of drafts) {
    const { events } = await assertDraftInvariants(store, ws, draftId);
    for (const event of events) {
      if (event.kind !== "committed") continue;
      committed += 1;
      perKey.set(event.idempotencyKey ?? "(none)", (perKey.get(event.idempotencyKey ?? "(none)") ?? 0) + 1);
    }
  }
  const lost = operations.filter((op) => !perKey.has(op.key)).map((op) => op.key);
  const doubled = [...perKey].filter(([, count]) => count > 1).map(([key]) => key);
  expect(lost, failure("lost operations")).toEqual([]);
  expect(doubled, failure("operations applied twice")).toEqual([]);
  expect(committed, failure("committed entries")).toBe(run.operations);

  // Each replay answers an unknown outcome whose commit the store had applied: one for one.
  const appliedUnknown = faults.log.filter(
    (record) =>
      record.method === "commit" &&
      (record.kind === "after" || record.kind === "lost_reply") &&
      record.applied === true,
  ).length;
  expect(tally.replays, failure("replays vs unknown outcomes the store applied")).toBe(appliedUnknown);
  expect(tally.resolvedApplied + tally.resolvedByRetry, failure("unknown outcomes resolved")).toBe(tally.unknown);

  const checked = checkLinearizability(history);
  expect(checked.ok, failure(checked.report)).toBe(true);

  const counts = faults.counts();
  const injected = FAULT_KINDS.filter((kind) => counts[kind] > 0)
    .map((kind) => `${kind} ${counts[kind]}`)
    .join(", ");
  console.log(
    [
      `[exactly-once] ${run.label}: ${run.operations} operations with idempotency keys on ${run.drafts} drafts by ${run.workers} workers, ` +
        `each acknowledged exactly once (${committed} committed audit entries, 0 lost, 0 doubled) in ${(runMs / 1000).toFixed(1)} s; seed ${run.seed}`,
      `  faults injected: ${injected} (of ${Object.values(faults.calls()).reduce((sum, n) => sum + (n ?? 0), 0)} store calls)`,
      `  unknown outcomes: ${tally.unknown} operations got a StoreError, all resolved: ${tally.resolvedApplied} had applied (the retry replayed them), ${tally.resolvedByRetry} had not (the retry applied them)`,
      `  retries: ${tally.retries} (${tally.conflicts} after a version conflict); replays ${tally.replays} = commits applied behind an error ${appliedUnknown}`,
      `  history: ${checked.report}`,
    ].join("\n"),
  );
}
