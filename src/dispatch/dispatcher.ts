import { listDead, requeue } from "./admin.js";
import { pause, report, runBatch } from "./batch.js";
import { resolveDispatcherOptions, type ResolvedDispatcherOptions } from "./options.js";
import { retryDelay } from "./outcome.js";
import type { DispatchReport, Dispatcher, DispatcherOptions } from "./types.js";

/** Runs the tasks that are due (in order, one at a time); reschedules each `everyMs` after its start. */
async function runDueTasks(config: ResolvedDispatcherOptions, due: number[], signal: AbortSignal): Promise<void> {
  for (const [index, task] of config.tasks.entries()) {
    if (signal.aborted) return;
    const start = config.now();
    if (start < (due[index] as number)) continue;
    due[index] = start + task.everyMs;
    try {
      await task.run(signal);
    } catch (error) {
      report(config, error);
    }
  }
}

/** How long the loop may sleep before the next task is due. */
function untilNextTask(config: ResolvedDispatcherOptions, due: readonly number[]): number {
  const now = config.now();
  return due.reduce((soonest, at) => Math.min(soonest, Math.max(0, at - now)), Number.POSITIVE_INFINITY);
}

/** The loop: tasks that are due, then `runOnce`; waits when a claim found nothing, backs off on errors. */
async function loop(
  config: ResolvedDispatcherOptions,
  runOnce: () => Promise<DispatchReport>,
  signal: AbortSignal,
): Promise<void> {
  const due = config.tasks.map(() => config.now());
  let failures = 0;
  while (!signal.aborted) {
    await runDueTasks(config, due, signal);
    if (signal.aborted) return;
    let wait = 0;
    try {
      const tick = await runOnce();
      failures = 0;
      if (tick.claimed === 0) wait = config.pollIntervalMs;
      try {
        config.onTick?.(tick);
      } catch (error) {
        report(config, error);
      }
    } catch (error) {
      failures += 1;
      report(config, error);
      wait = Math.max(1, retryDelay(config, failures));
    }
    if (wait > 0) await pause(config, Math.min(wait, untilNextTask(config, due)), signal);
  }
}

/**
 * Creates an outbox dispatcher: it claims pending outbox entries with a lease, hands each one to
 * `deliver` (at most `concurrency` at once), and settles the outcomes in one batched write:
 * delivered, retried later with exponential backoff, or, after `maxAttempts` deliveries, parked
 * `dead` with a `delivery_dead` audit entry on the draft. Delivery is at least once; no two
 * dispatchers deliver the same entry at the same time (a delivery's signal is aborted shortly
 * before its lease ends). All timing goes through `clock` and `sleep`.
 *
 * @throws {@link ConfigurationError} when an option is missing or malformed.
 *
 * @example
 * ```ts
 * const dispatcher = createDispatcher({
 *   store, // any DraftStore: every adapter implements the outbox methods
 *   deliver: async (entry, { signal }) => {
 *     await fetch("https://queue.example/jobs", { method: "POST", body: JSON.stringify(entry), signal });
 *   },
 *   onError: (error) => console.error(error),
 * });
 * dispatcher.start();
 * // on shutdown: lets deliveries in flight finish and gives back the rest
 * await dispatcher.stop();
 * ```
 */
export function createDispatcher(options: DispatcherOptions): Dispatcher {
  const config = resolveDispatcherOptions(options);
  let stopping = false;
  let tail: Promise<unknown> = Promise.resolve();
  let controller: AbortController | null = null;
  let looping: Promise<void> | null = null;
  let stopped: Promise<void> | null = null;

  const runOnce = (): Promise<DispatchReport> => {
    const run = tail.then(() => runBatch(config, () => stopping));
    tail = run.catch(() => undefined);
    return run;
  };

  const stop = (): Promise<void> => {
    if (stopped !== null) return stopped;
    stopping = true;
    controller?.abort();
    stopped = (async () => {
      await looping;
      await tail;
      controller = null;
      looping = null;
      stopping = false;
      stopped = null;
    })();
    return stopped;
  };

  config.signal?.addEventListener("abort", () => void stop(), { once: true });

  return {
    runOnce,
    start() {
      if (looping !== null || config.signal?.aborted === true) return;
      const current = new AbortController();
      controller = current;
      looping = loop(config, runOnce, current.signal).catch((error: unknown) => report(config, error));
    },
    stop,
    listDead: (listOptions) => listDead(config, listOptions),
    requeue: (ref) => requeue(config, ref),
    get running() {
      return looping !== null;
    },
    owner: config.owner,
  };
}
