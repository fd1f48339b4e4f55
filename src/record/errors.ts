/**
 * The error classes of the package. Every error extends {@link OnboardingError} and carries a
 * stable `code` plus the data a caller needs to react.
 *
 * The public data of each code (what a client may see) is declared once, in `ERROR_CATALOG`
 * (./error-catalog.ts, re-exported here): each class merges an interface with its code's
 * {@link ErrorData}, so its public fields are typed from that declaration and set through
 * `carry`. Fields only a server needs (the current draft of a conflict, the workspace of a
 * missing draft, a driver error) are declared on the class alone. The classes never read the
 * catalog at run time, so a bundle that only throws errors (the pure core) does not include it
 * or the zod schemas in it.
 *
 * Errors are recognised across copies of the package (the ESM and CJS builds loaded side by
 * side, the "dual-package hazard"): each instance carries a brand registered with
 * `Symbol.for`, and `instanceof` checks that brand and the code instead of the prototype chain.
 */
import type { LifecycleState } from "../vocabulary/index.js";
import type { Capability } from "../vocabulary/index.js";
import type { Blocker } from "../vocabulary/index.js";
import type { OnboardingDraft } from "./schema.js";
import type { ErrorData, ValidationIssue, ValidationTarget } from "./error-catalog.js";

export {
  ERROR_CATALOG,
  ValidationIssueSchema,
  BlockerSchema,
  defineError,
  type ErrorDeclaration,
  type ErrorData,
  type ValidationIssue,
  type ValidationTarget,
} from "./error-catalog.js";

import { ErrorCode } from "./error-code.js";

const BRAND: unique symbol = Symbol.for("onboarding-lifecycle.error") as never;

export { ErrorCode } from "./error-code.js";

/** Copies an error's public data onto it, checked against its code's declaration. */
function carry<C extends ErrorCode>(error: { readonly code: C }, data: ErrorData<C>): void {
  Object.assign(error, data);
}

/**
 * Whether a value is an error thrown by this package, whichever copy (ESM or CJS) threw it.
 *
 * @example
 * ```ts
 * try {
 *   await engine.execute(ws, draftId, command, { actor, expectedVersion: draft.version });
 * } catch (error) {
 *   if (!isOnboardingError(error)) throw error;
 *   reply.status(error.code === ErrorCode.VersionConflict ? 409 : 422).send(error.toJSON());
 * }
 * ```
 */
export function isOnboardingError(value: unknown): value is OnboardingError {
  return (
    typeof value === "object" &&
    value !== null &&
    (value as { [BRAND]?: unknown })[BRAND] === true &&
    typeof (value as { code?: unknown }).code === "string"
  );
}

/**
 * The base class of every error the package throws. Match on `code` (stable across releases)
 * rather than on `message` (English prose that may change).
 *
 * @example
 * ```ts
 * try {
 *   await engine.execute(ws, draftId, command, { actor, expectedVersion: draft.version });
 * } catch (error) {
 *   if (error instanceof OnboardingError) log.warn({ code: error.code }, error.message);
 *   else throw error;
 * }
 * ```
 */
export class OnboardingError extends Error {
  /** The error's stable code; subclasses fix it. */
  readonly code: ErrorCode;

  /** @param code the stable code @param message a human-readable description */
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.name = new.target.name;
    Object.defineProperty(this, BRAND, { value: true, enumerable: false });
  }

  /**
   * Cross-copy `instanceof`: true for any branded error of this package whose code matches the
   * class (any code for `OnboardingError` itself).
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    if (!isOnboardingError(value)) return false;
    const expected = (this as { readonly errorCode?: ErrorCode }).errorCode;
    return expected === undefined || value.code === expected;
  }

  /** A plain JSON view of the error (code, message and data), for logs and responses. */
  toJSON(): {
    /** The stable code. */
    code: ErrorCode;
    /** The English message. */
    message: string;
    /** The class name. */
    name: string;
  } & Record<string, unknown> {
    const data: Record<string, unknown> = {};
    for (const key of Object.keys(this)) {
      if (key !== "code" && key !== "name") data[key] = (this as unknown as Record<string, unknown>)[key];
    }
    return { name: this.name, code: this.code, message: this.message, ...data };
  }
}

// Each class below merges an interface with its code's public data (ErrorData), so its public
// fields are declared once, in ERROR_CATALOG, and set through `carry`. Fields only a server
// needs are declared on the class.

