/**
 * PostgreSQL adapter under real concurrency: writers in several child processes against one
 * draft (no lost update, contiguous versions, one created/committed entry per version), and a
 * writer killed with SIGKILL mid-stream (record and audit still agree).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PostgresStore } from "../../src/adapters/postgres/index.js";
import { createOnboardingEngine } from "../../src/index.js";
import { assertDraftInvariants } from "../../src/testing/index.js";
import { serviceAvailable } from "../support/services.js";
import {
  POSTGRES_URL,
  dropTables,
  migratedStore,
  probePostgres,
  testPool,
  uniquePrefix,
} from "./fixtures/postgres-support.js";

const up = await serviceAvailable("PostgreSQL", probePostgres);
const actor = { id: "u1" };
const fixture = (name: string): string => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

function spawnFixture(name: string, args: readonly string[]): ChildProcess {
  return spawn(process.execPath, ["--import", "tsx", fixture(name), ...args], {
    cwd: fileURLToPath(new URL("../..", import.meta.url)),
    stdio: ["ignore", "pipe", "pipe"],
  });
}

/** Waits for a child to exit; resolves with its stdout, rejects with its stderr on failure. */
function finished(child: ChildProcess, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = "";
    let err = "";
    child.stdout?.on("data", (chunk: Buffer) => (out += chunk.toString()));
    child.stderr?.on("data", (chunk: Buffer) => (err += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`child timed out after ${timeoutMs} ms\n${err}`));
    }, timeoutMs);
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`child exited with ${code ?? signal}\n${err}`));
    });
  });
}

describe.skipIf(!up)("postgres adapter under concurrency", () => {
  let pool: pg.Pool;
  let store: PostgresStore;
  const prefix = uniquePrefix("conc");

  beforeAll(async () => {
    pool = testPool();
    store = await migratedStore(pool, prefix);
  });

  afterAll(async () => {
    await dropTables(pool, prefix);
    await pool.end();
  });

  async function freshDraft(label: string): Promise<{ workspaceId: string; draftId: string }> {
    const workspaceId = `ws-${label}-${Math.random().toString(36).slice(2)}`;
    const engine = createOnboardingEngine({ store, authorize: () => true });
    const { draft } = await engine.create(
      workspaceId,
      { identity: { tenantId: "t", displayName: "Contoso" } },
      { actor },
    );
    return { workspaceId, draftId: draft.id };
  }

  it("16 writers in 4 child processes lose no update: versions 1..N contiguous, one created/committed entry each", async () => {
    const { workspaceId, draftId } = await freshDraft("writers");
    const processes = 4;
    const writersPerProcess = 4;
    const commitsPerWriter = 3;
    const outputs = await Promise.all(
      Array.from({ length: processes }, (_, index) =>
        finished(
          spawnFixture("postgres-writer.ts", [
            POSTGRES_URL,
            prefix,
            workspaceId,
            draftId,
            `p${index}`,
            String(writersPerProcess),
            String(commitsPerWriter),
            "40000",
          ]),
          50_000,
        ),
      ),
    );
    const reports = outputs.map((out) => JSON.parse(out.trim()) as { committed: number; conflicts: number });
    const committed = reports.reduce((sum, report) => sum + report.committed, 0);
    const conflicts = reports.reduce((sum, report) => sum + report.conflicts, 0);
    expect(committed).toBe(processes * writersPerProcess * commitsPerWriter);

    const { draft, events } = await assertDraftInvariants(store, workspaceId, draftId);
    expect(draft.version).toBe(1 + committed); // no lost update
    const versions = events.filter((e) => e.kind === "created" || e.kind === "committed").map((e) => e.toVersion);
    expect(versions).toEqual(Array.from({ length: draft.version }, (_, index) => index + 1));
    expect(events.filter((e) => e.kind === "conflict")).toHaveLength(conflicts);
    // Every process's every writer got its commits in: their connection ids all appear once.
    const writersSeen = new Set(events.filter((e) => e.kind === "committed").map((e) => e.actorId));
    expect(writersSeen.size).toBe(processes);
  }, 60_000);

  it("creates with one idempotency key from 4 processes at once give one draft and replays to every other caller", async () => {
    for (let round = 0; round < 3; round += 1) {
      const workspaceId = `ws-keyed-${round}-${Math.random().toString(36).slice(2)}`;
      const startAt = String(Date.now() + 2_000); // every child connects first, then all fire together
      const outputs = await Promise.all(
        Array.from({ length: 4 }, () =>
          finished(
            spawnFixture("postgres-keyed-creator.ts", [POSTGRES_URL, prefix, workspaceId, "retry-key", "4", startAt]),
            30_000,
          ),
        ),
      );
      const results = outputs.flatMap(
        (out) =>
          (
            JSON.parse(out.trim()) as {
              results: { created?: boolean; replayed?: boolean; draftId?: string; error?: string }[];
            }
          ).results,
      );
      expect(results.filter((result) => result.error !== undefined)).toEqual([]);
      expect(results.filter((result) => result.created === true)).toHaveLength(1);
      expect(results.every((result) => result.created === true || result.replayed === true)).toBe(true);
      expect(new Set(results.map((result) => result.draftId)).size).toBe(1);
      const page = await createOnboardingEngine({ store, authorize: () => true }).list(workspaceId, { actor });
      expect(page.drafts).toHaveLength(1);
    }
  }, 60_000);

  it("a writer killed with SIGKILL mid-stream leaves record and audit in agreement", async () => {
    const { workspaceId, draftId } = await freshDraft("crash");
    for (const afterCommits of [4, 25]) {
      const child = spawnFixture("postgres-crash-writer.ts", [
        POSTGRES_URL,
        prefix,
        workspaceId,
        draftId,
        "4",
        "5000",
        "20000",
      ]);
      const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
      await new Promise<void>((resolve, reject) => {
        let seen = 0;
        let err = "";
        child.stderr?.on("data", (chunk: Buffer) => (err += chunk.toString()));
        child.stdout?.on("data", (chunk: Buffer) => {
          seen += chunk
            .toString()
            .split("\n")
            .filter((line) => line.startsWith("v ")).length;
          if (seen >= afterCommits) {
            child.kill("SIGKILL"); // mid-stream: other loops have statements in flight
            resolve();
          }
        });
        child.on("exit", (code) => reject(new Error(`writer exited early (${code}) after ${seen} commits\n${err}`)));
      });
      await exited;
      expect(child.signalCode).toBe("SIGKILL");
      // Statements the server was still running finish or vanish atomically; either way the
      // record and its audit trail agree at every moment.
      for (let check = 0; check < 3; check += 1) {
        const { draft, events } = await assertDraftInvariants(store, workspaceId, draftId);
        const writes = events.filter((e) => e.kind === "created" || e.kind === "committed");
        expect(writes).toHaveLength(draft.version);
        expect(draft.version).toBeGreaterThanOrEqual(1 + afterCommits);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    const engine = createOnboardingEngine({ store, authorize: () => true });
    const current = await engine.get(workspaceId, draftId, { actor });
    const after = await engine.execute(
      workspaceId,
      draftId,
      { type: "select_provider", connectionId: "after-crash" },
      {
        actor,
        expectedVersion: current.version,
      },
    );
    expect(after.version).toBe(current.version + 1);
    await assertDraftInvariants(store, workspaceId, draftId);
  }, 60_000);
});
