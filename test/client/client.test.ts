/**
 * Unit tests of `onboarding-lifecycle/client` against a scripted fetch (./fake-fetch.ts) that
 * answers as the example server does (ETags from formatETag, problems from problemResponse,
 * views from describeDraft): ETags kept per draft and sent as If-Match / If-None-Match; every
 * problem code back to its error class with its data; a conflict carrying the reloaded draft;
 * one idempotency key per action across retries and repeats; retry backoff and Retry-After;
 * the watch's polling interval from the stage hint, backoff and recovery, terminal stop; abort.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  AuthorizationError,
  ConfigurationError,
  SchemaVersionError,
  CorruptRecordError,
  DraftNotFoundError,
  IdempotencyKeyReuseError,
  InvalidTransitionError,
  NotReadyError,
  OnboardingError,
  OpenDraftExistsError,
  RetryExhaustedError,
  RunActiveError,
  StoreError,
  TerminalDraftError,
  UnknownRunError,
  ValidationError,
  VersionConflictError,
  isOnboardingError,
  type OnboardingDraft,
} from "../../src/index.js";
import {
  InvalidIfMatchError,
  MalformedRequestError,
  PROBLEM_CATALOG,
  PreconditionFailedError,
  PreconditionRequiredError,
  formatETag,
  problemResponse,
} from "../../src/http/index.js";
import {
  NetworkError,
  ResponseError,
  createOnboardingClient,
  type DraftSnapshot,
  type OnboardingClientOptions,
  type WatchStatus,
} from "../../src/client/index.js";
import { bootstrapOf, connected, draftWith, IDENTITY, run, verification, verified } from "../core/fixtures.js";
import {
  BASE,
  WS,
  draftReply,
  fakeFetch,
  json,
  mutationReply,
  networkDown,
  notModified,
  problemReply,
  viewReply,
  type Answer,
  type FakeFetch,
  type Sent,
} from "./fake-fetch.js";

function clientOf(fake: FakeFetch, options: Partial<OnboardingClientOptions> = {}) {
  let keys = 0;
  return createOnboardingClient({
    baseUrl: BASE,
    workspaceId: WS,
    fetch: fake.fetch,
    backoff: { baseMs: 1, maxMs: 2 },
    idempotencyKey: () => `key-${++keys}`,
    ...options,
  });
}

const at = (draft: OnboardingDraft, version: number, id = draft.id): OnboardingDraft => ({ ...draft, id, version });
const path = (request: Sent): string => new URL(request.url).pathname + new URL(request.url).search;

/** Captures what a promise rejects with. */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected a rejection");
}

