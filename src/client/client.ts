/**
 * `createOnboardingClient`: the requests of specs/openapi.json over an injectable `fetch`, with
 * the draft's ETag kept per draft (sent as `If-Match`, and as `If-None-Match` on reads), one
 * idempotency key per user action, retries with jittered exponential backoff, and problems
 * turned back into the package's errors. The watch loop lives in ./watch.ts.
 */
import type { CommandInput } from "../commands/reducer.js";
import type { CreateDraftInput } from "../commands/create.js";
import type { ProblemOf } from "../http/contract.js";
import type { OnboardingDraft } from "../record/schema.js";
import { NetworkError } from "./errors.js";
import { conflictError, problemError } from "./problems.js";
import type {
  CallOptions,
  CreateOptions,
  CreateResponse,
  DraftHistoryPage,
  DraftList,
  DraftSnapshot,
  ExecuteOptions,
  HistoryPageOptions,
  ListOptions,
  MutationOptions,
  MutationResponse,
  OnboardingClient,
  OnboardingClientOptions,
  ViewOptions,
} from "./types.js";
import { sleep, watchDraft, updatesOf, type WatchHost } from "./watch.js";

/** An answer, read whole. */
interface Reply {
  readonly status: number;
  readonly etag: string | null;
  readonly retryAfter: string | null;
  /** The parsed JSON body, `undefined` when empty or not JSON. */
  readonly data: unknown;
}

/** One request to send. */
interface Outgoing {
  readonly body?: string;
  readonly headers?: Record<string, string>;
  readonly signal?: AbortSignal | undefined;
  /** Retries after network errors and 429/502/503/504 (default: the client's). */
  readonly retries?: number;
  /** The mutation's idempotency key (for a `NetworkError`). */
  readonly key?: string;
}

/** What the client knows of a draft: the newest version seen, its ETag, and its view if read. */
interface Known {
  readonly etag: string;
  readonly draft: OnboardingDraft;
  readonly snapshot: DraftSnapshot | undefined;
}

const TRANSIENT = [429, 502, 503, 504];
/** Pending action keys kept at most (oldest dropped): a page never has that many unanswered actions. */
const MAX_PENDING = 64;

/**
 * A new idempotency key: 128 random bits in hex. `getRandomValues`, not `randomUUID`: a page
 * served over plain HTTP (an intranet tool) has only the former.
 */
const randomKey = (): string =>
  Array.from(crypto.getRandomValues(new Uint8Array(16)), (byte) => byte.toString(16).padStart(2, "0")).join("");

const parseJson = (text: string): unknown => {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
};

const isObject = (value: unknown): value is object => typeof value === "object" && value !== null;

/**
 * Creates a client of the package's HTTP contract (the routes of specs/openapi.json, as
 * `examples/rest-api` serves them) for one workspace. Browser-safe: `fetch`, `AbortSignal` and
 * timers only, no Node built-ins, no zod (under 5 KB gzipped with the error classes).
 *
 * @example
 * ```ts
 * import { NotReadyError, VersionConflictError, createOnboardingClient } from "onboarding-lifecycle/client";
 *
 * const client = createOnboardingClient({ baseUrl: "/api", workspaceId: "ws-1", headers: { "x-actor-id": "operator" } });
 * const { draft } = await client.create({ identity: { tenantId: "t-1", displayName: "Acme" } }, { onExisting: "resume" });
 * try {
 *   await client.execute(draft.id, { type: "activate" });
 * } catch (error) {
 *   if (error instanceof NotReadyError) console.log(error.blockers.map((b) => b.message));
 *   else if (error instanceof VersionConflictError) console.log("now", error.current.version);
 *   else throw error;
 * }
 * ```
 */
