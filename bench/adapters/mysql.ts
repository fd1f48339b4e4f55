/**
 * Benchmark (not a test): `engine.execute` throughput on the MySQL / MariaDB adapter at 16
 * concurrent clients, against a hand-written mysql2 loop doing the same work per operation (read
 * the document, version-checked UPDATE, audit INSERT, in one transaction) on the same tables.
 * Each client owns one draft, so there are no conflicts: this measures the adapter's and the
 * engine's overhead, not contention.
 *
 * A third side, the store without the engine, shows how much of any gap is the adapter's.
 *
 * Run: `npx tsx bench/adapters/mysql.ts` (loopback MariaDB/MySQL on 127.0.0.1:3306, user root,
 * database test; MYSQL_PORT / MYSQL_USER / MYSQL_PASSWORD / MYSQL_DATABASE override).
 * Bounded: 0.5 s warm-up plus 6 x 0.7 s measured per side (three sides), in rotating order.
 */
import { withDocument } from "../../src/testing/index.js";
import { randomUUID } from "node:crypto";
import { cpus, loadavg } from "node:os";
import { createPool, type Pool, type PoolOptions, type ResultSetHeader, type RowDataPacket } from "mysql2/promise";
import { createMySqlStore, mysqlDropSchemaStatements, mysqlTableNames } from "../../src/adapters/mysql/index.js";
import { createOnboardingEngine } from "../../src/index.js";
import type { AuditEvent, OnboardingDraft } from "../../src/record/index.js";

const CLIENTS = 16;
const WARMUP_MS = 500;
const ROUND_MS = 700;
const ROUNDS = 6;

const options: PoolOptions = {
  host: "127.0.0.1",
  port: Number(process.env["MYSQL_PORT"] ?? 3306),
  user: process.env["MYSQL_USER"] ?? "root",
  password: process.env["MYSQL_PASSWORD"] ?? "",
  database: process.env["MYSQL_DATABASE"] ?? "test",
  charset: "utf8mb4",
  connectionLimit: CLIENTS,
};

const prefix = `bench_my_${Date.now().toString(36)}_`;
const tables = mysqlTableNames(prefix);
const pool: Pool = createPool(options);
const store = createMySqlStore({ pool, tablePrefix: prefix });
const engine = createOnboardingEngine({ store, authorize: () => true });
const actor = { id: "bench" };

interface Client {
  readonly workspaceId: string;
  readonly draftId: string;
  version: number;
}

async function setup(label: string): Promise<Client[]> {
  return Promise.all(
    Array.from({ length: CLIENTS }, async (_, i) => {
      const workspaceId = `bench-${label}-${i}`;
      const { draft } = await engine.create(
        workspaceId,
        { identity: { tenantId: `t-${i}`, displayName: `Tenant ${i}` } },
        { actor },
      );
      const r = await engine.execute(
        workspaceId,
        draft.id,
        { type: "select_provider", connectionId: "conn-1" },
        {
          actor,
          expectedVersion: 1,
        },
      );
      return { workspaceId, draftId: draft.id, version: r.version };
    }),
  );
}

/** One operation through the engine: load, validate, authorize, reduce, encode, CAS commit + audit. */
async function engineOp(client: Client): Promise<void> {
  const result = await engine.execute(
    client.workspaceId,
    client.draftId,
    { type: "update_provider_connection", connectionId: "conn-1" },
    {
      actor,
      expectedVersion: client.version,
    },
  );
  client.version = result.version;
}

const SELECT = `SELECT \`document\`, \`version\` FROM \`${tables.drafts}\` WHERE \`workspace_id\` = ? AND \`id\` = ?`;
const UPDATE =
  `UPDATE \`${tables.drafts}\` SET \`version\` = ?, \`state\` = ?, \`current_checkpoint\` = ?, \`tenant_id\` = ?, ` +
  `\`open_tenant_id\` = ?, \`updated_at\` = ?, \`document\` = ? WHERE \`workspace_id\` = ? AND \`id\` = ? AND \`version\` = ?`;