describe("client: ETags per draft", () => {
  it("keeps each draft's ETag and sends it as If-Match, then the mutation's new one", async () => {
    const d1 = at(connected(), 3, "d1");
    const d2 = at(connected(), 7, "d2");
    const fake = fakeFetch((request) => {
      const p = path(request);
      if (p.endsWith("/d1")) return draftReply(d1);
      if (p.endsWith("/d2")) return draftReply(d2);
      if (p.endsWith("/d1/commands")) return mutationReply(at(d1, 4));
      return mutationReply(at(d2, 8));
    });
    const client = clientOf(fake);
    await client.get("d1");
    await client.get("d2");
    expect(client.etagOf("d1")).toBe(formatETag(d1));
    expect(client.etagOf("d2")).toBe(formatETag(d2));
    await client.execute("d2", { type: "start_verification" });
    await client.execute("d1", { type: "start_verification" });
    await client.execute("d1", { type: "cancel", reason: "done" });
    const ifMatch = fake.to("/commands").map((r) => [new URL(r.url).pathname.split("/")[4], r.headers["if-match"]]);
    expect(ifMatch).toEqual([
      ["d2", formatETag(d2)],
      ["d1", formatETag(d1)],
      ["d1", formatETag(at(d1, 4))],
    ]);
    expect(fake.to("/commands")[0]?.body).toEqual({ type: "start_verification" });
    expect(fake.to("/commands")[0]?.headers["content-type"]).toBe("application/json");
  });

  it("sends no If-Match for a draft it never saw, so the server's 428 says to read it first", async () => {
    const fake = fakeFetch(() => problemReply(new PreconditionRequiredError("d9")));
    const error = await rejection(clientOf(fake).execute("d9", { type: "start_verification" }));
    expect(fake.sent[0]?.headers["if-match"]).toBeUndefined();
    expect(error).toBeInstanceOf(PreconditionRequiredError);
  });

  it("sends the ETag a caller pins (options.etag) instead of the newest one", async () => {
    const d1 = at(connected(), 5, "d1");
    const fake = fakeFetch((request) => (request.method === "GET" ? draftReply(d1) : mutationReply(at(d1, 6))));
    const client = clientOf(fake);
    await client.get("d1");
    await client.execute("d1", { type: "start_verification" }, { etag: formatETag(at(d1, 2)) });
    expect(fake.to("/commands")[0]?.headers["if-match"]).toBe(formatETag(at(d1, 2)));
  });

  it("reads conditionally: If-None-Match with the known ETag, and a 304 gives back the known draft", async () => {
    const d1 = at(connected(), 2, "d1");
    const fake = fakeFetch((_, index) => (index === 0 ? draftReply(d1) : notModified(d1)));
    const client = clientOf(fake);
    const first = await client.get("d1");
    const second = await client.get("d1");
    expect(fake.sent[0]?.headers["if-none-match"]).toBeUndefined();
    expect(fake.sent[1]?.headers["if-none-match"]).toBe(formatETag(d1));
    expect(second).toBe(first);
  });

  it("never goes back to an older version's ETag when answers arrive out of order", async () => {
    const d1 = at(connected(), 2, "d1");
    const fake = fakeFetch((request) => (request.method === "POST" ? mutationReply(at(d1, 3)) : draftReply(d1)));
    const client = clientOf(fake);
    await client.execute("d1", { type: "start_verification" }, { etag: formatETag(d1) });
    await client.get("d1"); // a read that was sent before the write and answered after it
    expect(client.etagOf("d1")).toBe(formatETag(at(d1, 3)));
  });

  it("takes a view's ETag from its body, not from a header a proxy weakened", async () => {
    const d1 = at(verified(), 4, "d1");
    const strong = formatETag(d1);
    const fake = fakeFetch(() => json({ etag: strong, draft: d1, view: {} }, 200, { etag: `W/${strong}` }));
    const client = clientOf(fake);
    await client.view("d1");
    expect(client.etagOf("d1")).toBe(strong);
  });

  it("builds URLs from the base, the workspace and the draft id, encoded", async () => {
    const odd = at(connected(), 1, "a/b c");
    const fake = fakeFetch(() => draftReply(odd));
    const client = createOnboardingClient({ baseUrl: `${BASE}/api/`, workspaceId: "w s", fetch: fake.fetch });
    await client.get("a/b c");
    await client.list({ state: "draft", limit: 5, cursor: "c1" });
    expect(fake.sent.map(path)).toEqual([
      "/api/workspaces/w%20s/drafts/a%2Fb%20c",
      "/api/workspaces/w%20s/drafts?state=draft&limit=5&cursor=c1",
    ]);
  });

  it("asks for one page of the history, with the page's query only when given", async () => {
    const page = { events: [], nextCursor: null, endCursor: "end-1" };
    const fake = fakeFetch(() => json(page));
    const client = clientOf(fake);
    expect(await client.history("d1")).toEqual(page);
    await client.history("d1", { limit: 5, cursor: "c/1", order: "newest_first" });
    await client.history("d1", { cursor: null });
    expect(fake.sent.map(path)).toEqual([
      `/workspaces/${WS}/drafts/d1/history`,
      `/workspaces/${WS}/drafts/d1/history?limit=5&cursor=c%2F1&order=newest_first`,
      `/workspaces/${WS}/drafts/d1/history`,
    ]);
  });

  it("asks for the contract's pollIntervalMs on the view when given", async () => {
    const d1 = at(verified(), 1, "d1");
    const fake = fakeFetch(() => viewReply(d1));
    await clientOf(fake).view("d1", { pollIntervalMs: 250 });
    expect(fake.sent.map(path)).toEqual([`/workspaces/${WS}/drafts/d1/view?pollIntervalMs=250`]);
  });

  it("sends the caller's headers, static or from an async function per request", async () => {
    const d1 = at(connected(), 1, "d1");
    const fake = fakeFetch(() => draftReply(d1));
    let token = 0;
    const client = clientOf(fake, { headers: async () => ({ authorization: `Bearer ${++token}` }) });
    await client.get("d1");
    await client.get("d1");
    expect(fake.sent.map((r) => r.headers["authorization"])).toEqual(["Bearer 1", "Bearer 2"]);
    const fixed = clientOf(fake, { headers: { "x-actor-id": "operator" } });
    await fixed.history("d1").catch(() => undefined);
    expect(fake.sent.at(-1)?.headers["x-actor-id"]).toBe("operator");
  });
});

