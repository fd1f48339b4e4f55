/**
 * What an adapter's test file hands the conformance kit: the harness (the store and the two
 * back doors the kit needs), the test runner's functions, and the options.
 */
import type { DraftStore } from "../../store/index.js";

/** What the kit needs from an adapter's test setup. */
export interface ConformanceHarness {
  /** The store under test. One instance serves the whole suite; tests use fresh workspaces. */
  readonly store: DraftStore;
  /**
   * Overwrites the stored JSON document of an existing draft with raw JSON text, bypassing the
   * adapter's checks (used to prove corrupt data is reported, not crashed on). A store that
   * cannot hold text that is not JSON (a `json`/`jsonb` column) may throw for it: the test that
   * writes such text is then skipped visibly.
   */
  writeRawDocument(workspaceId: string, draftId: string, raw: string): Promise<void>;
  /**
   * For stores that keep a draft's version beside its document (a SQL `version` column, a Redis
   * hash field): overwrites only that stored version, leaving the document as it is (used to
   * prove a disagreement is reported as `CorruptRecordError`). Omit it for stores that keep none;
   * the test is then skipped visibly.
   */
  writeStoredVersion?(workspaceId: string, draftId: string, version: number): Promise<void>;
  /** Called once after the suite: drop tables or keys, close connections. */
  teardown(): Promise<void>;
}

/**
 * The subset of a test runner the kit uses. vitest's and jest's functions fit as they are:
 * `{ describe, it, beforeAll, afterAll }`.
 *
 * Some tests cover optional features of the port (`pruneIdempotency`, a stored version column,
 * a store of text, non-JSON text). Whether a store has them is only known once the harness exists, inside
 * the test, so a test without its feature marks itself skipped at run time, never passes
 * silently. How, by runner:
 *
 * - vitest (3.1 or later): nothing to pass. The kit calls `skip(reason)` on the test context
 *   vitest hands every test body; the test shows as skipped with the reason.
 * - jest: jest cannot skip a test that has started. Leave out {@link TestRunner.skip} and the
 *   kit prints `SKIPPED <test>: <reason>` with `console.warn` and the test is reported as passed;
 *   or pass your own `skip`, e.g. one that throws, to fail instead.
 */
export interface TestRunner {
  /** Groups tests. */
  describe(name: string, body: () => void): void;
  /**
   * Registers a test; `timeout` in milliseconds. The kit reads the runner's test context from
   * the first argument the runner passes the body (the body declares no parameter, so jest does
   * not take it for a `done` callback).
   */
  it(name: string, body: () => Promise<void>, timeout?: number): void;
  /** Runs once before the group's tests. */
  beforeAll(body: () => Promise<void>, timeout?: number): void;
  /** Runs once after the group's tests. */
  afterAll(body: () => Promise<void>, timeout?: number): void;
  /**
   * Optional: marks the running test as skipped. Called with the test context the runner passed
   * the test body (`undefined` when it passes none) and the reason; the test body returns right
   * after it (it may also throw, as vitest's `context.skip` does). Default: the context's own
   * `skip(reason)` when it has one, otherwise a `console.warn` (see {@link TestRunner}).
   */
  skip?(context: unknown, reason: string): void;
}

/** Options of `describeStoreConformance`. */
export interface ConformanceOptions {
  /** The runner's functions, e.g. `{ describe, it, beforeAll, afterAll }` from `vitest`. */
  readonly runner: TestRunner;
  /** Runs of the model-based property (default 100). */
  readonly numRuns?: number;
  /**
   * Replays a failing run: the seed fast-check printed for the model-based property, or the one
   * the linearizability section printed.
   */
  readonly seed?: number;
  /** Concurrent writers in the lost-update test (default 24). */
  readonly writers?: number;
  /** Per-test timeout in milliseconds (default 120 000). */
  readonly timeoutMs?: number;
  /**
   * The `documentCacheSize` of every engine the kit creates (default: the engine's, 1000). Run
   * the kit a second time with 0 to check the store when every command reads first.
   */
  readonly documentCacheSize?: number;
  /**
   * Receives one line of figures from each test that measures something (the linearizability
   * section: operations recorded and checked, conflicts, faults injected). Default: nothing is
   * printed. Pass `console.log` to see them.
   */
  readonly log?: (line: string) => void;
}
