/**
 * client/ — `onboarding-lifecycle/client`: a small, framework-agnostic client of the package's
 * HTTP contract (specs/openapi.json, as `examples/rest-api` serves it) for browsers and any
 * runtime with `fetch`. It keeps each draft's ETag and sends `If-Match`, sends one
 * `Idempotency-Key` per user action (reused across its retries), retries with jittered backoff,
 * turns problem details back into the package's own error classes (a conflict carries the
 * reloaded current draft), and watches a draft at its stage's polling hint while a run is
 * active. Everything takes an `AbortSignal`.
 *
 * May import: values only from the error classes (record/errors.ts, http/errors.ts) and the
 * vocabulary; types from record/, lifecycle/, commands/ and http/. Never engine/, store/,
 * adapters, zod or a Node built-in: test/architecture.test.ts checks it, a browser bundle test
 * checks esbuild (`platform: "browser"`) bundles it without Node built-ins or zod, and
 * `.size-limit.json` holds it to 5 KB gzipped.
 *
 * @packageDocumentation
 */
export { createOnboardingClient } from "./client.js";
export { NetworkError, ResponseError } from "./errors.js";
export type {
  OnboardingClient,
  OnboardingClientOptions,
  FetchLike,
  FetchInit,
  FetchResponse,
  BackoffOptions,
  HeadersOption,
  CallOptions,
  ViewOptions,
  MutationOptions,
  ExecuteOptions,
  CreateOptions,
  ListOptions,
  HistoryPageOptions,
  MutationResponse,
  CreateResponse,
  DraftSnapshot,
  DraftList,
  DraftHistoryPage,
  Watch,
  WatchOptions,
  WatchStatus,
  WatchEnd,
} from "./types.js";
// The package's error classes, so a browser bundle needs no other entry for `instanceof`.
export {
  ErrorCode,
  OnboardingError,
  isOnboardingError,
  ValidationError,
  CorruptRecordError,
  VersionConflictError,
  TerminalDraftError,
  NotReadyError,
  AuthorizationError,
  DraftNotFoundError,
  IdempotencyKeyReuseError,
  InvalidTransitionError,
  OpenDraftExistsError,
  RetryExhaustedError,
  ConfigurationError,
  StoreError,
  UnknownRunError,
  RunActiveError,
  SchemaVersionError,
} from "../record/errors.js";
export {
  HttpRequestError,
  PreconditionRequiredError,
  PreconditionFailedError,
  InvalidIfMatchError,
  MalformedRequestError,
} from "../http/errors.js";
// The contract's types, for code that imports only this entry.
export type { OnboardingDraft, CheckpointRun } from "../record/schema.js";
export type { AuditEvent } from "../record/audit.js";
export type { CommandInput } from "../commands/reducer.js";
export type { CreateDraftInput } from "../commands/create.js";
export type { Feedback } from "../commands/define.js";
export type { DraftView } from "../lifecycle/presenter.js";
export type { ProblemDetails, ProblemCode } from "../http/contract.js";
