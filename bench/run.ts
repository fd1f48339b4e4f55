/**
 * Runs the benchmarks one after another (never in parallel: they measure throughput on a
 * 2-core machine) and prints each one's figures. Not a test.
 *
 *   npm run bench                 # everything
 *   npm run bench -- core engine  # a selection: core, engine, telemetry, outbox, sqlite, postgres, mysql, redis, redis-durability, xstate, peers-postgres, throughput
 *
 * `outbox` runs bench/outbox.ts over every adapter (OUTBOX_ADAPTERS=postgres,redis for a selection).
 * `xstate` is bench/peers/xstate.ts (the pure core vs XState v5); `throughput` is bench/throughput.ts
 * (commits/s against clients per adapter, and the chart bench/throughput.svg); `peers-postgres` is
 * bench/peers/postgres.ts (the engine vs hand-written SQL and TypeORM, 16 clients on one draft).
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

const ALL = [
  "core",
  "engine",
  "telemetry",
  "outbox",
  "sqlite",
  "postgres",
  "mysql",
  "redis",
  "redis-durability",
  "xstate",
  "peers-postgres",
  "throughput",
] as const;
const TOP_LEVEL = new Set<string>(["core", "engine", "telemetry", "outbox", "throughput"]);
/** Benchmarks against other libraries, under bench/peers/. */
const PEERS = new Map<string, string>([
  ["xstate", "xstate"],
  ["peers-postgres", "postgres"],
]);
const selected = process.argv.slice(2).filter((name) => name !== "--");
const names = selected.length > 0 ? selected : [...ALL];

let failed = false;
for (const name of names) {
  const file = TOP_LEVEL.has(name)
    ? `bench/${name}.ts`
    : PEERS.has(name)
      ? `bench/peers/${PEERS.get(name) ?? name}.ts`
      : `bench/adapters/${name}.ts`;
  if (!existsSync(file)) {
    console.log(`\n## ${name}: no benchmark at ${file}`);
    continue;
  }
  console.log(`\n## ${name} (${file})`);
  const result = spawnSync(process.execPath, ["--import", "tsx", file], { stdio: "inherit" });
  if (result.status !== 0) failed = true;
}
process.exitCode = failed ? 1 : 0;