/** One server-side error per problem code (version_conflict and internal_error have tests of their own). */
const SERVER_ERRORS: readonly OnboardingError[] = [
  new ValidationError("command", [{ code: "invalid_type", path: ["identity", "displayName"], message: "Required" }]),
  new TerminalDraftError("d1", "completed", "identify"),
  new NotReadyError(
    "d1",
    [{ code: "verification_warnings", checkpoint: "verify_access", overridable: true, message: "Warnings" }],
    true,
  ),
  new AuthorizationError("override_readiness", "operator-7", "d1"),
  new DraftNotFoundError(WS, "d1"),
  new UnknownRunError("d1", "r-9", "record_verification_result"),
  new RunActiveError("d1", "start_verification", ["r-1"]),
  new IdempotencyKeyReuseError("k-1", "d0", "identify"),
  new InvalidTransitionError("d1", "start_bootstrap", "draft", "verification_succeeded"),
  new OpenDraftExistsError(WS, "t-1", "d0"),
  new RetryExhaustedError("d1", 5),
  new CorruptRecordError([{ code: "invalid_type", path: ["version"], message: "Expected number" }], "d1"),
  new StoreError("postgres", "commit", new Error("ECONNRESET 10.0.0.5")),
  new ConfigurationError("policy", "verificationMaxAgeMs needs a clock"),
  new SchemaVersionError(
    { adapter: "postgres", tablePrefix: "app_", reason: "newer_than_package", current: 9, latest: 5 },
    "schema 9 is newer than this package (5)",
  ),
  new PreconditionRequiredError("d1"),
  new PreconditionFailedError("d1", 3, "weak_only"),
  new InvalidIfMatchError("entity tags must be quoted"),
  new MalformedRequestError("The request body is not valid JSON"),
];
const ENVELOPE = new Set(["type", "title", "status", "detail", "instance", "code"]);

describe("client: problem details back to the package's errors", () => {
  it("covers every problem code of the contract", () => {
    const codes = new Set([...SERVER_ERRORS.map((e) => e.code), "version_conflict", "internal_error"]);
    expect([...codes].sort()).toEqual(Object.keys(PROBLEM_CATALOG).sort());
  });

  for (const serverError of SERVER_ERRORS) {
    it(`${serverError.code} -> ${serverError.name}, with the problem's data and detail`, async () => {
      const { problem } = problemResponse(serverError, { instance: "/x" });
      const fake = fakeFetch(() => problemReply(serverError, { instance: "/x" }));
      const error = await rejection(clientOf(fake, { retries: 0 }).get("d1"));
      expect(error).toBeInstanceOf(serverError.constructor);
      expect(error).toBeInstanceOf(OnboardingError);
      expect(isOnboardingError(error)).toBe(true);
      const rebuilt = error as OnboardingError & Record<string, unknown>;
      expect(rebuilt.code).toBe(serverError.code);
      expect(rebuilt.name).toBe(serverError.name);
      expect(rebuilt.message).toBe(problem.detail);
      const data = Object.entries(problem).filter(([key]) => !ENVELOPE.has(key));
      for (const [key, value] of data) expect(rebuilt[key], key).toEqual(value);
      // Nothing the server kept to itself appears (a driver message, the denied actor's id).
      expect(JSON.stringify(rebuilt.toJSON())).not.toMatch(/ECONNRESET|operator-7/);
    });
  }

  it("matches by class, so an app switches on instanceof as on the server", async () => {
    const blockers = [
      { code: "verification_failed", checkpoint: "verify_access", overridable: false, message: "Failed" },
    ] as const;
    const fake = fakeFetch(() => problemReply(new NotReadyError("d1", blockers, false)));
    const error = await rejection(clientOf(fake).execute("d1", { type: "activate" }));
    if (!(error instanceof NotReadyError)) throw new Error("expected NotReadyError");
    expect(error.blockers.map((b) => b.code)).toEqual(["verification_failed"]);
    expect(error.overridable).toBe(false);
    expect(error).not.toBeInstanceOf(VersionConflictError);
  });

  it("internal_error, unknown codes and bodies that are not problems are ResponseErrors", async () => {
    const answers: Answer[] = [
      problemReply(new TypeError("boom")),
      json({ code: "from_the_future", detail: "New" }, 409),
      new Response("<html>Bad gateway</html>", { status: 502 }),
      new Response("not json", { status: 200 }),
    ];
    const fake = fakeFetch((_, index) => answers[index] ?? networkDown());
    const client = clientOf(fake, { retries: 0 });
    const errors = [];
    for (let i = 0; i < answers.length; i += 1) errors.push(await rejection(client.get("d1")));
    expect(errors.map((e) => e instanceof ResponseError && [e.status, e.code])).toEqual([
      [500, "internal_error"],
      [409, "from_the_future"],
      [502, "unexpected_response"],
      [200, "unexpected_response"],
    ]);
    expect(errors.some((e) => e instanceof OnboardingError)).toBe(false);
    expect((errors[0] as ResponseError).message).not.toMatch(/boom/);
  });
});

