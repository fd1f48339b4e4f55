/**
 * Starts a throwaway Redis Cluster on loopback for tests: `masters` (at least 3) masters and
 * `replicas` replicas per master, one `redis-server` process each (cluster mode, no persistence,
 * config and data in a temp dir) on free ports chosen at run time (client and cluster-bus ports
 * both from `listen(0)`), joined with `redis-cli --cluster create --cluster-replicas`, ready once
 * every node reports `cluster_state:ok`, every master has its replicas and every replica's link
 * to its master is up.
 *
 * For failover tests: `kill(port)` SIGKILLs a node, `pause` / `resume` SIGSTOP / SIGCONT one (a
 * replica that lags), `waitForPromotion(port)` waits until a replica took the dead master's slots,
 * `restart(port)` starts a killed node again (it rejoins, as a replica of whoever took its slots)
 * and `waitHealthy()` waits for the whole topology to be back. Status queries go through short
 * ioredis connections, never a blocking child process, so writers in the same process keep running.
 *
 * `stop()` terminates the processes (SIGCONT, SIGTERM, then SIGKILL) and removes the temp dir; it
 * is safe to call after a failed start, and the process's `exit` hook does the same as a last resort.
 *
 * `startRedisReplicated()` starts a standalone master with replicas the same way (benchmarks).
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";

/** What {@link startRedisCluster} starts. */
export interface RedisClusterOptions {
  /** Masters (at least 3, Redis' minimum for `--cluster create`); default 3. */
  readonly masters?: number;
  /** Replicas of each master; default 0. */
  readonly replicas?: number;
  /**
   * `cluster-node-timeout` in ms: how long a node may be unreachable before it is suspected
   * (failover starts after it); default 5000. Failover tests use 1000.
   */
  readonly nodeTimeoutMs?: number;
}

/** One node as `CLUSTER NODES` describes it. */
export interface ClusterNodeInfo {
  /** The node id. */
  readonly id: string;
  /** Its client port. */
  readonly port: number;
  /** `master` or `replica`. */
  readonly role: "master" | "replica";
  /** Whether the cluster considers it failed (`fail` or `fail?` flags). */
  readonly failed: boolean;
  /** For a replica, the id of its master; otherwise `null`. */
  readonly masterId: string | null;
  /** How many hash slots it serves (0 for a replica). */
  readonly slots: number;
}

/** What {@link TestRedisCluster.waitForPromotion} saw. */
export interface Promotion {
  /** The port of the replica that now serves the dead master's slots. */
  readonly port: number;
  /** Milliseconds from the call until every live node reported `cluster_state:ok` with it as master. */
  readonly ms: number;
}

/** A running test cluster. */
export interface TestRedisCluster {
  /** The loopback ports of every node, masters first (the start's topology). */
  readonly ports: readonly number[];
  /** The ports of the masters at start. */
  readonly masterPorts: readonly number[];
  /** The current topology, asked of a live node. */
  topology(): Promise<readonly ClusterNodeInfo[]>;
  /** One command on a short connection to the node on `port` (its reply as text). */
  command(port: number, command: string, ...args: string[]): Promise<string>;
  /** SIGKILLs the node on `port`; resolves once the process is gone, with the time of the signal (`Date.now()`). */
  kill(port: number): Promise<number>;
  /** SIGSTOPs the node on `port` (it stops reading and answering, its sockets stay open). */
  pause(port: number): void;
  /** SIGCONTs a paused node. */
  resume(port: number): void;
  /** Starts a killed node again with its configuration (it rejoins the cluster). */
  restart(port: number): Promise<void>;
  /**
   * Waits until a replica of the (dead) master that was on `port` serves its slots and every live
   * node reports `cluster_state:ok`; rejects after `deadlineMs`.
   */
  waitForPromotion(port: number, deadlineMs?: number): Promise<Promotion>;
  /**
   * Waits until every node runs, none is flagged failed, every live node reports
   * `cluster_state:ok`, each master has its replicas and every replica's link is up.
   */
  waitHealthy(deadlineMs?: number): Promise<void>;
  /** Stops every process and removes the temp dir. Idempotent. */
  stop(): Promise<void>;
}

