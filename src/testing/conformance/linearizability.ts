/**
 * Conformance section "linearizability": concurrent clients, each with its own engine on the
 * store (as separate processes would have), read drafts and send version-checked commands
 * based on their last read (some under idempotency keys, some sent again), while every call is
 * recorded; the checker must find the history linearizable. A second run goes through the fault
 * injector, whose commits fail after the store applied them (unknown outcomes, retried under
 * their keys) and are sent in a shuffled order.
 */
import { StoreError, VersionConflictError } from "../../record/index.js";
import type { CommandInput } from "../../commands/index.js";
import type { OnboardingEngine } from "../../engine/index.js";
import type { DraftStore } from "../../store/index.js";
import { injectFaults, type FaultController } from "../faults/index.js";
import {
  checkLinearizability,
  createDraftHistory,
  recordingEngine,
  type DraftHistory,
  type RecordingEngine,
} from "../linearizability/index.js";
import { assertDraftInvariants } from "../invariants.js";
import { actor, check, freshWorkspace, type SectionContext } from "./shared.js";

/** The shape of one recorded run. */
interface Workload {
  readonly seed: number;
  readonly clients: number;
  readonly operations: number;
  readonly drafts: number;
}

/** A small seeded PRNG (mulberry32): the run's choices replay from its seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One client's last command, to send again under the same key. */
interface Sent {
  readonly draftId: string;
  readonly command: CommandInput;
  readonly expectedVersion: number;
  readonly idempotencyKey: string;
}

/** What a client knows, and how it sends. */
interface Client {
  readonly name: string;
  readonly engine: RecordingEngine;
  readonly random: () => number;
  readonly known: Map<string, number>;
  last: Sent | null;
  serial: number;
}

/** Sends a command; a storage failure (outcome unknown) is sent again, under its key, a few times. */
async function send(
  client: Client,
  ws: string,
  sent: Omit<Sent, "idempotencyKey"> & { readonly idempotencyKey: string | null },
): Promise<void> {
  const options = {
    actor,
    expectedVersion: sent.expectedVersion,
    ...(sent.idempotencyKey === null ? {} : { idempotencyKey: sent.idempotencyKey }),
  };
  for (let attempt = 0; attempt < 5; attempt += 1) {
    try {
      const result = await client.engine.execute(ws, sent.draftId, sent.command, options);
      client.known.set(sent.draftId, result.version);
      return;
    } catch (error) {
      if (error instanceof VersionConflictError) {
        client.known.set(sent.draftId, error.actualVersion);
        return;
      }
      if (!(error instanceof StoreError)) throw error;
      if (sent.idempotencyKey === null) return; // without a key, a client cannot safely send it again
    }
  }
}

async function read(client: Client, ws: string, draftId: string): Promise<void> {
  try {
    client.known.set(draftId, (await client.engine.get(ws, draftId, { actor })).version);
  } catch (error) {
    if (!(error instanceof StoreError)) throw error;
  }
}

/** One operation of a client: a read, a new command from its last read, or its last keyed command again. */
async function step(client: Client, ws: string, drafts: readonly string[]): Promise<void> {
  const { random } = client;
  const draftId = drafts[Math.floor(random() * drafts.length)] as string;
  const version = client.known.get(draftId);
  const roll = random();
  if (version === undefined || roll < 0.3) return read(client, ws, draftId);
  if (roll < 0.42 && client.last !== null) return send(client, ws, client.last);
  client.serial += 1;
  const tag = `${client.name}-${client.serial}`;
  const index = drafts.indexOf(draftId);
  const command: CommandInput =
    random() < 0.5
      ? { type: "identify", tenantId: `tenant-${index}`, displayName: `named by ${tag}` }
      : { type: "select_provider", connectionId: `conn-${tag}` };
  const idempotencyKey = random() < 0.6 ? `key-${tag}` : null;
  const sent = { draftId, command, expectedVersion: version, idempotencyKey };
  if (idempotencyKey !== null) client.last = { ...sent, idempotencyKey };
  return send(client, ws, sent);
}