describe("client: a stale write", () => {
  it("rejects with VersionConflictError carrying the reloaded current draft, whose ETag it then keeps", async () => {
    const seen = at(connected(), 1, "d1");
    const current = { ...at(connected(), 2, "d1"), identity: { ...IDENTITY, displayName: "Changed" } };
    const changedBy = { actorId: "operator-2", commandType: "identify", worker: false };
    const fake = fakeFetch((request, index) => {
      if (index === 0) return draftReply(seen);
      if (request.method === "POST")
        return problemReply(new VersionConflictError(1, current, changedBy), { ifMatchUsed: true });
      return draftReply(current);
    });
    const client = clientOf(fake);
    await client.get("d1");
    const error = await rejection(client.execute("d1", { type: "identify", ...IDENTITY, displayName: "Mine" }));
    if (!(error instanceof VersionConflictError)) throw new Error(`expected a conflict, got ${String(error)}`);
    expect(error.current).toEqual(current);
    expect(error.expectedVersion).toBe(1);
    expect(error.actualVersion).toBe(2);
    expect(error.changedBy).toEqual(changedBy);
    expect(error.code).toBe("version_conflict");
    expect(error).toBeInstanceOf(OnboardingError);
    // The reload was conditional on the stale tag, and the current tag is now the one to send.
    expect(fake.sent.map((r) => r.method)).toEqual(["GET", "POST", "GET"]);
    expect(fake.sent[2]?.headers["if-none-match"]).toBe(formatETag(seen));
    expect(client.etagOf("d1")).toBe(formatETag(current));
  });

  it("has a watch of the draft read it again, so the page shows the version the write missed", async () => {
    let current = at(verified(), 1, "d1");
    const fake = fakeFetch((request) => {
      if (request.method === "POST") {
        current = at(verified(), 2, "d1");
        return problemReply(new VersionConflictError(1, current, null), { ifMatchUsed: true });
      }
      return path(request).endsWith("/view") ? viewReply(current) : draftReply(current);
    });
    const client = clientOf(fake);
    const versions: number[] = [];
    const watch = client.watch("d1", { onChange: (s) => versions.push(s.draft.version) });
    await vi.waitFor(() => expect(versions).toEqual([1]));
    await rejection(client.execute("d1", { type: "start_bootstrap", operations: ["sync"] }));
    await vi.waitFor(() => expect(versions).toEqual([1, 2]));
    watch.stop();
    await watch.done;
  });

  it("rejects with the reload's error when the current draft cannot be read", async () => {
    const seen = at(connected(), 1, "d1");
    const fake = fakeFetch((request, index) => {
      if (index === 0) return draftReply(seen);
      if (request.method === "POST")
        return problemReply(new VersionConflictError(1, at(seen, 2), null), { ifMatchUsed: true });
      return problemReply(new AuthorizationError("view", "u", "d1"));
    });
    const client = clientOf(fake);
    await client.get("d1");
    expect(await rejection(client.execute("d1", { type: "start_verification" }))).toBeInstanceOf(AuthorizationError);
  });
});

