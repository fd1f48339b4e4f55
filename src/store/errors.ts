import { StoreError, isOnboardingError } from "../record/index.js";

/**
 * Runs one store operation and wraps whatever a driver throws in `StoreError` (naming the
 * adapter and operation), letting the package's own errors (`CorruptRecordError`,
 * `ValidationError`, an inner `StoreError`) through unchanged.
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
    if (isOnboardingError(error)) throw error;
    throw new StoreError(adapter, operation, error);
  }
}
