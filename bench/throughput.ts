/**
 * Throughput against clients, per adapter: `engine.execute` commits per second with 1, 2, 4, 8,
 * 16 and 32 concurrent clients, each on its own draft (a version-checked `select_provider`
 * alternating between two connections, so every command applies and commits one version and
 * one audit event), on the memory store, SQLite (a file, WAL, `synchronous=FULL`), PostgreSQL,
 * MySQL/MariaDB and Redis on 127.0.0.1; for memory and PostgreSQL (THROUGHPUT_SHARED) also with
 * every client on one shared draft, retrying after each version conflict. Writes the figures to `bench/throughput.json` and renders
 * them with `bench/chart.ts` to `bench/throughput.svg` (embedded in bench/README.md).
 *
 *   npx tsx bench/throughput.ts                       (npm run bench -- throughput)
 *   BENCH_MS=1500 BENCH_ROUNDS=3 npx tsx bench/throughput.ts
 *   THROUGHPUT_ADAPTERS=memory,postgres npx tsx bench/throughput.ts
 *
 * Every adapter and client count is measured once per round, adapters and client counts
 * interleaved with a rotating order, so background load on a shared machine spreads over all
 * points alike; each point is the median of the rounds. An adapter whose server cannot be
 * reached is skipped (said so on the console and left out of the chart). Each run uses its own
 * table / key prefix and drops it at the end. Not a test.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { Redis } from "ioredis";
import { createPool } from "mysql2/promise";
import pg from "pg";
import { VersionConflictError, createOnboardingEngine, type OnboardingEngine } from "../src/index.js";
import { createMemoryStore } from "../src/adapters/memory/index.js";
import { createMySqlStore, mysqlDropSchemaStatements } from "../src/adapters/mysql/index.js";
import { createPostgresStore, postgresDropSchemaSql } from "../src/adapters/postgres/index.js";
import { createRedisStore } from "../src/adapters/redis/index.js";
import { createSqliteStore } from "../src/adapters/sqlite/index.js";
import { throughputChart, type ThroughputResults } from "./chart.js";

const CLIENT_COUNTS = [1, 2, 4, 8, 16, 32] as const;
const MAX_CLIENTS = 32;
const POINT_MS = Number(process.env["BENCH_MS"] ?? 1000);
const ROUNDS = Number(process.env["BENCH_ROUNDS"] ?? 3);
const WARMUP_MS = 400;
const RUN = `tp_${Date.now().toString(36)}`;
const OUT_JSON = process.env["THROUGHPUT_JSON"] ?? "bench/throughput.json";
const OUT_SVG = process.env["THROUGHPUT_SVG"] ?? "bench/throughput.svg";
/** Adapters that also get a line with every client on one shared draft (conflicts and retries). */
const SHARED = (process.env["THROUGHPUT_SHARED"] ?? "memory,postgres").split(",").map((name) => name.trim());

type Store = Parameters<typeof createOnboardingEngine>[0]["store"];

interface Target {
  readonly name: string;
  readonly label: string;
  /** Opens the store (and its server connection); `close` drops what the run created. */
  readonly open: () => Promise<{ readonly store: Store; readonly close: () => Promise<void> }>;
}

