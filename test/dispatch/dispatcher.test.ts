/**
 * The outbox dispatcher (src/dispatch/) on a virtual clock: delivery, the retry/backoff schedule,
 * dead entries with their audit entry and requeue, lease expiry and take-over between two
 * dispatchers, stop() and AbortSignal, the concurrency bound, store errors, corrupt records,
 * scheduled tasks, option checks, and a property: with K dispatchers and random failures every
 * entry ends delivered or dead and no entry is ever delivered by two holders at once.
 *
 * No real sleeps: every wait goes through VirtualTime.sleep, which only wakes when the test
 * moves the virtual clock.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  ConfigurationError,
  CorruptRecordError,
  ValidationError,
  createDispatcher,
  type DispatcherOptions,
} from "../../src/index.js";
import { MAX_OUTBOX_ERROR_LENGTH, type OutboxEntry, type OutboxRecord } from "../../src/record/index.js";
import { TestStore, VirtualTime, entry, type Backing } from "./support.js";

const iso = (ms: number): string => new Date(ms).toISOString();

function setup(backing: Backing, overrides: Partial<DispatcherOptions> = {}) {
  const time = new VirtualTime();
  const store = new TestStore(backing);
  const errors: unknown[] = [];
  const delivered: OutboxRecord[] = [];
  let ids = 0;
  const options: DispatcherOptions = {
    store,
    owner: "dispatcher-a",
    newId: () => `audit-${++ids}`,
    clock: time.clock,
    sleep: time.sleep,
    backoff: { baseMs: 1000, maxMs: 8000, jitter: false },
    onError: (error) => errors.push(error),
    deliver: async (record) => {
      delivered.push(record);
    },
    ...overrides,
  };
  return { time, store, errors, delivered, options, dispatcher: createDispatcher(options) };
}

/** A promise the test resolves by hand. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open = (): void => undefined;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

describe.each(["fake", "memory"] as const)("on the %s store", (backing) => {
  describe("dispatcher: delivery", () => {
    it("claims pending entries, delivers each once (attempt 1, validated) and settles them delivered in one batch", async () => {
      const { store, dispatcher, delivered, time } = setup(backing);
      const entries = await store.add(entry(), entry(), entry());
      const report = await dispatcher.runOnce();
      expect(report).toEqual({ claimed: 3, delivered: 3, retried: 0, dead: 0, released: 0, lost: 0 });
      expect(delivered.map((r) => r.entryId)).toEqual(entries.map((e) => e.entryId));
      expect(delivered.every((r) => r.attempts === 1 && r.leaseOwner === "dispatcher-a")).toBe(true);
      for (const e of entries) {
        expect(await store.record(e)).toMatchObject({
          status: "delivered",
          deliveredAt: iso(time.now),
          leaseOwner: null,
          leaseUntil: null,
        });
      }
      expect(store.calls.settleOutbox).toBe(1);
      expect(await dispatcher.runOnce()).toEqual({
        claimed: 0,
        delivered: 0,
        retried: 0,
        dead: 0,
        released: 0,
        lost: 0,
      });
    });

    it("passes the attempt number and claims at most batchSize entries per run", async () => {
      const attempts: number[] = [];
      const { store, dispatcher } = setup(backing, {
        batchSize: 2,
        deliver: async (_, { attempt }) => void attempts.push(attempt),
      });
      await store.add(entry(), entry(), entry());
      expect((await dispatcher.runOnce()).claimed).toBe(2);
      expect((await dispatcher.runOnce()).claimed).toBe(1);
      expect(attempts).toEqual([1, 1, 1]);
    });

    it("never has more than `concurrency` deliveries in flight", async () => {
      let inFlight = 0;
      let most = 0;
      const { store, dispatcher, time } = setup(backing, {
        concurrency: 3,
        deliver: async (_, { signal }) => {
          inFlight += 1;
          most = Math.max(most, inFlight);
          await time.sleep(10, signal);
          inFlight -= 1;
        },
      });
      await store.add(...Array.from({ length: 20 }, () => entry()));
      const run = dispatcher.runOnce();
      await time.until(() => store.calls.settleOutbox === 1);
      expect(await run).toMatchObject({ claimed: 20, delivered: 20 });
      expect(most).toBe(3);
    });
  });

  describe("dispatcher: failures, backoff and dead entries", () => {
    it("retries a failing delivery on the exponential schedule, then parks it dead with an audit entry", async () => {
      const { store, dispatcher, time } = setup(backing, {
        maxAttempts: 6,
        deliver: async () => {
          throw new Error("queue down");
        },
      });
      const e = await store.one(entry());
      const delays: number[] = [];
      for (let attempt = 1; attempt < 6; attempt++) {
        expect(await dispatcher.runOnce()).toMatchObject({ claimed: 1, retried: 1, dead: 0 });
        const record = await store.record(e);
        expect(record).toMatchObject({
          status: "pending",
          attempts: attempt,
          lastError: "queue down",
          leaseOwner: null,
        });
        delays.push(Date.parse(record.availableAt) - time.now);
        time.now += 999; // not yet available
        expect((await dispatcher.runOnce()).claimed).toBe(0);
        time.now = Date.parse(record.availableAt);
      }
      expect(delays).toEqual([1000, 2000, 4000, 8000, 8000]);
      expect(await dispatcher.runOnce()).toMatchObject({ claimed: 1, retried: 0, dead: 1, lost: 0 });
      expect(await store.record(e)).toMatchObject({ status: "dead", attempts: 6, lastError: "queue down" });
      expect(await store.deliveryAudits(e)).toEqual([
        expect.objectContaining({
          eventId: "audit-1",
          kind: "delivery_dead",
          workspaceId: e.workspaceId,
          draftId: e.draftId,
          commandType: "run.requested",
          actorId: "dispatcher-a",
          runIds: [e.runId],
          at: iso(time.now),
        }),
      ]);
    });

    it("applies full jitter with the injected random", async () => {
      const { store, dispatcher, time } = setup(backing, {
        backoff: { baseMs: 1000, maxMs: 60_000, jitter: true },
        random: () => 0.25,
        deliver: async () => {
          throw new Error("no");
        },
      });
      const e = await store.one(entry());
      await dispatcher.runOnce();
      time.now = Date.parse((await store.record(e)).availableAt);
      await dispatcher.runOnce();
      expect(Date.parse((await store.record(e)).availableAt) - time.now).toBe(500); // floor(0.25 * 2000)
    });

    it("keeps at most MAX_OUTBOX_ERROR_LENGTH characters of a storable error text", async () => {
      const { store, dispatcher } = setup(backing, {
        deliver: async () => {
          throw new Error(`${"x".repeat(MAX_OUTBOX_ERROR_LENGTH - 1)}\u{1F600}tail\u0000`);
        },
      });
      const e = await store.one(entry());
      await dispatcher.runOnce();
      const { lastError } = await store.record(e);
      expect(lastError).toBe("x".repeat(MAX_OUTBOX_ERROR_LENGTH - 1)); // the pair is not split
      const odd = setup(backing, {
        // A non-Error rejection (plain JavaScript throws strings too) is kept as its text.
        // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
        deliver: () => Promise.reject("bad\uD800 value\u0000"),
      });
      const other = await odd.store.one(entry());
      await odd.dispatcher.runOnce();
      expect((await odd.store.record(other)).lastError).toBe("bad\uFFFD value\uFFFD");
    });

    it("lists dead entries and requeues one by hand, audited; the requeued entry is delivered again", async () => {
      let fail = true;
      const { store, dispatcher, delivered } = setup(backing, {
        maxAttempts: 1,
        deliver: async (record) => {
          if (fail) throw new Error("rejected");
          delivered.push(record);
        },
      });
      const [a, b] = (await store.add(entry(), entry({ workspaceId: "ws-2" }))) as [OutboxEntry, OutboxEntry];
      expect(await dispatcher.runOnce()).toMatchObject({ dead: 2 });
      expect((await dispatcher.listDead()).entries.map((r) => r.entryId)).toEqual([a.entryId, b.entryId]);
      const page = await dispatcher.listDead({ workspaceId: "ws-2", limit: 1 });
      expect(page).toEqual({
        entries: [expect.objectContaining({ entryId: b.entryId, status: "dead" })],
        nextCursor: null,
      });
      const first = await dispatcher.listDead({ limit: 1 });
      expect(first.nextCursor).not.toBeNull();
      expect((await dispatcher.listDead({ limit: 1, cursor: first.nextCursor })).entries[0]!.entryId).toBe(b.entryId);

      expect(await dispatcher.requeue({ workspaceId: "ws-2", entryId: a.entryId })).toBe(false); // other workspace
      expect(await dispatcher.requeue({ workspaceId: a.workspaceId, entryId: a.entryId, actorId: "operator-7" })).toBe(
        true,
      );
      expect(await dispatcher.requeue({ workspaceId: a.workspaceId, entryId: a.entryId })).toBe(false); // no longer dead
      expect((await store.deliveryAudits(a)).at(-1)).toMatchObject({
        kind: "delivery_requeued",
        actorId: "operator-7",
        draftId: a.draftId,
        runIds: [a.runId],
        commandType: "run.requested",
      });
      expect(await store.record(a)).toMatchObject({ status: "pending", attempts: 0, lastError: "rejected" });
      fail = false;
      expect(await dispatcher.runOnce()).toMatchObject({ claimed: 1, delivered: 1 });
      expect(delivered.map((r) => r.entryId)).toEqual([a.entryId]);
    });

    it("refuses bad listDead options and requeue references with ValidationError", async () => {
      const { dispatcher } = setup(backing);
      await expect(dispatcher.listDead({ limit: 0 })).rejects.toBeInstanceOf(ValidationError);
      await expect(dispatcher.listDead({ limit: 501 })).rejects.toBeInstanceOf(ValidationError);
      await expect(dispatcher.requeue({ workspaceId: "", entryId: "x" })).rejects.toBeInstanceOf(ValidationError);
    });
  });

  describe("dispatcher: leases", () => {
    it("redelivers an entry whose holder died once its lease has ended", async () => {
      const { store, dispatcher, delivered, time } = setup(backing, { leaseMs: 10_000 });
      const e = await store.one(entry());
      await store.claimOutbox({ owner: "crashed", now: iso(time.now), leaseUntil: iso(time.now + 10_000), limit: 10 });
      time.now += 9_999;
      expect((await dispatcher.runOnce()).claimed).toBe(0);
      time.now += 1;
      expect(await dispatcher.runOnce()).toMatchObject({ claimed: 1, delivered: 1 });
      expect(delivered.map((r) => [r.entryId, r.attempts])).toEqual([[e.entryId, 2]]);
    });

    it("aborts a delivery before its lease ends, so a second dispatcher never runs it at the same time", async () => {
      const holders = new Set<string>();
      let overlap = false;
      const time = new VirtualTime();
      const store = new TestStore(backing);
      const make = (owner: string) =>
        createDispatcher({
          store,
          owner,
          clock: time.clock,
          sleep: time.sleep,
          leaseMs: 10_000,
          backoff: { baseMs: 1000, jitter: false },
          onError: () => undefined,
          deliver: async (_, { signal }) => {
            if (holders.size > 0) overlap = true;
            holders.add(owner);
            await time.sleep(60_000, signal); // much longer than the lease: only the abort ends it
            holders.delete(owner);
            if (signal.aborted) throw signal.reason;
          },
        });
      const [a, b] = [make("a"), make("b")];
      const e = await store.one(entry());
      const first = a.runOnce();
      await time.until(() => store.calls.settleOutbox === 1);
      expect(await first).toMatchObject({ claimed: 1, retried: 1, lost: 0 });
      expect(time.now).toBe(Date.parse("2026-01-01T00:00:00.000Z") + 9_000); // the lease less its margin
      expect((await store.record(e)).lastError).toMatch(/lease on outbox entry .* ends at/);
      await time.advance(1_000);
      const second = b.runOnce();
      await time.until(() => store.calls.settleOutbox === 2);
      expect(await second).toMatchObject({ claimed: 1, retried: 1 });
      expect(overlap).toBe(false);
    });

    it("aborts every delivery of a batch with its own entry's reason, also a signal first read after the deadline", async () => {
      const release = gate();
      const seen: { entryId: string; aborted: boolean; reason: string }[] = [];
      const { store, dispatcher, time } = setup(backing, {
        leaseMs: 10_000,
        concurrency: 2,
        deliver: async (record, context) => {
          if (record.entryId === entries[0]!.entryId) {
            await time.sleep(60_000, context.signal); // read at once: aborted in flight
          } else {
            await release.promise; // reads its signal only once the deadline has passed
          }
          const { signal } = context;
          seen.push({ entryId: record.entryId, aborted: signal.aborted, reason: String(signal.reason) });
          if (signal.aborted) throw signal.reason;
        },
      });
      const entries = await store.add(entry(), entry());
      const run = dispatcher.runOnce();
      await time.until(() => seen.length === 1);
      expect(time.now).toBe(Date.parse("2026-01-01T00:00:00.000Z") + 9_000);
      release.open();
      expect(await run).toMatchObject({ claimed: 2, retried: 2 });
      expect(seen.map((s) => [s.entryId, s.aborted])).toEqual(entries.map((e) => [e.entryId, true]));
      for (const [index, e] of entries.entries()) {
        expect(seen[index]!.reason).toContain(`lease on outbox entry ${e.entryId} ends at`);
        expect((await store.record(e)).lastError).toContain(`lease on outbox entry ${e.entryId} ends at`);
      }
    });

    it("counts a settle that changed nothing as lost when another dispatcher took the entry over", async () => {
      const time = new VirtualTime();
      const store = new TestStore(backing);
      const release = gate();
      const a = createDispatcher({
        store,
        owner: "slow",
        clock: time.clock,
        sleep: time.sleep,
        leaseMs: 10_000,
        onError: () => undefined,
        deliver: () => release.promise, // ignores its signal
      });
      const b = createDispatcher({
        store,
        owner: "fast",
        clock: time.clock,
        sleep: time.sleep,
        deliver: async () => undefined,
      });
      const e = await store.one(entry());
      const slow = a.runOnce();
      await time.advance(10_000);
      expect(await b.runOnce()).toMatchObject({ claimed: 1, delivered: 1 });
      release.open();
      expect(await slow).toMatchObject({ claimed: 1, delivered: 1, lost: 1 });
      expect(await store.record(e)).toMatchObject({ status: "delivered", attempts: 2 });
    });

    it("releases entries it could not start before the lease margin", async () => {
      const { store, dispatcher, time } = setup(backing, {
        leaseMs: 10_000,
        concurrency: 1,
        deliver: async (_, { signal }) => {
          await time.sleep(9_500, signal);
        },
      });
      const second = (await store.add(entry(), entry()))[1]!;
      const run = dispatcher.runOnce();
      await time.until(() => store.calls.settleOutbox === 1);
      expect(await run).toMatchObject({ claimed: 2, delivered: 1, released: 1 });
      expect(await store.record(second)).toMatchObject({ status: "pending", attempts: 0, leaseOwner: null });
    });
  });

  describe("dispatcher: the loop, stop() and AbortSignal", () => {
    it("stop() lets deliveries in flight finish and releases the claimed entries not started", async () => {
      const open = gate();
      let started = 0;
      const ticks: unknown[] = [];
      const {
        store,
        dispatcher: withTicks,
        time,
      } = setup(backing, {
        concurrency: 2,
        onTick: (report) => ticks.push(report),
        deliver: async () => {
          started += 1;
          await open.promise;
        },
      });
      const entries = await store.add(...Array.from({ length: 5 }, () => entry()));
      withTicks.start();
      expect(withTicks.running).toBe(true);
      await time.flush();
      expect(started).toBe(2);
      const stopped = withTicks.stop();
      await time.flush();
      expect(withTicks.running).toBe(true); // still finishing
      open.open();
      await stopped;
      expect(withTicks.running).toBe(false);
      expect(ticks).toEqual([{ claimed: 5, delivered: 2, retried: 0, dead: 0, released: 3, lost: 0 }]);
      const records = await Promise.all(entries.map((e) => store.record(e)));
      expect(records.map((r) => r.status)).toEqual(["delivered", "delivered", "pending", "pending", "pending"]);
      expect(records.slice(2).every((r) => r.attempts === 0 && r.leaseOwner === null)).toBe(true);
      expect(started).toBe(2);
    });

    it("polls: drains until a claim is empty, waits pollIntervalMs, picks up entries added later", async () => {
      const { store, dispatcher, delivered, time } = setup(backing, { batchSize: 2, pollIntervalMs: 5_000 });
      await store.add(entry(), entry(), entry());
      dispatcher.start();
      await time.flush();
      expect(delivered).toHaveLength(3);
      expect(store.calls.claimOutbox).toBe(3);
      await store.add(entry({ createdAt: iso(time.now) }));
      await time.advance(4_999);
      expect(delivered).toHaveLength(3);
      await time.advance(1);
      expect(delivered).toHaveLength(4);
      await dispatcher.stop();
      expect(dispatcher.running).toBe(false);
    });

    it("stops when its AbortSignal aborts, and does not start again", async () => {
      const controller = new AbortController();
      const { store, dispatcher, delivered, time } = setup(backing, { signal: controller.signal });
      dispatcher.start();
      await time.flush();
      controller.abort();
      await time.flush();
      expect(dispatcher.running).toBe(false);
      dispatcher.start();
      expect(dispatcher.running).toBe(false);
      await store.add(entry());
      await time.advance(10_000);
      expect(delivered).toHaveLength(0);
      expect(time.pendingTimers).toBe(0);
    });

    it("reports store errors through onError and keeps going with backoff", async () => {
      const { store, dispatcher, delivered, errors, time } = setup(backing);
      store.failures.set("claimOutbox", 3);
      await store.add(entry());
      dispatcher.start();
      await time.until(() => delivered.length === 1);
      expect(errors).toHaveLength(3);
      expect(errors.every((e) => e instanceof Error && e.message === "claimOutbox: store unavailable")).toBe(true);
      expect(time.now - Date.parse("2026-01-01T00:00:00.000Z")).toBe(1000 + 2000 + 4000);
      store.failures.set("settleOutbox", 1);
      await store.add(entry({ createdAt: iso(time.now) }));
      await time.until(() => errors.length === 4);
      await time.until(() => store.calls.settleOutbox === 3, 100); // redelivered once its lease ends
      expect(delivered).toHaveLength(3);
      await dispatcher.stop();
    });

    it("reports a corrupt claimed record and does not deliver it", async () => {
      const { store, dispatcher, delivered, errors } = setup(backing);
      await store.add(entry());
      store.injectOnClaim = [{ entryId: "broken", status: "pending" }];
      expect(await dispatcher.runOnce()).toMatchObject({ claimed: 2, delivered: 1 });
      expect(delivered).toHaveLength(1);
      expect(errors).toEqual([expect.any(CorruptRecordError)]);
      expect((errors[0] as CorruptRecordError).recordId).toBe("broken");
    });

    it("runs scheduled tasks on the loop every everyMs, reporting their errors", async () => {
      const runs: number[] = [];
      const { dispatcher, errors, time } = setup(backing, {
        pollIntervalMs: 1_000,
        tasks: [
          {
            everyMs: 2_500,
            run: async () => {
              runs.push(time.now);
              if (runs.length === 2) throw new Error("task failed");
            },
          },
        ],
      });
      const start = time.now;
      dispatcher.start();
      await time.advance(6_000);
      await dispatcher.stop();
      expect(runs.map((at) => at - start)).toEqual([0, 2_500, 5_000]);
      expect(errors).toEqual([new Error("task failed")]);
    });
  });

  describe("dispatcher: property", () => {
    it("with K dispatchers and random failures every entry ends delivered or dead, never delivered by two holders at once", async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 1, max: 4 }),
          fc.integer({ min: 1, max: 25 }),
          fc.integer({ min: 1, max: 4 }),
          fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 25_000 })), { minLength: 1, maxLength: 40 }),
          fc.integer({ min: 0, max: 300 }),
          async (k, count, maxAttempts, script, latency) => {
            const time = new VirtualTime();
            const store = new TestStore(backing, { time, ms: () => latency });
            const entries = await store.add(...Array.from({ length: count }, () => entry()));
            const holders = new Map<string, string>();
            const violations: string[] = [];
            const successes = new Set<string>();
            let step = 0;
            const dispatchers = Array.from({ length: k }, (_, index) =>
              createDispatcher({
                store,
                owner: `d${index}`,
                newId: () => `audit-${index}-${++step}`,
                clock: time.clock,
                sleep: time.sleep,
                leaseMs: 10_000,
                batchSize: 5,
                concurrency: 2,
                maxAttempts,
                backoff: { baseMs: 500, maxMs: 4_000 },
                random: () => 0.5,
                onError: () => undefined,
                deliver: async (record, { signal }) => {
                  const [fails, duration] = script[step++ % script.length]!;
                  const holder = holders.get(record.entryId);
                  if (holder !== undefined) violations.push(`${record.entryId}: d${index} while ${holder}`);
                  holders.set(record.entryId, `d${index}`);
                  await time.sleep(duration, signal);
                  holders.delete(record.entryId);
                  if (signal.aborted) throw signal.reason;
                  if (fails) throw new Error("random failure");
                  successes.add(record.entryId);
                },
              }),
            );
            for (const d of dispatchers) d.start();
            const final = async (): Promise<boolean> =>
              (await Promise.all(entries.map((e) => store.record(e)))).every((r) => r.status !== "pending");
            await time.until(final, 50_000);
            let stopped = false;
            void Promise.all(dispatchers.map((d) => d.stop())).then(() => (stopped = true));
            await time.until(() => stopped);
            expect(violations).toEqual([]);
            for (const e of entries) {
              const record = await store.record(e);
              expect(record.attempts).toBeLessThanOrEqual(maxAttempts);
              if (record.status === "delivered") expect(successes.has(e.entryId)).toBe(true);
              const deadAudits = (await store.deliveryAudits(e)).filter(
                (a) => a.kind === "delivery_dead" && a.runIds[0] === e.runId,
              );
              expect(deadAudits).toHaveLength(record.status === "dead" ? 1 : 0);
            }
          },
        ),
        { numRuns: 100, seed: Number(process.env["FC_SEED"] ?? Date.now() % 2 ** 31), verbose: 1 },
      );
    });
  });
});

describe("dispatcher: options", () => {
  const store = new TestStore("fake");
  const deliver = async (): Promise<void> => undefined;
  const bad: [string, unknown][] = [
    ["options", undefined],
    ["store", { deliver }],
    ["store.claimOutbox", { deliver, store: { ...store, claimOutbox: undefined } }],
    ["deliver", { store }],
    ["batchSize", { store, deliver, batchSize: 0 }],
    ["batchSize", { store, deliver, batchSize: 1001 }],
    ["concurrency", { store, deliver, concurrency: 1.5 }],
    ["maxAttempts", { store, deliver, maxAttempts: 0 }],
    ["leaseMs", { store, deliver, leaseMs: 10 }],
    ["backoff.maxMs", { store, deliver, backoff: { baseMs: 10, maxMs: 5 } }],
    ["backoff.jitter", { store, deliver, backoff: { jitter: "yes" } }],
    ["owner", { store, deliver, owner: "" }],
    ["sleep", { store, deliver, sleep: 5 }],
    ["signal", { store, deliver, signal: {} }],
    ["tasks[0].everyMs", { store, deliver, tasks: [{ run: deliver }] }],
    ["tasks[0].run", { store, deliver, tasks: [{ everyMs: 5 }] }],
  ];
  for (const [option, options] of bad) {
    it(`refuses a bad ${option} with ConfigurationError`, () => {
      let thrown: unknown;
      try {
        createDispatcher(options as DispatcherOptions);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(ConfigurationError);
      expect((thrown as ConfigurationError).option).toBe(option);
    });
  }

  it("defaults the owner to a random dispatcher id", () => {
    const a = createDispatcher({ store, deliver });
    const b = createDispatcher({ store, deliver });
    expect(a.owner).toMatch(/^dispatcher-/);
    expect(a.owner).not.toBe(b.owner);
  });
});
