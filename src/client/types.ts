/**
 * The public types of `onboarding-lifecycle/client`: its options, what each call returns (the
 * bodies of specs/openapi.json, typed from the same draft, command and view types the server
 * side uses) and the minimal `fetch` shape it needs. Types only: nothing here exists at run time.
 */
import type { CommandInput } from "../commands/reducer.js";
import type { CreateDraftInput } from "../commands/create.js";
import type { Feedback } from "../commands/define.js";
import type { DraftView } from "../lifecycle/presenter.js";
import type { AuditEvent } from "../record/audit.js";
import type { OnboardingDraft } from "../record/schema.js";
import type { LifecycleState } from "../vocabulary/lifecycle-state.js";

/**
 * The part of `fetch` the client uses: the browser's, Node's (18+), Deno's, Bun's, or a test
 * double. Any standard `fetch` fits.
 *
 * @example
 * ```ts
 * import type { FetchLike } from "onboarding-lifecycle/client";
 *
 * const logged: FetchLike = async (url, init) => {
 *   console.debug(init.method, url);
 *   return fetch(url, init);
 * };
 * ```
 */
export type FetchLike = (url: string, init: FetchInit) => Promise<FetchResponse>;

/**
 * What the client hands to {@link FetchLike}.
 *
 * @example
 * ```ts
 * import type { FetchInit } from "onboarding-lifecycle/client";
 *
 * const init: FetchInit = { method: "GET", headers: { accept: "application/json" } };
 * ```
 */
export interface FetchInit {
  /** `GET` or `POST`. */
  readonly method: string;
  /** Request headers, lower-case names. */
  readonly headers: Record<string, string>;
  /** The JSON text of the request body, for `POST`s. */
  readonly body?: string;
  /** Aborts the request (the caller's signal, or the watch's). */
  readonly signal?: AbortSignal;
}

/**
 * What the client reads from a {@link FetchLike} response: a standard `Response` fits.
 *
 * @example
 * ```ts
 * import type { FetchResponse } from "onboarding-lifecycle/client";
 *
 * const notModified: FetchResponse = { status: 304, headers: new Headers({ etag: '"ZDE.2"' }), text: async () => "" };
 * ```
 */
export interface FetchResponse {
  /** The HTTP status. */
  readonly status: number;
  /** The response headers (`etag`, `retry-after` are read). */
  readonly headers: {
    /** The value of a header, or `null`. */
    get(name: string): string | null;
  };
  /** The body as text (parsed as JSON by the client). */
  text(): Promise<string>;
}

/**
 * How long the client waits before retrying: `baseMs * 2^attempt`, capped at `maxMs`, with
 * jitter (a random point in the upper half of that window), or the server's `Retry-After` when
 * it asks for longer.
 *
 * @example
 * ```ts
 * import type { BackoffOptions } from "onboarding-lifecycle/client";
 *
 * const gentle: BackoffOptions = { baseMs: 1_000, maxMs: 60_000 }; // 0.5-1 s, 1-2 s, 2-4 s, ... up to 60 s
 * ```
 */
export interface BackoffOptions {
  /** The first delay's upper bound in ms. Default 500. */
  readonly baseMs?: number;
  /** The largest delay in ms (also caps `Retry-After`). Default 30 000. */
  readonly maxMs?: number;
}

/**
 * Extra request headers (authentication, tracing), or a function giving them per request (a
 * fresh token). The function may be async.
 *
 * @example
 * ```ts
 * import type { HeadersOption } from "onboarding-lifecycle/client";
 *
 * declare function currentToken(): Promise<string>;
 * const headers: HeadersOption = async () => ({ authorization: `Bearer ${await currentToken()}` });
 * ```
 */
export type HeadersOption =
  | Readonly<Record<string, string>>
  | (() => Readonly<Record<string, string>> | Promise<Readonly<Record<string, string>>>);

