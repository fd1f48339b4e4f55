/**
 * The `onboarding-lifecycle` bin: runs the CLI on the process's arguments and streams, and sets
 * the exit code. Ctrl-C (or SIGTERM) asks `backfill` to stop after the current row; a second one,
 * or one during any other command, ends the process at once with 130.
 */
import { runCli, ExitCode } from "./index.js";

const controller = new AbortController();
const command = process.argv.slice(2).find((argument) => !argument.startsWith("-"));

function interrupt(): void {
  if (controller.signal.aborted || command !== "backfill") process.exit(ExitCode.Interrupted);
  controller.abort();
  process.stderr.write("\nonboarding-lifecycle: stopping after the current row (press Ctrl-C again to quit now)\n");
}

process.on("SIGINT", interrupt);
process.on("SIGTERM", interrupt);
// A reader that goes away (`| head`) is no failure of the command.
process.stdout.on("error", () => undefined);

process.exitCode = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  now: () => Date.now(),
  signal: controller.signal,
});
