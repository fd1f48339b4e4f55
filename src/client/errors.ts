/**
 * The client's own errors, for what is not an error of the package: a request that never got
 * an answer ({@link NetworkError}) and an answer that is not one of the contract's problems
 * ({@link ResponseError}: a proxy's 502 page, `internal_error`, an unknown code). Every problem
 * the contract declares becomes the package's own error class instead (./problems.ts).
 */

/**
 * A request got no HTTP answer (DNS, connection refused, reset, offline, CORS), after every
 * retry. For a mutation the outcome is unknown: `idempotencyKey` is the key it was sent with,
 * and repeating the same call reuses it, so the server applies the action at most once.
 *
 * @example
 * ```ts
 * import { NetworkError, createOnboardingClient } from "onboarding-lifecycle/client";
 *
 * const client = createOnboardingClient({ baseUrl: "", workspaceId: "ws-1" });
 * try {
 *   await client.execute("draft-1", { type: "start_verification" });
 * } catch (error) {
 *   if (error instanceof NetworkError) console.warn(`offline after ${error.attempts} attempts; retry sends key ${error.idempotencyKey}`);
 * }
 * ```
 */
export class NetworkError extends Error {
  /** Always `network_error`. */
  readonly code = "network_error";
  /** How many times the request was sent. */
  readonly attempts: number;
  /** The idempotency key of the mutation, or `null` for a read. */
  readonly idempotencyKey: string | null;

  /** @param cause what `fetch` threw @param attempts requests made @param idempotencyKey the mutation's key */
  constructor(cause: unknown, attempts: number, idempotencyKey: string | null) {
    super(`No answer (${attempts} attempts)`, { cause });
    this.name = "NetworkError";
    this.attempts = attempts;
    this.idempotencyKey = idempotencyKey;
  }
}

/**
 * An HTTP answer that is not a success and not a problem the contract declares: a 5xx
 * `internal_error` (the server logs the cause), a gateway's HTML error page, a body that is not
 * JSON, or a `code` this version of the client does not know.
 *
 * @example
 * ```ts
 * import { ResponseError, createOnboardingClient } from "onboarding-lifecycle/client";
 *
 * const client = createOnboardingClient({ baseUrl: "", workspaceId: "ws-1" });
 * try {
 *   await client.get("draft-1");
 * } catch (error) {
 *   if (error instanceof ResponseError && error.status >= 500) console.error("server trouble", error.code);
 * }
 * ```
 */
export class ResponseError extends Error {
  /** The HTTP status. */
  readonly status: number;
  /** The problem's `code` (`internal_error`, an unknown code), or `unexpected_response`. */
  readonly code: string;
  /** The response body when it was a JSON object, else `null`. */
  readonly body: Readonly<Record<string, unknown>> | null;

  /** @param status the HTTP status @param body the parsed body */
  constructor(status: number, body: unknown) {
    const problem = typeof body === "object" && body !== null ? (body as Record<string, unknown>) : null;
    const { code, detail } = problem ?? {};
    super(typeof detail === "string" ? detail : `HTTP ${status}`);
    this.name = "ResponseError";
    this.status = status;
    this.code = typeof code === "string" ? code : "unexpected_response";
    this.body = problem;
  }
}
