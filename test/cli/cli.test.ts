/**
 * The CLI's contract outside any one adapter: durations, connection strings, the exit codes and
 * the one error line, usage errors, help and version (in process, through `runCli` with a fake
 * terminal, and as a child process for the codes a script sees), and the progress display: a bar
 * redrawn with carriage returns in a real pseudo-terminal (`script`), plain lines when piped.
 */
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { createSqliteStore } from "../../src/adapters/sqlite/index.js";
import {
  ExitCode,
  errorLine,
  exitCodeOf,
  formatDuration,
  parseDuration,
  parseTarget,
  redact,
  runCli,
  type CliIo,
} from "../../src/cli/index.js";
import { barFrame, createProgress, plainLine } from "../../src/cli/progress.js";
import { ConfigurationError, DraftNotFoundError, StoreError, ValidationError } from "../../src/index.js";
import { tempDatabase } from "../adapters/fixtures/sqlite-helpers.js";
import { insertLegacySqlite, legacyRow } from "../support/legacy-rows.js";
import { cli, cliInTerminal, scriptAvailable } from "./support.js";

/** A run of `runCli` in process, with captured streams. */
async function run(argv: readonly string[], env: Record<string, string> = {}) {
  let stdout = "";
  let stderr = "";
  const io: CliIo = {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    env,
    now: () => Date.parse("2026-03-01T12:00:00.000Z"),
  };
  const code = await runCli(argv, io);
  return { code, stdout, stderr };
}

describe("durations", () => {
  it("reads amounts with units, alone or combined", () => {
    expect(parseDuration("30m", "--older-than")).toBe(30 * 60_000);
    expect(parseDuration("24h", "--older-than")).toBe(86_400_000);
    expect(parseDuration("7d", "--older-than")).toBe(7 * 86_400_000);
    expect(parseDuration("1h30m", "--older-than")).toBe(5_400_000);
    expect(parseDuration("2w", "--older-than")).toBe(14 * 86_400_000);
    expect(parseDuration("500ms", "--lease")).toBe(500);
    expect(parseDuration(" 90s ", "--lease")).toBe(90_000);
  });

  it("refuses anything else as a ValidationError naming the option", () => {
    for (const text of ["", "24", "h", "1.5h", "-1h", "0s", "1y", "24 h", "yesterday", "1h 30m", "6000w", "9999999d"]) {
      let caught: unknown;
      try {
        parseDuration(text, "--older-than");
      } catch (error) {
        caught = error;
      }
      expect(caught, JSON.stringify(text)).toBeInstanceOf(ValidationError);
      expect((caught as ValidationError).issues[0]?.path).toEqual(["--older-than"]);
    }
  });

  it("prints the shortest form", () => {
    expect(formatDuration(86_400_000)).toBe("1d");
    expect(formatDuration(5_400_000)).toBe("1h30m");
    expect(formatDuration(300_000)).toBe("5m");
    expect(formatDuration(1500)).toBe("1s500ms");
  });
});

describe("connection strings", () => {
  it("names the adapter of each scheme", () => {
    expect(parseTarget("postgres://u@127.0.0.1/db")).toMatchObject({
      kind: "postgres",
      location: "postgres://u@127.0.0.1/db",
    });
    expect(parseTarget("postgresql://u@h/db").kind).toBe("postgres");
    expect(parseTarget("mysql://root@127.0.0.1:3306/test").kind).toBe("mysql");
    expect(parseTarget("mariadb://root@127.0.0.1:3306/test")).toMatchObject({
      kind: "mysql",
      location: "mysql://root@127.0.0.1:3306/test",
      display: "mariadb://root@127.0.0.1:3306/test",
    });
    expect(parseTarget("redis://127.0.0.1:6379/2").kind).toBe("redis");
    expect(parseTarget("rediss://h:6380").kind).toBe("redis");
  });

  it("reads SQLite file names in the usual spellings", () => {
    expect(parseTarget("sqlite:./onboarding.db").location).toBe("./onboarding.db");
    expect(parseTarget("sqlite:onboarding.db").location).toBe("onboarding.db");
    expect(parseTarget("sqlite:///var/lib/app/onboarding.db").location).toBe("/var/lib/app/onboarding.db");
    expect(parseTarget("file:./data/app.db?mode=rw").location).toBe("./data/app.db");
    expect(parseTarget("file:///tmp/a%20b.db").location).toBe("/tmp/a b.db");
    expect(parseTarget("sqlite::memory:").location).toBe(":memory:");
  });

  it("reads a Redis Cluster's seed nodes and credentials from redis+cluster://", () => {
    expect(parseTarget("redis+cluster://node-a:7000,node-b:7001/")).toMatchObject({
      kind: "redis",
      cluster: {
        nodes: [
          { host: "node-a", port: 7000 },
          { host: "node-b", port: 7001 },
        ],
        tls: false,
      },
    });
    const secure = parseTarget("rediss+cluster://app:p%40ss@[::1]:7000,h2:7001?x=1");
    expect(secure.cluster).toEqual({
      nodes: [
        { host: "::1", port: 7000 },
        { host: "h2", port: 7001 },
      ],
      username: "app",
      password: "p@ss",
      tls: true,
    });
    expect(secure.display).toBe("rediss+cluster://app:***@[::1]:7000,h2:7001?x=1");
    expect(parseTarget("redis://127.0.0.1:6379").cluster).toBeUndefined();
    for (const url of [
      "redis+cluster://",
      "redis+cluster://h",
      "redis+cluster://h:0",
      "redis+cluster://h:99999",
      "redis+cluster:h:1",
    ]) {
      expect(() => parseTarget(url), url).toThrow(ConfigurationError);
    }
  });

  it("hides passwords in what it prints", () => {
    expect(redact("postgres://app:s3cret@db.internal:5432/prod")).toBe("postgres://app:***@db.internal:5432/prod");
    expect(parseTarget("redis://:s3cret@127.0.0.1:6379").display).toBe("redis://:***@127.0.0.1:6379");
    expect(parseTarget("mysql://root@h/db").display).toBe("mysql://root@h/db");
  });

  it("refuses a missing URL, an unknown scheme or a scheme without a host as ConfigurationError", () => {
    for (const url of [undefined, "", "  ", "./file.db", "mongodb://h/db", "http://h", "postgres:db", "sqlite:"]) {
      expect(() => parseTarget(url), String(url)).toThrow(ConfigurationError);
    }
  });
});

