/**
 * Benchmark (not a test): the peers on PostgreSQL, side by side in one run. 16 concurrent clients
 * (`BENCH_CLIENTS`) all work on ONE shared draft per side: each loops read -> modify ->
 * version-checked write, and retries on a conflict. The sides take turns in short rounds (the
 * order rotates every round) so background load on the shared machine hits all of them alike.
 *
 * Sides (each on its own draft, all in the engine's own tables except TypeORM's):
 * - `engine warm`: `engine.execute(select_provider, { expectedVersion })` with the document cache
 *   on (the default). On `VersionConflictError` the caller retries at once with `error.current`
 *   (the draft the error carries: no reload), the retry a caller of the engine writes.
 * - `engine cache off`: the same with `documentCacheSize: 0`.
 * - `floor`: hand-written `SELECT` + `UPDATE ... WHERE version = $n` of the document and its
 *   columns, no audit at all (the least work a safe write can do); on 0 rows it reads again.
 * - `hand audited`: the same `SELECT`, then `BEGIN; UPDATE ... WHERE version = $n; INSERT audit;
 *   COMMIT` (`ROLLBACK` on 0 rows), the hand-written statement with an audit trail. Conflicts
 *   are not audited (the engine audits them).
 * - `hand audited+conflicts`: the same, and on 0 rows it also writes a `conflict` entry (as the
 *   engine does, keyed by the adapter's scheme under the row lock) and commits: the hand-written
 *   loop that keeps the engine's promises.
 * - `typeorm`: an entity with a `@VersionColumn` (`version: true` in an `EntitySchema`, the same
 *   column metadata), `findOneBy`, then `manager.save` plus an audit `insert` in
 *   `dataSource.transaction`. TypeORM's `save` does not check the version (it bumps it), so it
 *   never sees a conflict and silently overwrites: every save whose new version is not the
 *   version it read + 1 overwrote a write it never saw, and is counted as a LOST update.
 *
 * Round trips are counted at `pg.Client.prototype.query` (every statement, `BEGIN`/`COMMIT`
 * included, on every pool, TypeORM's too), per side, and reported per landed update.
 *
 * Run: npx tsx bench/peers/postgres.ts   (POSTGRES_URL, BENCH_SECONDS per side, BENCH_CLIENTS,
 * BENCH_SIDES=engine-warm,engine-cold,... to run a subset, BENCH_TRACE=1 for a statement breakdown)
 */
import "reflect-metadata";
import pg from "pg";
import { DataSource, EntitySchema } from "typeorm";
import { createPostgresStore, postgresDropSchemaSql } from "../../src/adapters/postgres/index.js";
import { VersionConflictError, createOnboardingEngine, type OnboardingDraft } from "../../src/index.js";

const url = process.env["POSTGRES_URL"] ?? "postgres://postgres@127.0.0.1:5432/test";
const clients = Number(process.env["BENCH_CLIENTS"] ?? 16);
const secondsPerSide = Number(process.env["BENCH_SECONDS"] ?? 6);
const rounds = Number(process.env["BENCH_ROUNDS"] ?? 6);
const roundMs = (secondsPerSide * 1000) / rounds;
const trace = process.env["BENCH_TRACE"] === "1";
const stamp = Date.now().toString(36);
const prefix = `peers_${stamp}_`;
const workspaceId = `peers-${stamp}`;
const actor = { id: "bench" };

// ---- round-trip counter: every statement any pg client sends, charged to the running side ----
let current: SideStats | null = null;
const statementKinds = new Map<string, Map<string, number>>();
const clientProto = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
const originalQuery = clientProto.query;
clientProto.query = function counted(this: unknown, ...args: unknown[]): unknown {
  if (current !== null) {
    current.queries += 1;
    if (trace) {
      const first = args[0];
      const text = typeof first === "string" ? first : ((first as { text?: string } | undefined)?.text ?? "?");
      const kind = text.replace(/\s+/g, " ").trim().slice(0, 70);
      const kinds = statementKinds.get(current.name) ?? new Map<string, number>();
      kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
      statementKinds.set(current.name, kinds);
    }
  }
  return originalQuery.apply(this, args);
};

