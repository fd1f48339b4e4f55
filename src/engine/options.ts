import * as z from "zod/mini";
import { OVERRIDABLE_BLOCKER_CODES } from "../vocabulary/index.js";
import {
  ConfigurationError,
  IdSchema,
  LifecycleStateSchema,
  IdempotencyKeySchema,
  ValidationError,
  VersionSchema,
  isId,
  isIdempotencyKey,
  isVersion,
  safeParseWithMessages,
  toValidationIssues,
} from "../record/index.js";

/**
 * The engine's checks of its call arguments (ids, keys, versions): each one is a zod schema,
 * plus an exact pre-check of the common valid case so a well-formed call does not pay for a
 * zod parse of a single string. A value the pre-check does not accept goes through zod, which
 * decides and writes the issues. A property in `test/engine/engine.test.ts` proves the
 * pre-checks never accept what the schema refuses.
 */

/** The rule of every id argument (workspace, draft, actor): the record's id rule, 1 to 128 UTF-16 code units. */
export const IdArgumentSchema = IdSchema;
/** The rule of an idempotency key: absent, or 1 to 255 UTF-16 code units of storable text. */
export const KeyArgumentSchema = z.optional(IdempotencyKeySchema);
/** The rule of an `expectedVersion`: the record's version rule, an integer from 1 to `MAX_VERSION`. */
export const VersionArgumentSchema = VersionSchema;

/** Exact pre-check of {@link IdArgumentSchema}. */
export const isIdArgument = isId;
/** Exact pre-check of {@link KeyArgumentSchema}. */
export const isKeyArgument = (value: unknown): value is string | undefined =>
  value === undefined || isIdempotencyKey(value);
/** Exact pre-check of {@link VersionArgumentSchema}. */
export const isVersionArgument = isVersion;

/**
 * Validates one call argument: `accepts` first, zod when it does not.
 *
 * @throws {@link ValidationError} (target `options`) with the zod issues under `path`.
 */
export function checkArgument<T>(
  schema: z.ZodMiniType<T>,
  accepts: (value: unknown) => value is T,
  value: unknown,
  path: readonly (string | number)[],
): T {
  if (accepts(value)) return value;
  const result = safeParseWithMessages(schema, value);
  if (result.success) return result.data;
  throw new ValidationError(
    "options",
    toValidationIssues(result.issues).map((issue) => ({ ...issue, path: [...path, ...issue.path] })),
  );
}

/** The methods every store has (the engine checks them at construction). */
export const STORE_METHODS = [
  "load",
  "insert",
  "commit",
  "appendAudit",
  "listAudit",
  "findOpenDraft",
  "loadIdempotency",
  "list",
  // the outbox half (background runs)
  "claimOutbox",
  "settleOutbox",
  "releaseOutbox",
  "listOutbox",
  "requeueOutbox",
  "recordRunProgress",
  "listRunRecords",
  "findStaleRuns",
  "settleRuns",
] as const;
/** The methods a store may have. */
export const OPTIONAL_STORE_METHODS = [
  "pruneIdempotency",
  "pruneOutbox",
  "close",
  "describe",
  "appendConflict",
] as const;
const ID_METHODS = ["draftId", "runId", "eventId"] as const;

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value === "object" ? "an object" : typeof value;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Throws `ConfigurationError(option)` unless `value` is an object whose `methods` are functions. */
function checkMethods(
  value: unknown,
  option: string,
  methods: readonly string[],
  optional: readonly string[] = [],
): void {
  if (!isRecord(value)) throw new ConfigurationError(option, `${option} must be an object, got ${describe(value)}`);
  for (const method of methods) {
    if (typeof value[method] !== "function") {
      throw new ConfigurationError(
        `${option}.${method}`,
        `${option}.${method} must be a function, got ${describe(value[method])}`,
      );
    }
  }
  for (const method of optional) {
    if (value[method] !== undefined && typeof value[method] !== "function") {
      throw new ConfigurationError(
        `${option}.${method}`,
        `${option}.${method} must be a function when given, got ${describe(value[method])}`,
      );
    }
  }
}

function checkNumber(value: unknown, option: string, rule: (n: number) => boolean, expected: string): void {
  if (value === undefined) return;
  if (typeof value !== "number" || !rule(value)) {
    throw new ConfigurationError(
      option,
      `${option} must be ${expected}, got ${typeof value === "number" ? String(value) : describe(value)}`,
    );
  }
}

function checkPolicy(policy: unknown): void {
  if (policy === undefined) return;
  if (!isRecord(policy)) throw new ConfigurationError("policy", `policy must be an object, got ${describe(policy)}`);
  checkNumber(
    policy["verificationMaxAgeMs"],
    "policy.verificationMaxAgeMs",
    (n) => Number.isFinite(n) && n > 0,
    "a positive number of milliseconds",
  );
  for (const name of ["requiredBootstrapOperations", "overridableBlockers"] as const) {
    const list = policy[name];
    if (list === undefined) continue;
    if (!Array.isArray(list) || !list.every((entry) => typeof entry === "string" && isId(entry))) {
      throw new ConfigurationError(`policy.${name}`, `policy.${name} must be an array of non-empty strings`);
    }
  }
  const overridable = policy["overridableBlockers"] as readonly string[] | undefined;
  const unknown = overridable?.find((code) => !(OVERRIDABLE_BLOCKER_CODES as readonly string[]).includes(code));
  if (unknown !== undefined) {
    throw new ConfigurationError(
      "policy.overridableBlockers",
      `policy.overridableBlockers may only name ${OVERRIDABLE_BLOCKER_CODES.join(", ")}; got ${JSON.stringify(unknown)}`,
    );
  }
}

