import { ConfigurationError, isId } from "../record/index.js";
import type { DispatchReport, DispatchStore, DispatchTask, DispatcherOptions } from "./types.js";
import type { DispatchInstrumentation } from "./instrumentation.js";

/** The options of a dispatcher with every default filled in. */
export interface ResolvedDispatcherOptions {
  readonly store: DispatchStore;
  readonly deliver: DispatcherOptions["deliver"];
  readonly owner: string;
  readonly newId: () => string;
  readonly now: () => number;
  readonly leaseMs: number;
  /** How long before its lease ends a delivery is aborted (and no new one is started). */
  readonly marginMs: number;
  readonly batchSize: number;
  readonly concurrency: number;
  readonly maxAttempts: number;
  readonly baseMs: number;
  readonly maxMs: number;
  readonly jitter: boolean;
  readonly random: () => number;
  readonly pollIntervalMs: number;
  readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  readonly signal: AbortSignal | undefined;
  readonly onError: (error: unknown) => void;
  readonly onTick: ((report: DispatchReport) => void) | undefined;
  readonly tasks: readonly DispatchTask[];
  readonly instrumentation: DispatchInstrumentation | undefined;
}

const STORE_METHODS = [
  "claimOutbox",
  "settleOutbox",
  "releaseOutbox",
  "listOutbox",
  "requeueOutbox",
  "appendAudit",
] as const;

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value === "object" ? "an object" : typeof value;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function checkFunction(value: unknown, option: string, required = false): void {
  if (value === undefined && !required) return;
  if (typeof value !== "function") {
    throw new ConfigurationError(
      option,
      `${option} must be a function${required ? "" : " when given"}, got ${describe(value)}`,
    );
  }
}

function checkInteger(value: unknown, option: string, min: number, max: number): void {
  if (value === undefined) return;
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw new ConfigurationError(
      option,
      `${option} must be an integer from ${min} to ${max}, got ${typeof value === "number" ? String(value) : describe(value)}`,
    );
  }
}

function checkStore(store: unknown): void {
  if (store === undefined) throw new ConfigurationError("store", "the `store` option is required");
  if (!isRecord(store)) throw new ConfigurationError("store", `store must be an object, got ${describe(store)}`);
  for (const method of STORE_METHODS) checkFunction(store[method], `store.${method}`, true);
}

function checkBackoff(backoff: unknown): void {
  if (backoff === undefined) return;
  if (!isRecord(backoff))
    throw new ConfigurationError("backoff", `backoff must be an object, got ${describe(backoff)}`);
  checkInteger(backoff["baseMs"], "backoff.baseMs", 0, 86_400_000);
  checkInteger(backoff["maxMs"], "backoff.maxMs", 0, 86_400_000);
  const { baseMs, maxMs } = backoff;
  if (typeof baseMs === "number" && typeof maxMs === "number" && maxMs < baseMs) {
    throw new ConfigurationError(
      "backoff.maxMs",
      `backoff.maxMs (${maxMs}) must not be below backoff.baseMs (${baseMs})`,
    );
  }
  const jitter = backoff["jitter"];
  if (jitter !== undefined && typeof jitter !== "boolean") {
    throw new ConfigurationError("backoff.jitter", `backoff.jitter must be a boolean, got ${describe(jitter)}`);
  }
}

function checkTasks(tasks: unknown): void {
  if (tasks === undefined) return;
  if (!Array.isArray(tasks)) throw new ConfigurationError("tasks", `tasks must be an array, got ${describe(tasks)}`);
  tasks.forEach((task: unknown, index) => {
    if (!isRecord(task)) throw new ConfigurationError(`tasks[${index}]`, `tasks[${index}] must be an object`);
    checkInteger(task["everyMs"], `tasks[${index}].everyMs`, 1, 86_400_000);
    if (task["everyMs"] === undefined) throw new ConfigurationError(`tasks[${index}].everyMs`, "everyMs is required");
    checkFunction(task["run"], `tasks[${index}].run`, true);
  });
}

function checkSignal(signal: unknown): void {
  if (signal === undefined) return;
  if (!isRecord(signal) || typeof signal["aborted"] !== "boolean" || typeof signal["addEventListener"] !== "function") {
    throw new ConfigurationError("signal", `signal must be an AbortSignal, got ${describe(signal)}`);
  }
}