/**
 * Options of `createOnboardingClient`.
 *
 * @example
 * ```ts
 * import { createOnboardingClient, type OnboardingClientOptions } from "onboarding-lifecycle/client";
 *
 * const options: OnboardingClientOptions = { baseUrl: "/api/onboarding", workspaceId: "ws-1", retries: 3 };
 * const client = createOnboardingClient(options);
 * ```
 */
export interface OnboardingClientOptions {
  /**
   * Where the API's routes live: `https://api.example.com/onboarding`, or a path (`/api`) or `""`
   * for the page's own origin. `/workspaces/{workspaceId}/drafts...` is appended.
   */
  readonly baseUrl: string;
  /** The workspace every call of this client works in (one client per workspace). */
  readonly workspaceId: string;
  /** The `fetch` to use. Default: the global `fetch`, looked up at each request. */
  readonly fetch?: FetchLike;
  /** Extra headers sent with every request. */
  readonly headers?: HeadersOption;
  /**
   * How many times one request is retried after a network error or a 429 / 502 / 503 / 504
   * (mutations with the same idempotency key). Default 2 (three attempts in all).
   */
  readonly retries?: number;
  /** The delays between retries, and between a watch's attempts while the server is away. */
  readonly backoff?: BackoffOptions;
  /** The jitter source, a number in [0, 1). Default `Math.random` (inject one in tests). */
  readonly random?: () => number;
  /** Makes a new idempotency key. Default `crypto.randomUUID()` (or random hex where it is missing). */
  readonly idempotencyKey?: () => string;
}

/**
 * The `signal` every call takes: aborting it abandons the request (and its retries and waits)
 * and rejects with the signal's reason (an `AbortError` unless you give another).
 *
 * @example
 * ```ts
 * import { createOnboardingClient, type CallOptions } from "onboarding-lifecycle/client";
 *
 * const client = createOnboardingClient({ baseUrl: "", workspaceId: "ws-1" });
 * const options: CallOptions = { signal: AbortSignal.timeout(10_000) };
 * const draft = await client.get("draft-1", options);
 * ```
 */
export interface CallOptions {
  /** Aborts the call. */
  readonly signal?: AbortSignal | undefined;
}

/**
 * Options of `view` (and of `watch`, which reads the view).
 *
 * @example
 * ```ts
 * import type { ViewOptions } from "onboarding-lifecycle/client";
 *
 * const options: ViewOptions = { pollIntervalMs: 1_000 }; // a demo that should not wait 5 s
 * ```
 */
export interface ViewOptions extends CallOptions {
  /**
   * Asks the server for this polling interval in the view's hint (the contract's
   * `pollIntervalMs` query, 50..999 999 ms; for tests and demos). Default: the server's (5 s).
   */
  readonly pollIntervalMs?: number;
}

/**
 * Options of a mutation (`execute`, `create`).
 *
 * @example
 * ```ts
 * import type { MutationOptions } from "onboarding-lifecycle/client";
 *
 * const options: MutationOptions = { idempotencyKey: "save-identity-7f3a" };
 * ```
 */
export interface MutationOptions extends CallOptions {
  /**
   * The idempotency key of this user action. Default: a new key per action, reused by the
   * client for its own retries and for a repeat of the same call (same draft, same command)
   * after a failure without a definitive answer (network error, 5xx).
   */
  readonly idempotencyKey?: string;
}

/**
 * Options of `execute`.
 *
 * @example
 * ```ts
 * import type { ExecuteOptions } from "onboarding-lifecycle/client";
 *
 * declare const formOpenedAt: string; // client.etagOf(draftId) when the form was opened
 * const options: ExecuteOptions = { etag: formOpenedAt };
 * ```
 */
export interface ExecuteOptions extends MutationOptions {
  /**
   * The ETag to send in `If-Match`. Default: the ETag of the newest version of the draft this
   * client has seen (a read, a watch, a mutation, or the reload after a conflict). Pass the ETag
   * a form was opened with to refuse a save over any change made since.
   */
  readonly etag?: string;
}

