/**
 * The client against the real REST example (examples/rest-api/server.ts: Hono, the HTTP helpers,
 * the engine on the memory store) on a free loopback port: a draft walked through every
 * command to `completed` with a worker reporting through its own client while a watch follows
 * the polling hint; a stale write from a second tab; the typed errors of real answers; a lost
 * response retried with the same idempotency key; the server stopped and restarted under a
 * watch.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createMemoryStore } from "../../src/adapters/memory/index.js";
import {
  AuthorizationError,
  NotReadyError,
  OpenDraftExistsError,
  VersionConflictError,
  createOnboardingEngine,
  type Actor,
  type OnboardingEngine,
} from "../../src/index.js";
import { formatETag } from "../../src/http/index.js";
import {
  NetworkError,
  createOnboardingClient,
  type DraftSnapshot,
  type FetchLike,
  type OnboardingClient,
  type WatchStatus,
} from "../../src/client/index.js";
import { createApp, listen, type RunningServer } from "../../examples/rest-api/server.js";

const WS = "ws-client";

describe("client against the REST example", () => {
  let engine: OnboardingEngine<Actor>;
  let app: ReturnType<typeof createApp>;
  let server: RunningServer;
  const serverErrors: unknown[] = [];

  beforeAll(async () => {
    engine = createOnboardingEngine({
      store: createMemoryStore(),
      // As examples/rest-api's main(): workers report results, only `owner` overrides readiness.
      authorize: (actor, capability) =>
        capability === "record_result"
          ? actor.id.startsWith("worker")
          : capability !== "override_readiness" || actor.id === "owner",
    });
    app = createApp({ engine, onServerError: (error) => serverErrors.push(error) });
    server = await listen(app);
  });

  afterAll(async () => {
    await server?.close();
    expect(serverErrors).toEqual([]);
  });

  const clientAs = (actor: string, fetch?: FetchLike): OnboardingClient =>
    createOnboardingClient({
      baseUrl: server.url,
      workspaceId: WS,
      headers: { "x-actor-id": actor },
      backoff: { baseMs: 20, maxMs: 100 },
      ...(fetch === undefined ? {} : { fetch }),
    });

  it("walks a draft to completed while a watch follows the runs, a worker reporting through its own client", async () => {
    const operator = clientAs("operator");
    const worker = clientAs("worker-1");
    const identity = { tenantId: "t-walk", displayName: "Walk Ltd" };
    const created = await operator.create({ identity });
    expect(created).toMatchObject({ created: true, replayed: false });
    const id = created.draft.id;
    expect(operator.etagOf(id)).toBe(formatETag(created.draft));
    expect((await operator.create({ identity }, { onExisting: "resume" })).draft.id).toBe(id);
    const exists = await operator.create({ identity }).catch((error: unknown) => error);
    expect(exists).toBeInstanceOf(OpenDraftExistsError);
    expect((exists as OpenDraftExistsError).existingDraftId).toBe(id);

    const snapshots: DraftSnapshot[] = [];
    const statuses: WatchStatus[] = [];
    const watch = operator.watch(id, {
      pollIntervalMs: 50,
      onChange: (s) => snapshots.push(s),
      onStatus: (s) => statuses.push(s),
    });
    await vi.waitFor(() => expect(statuses).toEqual(["idle"]));
    expect(snapshots[0]?.view.stage.step).toBe("connect_provider");

    await operator.execute(id, { type: "select_provider", connectionId: "conn-1" });
    const started = await operator.execute(id, { type: "start_verification" });
    expect(started.feedback).toBe("queued");
    await vi.waitFor(() => expect(statuses.at(-1)).toBe("polling"));
    const verificationRun = started.runIds[0] ?? "";
    await worker.execute(id, {
      type: "record_verification_result",
      runId: verificationRun,
      status: "completed",
      outcome: "succeeded",
    });
    await vi.waitFor(() => expect(snapshots.at(-1)?.draft.lifecycle.state).toBe("ready_for_activation"));
    await vi.waitFor(() => expect(statuses.at(-1)).toBe("idle"));

    const bootstrap = await operator.execute(id, { type: "start_bootstrap", operations: ["sync_directory"] });
    await vi.waitFor(() => expect(snapshots.at(-1)?.view.stage.polling).toEqual({ intervalMs: 50 }));
    await worker.execute(id, {
      type: "record_bootstrap_result",
      runId: bootstrap.runIds[0] ?? "",
      status: "completed",
      outcome: "succeeded",
    });
    await vi.waitFor(() => expect(snapshots.at(-1)?.view.stage.step).toBe("activate"));
    const activated = await operator.execute(id, { type: "activate" });
    expect(activated).toMatchObject({ feedback: "activated", state: "completed" });

    expect(await watch.done).toEqual({ reason: "terminal" });
    expect(snapshots.at(-1)?.view.stage.step).toBe("done");
    expect(statuses.at(-1)).toBe("stopped");
    // Versions only grow, and what the watch saw is the server's truth.
    const versions = snapshots.map((s) => s.draft.version);
    expect([...versions].sort((a, b) => a - b)).toEqual(versions);
    expect(snapshots.at(-1)?.draft).toEqual(await engine.get(WS, id, { actor: { id: "operator" } }));

    const kinds = (await operator.history(id)).events.map((event) => event.kind);
    expect(kinds[0]).toBe("created");
    expect(kinds.filter((kind) => kind === "committed").length).toBe(activated.version - 1);
    expect((await operator.list({ state: "completed" })).drafts.map((d) => d.id)).toContain(id);
  });

  it("refuses a stale write from a second tab with the current draft, and the retry after the reload goes through", async () => {
    const tabA = clientAs("operator-a");
    const tabB = clientAs("operator-b");
    const { draft } = await tabA.create({ identity: { tenantId: "t-tabs", displayName: "Original" } });
    await tabB.get(draft.id);
    const saved = await tabA.execute(draft.id, { type: "identify", tenantId: "t-tabs", displayName: "From A" });

    const stale = await tabB
      .execute(draft.id, { type: "identify", tenantId: "t-tabs", displayName: "From B" })
      .catch((error: unknown) => error);
    if (!(stale instanceof VersionConflictError)) throw new Error(`expected a conflict, got ${String(stale)}`);
    expect(stale.expectedVersion).toBe(draft.version);
    expect(stale.actualVersion).toBe(saved.version);
    expect(stale.current.identity?.displayName).toBe("From A");
    expect(stale.changedBy).toEqual({ actorId: "operator-a", commandType: "identify", worker: false });
    expect((await engine.get(WS, draft.id, { actor: { id: "x" } })).identity?.displayName).toBe("From A");
    expect(tabB.etagOf(draft.id)).toBe(formatETag(stale.current));

    const retried = await tabB.execute(draft.id, { type: "identify", tenantId: "t-tabs", displayName: "From B" });
    expect(retried.version).toBe(saved.version + 1);
    expect(retried.draft.identity?.displayName).toBe("From B");
  });

  it("turns the server's refusals into the package's errors", async () => {
    const operator = clientAs("operator");
    const { draft } = await operator.create({ identity: { tenantId: "t-refusals", displayName: "R" } });
    const notReady = await operator.execute(draft.id, { type: "activate" }).catch((error: unknown) => error);
    if (!(notReady instanceof NotReadyError)) throw new Error(`expected NotReadyError, got ${String(notReady)}`);
    expect(notReady.blockers.map((b) => b.code)).toContain("provider_missing");
    const denied = await operator
      .execute(draft.id, { type: "record_verification_result", runId: "r", status: "completed", outcome: "failed" })
      .catch((error: unknown) => error);
    if (!(denied instanceof AuthorizationError)) throw new Error(`expected AuthorizationError, got ${String(denied)}`);
    expect(denied.capability).toBe("record_result");
  });

  it("retries a write whose answer was lost with the same key: the server applies it once", async () => {
    let lose = true;
    const lossy: FetchLike = async (url, init) => {
      const response = await fetch(url, init);
      if (init.method === "POST" && lose) {
        lose = false;
        throw new TypeError("connection reset after the server answered");
      }
      return response;
    };
    const operator = clientAs("operator", lossy);
    const { draft } = await clientAs("operator").create({ identity: { tenantId: "t-lossy", displayName: "L" } });
    await operator.get(draft.id);
    const result = await operator.execute(draft.id, { type: "select_provider", connectionId: "conn-1" });
    expect(result.replayed).toBe(true);
    expect(result.version).toBe(draft.version + 1);
    const stored = await engine.get(WS, draft.id, { actor: { id: "x" } });
    expect(stored.version).toBe(draft.version + 1);
  });

  it("keeps watching while the server is stopped, and recovers when it is back on the same port", async () => {
    const operator = clientAs("operator");
    const { draft } = await operator.create({ identity: { tenantId: "t-restart", displayName: "R" } });
    await operator.execute(draft.id, { type: "select_provider", connectionId: "conn-1" });
    const { runIds } = await operator.execute(draft.id, { type: "start_verification" });
    const statuses: WatchStatus[] = [];
    const errors: unknown[] = [];
    const snapshots: DraftSnapshot[] = [];
    const watch = operator.watch(draft.id, {
      pollIntervalMs: 50,
      onStatus: (s) => statuses.push(s),
      onError: (error) => errors.push(error),
      onChange: (s) => snapshots.push(s),
    });
    await vi.waitFor(() => expect(statuses).toEqual(["polling"]));

    const port = server.port;
    await server.close();
    await vi.waitFor(() => expect(statuses.at(-1)).toBe("offline"));
    await vi.waitFor(() => expect(errors.length).toBeGreaterThanOrEqual(3));
    expect(errors.every((error) => error instanceof NetworkError)).toBe(true);

    // While it was away, the worker's result was recorded (straight through the engine).
    await engine.execute(
      WS,
      draft.id,
      { type: "record_verification_result", runId: runIds[0] ?? "", status: "completed", outcome: "succeeded" },
      { actor: { id: "worker-1" } },
    );
    server = await listen(app, port);
    await vi.waitFor(() => expect(snapshots.at(-1)?.draft.lifecycle.state).toBe("ready_for_activation"));
    expect(statuses.slice(-2)).toEqual(["offline", "idle"]);
    watch.stop();
    expect(await watch.done).toEqual({ reason: "stopped" });
  });
});