/**
 * Checks the options of `createDispatcher`, so a mistyped configuration fails at start-up with a
 * `ConfigurationError` naming the option.
 *
 * @throws {@link ConfigurationError}
 */
export function checkDispatcherOptions(options: unknown): asserts options is DispatcherOptions {
  if (!isRecord(options)) {
    throw new ConfigurationError("options", `createDispatcher needs an options object, got ${describe(options)}`);
  }
  checkStore(options["store"]);
  checkFunction(options["deliver"], "deliver", true);
  const owner = options["owner"];
  if (owner !== undefined && !isId(owner)) {
    throw new ConfigurationError("owner", "owner must be an id: 1 to 128 characters of storable text");
  }
  for (const name of ["newId", "clock", "random", "sleep", "onError", "onTick"] as const) {
    checkFunction(options[name], name);
  }
  checkInteger(options["leaseMs"], "leaseMs", 1000, 86_400_000);
  checkInteger(options["batchSize"], "batchSize", 1, 1000);
  checkInteger(options["concurrency"], "concurrency", 1, 1000);
  checkInteger(options["maxAttempts"], "maxAttempts", 1, 1000);
  checkInteger(options["pollIntervalMs"], "pollIntervalMs", 0, 86_400_000);
  checkBackoff(options["backoff"]);
  checkSignal(options["signal"]);
  checkTasks(options["tasks"]);
  checkInstrumentation(options["instrumentation"]);
}

function checkInstrumentation(instrumentation: unknown): void {
  if (instrumentation === undefined) return;
  if (!isRecord(instrumentation)) {
    throw new ConfigurationError(
      "instrumentation",
      `instrumentation must be an object, got ${describe(instrumentation)}`,
    );
  }
  checkFunction(instrumentation["startDelivery"], "instrumentation.startDelivery", true);
}

/** The part of the Web Crypto API the default ids use (no Node or DOM types leak). */
interface WebCrypto {
  randomUUID?: () => string;
}

/** A random UUID from `globalThis.crypto` (Node >= 20, Deno, Bun, browsers in secure contexts). */
function randomUuid(): string {
  const crypto = (globalThis as { crypto?: WebCrypto }).crypto;
  if (typeof crypto?.randomUUID === "function") return crypto.randomUUID();
  throw new ConfigurationError("newId", "No globalThis.crypto.randomUUID in this runtime; pass `owner` and `newId`");
}

/** Waits `ms` with `setTimeout`; resolves early when `signal` aborts. */
function timerSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}

/** Reads an injected clock as epoch milliseconds. */
function epochClock(clock: (() => Date | number) | undefined): () => number {
  if (clock === undefined) return () => Date.now();
  return () => {
    const value = clock();
    return typeof value === "number" ? value : value.getTime();
  };
}

/** Validates the options and fills in the defaults. @throws {@link ConfigurationError} */
export function resolveDispatcherOptions(options: DispatcherOptions): ResolvedDispatcherOptions {
  checkDispatcherOptions(options);
  const newId = options.newId ?? randomUuid;
  const leaseMs = options.leaseMs ?? 30_000;
  const baseMs = options.backoff?.baseMs ?? 1000;
  return {
    store: options.store,
    deliver: options.deliver,
    owner: options.owner ?? `dispatcher-${randomUuid()}`,
    newId,
    now: epochClock(options.clock),
    leaseMs,
    marginMs: Math.min(5000, Math.floor(leaseMs / 10)),
    batchSize: options.batchSize ?? 100,
    concurrency: options.concurrency ?? 10,
    maxAttempts: options.maxAttempts ?? 10,
    baseMs,
    maxMs: Math.max(baseMs, options.backoff?.maxMs ?? 300_000),
    jitter: options.backoff?.jitter ?? true,
    random: options.random ?? Math.random,
    pollIntervalMs: options.pollIntervalMs ?? 1000,
    sleep: options.sleep ?? timerSleep,
    signal: options.signal,
    onError: options.onError ?? ((error) => console.error("onboarding-lifecycle dispatcher:", error)),
    onTick: options.onTick,
    tasks: options.tasks ?? [],
    instrumentation: options.instrumentation,
  };
}