/**
 * Options of `create`.
 *
 * @example
 * ```ts
 * import type { CreateOptions } from "onboarding-lifecycle/client";
 *
 * const options: CreateOptions = { onExisting: "resume" };
 * ```
 */
export interface CreateOptions extends MutationOptions {
  /** `resume` returns the tenant's open draft; `error` (the server's default) is `OpenDraftExistsError`. */
  readonly onExisting?: "resume" | "error";
}

/**
 * Options of `list`: the filter and the page.
 *
 * @example
 * ```ts
 * import type { ListOptions } from "onboarding-lifecycle/client";
 *
 * const options: ListOptions = { state: "action_required", limit: 20 };
 * ```
 */
export interface ListOptions extends CallOptions {
  /** Only drafts in this state. */
  readonly state?: LifecycleState;
  /** Page size, 1..500 (the server's default is 50). */
  readonly limit?: number;
  /** The `nextCursor` of the previous page. */
  readonly cursor?: string | null;
}

/**
 * Which page of a draft's audit trail `client.history` reads (`GET .../history?limit=&cursor=&order=`).
 *
 * @example
 * ```ts
 * import type { HistoryPageOptions } from "onboarding-lifecycle/client";
 *
 * const latest: HistoryPageOptions = { order: "newest_first", limit: 20 };
 * ```
 */
export interface HistoryPageOptions extends CallOptions {
  /** Page size, 1..1000 (the server's default is 100). */
  readonly limit?: number;
  /** The `nextCursor` (or `endCursor`) of an earlier page of the same draft. */
  readonly cursor?: string | null;
  /** `oldest_first` (the server's default) or `newest_first`; a cursor goes on in its own order. */
  readonly order?: "oldest_first" | "newest_first";
}

/**
 * One page of a draft's audit trail (the body of `GET .../history`).
 *
 * @example
 * ```ts
 * import { createOnboardingClient, type DraftHistoryPage } from "onboarding-lifecycle/client";
 *
 * const client = createOnboardingClient({ baseUrl: "", workspaceId: "ws-1" });
 * let page: DraftHistoryPage = await client.history("d-1", { limit: 500 });
 * while (page.nextCursor !== null) page = await client.history("d-1", { limit: 500, cursor: page.nextCursor });
 * ```
 */
export interface DraftHistoryPage {
  /** Audit entries, in the page's order. */
  readonly events: readonly AuditEvent[];
  /** The cursor of the next page, `null` on the last one. */
  readonly nextCursor: string | null;
  /** Past this page's last entry even on the last page: keep it to read later only what was appended since. */
  readonly endCursor: string | null;
}

/**
 * The body of `POST .../commands`: the command's outcome.
 *
 * @example
 * ```ts
 * import { createOnboardingClient, type MutationResponse } from "onboarding-lifecycle/client";
 *
 * const client = createOnboardingClient({ baseUrl: "", workspaceId: "ws-1" });
 * const result: MutationResponse = await client.execute("draft-1", { type: "start_verification" });
 * if (result.feedback === "deduped") console.info("already running", result.runIds);
 * ```
 */
export interface MutationResponse {
  /** The draft after the command. */
  readonly draft: OnboardingDraft;
  /** Its version. */
  readonly version: number;
  /** Its lifecycle state. */
  readonly state: LifecycleState;
  /** What happened (`applied`, `queued`, `deduped`, `activated`, ...). */
  readonly feedback: Feedback;
  /** The runs the command started or reported on. */
  readonly runIds: readonly string[];
  /** True when the server replayed the first outcome of this idempotency key. */
  readonly replayed: boolean;
}

/**
 * The body of `POST .../drafts`.
 *
 * @example
 * ```ts
 * import { createOnboardingClient, type CreateResponse } from "onboarding-lifecycle/client";
 *
 * const client = createOnboardingClient({ baseUrl: "", workspaceId: "ws-1" });
 * const { draft, created }: CreateResponse = await client.create({ identity: { tenantId: "t-1", displayName: "Acme" } });
 * ```
 */