/** Creates the drafts through the recorded engine (a commit from version 0 each), retrying storage failures under the key. */
async function createDrafts(engine: RecordingEngine, ws: string, count: number): Promise<string[]> {
  const ids = Array.from({ length: count }, (_, i) => `lin-${i}`);
  for (const [i, id] of ids.entries()) {
    const input = { id, identity: { tenantId: `tenant-${i}`, displayName: "start" } };
    for (let attempt = 0; ; attempt += 1) {
      try {
        await engine.create(ws, input, { actor, idempotencyKey: `create-${id}` });
        break;
      } catch (error) {
        if (!(error instanceof StoreError) || attempt >= 20) throw error;
      }
    }
  }
  return ids;
}

/** Runs the workload against `engines` (one per client) and returns the workspace, drafts and history. */
async function record(
  engineFor: (client: number) => OnboardingEngine,
  workload: Workload,
): Promise<{ ws: string; drafts: string[]; history: DraftHistory }> {
  const ws = freshWorkspace("lin");
  const history = createDraftHistory();
  const drafts = await createDrafts(recordingEngine(engineFor(0), history, "setup"), ws, workload.drafts);
  const clients: Client[] = Array.from({ length: workload.clients }, (_, i) => ({
    name: `c${i}`,
    engine: recordingEngine(engineFor(i), history, `c${i}`),
    random: prng(workload.seed + i * 7919),
    known: new Map(),
    last: null,
    serial: 0,
  }));
  await Promise.all(
    clients.map(async (client) => {
      for (let i = 0; i < workload.operations; i += 1) await step(client, ws, drafts);
    }),
  );
  return { ws, drafts, history };
}

/** Checks the history (and each draft's audit trail), failing with the counterexample, the seed and the fault log. */
async function verify(
  store: DraftStore,
  run: { ws: string; drafts: string[]; history: DraftHistory },
  workload: Workload,
  faults: FaultController | null,
  log: ((line: string) => void) | undefined,
  label: string,
): Promise<void> {
  const result = checkLinearizability(run.history);
  const replay = `replay with the conformance option seed: ${workload.seed}`;
  check(result.ok, `${label}: ${result.report}\n${replay}${faults === null ? "" : `\n${faults.format(30)}`}`);
  const operations = run.history.operations();
  const commits = operations.filter((op) => op.output?.type === "committed").length;
  const conflicts = operations.filter((op) => op.output?.type === "conflict").length;
  check(
    commits > workload.drafts && conflicts > 0,
    `${label}: too little happened to prove anything (${commits} commits, ${conflicts} conflicts)`,
  );
  for (const draftId of run.drafts) await assertDraftInvariants(store, run.ws, draftId);
  const injected = faults === null ? "" : `; ${faults.format(0)}`;
  log?.(`[conformance ${label}] ${result.report}; ${commits} commits, ${conflicts} conflicts${injected}`);
}

/** Registers the tests of this section. */
export function linearizabilitySection({ it, h, engineOf, options }: SectionContext): void {
  const seed = options.seed ?? Math.floor(Math.random() * 2 ** 31);
  const workload: Workload = { seed, clients: 8, operations: 30, drafts: 3 };

  it("records a linearizable history of concurrent clients' reads and version-checked commands", async () => {
    const engines = Array.from({ length: workload.clients }, () => engineOf());
    const run = await record((client) => engines[client] as OnboardingEngine, workload);
    await verify(h().store, run, workload, null, options.log, "linearizability");
  });

  it("stays linearizable when commits fail after the store applied them (unknown outcomes, retried under their keys) and arrive reordered", async () => {
    const { store, faults } = injectFaults(h().store, {
      seed,
      failAfter: 0.2,
      failBefore: 0.05,
      latency: { rate: 0.3, maxMs: 2 },
      reorder: { window: 4, holdMs: 2 },
    });
    const engines = Array.from({ length: workload.clients }, () => engineOf({ store }));
    const run = await record((client) => engines[client] as OnboardingEngine, workload);
    faults.setEnabled(false);
    const unknown = run.history.operations().filter((op) => op.status === "unknown").length;
    check(
      faults.counts().after > 0 && unknown > 0,
      `no unknown outcome was injected (seed ${seed}): the run proves nothing`,
    );
    await verify(h().store, run, workload, faults, options.log, "linearizability under faults");
  });
}
