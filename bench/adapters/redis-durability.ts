/**
 * Benchmark (not a test): the cost of the Redis store's `durability` option. `engine.execute`
 * commits/s with and without `durability: { replicas: 1 }` (WAIT after each commit), 16
 * concurrent clients each on its own draft, through one ioredis client and through four (WAIT
 * blocks the connection it runs on, so one client's durable writes to a master are confirmed one
 * after another). The sides run interleaved in one run, on servers this script starts and stops
 * itself on free loopback ports (the shared 127.0.0.1:6379 is left alone: a replica of it would
 * copy every other user's keys):
 *
 * - `pair`: a standalone master and one replica;
 * - `cluster`: a Redis Cluster of 3 masters and 3 replicas.
 *
 *   npx tsx bench/adapters/redis-durability.ts [--seconds 5] [--clients 16] [--target pair|cluster|both]
 *
 * Each side runs `seconds` in 5 rounds, the sides interleaved (rotating the order); the figure is
 * the median round with the range beside it, and the ratios are of medians.
 */
import { Cluster, Redis } from "ioredis";
import { createRedisStore, type RedisDurability } from "../../src/adapters/redis/index.js";
import { createOnboardingEngine, type OnboardingDraft } from "../../src/index.js";
import { startRedisCluster, startRedisReplicated } from "../../test/support/redis-cluster.js";

function arg(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  const value = at >= 0 ? Number(process.argv[at + 1]) : fallback;
  return Number.isFinite(value) && value > 0 ? value : fallback;
}

const SECONDS = Math.min(arg("seconds", 5), 30);
const CLIENTS = Math.min(arg("clients", 16), 256);
const ROUNDS = 5;
const TARGET = (() => {
  const at = process.argv.indexOf("--target");
  return at >= 0 ? String(process.argv[at + 1]) : "both";
})();

type Client = Redis | Cluster;

/** One side: writers committing through engines on `connections` ioredis clients. */
interface Side {
  readonly label: string;
  run(ms: number): Promise<void>;
  ops: number;
  seconds: number;
  /** Commits/s of each measured round. */
  readonly rounds: number[];
  readonly latencies: number[];
}

const actor = { id: "bench" };

async function side(
  label: string,
  clients: readonly Client[],
  prefix: string,
  durability: RedisDurability | undefined,
): Promise<Side> {
  const engines = clients.map((client) =>
    createOnboardingEngine({
      store: createRedisStore({ client, keyPrefix: prefix, ...(durability === undefined ? {} : { durability }) }),
      authorize: () => true,
    }),
  );
  const drafts: OnboardingDraft[] = [];
  for (let i = 0; i < CLIENTS; i += 1) {
    const engine = engines[i % engines.length]!;
    const { draft } = await engine.create(
      `ws-${i}`,
      { identity: { tenantId: `t-${i}`, displayName: "start" } },
      { actor },
    );
    drafts.push(draft);
  }
  let serial = 0;
  const result: Side = {
    label,
    ops: 0,
    seconds: 0,
    rounds: [],
    latencies: [],
    async run(ms) {
      const started = performance.now();
      const until = Date.now() + ms;
      const counts = await Promise.all(
        drafts.map(async (_, i) => {
          const engine = engines[i % engines.length]!;
          let ops = 0;
          while (Date.now() < until) {
            serial += 1;
            const draft = drafts[i]!;
            const t0 = performance.now();
            const written = await engine.execute(
              draft.workspaceId,
              draft.id,
              { type: "identify", tenantId: `t-${i}`, displayName: `name ${serial}` },
              { actor, expectedVersion: draft.version },
            );
            result.latencies.push(performance.now() - t0);
            drafts[i] = written.draft;
            ops += 1;
          }
          return ops;
        }),
      );
      const seconds = (performance.now() - started) / 1000;
      const ops = counts.reduce((a, b) => a + b, 0);
      result.seconds += seconds;
      result.ops += ops;
      result.rounds.push(ops / seconds);
    },
  };
  return result;
}

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

