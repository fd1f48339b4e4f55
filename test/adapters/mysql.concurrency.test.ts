/**
 * MySQL / MariaDB adapter across processes: 16 engine writers in 4 child processes against one
 * draft (no lost update, contiguous versions, one audit entry per version), and a child killed
 * with SIGKILL in the middle of a stream of commits (record and audit still agree).
 */
import { storedDraft } from "../../src/testing/index.js";
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Pool } from "mysql2/promise";
import { createMySqlStore, type MySqlStore } from "../../src/adapters/mysql/index.js";
import { createOnboardingEngine, type OnboardingEngine } from "../../src/index.js";
import type { AuditEvent, OnboardingDraft } from "../../src/record/index.js";
import { serviceAvailable, uniqueSuffix } from "../support/services.js";
import { dropTables, probeMySql, testPool, versionTrail } from "./fixtures/mysql-support.js";
import { wholeHistory } from "../../src/testing/trail.js";

const up = await serviceAvailable("MySQL/MariaDB", probeMySql);

const fixture = (name: string): string => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
const repoRoot = fileURLToPath(new URL("../../", import.meta.url));

function start(script: string, args: readonly string[]): ChildProcess {
  return spawn(process.execPath, ["--import", "tsx", fixture(script), ...args], {
    cwd: repoRoot,
    stdio: ["ignore", "pipe", "pipe"],
  });
}

interface Finished {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Collects a child's output; kills it if it outlives `timeoutMs`. */
function finished(child: ChildProcess, timeoutMs: number, onLine?: (line: string) => void): Promise<Finished> {
  return new Promise((resolve, reject) => {
    let stdout = "";
    let stderr = "";
    let partial = "";
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
      partial += chunk;
      const lines = partial.split("\n");
      partial = lines.pop() ?? "";
      for (const line of lines) onLine?.(line);
    });
    child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
    });
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

describe.skipIf(!up)("mysql adapter across processes", () => {
  const prefix = `t_myx_${uniqueSuffix()}_`;
  const actor = { id: "parent" };
  let pool: Pool;
  let store: MySqlStore;
  let engine: OnboardingEngine;

  beforeAll(async () => {
    pool = testPool(4);
    store = createMySqlStore({ pool, tablePrefix: prefix });
    await store.migrate();
    engine = createOnboardingEngine({ store, authorize: () => true });
  });

  afterAll(async () => {
    if (pool === undefined) return;
    await dropTables(pool, prefix);
    await pool.end();
  });

  /** A draft with a provider selected (version 2, revision 1), ready for update_provider_connection. */
  async function seed(workspaceId: string): Promise<OnboardingDraft> {
    const { draft } = await engine.create(
      workspaceId,
      { identity: { tenantId: "t", displayName: "Contoso" } },
      { actor },
    );
    const result = await engine.execute(
      workspaceId,
      draft.id,
      { type: "select_provider", connectionId: "conn-1" },
      {
        actor,
        expectedVersion: 1,
      },
    );
    return result.draft;
  }

  /** Record and audit agree: versions 1..v once each, in order; revision counts every commit. */
  async function assertConsistent(workspaceId: string, draftId: string): Promise<OnboardingDraft> {
    const draft = storedDraft(await store.load(workspaceId, draftId));
    const trail = versionTrail(await store.listAudit(workspaceId, draftId));
    expect(trail).toEqual(Array.from({ length: draft.version }, (_, i) => i + 1));
    const history = await wholeHistory(engine, workspaceId, draftId, { actor });
    expect(history.filter((e: AuditEvent) => e.kind === "created" || e.kind === "committed")).toHaveLength(
      draft.version,
    );
    expect(draft.provider?.revision).toBe(draft.version - 1);
    return draft;
  }

  it("16 engine writers in 4 processes lose no update", async () => {
    const workspaceId = `ws-${uniqueSuffix()}`;
    const seeded = await seed(workspaceId);
    const processes = 4;
    const writersPerProcess = 4;
    const commitsPerWriter = 3;
    const children = Array.from({ length: processes }, () =>
      finished(
        start("mysql-writer.ts", [
          prefix,
          workspaceId,
          seeded.id,
          String(writersPerProcess),
          String(commitsPerWriter),
          "80000",
        ]),
        90_000,
      ),
    );
    const results = await Promise.all(children);
    const versions: number[] = [];
    let conflicts = 0;
    for (const result of results) {
      expect(result.stderr).toBe("");
      expect(result.code).toBe(0);
      const report = JSON.parse(result.stdout.trim()) as { versions: number[]; conflicts: number };
      versions.push(...report.versions);
      conflicts += report.conflicts;
    }
    const total = processes * writersPerProcess * commitsPerWriter;
    // Every acknowledged commit got its own version, and together they are exactly 3..2+total.
    expect(versions.sort((a, b) => a - b)).toEqual(Array.from({ length: total }, (_, i) => i + 3));
    const final = await assertConsistent(workspaceId, seeded.id);
    expect(final.version).toBe(2 + total);
    const history = await wholeHistory(engine, workspaceId, seeded.id, { actor });
    expect(history.filter((e) => e.kind === "conflict")).toHaveLength(conflicts);
    expect(conflicts).toBeGreaterThan(0);
  }, 120_000);

  it("a writer killed with SIGKILL mid-stream leaves record and audit in agreement", async () => {
    const workspaceId = `ws-${uniqueSuffix()}`;
    const seeded = await seed(workspaceId);
    let acknowledged = 2;
    for (const killAfter of [15, 40, 25]) {
      const child = start("mysql-crasher.ts", [prefix, workspaceId, seeded.id, "3", "5000", "60000"]);
      let lines = 0;
      const result = await finished(child, 70_000, (line) => {
        const match = /^v (\d+)$/.exec(line);
        if (match === null) return;
        acknowledged = Math.max(acknowledged, Number(match[1]));
        lines += 1;
        if (lines === killAfter) child.kill("SIGKILL");
      });
      expect(result.stderr).toBe("");
      expect(result.signal).toBe("SIGKILL");
      expect(lines).toBeGreaterThanOrEqual(killAfter);

      const draft = await assertConsistent(workspaceId, seeded.id);
      // Every commit the child saw acknowledged is durable.
      expect(draft.version).toBeGreaterThanOrEqual(acknowledged);
      // The row is not left locked: a new commit goes through at once.
      const after = await engine.execute(
        workspaceId,
        seeded.id,
        { type: "update_provider_connection", connectionId: "conn-1" },
        {
          actor,
          expectedVersion: draft.version,
        },
      );
      expect(after.version).toBe(draft.version + 1);
      acknowledged = after.version;
    }
    await assertConsistent(workspaceId, seeded.id);
  }, 120_000);
});