export interface CreateResponse {
  /** The new draft, or the tenant's open draft when resumed. */
  readonly draft: OnboardingDraft;
  /** False when an open draft was resumed (or the create replayed). */
  readonly created: boolean;
  /** True when the server replayed the first outcome of this idempotency key. */
  readonly replayed: boolean;
}

/**
 * The body of `GET .../view`: the draft, its ETag and what `describeDraft` made of it (stage,
 * polling hint, readiness, checkpoints with their runs).
 *
 * @example
 * ```ts
 * import { createOnboardingClient, type DraftSnapshot } from "onboarding-lifecycle/client";
 *
 * const client = createOnboardingClient({ baseUrl: "", workspaceId: "ws-1" });
 * const snapshot: DraftSnapshot = await client.view("draft-1");
 * console.log(snapshot.view.stage.step, snapshot.view.readiness.blockers);
 * ```
 */
export interface DraftSnapshot {
  /** The draft's strong ETag. */
  readonly etag: string;
  /** The draft. */
  readonly draft: OnboardingDraft;
  /** The presenter's view of it. */
  readonly view: DraftView;
}

/**
 * One page of `list`.
 *
 * @example
 * ```ts
 * import { createOnboardingClient, type DraftList } from "onboarding-lifecycle/client";
 *
 * const client = createOnboardingClient({ baseUrl: "", workspaceId: "ws-1" });
 * const page: DraftList = await client.list({ limit: 10 });
 * if (page.nextCursor !== null) await client.list({ cursor: page.nextCursor });
 * ```
 */
export interface DraftList {
  /** Drafts ordered by (`createdAt`, `id`). */
  readonly drafts: readonly OnboardingDraft[];
  /** The cursor of the next page, `null` on the last one. */
  readonly nextCursor: string | null;
}

/**
 * What a watch is doing: `polling` (a run is active: reading at the stage's hint), `idle` (no
 * run: waiting for a change made through this client, or `idleIntervalMs`), `offline` (the
 * last read failed: backing off), `stopped` (ended).
 *
 * @example
 * ```ts
 * import type { WatchStatus } from "onboarding-lifecycle/client";
 *
 * const label: Record<WatchStatus, string> = { polling: "Live", idle: "", offline: "Reconnecting…", stopped: "" };
 * ```
 */
export type WatchStatus = "polling" | "idle" | "offline" | "stopped";

/**
 * Why a watch ended: the draft became `terminal` (completed or cancelled), it was `stopped`
 * (`stop()` or its signal), or it `failed` on an error that retrying cannot fix (`error`: a
 * 4xx such as `DraftNotFoundError` or `AuthorizationError`, or a throw from a callback).
 *
 * @example
 * ```ts
 * import { createOnboardingClient, type WatchEnd } from "onboarding-lifecycle/client";
 *
 * const client = createOnboardingClient({ baseUrl: "", workspaceId: "ws-1" });
 * const end: WatchEnd = await client.watch("draft-1").done;
 * if (end.reason === "failed") console.error(end.error);
 * ```
 */
export interface WatchEnd {
  /** Why it ended. */
  readonly reason: "terminal" | "stopped" | "failed";
  /** The error, when `failed`. */
  readonly error?: unknown;
}

/**
 * Options of `watch` and `updates`.
 *
 * @example
 * ```ts
 * import type { WatchOptions } from "onboarding-lifecycle/client";
 *
 * const options: WatchOptions = {
 *   onChange: (snapshot) => console.log("v", snapshot.draft.version, snapshot.view.state),
 *   onStatus: (status) => console.log(status),
 *   onError: (error, retryInMs) => console.warn(error, retryInMs === null ? "giving up" : `retry in ${retryInMs} ms`),
 * };
 * ```
 */
export interface WatchOptions extends ViewOptions {
  /** Each new snapshot of the draft (the first read, then each change). */
  readonly onChange?: (snapshot: DraftSnapshot) => void;
  /** What the watch is doing, on each change of it. */
  readonly onStatus?: (status: WatchStatus) => void;
  /** A failed read: `retryInMs` is the wait before the next one, or `null` when the watch gives up. */
  readonly onError?: (error: unknown, retryInMs: number | null) => void;
  /**
   * Also read every `idleIntervalMs` while no run is active (to see other tabs' changes).
   * Default: no reads then, only after a change made through this client.
   */
  readonly idleIntervalMs?: number;
}

