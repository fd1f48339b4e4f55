/**
 * Smoke test of the REST API example on PostgreSQL: starts it on a random loopback port and
 * drives a full onboarding over HTTP (create, identify, provider, verification + worker result,
 * bootstrap + worker result, activate), with a 428 without If-Match, a 412 on a stale If-Match,
 * and problem details for the other error paths. Tables use a unique prefix, dropped afterwards.
 */
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPostgresStore, postgresDropSchemaSql } from "../../src/adapters/postgres/index.js";
import { createDispatcher, createOnboardingEngine, type OnboardingDraft } from "../../src/index.js";
import { ProblemDetailsSchema, formatETag } from "../../src/http/index.js";
import {
  CreateDraftResponseSchema,
  DraftHistorySchema,
  DraftPageSchema,
  DeadDeliveriesSchema,
  DraftViewResponseSchema,
  MutationResponseSchema,
  RequeueResponseSchema,
  RunProgressListSchema,
} from "../../scripts/openapi.js";
import { serviceAvailable, uniqueSuffix } from "../../test/support/services.js";
import { demoAuthorize } from "./operators.js";
import { createApp, listen, type RunningServer } from "./server.js";

const POSTGRES_URL = process.env["POSTGRES_URL"] ?? "postgres://postgres@127.0.0.1:5432/test";

const up = await serviceAvailable("PostgreSQL", async () => {
  const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 2_000 });
  await client.connect();
  try {
    await client.query("SELECT 1");
  } finally {
    await client.end();
  }
});

interface Reply {
  readonly status: number;
  readonly headers: Headers;
  readonly body: Record<string, unknown>;
}

