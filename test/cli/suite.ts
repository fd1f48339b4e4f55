/**
 * The CLI end to end, the same cases on every adapter with a server (and SQLite): each case
 * spawns the CLI as a child process against the real store and asserts its output and exit code.
 * Drafts are seeded through the engine in process; legacy rows are written straight into the
 * tables or keys (test/support/legacy-rows.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createOnboardingEngine,
  type DraftStore,
  type OnboardingEngine,
  type ScannedDraft,
  type StoreAdmin,
} from "../../src/index.js";
import { legacyRow, upgradedState, type LegacyRow } from "../support/legacy-rows.js";
import { uniqueSuffix } from "../support/services.js";
import { cli, cliJson, startCli, waitFor, type CliRun } from "./support.js";

/** One store the CLI runs against: a fresh prefix, and what the test needs to seed and read it. */
export interface CliTarget {
  /** The connection string the CLI gets. */
  readonly url: string;
  /** The `--prefix` the CLI gets. */
  readonly prefix: string;
  /** The same store, in process (use after `migrate`). */
  readonly store: DraftStore & { readonly admin: StoreAdmin };
  /** Whether the store has a versioned schema (not Redis). */
  readonly sql: boolean;
  /** Writes legacy rows straight into the tables or keys. */
  insertLegacy(rows: readonly LegacyRow[]): Promise<void>;
  /** Writes a row whose document is `text` (not a draft at all). */
  insertCorrupt(workspaceId: string, draftId: string, text: string): Promise<void>;
  /** Deletes a draft row (bypassing the adapter). */
  removeDraft(workspaceId: string, draftId: string): Promise<void>;
  /** A connection string of the same kind that nothing answers. */
  readonly unreachableUrl: string;
  /**
   * How many legacy rows the resume case writes: enough that a run with `--batch-size 1` is still
   * busy when the test stops it (an embedded SQLite goes through rows far faster than a server).
   */
  readonly resumeRows: number;
  /** Migrates the schema in process (idempotent), for the cases after the `migrate` one. */
  migrate(): Promise<void>;
  /** Drops the tables or keys, closes connections. */
  teardown(): Promise<void>;
}

/** An adapter to run the suite on. */
export interface CliAdapter {
  readonly name: string;
  readonly available: boolean;
  setup(): Promise<CliTarget>;
}

const actor = { id: "cli-test" };
const HOUR = 3_600_000;

function engineAt(store: DraftStore, offsetMs = 0): OnboardingEngine {
  return createOnboardingEngine({ store, authorize: () => true, clock: { now: () => Date.now() + offsetMs } });
}

/** Every stored draft of a workspace, scanned in process. */
async function scanWorkspace(admin: StoreAdmin, workspaceId: string): Promise<ScannedDraft[]> {
  const found = new Map<string, ScannedDraft>();
  let cursor: string | null = null;
  for (let page = 0; page < 10_000; page += 1) {
    const result = await admin.scanDrafts({ limit: 1000, cursor });
    for (const draft of result.drafts) if (draft.workspaceId === workspaceId) found.set(draft.draftId, draft);
    cursor = result.nextCursor;
    if (cursor === null) return [...found.values()];
  }
  throw new Error("scan did not end");
}

/** Whether a stored document is in the current shape (a corrupt one is not). */
function isUpgraded(draft: ScannedDraft): boolean {
  try {
    return (JSON.parse(String(draft.document)) as { schemaVersion?: unknown }).schemaVersion === 1;
  } catch {
    return false;
  }
}

/** The one error line of a failed run. */
function errorLineOf(run: CliRun): string {
  const lines = run.stderr.split("\n").filter((line) => line !== "");
  expect(lines).toHaveLength(1);
  return lines[0] ?? "";
}