/** Whether `redis-server` and `redis-cli` are on the PATH. */
export function redisBinariesAvailable(): boolean {
  const server = spawnSync("redis-server", ["--version"], { stdio: "ignore" });
  const cli = spawnSync("redis-cli", ["--version"], { stdio: "ignore" });
  return server.status === 0 && cli.status === 0;
}

/**
 * `count` distinct free loopback ports: each from a listener on port 0, all held open until every
 * port is known (so they differ), then released for the servers to take.
 */
async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<Server>((resolve, reject) => {
          const server = createServer();
          server.once("error", reject);
          server.listen(0, "127.0.0.1", () => resolve(server));
        }),
    ),
  );
  const ports = servers.map((server) => {
    const address = server.address();
    if (address === null || typeof address === "string") throw new Error("Redis test cluster: no TCP address");
    return address.port;
  });
  await Promise.all(servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
  return ports;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Runs `redis-cli` without blocking the event loop; resolves with its exit status and output. */
function cli(
  port: number,
  args: readonly string[],
  timeoutMs = 30_000,
): Promise<{ status: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn("redis-cli", ["-h", "127.0.0.1", "-p", String(port), ...args], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString("utf8")));
    child.stderr.on("data", (chunk: Buffer) => (out += chunk.toString("utf8")));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("close", (status) => {
      clearTimeout(timer);
      resolve({ status, out });
    });
  });
}