/** The public fields of a {@link ValidationError} (declared in {@link ERROR_CATALOG}). */
export interface ValidationError extends ErrorData<"validation_failed"> {}
/**
 * Input (a command, create input or options) did not pass its zod schema. Nothing was changed.
 *
 * @example
 * ```ts
 * function toResponse(error: unknown) {
 *   if (error instanceof ValidationError) return { status: 422, issues: error.issues };
 *   throw error;
 * }
 * ```
 */
export class ValidationError extends OnboardingError {
  /** The code every instance carries. */
  static readonly errorCode = "validation_failed" as const;
  declare readonly code: typeof ErrorCode.Validation;

  /** @param target what was validated @param issues the problems found */
  constructor(target: ValidationTarget, issues: readonly ValidationIssue[]) {
    const first = issues[0];
    super(ErrorCode.Validation, `Invalid ${target}${first ? ` at ${formatPath(first.path)}: ${first.message}` : ""}`);
    carry(this, { target, issues });
  }
}

/**
 * A stored record failed validation on read (hand-edited, truncated or written by something
 * else). The store's data is left as it is. Server-side: its problem shows none of this.
 */
export class CorruptRecordError extends OnboardingError {
  /** The code every instance carries. */
  static readonly errorCode = "corrupt_record" as const;
  declare readonly code: typeof ErrorCode.CorruptRecord;
  /** The path of the first failing value inside the record. */
  readonly path: readonly (string | number)[];
  /** Every problem found. */
  readonly issues: readonly ValidationIssue[];
  /** The record's id when it could be read, else `null`. */
  readonly recordId: string | null;

  /** @param issues the problems found @param recordId the record's id, if known */
  constructor(issues: readonly ValidationIssue[], recordId: string | null = null) {
    const first = issues[0];
    super(
      ErrorCode.CorruptRecord,
      `Stored onboarding record${recordId ? ` ${recordId}` : ""} is corrupt${
        first ? ` at ${formatPath(first.path)}: ${first.message}` : ""
      }`,
    );
    this.issues = issues;
    this.path = first?.path ?? [];
    this.recordId = recordId;
  }
}

/** The public fields of a {@link VersionConflictError} (declared in {@link ERROR_CATALOG}). */
export interface VersionConflictError extends ErrorData<"version_conflict"> {}
/**
 * The caller's `expectedVersion` is not the stored version: somebody else wrote first. Nothing
 * was written except a `conflict` audit entry. Reload (`current` is the fresh draft) and retry.
 *
 * @example
 * ```ts
 * if (error instanceof VersionConflictError) {
 *   showNotice(`Changed by someone else (now v${error.actualVersion}).`);
 *   render(error.current);
 * }
 * ```
 */
export class VersionConflictError extends OnboardingError {
  /** The code every instance carries. */
  static readonly errorCode = "version_conflict" as const;
  declare readonly code: typeof ErrorCode.VersionConflict;
  /** The draft as currently stored (server-side only: its problem carries `currentETag` instead). */
  readonly current: OnboardingDraft;

  /**
   * @param expectedVersion the caller's version @param current the stored draft
   * @param changedBy who made the current version, when known
   */
  constructor(
    expectedVersion: number,
    current: OnboardingDraft,
    changedBy: ErrorData<"version_conflict">["changedBy"] = null,
  ) {
    const by = changedBy === null ? "someone else" : changedBy.worker ? "a background worker" : changedBy.actorId;
    super(
      ErrorCode.VersionConflict,
      `Draft ${current.id} is at version ${current.version}, not ${expectedVersion}: it was changed by ${by}`,
    );
    carry(this, { expectedVersion, actualVersion: current.version, changedBy });
    this.current = current;
  }
}

/** The public fields of a {@link TerminalDraftError} (declared in {@link ERROR_CATALOG}). */
export interface TerminalDraftError extends ErrorData<"terminal_draft"> {}
/** The draft is completed or cancelled; terminal drafts never change. */
export class TerminalDraftError extends OnboardingError {
  /** The code every instance carries. */
  static readonly errorCode = "terminal_draft" as const;
  declare readonly code: typeof ErrorCode.TerminalDraft;