describe("client: idempotency keys", () => {
  const d1 = at(connected(), 1, "d1");
  const keysOf = (fake: FakeFetch): (string | undefined)[] =>
    fake.to("/commands").map((r) => r.headers["idempotency-key"]);

  it("sends one key per action and the same key on each retry of it", async () => {
    const fake = fakeFetch((_, index) => (index === 0 ? networkDown() : mutationReply(at(d1, 2))));
    const client = clientOf(fake);
    await client.execute("d1", { type: "start_verification" }, { etag: formatETag(d1) });
    await client.execute("d1", { type: "start_verification" });
    expect(keysOf(fake)).toEqual(["key-1", "key-1", "key-2"]);
  });

  it("reuses the key when the same call is repeated after a NetworkError, and only then", async () => {
    let down = true;
    const fake = fakeFetch(() => (down ? networkDown() : mutationReply(at(d1, 2))));
    const client = clientOf(fake, { retries: 1 });
    const error = await rejection(client.execute("d1", { type: "cancel", reason: "dup" }, { etag: formatETag(d1) }));
    if (!(error instanceof NetworkError)) throw new Error("expected NetworkError");
    expect(error.attempts).toBe(2);
    expect(error.idempotencyKey).toBe("key-1");
    expect(error.cause).toBeInstanceOf(TypeError);
    down = false;
    await client.execute("d1", { type: "cancel", reason: "dup" }, { etag: formatETag(d1) }); // the operator clicks again
    await client.execute("d1", { type: "cancel", reason: "dup" }); // a new action
    expect(keysOf(fake)).toEqual(["key-1", "key-1", "key-1", "key-2"]);
  });

  it("keeps the key after a 5xx (it may hide a commit) and drops it after a 4xx (a definitive answer)", async () => {
    const answers: Answer[] = [
      problemReply(new StoreError("pg", "commit", new Error("x"))),
      mutationReply(at(d1, 2)),
      problemReply(new InvalidTransitionError("d1", "start_bootstrap", "draft", "verification_succeeded")),
      problemReply(new InvalidTransitionError("d1", "start_bootstrap", "draft", "verification_succeeded")),
    ];
    const fake = fakeFetch((_, index) => answers[index] ?? networkDown());
    const client = clientOf(fake, { retries: 0 });
    const send = () =>
      client.execute("d1", { type: "start_bootstrap", operations: ["sync"] }, { etag: formatETag(d1) });
    expect(await rejection(send())).toBeInstanceOf(StoreError);
    await send();
    await rejection(send());
    await rejection(send());
    expect(keysOf(fake)).toEqual(["key-1", "key-1", "key-2", "key-3"]);
  });

  it("uses the caller's key when given, and keys creates too", async () => {
    const fake = fakeFetch((request, index) =>
      request.method === "POST" && new URL(request.url).pathname.endsWith("/drafts")
        ? index === 0
          ? networkDown()
          : json({ draft: d1, created: true, replayed: false }, 201, { etag: formatETag(d1) })
        : mutationReply(at(d1, 2)),
    );
    const client = clientOf(fake);
    const created = await client.create({ identity: IDENTITY }, { onExisting: "resume" });
    await client.execute("d1", { type: "start_verification" }, { idempotencyKey: "mine" });
    expect(created.created).toBe(true);
    expect(fake.sent.map((r) => [path(r), r.headers["idempotency-key"]])).toEqual([
      [`/workspaces/${WS}/drafts?onExisting=resume`, "key-1"],
      [`/workspaces/${WS}/drafts?onExisting=resume`, "key-1"],
      [`/workspaces/${WS}/drafts/d1/commands`, "mine"],
    ]);
    expect(client.etagOf("d1")).toBe(formatETag(at(d1, 2)));
  });

  it("makes random hex keys by default", async () => {
    const fake = fakeFetch(() => mutationReply(at(d1, 2)));
    const client = createOnboardingClient({ baseUrl: BASE, workspaceId: WS, fetch: fake.fetch });
    await client.execute("d1", { type: "start_verification" });
    await client.execute("d1", { type: "start_verification" });
    const [a, b] = keysOf(fake);
    expect(a).toMatch(/^[0-9a-f]{32}$/);
    expect(b).toMatch(/^[0-9a-f]{32}$/);
    expect(a).not.toBe(b);
  });
});

