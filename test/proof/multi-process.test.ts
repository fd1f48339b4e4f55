/**
 * Histories from several processes: child processes (node + tsx, test/proof/multi-process-client.ts)
 * each run concurrent clients against the same drafts on one database (PostgreSQL; MariaDB),
 * through the fault injector, and record every call with invocation and return times on
 * `wallClock()` (`performance.timeOrigin + performance.now()`, comparable across the processes
 * of one machine). The parent starts them together, merges their JSON histories with
 * `mergeHistories` (intervals widened by the clocks' uncertainty) and checks the whole with
 * the linearizability checker, then the drafts with `assertDraftInvariants`: one committed audit
 * entry per acknowledged key, none lost, none doubled. A control shows the merged times do order
 * operations of different processes: one read turned stale is rejected. Figures are printed as
 * `[multi-process]` lines (docs/reliability.md).
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import type pg from "pg";
import type { Pool as MySqlPool } from "mysql2/promise";
import { createMySqlStore } from "../../src/adapters/mysql/index.js";
import { createOnboardingEngine } from "../../src/index.js";
import type { DraftStore } from "../../src/store/index.js";
import {
  assertDraftInvariants,
  checkLinearizability,
  createDraftHistory,
  mergeHistories,
  recordingEngine,
  wallClock,
  type DraftOperation,
  type RegisterInput,
  type RegisterOutput,
} from "../../src/testing/index.js";
import { serviceAvailable, uniqueSuffix } from "../support/services.js";
import {
  POSTGRES_URL,
  dropTables as dropPgTables,
  migratedStore,
  probePostgres,
  testPool as pgPool,
  uniquePrefix,
} from "../adapters/fixtures/postgres-support.js";
import {
  MYSQL_OPTIONS,
  dropTables as dropMySqlTables,
  probeMySql,
  testPool as mysqlPool,
} from "../adapters/fixtures/mysql-support.js";
import type { ChildConfig, ChildReport } from "./multi-process-client.js";

const CLIENT = fileURLToPath(new URL("./multi-process-client.ts", import.meta.url));
const PROCESSES = 4;
const CLIENTS = 4;
const OPERATIONS = 30;
const DRAFTS = 4;
/** How far two processes' wallClock may disagree, in ms (their time origins; measured well under this). */
const UNCERTAINTY_MS = 1;
const actor = { id: "multi-process" };

const seed = Number(process.env["MULTI_PROCESS_SEED"] ?? Math.floor(Math.random() * 2 ** 31));

/** One child: `ready` once it is connected, `ping()` for its clock reading, `go()` to start, `done` with its report. */
interface Child {
  readonly ready: Promise<void>;
  ping(): Promise<number>;
  go(): void;
  readonly done: Promise<ChildReport>;
}

function child(config: ChildConfig): Child {
  const proc = spawn(process.execPath, ["--import", "tsx", CLIENT, JSON.stringify(config)], {
    stdio: ["pipe", "pipe", "pipe"],
    env: { ...process.env, NODE_OPTIONS: "" },
  });
  let stderr = "";
  proc.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
  let stdout = "";
  let onReady: (() => void) | null = null;
  const pongs: ((value: number) => void)[] = [];
  proc.stdout.on("data", (chunk: Buffer) => {
    stdout += chunk.toString("utf8");
    for (let end = stdout.indexOf("\n"); end >= 0; end = stdout.indexOf("\n")) {
      const line = stdout.slice(0, end);
      stdout = stdout.slice(end + 1);
      if (line === "ready") onReady?.();
      else if (line.startsWith("pong ")) pongs.shift()?.(Number(line.slice(5)));
    }
  });
  const ready = new Promise<void>((resolve, reject) => {
    onReady = resolve;
    proc.once("exit", (code) => reject(new Error(`child ${config.process} exited (${code}) before ready:\n${stderr}`)));
  });
  const done = new Promise<ChildReport>((resolve, reject) => {
    proc.once("exit", (code) => {
      if (code !== 0) reject(new Error(`child ${config.process} exited with ${code}:\n${stderr}`));
      else resolve(JSON.parse(readFileSync(config.out, "utf8")) as ChildReport);
    });
  });
  ready.catch(() => undefined);
  return {
    ready,
    ping: () =>
      new Promise<number>((resolve) => {
        pongs.push(resolve);
        proc.stdin.write("ping\n");
      }),
    go: () => proc.stdin.end("go\n"),
    done,
  };
}

/**
 * Bounds a child's clock offset to this process's (child minus parent, ms) from `rounds`
 * ping-pongs: a pong read at `t1` (the child's clock) between the ping sent at `t0` and the pong
 * received at `t2` (ours) puts the offset within [t1 - t2, t1 - t0]; the bounds of every round
 * are intersected.
 */
async function clockOffset(c: Child, rounds: number): Promise<{ low: number; high: number }> {
  let low = -Infinity;
  let high = Infinity;
  for (let i = 0; i < rounds; i += 1) {
    const t0 = wallClock();
    const t1 = await c.ping();
    const t2 = wallClock();
    low = Math.max(low, t1 - t2);
    high = Math.min(high, t1 - t0);
  }
  return { low, high };
}

