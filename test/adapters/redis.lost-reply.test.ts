/**
 * Lost replies on the Redis adapter, end to end: a proxy between ioredis (default options, so
 * `autoResendUnfulfilledCommands` is on) and the standalone server swallows the reply to a write
 * script after the server ran it and cuts the connection. ioredis reconnects and resends the
 * script; the adapter must report the write as applied (it was), not as a conflict, an existing
 * draft or a replay.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Redis } from "ioredis";
import { COMMIT_SCRIPT, INSERT_SCRIPT, createRedisStore, redisKeys } from "../../src/adapters/redis/index.js";
import { createOnboardingEngine } from "../../src/engine/index.js";
import type { AuditEvent } from "../../src/record/index.js";
import { serviceAvailable, uniqueSuffix } from "../support/services.js";
import {
  REDIS_HOST,
  REDIS_PORT,
  deleteKeysWithPrefix,
  probeRedis,
  standaloneClient,
} from "./fixtures/redis-harness.js";
import { startReplyDroppingProxy, type ReplyDroppingProxy } from "./fixtures/redis-proxy.js";

const up = await serviceAvailable("Redis (127.0.0.1:6379)", probeRedis);

describe.skipIf(!up)("redis adapter: a lost reply to a write that ran", () => {
  const prefix = `test-redis-lost-${uniqueSuffix()}`;
  const actor = { id: "u1" };
  let direct: Redis;
  let proxy: ReplyDroppingProxy;
  let viaProxy: Redis;

  beforeAll(async () => {
    direct = standaloneClient();
    proxy = await startReplyDroppingProxy({ host: REDIS_HOST, port: REDIS_PORT });
    // ioredis defaults on purpose: resend unfulfilled commands, offline queue, 20 retries.
    viaProxy = new Redis({ host: "127.0.0.1", port: proxy.port });
    viaProxy.on("error", () => undefined); // the proxy cuts connections; ioredis reconnects
  });

  afterAll(async () => {
    viaProxy.disconnect();
    await proxy.close();
    await deleteKeysWithPrefix(direct, prefix);
    await direct.quit();
  });

  /** Makes sure the dropped reply is the script's own, not a NOSCRIPT error. */
  async function loadScripts(): Promise<void> {
    await direct.script("LOAD", INSERT_SCRIPT);
    await direct.script("LOAD", COMMIT_SCRIPT);
  }

  async function committedVersions(ws: string, draftId: string): Promise<(number | null)[]> {
    const raw = await direct.lrange(redisKeys(prefix, ws).audit(draftId), 0, -1);
    return raw.map((entry) => JSON.parse(entry) as AuditEvent).map((e) => e.toVersion);
  }

  // With the document cache the engine commits from the cached draft (one EVALSHA with a basis);
  // without it, every command reads first and then commits.
  it.each([
    { label: "from the cached draft", documentCacheSize: 1000, rounds: 20 },
    { label: "after a fresh read", documentCacheSize: 0, rounds: 10 },
  ])(
    "reports operator commands whose replies were lost as applied, each written once ($label)",
    async ({ documentCacheSize, rounds }) => {
      const ws = `cmd-${uniqueSuffix()}`;
      const store = createRedisStore({ client: viaProxy, keyPrefix: prefix });
      const engine = createOnboardingEngine({ store, authorize: () => true, documentCacheSize });
      await loadScripts();
      const { draft } = await engine.create(ws, { identity: { tenantId: "t1", displayName: "Acme" } }, { actor });
      for (let i = 0; i < rounds; i += 1) {
        proxy.dropNextScriptReply();
        const before = proxy.dropped;
        const result = await engine.execute(
          ws,
          draft.id,
          { type: "select_provider", connectionId: `conn-${i}` },
          {
            actor,
            expectedVersion: i + 1,
          },
        );
        expect(proxy.dropped).toBe(before + 1); // the reply really was lost
        expect(result).toMatchObject({ version: i + 2, feedback: "applied", replayed: false });
      }
      const stored = await engine.get(ws, draft.id, { actor });
      expect(stored.version).toBe(rounds + 1);
      expect(stored.provider).toMatchObject({ connectionId: `conn-${rounds - 1}` });
      const entries = (await direct.lrange(redisKeys(prefix, ws).audit(draft.id), 0, -1)).map(
        (e) => JSON.parse(e) as AuditEvent,
      );
      expect(entries.map((e) => e.kind)).toEqual(["created", ...Array.from({ length: rounds }, () => "committed")]);
      expect(entries.map((e) => e.toVersion)).toEqual(Array.from({ length: rounds + 1 }, (_, i) => i + 1));
    },
    60_000,
  );

  it("reports a create and a keyed create whose replies were lost as created, not replayed", async () => {
    const ws = `create-${uniqueSuffix()}`;
    const engine = createOnboardingEngine({
      store: createRedisStore({ client: viaProxy, keyPrefix: prefix }),
      authorize: () => true,
    });
    await loadScripts();

    const plainDroppedBefore = proxy.dropped;
    proxy.dropNextScriptReply();
    const plain = await engine.create(ws, { identity: { tenantId: "t-plain", displayName: "Plain" } }, { actor });
    expect(proxy.dropped).toBe(plainDroppedBefore + 1);
    expect(plain).toMatchObject({ created: true, replayed: false });
    expect(await committedVersions(ws, plain.draft.id)).toEqual([1]);

    const droppedBefore = proxy.dropped;
    proxy.dropNextScriptReply();
    const keyed = await engine.create(
      ws,
      { identity: { tenantId: "t-keyed", displayName: "Keyed" } },
      { actor, idempotencyKey: "create-once" },
    );
    expect(proxy.dropped).toBe(droppedBefore + 1);
    expect(keyed).toMatchObject({ created: true, replayed: false });
    expect(await committedVersions(ws, keyed.draft.id)).toEqual([1]);
    // a real retry with the same key is still a replay of that outcome
    const retry = await engine.create(
      ws,
      { identity: { tenantId: "t-keyed", displayName: "Keyed" } },
      { actor, idempotencyKey: "create-once" },
    );
    expect(retry).toMatchObject({ created: false, replayed: true });
    expect(retry.draft.id).toBe(keyed.draft.id);
  }, 30_000);

  it("reports a keyed operator command whose reply was lost as applied, not replayed", async () => {
    const ws = `keyed-${uniqueSuffix()}`;
    const engine = createOnboardingEngine({
      store: createRedisStore({ client: viaProxy, keyPrefix: prefix }),
      authorize: () => true,
    });
    await loadScripts();
    const { draft } = await engine.create(ws, {}, { actor });
    const droppedBefore = proxy.dropped;
    proxy.dropNextScriptReply();
    const result = await engine.execute(
      ws,
      draft.id,
      { type: "cancel" },
      { actor, expectedVersion: 1, idempotencyKey: "cancel-1" },
    );
    expect(proxy.dropped).toBe(droppedBefore + 1);
    expect(result).toMatchObject({ version: 2, replayed: false, state: "cancelled" });
    expect(await committedVersions(ws, draft.id)).toEqual([1, 2]);
  }, 30_000);
});