const INSERT =
  `INSERT INTO \`${tables.audit}\` (\`workspace_id\`, \`draft_id\`, \`event_id\`, \`kind\`, \`command_type\`, \`actor_id\`, ` +
  "`at`, `from_version`, `to_version`, `state`, `event`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

/** The same operation by hand: read, bump, version-checked UPDATE and audit INSERT in a transaction. */
async function handOp(client: Client): Promise<void> {
  const [rows] = await pool.execute<RowDataPacket[]>(SELECT, [client.workspaceId, client.draftId]);
  const row = rows[0];
  if (row === undefined) throw new Error("draft vanished");
  const document = JSON.parse(String(row["document"])) as {
    version: number;
    updatedAt: string;
    updatedBy: string;
    provider: { revision: number };
    lifecycle: { state: string; currentCheckpoint: string | null };
    identity: { tenantId: string };
  };
  const from = Number(row["version"]);
  const now = new Date().toISOString();
  document.version = from + 1;
  document.provider.revision += 1;
  document.updatedAt = now;
  document.updatedBy = actor.id;
  const event = {
    eventId: randomUUID(),
    workspaceId: client.workspaceId,
    draftId: client.draftId,
    kind: "committed",
    commandType: "update_provider_connection",
    actorId: actor.id,
    at: now,
    fromVersion: from,
    toVersion: from + 1,
    expectedVersion: null,
    actualVersion: null,
    idempotencyKey: null,
    feedback: "applied",
    runIds: [],
    capability: null,
    state: document.lifecycle.state,
  };
  const connection = await pool.getConnection();
  try {
    await connection.query("START TRANSACTION");
    const [result] = await connection.execute<ResultSetHeader>(UPDATE, [
      from + 1,
      document.lifecycle.state,
      document.lifecycle.currentCheckpoint,
      document.identity.tenantId,
      document.identity.tenantId,
      now,
      JSON.stringify(document),
      client.workspaceId,
      client.draftId,
      from,
    ]);
    if (result.affectedRows !== 1) throw new Error("unexpected conflict");
    await connection.execute(INSERT, [
      event.workspaceId,
      event.draftId,
      event.eventId,
      event.kind,
      event.commandType,
      event.actorId,
      event.at,
      event.fromVersion,
      event.toVersion,
      event.state,
      JSON.stringify(event),
    ]);
    await connection.query("COMMIT");
  } catch (error) {
    await connection.query("ROLLBACK");
    throw error;
  } finally {
    connection.release();
  }
  client.version = from + 1;
}

/**
 * The adapter without the engine: `store.load` + the same hand-made bump + `store.commit` (which
 * encodes with the codec and runs the CAS transaction). Separates adapter overhead from engine
 * overhead (validation, authorization, reducer, audit construction).
 */
async function storeOp(client: Client): Promise<void> {
  const loaded = storedJson(await store.load(client.workspaceId, client.draftId));
  const now = new Date().toISOString();
  const from = loaded.version;
  const draft: OnboardingDraft = {
    ...loaded,
    version: from + 1,
    provider: loaded.provider === null ? null : { ...loaded.provider, revision: loaded.provider.revision + 1 },
    updatedAt: now,
    updatedBy: actor.id,
  };
  const event: AuditEvent = {
    eventId: randomUUID(),
    workspaceId: client.workspaceId,
    draftId: client.draftId,
    kind: "committed",
    commandType: "update_provider_connection",
    actorId: actor.id,
    at: now,
    fromVersion: from,
    toVersion: from + 1,
    expectedVersion: null,
    actualVersion: null,
    idempotencyKey: null,
    feedback: "applied",
    runIds: [],
    capability: null,
    state: draft.lifecycle.state,
  };
  const result = await store.commit(withDocument({ draft, expectedVersion: from, events: [event], idempotency: null }));
  if (!result.ok) throw new Error(`unexpected ${result.reason}`);
  client.version = from + 1;
}

