/**
 * Benchmark (not a test): the SQLite adapter through `engine.execute` against a hand-written
 * better-sqlite3 loop doing the same work per write (read the document, version-checked UPDATE,
 * audit INSERT, in one BEGIN IMMEDIATE transaction), on one WAL database file, in one run.
 *
 * Usage: npx tsx bench/adapters/sqlite.ts [--seconds=4] [--synchronous=full|normal]
 *
 * Prints operations per second of both sides and the ratio engine / hand-written (target >= 0.85).
 * Each side warms up for 1.5 s, then both are measured in alternating slices for a fixed total
 * time per side (3-5 s, default 4).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomUUID } from "node:crypto";
import Database from "better-sqlite3";
import { createOnboardingEngine } from "../../src/index.js";
import { createSqliteStore } from "../../src/adapters/sqlite/index.js";

const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, "").split("=") as [string, string]));
const seconds = Math.min(5, Math.max(3, Number(args.get("seconds") ?? 4)));
const synchronous = args.get("synchronous") === "normal" ? "NORMAL" : "FULL";
/** Warm-up (not measured): lets V8 optimise zod, immer and the driver paths before timing. */
const WARMUP_MS = 1500;
const WARMUP_MIN_OPS = 300;

const dir = mkdtempSync(join(tmpdir(), "onboarding-sqlite-bench-"));
const file = join(dir, "bench.db");
const db = new Database(file);
db.pragma("journal_mode = WAL");
db.pragma(`synchronous = ${synchronous}`);
const store = createSqliteStore({ database: db, tablePrefix: "bench_" });

type Step = (i: number) => Promise<void> | void;

/**
 * Runs both sides in alternating slices (8 per side, `seconds / 8` each) after a warm-up of both,
 * so drift in machine load and file state hits both sides alike.
 */
async function compare(sides: readonly { label: string; step: Step }[]): Promise<number[]> {
  const counters = sides.map(() => ({ i: 0, ops: 0, ns: 0n }));
  for (const [k, side] of sides.entries()) {
    const c = counters[k]!;
    const warm = Date.now() + WARMUP_MS;
    while (Date.now() < warm || c.i < WARMUP_MIN_OPS) await side.step(c.i++);
  }
  const SLICES = 8;
  for (let slice = 0; slice < SLICES; slice++) {
    for (const [k, side] of sides.entries()) {
      const c = counters[k]!;
      const started = process.hrtime.bigint();
      const until = Date.now() + (seconds * 1000) / SLICES;
      while (Date.now() < until) {
        await side.step(c.i++);
        c.ops += 1;
      }
      c.ns += process.hrtime.bigint() - started;
    }
  }
  return sides.map((side, k) => {
    const { ops, ns } = counters[k]!;
    const elapsed = Number(ns) / 1e9;
    const rate = ops / elapsed;
    console.log(
      `${side.label.padEnd(34)} ${String(ops).padStart(7)} ops in ${elapsed.toFixed(2)} s = ${rate.toFixed(0).padStart(6)} ops/s  (${((elapsed / ops) * 1e6).toFixed(1)} µs/op)`,
    );
    return rate;
  });
}

try {
  await store.migrate();
  const actor = { id: "bench" };
  const ws = `ws-${randomUUID()}`;
  const engine = createOnboardingEngine({ store, authorize: () => true });

  // Engine side: operator commands with a version check, alternating display names.
  const { draft } = await engine.create(ws, { identity: { tenantId: "t-engine", displayName: "start" } }, { actor });
  let version = draft.version;
  const engineStep: Step = async (i) => {
    const result = await engine.execute(
      ws,
      draft.id,
      { type: "identify", tenantId: "t-engine", displayName: `name ${i}` },
      { actor, expectedVersion: version },
    );
    version = result.version;
  };

  // Hand-written side: the same read, version-checked update and audit insert, no library code.
  const { draft: handDraft } = await engine.create(
    ws,
    { identity: { tenantId: "t-hand", displayName: "start" } },
    { actor },
  );
  const read = db.prepare(`SELECT version, document FROM bench_drafts WHERE workspace_id = ? AND id = ?`);
  const update = db.prepare(
    `UPDATE bench_drafts SET version = ?, state = ?, current_checkpoint = ?, tenant_id = ?, open_tenant_id = ?, updated_at = ?, document = ? WHERE workspace_id = ? AND id = ? AND version = ?`,
  );
  const audit = db.prepare(
    `INSERT INTO bench_audit (event_id, workspace_id, draft_id, kind, command_type, actor_id, at, from_version, to_version, expected_version, actual_version, idempotency_key, feedback, run_ids, capability, state) VALUES (?, ?, ?, 'committed', 'identify', ?, ?, ?, ?, NULL, NULL, NULL, 'applied', '[]', NULL, ?)`,
  );
  const write = db.transaction(
    (
      doc: Record<string, unknown> & { lifecycle: { state: string; currentCheckpoint: string | null } },
      from: number,
      now: string,
    ) => {
      const { changes } = update.run(
        from + 1,
        doc.lifecycle.state,
        doc.lifecycle.currentCheckpoint,
        "t-hand",
        "t-hand",
        now,
        JSON.stringify(doc),
        ws,
        handDraft.id,
        from,
      );
      if (changes !== 1) throw new Error("version conflict");
      audit.run(randomUUID(), ws, handDraft.id, "bench", now, from, from + 1, doc.lifecycle.state);
    },
  );
  const handStep: Step = async (i) => {
    const row = read.get(ws, handDraft.id) as { version: number; document: string };
    const doc = JSON.parse(row.document) as Record<string, unknown> & {
      identity: { displayName: string };
      lifecycle: { state: string; currentCheckpoint: string | null };
    };
    const now = new Date().toISOString();
    doc.identity.displayName = `name ${i}`;
    doc.version = row.version + 1;
    doc.updatedAt = now;
    write.immediate(doc, row.version, now);
    await Promise.resolve();
  };

  const [engineRate = 0, handRate = 1] = await compare([
    { label: "engine.execute (identify)", step: engineStep },
    { label: "hand-written better-sqlite3 loop", step: handStep },
  ]);

  console.log(
    `ratio engine / hand-written: ${(engineRate / handRate).toFixed(2)} (target >= 0.85; journal WAL, synchronous ${synchronous})`,
  );
} finally {
  await store.close();
  db.close();
  rmSync(dir, { recursive: true, force: true });
}