  /** @param draftId the draft @param state its terminal state @param commandType the refused command */
  constructor(draftId: string, state: LifecycleState, commandType: string) {
    super(ErrorCode.TerminalDraft, `Draft ${draftId} is ${state}; ${commandType} is not possible any more`);
    carry(this, { draftId, state, commandType });
  }
}

/** The public fields of a {@link NotReadyError} (declared in {@link ERROR_CATALOG}). */
export interface NotReadyError extends ErrorData<"not_ready"> {}
/**
 * Activation was refused: readiness has blockers (or only overridable ones and no override, or
 * no override capability). `blockers` says what to fix.
 */
export class NotReadyError extends OnboardingError {
  /** The code every instance carries. */
  static readonly errorCode = "not_ready" as const;
  declare readonly code: typeof ErrorCode.NotReady;

  /** @param draftId the draft @param blockers what blocks @param overridable whether an override would do */
  constructor(draftId: string, blockers: readonly Blocker[], overridable: boolean) {
    super(
      ErrorCode.NotReady,
      `Draft ${draftId} is not ready for activation: ${blockers.map((b) => b.code).join(", ") || "unknown"}${
        overridable ? " (an override with a reason is possible)" : ""
      }`,
    );
    carry(this, { draftId, blockers, overridable });
  }
}

/** The public fields of an {@link AuthorizationError} (declared in {@link ERROR_CATALOG}). */
export interface AuthorizationError extends ErrorData<"forbidden"> {}
/** The `authorize` function denied a capability. The denial is audited. */
export class AuthorizationError extends OnboardingError {
  /** The code every instance carries. */
  static readonly errorCode = "forbidden" as const;
  declare readonly code: typeof ErrorCode.Forbidden;
  /** The id of the actor that was denied (server-side only: its problem does not echo it). */
  readonly actorId: string;

  /** @param capability denied capability @param actorId who @param draftId which draft */
  constructor(capability: Capability, actorId: string, draftId: string | null) {
    super(ErrorCode.Forbidden, `Actor ${actorId} may not ${capability}${draftId ? ` on draft ${draftId}` : ""}`);
    carry(this, { capability, draftId });
    this.actorId = actorId;
  }
}

/** The public fields of a {@link DraftNotFoundError} (declared in {@link ERROR_CATALOG}). */
export interface DraftNotFoundError extends ErrorData<"draft_not_found"> {}
/** No draft with this id exists in this workspace (a draft of another workspace is never revealed). */
export class DraftNotFoundError extends OnboardingError {
  /** The code every instance carries. */
  static readonly errorCode = "draft_not_found" as const;
  declare readonly code: typeof ErrorCode.DraftNotFound;
  /** The workspace searched (server-side only). */
  readonly workspaceId: string;

  /** @param workspaceId where @param draftId what */
  constructor(workspaceId: string, draftId: string) {
    super(ErrorCode.DraftNotFound, `No onboarding draft ${draftId} in workspace ${workspaceId}`);
    this.workspaceId = workspaceId;
    carry(this, { draftId });
  }
}

/** The public fields of an {@link IdempotencyKeyReuseError} (declared in {@link ERROR_CATALOG}). */
export interface IdempotencyKeyReuseError extends ErrorData<"idempotency_key_reuse"> {}
/** An idempotency key was reused for a different command (or another draft). */
export class IdempotencyKeyReuseError extends OnboardingError {
  /** The code every instance carries. */
  static readonly errorCode = "idempotency_key_reuse" as const;
  declare readonly code: typeof ErrorCode.IdempotencyKeyReuse;
  /** The draft the key was first used on (server-side only: it may be one the caller cannot see). */
  readonly originalDraftId: string;

  /** @param idempotencyKey the key @param originalDraftId first draft @param originalCommandType first command */
  constructor(idempotencyKey: string, originalDraftId: string, originalCommandType: string) {
    super(
      ErrorCode.IdempotencyKeyReuse,
      `Idempotency key ${JSON.stringify(idempotencyKey)} was already used for ${originalCommandType} on draft ${originalDraftId} with different input`,
    );
    carry(this, { idempotencyKey, originalCommandType });
    this.originalDraftId = originalDraftId;
  }
}

/** The public fields of an {@link InvalidTransitionError} (declared in {@link ERROR_CATALOG}). */
export interface InvalidTransitionError extends ErrorData<"invalid_transition"> {}
/**
 * A command is not possible in the draft's current lifecycle (for example `start_bootstrap`
 * before verification succeeded). `requirement` names what is missing.
 */
