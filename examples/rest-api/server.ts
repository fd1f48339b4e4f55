/**
 * examples/rest-api — a REST API for onboarding drafts on Hono, with strong ETags, If-Match
 * preconditions and RFC 9457 problem details from `onboarding-lifecycle/http`, and a minimal
 * wizard page (public/). `createApp({ engine })` builds the app for any store; `main()` runs it
 * on the PostgreSQL adapter on 127.0.0.1.
 *
 * Routes (the logical contract of specs/openapi.json):
 *   GET  /workspaces/:ws/drafts?state=&limit=&cursor=   list (keyset pagination)
 *   POST /workspaces/:ws/drafts[?onExisting=resume]      create (201) or resume (200)
 *   GET  /workspaces/:ws/drafts/:id                      the draft, with ETag (If-None-Match → 304)
 *   GET  /workspaces/:ws/drafts/:id/view                 { etag, draft, view } for the wizard (describeDraft;
 *                                                        If-None-Match → 304 unless the view depends on the clock)
 *   POST /workspaces/:ws/drafts/:id/commands             one command (If-Match required for operator commands)
 *   GET  /workspaces/:ws/drafts/:id/history?limit=&cursor=&order=
 *                                                        one page of the audit trail (Link: rel="next")
 *   GET  /wizard, /wizard.js                             the wizard page
 *
 * Authentication is out of scope: the acting user is the `x-actor-id` header (default
 * `operator`). Replace `actorOf` with your own authentication.
 *
 * Run: `npx tsx examples/rest-api/server.ts` (DATABASE_URL, PORT, TABLE_PREFIX optional).
 */
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { serve, type ServerType } from "@hono/node-server";
import { Hono, type Context } from "hono";
import {
  LIFECYCLE_STATES,
  ValidationError,
  createOnboardingEngine,
  describeDraft,
  isLifecycleState,
  isWorkerCommand,
  parseCommand,
  type Actor,
  type OnboardingDraft,
  type OnboardingEngine,
} from "../../src/index.js";
import {
  MalformedRequestError,
  PreconditionFailedError,
  expectedVersionFromIfMatch,
  formatETag,
  notModified,
  problemResponse,
  type OnMissingIfMatch,
} from "../../src/http/index.js";

/** Options of {@link createApp}. */
export interface AppOptions {
  /** The engine (any store). */
  readonly engine: OnboardingEngine<Actor>;
  /** A mutation without If-Match: 428 (`require`, default) or last-writer-wins (`allow-current`). */
  readonly onMissingIfMatch?: OnMissingIfMatch;
  /** Base of problem `type` URIs. */
  readonly problemTypeBase?: string;
  /** Who is acting. Default: the `x-actor-id` header, else `operator` (demo only). */
  readonly actorOf?: (c: Context) => Actor;
  /** Called with every error that became a 5xx problem (log it). Default `console.error`. */
  readonly onServerError?: (error: unknown) => void;
}

type Env = { Variables: { ifMatchUsed: boolean } };

const PUBLIC_DIR = fileURLToPath(new URL("./public/", import.meta.url));

