/**
 * Benchmark (not a test): `engine.execute` on the Redis adapter vs a hand-written ioredis loop
 * doing the same work per operation (read the document, a version-checked update with a minimal
 * Lua compare-and-set, append an audit entry). 16 concurrent clients, each on its own draft,
 * a fixed time per side. Prints both throughputs and the ratio (target >= 0.85).
 *
 *   npx tsx bench/adapters/redis.ts [--seconds 4] [--clients 16] [--port 6379]
 *
 * Only 127.0.0.1. Uses a unique key prefix and deletes its keys afterwards.
 */
import { withDocument } from "../../src/testing/index.js";
import { Redis } from "ioredis";
import { createRedisStore } from "../../src/adapters/redis/index.js";
import { createOnboardingEngine } from "../../src/index.js";
import type { AuditEvent, OnboardingDraft } from "../../src/record/index.js";
import { newDraft } from "../../src/commands/index.js";

function arg(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  const value = at >= 0 ? Number(process.argv[at + 1]) : fallback;
  return Number.isFinite(value) && value > 0 ? value : fallback;
}

const SECONDS = Math.min(arg("seconds", 4), 10);
const CLIENTS = Math.min(arg("clients", 16), 256);
const PORT = arg("port", 6379);
const prefix = `bench-redis-${Date.now().toString(36)}`;
const client = new Redis({ host: "127.0.0.1", port: PORT, maxRetriesPerRequest: 1 });

/** The baseline's minimal CAS: check the version, write the document, append the audit entry. */
const BASELINE_CAS = `
if redis.call("HGET", KEYS[1], "v") ~= ARGV[1] then return 0 end
redis.call("HSET", KEYS[1], "doc", ARGV[3], "v", ARGV[2])
redis.call("RPUSH", KEYS[2], ARGV[4])
return 1`;

type Worker = (index: number, until: number) => Promise<number>;

/** One side of the comparison: a label and a per-client loop that runs until a deadline. */
interface Side {
  readonly label: string;
  readonly worker: Worker;
  ops: number;
  seconds: number;
  /** CPU time of this Node process (user + system) while the side ran, in microseconds. */
  cpuMicros: number;
}

async function runFor(side: Side, ms: number): Promise<void> {
  const started = performance.now();
  const cpu = process.cpuUsage();
  const until = Date.now() + ms;
  const counts = await Promise.all(Array.from({ length: CLIENTS }, (_, i) => side.worker(i, until)));
  const used = process.cpuUsage(cpu);
  side.cpuMicros += used.user + used.system;
  side.seconds += (performance.now() - started) / 1000;
  side.ops += counts.reduce((a, b) => a + b, 0);
}

function side(label: string, worker: Worker): Side {
  return { label, worker, ops: 0, seconds: 0, cpuMicros: 0 };
}

async function engineSide(): Promise<Side> {
  const engine = createOnboardingEngine({
    store: createRedisStore({ client, keyPrefix: prefix }),
    authorize: () => true,
  });
  const actor = { id: "bench" };
  const drafts: OnboardingDraft[] = [];
  for (let i = 0; i < CLIENTS; i += 1) {
    const { draft } = await engine.create(
      "bench-ws",
      { identity: { tenantId: `engine-${i}`, displayName: "start" } },
      { actor },
    );
    drafts.push(draft);
  }
  let serial = 0;
  return side("engine.execute (redis adapter)", async (i, until) => {
    let ops = 0;
    let draft = drafts[i] as OnboardingDraft;
    while (Date.now() < until) {
      serial += 1;
      const result = await engine.execute(
        "bench-ws",
        draft.id,
        { type: "identify", tenantId: `engine-${i}`, displayName: `name ${serial}` },
        { actor, expectedVersion: draft.version },
      );
      draft = result.draft;
      ops += 1;
    }
    drafts[i] = draft;
    return ops;
  });
}

/** The adapter alone (load + parse + reducer + commit), without the engine's orchestration. */
async function adapterSide(): Promise<Side> {
  const store = createRedisStore({ client, keyPrefix: prefix });
  const drafts: OnboardingDraft[] = [];
  for (let i = 0; i < CLIENTS; i += 1) {
    const draft = newDraft({
      id: `a${i}`,
      workspaceId: "bench-ws",
      now: new Date().toISOString(),
      actorId: "bench",
      identity: { tenantId: `adapter-${i}`, displayName: "start" },
    });
    await store.insert(withDocument({ draft, event: eventOf(draft, "created"), idempotency: null }));
    drafts.push(draft);
  }
  let serial = 0;
  return side("DraftStore load + commit (no engine)", async (i, until) => {
    let ops = 0;
    const id = `a${i}`;
    while (Date.now() < until) {
      serial += 1;
      const raw = storedJson(await store.load("bench-ws", id));
      const now = new Date().toISOString();
      const draft = {
        ...raw,
        identity: { tenantId: `adapter-${i}`, displayName: `name ${serial}` },
        version: raw.version + 1,
        updatedAt: now,
      };
      const result = await store.commit(
        withDocument({
          draft,
          expectedVersion: raw.version,
          events: [eventOf(draft, "committed")],
          idempotency: null,
        }),
      );
      if (!result.ok) throw new Error(`adapter side: unexpected ${result.reason}`);
      ops += 1;
    }
    return ops;
  });
}