const TARGETS: readonly Target[] = [
  {
    name: "memory",
    label: "memory",
    open: async () => ({ store: createMemoryStore(), close: async () => {} }),
  },
  {
    name: "sqlite",
    label: "SQLite (WAL, FULL)",
    open: async () => {
      const dir = mkdtempSync(join(tmpdir(), "onboarding-throughput-"));
      const db = new Database(join(dir, "bench.db"));
      db.pragma("journal_mode = WAL");
      db.pragma("synchronous = FULL");
      const store = createSqliteStore({ database: db, tablePrefix: `${RUN}_` });
      await store.migrate();
      return {
        store,
        close: async () => {
          await store.close();
          db.close();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  },
  {
    name: "postgres",
    label: "PostgreSQL",
    open: async () => {
      const url = process.env["POSTGRES_URL"] ?? "postgres://postgres@127.0.0.1:5432/test";
      const pool = new pg.Pool({ connectionString: url, max: MAX_CLIENTS });
      const prefix = `${RUN}_`;
      const store = createPostgresStore({ pool, tablePrefix: prefix });
      try {
        await store.migrate();
      } catch (error) {
        await pool.end();
        throw error;
      }
      return {
        store,
        close: async () => {
          await pool.query(postgresDropSchemaSql(prefix));
          await pool.end();
        },
      };
    },
  },
  {
    name: "mysql",
    label: "MariaDB",
    open: async () => {
      const pool = createPool({
        host: "127.0.0.1",
        port: Number(process.env["MYSQL_PORT"] ?? 3306),
        user: process.env["MYSQL_USER"] ?? "root",
        password: process.env["MYSQL_PASSWORD"] ?? "",
        database: process.env["MYSQL_DATABASE"] ?? "test",
        charset: "utf8mb4",
        connectionLimit: MAX_CLIENTS,
      });
      const prefix = `${RUN}_`;
      const store = createMySqlStore({ pool, tablePrefix: prefix });
      try {
        await store.migrate();
      } catch (error) {
        await pool.end();
        throw error;
      }
      return {
        store,
        close: async () => {
          for (const statement of mysqlDropSchemaStatements(prefix)) await pool.query(statement);
          await pool.end();
        },
      };
    },
  },
  {
    name: "redis",
    label: "Redis",
    open: async () => {
      const client = new Redis({
        host: "127.0.0.1",
        port: Number(process.env["REDIS_PORT"] ?? 6379),
        maxRetriesPerRequest: 1,
        lazyConnect: true,
      });
      await client.connect();
      const prefix = `bench-${RUN}`;
      return {
        store: createRedisStore({ client, keyPrefix: prefix }),
        close: async () => {
          let cursor = "0";
          do {
            const [next, keys] = await client.scan(cursor, "MATCH", `{${prefix}:*`, "COUNT", 500);
            const own = keys.filter((key) => key.startsWith(`{${prefix}:`));
            if (own.length > 0) await client.del(...own);
            cursor = next;
          } while (cursor !== "0");
          await client.quit();
        },
      };
    },
  },
];

interface Slot {
  readonly id: string;
  version: number;
  flip: boolean;
}

interface Open {
  readonly target: Target;
  readonly engine: OnboardingEngine;
  readonly slots: readonly Slot[];
  /** The draft every client writes in the shared-draft series. */
  readonly shared: Slot;
  readonly close: () => Promise<void>;
}

const actor = { id: "bench" };
const WORKSPACE = `ws-${RUN}`;

async function openTarget(target: Target): Promise<Open> {
  const { store, close } = await target.open();
  const engine = createOnboardingEngine({ store, authorize: () => true });
  const slots: Slot[] = [];
  for (let i = 0; i < MAX_CLIENTS; i += 1) {
    const { draft } = await engine.create(
      WORKSPACE,
      { identity: { tenantId: `tenant-${i}`, displayName: `Tenant ${i}` } },
      { actor },
    );
    slots.push({ id: draft.id, version: draft.version, flip: false });
  }
  const { draft } = await engine.create(
    WORKSPACE,
    { identity: { tenantId: "tenant-shared", displayName: "Shared" } },
    { actor },
  );
  return { target, engine, slots, shared: { id: draft.id, version: draft.version, flip: false }, close };
}

/** `clients` concurrent loops, each on its own draft, for `ms`: commits per second. */
async function measure(open: Open, clients: number, ms: number): Promise<number> {
  let commits = 0;
  const started = performance.now();
  const until = started + ms;
  await Promise.all(
    open.slots.slice(0, clients).map(async (slot) => {
      while (performance.now() < until) {
        slot.flip = !slot.flip;
        const result = await open.engine.execute(
          WORKSPACE,
          slot.id,
          { type: "select_provider", connectionId: slot.flip ? "conn-a" : "conn-b" },
          { actor, expectedVersion: slot.version },
        );
        slot.version = result.version;
        commits += 1;
      }
    }),
  );
  return (commits * 1000) / (performance.now() - started);
}

let sequence = 0;

/**
 * `clients` concurrent loops all on one draft, for `ms`: commits per second. A client that
 * loses the race gets a version conflict, takes the version it names and tries again (as a UI
 * would after showing the change); each command names a new connection, so every one that
 * wins applies.
 */
async function measureShared(open: Open, clients: number, ms: number): Promise<number> {
  let commits = 0;
  const started = performance.now();
  const until = started + ms;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      let version = open.shared.version;
      while (performance.now() < until) {
        try {
          const result = await open.engine.execute(
            WORKSPACE,
            open.shared.id,
            { type: "select_provider", connectionId: `conn-${(sequence += 1)}` },
            { actor, expectedVersion: version },
          );
          version = result.version;
          commits += 1;
        } catch (error) {
          if (!(error instanceof VersionConflictError)) throw error;
          version = error.actualVersion;
        }
      }
      open.shared.version = Math.max(open.shared.version, version);
    }),
  );
  return (commits * 1000) / (performance.now() - started);
}