async function measure(
  target: string,
  connect: () => Client,
  cleanup: (client: Client) => Promise<void>,
): Promise<void> {
  const one = connect();
  const four = [connect(), connect(), connect(), connect()];
  const all = [one, ...four];
  await Promise.all(all.map((client) => client.ping()));
  const stamp = Date.now().toString(36);
  try {
    const sides = [
      await side("no durability, 1 ioredis client", [one], `bench-plain1-${stamp}`, undefined),
      await side("durability { replicas: 1 }, 1 client", [one], `bench-durable1-${stamp}`, { replicas: 1 }),
      await side("no durability, 4 ioredis clients", four, `bench-plain4-${stamp}`, undefined),
      await side("durability { replicas: 1 }, 4 clients", four, `bench-durable4-${stamp}`, { replicas: 1 }),
    ];
    for (const s of sides) {
      await s.run(500); // warm-up
      s.ops = 0;
      s.seconds = 0;
      s.rounds.length = 0;
      s.latencies.length = 0;
    }
    // Interleaved, rotating the order, so the machine's noise hits every side alike.
    for (let round = 0; round < ROUNDS; round += 1) {
      for (let j = 0; j < sides.length; j += 1) await sides[(round + j) % sides.length]!.run((SECONDS * 1000) / ROUNDS);
    }
    console.log(`\n${target}: ${CLIENTS} concurrent writers, ${SECONDS} s per side in ${ROUNDS} interleaved rounds`);
    // The median round, with the range: on a shared machine one round can be far off.
    const rate = (s: Side): number => percentile(s.rounds, 50);
    for (const s of sides) {
      const low = Math.min(...s.rounds).toFixed(0);
      const high = Math.max(...s.rounds).toFixed(0);
      console.log(
        `${s.label.padEnd(40)} ${String(s.ops).padStart(7)} commits in ${s.seconds.toFixed(2)} s, ` +
          `median round ${rate(s).toFixed(0).padStart(6)} commits/s (${low} - ${high}), ` +
          `latency p50 ${percentile(s.latencies, 50).toFixed(2)} ms, p99 ${percentile(s.latencies, 99).toFixed(2)} ms`,
      );
    }
    const [plain1, durable1, plain4, durable4] = sides as [Side, Side, Side, Side];
    console.log(`ratio durable / plain (medians), 1 client:  ${(rate(durable1) / rate(plain1)).toFixed(2)}`);
    console.log(`ratio durable / plain (medians), 4 clients: ${(rate(durable4) / rate(plain4)).toFixed(2)}`);
  } finally {
    await cleanup(one).catch(() => undefined);
    for (const client of all) client.disconnect();
  }
}

/** Deletes the bench's keys on every master (SCAN MATCH, then DEL). */
async function deleteBenchKeys(client: Client): Promise<void> {
  const nodes = client instanceof Cluster ? client.nodes("master") : [client];
  for (const node of nodes) {
    let cursor = "0";
    for (let i = 0; i < 10_000; i += 1) {
      const [next, keys] = await node.scan(cursor, "MATCH", "{bench-*", "COUNT", 500);
      for (const key of keys) await node.del(key);
      cursor = next;
      if (cursor === "0") break;
    }
  }
}

if (TARGET === "pair" || TARGET === "both") {
  const pair = await startRedisReplicated(1);
  try {
    await measure(
      `pair: standalone master 127.0.0.1:${pair.masterPort} + 1 replica`,
      () => new Redis({ host: "127.0.0.1", port: pair.masterPort }),
      deleteBenchKeys,
    );
  } finally {
    await pair.stop();
  }
}
if (TARGET === "cluster" || TARGET === "both") {
  const cluster = await startRedisCluster({ replicas: 1 });
  try {
    await measure(
      "cluster: 3 masters + 3 replicas",
      () =>
        new Cluster(
          cluster.masterPorts.map((port) => ({ host: "127.0.0.1", port })),
          { scaleReads: "master" },
        ),
      deleteBenchKeys,
    );
  } finally {
    await cluster.stop();
  }
}