/** One command on a short-lived connection to a node; rejects quickly when the node is down. */
async function ask(port: number, command: string, ...args: string[]): Promise<string> {
  const client = new Redis({
    host: "127.0.0.1",
    port,
    lazyConnect: true,
    connectTimeout: 500,
    commandTimeout: 1_000,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  client.on("error", () => undefined);
  try {
    await client.connect();
    const reply = await client.call(command, ...args);
    return typeof reply === "string" ? reply : Buffer.isBuffer(reply) ? reply.toString("utf8") : String(reply);
  } finally {
    client.disconnect();
  }
}

async function waitFor(what: string, deadlineMs: number, check: () => Promise<boolean>): Promise<void> {
  const until = Date.now() + deadlineMs;
  let last: unknown;
  while (Date.now() < until) {
    try {
      if (await check()) return;
    } catch (error) {
      last = error;
    }
    await sleep(50);
  }
  const detail = last instanceof Error ? ` (last error: ${last.message})` : "";
  throw new Error(`Redis test cluster: timed out waiting for ${what}${detail}`);
}

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

/** Parses `CLUSTER NODES`. */
function parseNodes(text: string): ClusterNodeInfo[] {
  return text
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => {
      const [id = "", address = "", flags = "", master = "-", , , , , ...slots] = line.split(" ");
      const port = Number(address.split("@")[0]?.split(":")[1]);
      const flagList = flags.split(",");
      const slotCount = slots
        .filter((range) => !range.startsWith("["))
        .reduce((sum, range) => {
          const [from, to = from] = range.split("-").map(Number);
          return sum + (Number(to) - Number(from) + 1);
        }, 0);
      return {
        id,
        port,
        role: flagList.includes("master") ? ("master" as const) : ("replica" as const),
        failed: flagList.includes("fail") || flagList.includes("fail?"),
        masterId: master === "-" ? null : master,
        slots: slotCount,
      };
    });
}

function serverArgs(port: number, busPort: number, dir: string, nodeTimeoutMs: number): string[] {
  return [
    "--port",
    String(port),
    "--cluster-port",
    String(busPort),
    "--bind",
    "127.0.0.1",
    "--cluster-enabled",
    "yes",
    "--cluster-config-file",
    join(dir, `nodes-${port}.conf`),
    "--cluster-node-timeout",
    String(nodeTimeoutMs),
    "--dir",
    dir,
    "--dbfilename",
    `dump-${port}.rdb`,
    "--save",
    "",
    "--appendonly",
    "no",
    // A restarted node resyncs from its new master over a socket, never through a file.
    "--repl-diskless-sync",
    "yes",
    "--repl-diskless-sync-delay",
    "0",
    "--protected-mode",
    "yes",
    "--loglevel",
    "warning",
  ];
}

/**
 * Starts a cluster on free loopback ports, each node with its cluster bus on another free port
 * (`--cluster-port`, Redis 7). The ports are in the result.
 */
export async function startRedisCluster(options: RedisClusterOptions = {}): Promise<TestRedisCluster> {
  const masters = options.masters ?? 3;
  const replicas = options.replicas ?? 0;
  const nodeTimeoutMs = options.nodeTimeoutMs ?? 5_000;
  const total = masters * (1 + replicas);
  const free = await freePorts(2 * total);
  const ports = free.slice(0, total);
  const busPorts = new Map(ports.map((port, index) => [port, free[total + index] ?? 0]));
  const dir = mkdtempSync(join(tmpdir(), "onboarding-redis-cluster-"));
  const children = new Map<number, ChildProcess>();
  const replicasAtKill = new Map<number, readonly string[]>();
  let stopped = false;

  // Last resort if the test process exits without calling stop() (crash, forced exit).
  const onExit = (): void => {
    for (const child of children.values()) {
      if (!exited(child)) {
        child.kill("SIGCONT");
        child.kill("SIGKILL");
      }
    }
    rmSync(dir, { recursive: true, force: true });
  };
  process.once("exit", onExit);

  function launch(port: number): void {
    const child = spawn("redis-server", serverArgs(port, busPorts.get(port) ?? 0, dir, nodeTimeoutMs), {
      stdio: ["ignore", "ignore", "ignore"],
    });
    children.set(port, child);
  }

  function running(port: number): boolean {
    const child = children.get(port);
    return child !== undefined && !exited(child);
  }

  async function waitUntilAnswering(port: number): Promise<void> {
    await waitFor(`redis-server on ${port}`, 10_000, async () => {
      if (!running(port)) throw new Error(`redis-server on ${port} exited early`);
      return (await ask(port, "ping")) === "PONG";
    });
  }

  async function topology(): Promise<readonly ClusterNodeInfo[]> {
    for (const port of ports) {
      if (!running(port)) continue;
      try {
        return parseNodes(await ask(port, "cluster", "nodes"));
      } catch {
        // try the next live node
      }
    }
    throw new Error("Redis test cluster: no live node answered CLUSTER NODES");
  }

  async function everyLiveNodeOk(): Promise<boolean> {
    for (const port of ports) {
      if (running(port) && !(await ask(port, "cluster", "info")).includes("cluster_state:ok")) return false;
    }
    return true;
  }

  async function healthy(): Promise<boolean> {
    if (!ports.every(running)) return false;
    const nodes = await topology();
    if (nodes.length !== total || nodes.some((node) => node.failed)) return false;
    const masterNodes = nodes.filter((node) => node.role === "master" && node.slots > 0);
    if (masterNodes.length !== masters) return false;
    for (const master of masterNodes) {
      if (nodes.filter((node) => node.masterId === master.id).length !== replicas) return false;
    }
    for (const replica of nodes.filter((node) => node.role === "replica")) {
      if (!(await ask(replica.port, "info", "replication")).includes("master_link_status:up")) return false;
    }
    return everyLiveNodeOk();
  }

  async function stop(): Promise<void> {
    if (stopped) return;
    stopped = true;
    process.removeListener("exit", onExit);
    const all = [...children.values()];
    for (const child of all) {
      if (!exited(child)) {
        child.kill("SIGCONT"); // a paused node cannot act on SIGTERM
        child.kill("SIGTERM");
      }
    }
    const until = Date.now() + 5_000;
    while (Date.now() < until && all.some((c) => !exited(c))) await sleep(50);
    for (const child of all) if (!exited(child)) child.kill("SIGKILL");
    const killUntil = Date.now() + 2_000;
    while (Date.now() < killUntil && all.some((c) => !exited(c))) await sleep(50);
    rmSync(dir, { recursive: true, force: true });
  }

  const cluster: TestRedisCluster = {
    ports,
    masterPorts: ports.slice(0, masters),
    topology,
    command: ask,
    async kill(port) {
      const child = children.get(port);
      if (child === undefined || exited(child)) throw new Error(`Redis test cluster: no running node on ${port}`);
      // Who may take over, for waitForPromotion: the node's replicas as the cluster sees them now.
      const nodes = await topology();
      const self = nodes.find((node) => node.port === port);
      replicasAtKill.set(port, self === undefined ? [] : nodes.filter((n) => n.masterId === self.id).map((n) => n.id));
      const gone = new Promise<void>((resolve) => child.once("exit", () => resolve()));
      const at = Date.now();
      child.kill("SIGKILL");
      await gone;
      return at;
    },
    pause(port) {
      children.get(port)?.kill("SIGSTOP");
    },
    resume(port) {
      children.get(port)?.kill("SIGCONT");
    },
    async restart(port) {
      if (running(port)) throw new Error(`Redis test cluster: the node on ${port} is still running`);
      launch(port);
      await waitUntilAnswering(port);
    },
    async waitForPromotion(port, deadlineMs = 30_000) {
      const started = Date.now();
      const heirs = replicasAtKill.get(port) ?? [];
      if (heirs.length === 0) throw new Error(`Redis test cluster: the node on ${port} had no replica when killed`);
      let promoted = 0;
      await waitFor(`a replica to take over the slots of ${port}`, deadlineMs, async () => {
        const nodes = await topology();
        const heir = nodes.find((node) => heirs.includes(node.id) && node.role === "master" && node.slots > 0);
        if (heir === undefined) return false;
        promoted = heir.port;
        return everyLiveNodeOk();
      });
      return { port: promoted, ms: Date.now() - started };
    },
    async waitHealthy(deadlineMs = 30_000) {
      await waitFor("a healthy cluster (every node up, replicas linked, cluster_state:ok)", deadlineMs, healthy);
    },
    stop,
  };

  try {
    for (const port of ports) launch(port);
    for (const port of ports) await waitUntilAnswering(port);
    const create = await cli(ports[0] ?? 0, [
      "--cluster",
      "create",
      ...ports.map((p) => `127.0.0.1:${p}`),
      "--cluster-replicas",
      String(replicas),
      "--cluster-yes",
    ]);
    if (create.status !== 0) throw new Error(`Redis test cluster: redis-cli --cluster create failed:\n${create.out}`);
    await cluster.waitHealthy(30_000);
    return cluster;
  } catch (error) {
    await stop();
    throw error;
  }
}

/** A standalone master with replicas, from {@link startRedisReplicated}. */
export interface TestRedisReplicated {
  /** The master's loopback port. */
  readonly masterPort: number;
  /** The replicas' ports. */
  readonly replicaPorts: readonly number[];
  /** Stops every process and removes the temp dir. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Starts a standalone (non-cluster) master and `replicas` replicas of it on free loopback ports
 * (no persistence, temp dir), ready once every replica's link is up. For benchmarks that need
 * replicas without touching a shared server.
 */
export async function startRedisReplicated(replicas = 1): Promise<TestRedisReplicated> {
  const ports = await freePorts(1 + replicas);
  const [masterPort = 0, ...replicaPorts] = ports;
  const dir = mkdtempSync(join(tmpdir(), "onboarding-redis-replicated-"));
  const children: ChildProcess[] = [];
  let stopped = false;
  const onExit = (): void => {
    for (const child of children) if (!exited(child)) child.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  };
  process.once("exit", onExit);
  async function stop(): Promise<void> {
    if (stopped) return;
    stopped = true;
    process.removeListener("exit", onExit);
    for (const child of children) if (!exited(child)) child.kill("SIGTERM");
    const until = Date.now() + 5_000;
    while (Date.now() < until && children.some((c) => !exited(c))) await sleep(50);
    for (const child of children) if (!exited(child)) child.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  }
  try {
    for (const port of ports) {
      const args = ["--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--dbfilename", `dump-${port}.rdb`];
      args.push("--save", "", "--appendonly", "no", "--repl-diskless-sync", "yes", "--repl-diskless-sync-delay", "0");
      if (port !== masterPort) args.push("--replicaof", "127.0.0.1", String(masterPort));
      children.push(spawn("redis-server", [...args, "--loglevel", "warning"], { stdio: "ignore" }));
    }
    await waitFor("every replica linked to its master", 20_000, async () => {
      if (children.some(exited)) throw new Error("a redis-server exited early");
      for (const port of replicaPorts) {
        if (!(await ask(port, "info", "replication")).includes("master_link_status:up")) return false;
      }
      return true;
    });
    return { masterPort, replicaPorts, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
