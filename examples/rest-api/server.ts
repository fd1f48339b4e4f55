/**
 * examples/rest-api — a REST API for onboarding drafts on Hono, with strong ETags, If-Match
 * preconditions and RFC 9457 problem details from `onboarding-lifecycle/http`, and the wizard
 * page operators use (page/, public/; see wizard-routes.ts). `createApp({ engine })` builds the
 * app for any store; `main()` runs it on PostgreSQL (or a SQLite file) on 127.0.0.1.
 *
 * Routes (the logical contract of specs/openapi.json):
 *   GET  /workspaces/:ws/drafts?state=&limit=&cursor=   list (keyset pagination)
 *   POST /workspaces/:ws/drafts[?onExisting=resume]      create (201) or resume (200)
 *   GET  /workspaces/:ws/drafts/:id                      the draft, with ETag (If-None-Match → 304)
 *   GET  /workspaces/:ws/drafts/:id/view                 { etag, draft, view } for the wizard (describeDraft,
 *                                                        with the workers' progress while a run is active;
 *                                                        If-None-Match → 304 unless the view depends on the
 *                                                        clock or on progress)
 *   POST /workspaces/:ws/drafts/:id/commands             one command (If-Match required for operator commands)
 *   GET  /workspaces/:ws/drafts/:id/history?limit=&cursor=&order=
 *                                                        one page of the audit trail (Link: rel="next")
 *   GET  /workspaces/:ws/drafts/:id/runs                 each run's last progress report (heartbeats)
 *   GET  /workspaces/:ws/deliveries/dead?limit=&cursor=  outbox entries the dispatcher gave up on
 *   POST /workspaces/:ws/deliveries/:entryId/requeue     sends a dead entry again (audited on its draft)
 * The wizard's own routes (not part of the contract): GET /wizard, /wizard/run, /wizard/session,
 * /wizard/assets/* (wizard-routes.ts).
 *
 * Authentication is out of scope: the acting user is the `x-actor-id` header (default
 * `operator`), and operators.ts says what each demo user may do. Replace `actorOf` and
 * `demoAuthorize` with your own authentication and roles.
 *
 * Run: `npx tsx examples/rest-api/server.ts` (DATABASE_URL, PORT, TABLE_PREFIX optional), and a
 * worker beside it: `npx tsx examples/rest-api/worker.ts` (see worker.ts).
 */
import { fileURLToPath } from "node:url";
import { serve, type ServerType } from "@hono/node-server";
import { Hono, type Context } from "hono";
import {
  AuthorizationError,
  LIFECYCLE_STATES,
  ValidationError,
  createDispatcher,
  createOnboardingEngine,
  describeDraft,
  isLifecycleState,
  isWorkerCommand,
  parseCommand,
  type Actor,
  type Capability,
  type Dispatcher,
  type DraftView,
  type OnboardingDraft,
  type OnboardingEngine,
  type RunProgress,
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
import { DEMO_OPERATORS, capabilitiesOf, demoAuthorize, type DemoOperator } from "./operators.js";
import { openStore } from "./store.js";
import { DEFAULT_BOOTSTRAP_OPERATIONS, wizardRoutes, wizardRunUrl } from "./wizard-routes.js";

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
  /**
   * The operators the wizard's picker offers and what each may do (default `DEMO_OPERATORS`).
   * A function, read on every request, so it can change while pages are open. Give the engine
   * `demoAuthorize` over the same directory.
   */
  readonly operators?: () => readonly DemoOperator[];
  /** The bootstrap operations the wizard offers (default `create_admin_group`, `assign_baseline_policies`). */
  readonly bootstrapOperations?: readonly string[];
  /**
   * Serves the dead-delivery routes (list, requeue) with this dispatcher's admin methods (it
   * need not be started: they only use its store). Without it those routes answer 404.
   */
  readonly dispatcher?: Pick<Dispatcher, "listDead" | "requeue">;
}

