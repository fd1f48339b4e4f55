/**
 * Starts a throwaway MariaDB Galera cluster on loopback for tests: `nodes` (default 3) `mariadbd`
 * processes with the galera-4 provider, each with its own port, socket, data directory (one
 * `mariadb-install-db` into a temp dir, copied for the other nodes) and Galera ports (group
 * communication, IST, SST), all free loopback ports chosen at run time. The first node
 * bootstraps the cluster (`--wsrep-new-cluster`); the others join it by state transfer (rsync).
 * Ready once every node reports `wsrep_cluster_size` = `nodes` and `Synced`.
 *
 * Run as root, the nodes run as the `mysql` user (`--user=mysql`, the temp dir chowned to it):
 * `mariadbd` refuses to run as root, and the state-transfer scripts it spawns must own the data
 * directory. Run as another user, they run as that user.
 *
 * `stop()` ends the node processes (SIGKILL to each node's own process group, so the rsync
 * helpers of a state transfer go too: the data is thrown away) and removes the temp dir; it is
 * safe to call after a failed start, and runs on process exit as a last resort. Never touches the system
 * server on 3306: every node reads only its own option file (`--defaults-file`).
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createConnection, type PoolOptions, type RowDataPacket } from "mysql2/promise";

/** One node of a running test cluster. */
export interface GaleraNode {
  /** `n1`, `n2`, ... (also its `wsrep_node_name`). */
  readonly name: string;
  /** Its client port on 127.0.0.1. */
  readonly port: number;
  /** Its Unix socket. */
  readonly socket: string;
}

/** A running test cluster. */
export interface TestGaleraCluster {
  /** The nodes, in start order (`nodes[0]` bootstrapped the cluster). */
  readonly nodes: readonly GaleraNode[];
  /** The database created on every node for the tests. */
  readonly database: string;
  /** How long the start took (install, bootstrap, state transfers), in milliseconds. */
  readonly startedInMs: number;
  /** mysql2 connection options for node `index` (root over TCP on loopback, the test database). */
  options(index: number): PoolOptions;
  /** A `SHOW GLOBAL STATUS` value of node `index` (`null` when the server does not know it). */
  status(index: number, name: string): Promise<string | null>;
  /** Runs one statement as root on node `index` (no database selected), e.g. `SET GLOBAL ...`. */
  admin(index: number, sql: string): Promise<void>;
  /**
   * SIGKILLs node `index`'s `mariadbd` (its process group: a crash, no graceful leave) and
   * resolves once it has exited. Not available on an attached cluster.
   */
  kill(index: number): Promise<void>;
  /**
   * Starts node `index` again after {@link TestGaleraCluster.kill} (same data directory and
   * ports, no bootstrap): it rejoins the running nodes by IST or SST. Resolves once every node
   * is `Synced` in a cluster of every node; the text says which state transfer it got.
   */
  restart(index: number): Promise<string>;
  /** Resolves once the nodes `indexes` are `Synced` and see a cluster of `size` nodes. */
  waitSynced(indexes: readonly number[], size: number, timeoutMs?: number): Promise<void>;
  /** The last lines of node `index`'s error log. */
  log(index: number, lines?: number): string;
  /** Stops every node and removes the temp dir. Idempotent. */
  stop(): Promise<void>;
}

/** Options of {@link startGaleraCluster}. */
export interface GaleraClusterOptions {
  /** Number of nodes (default 3). */
  readonly nodes?: number;
  /** The database to create (default `test`). */
  readonly database?: string;
  /** Give up after this long (default 90 s). */
  readonly timeoutMs?: number;
}

const PROVIDERS = [
  process.env["GALERA_PROVIDER"],
  "/usr/lib/galera/libgalera_smm.so",
  "/usr/lib/libgalera_smm.so",
  "/usr/lib64/galera-4/libgalera_smm.so",
  "/usr/lib64/galera/libgalera_smm.so",
];
const SERVERS = [process.env["MARIADBD"], "/usr/sbin/mariadbd", "/usr/libexec/mariadbd", "/usr/sbin/mysqld"];

function onPath(command: string): boolean {
  return spawnSync(command, ["--version"], { stdio: "ignore" }).status === 0;
}

function firstExisting(candidates: readonly (string | undefined)[]): string | null {
  for (const candidate of candidates)
    if (candidate !== undefined && candidate !== "" && existsSync(candidate)) return candidate;
  return null;
}

interface Binaries {
  readonly server: string;
  readonly provider: string;
  /** The user the nodes run as when we are root; `null` otherwise. */
  readonly runAs: string | null;
}

