/**
 * Benchmark (not a test): `engine.execute` on the PostgreSQL adapter vs a hand-written `pg` loop
 * doing the same work (read the row, version-checked update of the document and its columns,
 * audit insert, atomically in one statement), at 16 concurrent clients, each on its own draft.
 * A third side calls the adapter directly (`store.load` + `store.commit` with the same JSON edit as
 * the hand loop), to separate the adapter's own cost from the engine's (validation, reducer,
 * immer, lifecycle derivation). The sides alternate in short rounds so that background load hits
 * all of them alike.
 *
 * Run: npx tsx bench/adapters/postgres.ts   (POSTGRES_URL, BENCH_SECONDS, BENCH_CLIENTS to tune)
 */
import { withDocument } from "../../src/testing/index.js";
import pg from "pg";
import { createPostgresStore, postgresDropSchemaSql } from "../../src/adapters/postgres/index.js";
import { createOnboardingEngine, type OnboardingDraft } from "../../src/index.js";

const url = process.env["POSTGRES_URL"] ?? "postgres://postgres@127.0.0.1:5432/test";
const clients = Number(process.env["BENCH_CLIENTS"] ?? 16);
const secondsPerSide = Number(process.env["BENCH_SECONDS"] ?? 4);
const rounds = 4;
const roundMs = (secondsPerSide * 1000) / rounds;
const prefix = `bench_${Date.now().toString(36)}_`;

const pool = new pg.Pool({ connectionString: url, max: clients });
const store = createPostgresStore({ pool, tablePrefix: prefix });
await store.migrate();
const engine = createOnboardingEngine({ store, authorize: () => true });
const actor = { id: "bench" };
const workspaceId = `bench-${Date.now()}`;

async function draftsFor(label: string): Promise<{ id: string; version: number }[]> {
  const out: { id: string; version: number }[] = [];
  for (let i = 0; i < clients; i += 1) {
    const { draft } = await engine.create(
      workspaceId,
      { identity: { tenantId: `${label}-${i}`, displayName: `Tenant ${i}` } },
      { actor },
    );
    out.push({ id: draft.id, version: draft.version });
  }
  return out;
}

const engineDrafts = await draftsFor("engine");
const handDrafts = await draftsFor("hand");
const storeDrafts = await draftsFor("store");
let sequence = 0;

/** One engine operation: `execute(select_provider)` with a version check (load + one commit). */
async function engineOp(slot: { id: string; version: number }): Promise<void> {
  const result = await engine.execute(
    workspaceId,
    slot.id,
    { type: "select_provider", connectionId: `c-${(sequence += 1)}` },
    { actor, expectedVersion: slot.version },
  );
  slot.version = result.version;
}

/**
 * The lifecycle `select_provider` derives for an identified draft (what the engine side writes):
 * every side writes valid drafts, so none pays less for writing a document the engine would refuse.
 */
const VALID_LIFECYCLE = {
  state: "draft",
  currentCheckpoint: "verify_access",
  lastCompletedCheckpoint: "connect_provider",
  reason: null,
} as const;

const t = store.tables;
const handSql = `WITH updated AS (
  UPDATE ${t.drafts} SET version = $3, state = $4, current_checkpoint = $5, updated_at = $6, document = $7
  WHERE workspace_id = $1 AND id = $2 AND version = $8
  RETURNING version
), audited AS (
  INSERT INTO ${t.audit} (draft_version, seq, workspace_id, draft_id, event_id, kind, command_type, actor_id, at,
    from_version, to_version, expected_version, actual_version, idempotency_key, feedback, run_ids, capability, state)
  SELECT updated.version, 0, $1, $2, $9, 'committed', 'select_provider', 'bench', $6, $8, $3, NULL, NULL, NULL, 'applied', '[]', NULL, $4
  FROM updated
  RETURNING 1
)
SELECT (SELECT count(*) FROM updated)::int AS written`;

/** The same work by hand: read, modify the JSON, one version-checked statement with the audit row. */
async function handOp(slot: { id: string; version: number }): Promise<void> {
  const read = await pool.query<{ document: string; version: number }>(
    `SELECT document, version FROM ${t.drafts} WHERE workspace_id = $1 AND id = $2`,
    [workspaceId, slot.id],
  );
  const row = read.rows[0];
  if (row === undefined) throw new Error("draft vanished");
  const document = JSON.parse(row.document) as Record<string, unknown> & {
    lifecycle: { readonly state: string; readonly currentCheckpoint: string | null };
  };
  const now = new Date().toISOString();
  const version = row.version + 1;
  document["provider"] = { connectionId: `c-${(sequence += 1)}`, revision: 1 };
  document["version"] = version;
  document["updatedAt"] = now;
  document.lifecycle = VALID_LIFECYCLE;
  const written = await pool.query<{ written: number }>(handSql, [
    workspaceId,
    slot.id,
    version,
    document.lifecycle.state,
    document.lifecycle.currentCheckpoint,
    now,
    JSON.stringify(document),
    row.version,
    `hand-${sequence}`,
  ]);
  if (written.rows[0]?.written !== 1) throw new Error("unexpected conflict in the hand loop");
  slot.version = version;
}