export class InvalidTransitionError extends OnboardingError {
  /** The code every instance carries. */
  static readonly errorCode = "invalid_transition" as const;
  declare readonly code: typeof ErrorCode.InvalidTransition;

  /** @param draftId draft @param commandType command @param state current state @param requirement what is missing */
  constructor(draftId: string, commandType: string, state: LifecycleState, requirement: string) {
    super(
      ErrorCode.InvalidTransition,
      `${commandType} is not possible on draft ${draftId} in state ${state} (${requirement})`,
    );
    carry(this, { draftId, commandType, state, requirement });
  }
}

/** The public fields of an {@link UnknownRunError} (declared in {@link ERROR_CATALOG}). */
export interface UnknownRunError extends ErrorData<"unknown_run"> {}
/**
 * A worker reported on a run id the draft never had: not its verification or bootstrap runs,
 * not one a provider change cleared, not one any committed command started. Unlike a report on
 * a superseded run (feedback `ignored_stale_result`, a normal race), this is a bug in the worker
 * (a wrong id, or the wrong draft), so it is an error, and nothing is written.
 */
export class UnknownRunError extends OnboardingError {
  /** The code every instance carries. */
  static readonly errorCode = "unknown_run" as const;
  declare readonly code: typeof ErrorCode.UnknownRun;

  /** @param draftId draft @param runId the unknown run @param commandType the report */
  constructor(draftId: string, runId: string, commandType: string) {
    super(ErrorCode.UnknownRun, `${commandType}: draft ${draftId} never had a run ${JSON.stringify(runId)}`);
    carry(this, { draftId, runId, commandType });
  }
}

/** The public fields of a {@link RunActiveError} (declared in {@link ERROR_CATALOG}). */
export interface RunActiveError extends ErrorData<"run_active"> {}
/**
 * A `start_verification` / `start_bootstrap` with policy `reject` found a current run of the same
 * checkpoint (or operation) queued or running.
 */
export class RunActiveError extends OnboardingError {
  /** The code every instance carries. */
  static readonly errorCode = "run_active" as const;
  declare readonly code: typeof ErrorCode.RunActive;

  /** @param draftId draft @param commandType the start @param runIds the active runs */
  constructor(draftId: string, commandType: string, runIds: readonly string[]) {
    super(ErrorCode.RunActive, `${commandType}: draft ${draftId} has active runs ${runIds.join(", ")}`);
    carry(this, { draftId, commandType, runIds: [...runIds] });
  }
}

/** The public fields of an {@link OpenDraftExistsError} (declared in {@link ERROR_CATALOG}). */
export interface OpenDraftExistsError extends ErrorData<"open_draft_exists"> {}
/** The tenant already has an open (non-terminal) draft in this workspace. */
export class OpenDraftExistsError extends OnboardingError {
  /** The code every instance carries. */
  static readonly errorCode = "open_draft_exists" as const;
  declare readonly code: typeof ErrorCode.OpenDraftExists;
  /** The workspace (server-side only). */
  readonly workspaceId: string;

  /** @param workspaceId where @param tenantId which tenant @param existingDraftId the open draft */
  constructor(workspaceId: string, tenantId: string, existingDraftId: string) {
    super(
      ErrorCode.OpenDraftExists,
      `Tenant ${tenantId} already has an open onboarding draft (${existingDraftId}) in workspace ${workspaceId}`,
    );
    this.workspaceId = workspaceId;
    carry(this, { tenantId, existingDraftId });
  }
}

/** The public fields of a {@link RetryExhaustedError} (declared in {@link ERROR_CATALOG}). */
export interface RetryExhaustedError extends ErrorData<"retry_exhausted"> {}
/** A background result kept conflicting with other writers and the bounded retry gave up. */
export class RetryExhaustedError extends OnboardingError {
  /** The code every instance carries. */
  static readonly errorCode = "retry_exhausted" as const;
  declare readonly code: typeof ErrorCode.RetryExhausted;

  /** @param draftId draft @param attempts attempts made */
  constructor(draftId: string, attempts: number) {
    super(ErrorCode.RetryExhausted, `Gave up on draft ${draftId} after ${attempts} conflicting attempts`);
    carry(this, { draftId, attempts });
  }
}