describe.skipIf(!up)("REST API example on PostgreSQL", () => {
  const prefix = `rest_${uniqueSuffix()}_`;
  const ws = `ws-${uniqueSuffix()}`;
  let pool: pg.Pool;
  let store: ReturnType<typeof createPostgresStore>;
  let server: RunningServer;
  const serverErrors: unknown[] = [];

  beforeAll(async () => {
    pool = new pg.Pool({ connectionString: POSTGRES_URL, max: 4 });
    store = createPostgresStore({ pool, tablePrefix: prefix });
    await store.migrate();
    const engine = createOnboardingEngine({
      store,
      authorize: (actor, capability) =>
        capability === "record_result" ? actor.id.startsWith("worker") : capability !== "override_readiness",
    });
    server = await listen(createApp({ engine, onServerError: (error) => serverErrors.push(error) }));
  });

  afterAll(async () => {
    await server?.close();
    if (pool !== undefined) {
      await pool.query(postgresDropSchemaSql(prefix));
      await pool.end();
    }
  });

  async function call(
    method: string,
    path: string,
    options: {
      body?: unknown;
      rawBody?: string;
      ifMatch?: string;
      ifNoneMatch?: string;
      actor?: string;
      key?: string;
    } = {},
  ): Promise<Reply> {
    const headers: Record<string, string> = { "x-actor-id": options.actor ?? "operator-1" };
    if (options.body !== undefined || options.rawBody !== undefined) headers["content-type"] = "application/json";
    if (options.ifMatch !== undefined) headers["if-match"] = options.ifMatch;
    if (options.ifNoneMatch !== undefined) headers["if-none-match"] = options.ifNoneMatch;
    if (options.key !== undefined) headers["idempotency-key"] = options.key;
    const response = await fetch(`${server.url}${path}`, {
      method,
      headers,
      ...(options.rawBody !== undefined
        ? { body: options.rawBody }
        : options.body !== undefined
          ? { body: JSON.stringify(options.body) }
          : {}),
    });
    const text = await response.text();
    return {
      status: response.status,
      headers: response.headers,
      body: text === "" ? {} : (JSON.parse(text) as Record<string, unknown>),
    };
  }

  const draftsPath = (): string => `/workspaces/${ws}/drafts`;

  function expectProblem(reply: Reply, status: number, code: string): void {
    expect(reply.status, JSON.stringify(reply.body)).toBe(status);
    expect(reply.headers.get("content-type")).toBe("application/problem+json");
    expect(reply.body).toMatchObject({ status, code, type: `urn:onboarding-lifecycle:problem:${code}` });
    expect(typeof reply.body["title"]).toBe("string");
    expect(typeof reply.body["detail"]).toBe("string");
    ProblemDetailsSchema.parse(reply.body); // the contract of specs/openapi.json
  }

  it("drives a full onboarding over HTTP with ETags, 428 and 412", async () => {
    // create
    const created = await call("POST", draftsPath(), { body: {} });
    expect(created.status).toBe(201);
    CreateDraftResponseSchema.parse(created.body);
    const draft0 = created.body["draft"] as OnboardingDraft;
    const path = `${draftsPath()}/${encodeURIComponent(draft0.id)}`;
    expect(created.headers.get("location")).toBe(path);
    let etag = created.headers.get("etag") as string;
    expect(etag).toBe(formatETag(draft0));

    // GET returns the same ETag
    const fetched = await call("GET", path);
    expect(fetched.status).toBe(200);
    expect(fetched.headers.get("etag")).toBe(etag);
    expect(fetched.body).toMatchObject({ id: draft0.id, version: 1 });

    // 428 without If-Match; nothing written
    const identify = { type: "identify", tenantId: "tenant-1", displayName: "Contoso" };
    expectProblem(await call("POST", `${path}/commands`, { body: identify }), 428, "precondition_required");
    expect((await call("GET", path)).body["version"]).toBe(1);

    // identify
    const identified = await call("POST", `${path}/commands`, { body: identify, ifMatch: etag });
    expect(identified.status).toBe(200);
    expect(identified.body).toMatchObject({ feedback: "applied", version: 2, state: "draft", replayed: false });
    MutationResponseSchema.parse(identified.body);
    const staleETag = etag;
    etag = identified.headers.get("etag") as string;
    expect(etag).toBe(formatETag({ id: draft0.id, version: 2 }));

    // 412 on a stale If-Match, with the current ETag; nothing written
    const stale = await call("POST", `${path}/commands`, {
      body: { type: "select_provider", connectionId: "conn-1" },
      ifMatch: staleETag,
    });
    expectProblem(stale, 412, "version_conflict");
    expect(stale.body).toMatchObject({ expectedVersion: 1, actualVersion: 2, currentETag: etag });
    expect((await call("GET", path)).body).toMatchObject({ version: 2, provider: null });

    // provider
    const provider = await call("POST", `${path}/commands`, {
      body: { type: "select_provider", connectionId: "conn-1" },
      ifMatch: etag,
    });
    expect(provider.status).toBe(200);
    etag = provider.headers.get("etag") as string;

    // verification + worker result (no If-Match for workers)
    const verification = await call("POST", `${path}/commands`, {
      body: { type: "start_verification" },
      ifMatch: etag,
    });
    expect(verification.body).toMatchObject({ feedback: "queued", state: "verifying" });
    const [verificationRun] = verification.body["runIds"] as string[];
    const verified = await call("POST", `${path}/commands`, {
      body: { type: "record_verification_result", runId: verificationRun, status: "completed", outcome: "succeeded" },
      actor: "worker-1",
    });
    expect(verified.body).toMatchObject({ feedback: "recorded", state: "ready_for_activation" });
    etag = verified.headers.get("etag") as string;

    // bootstrap + worker result
    const bootstrap = await call("POST", `${path}/commands`, {
      body: { type: "start_bootstrap", operations: ["sync_directory"] },
      ifMatch: etag,
    });
    expect(bootstrap.body).toMatchObject({ feedback: "queued", state: "bootstrapping" });
    const [bootstrapRun] = bootstrap.body["runIds"] as string[];
    const view = await call("GET", `${path}/view`);
    expect(view.body["etag"]).toBe(bootstrap.headers.get("etag"));
    DraftViewResponseSchema.parse(view.body);
    expect(view.body["view"]).toMatchObject({
      state: "bootstrapping",
      stage: { step: "bootstrap", polling: { intervalMs: 5000 } },
    });
    const bootstrapped = await call("POST", `${path}/commands`, {
      body: { type: "record_bootstrap_result", runId: bootstrapRun, status: "completed", outcome: "succeeded" },
      actor: "worker-1",
    });
    expect(bootstrapped.body).toMatchObject({ feedback: "recorded", state: "ready_for_activation" });
    etag = bootstrapped.headers.get("etag") as string;

    // activate
    const activated = await call("POST", `${path}/commands`, { body: { type: "activate" }, ifMatch: etag });
    expect(activated.status).toBe(200);
    expect(activated.body).toMatchObject({ feedback: "activated", state: "completed", version: 8 });
    etag = activated.headers.get("etag") as string;

    // terminal drafts never change
    expectProblem(
      await call("POST", `${path}/commands`, { body: { type: "cancel" }, ifMatch: etag }),
      409,
      "terminal_draft",
    );

    // the audit trail tells the story, including the rejected stale write
    const history = await call("GET", `${path}/history`);
    DraftHistorySchema.parse(history.body);
    const events = history.body["events"] as { kind: string; commandType: string }[];
    expect(events.map((event) => `${event.kind}:${event.commandType}`)).toEqual([
      "created:create",
      "committed:identify",
      "conflict:select_provider",
      "committed:select_provider",
      "committed:start_verification",
      "committed:record_verification_result",
      "committed:start_bootstrap",
      "committed:record_bootstrap_result",
      "committed:activate",
    ]);

    // listing by state
    const completed = await call("GET", `${draftsPath()}?state=completed`);
    DraftPageSchema.parse(completed.body);
    expect((completed.body["drafts"] as OnboardingDraft[]).map((d) => d.id)).toEqual([draft0.id]);
    expect(serverErrors).toEqual([]);
  });

  it("answers conditional GETs with 304 while the draft is unchanged, 200 after a change", async () => {
    const created = await call("POST", draftsPath(), {
      body: { identity: { tenantId: "tenant-3", displayName: "Tailspin" } },
    });
    const draft = created.body["draft"] as OnboardingDraft;
    const path = `${draftsPath()}/${encodeURIComponent(draft.id)}`;
    const etag = created.headers.get("etag") as string;

    for (const route of [path, `${path}/view`]) {
      // unchanged: 304, the ETag, no body (a weak copy of the tag and * match too)
      for (const ifNoneMatch of [etag, `W/${etag}`, `"other", ${etag}`, "*"]) {
        const unchanged = await fetch(`${server.url}${route}`, {
          headers: { "x-actor-id": "operator-1", "if-none-match": ifNoneMatch },
        });
        expect(unchanged.status, `${route} ${ifNoneMatch}`).toBe(304);
        expect(unchanged.headers.get("etag")).toBe(etag);
        expect(await unchanged.text()).toBe("");
      }
      // another draft's tag or a malformed header: the full representation
      expect((await call("GET", route, { ifNoneMatch: formatETag({ id: "another", version: 1 }) })).status).toBe(200);
      expect((await call("GET", route, { ifNoneMatch: "not-quoted" })).status).toBe(200);
    }
    // the view's 200 carries the same ETag header as the draft's
    expect((await call("GET", `${path}/view`)).headers.get("etag")).toBe(etag);

    // a conditional GET is still authorized and scoped: 404 elsewhere, never 304
    expectProblem(
      await call("GET", `/workspaces/other-${ws}/drafts/${encodeURIComponent(draft.id)}`, { ifNoneMatch: "*" }),
      404,
      "draft_not_found",
    );

    // a change: the old tag no longer matches, 200 with the new ETag and the new body
    const changed = await call("POST", `${path}/commands`, {
      body: { type: "select_provider", connectionId: "conn-3" },
      ifMatch: etag,
    });
    expect(changed.status).toBe(200);
    const newETag = changed.headers.get("etag") as string;
    expect(newETag).toBe(formatETag({ id: draft.id, version: 2 }));
    const fresh = await call("GET", path, { ifNoneMatch: etag });
    expect(fresh.status).toBe(200);
    expect(fresh.headers.get("etag")).toBe(newETag);
    expect(fresh.body).toMatchObject({ id: draft.id, version: 2, provider: { connectionId: "conn-3" } });
    const freshView = await call("GET", `${path}/view`, { ifNoneMatch: etag });
    expect(freshView.status).toBe(200);
    DraftViewResponseSchema.parse(freshView.body);
    expect(freshView.body).toMatchObject({ etag: newETag, view: { version: 2 } });
    expect((await call("GET", path, { ifNoneMatch: newETag })).status).toBe(304);
    expect((await call("GET", `${path}/view`, { ifNoneMatch: newETag })).status).toBe(304);

    // A policy that ages verifications makes the view depend on the clock: no ETag header on it and
    // never a 304 (the draft's own GET still answers 304).
    const clockBound = await listen(
      createApp({
        engine: createOnboardingEngine({
          store: createPostgresStore({ pool, tablePrefix: prefix }),
          policy: { verificationMaxAgeMs: 60_000 },
          authorize: () => true,
        }),
      }),
    );
    try {
      const headers = { "x-actor-id": "operator-1", "if-none-match": newETag };
      const view = await fetch(`${clockBound.url}${path}/view`, { headers });
      expect(view.status).toBe(200);
      expect(view.headers.get("etag")).toBeNull();
      DraftViewResponseSchema.parse(await view.json());
      const got = await fetch(`${clockBound.url}${path}`, { headers });
      expect(got.status).toBe(304);
      expect(got.headers.get("etag")).toBe(newETag);
    } finally {
      await clockBound.close();
    }
    expect(serverErrors).toEqual([]);
  });

  it("pages the history with ?limit=&cursor=&order= and a Link rel=next header", async () => {
    const created = await call("POST", draftsPath(), { body: {} });
    const draft = created.body["draft"] as OnboardingDraft;
    const path = `${draftsPath()}/${encodeURIComponent(draft.id)}`;
    let etag = created.headers.get("etag") as string;
    const commands = [
      { type: "identify", tenantId: "tenant-history", displayName: "Fabrikam" },
      ...["c-1", "c-2", "c-3"].map((connectionId) => ({ type: "select_provider", connectionId })),
    ];
    for (const command of commands) {
      const reply = await call("POST", `${path}/commands`, { body: command, ifMatch: etag });
      expect(reply.status, JSON.stringify(reply.body)).toBe(200);
      etag = reply.headers.get("etag") as string;
    }
    const seen: number[] = [];
    let next: string | null = `${path}/history?limit=2`;
    for (let pages = 0; next !== null && pages < 10; pages += 1) {
      const page = await call("GET", next);
      expect(page.status).toBe(200);
      DraftHistorySchema.parse(page.body);
      seen.push(...(page.body["events"] as { toVersion: number }[]).map((event) => event.toVersion));
      const link = page.headers.get("link");
      expect(link === null).toBe(page.body["nextCursor"] === null);
      next = link === null ? null : (/^<([^>]+)>; rel="next"$/.exec(link)?.[1] ?? "no link");
    }
    expect(seen).toEqual([1, 2, 3, 4, 5]);
    const latest = await call("GET", `${path}/history?order=newest_first&limit=1`);
    expect((latest.body["events"] as { toVersion: number }[]).map((event) => event.toVersion)).toEqual([5]);
    expect(latest.headers.get("link")).toContain("order=newest_first");
    expectProblem(await call("GET", `${path}/history?limit=0`), 422, "validation_failed");
    expectProblem(await call("GET", `${path}/history?limit=lots`), 422, "validation_failed");
    expectProblem(await call("GET", `${path}/history?order=sideways`), 422, "validation_failed");
    expectProblem(await call("GET", `${path}/history?cursor=not-a-cursor`), 422, "validation_failed");
    const cursor = latest.body["nextCursor"] as string;
    expectProblem(await call("GET", `${path}/history?cursor=${cursor}&order=oldest_first`), 422, "validation_failed");
  });

  it("answers every error path with problem details", async () => {
    const created = await call("POST", draftsPath(), {
      body: { identity: { tenantId: "tenant-2", displayName: "Fabrikam" } },
    });
    const draft = created.body["draft"] as OnboardingDraft;
    const path = `${draftsPath()}/${encodeURIComponent(draft.id)}`;
    const etag = created.headers.get("etag") as string;

    expectProblem(
      await call("POST", draftsPath(), { body: { identity: { tenantId: "tenant-2", displayName: "Again" } } }),
      409,
      "open_draft_exists",
    );
    const resumed = await call("POST", `${draftsPath()}?onExisting=resume`, {
      body: { identity: { tenantId: "tenant-2", displayName: "Again" } },
    });
    expect(resumed.status).toBe(200);
    expect(resumed.body).toMatchObject({ created: false, draft: { id: draft.id } });

    const weak = await call("POST", `${path}/commands`, { body: { type: "cancel" }, ifMatch: `W/${etag}` });
    expectProblem(weak, 412, "precondition_failed");
    expect(weak.body).toMatchObject({ reason: "weak_only", currentETag: etag });
    expectProblem(
      await call("POST", `${path}/commands`, {
        body: { type: "cancel" },
        ifMatch: formatETag({ id: "another", version: 1 }),
      }),
      412,
      "precondition_failed",
    );
    expectProblem(
      await call("POST", `${path}/commands`, { body: { type: "cancel" }, ifMatch: "not-quoted" }),
      400,
      "invalid_if_match",
    );
    expectProblem(
      await call("POST", `${path}/commands`, { rawBody: "{not json", ifMatch: etag }),
      400,
      "malformed_request",
    );
    const invalid = await call("POST", `${path}/commands`, { body: { type: "select_provider" }, ifMatch: etag });
    expectProblem(invalid, 422, "validation_failed");
    expect(invalid.body["issues"]).toEqual([expect.objectContaining({ path: ["connectionId"] })]);
    expectProblem(
      await call("POST", `${path}/commands`, { body: { type: "start_bootstrap", operations: ["x"] }, ifMatch: etag }),
      409,
      "invalid_transition",
    );
    expectProblem(
      await call("POST", `${path}/commands`, { body: { type: "activate" }, ifMatch: etag }),
      409,
      "not_ready",
    );
    expectProblem(
      await call("POST", `${path}/commands`, {
        body: { type: "record_verification_result", runId: "r", status: "running" },
      }),
      403,
      "forbidden",
    );
    expectProblem(await call("GET", `${draftsPath()}/does-not-exist`), 404, "draft_not_found");
    expectProblem(
      await call("GET", `/workspaces/other-${ws}/drafts/${encodeURIComponent(draft.id)}`),
      404,
      "draft_not_found",
    );
    expectProblem(await call("GET", `${draftsPath()}?state=bogus`), 422, "validation_failed");

    // Idempotency-Key: a retry replays, a different command with the same key is refused.
    const first = await call("POST", `${path}/commands`, {
      body: { type: "select_provider", connectionId: "c-1" },
      ifMatch: etag,
      key: "key-1",
    });
    expect(first.body).toMatchObject({ feedback: "applied", replayed: false });
    const retry = await call("POST", `${path}/commands`, {
      body: { type: "select_provider", connectionId: "c-1" },
      ifMatch: etag,
      key: "key-1",
    });
    expect(retry.body).toMatchObject({ feedback: "applied", replayed: true, version: 2 });
    const reused = await call("POST", `${path}/commands`, {
      body: { type: "select_provider", connectionId: "c-2" },
      ifMatch: first.headers.get("etag") as string,
      key: "key-1",
    });
    expectProblem(reused, 409, "idempotency_key_reuse");

    // If-Match: * writes against the current version
    const star = await call("POST", `${path}/commands`, { body: { type: "cancel", reason: "test" }, ifMatch: "*" });
    expect(star.body).toMatchObject({ feedback: "cancelled", state: "cancelled" });
    expect(serverErrors).toEqual([]);
  });

  it("shows run progress and lets an operator requeue a dead delivery (audited), by capability", async () => {
    // The demo directory's operators (operator, owner, auditor) and a dispatcher whose deliveries fail.
    const engine = createOnboardingEngine({ store, authorize: demoAuthorize() });
    const dispatcher = createDispatcher({
      store,
      deliver: () => Promise.reject(new Error("queue unreachable")),
      maxAttempts: 1,
    });
    const app = await listen(createApp({ engine, dispatcher, onServerError: (error) => serverErrors.push(error) }));
    const space = `ws-runs-${uniqueSuffix()}`;
    const get = async (path: string, actor: string, method = "GET"): Promise<Reply> => {
      const response = await fetch(`${app.url}${path}`, { method, headers: { "x-actor-id": actor } });
      return {
        status: response.status,
        headers: response.headers,
        body: (await response.json()) as Record<string, unknown>,
      };
    };
    try {
      const actor = { id: "operator" };
      const { draft } = await engine.create(
        space,
        { identity: { tenantId: "t-runs", displayName: "Runs" } },
        { actor },
      );
      const selected = await engine.execute(
        space,
        draft.id,
        { type: "select_provider", connectionId: "c-1" },
        { actor, expectedVersion: 1 },
      );
      const started = await engine.execute(
        space,
        draft.id,
        { type: "start_verification" },
        { actor, expectedVersion: selected.version },
      );
      const runId = started.runIds[0] as string;
      const runsPath = `/workspaces/${space}/drafts/${draft.id}/runs`;

      const before = await get(runsPath, "auditor");
      expect(before.status).toBe(200);
      expect(RunProgressListSchema.parse(before.body).runs).toEqual([
        { runId, reportedAt: null, message: null, percent: null },
      ]);
      await engine.execute(
        space,
        draft.id,
        { type: "record_verification_progress", runId, message: "Checking scopes", percent: 40 },
        { actor: { id: "worker-1" } },
      );
      const after = RunProgressListSchema.parse((await get(runsPath, "auditor")).body).runs;
      expect(after).toMatchObject([{ runId, message: "Checking scopes", percent: 40 }]);
      expectProblem(await get(runsPath, "stranger"), 403, "forbidden");

      // One failed delivery with maxAttempts 1: the entry is dead (so are the earlier tests' entries).
      const report = await dispatcher.runOnce();
      expect(report.claimed).toBeGreaterThanOrEqual(1);
      expect(report.dead).toBe(report.claimed);
      const deadPath = `/workspaces/${space}/deliveries/dead`;
      const dead = DeadDeliveriesSchema.parse((await get(deadPath, "auditor")).body);
      expect(dead.entries).toHaveLength(1);
      const entry = dead.entries[0];
      expect(entry).toMatchObject({
        runId,
        kind: "run.requested",
        status: "dead",
        attempts: 1,
        lastError: expect.stringContaining("queue unreachable"),
      });
      expectProblem(await get(deadPath, "stranger"), 403, "forbidden");
      expectProblem(await get(`${deadPath}?limit=0`, "auditor"), 422, "validation_failed");

      const requeuePath = `/workspaces/${space}/deliveries/${entry?.entryId ?? ""}/requeue`;
      expectProblem(await get(requeuePath, "auditor", "POST"), 403, "forbidden");
      const requeued = await get(requeuePath, "operator", "POST");
      expect(RequeueResponseSchema.parse(requeued.body)).toEqual({ requeued: true });
      expect((await get(requeuePath, "operator", "POST")).body).toEqual({ requeued: false }); // a second click
      expect(DeadDeliveriesSchema.parse((await get(deadPath, "auditor")).body).entries).toEqual([]);
      const trail = await engine.history(space, draft.id, { actor });
      expect(trail.entries.map((event) => event.kind)).toContain("delivery_requeued");
      expect(trail.entries.find((event) => event.kind === "delivery_requeued")).toMatchObject({ actorId: "operator" });
      expect(serverErrors).toEqual([]);
    } finally {
      await app.close();
    }
  });
});
