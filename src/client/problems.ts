/**
 * Problem details (RFC 9457, as `toProblem` writes them) back into the package's error classes.
 * The class is the one whose static `errorCode` is the problem's `code`; the error is made by
 * the base constructor with that class as `new.target` (`Reflect.construct`), so its prototype,
 * `name`, brand and `code` are the class's and `instanceof` holds (across copies too), and
 * the subclass constructor, which would build a message the problem's `detail` replaces from
 * arguments a problem may lack, does not run. The problem's data is then copied on: the error
 * carries exactly the public fields the server's did. Fields the server keeps to itself (marked
 * "server-side only" on the classes: a denied actor's id, a workspace id, a driver's cause) are
 * not set. `version_conflict` needs the current draft, which the problem does not carry: the
 * client reloads it (client.ts) and calls {@link conflictError}.
 */
import {
  AuthorizationError,
  ConfigurationError,
  CorruptRecordError,
  DraftNotFoundError,
  IdempotencyKeyReuseError,
  InvalidTransitionError,
  NotReadyError,
  OpenDraftExistsError,
  RetryExhaustedError,
  RunActiveError,
  StoreError,
  TerminalDraftError,
  UnknownRunError,
  ValidationError,
  VersionConflictError,
  OnboardingError,
} from "../record/errors.js";
import {
  InvalidIfMatchError,
  MalformedRequestError,
  PreconditionFailedError,
  PreconditionRequiredError,
} from "../http/errors.js";
import type { ProblemOf } from "../http/contract.js";
import type { OnboardingDraft } from "../record/schema.js";
import { ResponseError } from "./errors.js";

/** The classes rebuilt from a problem alone, found by their static `errorCode`. */
const CLASSES: readonly {
  readonly errorCode: string;
  new (...args: never[]): OnboardingError;
}[] = [
  ValidationError,
  TerminalDraftError,
  NotReadyError,
  AuthorizationError,
  DraftNotFoundError,
  UnknownRunError,
  RunActiveError,
  IdempotencyKeyReuseError,
  InvalidTransitionError,
  OpenDraftExistsError,
  RetryExhaustedError,
  CorruptRecordError,
  StoreError,
  ConfigurationError,
  PreconditionRequiredError,
  PreconditionFailedError,
  InvalidIfMatchError,
  MalformedRequestError,
];

/** The members every problem has; everything else is the code's data. */
const ENVELOPE = ["type", "title", "status", "detail", "instance", "code"];

/** Copies the problem's data and detail onto the rebuilt error. */
function adopt<E extends Error>(error: E, problem: object): E {
  for (const [key, value] of Object.entries(problem)) {
    if (!ENVELOPE.includes(key)) (error as unknown as Record<string, unknown>)[key] = value;
  }
  const { detail } = problem as { readonly detail?: unknown };
  if (typeof detail === "string") error.message = detail;
  return error;
}

/** The errors of 5xx and 429 answers: the server may recover, so a watch retries them. */
export const retryable: WeakSet<Error> = /* @__PURE__ */ new WeakSet();

/**
 * The error a failed response stands for: the package's class for every problem the contract
 * declares, a {@link ResponseError} for anything else (`internal_error`, a code this client does
 * not know, a body that is not a problem). Errors of 5xx and 429 answers are marked retryable.
 */
export function problemError(status: number, body: unknown): Error {
  const problem = body as Readonly<Record<string, unknown>> | null | undefined;
  const code = problem?.["code"];
  const Class = CLASSES.find((candidate) => candidate.errorCode === code);
  const error =
    Class === undefined
      ? new ResponseError(status, body)
      : adopt(Reflect.construct(OnboardingError, [code, ""], Class) as OnboardingError, problem as object);
  if (status >= 500 || status === 429) retryable.add(error);
  return error;
}

/** The `VersionConflictError` of a `version_conflict` problem, with the reloaded current draft. */
export function conflictError(problem: ProblemOf<"version_conflict">, current: OnboardingDraft): VersionConflictError {
  const error = adopt(new VersionConflictError(problem.expectedVersion, current, problem.changedBy), problem);
  // The reload may have found a version newer than the one the problem named.
  return Object.assign(error, { actualVersion: current.version });
}