describe("client: retries and backoff (fake timers)", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("waits baseMs * 2^attempt with jitter in the upper half of the window between retries", async () => {
    const d1 = at(connected(), 1, "d1");
    const fake = fakeFetch((_, index) => (index < 3 ? networkDown() : draftReply(d1)));
    const client = clientOf(fake, { retries: 3, backoff: { baseMs: 100, maxMs: 1_000 }, random: () => 0.5 });
    const done = client.get("d1");
    const counts: number[] = [];
    for (const step of [0, 74, 1, 149, 1, 299, 1]) {
      await vi.advanceTimersByTimeAsync(step);
      counts.push(fake.sent.length);
    }
    // 75 ms (0.75 x 100), then 150 ms (x 200), then 300 ms (x 400).
    expect(counts).toEqual([1, 1, 2, 2, 3, 3, 4]);
    expect(await done).toEqual(d1);
  });

  it("retries 429/502/503/504 and honours Retry-After (capped at maxMs)", async () => {
    const d1 = at(connected(), 1, "d1");
    const busy = problemReply(new RetryExhaustedError("d1", 5)); // 503, retry-after: 1
    const fake = fakeFetch((_, index) => (index === 0 ? busy : draftReply(d1)));
    const client = clientOf(fake, { backoff: { baseMs: 10, maxMs: 5_000 }, random: () => 0 });
    const done = client.get("d1");
    await vi.advanceTimersByTimeAsync(999);
    expect(fake.sent.length).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(fake.sent.length).toBe(2);
    expect(await done).toEqual(d1);
  });

  it("gives the last answer when retries run out", async () => {
    const fake = fakeFetch(() => new Response("busy", { status: 503 }));
    const client = clientOf(fake, { retries: 2, random: () => 0 });
    const done = rejection(client.get("d1"));
    await vi.advanceTimersByTimeAsync(100);
    const error = await done;
    expect(fake.sent.length).toBe(3);
    expect(error).toBeInstanceOf(ResponseError);
    expect((error as ResponseError).status).toBe(503);
  });
});

describe("client: abort", () => {
  it("rejects with the signal's reason, in flight and while waiting to retry, and sends nothing more", async () => {
    const hanging = fakeFetch(() => "hang");
    const controller = new AbortController();
    const inFlight = rejection(clientOf(hanging).get("d1", { signal: controller.signal }));
    controller.abort();
    expect(await inFlight).toMatchObject({ name: "AbortError" });

    const down = fakeFetch(() => networkDown());
    const waiting = new AbortController();
    const client = clientOf(down, { backoff: { baseMs: 60_000, maxMs: 60_000 } });
    const retrying = rejection(client.execute("d1", { type: "start_verification" }, { signal: waiting.signal }));
    await vi.waitFor(() => expect(down.sent.length).toBe(1));
    waiting.abort(new Error("user left"));
    expect(await retrying).toMatchObject({ message: "user left" });
    expect(down.sent.length).toBe(1);
    expect(await rejection(client.get("d1", { signal: AbortSignal.abort() }))).toMatchObject({ name: "AbortError" });
  });
});

/** A draft whose verification run is active: the stage's polling hint is on. */
const verifying = (version = 2): OnboardingDraft =>
  at(connected({ verification: verification("running") }), version, "d1");

