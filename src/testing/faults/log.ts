/**
 * The log of injected faults: one record per fault, in the order they were injected, with
 * counts by kind and a text form a failing test prints (with the seed that replays it).
 */

/**
 * What was injected:
 * - `before`: a write failed before it reached the store (nothing written).
 * - `after`: a write reached the store, then its caller got an error (outcome unknown to it).
 * - `other`: a call of another method failed before it reached the store.
 * - `latency`: a call was delayed.
 * - `reorder`: held commits were sent to the store in a shuffled order.
 * - `disconnect`: the connection dropped (an outage began).
 * - `offline`: a call failed during an outage, without reaching the store.
 * - `lost_reply`: a call was in flight when the connection dropped: it reached the store, its reply was lost.
 */
export type FaultKind = "before" | "after" | "other" | "latency" | "reorder" | "disconnect" | "offline" | "lost_reply";

/** Every {@link FaultKind}, in a fixed order (for counts and reports). */
export const FAULT_KINDS: readonly FaultKind[] = [
  "before",
  "after",
  "other",
  "latency",
  "reorder",
  "disconnect",
  "offline",
  "lost_reply",
];

/** One injected fault. */
export interface FaultRecord {
  /** Its position in the log, from 1. */
  readonly seq: number;
  /** What was injected. */
  readonly kind: FaultKind;
  /** The port method of the call. */
  readonly method: string;
  /** The call's number among the calls of that method, from 1 (what the schedule decides by). */
  readonly call: number;
  /** The draft the call was about (`workspaceId/draftId`), when it names one. */
  readonly draft: string | null;
  /**
   * For `after` and `lost_reply`: whether the store applied the call (`true`: a write that
   * committed, or returned without a rejection; `false`: one it rejected or that threw; `null`:
   * not a write, or a fault before the store saw the call).
   */
  readonly applied: boolean | null;
  /** Details: the delay, the order of a reordered batch, the length of an outage. */
  readonly detail: string;
  /** When, in milliseconds since the wrapper was made. */
  readonly atMs: number;
}

/** How many faults of each kind were injected. */
export type FaultCounts = Readonly<Record<FaultKind, number>>;

/** The counts of a log. */
export function countFaults(log: readonly FaultRecord[]): FaultCounts {
  const counts = Object.fromEntries(FAULT_KINDS.map((kind) => [kind, 0])) as Record<FaultKind, number>;
  for (const record of log) counts[record.kind] += 1;
  return counts;
}

/** One record on one line. */
export function formatFault(record: FaultRecord): string {
  const applied =
    record.applied === null ? "" : record.applied ? " (the store applied it)" : " (the store did not apply it)";
  const draft = record.draft === null ? "" : ` ${record.draft}`;
  const detail = record.detail === "" ? "" : ` ${record.detail}`;
  return `#${record.seq} +${record.atMs.toFixed(1)}ms ${record.kind} ${record.method}#${record.call}${draft}${detail}${applied}`;
}

/** The log as text: the seed and counts, then the last `limit` records. */
export function formatFaultLog(seed: number, log: readonly FaultRecord[], limit = 50): string {
  const counts = countFaults(log);
  const summary = FAULT_KINDS.filter((kind) => counts[kind] > 0).map((kind) => `${kind} ${counts[kind]}`);
  const shown = limit > 0 ? log.slice(-limit) : [];
  return [
    `injected faults (seed ${seed}): ${summary.length === 0 ? "none" : summary.join(", ")}`,
    ...(shown.length < log.length ? [`  ... ${log.length - shown.length} earlier faults`] : []),
    ...shown.map((record) => `  ${formatFault(record)}`),
  ].join("\n");
}
