/**
 * Starts a throwaway three-master Redis Cluster on loopback for tests: three `redis-server`
 * processes (cluster mode, no persistence, config and data in a temp dir) on free ports chosen
 * at run time (client and cluster-bus ports both from `listen(0)`), joined with
 * `redis-cli --cluster create`, ready once every node reports `cluster_state:ok`.
 * `stop()` terminates the processes (SIGTERM, then SIGKILL) and removes the temp dir; it is
 * safe to call after a failed start.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A running test cluster. */
export interface TestRedisCluster {
  /** The loopback ports of the three masters. */
  readonly ports: readonly number[];
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

function cli(port: number, args: readonly string[], timeoutMs = 10_000): { status: number | null; out: string } {
  const result = spawnSync("redis-cli", ["-h", "127.0.0.1", "-p", String(port), ...args], {
    encoding: "utf8",
    timeout: timeoutMs,
  });
  return { status: result.status, out: `${result.stdout ?? ""}${result.stderr ?? ""}` };
}

async function waitFor(what: string, deadlineMs: number, check: () => boolean): Promise<void> {
  const until = Date.now() + deadlineMs;
  while (Date.now() < until) {
    if (check()) return;
    await sleep(100);
  }
  throw new Error(`Redis test cluster: timed out waiting for ${what}`);
}

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

/**
 * Starts a cluster of `masters` nodes (at least 3, Redis' minimum) on free loopback ports, each
 * with its cluster bus on another free port (`--cluster-port`, Redis 7). The ports are in the
 * result.
 */
export async function startRedisCluster(masters = 3): Promise<TestRedisCluster> {
  const free = await freePorts(2 * masters);
  const ports = free.slice(0, masters);
  const busPorts = free.slice(masters);
  const dir = mkdtempSync(join(tmpdir(), "onboarding-redis-cluster-"));
  const children: ChildProcess[] = [];
  let stopped = false;

  // Last resort if the test process exits without calling stop() (crash, forced exit).
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
    const killUntil = Date.now() + 2_000;
    while (Date.now() < killUntil && children.some((c) => !exited(c))) await sleep(50);
    rmSync(dir, { recursive: true, force: true });
  }

  try {
    for (const [index, port] of ports.entries()) {
      const child = spawn(
        "redis-server",
        [
          "--port",
          String(port),
          "--cluster-port",
          String(busPorts[index] ?? 0),
          "--bind",
          "127.0.0.1",
          "--cluster-enabled",
          "yes",
          "--cluster-config-file",
          join(dir, `nodes-${port}.conf`),
          "--cluster-node-timeout",
          "5000",
          "--dir",
          dir,
          "--save",
          "",
          "--appendonly",
          "no",
          "--protected-mode",
          "yes",
          "--loglevel",
          "warning",
        ],
        { stdio: ["ignore", "ignore", "pipe"] },
      );
      children.push(child);
    }
    for (const port of ports) {
      await waitFor(`redis-server on ${port}`, 10_000, () => {
        const crashed = children.find(exited);
        if (crashed)
          throw new Error(`Redis test cluster: redis-server exited early (code ${String(crashed.exitCode)})`);
        return cli(port, ["ping"]).out.includes("PONG");
      });
    }
    const create = cli(
      ports[0] ?? 0,
      ["--cluster", "create", ...ports.map((p) => `127.0.0.1:${p}`), "--cluster-replicas", "0", "--cluster-yes"],
      30_000,
    );
    if (create.status !== 0) throw new Error(`Redis test cluster: redis-cli --cluster create failed:\n${create.out}`);
    await waitFor("cluster_state:ok on every node", 20_000, () =>
      ports.every((port) => cli(port, ["cluster", "info"]).out.includes("cluster_state:ok")),
    );
    return { ports, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
