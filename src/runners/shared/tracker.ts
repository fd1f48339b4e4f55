/** Options of a runner worker's `close`. */
export interface CloseOptions {
  /**
   * Abort the running operations instead of waiting for them: their jobs fail in the queue
   * (and are retried from there); nothing is reported. Default `false`: wait.
   */
  readonly force?: boolean;
}

/** A running runner worker. */
export interface RunWorker {
  /**
   * Stops taking jobs and waits for the running ones, result reports included (with
   * `force`, aborts them). A job the queue hands over while closing fails, so the queue
   * hands it out again later.
   */
  close(options?: CloseOptions): Promise<void>;
}

/** @internal The jobs a worker is running, for a graceful (or forced) close. */
export interface JobTracker {
  /** Runs `work` unless closing (then throws, failing the job in its queue). */
  track<T>(work: (signal: AbortSignal) => Promise<T>): Promise<T>;
  /** Refuses new jobs, aborts the running ones with `force`, waits for them. */
  close(options?: CloseOptions): Promise<void>;
}

/** @internal A {@link JobTracker}. */
export function createJobTracker(): JobTracker {
  const running = new Set<Promise<unknown>>();
  const controller = new AbortController();
  let closing = false;
  return {
    track(work) {
      if (closing) return Promise.reject(new Error("the runner worker is closing; the job is handed out again"));
      const promise = work(controller.signal);
      running.add(promise);
      void promise.then(
        () => running.delete(promise),
        () => running.delete(promise),
      );
      return promise;
    },
    async close(options) {
      closing = true;
      if (options?.force === true) controller.abort(new DOMException("the runner worker was closed", "AbortError"));
      while (running.size > 0) await Promise.allSettled([...running]);
    },
  };
}