interface SideStats {
  readonly name: string;
  landed: number;
  conflicts: number;
  lost: number;
  queries: number;
  ms: number;
}

const pool = new pg.Pool({ connectionString: url, max: clients });
const store = createPostgresStore({ pool, tablePrefix: prefix });
await store.migrate();
const warm = createOnboardingEngine({ store, authorize: () => true });
const cold = createOnboardingEngine({ store, authorize: () => true, documentCacheSize: 0 });
const t = store.tables;

async function newDraft(label: string): Promise<string> {
  const { draft } = await warm.create(
    workspaceId,
    { identity: { tenantId: `tenant-${label}`, displayName: `Tenant ${label}` } },
    { actor },
  );
  return draft.id;
}

let sequence = 0;

// ---- the engine, with the caller's retry on VersionConflictError ----
function engineSide(
  engine: typeof warm,
  draftId: string,
  Conflict: typeof VersionConflictError = VersionConflictError,
) {
  return async (deadline: number, stats: SideStats): Promise<void> => {
    let draft: OnboardingDraft = await engine.get(workspaceId, draftId, { actor });
    while (performance.now() < deadline) {
      try {
        const result = await engine.execute(
          workspaceId,
          draftId,
          { type: "select_provider", connectionId: `c-${(sequence += 1)}` },
          { actor, expectedVersion: draft.version },
        );
        draft = result.draft;
        stats.landed += 1;
      } catch (error) {
        if (!(error instanceof Conflict)) throw error;
        stats.conflicts += 1;
        draft = error.current; // retry at once on the draft the error carries
      }
    }
  };
}

/**
 * The lifecycle `select_provider` derives for an identified draft: every side writes the same,
 * valid, drafts, so none pays less for writing a document the engine would refuse.
 */
const LIFECYCLE = {
  state: "draft",
  currentCheckpoint: "verify_access",
  lastCompletedCheckpoint: "connect_provider",
  reason: null,
} as const;

/** The JSON edit every hand-written side makes: the same fields `select_provider` changes. */
function edited(documentText: string, version: number, now: string): string {
  const document = JSON.parse(documentText) as Record<string, unknown>;
  document["provider"] = { connectionId: `c-${(sequence += 1)}`, revision: 1 };
  document["version"] = version;
  document["updatedAt"] = now;
  document["updatedBy"] = actor.id;
  document["lifecycle"] = LIFECYCLE;
  return JSON.stringify(document);
}

const selectSql = `SELECT version, document FROM ${t.drafts} WHERE workspace_id = $1 AND id = $2`;
const updateSql = `UPDATE ${t.drafts} SET version = $3, state = $4, current_checkpoint = $5, updated_at = $6, document = $7
  WHERE workspace_id = $1 AND id = $2 AND version = $8`;
const auditSql = `INSERT INTO ${t.audit} (draft_version, seq, workspace_id, draft_id, event_id, kind, command_type, actor_id, at,
    from_version, to_version, expected_version, actual_version, idempotency_key, feedback, run_ids, capability, state)
  VALUES ($3, 0, $1, $2, $4, 'committed', 'select_provider', 'bench', $5, $6, $3, NULL, NULL, NULL, 'applied', '[]', NULL, 'draft')`;

// ---- hand-written: the floor (no audit) and the audited transaction ----
/** The conflict entry a hand-written loop writes on a miss: keyed as the adapter keys one, under the row lock. */
const conflictSql = `INSERT INTO ${t.audit} (draft_version, seq, workspace_id, draft_id, event_id, kind, command_type, actor_id, at,
    from_version, to_version, expected_version, actual_version, idempotency_key, feedback, run_ids, capability, state)
  SELECT d.version, floor(extract(epoch FROM clock_timestamp()) * 1000000)::bigint * 1000 + 1, $1, $2, $3, 'conflict',
    'select_provider', 'bench', $4, $5, NULL, $5, d.version, NULL, NULL, '[]', NULL, d.state
  FROM (SELECT version, state FROM ${t.drafts} WHERE workspace_id = $1 AND id = $2 FOR UPDATE) AS d`;

