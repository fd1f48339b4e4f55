/**
 * A dispatcher killed mid-delivery (issue 11), on every real server: runs started through the
 * engine; a dispatcher in a child process delivers them into a queue on the same server (a table
 * or Redis hash counting deliveries per run) and hangs mid-delivery on two entries, one that
 * already reached the queue (its acknowledgement is lost) and one that had not; the test
 * SIGKILLs it; a second child (a new owner) does the same and is killed too; then a dispatcher
 * with yet another owner takes over. Every run reaches the queue at least once, none is lost,
 * every entry ends `delivered`, and each entry a dead process held was redelivered only once
 * its lease had ended. No timing assertions: waits poll with a deadline.
 */
import { afterAll, describe, expect, it } from "vitest";
import type { OutboxRecord } from "../../src/record/index.js";
import {
  allRecords,
  drained,
  localDispatcher,
  reapChildren,
  spawnDispatcher,
  startRuns,
  total,
  until,
  type ChildEvent,
} from "./fixtures/process.js";
import { ADAPTERS, availableAdapters, withTarget } from "./fixtures/targets.js";

const up = await availableAdapters();

// A test that timed out may leave its children running: end them with the file.
afterAll(reapChildren);

const KILLS = 2;
const LEASE_MS = 1500;

/** An entry a killed child held, with what the queue had of its run when the child died. */
interface Held {
  readonly entry: NonNullable<ChildEvent["entry"]>;
  readonly phase: "after" | "before";
  readonly queuedAtKill: number;
}

describe.each(ADAPTERS)("dispatcher crash on %s", (adapter) => {
  it.skipIf(!up[adapter])(
    "SIGKILLed mid-delivery twice: a new owner redelivers after the lease, every run reaches the queue",
    () =>
      withTarget(adapter, "crash", reapChildren, async (config, target) => {
        const runIds = await startRuns(target.store, {
          workspaces: ["ws-a", "ws-b"],
          drafts: 16,
          bootstrapEvery: 4,
          operations: ["dns", "mail"],
          concurrency: 4,
        });
        expect(runIds).toHaveLength(16 + 4 * 2);

        const held: Held[] = [];
        for (let round = 1; round <= KILLS; round++) {
          const child = await spawnDispatcher({
            target: config,
            owner: `crash-${round}`,
            mode: "crash",
            leaseMs: LEASE_MS,
            batchSize: 4,
            concurrency: 2,
            pollIntervalMs: 25,
            blockAt: 5, // the first batch of 4 is delivered and settled; the second hangs
          });
          const blocked = await child.waitFor((event) => event.event === "blocked", 2, 30_000);
          const queuedAtKill = await Promise.all(blocked.map((event) => target.deliveries(event.entry!.runId)));
          expect(await child.kill()).toBe("SIGKILL");
          expect(child.events().filter((event) => event.event === "error")).toEqual([]);
          blocked.forEach((event, index) =>
            held.push({ entry: event.entry!, phase: event.phase!, queuedAtKill: queuedAtKill[index]! }),
          );
        }
        for (const { phase, queuedAtKill } of held) {
          expect(queuedAtKill).toBeGreaterThanOrEqual(phase === "after" ? 1 : 0);
        }

        const survivor = localDispatcher(target.store, "survivor", (record) => target.enqueue(record));
        survivor.dispatcher.start();
        await until(() => drained(target.store), 30_000, "the outbox to drain");
        await survivor.dispatcher.stop();
        expect(survivor.errors).toEqual([]);

        const records = await allRecords(target.store);
        const queue = await target.queue();
        expect(records.map((record) => record.status)).toEqual(records.map(() => "delivered"));
        expect(new Set(records.map((record) => record.runId))).toEqual(new Set(runIds));
        expect(new Set(queue.keys())).toEqual(new Set(runIds));
        expect([...queue.values()].every((count) => count >= 1)).toBe(true);
        // Every queued delivery was a claim: the queue never holds more than the attempts made.
        expect(total(queue)).toBeLessThanOrEqual(records.reduce((sum, record) => sum + record.attempts, 0));

        const byEntry = new Map(records.map((record) => [`${record.workspaceId}/${record.entryId}`, record]));
        for (const { entry, queuedAtKill } of held) {
          const record = byEntry.get(`${entry.workspaceId}/${entry.entryId}`) as OutboxRecord;
          // Redelivered after the kill, by a new owner, and only once the dead one's lease had ended.
          expect(queue.get(entry.runId)).toBeGreaterThan(queuedAtKill);
          expect(record.attempts).toBeGreaterThan(entry.attempts);
          expect(record.deliveredAt! >= entry.leaseUntil!).toBe(true);
        }

        const duplicates = total(queue) - runIds.length;
        const lost = runIds.filter((runId) => !queue.has(runId)).length;
        console.log(
          `[dispatch-crash] adapter=${adapter} runs=${runIds.length} dispatchers=${KILLS + 1} processes=${KILLS + 1}` +
            ` kills=${KILLS} held-at-kill=${held.length} redelivered=${held.length} duplicates=${duplicates}` +
            ` lost=${lost} lease-ms=${LEASE_MS}`,
        );
      }),
    60_000,
  );
});
