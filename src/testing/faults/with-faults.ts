/**
 * Fault-injecting store wrappers: make a store fail, or answer slowly, on chosen methods, to
 * test how an application (or the engine) behaves when storage misbehaves.
 */
import { StoreError } from "../../record/index.js";
import type { DraftStore } from "../../store/index.js";

/** Options of {@link withFaults}. */
export interface FaultOptions {
  /** Methods that may fail. Default: `["commit", "insert"]`. */
  readonly methods?: readonly (keyof Omit<DraftStore, "name" | "close">)[];
  /** Probability in [0, 1] that a call fails. Default 0.5. */
  readonly failureRate?: number;
  /**
   * `before` (default): fail without calling the store (nothing written). `after`: call the store,
   * then fail anyway, as when a connection drops after the database committed (the caller cannot
   * know whether the write happened; idempotency keys make the retry safe).
   */
  readonly when?: "before" | "after";
  /** Extra latency per call in milliseconds. Default 0. */
  readonly latencyMs?: number;
  /** Random source in [0, 1). Default `Math.random`; inject a seeded one for replayable tests. */
  readonly random?: () => number;
}

/**
 * Wraps a store so that chosen methods fail at random (before or after the real call) or slow
 * down.
 *
 * @example
 * ```ts
 * const flaky = withFaults(createMemoryStore(), { failureRate: 0.3, when: "after" });
 * const engine = createOnboardingEngine({ store: flaky, authorize: () => true });
 * ```
 */
export function withFaults<TStore extends DraftStore>(store: TStore, options: FaultOptions = {}): TStore {
  const methods = new Set<string>(options.methods ?? ["commit", "insert"]);
  const rate = options.failureRate ?? 0.5;
  const when = options.when ?? "before";
  const latency = options.latencyMs ?? 0;
  const random = options.random ?? Math.random;
  const delay = (): Promise<void> =>
    latency > 0 ? new Promise((resolve) => setTimeout(resolve, latency)) : Promise.resolve();
  return new Proxy(store, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof property !== "string" || typeof value !== "function" || !methods.has(property)) return value;
      const method = value as (...args: unknown[]) => Promise<unknown>;
      return async (...args: unknown[]) => {
        await delay();
        const failing = random() < rate;
        if (failing && when === "before") throw new StoreError(target.name, property, new Error("injected fault"));
        const result = await method.apply(target, args);
        if (failing) throw new StoreError(target.name, property, new Error("injected fault after the call"));
        return result;
      };
    },
  });
}