/**
 * The package was configured in a way that cannot work (for example a policy without a clock).
 * Server-side: its problem shows none of this.
 */
export class ConfigurationError extends OnboardingError {
  /** The code every instance carries. */
  static readonly errorCode = "configuration" as const;
  declare readonly code: typeof ErrorCode.Configuration;
  /** The option at fault. */
  readonly option: string;

  /** @param option the option at fault @param message what is wrong */
  constructor(option: string, message: string) {
    super(ErrorCode.Configuration, message);
    this.option = option;
  }
}

/**
 * A storage adapter failed in a way it could not classify (connection lost, driver error).
 * Server-side: its problem shows none of this.
 */
export class StoreError extends OnboardingError {
  /** The code every instance carries. */
  static readonly errorCode = "store_failure" as const;
  declare readonly code: typeof ErrorCode.Store;
  /** The adapter's name. */
  readonly adapter: string;
  /** The operation that failed. */
  readonly operation: string;

  /** @param adapter which adapter @param operation which method @param cause the driver error */
  constructor(adapter: string, operation: string, cause: unknown) {
    super(
      ErrorCode.Store,
      `${adapter} store failed during ${operation}: ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause },
    );
    this.adapter = adapter;
    this.operation = operation;
  }
}

/**
 * Why a {@link SchemaVersionError} was thrown:
 * - `newer_than_package`: the schema-version table records a version this package does not know
 *   (a newer release migrated the database; upgrade the package, never downgrade the schema);
 * - `unrecognised_schema`: no versions are recorded and the tables found match no schema any
 *   release of the package created (a partial or hand-edited schema);
 * - `inconsistent_history`: the recorded versions have a gap (a version below the newest one is
 *   missing).
 */
export type SchemaVersionReason = "newer_than_package" | "unrecognised_schema" | "inconsistent_history";

/**
 * The database schema is not one this package can use or migrate: newer than the package, or
 * not recognised. Thrown by `migrate()` and the schema-status functions of the SQL adapters,
 * before anything is changed. Server-side: its problem shows none of this.
 *
 * @example
 * ```ts
 * import { createSqliteStore } from "onboarding-lifecycle/adapters/sqlite";
 *
 * const store = createSqliteStore({ filename: "onboarding.db" });
 * try {
 *   await store.migrate();
 * } catch (error) {
 *   if (error instanceof SchemaVersionError && error.reason === "newer_than_package") {
 *     console.error(`database at schema ${error.current}, this build knows ${error.latest}: deploy the newer build`);
 *   }
 *   throw error;
 * }
 * ```
 */
export class SchemaVersionError extends OnboardingError {
  /** The code every instance carries. */
  static readonly errorCode = "schema_version" as const;
  declare readonly code: typeof ErrorCode.SchemaVersion;
  /** The adapter (`postgres`, `mysql`, `sqlite`). */
  readonly adapter: string;
  /** The table prefix of the schema. */
  readonly tablePrefix: string;
  /** What is wrong. */
  readonly reason: SchemaVersionReason;
  /** The newest version recorded in the database, or `null` when none is recorded. */
  readonly current: number | null;
  /** The newest version this package knows. */
  readonly latest: number;

  /** @param details what was found @param message a human-readable description */
  constructor(
    details: {
      /** See {@link SchemaVersionError.adapter}. */
      readonly adapter: string;
      /** See {@link SchemaVersionError.tablePrefix}. */
      readonly tablePrefix: string;
      /** See {@link SchemaVersionError.reason}. */
      readonly reason: SchemaVersionReason;
      /** See {@link SchemaVersionError.current}. */
      readonly current: number | null;
      /** See {@link SchemaVersionError.latest}. */
      readonly latest: number;
    },
    message: string,
  ) {
    super(ErrorCode.SchemaVersion, message);
    this.adapter = details.adapter;
    this.tablePrefix = details.tablePrefix;
    this.reason = details.reason;
    this.current = details.current;
    this.latest = details.latest;
  }
}

/** Formats an issue path like `bootstrap.runs[2].status`. */
export function formatPath(path: readonly (string | number)[]): string {
  if (path.length === 0) return "(root)";
  return path
    .map((segment, index) => (typeof segment === "number" ? `[${segment}]` : index === 0 ? segment : `.${segment}`))
    .join("");
}
