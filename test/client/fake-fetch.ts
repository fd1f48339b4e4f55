/**
 * A scripted `fetch` for the client's unit tests: every request is recorded, and a route
 * function answers it with a Response, an Error (rejected, like a network failure) or a promise
 * that never settles (until the request's signal aborts). Helpers build the answers the real
 * server gives (ETags from formatETag, problems from problemResponse, views from describeDraft).
 */
import { describeDraft, type DescribeOptions, type OnboardingDraft } from "../../src/index.js";
import { formatETag, problemResponse, type ProblemOptions } from "../../src/http/index.js";
import type { FetchInit, FetchLike } from "../../src/client/index.js";

/** One request the client sent. */
export interface Sent {
  readonly url: string;
  readonly method: string;
  readonly headers: Record<string, string>;
  readonly body: unknown;
  readonly signal: AbortSignal | undefined;
}

export type Answer = Response | Error | "hang";

export interface FakeFetch {
  readonly fetch: FetchLike;
  readonly sent: Sent[];
  /** The requests whose URL ends with `suffix` (and method, when given). */
  to(suffix: string, method?: string): Sent[];
}

export function fakeFetch(route: (request: Sent, index: number) => Answer | Promise<Answer>): FakeFetch {
  const sent: Sent[] = [];
  const fetch: FetchLike = async (url: string, init: FetchInit) => {
    const request: Sent = {
      url,
      method: init.method,
      headers: { ...init.headers },
      body: init.body === undefined ? undefined : (JSON.parse(init.body) as unknown),
      signal: init.signal,
    };
    sent.push(request);
    const signal = init.signal;
    if (signal?.aborted === true) throw signal.reason;
    const answer = await route(request, sent.length - 1);
    if (answer === "hang") {
      return new Promise<never>((_, reject) => {
        if (signal?.aborted === true) reject(signal.reason as Error);
        signal?.addEventListener("abort", () => reject(signal.reason as Error), { once: true });
      });
    }
    if (answer instanceof Error) throw answer;
    return answer;
  };
  const to = (suffix: string, method?: string): Sent[] =>
    sent.filter((r) => new URL(r.url).pathname.endsWith(suffix) && (method === undefined || r.method === method));
  return { fetch, sent, to };
}

export const BASE = "http://api.test";
export const WS = "ws-1";

export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } });
}

/** `GET /drafts/{id}`'s answer. */
export function draftReply(draft: OnboardingDraft): Response {
  return json(draft, 200, { etag: formatETag(draft) });
}

/** `GET /drafts/{id}/view`'s answer, as the example server builds it. */
export function viewReply(draft: OnboardingDraft, options: DescribeOptions = {}): Response {
  const etag = formatETag(draft);
  return json({ etag, draft, view: describeDraft(draft, { runUrl: (id) => `/runs/${id}`, ...options }) }, 200, {
    etag,
  });
}

/** `POST .../commands`'s answer. */
export function mutationReply(draft: OnboardingDraft, extra: Record<string, unknown> = {}): Response {
  return json(
    {
      draft,
      version: draft.version,
      state: draft.lifecycle.state,
      feedback: "applied",
      runIds: [],
      replayed: false,
      ...extra,
    },
    200,
    { etag: formatETag(draft) },
  );
}

/** The server's problem response for a thrown error. */
export function problemReply(error: unknown, options: ProblemOptions = {}): Response {
  const { status, headers, body } = problemResponse(error, options);
  return new Response(body, { status, headers });
}

export const notModified = (draft: OnboardingDraft): Response =>
  new Response(null, { status: 304, headers: { etag: formatETag(draft) } });

export const networkDown = (): TypeError => new TypeError("fetch failed");
