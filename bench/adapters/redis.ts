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

async function timed(label: string, worker: (index: number, until: number) => Promise<number>): Promise<number> {
  const warmupUntil = Date.now() + 500;
  await Promise.all(Array.from({ length: CLIENTS }, (_, i) => worker(i, warmupUntil)));
  const started = performance.now();
  const until = Date.now() + SECONDS * 1000;
  const counts = await Promise.all(Array.from({ length: CLIENTS }, (_, i) => worker(i, until)));
  const elapsed = (performance.now() - started) / 1000;
  const ops = counts.reduce((a, b) => a + b, 0);
  const perSecond = ops / elapsed;
  console.log(`${label.padEnd(34)} ${ops.toString().padStart(7)} ops in ${elapsed.toFixed(2)} s = ${perSecond.toFixed(0).padStart(6)} ops/s`);
  return perSecond;
}

async function engineSide(): Promise<number> {
  const engine = createOnboardingEngine({ store: createRedisStore({ client, keyPrefix: prefix }), authorize: () => true });
  const actor = { id: "bench" };
  const drafts: OnboardingDraft[] = [];
  for (let i = 0; i < CLIENTS; i += 1) {
    const { draft } = await engine.create("bench-ws", { identity: { tenantId: `engine-${i}`, displayName: "start" } }, { actor });
    drafts.push(draft);
  }
  let serial = 0;
  return timed("engine.execute (redis adapter)", async (i, until) => {
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
async function adapterSide(): Promise<number> {
  const store = createRedisStore({ client, keyPrefix: prefix });
  const drafts: OnboardingDraft[] = [];
  for (let i = 0; i < CLIENTS; i += 1) {
    const draft = newDraft({ id: `a${i}`, workspaceId: "bench-ws", now: new Date().toISOString(), actorId: "bench", identity: { tenantId: `adapter-${i}`, displayName: "start" } });
    await store.insert({ draft, event: eventOf(draft, "created"), idempotency: null });
    drafts.push(draft);
  }
  let serial = 0;
  return timed("DraftStore load + commit (no engine)", async (i, until) => {
    let ops = 0;
    const id = `a${i}`;
    while (Date.now() < until) {
      serial += 1;
      const raw = (await store.load("bench-ws", id)) as OnboardingDraft;
      const now = new Date().toISOString();
      const draft = { ...raw, identity: { tenantId: `adapter-${i}`, displayName: `name ${serial}` }, version: raw.version + 1, updatedAt: now };
      const result = await store.commit({ draft, expectedVersion: raw.version, events: [eventOf(draft, "committed")], idempotency: null });
      if (!result.ok) throw new Error(`adapter side: unexpected ${result.reason}`);
      ops += 1;
    }
    return ops;
  });
}

function eventOf(draft: OnboardingDraft, kind: "created" | "committed"): AuditEvent {
  return {
    eventId: `e${draft.id}-${draft.version}`, workspaceId: draft.workspaceId, draftId: draft.id, kind,
    commandType: kind === "created" ? "create" : "identify", actorId: "bench", at: draft.updatedAt,
    fromVersion: kind === "created" ? null : draft.version - 1, toVersion: draft.version, expectedVersion: null,
    actualVersion: null, idempotencyKey: null, feedback: kind === "created" ? null : "applied", runId: null,
    capability: null, state: draft.lifecycle.state,
  };
}

async function baselineSide(): Promise<number> {
  const tag = `{${prefix}:baseline}`;
  const versions: number[] = [];
  for (let i = 0; i < CLIENTS; i += 1) {
    const doc = { id: `b${i}`, version: 1, identity: { tenantId: `base-${i}`, displayName: "start" }, updatedAt: new Date().toISOString() };
    await client.hset(`${tag}:draft:b${i}`, "doc", JSON.stringify(doc), "v", "1");
    versions.push(1);
  }
  // defineCommand: EVALSHA with EVAL fallback, like the adapter.
  client.defineCommand("benchCas", { numberOfKeys: 2, lua: BASELINE_CAS });
  const cas = (client as unknown as { benchCas(...args: string[]): Promise<number> }).benchCas.bind(client);
  let serial = 0;
  return timed("hand-written ioredis (HGET + Lua CAS)", async (i, until) => {
    let ops = 0;
    const key = `${tag}:draft:b${i}`;
    const audit = `${tag}:audit:b${i}`;
    while (Date.now() < until) {
      serial += 1;
      const raw = await client.hget(key, "doc");
      const doc = JSON.parse(raw ?? "null") as { version: number; identity: { displayName: string }; updatedAt: string };
      const from = doc.version;
      doc.identity.displayName = `name ${serial}`;
      doc.version = from + 1;
      doc.updatedAt = new Date().toISOString();
      const event = JSON.stringify({ kind: "committed", draftId: `b${i}`, fromVersion: from, toVersion: from + 1, at: doc.updatedAt });
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

try {
  console.log(`redis 127.0.0.1:${PORT}, ${CLIENTS} concurrent clients, ${SECONDS} s per side (after 0.5 s warm-up)`);
  const baseline = await baselineSide();
  const adapter = await adapterSide();
  const engine = await engineSide();
  console.log(`ratio engine / hand-written:  ${(engine / baseline).toFixed(2)} (target >= 0.85)`);
  console.log(`ratio adapter / hand-written: ${(adapter / baseline).toFixed(2)}`);
} finally {
  await cleanup();
  await client.quit();
}
