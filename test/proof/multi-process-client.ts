/**
 * One child process of the multi-process history proof (test/proof/multi-process.test.ts),
 * run with `node --import tsx test/proof/multi-process-client.ts '<config JSON>'`.
 *
 * Opens its own pool on the shared database (PostgreSQL or MariaDB), says `ready` on stdout,
 * answers each `ping` on stdin with `pong <its wallClock()>`, waits for `go`, then runs `clients` concurrent clients on the shared drafts: reads,
 * and version-checked commits each under its own idempotency key, sent through the fault
 * injector (failures before and after the commit: unknown outcomes) and resent until
 * acknowledged. Every call is recorded in a history on `wallClock` (comparable across the
 * processes) and written, with the keys acknowledged per draft, to `out` as JSON.
 */
import { writeFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { createOnboardingEngine } from "../../src/index.js";
import { StoreError, VersionConflictError } from "../../src/record/index.js";
import type { DraftStore } from "../../src/store/index.js";
import { createDraftHistory, injectFaults, recordingEngine, wallClock } from "../../src/testing/index.js";
import { prng } from "../support/register-history.js";

/** What the parent asks of one child. */
export interface ChildConfig {
  readonly adapter: "postgres" | "mysql";
  /** The database URL (postgres) or mysql2 pool options (mysql). */
  readonly connection: string | Record<string, unknown>;
  readonly tablePrefix: string;
  readonly workspaceId: string;
  readonly drafts: readonly string[];
  readonly process: number;
  readonly clients: number;
  /** Logical operations per client (each a read, or a commit resent until acknowledged). */
  readonly operations: number;
  readonly seed: number;
  readonly out: string;
}

/** What one child writes to `out`. */
export interface ChildReport {
  readonly process: number;
  readonly pid: number;
  /** `history.operations()`: the recorded operations, times on `wallClock`. */
  readonly operations: readonly unknown[];
  /** The idempotency key of every acknowledged commit, by draft. */
  readonly acknowledged: Record<string, string[]>;
  readonly tally: {
    reads: number;
    commits: number;
    conflicts: number;
    storeErrors: number;
    unknown: number;
    replays: number;
  };
  readonly faults: number;
  readonly ms: number;
}

async function openStore(config: ChildConfig): Promise<{ store: DraftStore; close: () => Promise<void> }> {
  if (config.adapter === "postgres") {
    const pg = (await import("pg")).default;
    const { createPostgresStore } = await import("../../src/adapters/postgres/index.js");
    if (typeof config.connection !== "string") throw new Error("postgres: the connection is a URL");
    const pool = new pg.Pool({ connectionString: config.connection, max: config.clients });
    return { store: createPostgresStore({ pool, tablePrefix: config.tablePrefix }), close: () => pool.end() };
  }
  const { createPool } = await import("mysql2/promise");
  const { createMySqlStore } = await import("../../src/adapters/mysql/index.js");
  const pool = createPool({ ...(config.connection as object), connectionLimit: config.clients });
  return { store: createMySqlStore({ pool, tablePrefix: config.tablePrefix }), close: () => pool.end() };
}

async function main(): Promise<void> {
  const config = JSON.parse(process.argv[2] ?? "{}") as ChildConfig;
  const { store, close } = await openStore(config);
  const { store: faulty, faults } = injectFaults(store, {
    seed: config.seed,
    failBefore: 0.02,
    failAfter: 0.03,
    latency: { rate: 0.05, maxMs: 2 },
  });
  const engine = createOnboardingEngine({ store: faulty, authorize: () => true });
  const history = createDraftHistory({ clock: wallClock });
  const acknowledged: Record<string, string[]> = Object.fromEntries(config.drafts.map((d) => [d, []]));
  const tally = { reads: 0, commits: 0, conflicts: 0, storeErrors: 0, unknown: 0, replays: 0 };
  await store.load(config.workspaceId, config.drafts[0] ?? ""); // connect before the start
  process.stdout.write("ready\n");
  // "ping" lines are answered with this process's wallClock (the parent bounds the clocks'
  // offset with them); "go" starts the clients.
  await new Promise<void>((resolve) => {
    const lines = createInterface({ input: process.stdin });
    lines.on("line", (line) => {
      const word = line.trim();
      if (word === "ping") process.stdout.write(`pong ${wallClock()}\n`);
      if (word === "go") {
        lines.close();
        resolve();
      }
    });
  });
  const started = performance.now();
  await Promise.all(
    Array.from({ length: config.clients }, async (_, c) => {
      const random = prng(config.seed * 31 + c);
      const client = recordingEngine(engine, history, `p${config.process}c${c}`);
      const actor = { id: `p${config.process}c${c}` };
      for (let k = 0; k < config.operations; k += 1) {
        const draftId = config.drafts[Math.floor(random() * config.drafts.length)] as string;
        if (random() < 0.3) {
          try {
            await client.get(config.workspaceId, draftId, { actor });
            tally.reads += 1;
          } catch (error) {
            if (!(error instanceof StoreError)) throw error;
            tally.storeErrors += 1;
          }
          continue;
        }
        const key = `p${config.process}-c${c}-${k}`;
        const tenantId = `t-${config.drafts.indexOf(draftId)}`;
        let unknown = false;
        for (let attempt = 0; ; attempt += 1) {
          if (attempt > 500) throw new Error(`${key} was never acknowledged`);
          let version: number;
          try {
            version = (await client.get(config.workspaceId, draftId, { actor })).version;
          } catch (error) {
            if (!(error instanceof StoreError)) throw error;
            tally.storeErrors += 1;
            continue;
          }
          try {
            const result = await client.execute(
              config.workspaceId,
              draftId,
              { type: "identify", tenantId, displayName: key },
              { actor, expectedVersion: version, idempotencyKey: key },
            );
            if (result.replayed) tally.replays += 1;
            break;
          } catch (error) {
            if (error instanceof VersionConflictError) {
              tally.conflicts += 1;
            } else if (error instanceof StoreError) {
              tally.storeErrors += 1;
              if (!unknown) tally.unknown += 1;
              unknown = true;
            } else {
              throw error;
            }
          }
        }
        tally.commits += 1;
        acknowledged[draftId]?.push(key);
      }
    }),
  );
  const report: ChildReport = {
    process: config.process,
    pid: process.pid,
    operations: history.operations(),
    acknowledged,
    tally,
    faults: faults.log.length,
    ms: performance.now() - started,
  };
  writeFileSync(config.out, JSON.stringify(report));
  await close();
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
    process.exit(1);
  },
);