/** The adapter alone: load, the same JSON edit, one `commit` with its audit entry. */
async function storeOp(slot: { id: string; version: number }): Promise<void> {
  const document = storedJson(await store.load(workspaceId, slot.id));
  const now = new Date().toISOString();
  const draft: OnboardingDraft = {
    ...document,
    provider: { connectionId: `c-${(sequence += 1)}`, revision: 1 },
    version: document.version + 1,
    updatedAt: now,
    lifecycle: VALID_LIFECYCLE,
  };
  const written = await store.commit(
    withDocument({
      draft,
      expectedVersion: document.version,
      events: [
        {
          eventId: `store-${sequence}`,
          workspaceId,
          draftId: slot.id,
          kind: "committed",
          commandType: "select_provider",
          actorId: "bench",
          at: now,
          fromVersion: document.version,
          toVersion: draft.version,
          expectedVersion: null,
          actualVersion: null,
          idempotencyKey: null,
          feedback: "applied",
          runIds: [],
          capability: null,
          state: "draft",
        },
      ],
      idempotency: null,
    }),
  );
  if (!written.ok) throw new Error("unexpected conflict in the store loop");
  slot.version = draft.version;
}

async function runFor(
  ms: number,
  slots: { id: string; version: number }[],
  op: (slot: { id: string; version: number }) => Promise<void>,
): Promise<number> {
  const deadline = performance.now() + ms;
  let count = 0;
  await Promise.all(
    slots.map(async (slot) => {
      while (performance.now() < deadline) {
        await op(slot);
        count += 1;
      }
    }),
  );
  return count;
}

// Warm up every path (JIT, connections, prepared statements).
const sides = {
  engine: { slots: engineDrafts, op: engineOp, ops: 0, ms: 0 },
  store: { slots: storeDrafts, op: storeOp, ops: 0, ms: 0 },
  hand: { slots: handDrafts, op: handOp, ops: 0, ms: 0 },
};
type Side = keyof typeof sides;
for (const side of Object.values(sides)) await runFor(500, side.slots, side.op);

for (let round = 0; round < rounds; round += 1) {
  const names: Side[] = ["engine", "store", "hand"];
  const order = round % 2 === 0 ? names : [...names].reverse();
  for (const name of order) {
    const side = sides[name];
    const started = performance.now();
    side.ops += await runFor(roundMs, side.slots, side.op);
    side.ms += performance.now() - started;
  }
}

const rate = (name: Side): number => (sides[name].ops / sides[name].ms) * 1000;
console.log(`clients: ${clients}, ${secondsPerSide}s per side in ${rounds} alternating rounds, one draft per client`);
console.log(`engine.execute on the postgres adapter: ${sides.engine.ops} ops, ${rate("engine").toFixed(0)} ops/s`);
console.log(`adapter alone (store.load + commit):    ${sides.store.ops} ops, ${rate("store").toFixed(0)} ops/s`);
console.log(`hand-written pg loop:                   ${sides.hand.ops} ops, ${rate("hand").toFixed(0)} ops/s`);
console.log(`ratio engine / hand:  ${(rate("engine") / rate("hand")).toFixed(2)} (target >= 0.85)`);
console.log(`ratio adapter / hand: ${(rate("store") / rate("hand")).toFixed(2)}`);

// Every side wrote valid drafts: the engine reads each one back (a CorruptRecordError otherwise).
for (const side of Object.values(sides)) {
  for (const slot of side.slots) await engine.get(workspaceId, slot.id, { actor });
}

await pool.query(postgresDropSchemaSql(prefix));
await pool.end();

/** The adapter-only side reads the stored text itself (decoding is the engine's job). */
function storedJson(stored: { readonly document: unknown } | null): OnboardingDraft {
  if (stored === null) throw new Error("draft vanished");
  const raw = stored.document;
  return JSON.parse(typeof raw === "string" ? raw : new TextDecoder().decode(raw as Uint8Array)) as OnboardingDraft;
}