/** Runs `op` on every client in a closed loop for `ms`; returns completed operations. */
async function drive(clients: Client[], op: (client: Client) => Promise<void>, ms: number): Promise<number> {
  const until = performance.now() + ms;
  let count = 0;
  await Promise.all(
    clients.map(async (client) => {
      while (performance.now() < until) {
        await op(client);
        count += 1;
      }
    }),
  );
  return count;
}

async function main(): Promise<void> {
  await store.migrate();
  const sides = {
    hand: { clients: await setup("hand"), op: handOp },
    engine: { clients: await setup("engine"), op: engineOp },
    store: { clients: await setup("store"), op: storeOp },
  };
  for (const side of Object.values(sides)) await drive(side.clients, side.op, WARMUP_MS);

  const totals = {
    hand: { ops: 0, ms: 0, cpuUs: 0 },
    engine: { ops: 0, ms: 0, cpuUs: 0 },
    store: { ops: 0, ms: 0, cpuUs: 0 },
  };
  for (let round = 0; round < ROUNDS; round += 1) {
    // Short rounds in rotating order, so load swings on a shared machine hit every side alike.
    const names = ["hand", "engine", "store"] as const;
    const order = [0, 1, 2].map((i) => names[(i + round) % 3] ?? "hand");
    if (round % 2 === 1) order.reverse();
    for (const side of order) {
      const started = performance.now();
      const cpu = process.cpuUsage();
      const ops = await drive(sides[side].clients, sides[side].op, ROUND_MS);
      const used = process.cpuUsage(cpu);
      totals[side].ops += ops;
      totals[side].ms += performance.now() - started;
      totals[side].cpuUs += used.user + used.system;
    }
  }
  const hand = (totals.hand.ops / totals.hand.ms) * 1000;
  const viaEngine = (totals.engine.ops / totals.engine.ms) * 1000;
  const [[server]] = (await pool.query<RowDataPacket[]>("SELECT VERSION() AS v")) as unknown as [[{ v: string }]];
  console.log(
    `mysql adapter benchmark — ${server.v}, ${CLIENTS} concurrent clients, ${ROUNDS} x ${ROUND_MS} ms per side`,
  );
  const viaStore = (totals.store.ops / totals.store.ms) * 1000;
  const cpuPerOp = (side: keyof typeof totals): string =>
    (totals[side].cpuUs / Math.max(1, totals[side].ops)).toFixed(0);
  console.log(
    `  hand-written mysql2 loop : ${hand.toFixed(0)} ops/s (${totals.hand.ops} ops, ${cpuPerOp("hand")} µs node CPU/op)`,
  );
  console.log(
    `  engine.execute (adapter) : ${viaEngine.toFixed(0)} ops/s (${totals.engine.ops} ops, ${cpuPerOp("engine")} µs node CPU/op)`,
  );
  console.log(
    `  store alone (no engine)  : ${viaStore.toFixed(0)} ops/s (${totals.store.ops} ops, ${cpuPerOp("store")} µs node CPU/op)`,
  );
  console.log(`  ratio engine / hand      : ${(viaEngine / hand).toFixed(3)} (target >= 0.85)`);
  console.log(`  ratio store / hand       : ${(viaStore / hand).toFixed(3)} (the adapter's own overhead)`);
  const load = loadavg()[0] ?? 0;
  if (load > cpus().length)
    console.log(`  note: load average ${load.toFixed(1)} on ${cpus().length} CPUs — figures are CPU-starved and noisy`);
}

try {
  await main();
} finally {
  for (const statement of mysqlDropSchemaStatements(prefix)) await pool.query(statement);
  await pool.end();
}

/** The adapter-only side reads the stored text itself (decoding is the engine's job). */
function storedJson(stored: { readonly document: unknown } | null): OnboardingDraft {
  if (stored === null) throw new Error("draft vanished");
  const raw = stored.document;
  return JSON.parse(typeof raw === "string" ? raw : new TextDecoder().decode(raw as Uint8Array)) as OnboardingDraft;
}