/**
 * A running watch (see `OnboardingClient.watch`).
 *
 * @example
 * ```ts
 * import { createOnboardingClient, type Watch } from "onboarding-lifecycle/client";
 *
 * const client = createOnboardingClient({ baseUrl: "", workspaceId: "ws-1" });
 * const watch: Watch = client.watch("draft-1", { onChange: (s) => console.log(s.view.stage.step) });
 * setTimeout(() => watch.stop(), 60_000); // e.g. when the page is left
 * ```
 */
export interface Watch {
  /** Ends the watch (an in-flight read is aborted). */
  stop(): void;
  /** Settles when the watch ends; never rejects. */
  readonly done: Promise<WatchEnd>;
}

/**
 * A client of the package's HTTP contract (specs/openapi.json) for one workspace. Every
 * method takes an `AbortSignal`; every error the server answers with is the package's own
 * error class (`NotReadyError`, `VersionConflictError`, ...), and a request that could not be
 * completed is a `NetworkError`.
 *
 * @example
 * ```ts
 * import { createOnboardingClient, type OnboardingClient } from "onboarding-lifecycle/client";
 *
 * const client: OnboardingClient = createOnboardingClient({ baseUrl: "", workspaceId: "ws-1" });
 * await client.get("draft-1");
 * await client.execute("draft-1", { type: "identify", tenantId: "t-1", displayName: "Acme" });
 * ```
 */
export interface OnboardingClient {
  /** The workspace this client works in. */
  readonly workspaceId: string;
  /**
   * Creates a draft (`POST /drafts`), or resumes the tenant's open one with `onExisting: "resume"`.
   * Retries send the same `Idempotency-Key`.
   */
  create(input?: CreateDraftInput, options?: CreateOptions): Promise<CreateResponse>;
  /** Reads a draft (`GET /drafts/{id}`; `If-None-Match` with the known ETag, so an unchanged draft costs a 304). */
  get(draftId: string, options?: CallOptions): Promise<OnboardingDraft>;
  /** Reads a draft with its `describeDraft` view (`GET /drafts/{id}/view`, conditional like `get`). */
  view(draftId: string, options?: ViewOptions): Promise<DraftSnapshot>;
  /**
   * Sends one command (`POST /drafts/{id}/commands`) with `If-Match` (the draft's known ETag, or
   * `options.etag`) and an `Idempotency-Key`. A stale ETag rejects with `VersionConflictError`
   * whose `current` is the draft as it is now (reloaded; its ETag becomes the known one).
   */
  execute(draftId: string, command: CommandInput, options?: ExecuteOptions): Promise<MutationResponse>;
  /** Lists drafts (`GET /drafts`), one page. */
  list(options?: ListOptions): Promise<DraftList>;
  /** One page of the draft's audit trail (`GET /drafts/{id}/history`): 100 entries unless `limit` says otherwise. */
  history(draftId: string, options?: HistoryPageOptions): Promise<DraftHistoryPage>;
  /** The ETag `execute` would send for this draft (the newest version this client has seen), if any. */
  etagOf(draftId: string): string | undefined;
  /**
   * Watches a draft: reads its view, then again at the stage's polling hint while a run is
   * active, right after each change made through this client, and with backoff while the
   * server cannot be reached; ends on a terminal draft, on `stop()` or on the signal.
   */
  watch(draftId: string, options?: WatchOptions): Watch;
  /**
   * The same as `watch`, as an async iterator of snapshots: it ends on a terminal draft or the
   * signal, and throws the error a watch would fail on. Leaving the loop stops the watch.
   */
  updates(draftId: string, options?: Omit<WatchOptions, "onChange">): AsyncIterableIterator<DraftSnapshot>;
}