/** Builds the Hono app. */
export function createApp(options: AppOptions): Hono<Env> {
  const { engine } = options;
  const onMissing = options.onMissingIfMatch ?? "require";
  const actorOf = options.actorOf ?? ((c: Context) => ({ id: c.req.header("x-actor-id") ?? "operator" }));
  const onServerError = options.onServerError ?? ((error: unknown) => console.error(error));
  const app = new Hono<Env>();

  app.onError((error, c) => {
    const response = problemResponse(error, {
      ifMatchUsed: c.get("ifMatchUsed") === true,
      instance: c.req.path,
      ...(options.problemTypeBase === undefined ? {} : { typeBase: options.problemTypeBase }),
    });
    if (response.status >= 500) onServerError(error);
    return new Response(response.body, { status: response.status, headers: response.headers });
  });

  const json = (body: unknown, status: number, draft?: OnboardingDraft, extra: Record<string, string> = {}): Response =>
    new Response(JSON.stringify(body), {
      status,
      headers: {
        "content-type": "application/json",
        "cache-control": "no-store",
        ...(draft === undefined ? {} : { etag: formatETag(draft) }),
        ...extra,
      },
    });

  /** 304 for a conditional GET whose If-None-Match matched: the validator, no body. */
  const notModifiedResponse = (draft: OnboardingDraft): Response =>
    new Response(null, { status: 304, headers: { "cache-control": "no-store", etag: formatETag(draft) } });

  app.get("/workspaces/:ws/drafts", async (c) => {
    const state = c.req.query("state");
    const limitText = c.req.query("limit");
    const cursor = c.req.query("cursor");
    if (state !== undefined && !isLifecycleState(state)) {
      throw new ValidationError("options", [
        { code: "invalid_value", path: ["state"], message: `state must be one of ${LIFECYCLE_STATES.join(", ")}` },
      ]);
    }
    const limit = limitText === undefined ? undefined : /^[0-9]{1,3}$/.test(limitText) ? Number(limitText) : Number.NaN;
    const page = await engine.list(c.req.param("ws"), {
      actor: actorOf(c),
      ...(state === undefined ? {} : { state: state }),
      ...(limit === undefined ? {} : { limit }),
      ...(cursor === undefined ? {} : { cursor }),
    });
    return json(page, 200);
  });

  app.post("/workspaces/:ws/drafts", async (c) => {
    const ws = c.req.param("ws");
    const body = await readJson(c, {});
    const onExisting = c.req.query("onExisting");
    if (onExisting !== undefined && onExisting !== "resume" && onExisting !== "error") {
      throw new ValidationError("options", [
        { code: "invalid_value", path: ["onExisting"], message: 'onExisting must be "resume" or "error"' },
      ]);
    }
    const key = c.req.header("idempotency-key");
    const result = await engine.create(ws, body, {
      actor: actorOf(c),
      ...(onExisting === undefined ? {} : { onExisting }),
      ...(key === undefined ? {} : { idempotencyKey: key }),
    });
    const location = `/workspaces/${encodeURIComponent(ws)}/drafts/${encodeURIComponent(result.draft.id)}`;
    return json(
      { draft: result.draft, created: result.created, replayed: result.replayed },
      result.created ? 201 : 200,
      result.draft,
      { location },
    );
  });

  app.get("/workspaces/:ws/drafts/:id", async (c) => {
    const draft = await engine.get(c.req.param("ws"), c.req.param("id"), { actor: actorOf(c) });
    if (notModified(c.req.header("if-none-match"), draft)) return notModifiedResponse(draft);
    return json(draft, 200, draft);
  });

  app.get("/workspaces/:ws/drafts/:id/view", async (c) => {
    const draft = await engine.get(c.req.param("ws"), c.req.param("id"), { actor: actorOf(c) });
    // The view is a function of the draft (its version) and the query, except when the policy
    // ages verifications: then it also depends on the clock, so the draft's ETag does not
    // identify it and the route never answers 304 (nor sends an ETag header).
    const conditional = engine.policy.verificationMaxAgeMs === undefined;
    if (conditional && notModified(c.req.header("if-none-match"), draft)) return notModifiedResponse(draft);
    const poll = c.req.query("pollIntervalMs");
    const pollIntervalMs = poll !== undefined && /^[0-9]{2,6}$/.test(poll) ? Math.max(50, Number(poll)) : undefined;
    const view = describeDraft(draft, {
      policy: engine.policy,
      now: Date.now(),
      runUrl: (runId) => `/runs/${encodeURIComponent(runId)}`,
      ...(pollIntervalMs === undefined ? {} : { pollIntervalMs }),
    });
    return json({ etag: formatETag(draft), draft, view }, 200, conditional ? draft : undefined);
  });

  app.get("/workspaces/:ws/drafts/:id/history", async (c) => {
    const limitText = c.req.query("limit");
    const cursor = c.req.query("cursor");
    const order = c.req.query("order");
    if (order !== undefined && order !== "oldest_first" && order !== "newest_first") {
      throw new ValidationError("options", [
        { code: "invalid_value", path: ["order"], message: 'order must be "oldest_first" or "newest_first"' },
      ]);
    }
    // The engine checks the range (1..1000) and the cursor; text that is no number is NaN to it.
    const limit = limitText === undefined ? undefined : /^[0-9]{1,4}$/.test(limitText) ? Number(limitText) : Number.NaN;
    const page = await engine.history(c.req.param("ws"), c.req.param("id"), {
      actor: actorOf(c),
      ...(limit === undefined ? {} : { limit }),
      ...(cursor === undefined ? {} : { cursor }),
      ...(order === undefined ? {} : { order }),
    });
    const body = { events: page.entries, nextCursor: page.nextCursor, endCursor: page.endCursor };
    if (page.nextCursor === null) return json(body, 200);
    // RFC 8288: the next page keeps the query, with the new cursor (it carries the order).
    const next = new URL(c.req.url);
    next.searchParams.set("cursor", page.nextCursor);
    return json(body, 200, undefined, { link: `<${next.pathname}${next.search}>; rel="next"` });
  });

  app.post("/workspaces/:ws/drafts/:id/commands", async (c) => {
    const ws = c.req.param("ws");
    const id = c.req.param("id");
    const actor = actorOf(c);
    const command = parseCommand(await readJson(c, undefined));
    const key = c.req.header("idempotency-key");
    const common = { actor, ...(key === undefined ? {} : { idempotencyKey: key }) };
    if (isWorkerCommand(command)) {
      // Worker reports are matched by runId and retried on conflict: no If-Match needed (ignored).
      const result = await engine.execute(ws, id, command, common);
      return json(mutation(result), 200, result.draft);
    }
    let precondition;
    try {
      precondition = expectedVersionFromIfMatch(c.req.header("if-match"), { id }, { onMissing });
    } catch (error) {
      // No usable tag: answer with the current ETag so the client can reload.
      if (error instanceof PreconditionFailedError) {
        const current = await engine.get(ws, id, { actor });
        throw new PreconditionFailedError(id, current.version, error.reason);
      }
      throw error;
    }
    c.set("ifMatchUsed", precondition.ifMatchUsed);
    const expectedVersion = precondition.expectedVersion ?? (await engine.get(ws, id, { actor })).version;
    const result = await engine.execute(ws, id, command, { ...common, expectedVersion });
    return json(mutation(result), 200, result.draft);
  });

  app.get("/wizard", () => staticFile("index.html", "text/html; charset=utf-8"));
  app.get("/wizard.js", () => staticFile("wizard.js", "text/javascript; charset=utf-8"));

  return app;
}