describe("client: watch (fake timers)", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("reads at the stage's polling hint while a run is active, and stops when the draft is terminal", async () => {
    let draft = verifying();
    const fake = fakeFetch(() => viewReply(draft, { pollIntervalMs: 1_234 }));
    const changes: number[] = [];
    const statuses: WatchStatus[] = [];
    const watch = clientOf(fake).watch("d1", {
      onChange: (s) => changes.push(s.draft.version),
      onStatus: (s) => statuses.push(s),
    });
    await vi.advanceTimersByTimeAsync(0);
    expect(fake.sent.length).toBe(1);
    await vi.advanceTimersByTimeAsync(1_233);
    expect(fake.sent.length).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(fake.sent.length).toBe(2);
    draft = at(
      draftWith({ ...verified(), cancellation: { at: "2026-01-01T00:03:00.000Z", by: "u", reason: null } }),
      3,
      "d1",
    );
    await vi.advanceTimersByTimeAsync(1_234);
    expect(await watch.done).toEqual({ reason: "terminal" });
    await vi.advanceTimersByTimeAsync(60_000);
    expect(fake.sent.length).toBe(3);
    expect(changes).toEqual([2, 2, 3]);
    expect(statuses).toEqual(["polling", "stopped"]);
  });

  it("sends If-None-Match while polling and reports a change only when the draft changed", async () => {
    const draft = verifying();
    const fake = fakeFetch((_, index) => (index === 0 ? viewReply(draft) : notModified(draft)));
    const changes: DraftSnapshot[] = [];
    const watch = clientOf(fake).watch("d1", { onChange: (s) => changes.push(s) });
    await vi.advanceTimersByTimeAsync(5_000 * 3);
    watch.stop();
    expect(await watch.done).toEqual({ reason: "stopped" });
    expect(fake.sent.length).toBe(4); // the default hint: every 5 s
    expect(fake.sent.slice(1).every((r) => r.headers["if-none-match"] === formatETag(draft))).toBe(true);
    expect(changes.length).toBe(1);
  });

  it("does not poll without an active run, but reads again after a change made through the client", async () => {
    let draft = at(verified(), 3, "d1");
    const fake = fakeFetch((request) => {
      if (request.method === "POST") {
        draft = at(verified("succeeded", { bootstrap: bootstrapOf(run("sync", "queued")) }), 4, "d1");
        return mutationReply(draft, { feedback: "queued" });
      }
      return viewReply(draft);
    });
    const client = clientOf(fake);
    const statuses: WatchStatus[] = [];
    const watch = client.watch("d1", { onStatus: (s) => statuses.push(s) });
    await vi.advanceTimersByTimeAsync(60_000);
    expect(fake.to("/view").length).toBe(1);
    await client.execute("d1", { type: "start_bootstrap", operations: ["sync"] });
    await vi.advanceTimersByTimeAsync(0);
    expect(fake.to("/view").length).toBe(2);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(fake.to("/view").length).toBe(3);
    expect(statuses).toEqual(["idle", "polling"]);
    watch.stop();
    await watch.done;
  });

  it("reads every idleIntervalMs without a run when asked to", async () => {
    const fake = fakeFetch(() => viewReply(at(verified(), 3, "d1")));
    const watch = clientOf(fake).watch("d1", { idleIntervalMs: 10_000 });
    await vi.advanceTimersByTimeAsync(30_000);
    watch.stop();
    expect(fake.sent.length).toBe(4);
  });

  it("backs off with jitter while the server is away, reports offline, and recovers when it is back", async () => {
    const draft = verifying();
    let down = false;
    const fake = fakeFetch(() => (down ? networkDown() : viewReply(draft, { pollIntervalMs: 1_000 })));
    const waits: (number | null)[] = [];
    const statuses: WatchStatus[] = [];
    const client = clientOf(fake, { backoff: { baseMs: 400, maxMs: 1_600 }, random: () => 0 });
    const watch = client.watch("d1", {
      onError: (_, retryIn) => waits.push(retryIn),
      onStatus: (s) => statuses.push(s),
    });
    await vi.advanceTimersByTimeAsync(0);
    down = true;
    await vi.advanceTimersByTimeAsync(1_000); // read 2 fails: wait 200
    await vi.advanceTimersByTimeAsync(200); // read 3 fails: wait 400
    await vi.advanceTimersByTimeAsync(400); // read 4 fails: wait 800
    await vi.advanceTimersByTimeAsync(800); // read 5 fails: wait 800 (the cap 1 600, halved)
    expect(waits).toEqual([200, 400, 800, 800]);
    expect(fake.sent.length).toBe(5);
    down = false;
    await vi.advanceTimersByTimeAsync(800); // read 6 succeeds: back to the hint
    await vi.advanceTimersByTimeAsync(1_000);
    expect(fake.sent.length).toBe(7);
    expect(statuses).toEqual(["polling", "offline", "polling"]);
    down = true;
    await vi.advanceTimersByTimeAsync(1_000); // a new outage starts again from the first delay
    expect(waits.at(-1)).toBe(200);
    expect(waits.every((wait) => wait !== null)).toBe(true);
    watch.stop();
    await watch.done;
  });

  it("retries server-side problems (5xx) and gives up on client errors (4xx)", async () => {
    const answers: Answer[] = [
      problemReply(new StoreError("pg", "load", new Error("down"))),
      problemReply(new DraftNotFoundError(WS, "d1")),
    ];
    const fake = fakeFetch((_, index) => answers[index] ?? networkDown());
    const errors: [unknown, number | null][] = [];
    const watch = clientOf(fake, { random: () => 0 }).watch("d1", { onError: (e, wait) => errors.push([e, wait]) });
    await vi.advanceTimersByTimeAsync(10);
    const end = await watch.done;
    expect(errors.map(([e, wait]) => [(e as OnboardingError).code, wait === null])).toEqual([
      ["store_failure", false],
      ["draft_not_found", true],
    ]);
    expect(end.reason).toBe("failed");
    expect(end.error).toBeInstanceOf(DraftNotFoundError);
  });

  it("stops on stop() and on its signal, aborting the read in flight", async () => {
    const hanging = fakeFetch(() => "hang");
    const client = clientOf(hanging);
    const watch = client.watch("d1");
    await vi.advanceTimersByTimeAsync(0);
    watch.stop();
    expect(await watch.done).toEqual({ reason: "stopped" });
    expect(hanging.sent[0]?.signal?.aborted).toBe(true);

    const controller = new AbortController();
    const viaSignal = client.watch("d1", { signal: controller.signal });
    controller.abort();
    expect(await viaSignal.done).toEqual({ reason: "stopped" });
    const before = hanging.sent.length;
    expect(await client.watch("d1", { signal: AbortSignal.abort() }).done).toEqual({ reason: "stopped" });
    expect(hanging.sent.length).toBe(before);
  });

  it("ends as failed when a callback throws", async () => {
    const fake = fakeFetch(() => viewReply(verifying()));
    const watch = clientOf(fake).watch("d1", {
      onChange: () => {
        throw new Error("render failed");
      },
    });
    expect(await watch.done).toMatchObject({ reason: "failed", error: { message: "render failed" } });
  });
});

