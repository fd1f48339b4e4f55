import type { RunOutcome } from "../../vocabulary/index.js";
import type { Feedback } from "../../commands/index.js";
import type { Actor, OnboardingEngine } from "../../engine/index.js";
import type { RunJob } from "./job.js";
import type { ReportRetryOptions } from "./report.js";

/** How a run ended, as an operation returns it (`message` is stored on the run for operators). */
export interface RunResult {
  /** `succeeded`, `partially_succeeded`, `failed`, `blocked` or `cancelled`. */
  readonly outcome: RunOutcome;
  /** A message for operators (warnings, the error). */
  readonly message?: string;
}

/** What an operation gets besides its job. */
export interface RunOperationContext {
  /**
   * Aborted when the run stops being current (a heartbeat was ignored: superseded, provider
   * changed, draft cancelled) or the worker is force-closed. Pass it on to your I/O.
   */
  readonly signal: AbortSignal;
  /**
   * Reports progress now (a heartbeat carrying `message` and `percent`, which never bumps the
   * draft version). Never rejects: a failed report is an `onEvent` `heartbeat_failed`.
   */
  readonly progress: (message?: string, percent?: number) => Promise<void>;
}

/**
 * Executes one run. Resolve with its outcome; a throw is reported as outcome `failed` with the
 * error's message.
 */
export type RunOperation = (job: RunJob, context: RunOperationContext) => Promise<RunResult>;

/** The engine methods a worker uses (an `OnboardingEngine` fits; so does a wrapper of one). */
export type RunnerEngine<TActor extends Actor = Actor> = Pick<OnboardingEngine<TActor>, "get" | "execute">;

/** What a worker tells `onEvent` (for logs and metrics; nothing here needs an answer). */
export type RunnerEvent =
  | {
      /** The job was not run, or its run stopped being current while it ran: nothing reported. */
      readonly type: "job_dropped";
      /** The job. */
      readonly job: RunJob;
      /** `not_current` before it started, `superseded` while it ran. */
      readonly reason: "not_current" | "superseded";
    }
  | {
      /** The run was reported `running` and its operation started. */
      readonly type: "run_started";
      /** The job. */
      readonly job: RunJob;
    }
  | {
      /** A heartbeat or progress report failed (the run goes on; its lease is the safety net). */
      readonly type: "heartbeat_failed";
      /** The job. */
      readonly job: RunJob;
      /** What the report threw. */
      readonly error: unknown;
    }
  | {
      /** A `running` or result report did not land and is sent again after `delayMs`. */
      readonly type: "report_retry";
      /** The job. */
      readonly job: RunJob;
      /** Which report. */
      readonly status: "running" | "completed";
      /** The attempt that failed (1 for the first). */
      readonly attempt: number;
      /** The wait before the next attempt. */
      readonly delayMs: number;
      /** What the attempt threw. */
      readonly error: unknown;
    }
  | {
      /** The result landed. */
      readonly type: "run_completed";
      /** The job. */
      readonly job: RunJob;
      /** The outcome reported. */
      readonly outcome: RunOutcome;
      /** The engine's feedback (`recorded`, or `ignored_duplicate_result` after a lost reply). */
      readonly feedback: Feedback;
    };

/** The options every runner's worker shares. */
export interface RunWorkerOptions<TActor extends Actor = Actor> {
  /** The engine (on the same store as the application). */
  readonly engine: RunnerEngine<TActor>;
  /** The worker's identity: needs `view` and `record_result`. */
  readonly actor: TActor;
  /** One function per operation name (`verify_access`, each bootstrap operation). */
  readonly operations: Readonly<Record<string, RunOperation>>;
  /** How often a running job sends a heartbeat, in milliseconds. Default 10 000. */
  readonly heartbeatMs?: number;
  /** Backoff of reports that did not land (they are retried until they do). */
  readonly reportRetry?: ReportRetryOptions;
  /** Logs and metrics. Whatever it throws is ignored. */
  readonly onEvent?: (event: RunnerEvent) => void;
}

/** What {@link runJob} did with a job. */
export type RunJobResult =
  | {
      /** The result landed. */
      readonly status: "completed";
      /** The outcome reported. */
      readonly outcome: RunOutcome;
      /** The engine's feedback on the result. */
      readonly feedback: Feedback;
    }
  | {
      /** Nothing was (or will be) reported: the run is no longer current. */
      readonly status: "dropped";
      /** `not_current` before it started, `superseded` while it ran. */
      readonly reason: "not_current" | "superseded";
    };
