/**
 * Exactly once, through faults: 10,000 random operations with idempotency keys sent through the
 * fault injector (failures before and after the commit, failed reads, latency, reordered
 * commits, dropped connections) and retried until acknowledged, on the memory store and on
 * PostgreSQL. The audit trail must hold exactly one entry per operation. The figures are printed
 * (see docs/reliability.md); the seed is printed too, and `EXACTLY_ONCE_SEED=<seed>` replays it.
 */
import type pg from "pg";
import { afterAll, describe, it } from "vitest";
import { createMemoryStore } from "../../src/adapters/memory/index.js";
import { serviceAvailable, uniqueSuffix } from "../support/services.js";
import {
  dropTables,
  migratedStore,
  probePostgres,
  testPool,
  uniquePrefix,
} from "../adapters/fixtures/postgres-support.js";
import { proveExactlyOnce, runSeed } from "./exactly-once.js";

const OPERATIONS = 10_000;

describe("exactly once through injected faults", () => {
  it("memory: 10,000 keyed operations retried until acknowledged, one audit entry each", async () => {
    const run = { label: "memory", seed: runSeed(), operations: OPERATIONS, drafts: 40, workers: 32 };
    await proveExactlyOnce(createMemoryStore(), `exactly-once-${uniqueSuffix()}`, run);
  }, 120_000);
});

const up = await serviceAvailable("PostgreSQL", probePostgres);

describe.skipIf(!up)("exactly once through injected faults (PostgreSQL)", () => {
  let pool: pg.Pool | undefined;
  let prefix = "";
  afterAll(async () => {
    if (pool === undefined) return;
    await dropTables(pool, prefix);
    await pool.end();
  });

  it("postgres: 10,000 keyed operations retried until acknowledged, one audit entry each", async () => {
    pool = testPool(16);
    prefix = uniquePrefix("once");
    const store = await migratedStore(pool, prefix);
    const run = { label: "postgres", seed: runSeed(), operations: OPERATIONS, drafts: 256, workers: 32 };
    await proveExactlyOnce(store, `exactly-once-${uniqueSuffix()}`, run);
  }, 120_000);
});