/**
 * The proof on one database: `store` (migrated, `tablePrefix`) in the parent for the setup and
 * the checks, the children on `connection`.
 */
async function prove(
  label: string,
  store: DraftStore,
  adapter: ChildConfig["adapter"],
  connection: ChildConfig["connection"],
  tablePrefix: string,
): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "onboarding-mp-"));
  try {
    const ws = `ws-mp-${uniqueSuffix()}`;
    const drafts = Array.from({ length: DRAFTS }, (_, d) => `d-${d}`);
    const setupHistory = createDraftHistory({ clock: wallClock });
    const setup = recordingEngine(createOnboardingEngine({ store, authorize: () => true }), setupHistory, "parent");
    for (const [d, id] of drafts.entries()) {
      await setup.create(ws, { id, identity: { tenantId: `t-${d}`, displayName: "start" } }, { actor });
    }
    const began = performance.now();
    const children = Array.from({ length: PROCESSES }, (_, p) =>
      child({
        adapter,
        connection,
        tablePrefix,
        workspaceId: ws,
        drafts,
        process: p,
        clients: CLIENTS,
        operations: OPERATIONS,
        seed: seed + p,
        out: join(dir, `p${p}.json`),
      }),
    );
    await Promise.all(children.map((c) => c.ready));
    const startMs = performance.now() - began;
    const offsets: { low: number; high: number }[] = [];
    for (const c of children) offsets.push(await clockOffset(c, 30));
    // The clocks never contradicted each other: every child's offset interval is non-empty.
    for (const o of offsets) expect(o.low, `clock offset bounds ${o.low}..${o.high} ms`).toBeLessThanOrEqual(o.high);
    const offsetBound = Math.max(...offsets.map((o) => Math.max(Math.abs(o.low), Math.abs(o.high))));
    for (const c of children) c.go();
    const reports = await Promise.all(children.map((c) => c.done));
    const runMs = performance.now() - began - startMs;

    const merged = mergeHistories<RegisterInput, RegisterOutput>(
      [setupHistory.operations(), ...reports.map((r) => r.operations)],
      { uncertaintyMs: UNCERTAINTY_MS },
    );
    const result = checkLinearizability(merged, { timeoutMs: 30_000 });
    expect(result.ok, `seed ${seed} (MULTI_PROCESS_SEED=${seed} replays it)\n${result.report}`).toBe(true);

    // 0 lost, 0 doubled: one committed entry per acknowledged key, versions 1..n.
    let committed = 0;
    const versions: number[] = [];
    for (const draftId of drafts) {
      const { draft, events } = await assertDraftInvariants(store, ws, draftId);
      const perKey = new Map<string, number>();
      for (const e of events)
        if (e.kind === "committed") perKey.set(e.idempotencyKey ?? "", (perKey.get(e.idempotencyKey ?? "") ?? 0) + 1);
      const keys = reports.flatMap((r) => r.acknowledged[draftId] ?? []);
      expect(keys.filter((k) => perKey.get(k) !== 1)).toEqual([]);
      expect(draft.version).toBe(1 + keys.length);
      committed += keys.length;
      versions.push(draft.version);
    }

    // The control: a read of another process, invoked after a commit returned, turned stale.
    const stale = staleRead(merged);
    expect(stale, "no read to turn stale").not.toBeNull();
    const control = checkLinearizability(stale ?? [], { timeoutMs: 30_000 });
    expect(control.ok).toBe(false);

    const sum = (pick: (t: ChildReport["tally"]) => number): number => reports.reduce((s, r) => s + pick(r.tally), 0);
    const clients = new Set(merged.map((op) => op.client)).size;
    console.log(
      `[multi-process] ${label}: ${PROCESSES} processes x ${CLIENTS} clients x ${OPERATIONS} operations on ${DRAFTS} ` +
        `shared drafts through injected faults (seed ${seed}): ${committed} commits acknowledged, ${sum((t) => t.reads)} ` +
        `reads, ${sum((t) => t.conflicts)} version conflicts, ${sum((t) => t.storeErrors)} storage failures ` +
        `(${sum((t) => t.unknown)} commits of unknown outcome, resolved by their key: ${sum((t) => t.replays)} replays), ` +
        `in ${(runMs / 1000).toFixed(1)} s (the processes started in ${(startMs / 1000).toFixed(1)} s)\n` +
        `  0 lost, 0 doubled: versions ${versions.map((v) => `1..${v}`).join(", ")}, one audit entry per acknowledged key\n` +
        `  clocks: each child's wallClock within ${offsetBound.toFixed(3)} ms of the parent's (30 ping-pongs each; ` +
        `offset intervals ${offsets.map((o) => `[${o.low.toFixed(3)}, ${o.high.toFixed(3)}]`).join(" ")} ms)\n` +
        `  merged history of ${clients} clients in ${PROCESSES} processes (wallClock, +-${UNCERTAINTY_MS} ms): ${result.report.split("\n")[0] ?? ""}\n` +
        `  control, one read of another process made stale: ${control.verdict}`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The merged history with one read turned stale: a read in one process invoked more than the
 * clocks' uncertainty after a commit of another process returned, that read the commit's version
 * or later, made to answer the version before the commit.
 */
function staleRead(operations: readonly DraftOperation[]): DraftOperation[] | null {
  const process = (client: string): string => client.replace(/c\d+$/, "");
  for (const commit of operations) {
    const out = commit.output;
    if (commit.status !== "ok" || out?.type !== "committed" || out.replayed || out.version < 2) continue;
    const before = operations.find(
      (op) =>
        op.partition === commit.partition &&
        op.status === "ok" &&
        op.output?.type === "committed" &&
        op.output.version === out.version - 1,
    );
    const read = operations.find(
      (op) =>
        op.partition === commit.partition &&
        op.status === "ok" &&
        op.output?.type === "read" &&
        op.output.version >= out.version &&
        process(op.client) !== process(commit.client) &&
        op.invokedAt > (commit.returnedAt ?? Infinity) + 2 * UNCERTAINTY_MS,
    );
    if (before === undefined || read === undefined || before.output?.type !== "committed") continue;
    const staleOutput: RegisterOutput = { type: "read", version: out.version - 1, value: before.output.value };
    return operations.map((op) => (op.id === read.id ? { ...op, output: staleOutput } : op));
  }
  return null;
}

const pgUp = await serviceAvailable("PostgreSQL", probePostgres);

describe.skipIf(!pgUp)("histories from several processes (PostgreSQL)", () => {
  let pool: pg.Pool | undefined;
  let prefix = "";
  afterAll(async () => {
    if (pool === undefined) return;
    await dropPgTables(pool, prefix);
    await pool.end();
  });

  it(`postgres: ${PROCESSES} processes on the same drafts, merged history linearizable, 0 lost`, async () => {
    pool = pgPool(4);
    prefix = uniquePrefix("mp");
    const store = await migratedStore(pool, prefix);
    await prove("postgres", store, "postgres", POSTGRES_URL, prefix);
  }, 90_000);
});

const mysqlUp = await serviceAvailable("MariaDB", probeMySql);

describe.skipIf(!mysqlUp)("histories from several processes (MariaDB)", () => {
  let pool: MySqlPool | undefined;
  const prefix = `t_mp_${uniqueSuffix()}_`;
  afterAll(async () => {
    if (pool === undefined) return;
    await dropMySqlTables(pool, prefix);
    await pool.end();
  });

  it(`mysql: ${PROCESSES} processes on the same drafts, merged history linearizable, 0 lost`, async () => {
    pool = mysqlPool(4);
    const store = createMySqlStore({ pool, tablePrefix: prefix });
    await store.migrate();
    await prove("mysql (MariaDB)", store, "mysql", { ...MYSQL_OPTIONS }, prefix);
  }, 90_000);
});

describe("mergeHistories", () => {
  const op = (over: Record<string, unknown>): Record<string, unknown> => ({
    id: 7,
    partition: "d",
    client: "a",
    input: { type: "read" },
    invokedAt: 10,
    returnedAt: 11,
    status: "ok",
    output: { type: "read", version: 0, value: "" },
    ...over,
  });

  it("orders the parts' operations by invocation, numbers them afresh and widens them by the uncertainty", () => {
    const merged = mergeHistories([[op({ invokedAt: 20, returnedAt: 25 })], [op({ client: "b" })]], {
      uncertaintyMs: 1,
    });
    expect(merged.map((o) => [o.id, o.client, o.invokedAt, o.returnedAt])).toEqual([
      [0, "b", 9, 12],
      [1, "a", 19, 26],
    ]);
  });

  it("survives a JSON round trip, and rejects a malformed operation naming it", () => {
    const history = createDraftHistory({ clock: wallClock });
    history.ok(history.invoke("d", "a", { type: "read" }), { type: "read", version: 0, value: "" });
    history.unknown(history.invoke("d", "a", { type: "commit", expectedVersion: 0 }));
    const parsed = JSON.parse(JSON.stringify(history.operations())) as unknown[];
    const merged = mergeHistories<RegisterInput, RegisterOutput>([parsed]);
    expect(merged).toEqual(history.operations());
    expect(checkLinearizability(merged).ok).toBe(true);
    expect(() => mergeHistories([[op({})], [op({ returnedAt: 5 })]])).toThrow(/part 1, operation 0 returned before/);
    expect(() => mergeHistories([[op({ status: "done" })]])).toThrow(/part 0, operation 0 has no status/);
    expect(() => mergeHistories([[op({ status: "ok", returnedAt: null })]])).toThrow(/ok without a return time/);
    expect(() => mergeHistories([[42]])).toThrow(/not an object/);
  });
});
