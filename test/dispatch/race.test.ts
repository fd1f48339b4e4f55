/**
 * Dispatchers racing over one outbox (issue 11), on every real server: hundreds of runs started
 * through the engine (real commits: create, select_provider, start_verification; every other
 * draft also records its verification and starts a bootstrap of several operations) while three
 * dispatchers, two of them in child processes, claim and deliver them into a queue on the same
 * server that counts the deliveries of each run.
 *
 * - Leases long enough that none ends: every run reaches the queue exactly once.
 * - One dispatcher (a child, 1 s lease) holds each first delivery past its lease: the others take
 *   the entry over and deliver it again. Every run reaches the queue at least once; the
 *   duplicates are exactly the forced expiries (the stalling dispatcher's settles that found the
 *   entry taken over), and no other delivery is repeated.
 *
 * No timing assertions: waits poll with a deadline.
 */
import { afterAll, describe, expect, it } from "vitest";
import type { DispatchReport } from "../../src/index.js";
import {
  allRecords,
  drained,
  localDispatcher,
  reapChildren,
  spawnDispatcher,
  startRuns,
  total,
  until,
  type RunPlan,
} from "./fixtures/process.js";
import { ADAPTERS, availableAdapters, withTarget, type Target } from "./fixtures/targets.js";

const up = await availableAdapters();

// A test that timed out may leave its children running: end them with the file.
afterAll(reapChildren);

const LONG_LEASE_MS = 30_000;
const SHORT_LEASE_MS = 1000;

/** 100 verifications + 50 bootstraps of 4 operations = 300 runs. */
const MANY: RunPlan = {
  workspaces: ["ws-a", "ws-b"],
  drafts: 100,
  bootstrapEvery: 2,
  operations: ["dns", "mail", "sso", "sync"],
  concurrency: 6,
};
/** 40 verifications + 20 bootstraps of 3 operations = 100 runs. */
const FEWER: RunPlan = { ...MANY, drafts: 40, operations: ["dns", "mail", "sso"] };

const describeDelivered = (tallies: readonly [string, DispatchReport][]): string =>
  tallies.map(([owner, tally]) => `${owner}:${tally.delivered}`).join(",");

