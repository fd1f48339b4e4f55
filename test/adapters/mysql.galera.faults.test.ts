/**
 * The MySQL adapter on a three-node MariaDB Galera cluster that loses a node mid-stream: this
 * file starts its own cluster on free loopback ports (test/support/galera.ts) and stops it
 * afterwards, also when a test fails. Skipped loudly when it cannot start; a failure with
 * REQUIRE_SERVICES=1.
 *
 * Writers on every node, each logical operation with its own idempotency key. A writer whose
 * node fails it (a `StoreError`: never a driver error) moves to the next node, as an application
 * behind a load balancer would, re-reads the draft and sends the operation again under the same
 * key, so an operation whose outcome the failure left unknown is applied once: replayed if it
 * had landed, committed if not.
 *
 * - Node loss: node 3's `mariadbd` is SIGKILLed; the two others keep a primary component and
 *   go on committing; node 3 is started again and rejoins by IST (or SST) and catches up.
 * - Partition: node 3 is cut off (`gmcast.isolate=1`): it becomes non-primary and refuses reads
 *   and writes (1047: `StoreError` caused by `GaleraNodeUnavailable`); the two others go on; the
 *   partition heals (`gmcast.isolate=0`) and node 3 resyncs.
 *
 * After each: 0 lost updates (one committed audit entry per acknowledged operation), versions
 * contiguous, the same audit trail on every node, and the recorded history (the failed calls as
 * unknown outcomes) linearizable. The figures are printed as `[galera]` lines
 * (docs/reliability.md).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPool, type Pool } from "mysql2/promise";
import { GaleraNodeUnavailable, createMySqlStore, type MySqlStore } from "../../src/adapters/mysql/index.js";
import { createOnboardingEngine, type OnboardingEngine } from "../../src/index.js";
import { StoreError, VersionConflictError, isOnboardingError, type AuditEvent } from "../../src/record/index.js";
import {
  assertDraftInvariants,
  checkLinearizability,
  createDraftHistory,
  recordingEngine,
  type DraftHistory,
  type RecordingEngine,
} from "../../src/testing/index.js";
import { serviceAvailable, uniqueSuffix } from "../support/services.js";
import { galeraMissing, startGaleraCluster, type TestGaleraCluster } from "../support/galera.js";
import { dropTables } from "./fixtures/mysql-support.js";

let cluster: TestGaleraCluster | undefined;
const up = await serviceAvailable("MariaDB Galera (3 nodes started on loopback, for node loss)", async () => {
  const missing = galeraMissing();
  if (missing !== null) throw new Error(missing);
  cluster = await startGaleraCluster();
});

afterAll(async () => {
  await cluster?.stop();
}, 30_000);

const NODES = 3;
/** The node the faults hit (node 3). */
const VICTIM = 2;
const allow = (): boolean => true;

