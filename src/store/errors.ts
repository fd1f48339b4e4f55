import { ConfigurationError, StoreError, isOnboardingError } from "../record/index.js";
import type { WriteRejection } from "./port.js";

/**
 * Thrown by `rejectWrite` to unwind a transaction; caught by `storeWrite`. Never
 * reaches a caller: `wrapStoreErrors` lets it through unchanged so `storeWrite` can return it.
 */
export class WriteRejected extends Error {
  /** @param rejection what the write reports */
  constructor(readonly rejection: WriteRejection) {
    super(`write rejected: ${rejection.reason}`);
    this.name = "WriteRejected";
  }
}

/**
 * Runs one store operation and wraps whatever a driver throws in `StoreError` (naming the
 * adapter and operation), letting the package's own errors (`CorruptRecordError`,
 * `ValidationError`, an inner `StoreError`) through unchanged. The one error wrapper of every
 * adapter: an adapter never constructs `StoreError` itself, it throws a plain `Error` (or lets
 * the driver's through) inside this wrapper. A rejection thrown with `rejectWrite` also passes
 * through, for `storeWrite` to return.
 *
 * @example
 * ```ts
 * declare function readDocument(workspaceId: string, id: string): Promise<string | null>;
 * const load = (workspaceId: string, id: string) =>
 *   wrapStoreErrors("my-store", "load", async () => {
 *     const text = await readDocument(workspaceId, id); // may throw a driver error
 *     return text === null ? null : parseStoredJson(text, "draft document", id);
 *   });
 * ```
 */
export async function wrapStoreErrors<T>(adapter: string, operation: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw storeFailure(adapter, operation, error);
  }
}

/**
 * @internal What the error wrapper throws for `error`: the package's own errors and a
 * `WriteRejected` unchanged, anything else as `StoreError(adapter, operation)`. Shared by
 * `wrapStoreErrors` and `storeWrite` so both wrap alike.
 */
export function storeFailure(adapter: string, operation: string, error: unknown): unknown {
  if (isOnboardingError(error) || error instanceof WriteRejected) return error;
  return new StoreError(adapter, operation, error);
}

/**
 * Loads an optional peer dependency with a dynamic `import()`, turning "not installed" into a
 * `ConfigurationError` that names the package to install (any other load failure, such as a
 * native module built for another Node version, is reported with its own message).
 *
 * @param name the package, e.g. `pg`
 * @param option the adapter option that made the adapter load it (reported as the error's `option`)
 * @param load the `import()` itself, so bundlers still see a literal specifier
 *
 * @example
 * ```ts
 * const pg = await loadDriver("pg", "connection", () => import("pg"));
 * ```
 */
export async function loadDriver<T>(name: string, option: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code;
    const missing = code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND";
    const detail = error instanceof Error ? error.message : String(error);
    throw new ConfigurationError(
      option,
      missing
        ? `the "${name}" package is not installed: run \`npm install ${name}\` (it is an optional peer dependency of onboarding-lifecycle)`
        : `the "${name}" package could not be loaded: ${detail}`,
    );
  }
}
