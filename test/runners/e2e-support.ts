/**
 * The parent's side of the runner end-to-end tests (e2e.pg-boss / e2e.bullmq): child processes
 * (the dispatcher and workers of `fixtures/e2e-*.ts`, started with tsx) whose JSON lines are
 * collected and waited for with deadlines, polling with deadlines (no fixed sleeps), and the
 * operator's steps of the scenario.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { OnboardingDraft, OnboardingEngine } from "../../src/index.js";
import type { AuditEvent } from "../../src/record/index.js";
import type { E2eConfig } from "./fixtures/e2e-side.js";

export const operator = { id: "operator" };

/** One JSON line a child printed. */
export interface SideLine {
  readonly type: string;
  readonly [key: string]: unknown;
}

/** A running child process. */
export interface Side {
  readonly label: string;
  readonly child: ChildProcess;
  /** Every JSON line so far. */
  readonly lines: SideLine[];
  /** The first line matching `match` (waiting up to `ms`). */
  waitFor(match: (line: SideLine) => boolean, what: string, ms?: number): Promise<SideLine>;
  /** Asks for a graceful stop; resolves with the exit code (SIGKILL after `ms`). */
  stop(ms?: number): Promise<number | null>;
  /** SIGKILL, resolved once the process is gone. */
  kill(): Promise<void>;
  /** Whether the process has exited. */
  readonly exited: boolean;
  /** What it wrote on stderr (for failure messages). */
  readonly stderr: () => string;
}

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** Polls `check` every 50 ms until it returns something other than `undefined`, for at most `ms`. */
export async function until<T>(
  check: () => Promise<T | undefined> | T | undefined,
  what: string,
  ms = 20_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Starts `fixtures/e2e-<script>.ts` with `config` and waits for its `ready` line. */
export async function startSide(script: "dispatcher" | "worker", config: E2eConfig): Promise<Side> {
  const path = fileURLToPath(new URL(`./fixtures/e2e-${script}.ts`, import.meta.url));
  const child = spawn(process.execPath, ["--import", "tsx", path, JSON.stringify(config)], {
    cwd: ROOT,
    stdio: ["pipe", "pipe", "pipe"],
  });
  const lines: SideLine[] = [];
  let stderr = "";
  let buffer = "";
  let exited = false;
  const exit = new Promise<number | null>((resolve) =>
    child.on("exit", (code) => {
      exited = true;
      resolve(code);
    }),
  );
  child.stdin.on("error", () => undefined);
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdout.on("data", (chunk: Buffer) => {
    buffer += chunk.toString();
    let newline = buffer.indexOf("\n");
    while (newline >= 0) {
      const text = buffer.slice(0, newline).trim();
      buffer = buffer.slice(newline + 1);
      if (text.startsWith("{")) lines.push(JSON.parse(text) as SideLine);
      newline = buffer.indexOf("\n");
    }
  });
  const side: Side = {
    label: config.label,
    child,
    lines,
    waitFor: (match, what, ms = 20_000) =>
      until(
        () => {
          const found = lines.find(match);
          if (found === undefined && exited) throw new Error(`${config.label} exited before ${what}:\n${stderr}`);
          return found;
        },
        `${config.label}: ${what}\n${stderr}`,
        ms,
      ),
    async stop(ms = 15_000) {
      if (exited) return child.exitCode;
      child.stdin.write("stop\n");
      const timer = setTimeout(() => child.kill("SIGKILL"), ms);
      const code = await exit;
      clearTimeout(timer);
      return code;
    },
    async kill() {
      if (!exited) child.kill("SIGKILL");
      await exit;
    },
    get exited() {
      return exited;
    },
    stderr: () => stderr,
  };
  await side.waitFor((line) => line.type === "ready", "its ready line", 30_000);
  return side;
}

/** The runner events a worker printed for `runId` (`run_started`, `run_completed`, `job_dropped`). */
export function eventsOf(side: Side, runId: string): string[] {
  return side.lines.filter((line) => line.type === "event" && line.runId === runId).map((line) => String(line.event));
}

/** Matches a worker's `run_completed` line of `runId`. */
export const completedLine =
  (runId: string) =>
  (line: SideLine): boolean =>
    line.type === "event" && line.event === "run_completed" && line.runId === runId;

/** Matches a worker's `job_dropped` line of `runId`. */
export const droppedLine =
  (runId: string) =>
  (line: SideLine): boolean =>
    line.type === "event" && line.event === "job_dropped" && line.runId === runId;

/** How often the dispatcher handed each run's `run.requested` entry to the relay. */
export function deliveriesOf(dispatcher: Side, runId: string): number {
  return dispatcher.lines.filter(
    (line) => line.type === "deliver" && line.kind === "run.requested" && line.runId === runId,
  ).length;
}

/** create, identify, select_provider, start_verification: the draft and its verification run. */
export async function startVerification(
  engine: OnboardingEngine,
  workspaceId: string,
  tenantId: string,
): Promise<{ draftId: string; runId: string; version: number }> {
  const { draft } = await engine.create(workspaceId, {}, { actor: operator });
  const identified = await engine.execute(
    workspaceId,
    draft.id,
    { type: "identify", tenantId, displayName: "Contoso" },
    { actor: operator, expectedVersion: draft.version },
  );
  const selected = await engine.execute(
    workspaceId,
    draft.id,
    { type: "select_provider", connectionId: "conn-1" },
    { actor: operator, expectedVersion: identified.version },
  );
  const started = await engine.execute(
    workspaceId,
    draft.id,
    { type: "start_verification" },
    { actor: operator, expectedVersion: selected.version },
  );
  return { draftId: draft.id, runId: started.runIds[0] ?? "", version: started.version };
}

/** Polls the draft until `done(draft)`; returns it. */
export function draftWhen(
  engine: OnboardingEngine,
  workspaceId: string,
  draftId: string,
  done: (draft: OnboardingDraft) => boolean,
  what: string,
  ms = 20_000,
): Promise<OnboardingDraft> {
  return until(
    async () => {
      const draft = await engine.get(workspaceId, draftId, { actor: operator });
      return done(draft) ? draft : undefined;
    },
    what,
    ms,
  );
}

/** The audited reports on `runId`: `<commandType> by <actorId>`, oldest first. */
export function reportsOn(history: readonly AuditEvent[], runId: string): string[] {
  return history
    .filter((event) => event.kind === "committed" && event.commandType !== "start_verification")
    .filter((event) => event.commandType !== "start_bootstrap" && event.runIds.includes(runId))
    .map((event) => `${event.commandType} by ${event.actorId}`);
}