function handSide(draftId: string, audited: boolean, auditConflicts = false) {
  return async (deadline: number, stats: SideStats): Promise<void> => {
    while (performance.now() < deadline) {
      const read = await pool.query<{ version: number; document: string }>(selectSql, [workspaceId, draftId]);
      const row = read.rows[0];
      if (row === undefined) throw new Error("draft vanished");
      const now = new Date().toISOString();
      const version = row.version + 1;
      const values = [
        workspaceId,
        draftId,
        version,
        LIFECYCLE.state,
        LIFECYCLE.currentCheckpoint,
        now,
        edited(row.document, version, now),
        row.version,
      ];
      if (!audited) {
        const written = await pool.query(updateSql, values);
        if (written.rowCount === 1) stats.landed += 1;
        else stats.conflicts += 1;
        continue;
      }
      const client = await pool.connect();
      try {
        await client.query("BEGIN");
        const written = await client.query(updateSql, values);
        if (written.rowCount !== 1) {
          if (auditConflicts) {
            await client.query(conflictSql, [workspaceId, draftId, `hand-c-${(sequence += 1)}`, now, row.version]);
            await client.query("COMMIT");
          } else {
            await client.query("ROLLBACK");
          }
          stats.conflicts += 1;
          continue;
        }
        await client.query(auditSql, [workspaceId, draftId, version, `hand-${(sequence += 1)}`, now, row.version]);
        await client.query("COMMIT");
        stats.landed += 1;
      } catch (error) {
        await client.query("ROLLBACK").catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
    }
  };
}

// ---- TypeORM: @VersionColumn save + an audit insert in a transaction ----
interface OrmDraft {
  workspaceId: string;
  id: string;
  version: number;
  state: string;
  document: string;
  updatedAt: string;
}
interface OrmAudit {
  seq?: number;
  workspaceId: string;
  draftId: string;
  kind: string;
  actorId: string;
  at: string;
  fromVersion: number;
  toVersion: number;
}
const OrmDraftSchema = new EntitySchema<OrmDraft>({
  name: "OrmDraft",
  tableName: `${prefix}orm_drafts`,
  columns: {
    workspaceId: { type: "text", primary: true, name: "workspace_id" },
    id: { type: "text", primary: true },
    version: { type: "integer", version: true }, // what @VersionColumn() declares
    state: { type: "text" },
    document: { type: "text" },
    updatedAt: { type: "text", name: "updated_at" },
  },
});
const OrmAuditSchema = new EntitySchema<OrmAudit>({
  name: "OrmAudit",
  tableName: `${prefix}orm_audit`,
  columns: {
    seq: { type: "bigint", primary: true, generated: "increment" },
    workspaceId: { type: "text", name: "workspace_id" },
    draftId: { type: "text", name: "draft_id" },
    kind: { type: "text" },
    actorId: { type: "text", name: "actor_id" },
    at: { type: "text" },
    fromVersion: { type: "integer", name: "from_version" },
    toVersion: { type: "integer", name: "to_version" },
  },
});
const orm = new DataSource({
  type: "postgres",
  url,
  entities: [OrmDraftSchema, OrmAuditSchema],
  synchronize: true,
  poolSize: clients,
  logging: false,
});
await orm.initialize();

function typeormSide(draftId: string) {
  const drafts = orm.getRepository(OrmDraftSchema);
  return async (deadline: number, stats: SideStats): Promise<void> => {
    while (performance.now() < deadline) {
      const entity = await drafts.findOneByOrFail({ workspaceId, id: draftId });
      const readVersion = entity.version;
      const now = new Date().toISOString();
      entity.document = edited(entity.document, readVersion + 1, now);
      entity.updatedAt = now;
      await orm.transaction(async (manager) => {
        await manager.save(OrmDraftSchema, entity); // UPDATE ... SET version = version + 1: no check
        await manager.insert(OrmAuditSchema, {
          workspaceId,
          draftId,
          kind: "committed",
          actorId: actor.id,
          at: now,
          fromVersion: readVersion,
          toVersion: entity.version,
        });
      });
      stats.landed += 1;
      // The version it wrote is not the one after the version it read: it overwrote a write it never saw.
      if (entity.version !== readVersion + 1) stats.lost += 1;
    }
  };
}

// ---- the sides, run in rotating rounds ----
type Runner = (deadline: number, stats: SideStats) => Promise<void>;
const ormDraftId = `orm-${stamp}`;
const ormSeed = JSON.parse(JSON.stringify(await warm.get(workspaceId, await newDraft("orm-seed"), { actor }))) as {
  version: number;
};
await orm.getRepository(OrmDraftSchema).insert({
  workspaceId,
  id: ormDraftId,
  version: 1,
  state: "draft",
  document: JSON.stringify({ ...ormSeed, version: 1 }),
  updatedAt: new Date().toISOString(),
});

/** Each side: its runner, and the engine-table draft whose trail must hold one entry per version (if any). */
type Made = { run: Runner; audited: string | null };
const audited = async (label: string, make: (id: string) => Runner): Promise<Made> => {
  const id = await newDraft(label);
  return { run: make(id), audited: id };
};
/**
 * `BENCH_BEFORE=<dir>`: also run the engine built from another copy of `src/` (e.g.
 * `git archive <commit> src | tar -x -C .before`), on the same pool and tables, to measure a
 * change against what it replaces in the same run.
 */
async function beforeSides(): Promise<Record<string, () => Promise<Made>>> {
  const dir = process.env["BENCH_BEFORE"];
  if (dir === undefined || dir === "") return {};
  const root = (await import("node:path")).resolve(dir);
  const before = (await import(`${root}/index.ts`)) as typeof import("../../src/index.js");
  const beforePg = (await import(
    `${root}/adapters/postgres/index.ts`
  )) as typeof import("../../src/adapters/postgres/index.js");
  const beforeStore = beforePg.createPostgresStore({ pool, tablePrefix: prefix });
  const beforeWarm = before.createOnboardingEngine({ store: beforeStore, authorize: () => true });
  const beforeCold = before.createOnboardingEngine({ store: beforeStore, authorize: () => true, documentCacheSize: 0 });
  const side = (engine: typeof beforeWarm, label: string) => (): Promise<Made> =>
    audited(label, (id) => engineSide(engine, id, before.VersionConflictError));
  return { "before-warm": side(beforeWarm, "before-warm"), "before-cold": side(beforeCold, "before-cold") };
}
const allSides: Record<string, () => Promise<Made>> = {
  ...(await beforeSides()),
  "engine-warm": () => audited("warm", (id) => engineSide(warm, id)),
  "engine-cold": () => audited("cold", (id) => engineSide(cold, id)),
  floor: async () => ({ run: handSide(await newDraft("floor"), false), audited: null }),
  "hand-audited": () => audited("audited", (id) => handSide(id, true)),
  "hand-audited+conflicts": () => audited("audited-conflicts", (id) => handSide(id, true, true)),
  typeorm: async () => ({ run: typeormSide(ormDraftId), audited: null }),
};
const chosen = (process.env["BENCH_SIDES"] ?? Object.keys(allSides).join(",")).split(",");
const sides: { stats: SideStats; run: Runner; audited: string | null }[] = [];
for (const name of chosen) {
  const make = allSides[name];
  if (make === undefined) throw new Error(`unknown side ${name}`);
  const { run, audited: draftId } = await make();
  sides.push({ stats: { name, landed: 0, conflicts: 0, lost: 0, queries: 0, ms: 0 }, run, audited: draftId });
}

async function round(side: (typeof sides)[number], ms: number, counted: boolean): Promise<void> {
  const stats: SideStats = counted
    ? side.stats
    : { ...side.stats, landed: 0, conflicts: 0, lost: 0, queries: 0, ms: 0 };
  current = stats;
  const started = performance.now();
  const deadline = started + ms;
  await Promise.all(Array.from({ length: clients }, () => side.run(deadline, stats)));
  stats.ms += performance.now() - started;
  current = null;
}

// Warm-up (JIT, connections, prepared statements), not counted.
for (const side of sides) await round(side, 400, false);
if (trace) statementKinds.clear();
for (let r = 0; r < rounds; r += 1) {
  for (let i = 0; i < sides.length; i += 1) {
    const side = sides[(i + r) % sides.length];
    if (side !== undefined) await round(side, roundMs, true);
  }
}

// ---- checks: one committed audit entry per version on the audited sides ----
const auditCheck = await pool.query<{ draft_id: string; version: number; committed: number }>(
  `SELECT d.id AS draft_id, d.version, (SELECT count(*) FROM ${t.audit} a
     WHERE a.workspace_id = d.workspace_id AND a.draft_id = d.id AND a.kind IN ('committed', 'created'))::int AS committed
   FROM ${t.drafts} d WHERE d.workspace_id = $1`,
  [workspaceId],
);

// ---- report ----
const rate = (s: SideStats): number => (s.ms === 0 ? 0 : (s.landed / s.ms) * 1000);
const byName = new Map(sides.map((side) => [side.stats.name, side.stats]));
const load = (await import("node:os")).loadavg().map((n) => n.toFixed(2));
console.log(
  `PostgreSQL peers: ${clients} clients on one draft per side, ${secondsPerSide}s per side in ${rounds} rotating rounds, ` +
    `node ${process.version}, load average ${load.join(" ")}, ${new Date().toISOString()}`,
);
console.log("");
console.log("| side | landed/s | landed | conflicts | lost updates | round trips / landed |");
console.log("|---|---:|---:|---:|---:|---:|");
for (const { stats } of sides) {
  const perOp = stats.landed === 0 ? "-" : (stats.queries / stats.landed).toFixed(1);
  console.log(
    `| ${stats.name} | ${rate(stats).toFixed(0)} | ${stats.landed} | ${stats.conflicts} | ${stats.lost} | ${perOp} |`,
  );
}
console.log("");
const goal = (label: string, a: string, b: string, target: number): void => {
  const x = byName.get(a);
  const y = byName.get(b);
  if (x === undefined || y === undefined) return;
  const ratio = rate(x) / rate(y);
  console.log(`${label}: ${ratio.toFixed(2)}x (goal >= ${target}x) ${ratio >= target ? "MET" : "NOT MET"}`);
};
goal("engine cache off / hand audited", "engine-cold", "hand-audited", 1.0);
goal("engine cache off / typeorm     ", "engine-cold", "typeorm", 3.0);
goal("engine warm / floor            ", "engine-warm", "floor", 1.25);
goal("engine warm / hand audited     ", "engine-warm", "hand-audited", 1.0);
goal("engine cache off / hand audited+conflicts", "engine-cold", "hand-audited+conflicts", 1.0);
goal("engine warm / hand audited+conflicts     ", "engine-warm", "hand-audited+conflicts", 1.0);
console.log("");
const checked = new Set(sides.map((side) => side.audited));
for (const row of auditCheck.rows) {
  if (!checked.has(row.draft_id)) continue; // the floor writes no audit
  const ok = row.committed === row.version;
  console.log(
    `audit check ${row.draft_id}: version ${row.version}, ${row.committed} committed/created entries ${ok ? "(one per version)" : "MISMATCH"}`,
  );
}
if (trace) {
  for (const [name, kinds] of statementKinds) {
    const stats = byName.get(name);
    console.log(`\n${name}: statements per landed update`);
    for (const [kind, count] of [...kinds].sort((a, b) => b[1] - a[1])) {
      console.log(`  ${(count / Math.max(1, stats?.landed ?? 1)).toFixed(2)}  ${kind}`);
    }
  }
}

await pool.query(postgresDropSchemaSql(prefix));
await orm.query(`DROP TABLE IF EXISTS "${prefix}orm_drafts", "${prefix}orm_audit"`);
await orm.destroy();
await pool.end();