describe("exit codes and the error line", () => {
  it("maps each kind of error to its code", () => {
    expect(exitCodeOf(new ValidationError("options", []))).toBe(ExitCode.Usage);
    expect(exitCodeOf(new ConfigurationError("url", "no"))).toBe(ExitCode.Usage);
    expect(exitCodeOf(new DraftNotFoundError("ws", "d"))).toBe(ExitCode.NotFound);
    expect(exitCodeOf(new StoreError("postgres", "connect", new Error("ECONNREFUSED")))).toBe(ExitCode.Failed);
    expect(exitCodeOf(new TypeError("a bug"))).toBe(ExitCode.Failed);
    expect(ExitCode).toEqual({
      Ok: 0,
      Failed: 1,
      Usage: 2,
      NotFound: 3,
      PendingMigrations: 4,
      Partial: 5,
      Interrupted: 130,
    });
  });

  it("prints one line with the code, or one JSON object with --json", () => {
    const error = new StoreError("mysql", "connect", new Error("first line\nsecond line"));
    expect(errorLine(error, false)).toBe(
      "onboarding-lifecycle: store_failure: mysql store failed during connect: first line second line\n",
    );
    expect(JSON.parse(errorLine(error, true))).toEqual({
      error: {
        code: "store_failure",
        message: "mysql store failed during connect: first line second line",
        exitCode: 1,
      },
    });
    expect(errorLine(new TypeError("oops"), false)).toBe("onboarding-lifecycle: internal_error: oops\n");
  });
});

