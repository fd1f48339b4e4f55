/**
 * The conformance kit: one suite, registered with the caller's test runner, that checks every
 * promise of the storage port against an adapter. One file per section (`records.ts`,
 * `compare-and-set.ts`, `engine-guarantees.ts`, `isolation.ts`, `model-based.ts`, `outbox.ts`,
 * `linearizability.ts`, `audit-paging.ts`), helpers in `shared.ts`, the caller's side (harness,
 * runner, options) in `harness.ts`. Tests of optional features skip themselves visibly when the
 * store lacks them (see `TestRunner`).
 */
import { createOnboardingEngine, type OnboardingEngine } from "../../engine/index.js";
import { auditPagingSection } from "./audit-paging.js";
import { compareAndSetSection } from "./compare-and-set.js";
import { engineGuaranteesSection } from "./engine-guarantees.js";
import type { ConformanceHarness, ConformanceOptions, TestRunner } from "./harness.js";
import { isolationSection } from "./isolation.js";
import { linearizabilitySection } from "./linearizability.js";
import { modelBasedSection } from "./model-based.js";
import { outboxSection } from "./outbox.js";
import { recordsSection } from "./records.js";
import { allowAll, type EngineOverrides, type KitTest, type SectionContext } from "./shared.js";

export type { ConformanceHarness, ConformanceOptions, TestRunner } from "./harness.js";
export { freshWorkspace } from "./shared.js";

/** Marks the running test skipped: the runner's own `skip`, the test context's, or a warning. */
function skipTest(runner: TestRunner, context: unknown, title: string, reason: string): void {
  if (runner.skip !== undefined) {
    runner.skip(context, reason);
    return;
  }
  // vitest's test context is a function object carrying `skip`, `task`, `signal` ...
  const holder = (typeof context === "object" && context !== null) || typeof context === "function";
  const skip = holder ? (context as { skip?: unknown }).skip : undefined;
  if (typeof skip === "function") {
    skip.call(context, reason); // vitest: throws, which ends the test as skipped
    return;
  }
  console.warn(
    `[onboarding-lifecycle conformance] SKIPPED ${title}: ${reason} (this runner cannot mark a running test skipped, so it reports a pass)`,
  );
}

/**
 * Registers the conformance suite for a storage adapter with your test runner. Every test uses
 * fresh workspace ids, so the order of tests does not matter and one harness serves them all.
 * Tests of optional features the store lacks are skipped with the reason, never passed (see
 * {@link TestRunner} for jest).
 *
 * @example
 * ```ts
 * import { describe, it, beforeAll, afterAll } from "vitest";
 * import { describeStoreConformance } from "onboarding-lifecycle/testing";
 * import { createMemoryStore } from "onboarding-lifecycle/adapters/memory";
 *
 * describeStoreConformance("memory", async () => {
 *   const store = createMemoryStore();
 *   return { store, writeRawDocument: async (ws, id, raw) => store.setRawDocument(ws, id, raw), teardown: async () => {} };
 * }, { runner: { describe, it, beforeAll, afterAll } });
 * ```
 */
export function describeStoreConformance(
  name: string,
  factory: () => Promise<ConformanceHarness>,
  options: ConformanceOptions,
): void {
  const { runner } = options;
  const timeout = options.timeoutMs ?? 120_000;
  let harness: ConformanceHarness | undefined;
  const h = (): ConformanceHarness => {
    if (harness === undefined) throw new Error("conformance harness not ready (factory failed?)");
    return harness;
  };
  const engineOf = (overrides: EngineOverrides = {}): OnboardingEngine =>
    createOnboardingEngine({
      store: h().store,
      authorize: allowAll,
      retry: { attempts: 200, maxDelayMs: 20 },
      ...(options.documentCacheSize === undefined ? {} : { documentCacheSize: options.documentCacheSize }),
      ...overrides,
    });
  const it = (title: string, body: (test: KitTest) => Promise<void>): void => {
    // A plain function that declares no parameter: jest takes a declared one for a `done`
    // callback, and vitest parses it for fixtures. The runner's test context (vitest passes
    // one) is read from `arguments`.
    runner.it(
      title,
      function conformanceTest(): Promise<void> {
        // eslint-disable-next-line prefer-rest-params -- a rest parameter would show as a parameter to jest and vitest
        const context: unknown = arguments[0];
        return body({ skip: (reason) => skipTest(runner, context, title, reason) });
      },
      timeout,
    );
  };
  const section: SectionContext = { it, h, engineOf, options };

  runner.describe(`DraftStore conformance: ${name}`, () => {
    runner.beforeAll(async () => {
      harness = await factory();
    }, timeout);
    runner.afterAll(async () => {
      await harness?.teardown();
    }, timeout);
    runner.describe("records", () => recordsSection(section));
    runner.describe("compare-and-set", () => compareAndSetSection(section));
    runner.describe("engine guarantees on this store", () => engineGuaranteesSection(section));
    runner.describe("isolation, identity and recovery", () => isolationSection(section));
    runner.describe("model-based", () => modelBasedSection(section));
    runner.describe("outbox", () => outboxSection(section));
    runner.describe("linearizability", () => linearizabilitySection(section));
    runner.describe("audit paging", () => auditPagingSection(section));
  });
}