/** Runs the CLI end-to-end suite on one adapter. */
export function describeCliSuite(adapter: CliAdapter): void {
  describe.skipIf(!adapter.available)(`onboarding-lifecycle CLI on ${adapter.name}`, () => {
    let target: CliTarget;
    let connection: string[];
    const suffix = uniqueSuffix();

    beforeAll(async () => {
      target = await adapter.setup();
      connection = ["--url", target.url, "--prefix", target.prefix];
    }, 60_000);
    afterAll(async () => {
      await target?.teardown();
    });

    it("migrate --dry-run prints the SQL and changes nothing, migrate applies it, status --check tells", async () => {
      if (!target.sql) {
        const run = await cli(["migrate", ...connection]);
        expect(run.code).toBe(0);
        expect(run.stdout).toBe("redis keeps no schema: nothing to migrate.\n");
        const { run: status, json } = await cliJson(["status", "--check", ...connection]);
        expect(status.code).toBe(0);
        expect(json["schema"]).toBeNull();
        return;
      }
      const dry = await cli(["migrate", "--dry-run", ...connection]);
      expect(dry.code).toBe(0);
      expect(dry.stdout).toMatch(/^-- onboarding-lifecycle \w+ schema version 1: base_tables\n/);
      expect(dry.stdout).toContain(`CREATE TABLE IF NOT EXISTS`);
      expect(dry.stdout).toContain(`${target.prefix}drafts`);
      expect(dry.stderr).toMatch(/would go from version 0 to \d+: \d+ migrations \(1 base_tables, /);

      const before = await cliJson<{
        schema: { current: number; latest: number; pending: unknown[] };
        drafts: unknown;
      }>(["status", "--check", ...connection]);
      expect(before.run.code).toBe(4);
      expect(before.json.schema.current).toBe(0);
      expect(before.json.schema.pending).toHaveLength(before.json.schema.latest);
      expect(before.json.drafts).toBeNull();

      const applied = await cli(["migrate", ...connection]);
      expect(applied.code).toBe(0);
      expect(applied.stdout).toMatch(
        new RegExp(
          `^The \\w+ schema \\(prefix ${target.prefix}\\) went from version 0 to ${before.json.schema.latest}: `,
        ),
      );
      const again = await cliJson<{ from: number; to: number; applied: unknown[] }>([
        "migrate",
        "--dry-run",
        ...connection,
      ]);
      expect(again.json).toMatchObject({
        from: before.json.schema.latest,
        to: before.json.schema.latest,
        applied: [],
        dryRun: true,
      });
      const after = await cli(["status", "--check", ...connection]);
      expect(after.code).toBe(0);
      expect(after.stdout).toContain(
        `version ${before.json.schema.latest} of ${before.json.schema.latest}, up to date`,
      );
    });

    it("status counts the drafts per state and lists the runs stuck past the lease", async () => {
      await target.migrate();
      const ws = `status-${suffix}`;
      const past = engineAt(target.store, -HOUR);
      await past.create(ws, { identity: { tenantId: "t-draft", displayName: "Draft" } }, { actor });
      const cancelled = await past.create(ws, { identity: { tenantId: "t-cancel", displayName: "Cancel" } }, { actor });
      await past.execute(ws, cancelled.draft.id, { type: "cancel" }, { actor, expectedVersion: 1 });
      const verifying = await past.create(ws, { identity: { tenantId: "t-verify", displayName: "Verify" } }, { actor });
      await past.execute(
        ws,
        verifying.draft.id,
        { type: "select_provider", connectionId: "conn-1" },
        { actor, expectedVersion: 1 },
      );
      const started = await past.execute(
        ws,
        verifying.draft.id,
        { type: "start_verification" },
        { actor, expectedVersion: 2 },
      );
      const runId = started.runIds[0];

      const { run, json } = await cliJson<{
        drafts: { total: number; byState: Record<string, number> };
        stuckRuns: { count: number; leaseMs: number; runs: { draftId: string; runId: string; checkpoint: string }[] };
        workspaceId: string;
      }>(["status", "--workspace", ws, ...connection]);
      expect(run.code).toBe(0);
      expect(json.workspaceId).toBe(ws);
      expect(json.drafts).toEqual({
        total: 3,
        byState: {
          draft: 1,
          verifying: 1,
          action_required: 0,
          bootstrapping: 0,
          ready_for_activation: 0,
          completed: 0,
          cancelled: 1,
        },
      });
      expect(json.stuckRuns.leaseMs).toBe(300_000);
      expect(json.stuckRuns.runs).toEqual([
        expect.objectContaining({
          draftId: verifying.draft.id,
          runId,
          checkpoint: "verify_access",
          operation: "verify_access",
        }),
      ]);
      // A lease longer than the run's silence: nothing stuck.
      const relaxed = await cliJson<{ stuckRuns: { count: number } }>([
        "status",
        "--workspace",
        ws,
        "--lease",
        "2h",
        ...connection,
      ]);
      expect(relaxed.json.stuckRuns.count).toBe(0);

      const table = await cli(["status", "--workspace", ws, ...connection]);
      expect(table.code).toBe(0);
      expect(table.stdout).toMatch(/^store\s+\S+ \(prefix /);
      expect(table.stdout).toMatch(/\ndrafts\s+3\n/);
      expect(table.stdout).toMatch(/\nstuck runs\s+1 with no report for 5m\n/);
      expect(table.stdout).toMatch(/\n {2}cancelled\s+1\n/);
      expect(table.stdout).toContain(runId);
    });

    it("inspect shows the lifecycle, readiness with blockers, stage, runs with progress and the audit trail", async () => {
      await target.migrate();
      const ws = `inspect-${suffix}`;
      const engine = engineAt(target.store);
      const { draft } = await engine.create(ws, { identity: { tenantId: "t-1", displayName: "Contoso" } }, { actor });
      await engine.execute(
        ws,
        draft.id,
        { type: "select_provider", connectionId: "conn-9" },
        { actor, expectedVersion: 1 },
      );
      const started = await engine.execute(ws, draft.id, { type: "start_verification" }, { actor, expectedVersion: 2 });
      const runId = started.runIds[0] ?? "";
      await engine.execute(
        ws,
        draft.id,
        { type: "record_verification_progress", runId, percent: 40, message: "checking roles" },
        { actor },
      );

      const { run, json } = await cliJson<{
        workspaceId: string;
        draftId: string;
        version: number;
        lifecycle: { state: string; currentCheckpoint: string };
        readiness: { ready: boolean; overridable: boolean; blockers: { code: string; checkpoint: string }[] };
        stage: { step: string; editable: boolean; polling: { intervalMs: number } | null };
        checkpoints: { checkpoint: string; status: string }[];
        runs: {
          checkpoint: string;
          runId: string;
          status: string;
          current: boolean;
          progress: { percent: number; message: string } | null;
        }[];
        audit: { total: number; entries: { kind: string; commandType: string; toVersion: number | null }[] };
        draft: { id: string; version: number };
      }>(["inspect", ws, draft.id, ...connection]);
      expect(run.code).toBe(0);
      expect(run.stderr).toBe("");
      expect(json).toMatchObject({ workspaceId: ws, draftId: draft.id, version: 3 });
      expect(json.lifecycle).toMatchObject({ state: "verifying", currentCheckpoint: "verify_access" });
      expect(json.readiness.ready).toBe(false);
      expect(json.readiness.blockers.map((b) => b.code)).toContain("verification_in_progress");
      expect(json.stage).toMatchObject({ step: "verify_access", editable: false, polling: { intervalMs: 5000 } });
      expect(json.checkpoints.map((c) => `${c.checkpoint}:${c.status}`)).toEqual([
        "identify:complete",
        "connect_provider:complete",
        "verify_access:in_progress",
        "bootstrap:pending",
        "activate:pending",
      ]);
      expect(json.runs).toEqual([
        expect.objectContaining({
          checkpoint: "verify_access",
          runId,
          status: "queued",
          current: true,
          progress: expect.objectContaining({ percent: 40, message: "checking roles" }),
        }),
      ]);
      expect(json.audit.entries.map((e) => `${e.kind}:${e.commandType}:${String(e.toVersion)}`)).toEqual([
        "created:create:1",
        "committed:select_provider:2",
        "committed:start_verification:3",
      ]);
      expect(json.audit.total).toBe(3);
      expect(json.draft).toMatchObject({ id: draft.id, version: 3 });

      const table = await cli(["inspect", ws, draft.id, ...connection]);
      expect(table.code).toBe(0);
      expect(table.stdout).toContain(`Draft ${draft.id} in workspace ${ws}, version 3\n`);
      expect(table.stdout).toMatch(/\n {2}state\s+verifying\n/);
      expect(table.stdout).toMatch(/\nReadiness: not ready, \d+ blockers?\n/);
      expect(table.stdout).toMatch(/verification_in_progress\s+verify_access\s+no\s+/);
      expect(table.stdout).toMatch(
        new RegExp(`verify_access\\s+${runId}\\s+verify_access\\s+queued\\s+-\\s+yes\\s+40% checking roles`),
      );
      expect(table.stdout).toContain("\nAudit trail (3 entries)\n");
      expect(table.stdout).toMatch(/committed\s+start_verification\s+cli-test\s+2 -> 3\s+queued\s+verifying/);
    });

    it("inspect of a draft that is not there exits 3 with one error line (JSON with --json)", async () => {
      const run = await cli(["inspect", `nowhere-${suffix}`, "no-such-draft", ...connection]);
      expect(run.code).toBe(3);
      expect(run.stdout).toBe("");
      expect(errorLineOf(run)).toBe(
        `onboarding-lifecycle: draft_not_found: No onboarding draft no-such-draft in workspace nowhere-${suffix}`,
      );
      const json = await cli(["inspect", `nowhere-${suffix}`, "no-such-draft", "--json", ...connection]);
      expect(json.code).toBe(3);
      expect(JSON.parse(errorLineOf(json))).toEqual({
        error: {
          code: "draft_not_found",
          message: `No onboarding draft no-such-draft in workspace nowhere-${suffix}`,
          exitCode: 3,
        },
      });
    });

    it("prune-idempotency deletes the records older than the duration, and refuses a bad duration", async () => {
      await target.migrate();
      const ws = `prune-${suffix}`;
      const old = engineAt(target.store, -48 * HOUR);
      await old.create(
        ws,
        { identity: { tenantId: "t-old", displayName: "Old" } },
        { actor, idempotencyKey: "key-old" },
      );
      await engineAt(target.store).create(
        ws,
        { identity: { tenantId: "t-new", displayName: "New" } },
        { actor, idempotencyKey: "key-new" },
      );
      const bad = await cli(["prune-idempotency", "--older-than", "yesterday", ...connection]);
      expect(bad.code).toBe(2);
      expect(errorLineOf(bad)).toMatch(
        /^onboarding-lifecycle: validation_failed: Invalid options at --older-than: not a duration: "yesterday"/,
      );
      if (!target.sql) {
        const run = await cli(["prune-idempotency", "--older-than", "24h", ...connection]);
        expect(run.code).toBe(2);
        expect(errorLineOf(run)).toMatch(
          /^onboarding-lifecycle: configuration: the redis store has no idempotency records to prune/,
        );
        return;
      }
      const { run, json } = await cliJson<{ deleted: number; before: string; olderThanMs: number }>([
        "prune-idempotency",
        "--older-than",
        "24h",
        ...connection,
      ]);
      expect(run.code).toBe(0);
      expect(json.deleted).toBe(1);
      expect(json.olderThanMs).toBe(24 * HOUR);
      expect(Math.abs(Date.parse(json.before) - (Date.now() - 24 * HOUR))).toBeLessThan(60_000);
      expect(await target.store.loadIdempotency(ws, "key-old")).toBeNull();
      expect(await target.store.loadIdempotency(ws, "key-new")).not.toBeNull();
      const text = await cli(["prune-idempotency", "--older-than", "1d", ...connection]);
      expect(text.stdout).toMatch(/^Deleted 0 idempotency records created before \S+ \(older than 1d\)\.\n$/);
    });

    it("backfill upgrades legacy rows in batches, lists the rows it cannot, and a re-run finishes them once fixed", async () => {
      await target.migrate();
      const ws = `backfill-${suffix}`;
      const rows = Array.from({ length: 25 }, (_, index) => legacyRow(ws, index));
      await target.insertLegacy(rows);
      await target.insertCorrupt(ws, "corrupt-1", "{ this is not JSON");
      // A legacy row of a tenant that already has an open draft in the workspace.
      const holder = await engineAt(target.store).create(
        ws,
        { identity: { tenantId: "dup", displayName: "D" } },
        { actor },
      );
      await target.insertLegacy([legacyRow(ws, 99, "dup")]);

      const dry = await cliJson<{ upgraded: number; failed: number; dryRun: boolean }>([
        "backfill",
        "--dry-run",
        ...connection,
      ]);
      expect(dry.run.code).toBe(5);
      expect(dry.json).toMatchObject({ dryRun: true, upgraded: 26, failed: 1 });
      expect((await scanWorkspace(target.store.admin, ws)).filter(isUpgraded)).toHaveLength(1); // the engine's draft only

      const { run, json } = await cliJson<{
        complete: boolean;
        scanned: number;
        upgraded: number;
        failed: number;
        failures: { workspaceId: string; draftId: string; code: string; message: string }[];
      }>(["backfill", "--batch-size", "4", "--progress", "plain", ...connection]);
      expect(run.code).toBe(5);
      expect(json.complete).toBe(true);
      expect(json.upgraded).toBe(25);
      expect(json.failed).toBe(2);
      expect(json.failures.map((f) => `${f.draftId}:${f.code}`).sort()).toEqual([
        "corrupt-1:corrupt_record",
        "legacy-0099:open_draft_exists",
      ]);
      expect(json.failures.find((f) => f.code === "open_draft_exists")?.message).toContain(holder.draft.id);
      // Plain progress lines on stderr (not a terminal), one per batch. SQL pages hold exactly
      // --batch-size rows (28 here at least: 7 batches); a Redis page holds whole SCAN steps, so
      // somewhat more at times (on a cluster, one step per master can fill a page).
      const lines = run.stderr.split("\n").filter((line) => line.startsWith("backfill: "));
      expect(lines.length).toBeGreaterThanOrEqual(target.sql ? 7 : 2);
      expect(lines.at(-1)).toMatch(/^backfill: \d+(\/\d+)? scanned( \(\d+%\))?, 25 upgraded, \d+ reindexed, 2 failed$/);
      expect(run.stderr).not.toContain("\r");

      const status = await cliJson<{ drafts: { byState: Record<string, number> } }>([
        "status",
        "--workspace",
        ws,
        ...connection,
      ]);
      const ready = rows.filter((_, index) => upgradedState(index) === "ready_for_activation").length;
      expect(status.json.drafts.byState["ready_for_activation"]).toBe(ready);
      // + the holder, + the corrupt row (its column says draft; the dup row's still says its old word)
      expect(status.json.drafts.byState["draft"]).toBe(rows.length - ready + 2);

      // Fix what it reported, run again: only those two are left to do.
      await target.removeDraft(ws, "corrupt-1");
      await engineAt(target.store).execute(ws, holder.draft.id, { type: "cancel" }, { actor, expectedVersion: 1 });
      const rerun = await cliJson<{ upgraded: number; failed: number; current: number }>([
        "backfill",
        "--progress",
        "none",
        ...connection,
      ]);
      expect(rerun.run.code).toBe(0);
      expect(rerun.json).toMatchObject({ upgraded: 1, failed: 0 });
      expect(rerun.json.current).toBeGreaterThanOrEqual(26);
      expect((await scanWorkspace(target.store.admin, ws)).every(isUpgraded)).toBe(true);
      const text = await cli(["backfill", "--progress", "none", ...connection]);
      expect(text.code).toBe(0);
      expect(text.stdout).toMatch(
        /^Backfill finished: \d+ scanned, 0 upgraded, 0 reindexed, \d+ already current, 0 changed meanwhile, 0 failed\.\n$/,
      );
    }, 120_000);

    it("backfill stopped by Ctrl-C or killed resumes: every row upgraded exactly once, nothing lost", async () => {
      await target.migrate();
      const count = target.resumeRows;
      const ws = `resume-${suffix}`;
      await target.insertLegacy(Array.from({ length: count }, (_, index) => legacyRow(ws, index)));

      // Ctrl-C: it stops after the current row, says how to continue, exits 130.
      const interrupted = startCli(["backfill", "--batch-size", "1", "--progress", "plain", ...connection]);
      await waitFor(
        () => (interrupted.output().stderr.match(/^backfill: /gm)?.length ?? 0) >= 40,
        60_000,
        "40 progress lines",
      );
      interrupted.child.kill("SIGINT");
      const stopped = await interrupted.done;
      expect(stopped.code).toBe(130);
      expect(stopped.stderr).toContain("stopping after the current row");
      const cursor = /--from (\S+)\)\.\n$/.exec(stopped.stdout)?.[1];
      expect(stopped.stdout).toMatch(/^Backfill interrupted: \d+ scanned, \d+ upgraded, /);
      expect(cursor).toBeDefined();
      const afterInterrupt = (await scanWorkspace(target.store.admin, ws)).filter(isUpgraded).length;
      expect(afterInterrupt).toBeGreaterThan(0);
      expect(afterInterrupt).toBeLessThan(count);

      // Killed outright (no chance to stop cleanly), resumed from the printed cursor.
      const killed = startCli([
        "backfill",
        "--batch-size",
        "1",
        "--progress",
        "plain",
        "--from",
        cursor ?? "",
        ...connection,
      ]);
      await waitFor(
        () => (killed.output().stderr.match(/^backfill: /gm)?.length ?? 0) >= 40,
        60_000,
        "40 progress lines",
      );
      killed.child.kill("SIGKILL");
      expect((await killed.done).signal).toBe("SIGKILL");
      const afterKill = (await scanWorkspace(target.store.admin, ws)).filter(isUpgraded).length;
      expect(afterKill).toBeGreaterThan(afterInterrupt);
      expect(afterKill).toBeLessThan(count);

      // A plain re-run does the rest, and only the rest.
      const { run, json } = await cliJson<{ upgraded: number; failed: number; complete: boolean }>([
        "backfill",
        "--progress",
        "none",
        ...connection,
      ]);
      expect(run.code).toBe(0);
      expect(json.complete).toBe(true);
      expect(json.failed).toBe(0);
      expect(json.upgraded).toBe(count - afterKill);
      const final = await scanWorkspace(target.store.admin, ws);
      expect(final).toHaveLength(count);
      expect(final.every(isUpgraded)).toBe(true);
      for (const row of final) expect(Number(row.version)).toBe(1);
    }, 180_000);

    it("expire-stuck-runs expires the runs silent past the lease (audited), and a re-run finds none", async () => {
      await target.migrate();
      const ws = `expire-${suffix}`;
      const past = engineAt(target.store, -HOUR);
      const created = await past.create(ws, { identity: { tenantId: "t-stuck", displayName: "Stuck" } }, { actor });
      const id = created.draft.id;
      await past.execute(ws, id, { type: "select_provider", connectionId: "conn-1" }, { actor, expectedVersion: 1 });
      const started = await past.execute(ws, id, { type: "start_verification" }, { actor, expectedVersion: 2 });
      const runId = started.runIds[0];
      // A lease longer than the run's silence: nothing to expire, nothing written.
      const relaxed = await cliJson<{ expired: unknown[] }>(["expire-stuck-runs", "--lease", "2h", ...connection]);
      expect(relaxed.run.code).toBe(0);
      expect(relaxed.json.expired).not.toContainEqual(expect.objectContaining({ draftId: id }));

      const { run, json } = await cliJson<{
        leaseMs: number;
        expired: { workspaceId: string; draftId: string; runId: string; checkpoint: string; version: number }[];
      }>(["expire-stuck-runs", "--lease", "30m", "--actor", "ops-alice", ...connection]);
      expect(run.code).toBe(0);
      expect(json.leaseMs).toBe(1_800_000);
      expect(json.expired).toContainEqual({
        workspaceId: ws,
        draftId: id,
        runId,
        checkpoint: "verify_access",
        version: 4,
      });
      const engine = engineAt(target.store);
      const after = await engine.get(ws, id, { actor });
      expect(after.lifecycle).toMatchObject({ state: "action_required", reason: "verification_timed_out" });
      const trail = await engine.history(ws, id, { actor });
      expect(trail.entries.at(-1)).toMatchObject({
        kind: "committed",
        commandType: "expire_run",
        actorId: "ops-alice",
      });

      const again = await cli(["expire-stuck-runs", "--lease", "30m", ...connection]);
      expect(again.code).toBe(0);
      expect(again.stdout).toMatch(/^Expired 0 runs with no report for longer than 30m/);
      expect((await engine.get(ws, id, { actor })).version).toBe(4);
    });

    it("a server that does not answer is exit 1 (store_failure); a bad prefix is exit 2", async () => {
      const run = await cli(["status", "--url", target.unreachableUrl]);
      expect(run.code).toBe(1);
      expect(errorLineOf(run)).toMatch(/^onboarding-lifecycle: store_failure: \w+ store failed during connect: /);
      expect(run.stderr).not.toContain("secret");
      const prefix = await cli(["status", "--url", target.url, "--prefix", "bad prefix!"]);
      expect(prefix.code).toBe(2);
      expect(errorLineOf(prefix)).toMatch(/^onboarding-lifecycle: configuration: /);
    });
  });
}
