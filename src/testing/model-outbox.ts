/**
 * The outbox invariant of the model-based run: after every step, the store's outbox for the
 * draft holds exactly the entries the model's runs call for, each written by a committed audit
 * entry, and every commit that started or expired a run wrote its entry.
 */
import { OutboxRecordSchema, type AuditEvent, type OutboxRecord } from "../record/index.js";
import { OutboxKind } from "../vocabulary/index.js";
import type { DraftStore } from "../store/index.js";
import type { ModelRun } from "./model-state.js";

function fail(message: string): never {
  throw new Error(message);
}

/** The key records are listed by: (createdAt, workspaceId, entryId). */
function orderKey(record: OutboxRecord): readonly [string, string, string] {
  return [record.createdAt, record.workspaceId, record.entryId];
}

function before(a: readonly [string, string, string], b: readonly [string, string, string]): boolean {
  for (let i = 0; i < 3; i += 1) {
    const x = a[i] ?? "";
    const y = b[i] ?? "";
    if (x !== y) return x < y;
  }
  return false;
}

/** Every outbox record of a workspace, through all `listOutbox` pages (small pages, so paging is exercised). */
export async function listWholeOutbox(store: DraftStore, workspaceId: string): Promise<OutboxRecord[]> {
  const records: OutboxRecord[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < 1000; page += 1) {
    const result = await store.listOutbox({ workspaceId, limit: 3, ...(cursor === null ? {} : { cursor }) });
    for (const raw of result.entries) {
      const parsed = OutboxRecordSchema.safeParse(raw);
      if (!parsed.success) fail(`listOutbox returned an invalid record: ${JSON.stringify(raw)}`);
      const last = records.at(-1);
      if (last !== undefined && !before(orderKey(last), orderKey(parsed.data))) {
        fail(`listOutbox pages are not in strictly ascending (createdAt, workspaceId, entryId) order`);
      }
      records.push(parsed.data);
    }
    if (result.entries.length > 3) fail("listOutbox returned more than limit entries");
    cursor = result.nextCursor;
    if (cursor === null) return records;
  }
  return fail("listOutbox never returned a last page");
}

function checkRequested(record: OutboxRecord, run: ModelRun, iso: (ms: number) => string): void {
  const label = `run.requested of ${run.runId}`;
  if (record.checkpoint !== run.checkpoint || record.operation !== run.operation) {
    fail(`${label} is for ${record.checkpoint}/${record.operation}, not ${run.checkpoint}/${run.operation}`);
  }
  if (record.createdAt !== iso(run.startedAt)) fail(`${label} was written at ${record.createdAt}, not at the start`);
  const reportedAt = run.reportedAt === null ? null : iso(run.reportedAt);
  if (record.reportedAt !== reportedAt) fail(`${label} has reportedAt ${record.reportedAt}, model ${reportedAt}`);
  if (record.progressMessage !== run.progressMessage || record.progressPercent !== run.progressPercent) {
    fail(`${label} has progress ${record.progressMessage}/${record.progressPercent}, model ${run.progressMessage}`);
  }
}

/**
 * Checks the draft's outbox against the model's runs and the draft's audit trail: one
 * `run.requested` per run started, one `run.cancelled` per run ended by anything but its own
 * result, nothing else; each entry's `eventId` / `draftVersion` / `createdAt` those of a
 * committed audit entry; every commit that queued or expired a run wrote that run's entry.
 */
export async function assertOutboxInvariants(
  store: DraftStore,
  target: { readonly workspaceId: string; readonly draftId: string },
  runs: ReadonlyMap<string, ModelRun>,
  events: readonly AuditEvent[],
  iso: (ms: number) => string,
): Promise<void> {
  const committed = new Map(events.filter((event) => event.kind === "committed").map((e) => [e.eventId, e]));
  const requested = new Map<string, OutboxRecord>();
  const cancelled = new Map<string, OutboxRecord>();
  const entryIds = new Set<string>();
  for (const record of await listWholeOutbox(store, target.workspaceId)) {
    if (record.workspaceId !== target.workspaceId || record.draftId !== target.draftId) {
      fail(`an outbox entry of another draft or workspace: ${record.workspaceId}/${record.draftId}`);
    }
    if (entryIds.has(record.entryId)) fail(`outbox entry id ${record.entryId} twice`);
    entryIds.add(record.entryId);
    const event = committed.get(record.eventId);
    if (event === undefined) fail(`${record.kind} of ${record.runId} has no committed audit entry ${record.eventId}`);
    if (event.toVersion !== record.draftVersion || event.at !== record.createdAt) {
      fail(
        `${record.kind} of ${record.runId} says v${record.draftVersion} at ${record.createdAt}; its commit v${event.toVersion} at ${event.at}`,
      );
    }
    const byRun = record.kind === OutboxKind.RunRequested ? requested : cancelled;
    if (byRun.has(record.runId)) fail(`two ${record.kind} entries for run ${record.runId}`);
    byRun.set(record.runId, record);
  }
  for (const run of runs.values()) {
    const entry = requested.get(run.runId);
    if (entry === undefined) fail(`run ${run.runId} was started without a run.requested entry`);
    checkRequested(entry, run, iso);
    if (run.cancelled !== cancelled.has(run.runId)) {
      fail(
        `run ${run.runId}: run.cancelled ${cancelled.has(run.runId) ? "written" : "missing"}, model says ${run.cancelled}`,
      );
    }
  }
  const unexpected = [...requested.keys(), ...cancelled.keys()].filter((runId) => !runs.has(runId));
  if (unexpected.length > 0) fail(`outbox entries for runs the model never started: ${unexpected.join(", ")}`);
  for (const event of committed.values()) {
    const entries = event.feedback === "queued" ? requested : event.feedback === "expired" ? cancelled : null;
    for (const runId of entries === null ? [] : event.runIds) {
      if (entries?.get(runId)?.eventId !== event.eventId) {
        fail(`commit ${event.eventId} (${event.commandType}, ${event.feedback}) has no outbox entry for run ${runId}`);
      }
    }
  }
}