function checkRetry(retry: unknown): void {
  if (retry === undefined) return;
  if (!isRecord(retry)) throw new ConfigurationError("retry", `retry must be an object, got ${describe(retry)}`);
  checkNumber(
    retry["attempts"],
    "retry.attempts",
    (n) => Number.isInteger(n) && n >= 1 && n <= 1000,
    "an integer from 1 to 1000",
  );
  checkNumber(
    retry["baseDelayMs"],
    "retry.baseDelayMs",
    (n) => Number.isFinite(n) && n >= 0,
    "a number of milliseconds >= 0",
  );
  checkNumber(
    retry["maxDelayMs"],
    "retry.maxDelayMs",
    (n) => Number.isFinite(n) && n >= 0,
    "a number of milliseconds >= 0",
  );
  for (const name of ["random", "sleep"] as const) {
    if (retry[name] !== undefined && typeof retry[name] !== "function") {
      throw new ConfigurationError(
        `retry.${name}`,
        `retry.${name} must be a function when given, got ${describe(retry[name])}`,
      );
    }
  }
}

/**
 * Checks the options of `createOnboardingEngine` at construction, so a missing store or
 * `authorize` (common from plain JavaScript or a mistyped config object) fails at start-up with a
 * `ConfigurationError` naming the option, not on the first request with a `TypeError`.
 *
 * @throws {@link ConfigurationError}
 */
export function checkEngineOptions(options: unknown): void {
  if (!isRecord(options)) {
    throw new ConfigurationError("options", `createOnboardingEngine needs an options object, got ${describe(options)}`);
  }
  if (options["store"] === undefined)
    throw new ConfigurationError("store", "the `store` option is required (e.g. createMemoryStore())");
  checkMethods(options["store"], "store", STORE_METHODS, OPTIONAL_STORE_METHODS);
  const stores = (options["store"] as Record<string, unknown>)["stores"];
  if (stores !== undefined && stores !== "text" && stores !== "values") {
    throw new ConfigurationError("store.stores", `store.stores must be "text" or "values", got ${describe(stores)}`);
  }
  if (typeof options["authorize"] !== "function") {
    throw new ConfigurationError(
      "authorize",
      `the \`authorize\` option is required: a function (actor, capability, draft) => boolean | Promise<boolean>, got ${describe(options["authorize"])}`,
    );
  }
  if (options["clock"] !== undefined) checkMethods(options["clock"], "clock", ["now"]);
  if (options["ids"] !== undefined) checkMethods(options["ids"], "ids", ID_METHODS);
  checkPolicy(options["policy"]);
  checkRetry(options["retry"]);
  checkNumber(
    options["runLeaseMs"],
    "runLeaseMs",
    (n) => Number.isInteger(n) && n >= 1 && n <= 2_147_483_647,
    "a positive integer number of milliseconds",
  );
  checkNumber(
    options["documentCacheSize"],
    "documentCacheSize",
    (n) => Number.isInteger(n) && n >= 0,
    "a non-negative integer",
  );
  const writeGate = options["writeGate"];
  if (writeGate !== undefined && typeof writeGate !== "boolean") {
    throw new ConfigurationError("writeGate", `writeGate must be a boolean, got ${describe(writeGate)}`);
  }
  checkObservers(options["observe"], options["onObserverError"]);
  if (options["instrumentation"] !== undefined)
    checkMethods(options["instrumentation"], "instrumentation", ["startOperation"]);
}

/** `observe` is a function or an array of functions; `onObserverError` a function. */
function checkObservers(observe: unknown, onObserverError: unknown): void {
  const observers = Array.isArray(observe) ? observe : observe === undefined ? [] : [observe];
  observers.forEach((observer, index) => {
    if (typeof observer !== "function") {
      const name = Array.isArray(observe) ? `observe[${index}]` : "observe";
      throw new ConfigurationError(name, `observers must be functions (event) => void, got ${describe(observer)}`);
    }
  });
  if (onObserverError !== undefined && typeof onObserverError !== "function") {
    throw new ConfigurationError(
      "onObserverError",
      `onObserverError must be a function, got ${describe(onObserverError)}`,
    );
  }
}

/**
 * The rule of `engine.list` options: a known lifecycle state, a page size from 1 to 500, a
 * cursor string; unknown keys are refused (a misplaced `actor` is a mistake, not a no-op).
 */
export const ListOptionsSchema = z.strictObject({
  state: z.optional(LifecycleStateSchema),
  limit: z.optional(z.int().check(z.gte(1), z.lte(500))),
  cursor: z.optional(z.nullable(z.string().check(z.maxLength(4096)))),
});
