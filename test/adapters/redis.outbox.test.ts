/**
 * The Redis adapter's outbox: cluster safety of every outbox script (no server: the keys each
 * call sends are recorded by a fake client) and the outbox suite on the standalone server
 * (127.0.0.1:6379, a unique key prefix, its keys deleted after). The cluster file runs the same
 * suite on a three-master cluster.
 */
import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import type { Redis } from "ioredis";
import {
  OUTBOX_SCRIPTS,
  COMMIT_SCRIPT,
  createRedisStore,
  redisKeys,
  redisOutboxKeys,
  redisOutboxRegistryKey,
} from "../../src/adapters/redis/index.js";
import { newOutboxRecord, type OutboxEntry } from "../../src/record/index.js";
import { serviceAvailable, uniqueSuffix } from "../support/services.js";
import {
  auditEvent,
  deleteKeysWithPrefix,
  makeDraft,
  next,
  probeRedis,
  standaloneClient,
} from "./fixtures/redis-harness.js";
import { defineRedisOutboxSuite } from "./fixtures/redis-outbox.js";
import { withDocument } from "../../src/testing/index.js";

/** The hash tag Redis Cluster hashes: the text between the first `{` and the next `}`, if non-empty. */
function hashTag(key: string): string {
  const open = key.indexOf("{");
  if (open < 0) return key;
  const close = key.indexOf("}", open + 1);
  if (close < 0 || close === open + 1) return key;
  return key.slice(open + 1, close);
}

const COMMIT_SHA = createHash("sha1").update(COMMIT_SCRIPT, "utf8").digest("hex");

/** A client that records every command and answers: a commit applied, every other script empty. */
function recordingClient(): { client: Redis; calls: (string | number)[][] } {
  const calls: (string | number)[][] = [];
  const fake = {
    call(command: string, ...args: unknown[]): Promise<unknown> {
      const flat = args.flat() as (string | number)[];
      calls.push([command, ...flat]);
      if (command === "evalsha") return Promise.resolve(flat[0] === COMMIT_SHA ? ["ok"] : []);
      if (command === "smembers") return Promise.resolve(["w1", "w}2"]);
      return Promise.resolve(1);
    },
  };
  return { client: fake as unknown as Redis, calls };
}

/** The KEYS of an EVALSHA/EVAL call. */
function keysOfCall(call: readonly (string | number)[]): string[] {
  const count = Number(call[2]);
  return call.slice(3, 3 + count).map(String);
}

