/**
 * Runs the `onboarding-lifecycle` CLI as a child process, the way a script or an operator does:
 * `node --import tsx src/cli/main.ts ...` (the same entry tsup builds into `dist/cli.js`), with
 * a bounded run time, or inside a pseudo-terminal (`script -qfec`) when a test needs a TTY.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

/** The CLI's entry. */
export const CLI_MAIN = fileURLToPath(new URL("../../src/cli/main.ts", import.meta.url));
const REPOSITORY = fileURLToPath(new URL("../..", import.meta.url));

/** What a run of the CLI did. */
export interface CliRun {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Options of {@link cli}. */
export interface CliOptions {
  /** Extra environment variables (the parent's are not passed on, except PATH and HOME). */
  readonly env?: Readonly<Record<string, string>>;
  /** Kill the run after this long (default 60 s). */
  readonly timeoutMs?: number;
}

function childEnv(extra: Readonly<Record<string, string>> = {}): NodeJS.ProcessEnv {
  return { PATH: process.env["PATH"] ?? "", HOME: process.env["HOME"] ?? "", ...extra };
}

/** Starts the CLI with `args`; `done` resolves when it exits. */
export function startCli(
  args: readonly string[],
  options: CliOptions = {},
): {
  readonly child: ChildProcess;
  readonly done: Promise<CliRun>;
  readonly output: () => { stdout: string; stderr: string };
} {
  const child = spawn(process.execPath, ["--import", "tsx", CLI_MAIN, ...args], {
    cwd: REPOSITORY,
    env: childEnv(options.env),
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 60_000);
  const done = new Promise<CliRun>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
  return { child, done, output: () => ({ stdout, stderr }) };
}

/** Runs the CLI with `args` to the end. */
export function cli(args: readonly string[], options: CliOptions = {}): Promise<CliRun> {
  return startCli(args, options).done;
}

/** Runs the CLI and parses its stdout as JSON (throws with the run's output when it is not). */
export async function cliJson<T = Record<string, unknown>>(
  args: readonly string[],
  options: CliOptions = {},
): Promise<{ run: CliRun; json: T }> {
  const run = await cli([...args, "--json"], options);
  try {
    return { run, json: JSON.parse(run.stdout) as T };
  } catch {
    throw new Error(`not JSON (exit ${String(run.code)}):\nstdout: ${run.stdout}\nstderr: ${run.stderr}`);
  }
}

/** Resolves once `condition` holds (checked every 20 ms), or rejects after `timeoutMs`. */
export async function waitFor(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Whether `script` (util-linux) is there to give a child a pseudo-terminal. */
export function scriptAvailable(): boolean {
  return spawnSync("script", ["--version"], { stdio: "ignore" }).status === 0;
}

const quote = (text: string): string => `'${text.replace(/'/g, `'\\''`)}'`;

/**
 * Runs the CLI inside a pseudo-terminal: `script -qfec "<cmd>" /dev/null`, so its stdout and
 * stderr are a TTY. Returns everything the terminal received (both streams, interleaved).
 */
export function cliInTerminal(
  args: readonly string[],
  options: CliOptions = {},
): Promise<{ code: number | null; output: string }> {
  const command = [process.execPath, "--import", "tsx", CLI_MAIN, ...args].map(quote).join(" ");
  const child = spawn("script", ["-qfec", command, "/dev/null"], {
    cwd: REPOSITORY,
    env: childEnv({ TERM: "xterm", ...options.env }),
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
  const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 60_000);
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}