function c(): TestGaleraCluster {
  if (cluster === undefined) throw new Error("the cluster did not start");
  return cluster;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** What a failed call's `StoreError` was caused by, for the tally. */
function causeOf(error: StoreError): string {
  const cause = error.cause as { code?: unknown; errno?: unknown; name?: unknown } | undefined;
  if (cause instanceof GaleraNodeUnavailable) return `GaleraNodeUnavailable(${cause.errno})`;
  if (typeof cause?.code === "string") return cause.code;
  if (typeof cause?.errno === "number") return `errno ${cause.errno}`;
  return typeof cause?.name === "string" ? cause.name : "other";
}

/** What the writers did and met. */
interface Tally {
  /** Logical operations acknowledged (each exactly once, by a commit or a replay). */
  acknowledged: number;
  /** Of those, acknowledged while the fault was on (the majority going on). */
  duringFault: number;
  conflicts: number;
  /** Calls that failed with StoreError, by cause. */
  storeErrors: Map<string, number>;
  /** Errors that were neither the package's nor expected: must stay 0. */
  rawErrors: number;
  /** Operations whose outcome a StoreError left unknown, and how each was resolved. */
  unknown: number;
  resolvedReplayed: number;
  resolvedCommitted: number;
  /** Writers that moved to another node after a failure. */
  failovers: number;
  /** Operations acknowledged by node 3 after it rejoined. */
  victimAfter: number;
}

function newTally(): Tally {
  return {
    acknowledged: 0,
    duringFault: 0,
    conflicts: 0,
    storeErrors: new Map(),
    rawErrors: 0,
    unknown: 0,
    resolvedReplayed: 0,
    resolvedCommitted: 0,
    failovers: 0,
    victimAfter: 0,
  };
}

const causes = (t: Tally): string =>
  [...t.storeErrors]
    .sort(([, a], [, b]) => b - a)
    .map(([cause, n]) => `${n} ${cause}`)
    .join(", ") || "none";

describe.skipIf(!up)("mysql adapter on MariaDB Galera: a node lost, a node cut off", () => {
  const prefix = `t_galf_${uniqueSuffix()}_`;
  const pools: Pool[] = [];
  /** Per node, a store with causalReads (every read sees every commit acknowledged before it). */
  const stores: MySqlStore[] = [];
  const engines: OnboardingEngine[] = [];

  beforeAll(async () => {
    for (let i = 0; i < NODES; i += 1) {
      // A short connect timeout: a killed node refuses at once, a cut-off one must not hold a writer for 10 s.
      const pool = createPool({ ...c().options(i), connectionLimit: 8, connectTimeout: 2_000 });
      pools.push(pool);
      stores.push(createMySqlStore({ pool, tablePrefix: prefix, causalReads: true }));
      engines.push(createOnboardingEngine({ store: stores[i] as MySqlStore, authorize: allow }));
    }
    await stores[0]?.migrate();
    console.log(`[galera] cluster of ${NODES} nodes on loopback, started in ${(c().startedInMs / 1000).toFixed(1)} s`);
  }, 60_000);

  afterAll(async () => {
    if (pools[0] !== undefined) await dropTables(pools[0], prefix).catch(() => undefined);
    await Promise.all(pools.map((pool) => pool.end().catch(() => undefined)));
  }, 30_000);

  interface Stream {
    readonly ws: string;
    readonly drafts: readonly string[];
    readonly history: DraftHistory;
    readonly tally: Tally;
    /** The key of every acknowledged logical operation, by draft. */
    readonly keys: Map<string, string[]>;
    /** Sets whether the fault is on (for `duringFault`); turned off, writers go back to their own node. */
    fault(on: boolean): void;
    /** Ends the writers (each finishes its current operation) and resolves when they have. */
    stop(): Promise<void>;
  }

  /**
   * `perNode` writers on every node, on `draftCount` shared drafts, until `stop()`. Each
   * logical operation has its own key and is sent until acknowledged; a StoreError moves the
   * writer to the next node.
   */
  async function startStream(label: string, perNode: number, draftCount: number): Promise<Stream> {
    const ws = `ws-galf-${label}-${uniqueSuffix()}`;
    const history = createDraftHistory();
    const tally = newTally();
    const keys = new Map<string, string[]>();
    const drafts = Array.from({ length: draftCount }, (_, d) => `d-${d}`);
    const setup = recordingEngine(engines[0] as OnboardingEngine, history, "setup");
    for (const [d, id] of drafts.entries()) {
      await setup.create(
        ws,
        { id, identity: { tenantId: `t-${d}`, displayName: "start" } },
        { actor: { id: "setup" } },
      );
      keys.set(id, []);
    }
    let running = true;
    let faultOn = false;
    /** Set once the fault is over: writers go back to their own node. */
    let healed = false;
    const writers = Array.from({ length: NODES * perNode }, async (_, index) => {
      let node = index % NODES;
      const clients: RecordingEngine[] = engines.map((engine, n) =>
        recordingEngine(engine, history, `w${index}@n${n + 1}`),
      );
      const actor = { id: `writer-${index}` };
      const failed = (error: unknown): void => {
        if (error instanceof StoreError) {
          const cause = causeOf(error);
          tally.storeErrors.set(cause, (tally.storeErrors.get(cause) ?? 0) + 1);
          node = (node + 1) % NODES; // the load balancer sends the next call elsewhere
          tally.failovers += 1;
        } else if (!isOnboardingError(error)) {
          tally.rawErrors += 1;
          throw error;
        } else {
          throw error; // any other typed error fails the test
        }
      };
      for (let k = 0; running; k += 1) {
        if (healed) node = index % NODES;
        const draftId = drafts[(index + k) % drafts.length] as string;
        const key = `${label}-w${index}-${k}`;
        const command = { type: "identify", tenantId: `t-${drafts.indexOf(draftId)}`, displayName: key } as const;
        let unknown = false;
        for (let attempt = 0; ; attempt += 1) {
          if (attempt > 2_000) throw new Error(`operation ${key} was never acknowledged`);
          const client = clients[node] as RecordingEngine;
          let version: number;
          try {
            version = (await client.get(ws, draftId, { actor })).version;
          } catch (error) {
            failed(error);
            await sleep(20);
            continue;
          }
          try {
            const result = await client.execute(ws, draftId, command, {
              actor,
              expectedVersion: version,
              idempotencyKey: key,
            });
            if (unknown) {
              if (result.replayed) tally.resolvedReplayed += 1;
              else tally.resolvedCommitted += 1;
            }
            break;
          } catch (error) {
            if (error instanceof VersionConflictError) {
              tally.conflicts += 1;
              continue;
            }
            if (error instanceof StoreError && !unknown) {
              unknown = true;
              tally.unknown += 1;
            }
            failed(error);
            await sleep(20);
          }
        }
        tally.acknowledged += 1;
        if (faultOn) tally.duringFault += 1;
        if (healed && node === VICTIM) tally.victimAfter += 1;
        keys.get(draftId)?.push(key);
      }
    });
    const all = Promise.all(writers);
    all.catch(() => undefined); // surfaced by stop()
    return {
      ws,
      drafts,
      history,
      tally,
      keys,
      fault(on) {
        faultOn = on;
        if (!on && tally.duringFault > 0) healed = true;
      },
      async stop() {
        running = false;
        await all;
      },
    };
  }

  /** Waits until `count` more operations are acknowledged (or `ms` pass: then fails). */
  async function progress(stream: Stream, count: number, ms: number): Promise<void> {
    const target = stream.tally.acknowledged + count;
    const until = Date.now() + ms;
    while (stream.tally.acknowledged < target) {
      if (Date.now() > until) throw new Error(`no progress: ${stream.tally.acknowledged} of ${target} acknowledged`);
      await sleep(50);
    }
  }

  /** Waits until node 3 has acknowledged `count` operations since the fault ended (or `ms` pass: then fails). */
  async function victimServes(stream: Stream, count: number, ms: number): Promise<void> {
    const until = Date.now() + ms;
    while (stream.tally.victimAfter < count) {
      if (Date.now() > until)
        throw new Error(`node 3 acknowledged ${stream.tally.victimAfter} operations after the fault`);
      await sleep(50);
    }
  }

  /**
   * The invariants after a run: on every node the same audit trail, versions 1..n once each, and
   * one committed entry per acknowledged key (0 lost, 0 doubled); the history linearizable.
   */
  async function verify(stream: Stream): Promise<{ versions: number[]; verdict: string; unknownOps: number }> {
    const versions: number[] = [];
    for (const draftId of stream.drafts) {
      const trails: string[] = [];
      for (let node = 0; node < NODES; node += 1) {
        const { draft, events } = await assertDraftInvariants(stores[node] as MySqlStore, stream.ws, draftId);
        const committed = events.filter((e: AuditEvent) => e.kind === "committed");
        const perKey = new Map<string, number>();
        for (const e of committed) perKey.set(e.idempotencyKey ?? "", (perKey.get(e.idempotencyKey ?? "") ?? 0) + 1);
        const acknowledged = stream.keys.get(draftId) ?? [];
        expect(
          acknowledged.filter((k) => perKey.get(k) !== 1),
          `lost or doubled on n${node + 1}`,
        ).toEqual([]);
        expect(committed.length, `n${node + 1}: ${draftId}`).toBe(acknowledged.length);
        expect(draft.version).toBe(1 + acknowledged.length);
        trails.push(JSON.stringify(events.map((e) => [e.eventId, e.toVersion, e.kind])));
        if (node === 0) versions.push(draft.version);
      }
      expect(new Set(trails).size, `${draftId}: the same audit trail on every node`).toBe(1);
    }
    const result = checkLinearizability(stream.history, { timeoutMs: 30_000 });
    expect(result.ok, result.report).toBe(true);
    return { versions, verdict: result.report.split("\n")[0] ?? "", unknownOps: result.unknown };
  }

  function report(label: string, stream: Stream, checked: { versions: number[]; verdict: string }, ms: number): string {
    const t = stream.tally;
    const perDraft = checked.versions.map((v) => `1..${v}`).join(", ");
    return (
      `  ${t.acknowledged} operations acknowledged (${t.duringFault} of them while ${label}), ${t.conflicts} version conflicts, ` +
      `in ${(ms / 1000).toFixed(1)} s\n` +
      `  failed calls, all StoreError (0 driver errors): ${causes(t)}; ${t.failovers} fail-overs to another node\n` +
      `  ${t.unknown} operation${t.unknown === 1 ? "" : "s"} of unknown outcome, resolved by resending under their key: ${t.resolvedReplayed} had ` +
      `applied (replayed), ${t.resolvedCommitted} had not (committed once)\n` +
      `  0 lost, 0 doubled: versions ${perDraft}, one audit entry per version, the same trail on all ${NODES} nodes\n` +
      `  history: ${checked.verdict}`
    );
  }

  it("node loss: node 3 SIGKILLed mid-stream, the two others go on, node 3 restarts and catches up", async () => {
    const began = performance.now();
    const stream = await startStream("kill", 3, 4);
    try {
      await progress(stream, 30, 30_000);
      const killedAt = performance.now();
      stream.fault(true);
      await c().kill(VICTIM);
      // The survivors evict node 3 (evs.suspect_timeout, 5 s by default) and keep a primary component of 2.
      await c().waitSynced([0, 1], 2, 30_000);
      const primary = await c().status(0, "wsrep_cluster_status");
      expect(primary).toBe("Primary");
      const evictedMs = performance.now() - killedAt;
      await progress(stream, 30, 30_000);
      const restartedAt = performance.now();
      const transfer = await c().restart(VICTIM);
      const rejoinMs = performance.now() - restartedAt;
      stream.fault(false);
      await progress(stream, 20, 30_000);
      await victimServes(stream, 3, 30_000); // its writers are back on it
      await stream.stop();
      const checked = await verify(stream);
      expect(stream.tally.rawErrors).toBe(0);
      expect(stream.tally.storeErrors.size).toBeGreaterThan(0); // node 3's writers did meet the kill
      expect(stream.tally.duringFault).toBeGreaterThan(0);
      expect(stream.tally.victimAfter).toBeGreaterThan(0);
      console.log(
        `[galera] node loss: ${NODES} nodes x 3 writers on 4 drafts (causalReads, a key per operation); node 3's mariadbd ` +
          `SIGKILLed mid-stream: the 2 others formed a primary component of 2 in ${(evictedMs / 1000).toFixed(1)} s and ` +
          `went on; node 3 restarted and rejoined by ${transfer} in ${(rejoinMs / 1000).toFixed(1)} s, then served ` +
          `${stream.tally.victimAfter} operations again\n${report("node 3 was down", stream, checked, performance.now() - began)}`,
      );
    } finally {
      await stream.stop().catch(() => undefined);
    }
  }, 120_000);

  it("partition: node 3 cut off (gmcast.isolate) refuses reads and writes with a typed error, the majority goes on, it resyncs", async () => {
    const began = performance.now();
    const stream = await startStream("isolate", 3, 4);
    const probe = engines[VICTIM] as OnboardingEngine;
    try {
      await c().waitSynced([0, 1, 2], 3, 60_000); // after the node loss test
      await progress(stream, 30, 30_000);
      const cutAt = performance.now();
      stream.fault(true);
      await c().admin(VICTIM, "SET GLOBAL wsrep_provider_options = 'gmcast.isolate=1'");
      for (;;) {
        if (performance.now() - cutAt > 30_000) throw new Error("node 3 never became non-primary");
        if ((await c().status(VICTIM, "wsrep_cluster_status")) === "non-Primary") break;
        await sleep(100);
      }
      const nonPrimaryMs = performance.now() - cutAt;
      await c().waitSynced([0, 1], 2, 30_000);
      // On node 3 now: a read and a write each fail with StoreError caused by GaleraNodeUnavailable:
      // 1047 without causalReads; with them, the causality wait in front of the statement fails (1205).
      const actor = { id: "probe" };
      const plainProbe = createOnboardingEngine({
        store: createMySqlStore({ pool: pools[VICTIM] as Pool, tablePrefix: prefix }),
        authorize: allow,
      });
      const seen: string[] = [];
      for (const [label, engine] of [
        ["plain", plainProbe],
        ["causalReads", probe],
      ] as const) {
        const readError: unknown = await engine.get(stream.ws, "d-0", { actor }).catch((e: unknown) => e);
        const writeError: unknown = await engine
          .execute(
            stream.ws,
            "d-0",
            { type: "identify", tenantId: "t-0", displayName: "from the minority" },
            { actor, expectedVersion: 1 },
          )
          .catch((e: unknown) => e);
        for (const error of [readError, writeError]) {
          expect(error).toBeInstanceOf(StoreError);
          const cause = (error as StoreError).cause;
          expect(cause).toBeInstanceOf(GaleraNodeUnavailable);
          if (label === "plain") expect((cause as GaleraNodeUnavailable).errno).toBe(1047);
          seen.push(`${label} ${error === readError ? "read" : "write"}: ${(cause as GaleraNodeUnavailable).errno}`);
        }
      }
      await progress(stream, 30, 30_000); // the majority goes on
      const healedAt = performance.now();
      await c().admin(VICTIM, "SET GLOBAL wsrep_provider_options = 'gmcast.isolate=0'");
      await c().waitSynced([0, 1, 2], 3, 60_000);
      const resyncMs = performance.now() - healedAt;
      stream.fault(false);
      await progress(stream, 20, 30_000);
      await victimServes(stream, 3, 30_000); // its writers are back on it
      await stream.stop();
      const checked = await verify(stream);
      expect(stream.tally.rawErrors).toBe(0);
      expect(stream.tally.duringFault).toBeGreaterThan(0);
      expect(stream.tally.victimAfter).toBeGreaterThan(0);
      console.log(
        `[galera] partition: ${NODES} nodes x 3 writers on 4 drafts (causalReads, a key per operation); node 3 cut off ` +
          `(gmcast.isolate=1): non-primary after ${(nonPrimaryMs / 1000).toFixed(1)} s, where reads and writes each got ` +
          `StoreError caused by GaleraNodeUnavailable (${seen.join(", ")}); the 2 others went on; healed (gmcast.isolate=0), node 3 ` +
          `resynced in ${(resyncMs / 1000).toFixed(1)} s and served ${stream.tally.victimAfter} operations again\n${report("node 3 was cut off", stream, checked, performance.now() - began)}`,
      );
    } finally {
      await stream.stop().catch(() => undefined);
    }
  }, 120_000);
});