function binaries(): Binaries | string {
  const server = firstExisting(SERVERS);
  if (server === null) return "mariadbd not found (set MARIADBD)";
  const provider = firstExisting(PROVIDERS);
  if (provider === null) return "the galera-4 provider libgalera_smm.so was not found (set GALERA_PROVIDER)";
  if (!onPath("mariadb-install-db")) return "mariadb-install-db is not on the PATH";
  if (!onPath("rsync")) return "rsync (the state-transfer method) is not on the PATH";
  if (spawnSync("wsrep_sst_rsync", ["--help"], { stdio: "ignore" }).error !== undefined)
    return "wsrep_sst_rsync (MariaDB's rsync state-transfer script) is not on the PATH";
  const root = process.getuid?.() === 0;
  if (root && spawnSync("id", ["-u", "mysql"], { stdio: "ignore" }).status !== 0)
    return "running as root, but there is no mysql user to run the nodes as";
  return { server, provider, runAs: root ? "mysql" : null };
}

/** Why a Galera cluster cannot be started here, or `null` when everything it needs is installed. */
export function galeraMissing(): string | null {
  const found = binaries();
  return typeof found === "string" ? found : null;
}

/** `count` distinct free loopback ports (all held open until every one is known, then released). */
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
    if (address === null || typeof address === "string") throw new Error("Galera test cluster: no TCP address");
    return address.port;
  });
  await Promise.all(servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
  return ports;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

/** The ports of one node: client, group communication (gmcast), IST receiver, SST receiver. */
interface NodePorts {
  readonly port: number;
  readonly gcomm: number;
  readonly ist: number;
  readonly sst: number;
}

function optionFile(input: {
  name: string;
  dir: string;
  ports: NodePorts;
  peers: readonly number[];
  provider: string;
  runAs: string | null;
}): string {
  const { name, dir, ports, peers, provider, runAs } = input;
  const node = join(dir, name);
  return [
    "[mariadbd]",
    `datadir=${join(node, "data")}`,
    `socket=${join(node, "mysqld.sock")}`,
    `pid-file=${join(node, "mysqld.pid")}`,
    `log-error=${join(node, "error.log")}`,
    `tmpdir=${join(node, "tmp")}`,
    `port=${ports.port}`,
    "bind-address=127.0.0.1",
    ...(runAs === null ? [] : [`user=${runAs}`]),
    "skip-name-resolve",
    "performance_schema=OFF",
    "max_connections=300",
    // Small and lax: a throwaway cluster on a shared two-core machine, not a durability test.
    "innodb_buffer_pool_size=32M",
    "innodb_log_file_size=8M",
    "innodb_flush_log_at_trx_commit=2",
    "binlog_format=ROW",
    "innodb_autoinc_lock_mode=2",
    "default_storage_engine=InnoDB",
    "wsrep_on=ON",
    `wsrep_provider=${provider}`,
    "wsrep_cluster_name=onboarding_test",
    `wsrep_cluster_address=gcomm://${peers.map((p) => `127.0.0.1:${p}`).join(",")}`,
    "wsrep_node_address=127.0.0.1",
    `wsrep_node_incoming_address=127.0.0.1:${ports.port}`,
    `wsrep_node_name=${name}`,
    `wsrep_provider_options="gmcast.listen_addr=tcp://127.0.0.1:${ports.gcomm};ist.recv_addr=127.0.0.1:${ports.ist};gcache.size=16M"`,
    `wsrep_sst_receive_address=127.0.0.1:${ports.sst}`,
    "wsrep_sst_method=rsync",
    "",
  ].join("\n");
}

/** The last lines of a node's error log (for a failed start's message). */
function logTail(dir: string, name: string, lines = 25): string {
  try {
    const text = readFileSync(join(dir, name, "error.log"), "utf8")
      .trimEnd()
      .split("\n");
    return text.slice(-lines).join("\n");
  } catch {
    return "(no error log)";
  }
}

async function statusOf(options: PoolOptions, names: readonly string[]): Promise<Map<string, string>> {
  const connection = await createConnection({ ...options, connectTimeout: 1000 });
  try {
    const [rows] = await connection.query<RowDataPacket[]>(
      `SHOW GLOBAL STATUS WHERE Variable_name IN (${names.map(() => "?").join(", ")})`,
      [...names],
    );
    return new Map(rows.map((row) => [String(row["Variable_name"]), String(row["Value"])]));
  } finally {
    await connection.end();
  }
}

async function adminQuery(options: PoolOptions, sql: string): Promise<void> {
  const connection = await createConnection({ ...options, connectTimeout: 2000 });
  try {
    await connection.query(sql);
  } finally {
    await connection.end();
  }
}

/** Which state transfer a node's error log (since its start) shows it got. */
function transferOf(log: string): string {
  if (/IST received|Receiving IST/i.test(log)) return "IST";
  if (/SST (?:received|succeeded)|SST complete|State transfer required/i.test(log)) return "SST";
  return "no state transfer found in its log";
}

/**
 * Starts the cluster and resolves once every node is `Synced` in a cluster of every node.
 *
 * @throws Error with the failing node's error log when a node exits or the deadline passes (the
 *   nodes started so far are stopped and the temp dir removed first).
 */
export async function startGaleraCluster(options: GaleraClusterOptions = {}): Promise<TestGaleraCluster> {
  const binariesFound = binaries();
  if (typeof binariesFound === "string") throw new Error(`Galera test cluster: ${binariesFound}`);
  const found: Binaries = binariesFound;
  const count = options.nodes ?? 3;
  const database = options.database ?? "test";
  const deadline = Date.now() + (options.timeoutMs ?? 90_000);
  const began = Date.now();
  const free = await freePorts(4 * count);
  const ports: NodePorts[] = Array.from({ length: count }, (_, i) => ({
    port: free[4 * i] ?? 0,
    gcomm: free[4 * i + 1] ?? 0,
    ist: free[4 * i + 2] ?? 0,
    sst: free[4 * i + 3] ?? 0,
  }));
  const dir = mkdtempSync(join(tmpdir(), "onboarding-galera-"));
  const nodes: GaleraNode[] = ports.map((p, i) => ({
    name: `n${i + 1}`,
    port: p.port,
    socket: join(dir, `n${i + 1}`, "mysqld.sock"),
  }));
  /** Node i's current process (replaced by a restart); `undefined` before it starts. */
  const children: (ChildProcess | undefined)[] = [];
  const running = (): ChildProcess[] => children.filter((c): c is ChildProcess => c !== undefined);
  let stopped = false;

  const signal = (child: ChildProcess, sig: NodeJS.Signals): void => {
    if (exited(child) || child.pid === undefined) return;
    try {
      process.kill(-child.pid, sig); // its own process group: mariadbd and its SST helpers
    } catch {
      child.kill(sig);
    }
  };
  // Last resort if the test process exits without calling stop() (crash, forced exit).
  const onExit = (): void => {
    for (const child of running()) signal(child, "SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  };
  process.once("exit", onExit);

  async function stop(): Promise<void> {
    if (stopped) return;
    stopped = true;
    process.removeListener("exit", onExit);
    // SIGKILL at once: the data is thrown away, and a graceful leave costs seconds per node.
    for (const child of running()) signal(child, "SIGKILL");
    const until = Date.now() + 5_000;
    while (Date.now() < until && running().some((c) => !exited(c))) await sleep(20);
    rmSync(dir, { recursive: true, force: true });
  }

  /** Root over TCP on loopback, no database (it does not exist before the bootstrap). */
  const serverOptions = (index: number): PoolOptions => ({
    host: "127.0.0.1",
    port: nodes[index]?.port ?? 0,
    user: "root",
    password: "",
    charset: "utf8mb4",
  });
  const connectionOptions = (index: number): PoolOptions => ({ ...serverOptions(index), database });

  function start(index: number): void {
    const name = nodes[index]?.name ?? `n${index + 1}`;
    const file = join(dir, `${name}.cnf`);
    writeFileSync(
      file,
      optionFile({
        name,
        dir,
        ports: ports[index] ?? { port: 0, gcomm: 0, ist: 0, sst: 0 },
        peers: ports.map((p) => p.gcomm),
        provider: found.provider,
        runAs: found.runAs,
      }),
    );
    const bootstrap = index === 0 && children[0] === undefined;
    const child = spawn(found.server, [`--defaults-file=${file}`, ...(bootstrap ? ["--wsrep-new-cluster"] : [])], {
      stdio: "ignore",
      detached: true,
    });
    children[index] = child;
  }

  /** Running as root: the whole temp dir to the nodes' user (mkdtemp's 0700 dir included). */
  function handOver(): void {
    if (found.runAs === null) return;
    const chown = spawnSync("chown", ["-R", `${found.runAs}:${found.runAs}`, dir], { encoding: "utf8" });
    if (chown.status !== 0) throw new Error(`Galera test cluster: chown failed: ${chown.stderr}`);
  }

  async function waitSynced(indexes: readonly number[], size?: number, until = deadline): Promise<void> {
    for (;;) {
      const crashed = indexes.find((i) => {
        const child = children[i];
        return child !== undefined && exited(child);
      });
      if (crashed !== undefined) {
        const name = nodes[crashed]?.name ?? "?";
        throw new Error(`Galera test cluster: node ${name} exited early:\n${logTail(dir, name)}`);
      }
      const states = await Promise.all(
        indexes.map((i) =>
          statusOf(serverOptions(i), ["wsrep_local_state_comment", "wsrep_cluster_size", "wsrep_ready"]).catch(
            () => null,
          ),
        ),
      );
      const wanted = size === undefined ? (indexes.length === count ? String(count) : null) : String(size);
      const ready = states.every(
        (s) =>
          s !== null &&
          s.get("wsrep_local_state_comment") === "Synced" &&
          s.get("wsrep_ready") === "ON" &&
          (wanted === null || s.get("wsrep_cluster_size") === wanted),
      );
      if (ready) return;
      if (Date.now() > until) {
        const names = indexes.map((i) => nodes[i]?.name ?? "?");
        throw new Error(
          `Galera test cluster: timed out waiting for ${names.join(", ")} to be Synced:\n` +
            names.map((n) => `--- ${n}\n${logTail(dir, n)}`).join("\n"),
        );
      }
      await sleep(200);
    }
  }

  try {
    for (const node of nodes) mkdirSync(join(dir, node.name, "tmp"), { recursive: true });
    handOver();
    const install = spawnSync(
      "mariadb-install-db",
      [
        "--no-defaults",
        `--datadir=${join(dir, "n1", "data")}`,
        ...(found.runAs === null ? [] : [`--user=${found.runAs}`]),
        "--auth-root-authentication-method=normal",
        "--skip-test-db",
        "--innodb-log-file-size=8M",
        "--innodb-buffer-pool-size=32M",
      ],
      { encoding: "utf8", timeout: 60_000 },
    );
    if (install.status !== 0)
      throw new Error(`Galera test cluster: mariadb-install-db failed:\n${install.stdout}${install.stderr}`);
    // The joiners' data is replaced by the state transfer; a copy lets them start without a second install.
    for (const node of nodes.slice(1))
      cpSync(join(dir, "n1", "data"), join(dir, node.name, "data"), { recursive: true });
    handOver();
    start(0);
    await waitSynced([0]);
    const first = await createConnection(serverOptions(0));
    try {
      await first.query(`CREATE DATABASE IF NOT EXISTS \`${database}\``);
    } finally {
      await first.end();
    }
    for (let i = 1; i < count; i += 1) start(i);
    await waitSynced(nodes.map((_, i) => i));
    return {
      nodes,
      database,
      startedInMs: Date.now() - began,
      options: connectionOptions,
      async status(index, name) {
        return (await statusOf(serverOptions(index), [name])).get(name) ?? null;
      },
      admin: (index, sql) => adminQuery(serverOptions(index), sql),
      async kill(index) {
        const child = children[index];
        if (child === undefined || exited(child)) throw new Error(`Galera test cluster: node ${index} is not running`);
        signal(child, "SIGKILL");
        const until = Date.now() + 10_000;
        while (!exited(child)) {
          if (Date.now() > until) throw new Error(`Galera test cluster: node ${index} did not exit after SIGKILL`);
          await sleep(10);
        }
      },
      async restart(index) {
        const child = children[index];
        if (child !== undefined && !exited(child))
          throw new Error(`Galera test cluster: node ${index} is still running`);
        const name = nodes[index]?.name ?? "?";
        const logFile = join(dir, name, "error.log");
        const offset = existsSync(logFile) ? readFileSync(logFile).length : 0;
        start(index);
        await waitSynced(
          nodes.map((_, i) => i),
          count,
          Date.now() + (options.timeoutMs ?? 90_000),
        );
        return transferOf(readFileSync(logFile).subarray(offset).toString("utf8"));
      },
      waitSynced: (indexes, size, timeoutMs = 60_000) => waitSynced(indexes, size, Date.now() + timeoutMs),
      log: (index, lines) => logTail(dir, nodes[index]?.name ?? "?", lines),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * A running cluster someone else started (`GALERA_PORTS=p1,p2,p3`, root without a password on
 * 127.0.0.1, the database existing): for working on a test without waiting for a start each run.
 * `stop()` leaves it running.
 */
export function attachGaleraCluster(ports: readonly number[], database = "test"): TestGaleraCluster {
  const nodes = ports.map((port, i) => ({ name: `n${i + 1}`, port, socket: "" }));
  const serverOptions = (index: number): PoolOptions => ({
    host: "127.0.0.1",
    port: ports[index] ?? 0,
    user: "root",
    password: "",
    charset: "utf8mb4",
  });
  return {
    nodes,
    database,
    startedInMs: 0,
    options: (index) => ({ ...serverOptions(index), database }),
    async status(index, name) {
      return (await statusOf(serverOptions(index), [name])).get(name) ?? null;
    },
    admin: (index, sql) => adminQuery(serverOptions(index), sql),
    kill: () => Promise.reject(new Error("an attached Galera cluster cannot kill its nodes")),
    restart: () => Promise.reject(new Error("an attached Galera cluster cannot restart its nodes")),
    async waitSynced() {
      // An attached cluster: its nodes are assumed healthy.
    },
    log: () => "(attached cluster: no log)",
    stop: () => Promise.resolve(),
  };
}