/** 0 .. n-1 in a pseudo-random order fixed by `seed` (mulberry32 + Fisher-Yates). */
function shuffled(n: number, seed: number): number[] {
  let state = seed >>> 0;
  const random = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i -= 1) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function main(): Promise<void> {
  const wanted = process.env["THROUGHPUT_ADAPTERS"]?.split(",").map((name) => name.trim());
  const opened: Open[] = [];
  const date = new Date().toISOString();
  const loadStart = loadavg()[0] ?? 0;
  try {
    for (const target of TARGETS) {
      if (wanted !== undefined && !wanted.includes(target.name)) continue;
      try {
        opened.push(await openTarget(target));
      } catch (error) {
        console.log(`${target.label}: skipped (${error instanceof Error ? error.message : String(error)})`);
      }
    }
    for (const open of opened) await measure(open, 8, WARMUP_MS); // JIT, pools, caches
    // A line is an adapter on own drafts, or (for the SHARED adapters) on one shared draft.
    const lines = opened.flatMap((open) => [
      { open, shared: false },
      ...(SHARED.includes(open.target.name) ? [{ open, shared: true }] : []),
    ]);
    const samples = lines.map(() => CLIENT_COUNTS.map(() => [] as number[]));
    const points = lines.flatMap((_, a) => CLIENT_COUNTS.map((_, c) => [a, c] as const));
    for (let round = 0; round < ROUNDS; round += 1) {
      // Every point once per round, in a different (seeded) order each round.
      for (const index of shuffled(points.length, round + 1)) {
        const [a, c] = points[index]!;
        const line = lines[a]!;
        samples[a]![c]!.push(await (line.shared ? measureShared : measure)(line.open, CLIENT_COUNTS[c]!, POINT_MS));
      }
      console.log(`round ${round + 1}/${ROUNDS} done (load ${loadavg()[0]?.toFixed(1)})`);
    }
    const results: ThroughputResults = {
      date,
      machine: `${cpus().length} x ${cpus()[0]?.model ?? "unknown CPU"}, Node ${process.versions.node}`,
      load: [Number(loadStart.toFixed(1)), Number((loadavg()[0] ?? 0).toFixed(1))],
      pointMs: POINT_MS,
      rounds: ROUNDS,
      series: lines.map(({ open, shared }, a) => ({
        adapter: shared ? `${open.target.name}-shared` : open.target.name,
        label: shared ? `${open.target.label}, one shared draft` : open.target.label,
        points: CLIENT_COUNTS.map((clients, c) => ({
          clients,
          commitsPerSecond: Math.round(median(samples[a]![c]!)),
          rounds: samples[a]![c]!.map((value) => Math.round(value)),
        })),
      })),
    };
    console.log("");
    console.log(`| adapter | ${CLIENT_COUNTS.map((c) => `${c} client${c === 1 ? "" : "s"}`).join(" | ")} |`);
    console.log(`|---|${CLIENT_COUNTS.map(() => "---:").join("|")}|`);
    for (const series of results.series) {
      console.log(
        `| ${series.label} | ${series.points.map((p) => p.commitsPerSecond.toLocaleString("en-US")).join(" | ")} |`,
      );
    }
    console.log(`\n${results.machine}, load average ${results.load[0]} -> ${results.load[1]}, ${date}`);
    writeFileSync(OUT_JSON, `${JSON.stringify(results, null, 2)}\n`);
    writeFileSync(OUT_SVG, throughputChart(results));
    console.log(`wrote ${OUT_JSON} and ${OUT_SVG}`);
  } finally {
    for (const open of opened) await open.close();
  }
}

await main();