function eventOf(draft: OnboardingDraft, kind: "created" | "committed"): AuditEvent {
  return {
    eventId: `e${draft.id}-${draft.version}`,
    workspaceId: draft.workspaceId,
    draftId: draft.id,
    kind,
    commandType: kind === "created" ? "create" : "identify",
    actorId: "bench",
    at: draft.updatedAt,
    fromVersion: kind === "created" ? null : draft.version - 1,
    toVersion: draft.version,
    expectedVersion: null,
    actualVersion: null,
    idempotencyKey: null,
    feedback: kind === "created" ? null : "applied",
    runIds: [],
    capability: null,
    state: draft.lifecycle.state,
  };
}

async function baselineSide(): Promise<Side> {
  const tag = `{${prefix}:baseline}`;
  for (let i = 0; i < CLIENTS; i += 1) {
    // The same document the engine stores (a real draft), so both sides move the same bytes.
    const doc = newDraft({
      id: `b${i}`,
      workspaceId: "bench-ws",
      now: new Date().toISOString(),
      actorId: "bench",
      identity: { tenantId: `base-${i}`, displayName: "start" },
    });
    await client.hset(`${tag}:draft:b${i}`, "doc", JSON.stringify(doc), "v", "1");
  }
  // defineCommand: EVALSHA with EVAL fallback, like the adapter.
  client.defineCommand("benchCas", { numberOfKeys: 2, lua: BASELINE_CAS });
  const cas = (client as unknown as { benchCas(...args: string[]): Promise<number> }).benchCas.bind(client);
  let serial = 0;
  return side("hand-written ioredis (HGET + Lua CAS)", async (i, until) => {
    let ops = 0;
    const key = `${tag}:draft:b${i}`;
    const audit = `${tag}:audit:b${i}`;
    while (Date.now() < until) {
      serial += 1;
      const raw = await client.hget(key, "doc");
      const doc = JSON.parse(raw ?? "null") as {
        version: number;
        identity: { displayName: string };
        updatedAt: string;
      };
      const from = doc.version;
      doc.identity.displayName = `name ${serial}`;
      doc.version = from + 1;
      doc.updatedAt = new Date().toISOString();
      const event = JSON.stringify({
        eventId: `e${serial}`,
        workspaceId: "bench-ws",
        draftId: `b${i}`,
        kind: "committed",
        commandType: "identify",
        actorId: "bench",
        at: doc.updatedAt,
        fromVersion: from,
        toVersion: from + 1,
        expectedVersion: null,
        actualVersion: null,
        idempotencyKey: null,
        feedback: "applied",
        runIds: [],
        capability: null,
        state: "draft",
      });
      const ok = await cas(key, audit, String(from), String(from + 1), JSON.stringify(doc), event);
      if (ok !== 1) throw new Error("baseline CAS conflict (each client owns its draft; this should not happen)");
      ops += 1;
    }
    return ops;
  });
}

async function cleanup(): Promise<void> {
  let cursor = "0";
  for (let i = 0; i < 10_000; i += 1) {
    const [next, keys] = await client.scan(cursor, "MATCH", `{${prefix}:*`, "COUNT", 500);
    if (keys.length > 0) await client.del(...keys.filter((k) => k.startsWith(`{${prefix}:`)));
    cursor = next;
    if (cursor === "0") break;
  }
}

const ROUNDS = 4;

try {
  console.log(
    `redis 127.0.0.1:${PORT}, ${CLIENTS} concurrent clients, ${SECONDS} s per side ` +
      `(${ROUNDS} interleaved rounds, after a 0.5 s warm-up of each side)`,
  );
  const baseline = await baselineSide();
  const adapter = await adapterSide();
  const engine = await engineSide();
  const sides = [baseline, adapter, engine];
  for (const s of sides) {
    await runFor(s, 500);
    s.ops = 0;
    s.seconds = 0;
    s.cpuMicros = 0;
  }
  // Interleave the sides (rotating the order) so machine noise hits all of them alike.
  for (let round = 0; round < ROUNDS; round += 1) {
    for (let j = 0; j < sides.length; j += 1)
      await runFor(sides[(round + j) % sides.length] as Side, (SECONDS * 1000) / ROUNDS);
  }
  const rate = (s: Side): number => s.ops / s.seconds;
  for (const s of sides) {
    console.log(
      `${s.label.padEnd(38)} ${String(s.ops).padStart(7)} ops in ${s.seconds.toFixed(2)} s = ` +
        `${rate(s).toFixed(0).padStart(6)} ops/s, client CPU ${(s.cpuMicros / s.ops).toFixed(0)} us/op`,
    );
  }
  console.log(`ratio engine / hand-written:  ${(rate(engine) / rate(baseline)).toFixed(2)} (target >= 0.85)`);
  console.log(`ratio adapter / hand-written: ${(rate(adapter) / rate(baseline)).toFixed(2)}`);
} finally {
  await cleanup();
  await client.quit();
}

/** The adapter-only side reads the stored text itself (decoding is the engine's job). */
function storedJson(stored: { readonly document: unknown } | null): OnboardingDraft {
  if (stored === null) throw new Error("draft vanished");
  const raw = stored.document;
  return JSON.parse(typeof raw === "string" ? raw : new TextDecoder().decode(raw as Uint8Array)) as OnboardingDraft;
}