export function createOnboardingClient(options: OnboardingClientOptions): OnboardingClient {
  const { workspaceId } = options;
  const base = `${options.baseUrl.replace(/\/+$/, "")}/workspaces/${encodeURIComponent(workspaceId)}/drafts`;
  const fetchImpl = options.fetch ?? ((url, init) => fetch(url, init));
  const retries = options.retries ?? 2;
  const { baseMs = 500, maxMs = 30_000 } = options.backoff ?? {};
  const random = options.random ?? Math.random;
  const newKey = options.idempotencyKey ?? randomKey;
  const known = new Map<string, Known>();
  /** Unanswered actions (path + body) and their idempotency keys. */
  const pending = new Map<string, string>();
  const listeners = new Map<string, Set<() => void>>();
  const path = (draftId: string, tail = ""): string => `/${encodeURIComponent(draftId)}${tail}`;

  /** Full jitter in the upper half of the exponential window, or `Retry-After` when longer. */
  const delay = (attempt: number, retryAfter?: string | null): number => {
    const window = Math.min(maxMs, baseMs * 2 ** attempt);
    const jittered = window / 2 + (random() * window) / 2;
    const asked = Number(retryAfter) * 1000;
    return asked > jittered ? Math.min(asked, maxMs) : jittered;
  };

  async function send(method: string, url: string, request: Outgoing = {}): Promise<Reply> {
    const { body, signal } = request;
    const limit = request.retries ?? retries;
    for (let attempt = 0; ; attempt += 1) {
      const extra = typeof options.headers === "function" ? await options.headers() : options.headers;
      const headers: Record<string, string> = { ...extra, ...request.headers };
      if (body !== undefined) headers["content-type"] = "application/json";
      let reply: Reply;
      try {
        const response = await fetchImpl(base + url, {
          method,
          headers,
          ...(body === undefined ? {} : { body }),
          ...(signal === undefined ? {} : { signal }),
        });
        const data = parseJson(await response.text());
        const header = (name: string): string | null => response.headers.get(name);
        reply = { status: response.status, etag: header("etag"), retryAfter: header("retry-after"), data };
      } catch (error) {
        if (signal?.aborted === true) throw signal.reason;
        if (attempt >= limit) throw new NetworkError(error, attempt + 1, request.key ?? null);
        await sleep(delay(attempt), signal);
        continue;
      }
      if (attempt >= limit || !TRANSIENT.includes(reply.status)) return reply;
      await sleep(delay(attempt, reply.retryAfter), signal);
    }
  }

  const notify = (draftId: string): void => listeners.get(draftId)?.forEach((listener) => listener());

  /** Records a draft unless a newer version is already known; keeps the view of the same version. */
  function remember(draft: OnboardingDraft, etag: string | null, snapshot?: DraftSnapshot): void {
    const before = known.get(draft.id);
    if (etag === null || (before !== undefined && before.draft.version > draft.version)) return;
    known.set(draft.id, { etag, draft, snapshot: snapshot ?? (before?.etag === etag ? before.snapshot : undefined) });
  }

  /**
   * The reply itself when it is a success (a JSON object, or a 304 to a conditional read);
   * otherwise throws its error, and for a version conflict first reloads the current draft.
   */
  async function check(reply: Reply, draftId: string, signal?: AbortSignal, conditional = false): Promise<Reply> {
    const { status, data } = reply;
    if (status === 304 ? conditional : status >= 200 && status < 300 && isObject(data)) return reply;
    const problem = data as ProblemOf<"version_conflict"> | undefined;
    if (problem?.code === "version_conflict" && typeof problem.expectedVersion === "number") {
      const current = await get(draftId, { signal });
      notify(draftId); // watchers show the version the write missed
      throw conflictError(problem, current);
    }
    throw problemError(status, data);
  }

  /** A GET, conditional (`If-None-Match`) when the client holds `before`. */
  async function read(
    url: string,
    draftId: string,
    before?: Known | DraftSnapshot,
    signal?: AbortSignal,
    attempts = retries,
  ) {
    const headers: Record<string, string> = before === undefined ? {} : { "if-none-match": before.etag };
    return check(await send("GET", url, { signal, headers, retries: attempts }), draftId, signal, before !== undefined);
  }

  /** A POST with one idempotency key per action: reused for retries and repeats until answered. */
  async function mutate(url: string, draftId: string, value: unknown, options: MutationOptions, headers = {}) {
    const body = JSON.stringify(value);
    const action = url + body;
    const key = options.idempotencyKey ?? pending.get(action) ?? newKey();
    pending.delete(action);
    pending.set(action, key);
    if (pending.size > MAX_PENDING) pending.delete(pending.keys().next().value as string);
    const { signal } = options;
    const reply = await send("POST", url, { body, key, signal, headers: { ...headers, "idempotency-key": key } });
    // A 4xx is a definitive answer; a 5xx (like a lost answer) may hide a commit: keep the key.
    if (reply.status < 500) pending.delete(action);
    return check(reply, draftId, signal);
  }

  async function get(draftId: string, { signal }: CallOptions = {}): Promise<OnboardingDraft> {
    const before = known.get(draftId);
    const reply = await read(path(draftId), draftId, before, signal);
    if (reply.status === 304) return (before as Known).draft;
    remember(reply.data as OnboardingDraft, reply.etag);
    return reply.data as OnboardingDraft;
  }

  async function readView(draftId: string, options: ViewOptions, attempts?: number): Promise<DraftSnapshot> {
    const { signal, pollIntervalMs: poll } = options;
    const before = known.get(draftId)?.snapshot;
    const url = path(draftId, poll === undefined ? "/view" : `/view?pollIntervalMs=${poll}`);
    const reply = await read(url, draftId, before, signal, attempts);
    if (reply.status === 304) return before as DraftSnapshot;
    const snapshot = reply.data as DraftSnapshot;
    // The body's ETag first: a proxy that compresses may have weakened the header's (`W/`).
    remember(snapshot.draft, snapshot.etag, snapshot);
    return snapshot;
  }

  async function execute(draftId: string, command: CommandInput, options: ExecuteOptions = {}) {
    const etag = options.etag ?? known.get(draftId)?.etag;
    const reply = await mutate(path(draftId, "/commands"), draftId, command, options, etag ? { "if-match": etag } : {});
    const result = reply.data as MutationResponse;
    remember(result.draft, reply.etag);
    notify(draftId);
    return result;
  }

  async function create(input: CreateDraftInput = {}, options: CreateOptions = {}): Promise<CreateResponse> {
    const query = options.onExisting === undefined ? "" : `?onExisting=${options.onExisting}`;
    const reply = await mutate(query, "", input, options);
    const result = reply.data as CreateResponse;
    remember(result.draft, reply.etag);
    return result;
  }

  async function list(options: ListOptions = {}): Promise<DraftList> {
    return (await read(`?${queryOf(options, ["state", "limit", "cursor"])}`, "", undefined, options.signal))
      .data as DraftList;
  }

  async function history(draftId: string, options: HistoryPageOptions = {}): Promise<DraftHistoryPage> {
    const url = path(draftId, `/history?${queryOf(options, ["limit", "cursor", "order"])}`);
    return (await read(url, draftId, undefined, options.signal)).data as DraftHistoryPage;
  }

  const host: WatchHost = {
    read: (draftId, options) => readView(draftId, options, 0),
    delay,
    listen(draftId, listener) {
      const set = listeners.get(draftId) ?? new Set();
      listeners.set(draftId, set.add(listener));
      return () => {
        set.delete(listener);
        if (set.size === 0) listeners.delete(draftId);
      };
    },
  };

  return {
    workspaceId,
    create,
    get,
    view: (draftId, viewOptions = {}) => readView(draftId, viewOptions),
    execute,
    list,
    history,
    etagOf: (draftId) => known.get(draftId)?.etag,
    watch: (draftId, watchOptions) => watchDraft(host, draftId, watchOptions),
    updates: (draftId, watchOptions) => updatesOf(host, draftId, watchOptions),
  };
}

/** The query string of the options named (those set), shared by `list` and `history`. */
function queryOf<O extends object>(options: O, names: readonly (keyof O & string)[]): string {
  const query = new URLSearchParams();
  for (const name of names) if (options[name] != null) query.set(name, String(options[name]));
  return query.toString();
}