type Env = { Variables: { ifMatchUsed: boolean } };

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
    const ws = c.req.param("ws");
    const actor = actorOf(c);
    const draft = await engine.get(ws, c.req.param("id"), { actor });
    const poll = c.req.query("pollIntervalMs");
    const pollIntervalMs = poll !== undefined && /^[0-9]{2,6}$/.test(poll) ? Math.max(50, Number(poll)) : undefined;
    // Heartbeats live beside the record: read them only while a run is active (the only time
    // describeDraft shows them).
    const active = draft.lifecycle.state === "verifying" || draft.lifecycle.state === "bootstrapping";
    const progress: readonly RunProgress[] = active ? await engine.runProgress(ws, draft.id, { actor }) : [];
    const view = describeDraft(draft, {
      policy: engine.policy,
      now: Date.now(),
      runUrl: (runId) => wizardRunUrl(ws, draft.id, runId),
      progress,
      ...(pollIntervalMs === undefined ? {} : { pollIntervalMs }),
    });
    // The view is a function of the draft (its version) and the query, except when the policy
    // ages verifications (then it depends on the clock) or a worker has reported progress on an
    // active run (heartbeats never bump the version): then the draft's ETag does not identify
    // the view, and the route never answers 304 (nor sends an ETag header).
    const conditional = engine.policy.verificationMaxAgeMs === undefined && !showsProgress(view);
    if (conditional && notModified(c.req.header("if-none-match"), draft)) return notModifiedResponse(draft);
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

  runRoutes(app, { ...options, actorOf });

  app.route(
    "/wizard",
    wizardRoutes({
      actorOf,
      operators: options.operators ?? (() => DEMO_OPERATORS),
      bootstrapOperations: options.bootstrapOperations ?? DEFAULT_BOOTSTRAP_OPERATIONS,
    }),
  );

  return app;
}

/**
 * The operators' view of background runs: progress per run, and the deliveries the dispatcher
 * parked as dead with a way to send one again. Listing needs `view`; a requeue starts the run's
 * job again, so it needs both `verify` and `bootstrap` (the entry id does not say which it is).
 */
function runRoutes(app: Hono<Env>, options: AppOptions & { actorOf: (c: Context) => Actor }): void {
  const { engine, actorOf, dispatcher } = options;
  const operators = options.operators ?? (() => DEMO_OPERATORS);
  const need = (actor: Actor, capabilities: readonly Capability[]): void => {
    const held = capabilitiesOf(operators(), actor.id);
    const missing = capabilities.find((capability) => !held.includes(capability));
    if (missing !== undefined) throw new AuthorizationError(missing, actor.id, null);
  };
  const reply = (body: unknown): Response =>
    new Response(JSON.stringify(body), {
      status: 200,
      headers: { "content-type": "application/json", "cache-control": "no-store" },
    });

  app.get("/workspaces/:ws/drafts/:id/runs", async (c) => {
    const runs = await engine.runProgress(c.req.param("ws"), c.req.param("id"), { actor: actorOf(c) });
    return reply({ runs });
  });
  if (dispatcher === undefined) return;

  app.get("/workspaces/:ws/deliveries/dead", async (c) => {
    need(actorOf(c), ["view"]);
    const limitText = c.req.query("limit");
    // The dispatcher checks the range (1..500) and the cursor; text that is no number is NaN to it.
    const limit = limitText === undefined ? undefined : /^[0-9]{1,4}$/.test(limitText) ? Number(limitText) : Number.NaN;
    const cursor = c.req.query("cursor");
    const page = await dispatcher.listDead({
      workspaceId: c.req.param("ws"),
      ...(limit === undefined ? {} : { limit }),
      ...(cursor === undefined ? {} : { cursor }),
    });
    return reply({ entries: page.entries, nextCursor: page.nextCursor });
  });

  app.post("/workspaces/:ws/deliveries/:entryId/requeue", async (c) => {
    const actor = actorOf(c);
    need(actor, ["verify", "bootstrap"]);
    const ref = { workspaceId: c.req.param("ws"), entryId: c.req.param("entryId"), actorId: actor.id };
    // false: the entry is not dead (already requeued, delivered, or not there); nothing changed.
    return reply({ requeued: await dispatcher.requeue(ref) });
  });
}

/** Whether a view shows a worker's progress report (which changes without a new version). */
function showsProgress(view: DraftView): boolean {
  return view.checkpoints.some((checkpoint) => checkpoint.runs.some((run) => run.progress?.reportedAt != null));
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
 * Runs the API on PostgreSQL (`DATABASE_URL`, default the local test database) or on a SQLite
 * file (`DATABASE_URL=file:/path/to/onboarding.db`): migrates the tables, then listens on
 * 127.0.0.1:$PORT (default 3000). Authorization is the demo directory of operators.ts: Omar
 * Operator does the onboarding, Olivia Owner may also override readiness, Ava Auditor only
 * reads, and `worker*` actors report run results. Start `worker.ts` beside it to run the runs.
 */
export async function main(): Promise<RunningServer> {
  const store = await openStore(process.env["DATABASE_URL"], process.env["TABLE_PREFIX"] ?? "onboarding_");
  const engine = createOnboardingEngine({ store, authorize: demoAuthorize() });
  // Never started: only its listDead / requeue serve the operators' routes (worker.ts delivers).
  const dispatcher = createDispatcher({
    store,
    deliver: () => Promise.reject(new Error("the API process does not deliver: run worker.ts")),
  });
  const server = await listen(createApp({ engine, dispatcher }), Number(process.env["PORT"] ?? 3000));
  console.log(`onboarding REST API on ${server.url}; the wizard: ${server.url}/wizard`);
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
