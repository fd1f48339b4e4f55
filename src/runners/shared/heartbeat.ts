import type { Actor } from "../../engine/index.js";
import type { RunJob } from "./job.js";
import { storableMessage } from "./report.js";
import type { RunWorkerOptions, RunnerEvent } from "./types.js";

/** The default heartbeat period. */
export const DEFAULT_HEARTBEAT_MS = 10_000;

/** @internal A running job's heartbeat. */
export interface Heartbeat {
  /** Sends a progress report now (after any report in flight). Never rejects. */
  readonly progress: (message?: string, percent?: number) => Promise<void>;
  /** Stops the timer and waits for the report in flight. */
  stop(): Promise<void>;
}

/** The progress command's optional fields, kept to what the engine accepts. */
function progressFields(message: string | undefined, percent: number | undefined): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  if (message !== undefined) fields["message"] = storableMessage(message);
  if (percent !== undefined && Number.isFinite(percent)) fields["percent"] = Math.min(100, Math.max(0, percent));
  return fields;
}

/**
 * @internal Starts the heartbeat of a running job: every `heartbeatMs` (and on each `progress`)
 * a `record_*_progress` command, which never bumps the draft version. An ignored feedback
 * (`ignored_*`) means the run is no longer current: `onIgnored` is called once. A failed report
 * is only an event (the run's lease is the safety net), so the heartbeat never fails a run.
 */
export function startHeartbeat<TActor extends Actor>(
  options: RunWorkerOptions<TActor>,
  job: RunJob,
  emit: (event: RunnerEvent) => void,
  onIgnored: () => void,
): Heartbeat {
  const type = job.checkpoint === "verify_access" ? "record_verification_progress" : "record_bootstrap_progress";
  let ignored = false;
  let stopped = false;
  let pending = 0;
  let chain: Promise<void> = Promise.resolve();
  const send = async (fields: Record<string, unknown>): Promise<void> => {
    if (ignored || stopped) return;
    try {
      // Typed as `unknown`: the engine validates it like any run-time command.
      const command: unknown = { type, runId: job.runId, ...fields };
      const result = await options.engine.execute(job.workspaceId, job.draftId, command, { actor: options.actor });
      if (result.feedback.startsWith("ignored_") && !ignored) {
        ignored = true;
        onIgnored();
      }
    } catch (error) {
      emit({ type: "heartbeat_failed", job, error });
    }
  };
  const beat = (fields: Record<string, unknown>): Promise<void> => {
    pending += 1;
    chain = chain.then(() => send(fields)).finally(() => (pending -= 1));
    return chain;
  };
  const timer = setInterval(() => {
    if (pending === 0) void beat({});
  }, options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS);
  timer.unref();
  return {
    progress: (message, percent) => beat(progressFields(message, percent)),
    async stop() {
      clearInterval(timer);
      await chain;
      stopped = true;
    },
  };
}