describe.each(ADAPTERS)("dispatchers racing on %s", (adapter) => {
  /** Starts the runs while the dispatchers run, waits for the outbox to drain, stops them all. */
  async function race(
    target: Target,
    plan: RunPlan,
    children: Awaited<ReturnType<typeof spawnDispatcher>>[],
    local: ReturnType<typeof localDispatcher>,
  ) {
    local.dispatcher.start();
    const runIds = await startRuns(target.store, plan);
    await until(() => drained(target.store), 40_000, "the outbox to drain");
    const [childTallies] = await Promise.all([
      Promise.all(children.map((child) => child.stop())),
      local.dispatcher.stop(),
    ]);
    for (const child of children) expect(child.events().filter((event) => event.event === "error")).toEqual([]);
    expect(local.errors).toEqual([]);
    const tallies: [string, DispatchReport][] = [
      ...children.map((child, index): [string, DispatchReport] => [child.owner, childTallies[index]!]),
      [local.dispatcher.owner, local.tally],
    ];
    const records = await allRecords(target.store);
    const queue = await target.queue();
    expect(records.map((record) => record.status)).toEqual(records.map(() => "delivered"));
    expect(records.map((record) => record.kind)).toEqual(records.map(() => "run.requested"));
    expect(new Set(records.map((record) => record.runId))).toEqual(new Set(runIds));
    expect(new Set(queue.keys())).toEqual(new Set(runIds));
    expect(records).toHaveLength(runIds.length);
    // Every queued delivery was a claim: the queue never holds more than the attempts made.
    expect(total(queue)).toBeLessThanOrEqual(records.reduce((sum, record) => sum + record.attempts, 0));
    return { runIds, queue, records, tallies };
  }

  it.skipIf(!up[adapter])(
    "3 dispatchers in 3 processes, leases that hold: each of 300 runs reaches the queue exactly once",
    () =>
      withTarget(adapter, "race", reapChildren, async (config, target) => {
        const normal = { target: config, mode: "normal", leaseMs: LONG_LEASE_MS, pollIntervalMs: 25 } as const;
        const children = await Promise.all([
          spawnDispatcher({ ...normal, owner: "race-child-1", batchSize: 10, concurrency: 4 }),
          spawnDispatcher({ ...normal, owner: "race-child-2", batchSize: 10, concurrency: 4 }),
        ]);
        const local = localDispatcher(target.store, "race-parent", (record) => target.enqueue(record), LONG_LEASE_MS);
        const { runIds, queue, records, tallies } = await race(target, MANY, children, local);

        expect(runIds).toHaveLength(300);
        expect([...queue.values()].filter((count) => count !== 1)).toEqual([]);
        expect(records.filter((record) => record.attempts !== 1)).toEqual([]);
        expect(tallies.reduce((sum, [, tally]) => sum + tally.delivered, 0)).toBe(runIds.length);
        expect(tallies.reduce((sum, [, tally]) => sum + tally.lost, 0)).toBe(0);
        // It was a race: more than one dispatcher delivered.
        expect(tallies.filter(([, tally]) => tally.delivered > 0).length).toBeGreaterThan(1);

        console.log(
          `[dispatch-race] adapter=${adapter} leases=held runs=${runIds.length} dispatchers=${tallies.length}` +
            ` processes=${children.length + 1} duplicates=${total(queue) - runIds.length}` +
            ` expired=0 delivered-by=${describeDelivered(tallies)} lease-ms=${LONG_LEASE_MS}`,
        );
      }),
    60_000,
  );

  /** One forced-expiry race; resolves to how many of the staller's leases were taken over. */
  const forcedExpiry = async (): Promise<number> => {
    let expired = 0;
    await withTarget(adapter, "race", reapChildren, async (config, target) => {
      const [steady, staller] = await Promise.all([
        spawnDispatcher({
          target: config,
          owner: "race-steady",
          mode: "normal",
          leaseMs: LONG_LEASE_MS,
          batchSize: 10,
          concurrency: 4,
          pollIntervalMs: 25,
        }),
        spawnDispatcher({
          target: config,
          owner: "race-staller",
          mode: "stall",
          leaseMs: SHORT_LEASE_MS,
          batchSize: 2,
          concurrency: 2,
          pollIntervalMs: 25,
        }),
      ]);
      const local = localDispatcher(target.store, "race-parent", (record) => target.enqueue(record), LONG_LEASE_MS);
      const { runIds, queue, tallies } = await race(target, FEWER, [steady, staller], local);
      const byOwner = new Map(tallies);
      expired = byOwner.get("race-staller")!.lost;
      const duplicates = total(queue) - runIds.length;

      expect(runIds).toHaveLength(100);
      expect([...queue.values()].every((count) => count >= 1)).toBe(true);
      // Each expired lease was delivered once more by a steady dispatcher, and nothing else twice.
      expect(duplicates).toBe(expired);
      expect([...queue.values()].every((count) => count <= 2)).toBe(true);
      expect(byOwner.get("race-steady")!.lost + byOwner.get("race-parent")!.lost).toBe(0);

      console.log(
        `[dispatch-race] adapter=${adapter} leases=forced-expiry runs=${runIds.length} dispatchers=${tallies.length}` +
          ` processes=3 duplicates=${duplicates} expired=${expired} delivered-by=${describeDelivered(tallies)}` +
          ` lease-ms=${SHORT_LEASE_MS}/${LONG_LEASE_MS}`,
      );
    });
    return expired;
  };

  it.skipIf(!up[adapter])(
    "forced lease expiry: every run reaches the queue at least once, the duplicates are the expired leases",
    async () => {
      // The staller must have held a lease past its end for the race to prove anything; when the
      // others drained the outbox before it claimed (seen once on SQLite), race again.
      let expired = 0;
      for (let round = 1; round <= 3 && expired === 0; round += 1) expired = await forcedExpiry();
      expect(expired).toBeGreaterThan(0);
    },
    150_000,
  );
});