describe("redis outbox key layout (no server needed)", () => {
  it("puts every outbox key of a workspace under the workspace's hash tag", () => {
    const text = fc.string({ unit: "binary", minLength: 1, maxLength: 128 });
    fc.assert(
      fc.property(text, text, (workspaceId, other) => {
        const k = redisKeys("onboarding", workspaceId);
        for (const key of redisOutboxKeys(k.tag)) expect(hashTag(key)).toBe(hashTag(k.draft("d")));
        if (other !== workspaceId) {
          expect(hashTag(redisOutboxKeys(redisKeys("onboarding", other).tag)[0] ?? "")).not.toBe(hashTag(k.draft("d")));
        }
      }),
      { numRuns: 300 },
    );
    expect(hashTag(redisOutboxRegistryKey("onboarding"))).toBe("onboarding:outbox");
  });

  it("addresses keys only through KEYS (no key built inside a script)", () => {
    for (const source of [COMMIT_SCRIPT, ...Object.values(OUTBOX_SCRIPTS)]) {
      // every KEYS[...] read is one of the key tables; no redis.call names a literal key
      for (const line of source.split("\n").filter((l) => l.includes("KEYS["))) {
        expect(line).toMatch(/K\[name\] = KEYS\[|STATE_KEY\[name\] = KEYS\[|= KEYS\[|KEYS\[auditBase|KEYS\[nextKey\]/);
      }
      expect(source).not.toMatch(/redis\.call\("[A-Z]+", "/);
    }
  });

  it("sends every outbox script (and a commit with entries) keys of one hash tag only", async () => {
    const { client, calls } = recordingClient();
    const store = createRedisStore({ client, keyPrefix: "app" });
    const ws = "w}2";
    const v1 = makeDraft(ws, "d1");
    const v2 = next(v1, { type: "identify", tenantId: "t1", displayName: "T" });
    const entry: OutboxEntry = {
      entryId: "e1",
      workspaceId: ws,
      draftId: "d1",
      runId: "r1",
      kind: "run.requested",
      checkpoint: "verify_access",
      operation: "verify_access",
      providerConnectionId: "pc",
      providerRevision: 1,
      draftVersion: 2,
      eventId: "ev",
      createdAt: v2.updatedAt,
    };
    await store.commit(
      withDocument({
        draft: v2,
        expectedVersion: 1,
        events: [auditEvent(v2, "committed")],
        idempotency: null,
        outbox: [entry],
      }),
    );
    const now = "2031-01-01T00:00:00.000Z";
    await store.claimOutbox({ owner: "o", now, leaseUntil: now, limit: 5 });
    const ref = { workspaceId: ws, entryId: "e1" };
    await store.settleOutbox({
      owner: "o",
      at: now,
      settlements: [
        { ...ref, status: "delivered" },
        { workspaceId: "w1", entryId: "x", status: "dead", error: "e" },
      ],
    });
    await store.releaseOutbox({ owner: "o", entries: [ref] });
    await store.listOutbox({ limit: 5 });
    await store.listOutbox({ limit: 5, workspaceId: ws });
    await store.requeueOutbox({ ...ref, at: now });
    await store.recordRunProgress({ workspaceId: ws, draftId: "d1", runId: "r1", at: now, message: null, percent: 3 });
    await store.listRunRecords(ws, "d1");
    await store.findStaleRuns({ before: now, limit: 5 });
    await store.settleRuns({ workspaceId: ws, draftId: "d1", runIds: ["r1"], at: now });
    await store.pruneOutbox(now);
    const scriptCalls = calls.filter((c) => c[0] === "evalsha");
    // commit, claim x2 (two workspaces), settle x2, release, list x3, requeue, progress, run records, stale x2,
    // settleRuns, prune's listing of delivered records x2 (nothing delivered: no delete script)
    expect(scriptCalls.length).toBe(17);
    for (const call of scriptCalls) {
      const keys = keysOfCall(call);
      expect(keys.length).toBeGreaterThan(0);
      expect(new Set(keys.map(hashTag)).size).toBe(1);
    }
    // the registry is written before the commit, in its own slot, with a single-key command
    expect(calls[0]).toEqual(["sadd", redisOutboxRegistryKey("app"), ws]);
  });
});

/** Writes `entry` as the commit script wrote a record before the lean commit: every column and index. */
async function writeLegacyRecord(client: Redis, keyPrefix: string, entry: OutboxEntry): Promise<string> {
  const { createdAt, entryId, runId, draftId } = entry;
  const ms = Date.parse(createdAt);
  const tag = redisKeys(keyPrefix, entry.workspaceId).tag;
  const k = (name: string) => `${tag}:ob:${name}`;
  const m = `${createdAt}\u0000${entryId}`;
  await client.hset(k("entry"), entryId, JSON.stringify(entry));
  await client.hset(k("created"), entryId, createdAt);
  await client.hset(k("status"), entryId, "pending");
  await client.hset(k("attempts"), entryId, "0");
  await client.hset(k("availableAt"), entryId, createdAt);
  await client.hset(k("availableMs"), entryId, String(ms));
  for (const name of ["list", "list:pending"]) await client.zadd(k(name), 0, m);
  await client.zadd(k("wait"), ms, m);
  await client.zadd(k("watch"), ms, entryId);
  await client.zadd(k("runs"), 0, `${runId}\u0000${draftId}\u0000${entryId}`);
  await client.zadd(k("draftruns"), 0, `${draftId}\u0000${createdAt}\u0000${entryId}`);
  await client.sadd(redisOutboxRegistryKey(keyPrefix), entry.workspaceId);
  return tag;
}

const up = await serviceAvailable("Redis (127.0.0.1:6379)", probeRedis);

describe.skipIf(!up)("redis outbox (standalone)", () => {
  const prefix = `outbox-redis-${uniqueSuffix()}`;
  let client: Redis;
  beforeAll(() => {
    client = standaloneClient();
  });
  afterAll(async () => {
    await deleteKeysWithPrefix(client, prefix);
    await client.quit();
  });
  defineRedisOutboxSuite(() => ({ client, prefix, newClient: standaloneClient }));

  it("reads, claims, settles and prunes a record written in the layout before the lean commit", async () => {
    const keyPrefix = `${prefix}-legacy`;
    const store = createRedisStore({ client, keyPrefix });
    const ws = `ws-legacy-${uniqueSuffix()}`;
    const createdAt = "2030-01-01T00:00:00.000Z";
    const entry: OutboxEntry = {
      entryId: "e-old",
      workspaceId: ws,
      draftId: "d-old",
      runId: "r-old",
      kind: "run.requested",
      checkpoint: "verify_access",
      operation: "verify_access",
      providerConnectionId: "pc-1",
      providerRevision: 1,
      draftVersion: 2,
      eventId: "ev-old",
      createdAt,
    };
    const tag = await writeLegacyRecord(client, keyPrefix, entry);
    const fresh = newOutboxRecord(entry); // what a new entry reads as, old layout or journal
    expect((await store.listOutbox({ workspaceId: ws, limit: 10 })).entries).toEqual([fresh]);
    expect(await store.listRunRecords(ws, "d-old")).toEqual([fresh]);
    const now = "2030-01-01T00:01:00.000Z";
    const claimed = await store.claimOutbox({ owner: "o", now, leaseUntil: "2030-01-01T00:02:00.000Z", limit: 10 });
    expect(claimed).toMatchObject([{ entryId: "e-old", attempts: 1, leaseOwner: "o" }]);
    const settlement = { workspaceId: ws, entryId: "e-old", status: "delivered" as const };
    expect(await store.settleOutbox({ owner: "o", at: now, settlements: [settlement] })).toBe(1);
    expect(await store.settleRuns({ workspaceId: ws, draftId: "d-old", runIds: ["r-old"], at: now })).toBe(1);
    expect(await store.pruneOutbox("2030-01-01T00:05:00.000Z")).toBe(1);
    for (const key of redisOutboxKeys(tag)) expect(await client.exists(key), key).toBe(0);
  });

  it("mixes a record of the old layout and journal-written ones in one workspace, without a migration", async () => {
    const keyPrefix = `${prefix}-mixed`;
    const store = createRedisStore({ client, keyPrefix });
    const ws = `ws-mixed-${uniqueSuffix()}`;
    const v1 = makeDraft(ws, "d-new");
    expect(
      await store.insert(withDocument({ draft: v1, event: auditEvent(v1, "created"), idempotency: null })),
    ).toEqual({
      ok: true,
    });
    const v2 = next(v1, { type: "identify", tenantId: "t-new", displayName: "T" });
    const base = {
      workspaceId: ws,
      kind: "run.requested" as const,
      checkpoint: "verify_access" as const,
      operation: "verify_access" as const,
      providerConnectionId: "pc-1",
      providerRevision: 1,
      draftVersion: 2,
    };
    const created = (s: number) => new Date(Date.parse("2030-01-01T00:00:00.000Z") + s * 1000).toISOString();
    const old: OutboxEntry = {
      ...base,
      entryId: "e-b",
      draftId: "d-new",
      runId: "r-b",
      eventId: "ev-b",
      createdAt: created(2),
    };
    const fresh = [1, 3].map((s): OutboxEntry => ({
      ...base,
      entryId: `e-${s}`,
      draftId: "d-new",
      runId: `r-${s}`,
      eventId: `ev-${s}`,
      createdAt: created(s),
    }));
    // a journal element first (committed by this version), then an older version's record
    const commit = { draft: v2, expectedVersion: 1, events: [auditEvent(v2, "committed")], idempotency: null };
    expect(await store.commit(withDocument({ ...commit, outbox: fresh }))).toEqual({ ok: true });
    const tag = await writeLegacyRecord(client, keyPrefix, old);
    expect(await client.llen(`${tag}:ob:journal`)).toBe(2);
    const ids = (rows: readonly unknown[]) => rows.map((r) => (r as OutboxEntry).entryId);
    expect(ids((await store.listOutbox({ workspaceId: ws, limit: 10 })).entries)).toEqual(["e-1", "e-b", "e-3"]);
    expect(ids(await store.listRunRecords(ws, "d-new"))).toEqual(["e-1", "e-b", "e-3"]);
    const now = created(10);
    const claimed = await store.claimOutbox({ owner: "o", now, leaseUntil: created(20), limit: 10 });
    expect(ids(claimed)).toEqual(["e-1", "e-b", "e-3"]);
    const settlements = ["e-1", "e-b", "e-3"].map((entryId) => ({
      workspaceId: ws,
      entryId,
      status: "delivered" as const,
    }));
    expect(await store.settleOutbox({ owner: "o", at: now, settlements })).toBe(3);
    expect(await store.settleRuns({ workspaceId: ws, draftId: "d-new", runIds: ["r-1", "r-b", "r-3"], at: now })).toBe(
      3,
    );
    expect(await store.pruneOutbox(created(30))).toBe(3);
    for (const key of redisOutboxKeys(tag)) expect(await client.exists(key), key).toBe(0);
  });
});