describe("the command line (in process)", () => {
  it("usage errors exit 2 with one validation_failed line", async () => {
    const cases: [string[], RegExp][] = [
      [["frobnicate"], /^onboarding-lifecycle: validation_failed: unknown command 'frobnicate'/],
      [["status", "--bogus"], /^onboarding-lifecycle: validation_failed: unknown option '--bogus'/],
      [["inspect", "ws-only"], /^onboarding-lifecycle: validation_failed: missing required argument 'draft'/],
      [
        ["prune-idempotency"],
        /^onboarding-lifecycle: validation_failed: required option '--older-than <duration>' not specified/,
      ],
      [
        ["backfill", "--batch-size", "0"],
        /^onboarding-lifecycle: validation_failed: option '--batch-size <n>' argument '0' is invalid/,
      ],
      [
        ["backfill", "--progress", "fancy"],
        /^onboarding-lifecycle: validation_failed: option '--progress <mode>' argument 'fancy' is invalid/,
      ],
      [
        ["migrate", "--to", "latest", "--url", "sqlite::memory:"],
        /^onboarding-lifecycle: validation_failed: --to must be a schema version/,
      ],
    ];
    for (const [argv, line] of cases) {
      const result = await run(argv);
      expect(result.code, argv.join(" ")).toBe(2);
      expect(result.stdout).toBe("");
      expect(result.stderr.split("\n").filter(Boolean), argv.join(" ")).toHaveLength(1);
      expect(result.stderr).toMatch(line);
    }
  });

  it("no connection string: exit 2 naming --url and the environment variable", async () => {
    const result = await run(["status"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      "onboarding-lifecycle: configuration: no connection string: pass --url or set ONBOARDING_DATABASE_URL (postgres://, mysql://, mariadb://, sqlite:<file>, file:<file>, redis:// or redis+cluster://host:port,host:port)\n",
    );
    const json = await run(["status", "--json"]);
    expect(JSON.parse(json.stderr)).toMatchObject({ error: { code: "configuration", exitCode: 2 } });
  });

  it("takes the connection string and prefix from the environment", async () => {
    const result = await run(["migrate", "--json"], {
      ONBOARDING_DATABASE_URL: "sqlite::memory:",
      ONBOARDING_PREFIX: "env_",
    });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ adapter: "sqlite", prefix: "env_", from: 0, dryRun: false });
  });

  it("no command prints the help on stderr and exits 2; --help and --version exit 0", async () => {
    const none = await run([]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("Usage: onboarding-lifecycle [options] [command]");
    const help = await run(["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("Exit codes:");
    expect(help.stdout).toMatch(/inspect \[options\] <workspace> <draft>/);
    const commandHelp = await run(["backfill", "--help"]);
    expect(commandHelp.code).toBe(0);
    expect(commandHelp.stdout).toContain("--batch-size <n>");
    const version = await run(["--version"]);
    expect(version.code).toBe(0);
    expect(version.stdout).toMatch(/^\d+\.\d+\.\d+/);
  });
});

describe("the command line (child process)", () => {
  it("exit codes a script sees: 2 for an unusable connection string, 1 for a missing SQLite file", async () => {
    const scheme = await cli(["status", "--url", "mongodb://127.0.0.1/x"]);
    expect(scheme.code).toBe(2);
    expect(scheme.stderr).toMatch(
      /^onboarding-lifecycle: configuration: cannot use a connection string with the scheme "mongodb:"/,
    );
    const missing = await cli(["status", "--url", "sqlite:/nonexistent-dir/none.db"]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(
      /^onboarding-lifecycle: store_failure: sqlite store failed during connect: [^\n]+\n$/,
    );
  });
});

describe("progress", () => {
  it("draws a bar frame, and a plain line", () => {
    const state = { done: 50, total: 200, detail: "40 upgraded, 0 reindexed, 0 failed" };
    expect(barFrame("backfill", state)).toBe(
      "backfill [######------------------]  25% 50/200 40 upgraded, 0 reindexed, 0 failed",
    );
    expect(plainLine("backfill", state)).toBe("backfill: 50/200 scanned (25%), 40 upgraded, 0 reindexed, 0 failed");
    expect(barFrame("backfill", { ...state, total: null })).toContain("  ?% 50 ");
  });

  it("redraws in place on a terminal, writes lines otherwise", () => {
    const frames: string[] = [];
    const tty = createProgress({ write: (text: string) => frames.push(text), isTTY: true }, "backfill", "auto");
    tty.update({ done: 10, total: 20, detail: "x" });
    tty.update({ done: 20, total: 20, detail: "y" });
    tty.finish();
    expect(frames.slice(0, 2).every((frame) => frame.startsWith("\r"))).toBe(true);
    expect(frames.at(-1)).toBe("\n");
    const lines: string[] = [];
    const piped = createProgress({ write: (text: string) => lines.push(text), isTTY: false }, "backfill", "auto");
    piped.update({ done: 10, total: 20, detail: "x" });
    piped.finish();
    expect(lines).toEqual(["backfill: 10/20 scanned (50%), x\n"]);
  });

  async function legacyDatabase(rows: number) {
    const file = tempDatabase("cli-progress");
    const db = new Database(file.file);
    const store = createSqliteStore({ database: db, tablePrefix: "pg_" });
    await store.migrate();
    insertLegacySqlite(
      db,
      "pg_",
      Array.from({ length: rows }, (_, index) => legacyRow("ws-progress", index)),
    );
    db.close();
    return file;
  }

  it.skipIf(!scriptAvailable())("in a terminal session backfill draws a bar with carriage-return frames", async () => {
    const file = await legacyDatabase(40);
    try {
      const { code, output } = await cliInTerminal([
        "backfill",
        "--url",
        `sqlite:${file.file}`,
        "--prefix",
        "pg_",
        "--batch-size",
        "5",
      ]);
      expect(code).toBe(0);
      const frames = output.match(/\rbackfill \[[#-]{24}\] +\d+% \d+\/40 \d+ upgraded/g) ?? [];
      expect(frames.length).toBeGreaterThanOrEqual(8);
      expect(frames.at(-1)).toMatch(/\[#{24}\] 100% 40\/40 40 upgraded/);
      expect(output).not.toMatch(/^backfill: /m);
      expect(output).toMatch(
        /Backfill finished: 40 scanned, 40 upgraded, 0 reindexed, 0 already current, 0 changed meanwhile, 0 failed\.\r?\n/,
      );
    } finally {
      file.cleanup();
    }
  });

  it("piped (not a terminal) backfill writes one plain line per batch, no carriage returns", async () => {
    const file = await legacyDatabase(40);
    try {
      const result = await cli(["backfill", "--url", `sqlite:${file.file}`, "--prefix", "pg_", "--batch-size", "5"]);
      expect(result.code).toBe(0);
      expect(result.stderr).not.toContain("\r");
      const lines = result.stderr.split("\n").filter(Boolean);
      expect(lines).toHaveLength(8);
      expect(lines[0]).toBe("backfill: 5/40 scanned (12%), 5 upgraded, 0 reindexed, 0 failed");
      expect(lines.at(-1)).toBe("backfill: 40/40 scanned (100%), 40 upgraded, 0 reindexed, 0 failed");
    } finally {
      file.cleanup();
    }
  });
});
