/**
 * The watch loop: read the draft's view; while its stage has a polling hint (a run is active)
 * read again after `intervalMs`; with no hint, wait for a change made through the client (or
 * `idleIntervalMs`); after a failure that retrying can fix, back off with jitter and report
 * `offline` until a read succeeds again; end on a terminal draft, a 4xx, or the signal.
 */
import { NetworkError } from "./errors.js";
import { retryable } from "./problems.js";
import type { DraftSnapshot, ViewOptions, Watch, WatchEnd, WatchOptions, WatchStatus } from "./types.js";

/** What a watch needs from its client. */
export interface WatchHost {
  /** One read of the view, without the client's own retries (the loop backs off itself). */
  read(draftId: string, options: ViewOptions): Promise<DraftSnapshot>;
  /** The backoff delay before attempt `attempt + 1`. */
  delay(attempt: number): number;
  /** Calls `listener` after each change made through the client; returns the unsubscribe. */
  listen(draftId: string, listener: () => void): () => void;
}

/** Whether retrying later may succeed: no answer, or a 5xx or 429 (the server may recover). */
const transient = (error: unknown): boolean =>
  error instanceof NetworkError || (error instanceof Error && retryable.has(error));

/** Waits `ms`; rejects with the signal's reason when it aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted === true) return reject(signal.reason as Error);
    const abort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason as Error);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", abort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", abort, { once: true });
  });
}

/** Starts a watch (see `OnboardingClient.watch`). */
export function watchDraft(host: WatchHost, draftId: string, options: WatchOptions = {}): Watch {
  const controller = new AbortController();
  const { signal } = controller;
  const outer = options.signal;
  const stop = (): void => controller.abort();
  if (outer?.aborted === true) stop();
  else outer?.addEventListener("abort", stop, { once: true });
  let kicked = false;
  let wake = (): void => {};
  const unlisten = host.listen(draftId, () => {
    kicked = true;
    wake();
  });
  let status: WatchStatus | undefined;
  const report = (next: WatchStatus): void => {
    if (next !== status) options.onStatus?.((status = next));
  };
  /** Resolves after `ms` (never when `null`), on a change through the client, or on stop. */
  const pause = (ms: number | null): Promise<void> =>
    new Promise((resolve) => {
      const timer = ms === null ? undefined : setTimeout(() => wake(), ms);
      wake = () => {
        clearTimeout(timer);
        signal.removeEventListener("abort", wake);
        wake = () => {};
        resolve();
      };
      if (kicked || signal.aborted) wake();
      else signal.addEventListener("abort", wake);
    });

  const done = (async (): Promise<WatchEnd> => {
    let last: DraftSnapshot | undefined;
    let failures = 0;
    try {
      while (!signal.aborted) {
        let wait: number | null;
        kicked = false;
        try {
          const snapshot = await host.read(draftId, { ...options, signal });
          failures = 0;
          if (snapshot !== last) options.onChange?.((last = snapshot));
          const { state } = snapshot.draft.lifecycle;
          if (state === "completed" || state === "cancelled") return { reason: "terminal" };
          const hint = snapshot.view.stage.polling?.intervalMs;
          wait = hint ?? options.idleIntervalMs ?? null;
          report(hint === undefined ? "idle" : "polling");
        } catch (error) {
          if (signal.aborted) break;
          if (!transient(error)) {
            options.onError?.(error, null);
            return { reason: "failed", error };
          }
          wait = host.delay(failures++);
          report("offline");
          options.onError?.(error, wait);
        }
        await pause(wait);
      }
      return { reason: "stopped" };
    } finally {
      unlisten();
      outer?.removeEventListener("abort", stop);
      stop();
      report("stopped");
    }
  })().catch((error: unknown): WatchEnd => ({ reason: "failed", error }));
  return { stop, done };
}

/** The snapshots of a watch as an async iterator (see `OnboardingClient.updates`). */
export async function* updatesOf(
  host: WatchHost,
  draftId: string,
  options: Omit<WatchOptions, "onChange"> = {},
): AsyncIterableIterator<DraftSnapshot> {
  const queue: DraftSnapshot[] = [];
  let end: WatchEnd | undefined;
  let next = (): void => {};
  const watch = watchDraft(host, draftId, { ...options, onChange: (snapshot) => (queue.push(snapshot), next()) });
  void watch.done.then((result) => ((end = result), next()));
  try {
    for (;;) {
      const snapshot = queue.shift();
      if (snapshot !== undefined) yield snapshot;
      else if (end !== undefined) {
        if (end.reason === "failed") throw end.error;
        return;
      } else await new Promise<void>((resolve) => (next = resolve));
    }
  } finally {
    watch.stop();
  }
}