function mutation(result: Awaited<ReturnType<OnboardingEngine["execute"]>>) {
  return {
    draft: result.draft,
    version: result.version,
    state: result.state,
    feedback: result.feedback,
    runIds: result.runIds,
    replayed: result.replayed,
  };
}

async function readJson(c: Context, empty: unknown): Promise<unknown> {
  const text = await c.req.text();
  if (text.trim() === "") return empty;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new MalformedRequestError("The request body is not valid JSON");
  }
}

async function staticFile(name: string, contentType: string): Promise<Response> {
  const body = await readFile(`${PUBLIC_DIR}${name}`, "utf8");
  return new Response(body, { status: 200, headers: { "content-type": contentType, "cache-control": "no-store" } });
}

/** A running server. */
export interface RunningServer {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** The port it listens on. */
  readonly port: number;
  /** Stops listening and closes open connections. */
  close(): Promise<void>;
}

/** Serves `app` on 127.0.0.1 (`port` 0 = a random free port). */
export function listen(app: Hono<Env>, port = 0): Promise<RunningServer> {
  return new Promise((resolve, reject) => {
    let server: ServerType | undefined;
    try {
      server = serve({ fetch: app.fetch, hostname: "127.0.0.1", port }, (info) => {
        const running = server as ServerType & { closeAllConnections?: () => void };
        resolve({
          url: `http://127.0.0.1:${info.port}`,
          port: info.port,
          close: () =>
            new Promise<void>((done, fail) => {
              running.close((error?: Error) => (error ? fail(error) : done()));
              running.closeAllConnections?.();
            }),
        });
      });
      server.on("error", reject);
    } catch (error) {
      reject(error instanceof Error ? error : new Error(String(error)));
    }
  });
}

/**
 * Runs the API on PostgreSQL: migrates the tables, then listens on 127.0.0.1:$PORT (default 3000).
 * The demo authorization lets everybody do everything except overriding readiness (actor
 * `owner` only) and reporting run results (actors whose id starts with `worker`).
 */
export async function main(): Promise<RunningServer> {
  const { createPostgresStore } = await import("../../src/adapters/postgres/index.js");
  const store = createPostgresStore({
    connection: process.env["DATABASE_URL"] ?? "postgres://postgres@127.0.0.1:5432/test",
    tablePrefix: process.env["TABLE_PREFIX"] ?? "onboarding_",
  });
  await store.migrate();
  const engine = createOnboardingEngine({
    store,
    authorize: (actor, capability) =>
      capability === "record_result"
        ? actor.id.startsWith("worker")
        : capability !== "override_readiness" || actor.id === "owner",
  });
  const server = await listen(createApp({ engine }), Number(process.env["PORT"] ?? 3000));
  console.log(`onboarding REST API on ${server.url} (wizard: ${server.url}/wizard?ws=<workspace>&draft=<id>)`);
  const stop = (): void => {
    void server.close().then(() => store.close());
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  return server;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
