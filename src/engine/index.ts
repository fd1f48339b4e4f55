/**
 * engine/ — orchestration: validate -> authorize -> guard -> reduce -> re-derive -> one
 * version-checked commit with its audit entry and idempotency record; retries of background
 * results; idempotent replays; conflict and denial audit entries.
 *
 * One file per operation: `execute.ts` (one attempt pipeline, on a cached or a loaded draft),
 * `create.ts`, `reads.ts` (`get`, `history`, `list`), `gate.ts` (the per-draft write gate of
 * `execute`: one compare-and-set in flight per draft, stale waiters rejected in one batch), `history.ts` (history pages and cursors, and
 * the engine's bounded walks of a trail), `runs-api.ts` (`runProgress`,
 * `expireStuckRuns`), `outbox.ts` (the outbox entries of a commit, pure); `context.ts` holds what they share (the
 * injected store, rule, clock and ids, argument checks, authorization with its audit entry, and
 * the checks of every record a store hands back), `document-cache.ts` the one decoder and cache of
 * stored drafts; `events.ts` the observers' bus; `instrumentation.ts` the tracing hook (types
 * and outcome names, no dependency), `outcome.ts` how an instrumentation reads results and
 * errors, and `instrumented.ts` the operations wrapped in the hook, used only when an engine has
 * an instrumentation; `engine.ts` wires them together.
 *
 * May import: vocabulary/, record/, lifecycle/, commands/ and the store port (store/). Never a
 * driver or an adapter.
 */
export * from "./engine.js";
export * from "./types.js";
export * from "./runs-api.js";
export * from "./instrumentation.js";
export * from "./outcome.js";
export {
  DEFAULT_HISTORY_LIMIT,
  MAX_HISTORY_LIMIT,
  type HistoryOptions,
  type HistoryOrder,
  type HistoryPage,
} from "./history.js";
export { outboxEntriesOf, activeRuns } from "./outbox.js";
export { toIso } from "./defaults.js";
