/**
 * The command line: commander's parser over the commands, every outcome mapped to an exit code
 * and every error to one line on stderr. `runCli` never exits the process and never throws.
 */
import { readFileSync } from "node:fs";
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { backfill, DEFAULT_BATCH_SIZE } from "./commands/backfill.js";
import { expireStuckRuns } from "./commands/expire.js";
import { DEFAULT_ACTOR, inspect } from "./commands/inspect.js";
import { migrate } from "./commands/migrate.js";
import { pruneIdempotency } from "./commands/prune.js";
import { status } from "./commands/status.js";
import { PREFIX_ENV, URL_ENV } from "./context.js";
import { ExitCode, UsageError, errorLine, exitCodeOf } from "./exit.js";
import type { CliIo } from "./io.js";

/** The package version, from the package.json next to the build (`dist/`) or the sources (`src/cli/`). */
function packageVersion(): string {
  for (const path of ["../package.json", "../../package.json"]) {
    try {
      const manifest = JSON.parse(readFileSync(new URL(path, import.meta.url), "utf8")) as {
        name?: unknown;
        version?: unknown;
      };
      if (manifest.name === "onboarding-lifecycle" && typeof manifest.version === "string") return manifest.version;
    } catch {
      // Not there: try the next place.
    }
  }
  return "0.0.0";
}

function positiveInteger(max: number) {
  return (value: string): number => {
    if (!/^\d+$/.test(value.trim()) || Number(value) < 1 || Number(value) > max) {
      throw new InvalidArgumentError(`expected an integer from 1 to ${max}.`);
    }
    return Number(value);
  };
}

const EXIT_CODES = `
Exit codes:
  0    ok
  1    the operation failed (store unreachable or refusing, corrupt record, schema error)
  2    usage error (unknown command or option, bad value, unusable connection string, driver not installed)
  3    not found (inspect: no such draft in the workspace)
  4    status --check: migrations are pending
  5    backfill finished, but some rows could not be upgraded (listed)
  130  interrupted (Ctrl-C); a re-run continues
Errors are one line on stderr: "onboarding-lifecycle: <code>: <message>" (with --json: {"error":{...}}).`;

function withCommonOptions(command: Command): Command {
  return command
    .option(
      "--url <url>",
      `connection string: postgres://, mysql://, mariadb://, sqlite:<file>, file:<file>, redis://, redis+cluster://host:port,... (default: $${URL_ENV})`,
    )
    .option(
      "--prefix <prefix>",
      `table prefix (SQL) or key prefix (Redis) (default: $${PREFIX_ENV}, else the adapter's own)`,
    )
    .option("--json", "print machine-readable JSON on stdout");
}

/** The commander program; `done` receives each command's exit code. */
function buildProgram(io: CliIo, done: (code: number) => void): Command {
  const program = new Command("onboarding-lifecycle")
    .description(
      "Operate an onboarding-lifecycle store: migrate its schema, check its status, inspect a draft, prune idempotency records, expire stuck runs, backfill legacy rows.",
    )
    .version(packageVersion(), "-V, --version")
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
      outputError: () => undefined, // written by runCli, as the one error line
    })
    .showSuggestionAfterError()
    .addHelpText("after", EXIT_CODES);

  withCommonOptions(program.command("migrate"))
    .description("bring the schema to the latest version (SQL stores); --dry-run prints the SQL instead")
    .option("--dry-run", "print the SQL of the pending migrations, change nothing")
    .option("--to <version>", "migrate up to this version only")
    .action(async (options: Parameters<typeof migrate>[1]) => done(await migrate(io, options)));

  withCommonOptions(program.command("status"))
    .description("schema version and pending migrations, drafts per state, stuck runs")
    .option("--check", "exit 4 when migrations are pending")
    .option("--workspace <id>", "count the drafts and stuck runs of one workspace only")
    .option("--lease <duration>", "a run with no report for longer than this is stuck (e.g. 5m, 1h)", "5m")
    .action(async (options: Parameters<typeof status>[1]) => done(await status(io, options)));

  withCommonOptions(program.command("inspect"))
    .description("one draft: lifecycle, readiness and blockers, stage, runs with progress, audit trail")
    .argument("<workspace>", "the workspace id")
    .argument("<draft>", "the draft id")
    .option("--actor <id>", "the actor id the reads are made as", DEFAULT_ACTOR)
    .option("--audit-limit <n>", "show at most the newest n audit entries", positiveInteger(100_000), 1000)
    .action(async (workspace: string, draft: string, options: Parameters<typeof inspect>[3]) =>
      done(await inspect(io, workspace, draft, options)),
    );

  withCommonOptions(program.command("prune-idempotency"))
    .description("delete idempotency records older than a duration, in every workspace")
    .requiredOption("--older-than <duration>", "e.g. 30m, 24h, 7d")
    .action(async (options: Parameters<typeof pruneIdempotency>[1]) => done(await pruneIdempotency(io, options)));

  withCommonOptions(program.command("expire-stuck-runs"))
    .description(
      "expire the runs no worker reported on for longer than the lease (what a dispatcher does on a schedule)",
    )
    .option("--lease <duration>", "a run with no report for longer than this is stuck (e.g. 5m, 1h)", "5m")
    .option("--actor <id>", "the actor id the expiries are audited as", DEFAULT_ACTOR)
    .option("--max <n>", "expire at most this many runs", positiveInteger(1_000_000), 10_000)
    .action(async (options: Parameters<typeof expireStuckRuns>[1]) => done(await expireStuckRuns(io, options)));

  withCommonOptions(program.command("backfill"))
    .description("upgrade legacy rows (older or missing schemaVersion, stale query columns) in batches; resumable")
    .option("--batch-size <n>", "rows per batch", positiveInteger(1000), DEFAULT_BATCH_SIZE)
    .option("--dry-run", "count what would change, write nothing")
    .option("--from <cursor>", "continue from the cursor an interrupted run printed")
    .addOption(
      new Option("--progress <mode>", "progress on stderr: a bar on a terminal, lines otherwise")
        .choices(["auto", "bar", "plain", "none"])
        .default("auto"),
    )
    .action(async (options: Parameters<typeof backfill>[1]) => done(await backfill(io, options)));

  return program;
}

/** commander's message without its `error: ` prefix. */
function usageMessage(error: CommanderError): string {
  return error.message.replace(/^error:\s*/i, "");
}

/**
 * Runs the CLI on `argv` (the arguments after the program name) and resolves to the exit code.
 * Results go to `io.stdout`, errors (one line each) and progress to `io.stderr`.
 *
 * @example (the CLI's own code, not a package export, so not type-checked)
 * ```text
 * const code = await runCli(["status", "--url", "sqlite:./app.db", "--json"], io);
 * ```
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const json = argv.includes("--json");
  let exitCode: number = ExitCode.Ok;
  const program = buildProgram(io, (code) => {
    exitCode = code;
  });
  try {
    await program.parseAsync([...argv], { from: "user" });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === "commander.helpDisplayed" || error.code === "commander.version") return ExitCode.Ok;
      if (error.code === "commander.help") return ExitCode.Usage; // no command: the help went to stderr
      io.stderr.write(errorLine(new UsageError(usageMessage(error)), json));
      return ExitCode.Usage;
    }
    io.stderr.write(errorLine(error, json));
    return exitCodeOf(error);
  }
}
