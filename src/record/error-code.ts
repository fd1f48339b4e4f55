/**
 * The stable code of every error the package throws: its own file, so the error classes and the
 * error catalog can both import it without importing each other.
 */
/**
 * The stable string codes of every error the package throws (the engine's and the HTTP
 * helpers').
 *
 * @example
 * ```ts
 * if (isOnboardingError(error) && error.code === ErrorCode.VersionConflict) reload();
 * ```
 */
export const ErrorCode = {
  /** Input failed validation ({@link ValidationError}). */
  Validation: "validation_failed",
  /** A stored record failed validation ({@link CorruptRecordError}). */
  CorruptRecord: "corrupt_record",
  /** A stale `expectedVersion` ({@link VersionConflictError}). */
  VersionConflict: "version_conflict",
  /** A completed or cancelled draft cannot change ({@link TerminalDraftError}). */
  TerminalDraft: "terminal_draft",
  /** Activation refused: readiness blockers remain ({@link NotReadyError}). */
  NotReady: "not_ready",
  /** `authorize` refused a capability ({@link AuthorizationError}). */
  Forbidden: "forbidden",
  /** No such draft in the workspace ({@link DraftNotFoundError}). */
  DraftNotFound: "draft_not_found",
  /** An idempotency key reused for another command ({@link IdempotencyKeyReuseError}). */
  IdempotencyKeyReuse: "idempotency_key_reuse",
  /** The command's guard refused it in the current state ({@link InvalidTransitionError}). */
  InvalidTransition: "invalid_transition",
  /** The tenant already has an open draft ({@link OpenDraftExistsError}). */
  OpenDraftExists: "open_draft_exists",
  /** A worker report kept conflicting ({@link RetryExhaustedError}). */
  RetryExhausted: "retry_exhausted",
  /** Invalid options or policy ({@link ConfigurationError}). */
  Configuration: "configuration",
  /** The storage adapter failed ({@link StoreError}). */
  Store: "store_failure",
  /** The database schema is at a version this package cannot migrate from ({@link SchemaVersionError}). */
  SchemaVersion: "schema_version",
  /** A worker reported on a run the draft never had ({@link UnknownRunError}). */
  UnknownRun: "unknown_run",
  /** A run is already active and the start policy is `reject` ({@link RunActiveError}). */
  RunActive: "run_active",
  /** A mutation without `If-Match` (`PreconditionRequiredError` of `onboarding-lifecycle/http`). */
  PreconditionRequired: "precondition_required",
  /** `If-Match` names no strong tag of this draft (`PreconditionFailedError` of `onboarding-lifecycle/http`). */
  PreconditionFailed: "precondition_failed",
  /** `If-Match` is not valid syntax (`InvalidIfMatchError` of `onboarding-lifecycle/http`). */
  InvalidIfMatch: "invalid_if_match",
  /** The request body is not valid JSON (`MalformedRequestError` of `onboarding-lifecycle/http`). */
  MalformedRequest: "malformed_request",
} as const;

/** One of the values of {@link ErrorCode}. */
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];