describe("client: updates (async iterator)", () => {
  it("yields each new snapshot and ends on a terminal draft", async () => {
    const drafts = [
      verifying(2),
      verifying(3),
      at(
        draftWith({ ...verified(), activation: { at: "2026-01-01T00:05:00.000Z", by: "u", override: null } }),
        4,
        "d1",
      ),
    ];
    const fake = fakeFetch((_, index) => viewReply(drafts[index] ?? drafts[2]!, { pollIntervalMs: 1 }));
    const versions: number[] = [];
    for await (const snapshot of clientOf(fake).updates("d1")) versions.push(snapshot.draft.version);
    expect(versions).toEqual([2, 3, 4]);
    expect(fake.sent.length).toBe(3);
  });

  it("stops the watch when the loop is left, and throws what the watch failed on", async () => {
    const fake = fakeFetch(() => viewReply(verifying(), { pollIntervalMs: 1 }));
    const client = clientOf(fake);
    for await (const snapshot of client.updates("d1")) {
      expect(snapshot.view.stage.polling).toEqual({ intervalMs: 1 });
      break;
    }
    const sent = fake.sent.length;
    await new Promise((done) => setTimeout(done, 20));
    expect(fake.sent.length).toBe(sent);

    const missing = fakeFetch(() => problemReply(new DraftNotFoundError(WS, "d1")));
    const iterate = async () => {
      for await (const _ of clientOf(missing).updates("d1")) throw new Error("no snapshot expected");
    };
    expect(await rejection(iterate())).toBeInstanceOf(DraftNotFoundError);
  });
});
