/**
 * Helpers of the conformance kit's outbox section: the store as an {@link OutboxStore}, records
 * checked against `OutboxRecordSchema`, drafts and real-looking entries committed at the store
 * level, and a private stretch of time per test.
 *
 * Claims and stale-run scans see every workspace, and entries other tests (or the engine) left
 * pending stay in the store. So each test runs in its own era: a 30-day window strictly before
 * the era of every earlier test (and long before anything the engine stamps). Entries of earlier
 * tests are then neither available nor stale at any instant of a later test's era, and a test
 * sees only its own.
 */
import { randomUUID } from "node:crypto";
import { applyCommand, newDraft } from "../../commands/index.js";
import { encodeDraft, sealDraft } from "../../lifecycle/index.js";
import {
  OutboxRecordSchema,
  newOutboxRecord,
  type OnboardingDraft,
  type OutboxEntry,
  type OutboxRecord,
} from "../../record/index.js";
import type { CommitInput, DraftStore, OutboxStore, WriteResult } from "../../store/index.js";
import {
  check,
  committedEvent,
  createdEvent,
  ctx,
  idempotencyFor,
  iso,
  withDocument,
  type KitTest,
  type SectionContext,
} from "./shared.js";

/** A store with the outbox half of the port. */
export type OutboxCapableStore = DraftStore & OutboxStore;

const OUTBOX_METHODS = [
  "claimOutbox",
  "settleOutbox",
  "releaseOutbox",
  "listOutbox",
  "requeueOutbox",
  "recordRunProgress",
  "listRunRecords",
  "findStaleRuns",
  "settleRuns",
] as const satisfies readonly (keyof OutboxStore)[];

/** The names of the outbox methods `store` lacks (none for an outbox store). */
export function missingOutboxMethods(store: DraftStore): readonly string[] {
  return OUTBOX_METHODS.filter((name) => typeof (store as Partial<OutboxStore>)[name] !== "function");
}

/** What an outbox test gets: the store, its own era, and a way to skip itself. */
export interface OutboxTest extends KitTest {
  /** The store under test, with its outbox methods. */
  readonly store: OutboxCapableStore;
  /** An instant of this test's era: its start plus `offsetMs` (below 30 days). */
  readonly at: (offsetMs?: number) => string;
}

const ERA_MS = 30 * 24 * 3600 * 1000;
/** Eras count down from here: 2000-01-01. */
const ERA_BASE = Date.UTC(2000, 0, 1);
let eras = 0;

/** Registers an outbox test: skipped visibly when the store has no outbox methods. */
export function outboxIt(section: SectionContext) {
  return (title: string, body: (test: OutboxTest) => Promise<void>): void =>
    section.it(title, async (test) => {
      const missing = missingOutboxMethods(section.h().store);
      if (missing.length > 0) {
        return test.skip(`the store does not implement OutboxStore (missing ${missing.join(", ")})`);
      }
      const store = section.h().store as OutboxCapableStore;
      eras += 1;
      const start = ERA_BASE - eras * ERA_MS;
      const at = (offsetMs = 0): string => {
        check(offsetMs >= 0 && offsetMs < ERA_MS, `era offset out of range: ${offsetMs}`);
        return new Date(start + offsetMs).toISOString();
      };
      await body({ skip: (reason) => test.skip(reason), store, at });
    });
}

const RECORD_KEYS = Object.keys(OutboxRecordSchema.shape).sort();

/** Checks one raw record against `OutboxRecordSchema` (exactly its fields) and returns it typed. */
export function outboxRecord(raw: unknown, label = "outbox record"): OutboxRecord {
  const parsed = OutboxRecordSchema.safeParse(raw);
  if (!parsed.success) {
    throw new Error(
      `${label} fails OutboxRecordSchema: ${JSON.stringify(parsed.error.issues)} in ${JSON.stringify(raw)}`,
    );
  }
  const keys = Object.keys(raw as object).sort();
  check(
    JSON.stringify(keys) === JSON.stringify(RECORD_KEYS),
    `${label} has other fields than OutboxRecordSchema: ${JSON.stringify(keys)}`,
  );
  return parsed.data;
}

/** {@link outboxRecord} for each of a list. */
export function outboxRecords(raw: readonly unknown[], label = "outbox records"): OutboxRecord[] {
  return raw.map((record, index) => outboxRecord(record, `${label}[${index}]`));
}

/** `workspaceId/entryId`, to compare sets of records. */
export const keyOf = (record: { readonly workspaceId: string; readonly entryId: string }): string =>
  `${record.workspaceId}/${record.entryId}`;

/** Throws unless `actual` equals `expected` (as JSON). */
export function same(actual: unknown, expected: unknown, message: string): void {
  const [a, b] = [JSON.stringify(actual), JSON.stringify(expected)];
  check(a === b, `${message}: expected ${b}, got ${a}`);
}

/** Inserts a fresh draft (with an identity, so it holds its tenant's open-draft slot). */
export async function seedDraft(
  store: DraftStore,
  workspaceId: string,
  options: { readonly id?: string; readonly tenantId?: string | null; readonly key?: string } = {},
): Promise<OnboardingDraft> {
  const tenantId = options.tenantId === undefined ? "tenant" : options.tenantId;
  const draft = sealDraft(
    newDraft({
      id: options.id ?? `d-${randomUUID()}`,
      workspaceId,
      now: iso(),
      actorId: "u",
      ...(tenantId === null ? {} : { identity: { tenantId, displayName: "Contoso" } }),
    }),
  );
  const idempotency = options.key === undefined ? null : idempotencyFor(draft, options.key);
  const inserted = await store.insert(withDocument({ draft, event: createdEvent(draft), idempotency }));
  check(inserted.ok, `insert failed: ${JSON.stringify(inserted)}`);
  return draft;
}

/** The next version of a draft (an `identify`), and its `committed` audit entry. */
export function nextVersion(
  draft: OnboardingDraft,
  tenantId = draft.identity?.tenantId ?? "tenant",
): { readonly draft: OnboardingDraft; readonly event: ReturnType<typeof committedEvent> } {
  const next = sealDraft(
    applyCommand(draft, { type: "identify", tenantId, displayName: `v${draft.version + 1}` }, ctx()).draft,
  );
  return { draft: next, event: committedEvent(next, `e-${next.version}`) };
}

/** What may differ between the entries a test writes. */
export interface EntrySpec {
  readonly createdAt: string;
  readonly entryId?: string;
  readonly runId?: string;
  readonly kind?: OutboxEntry["kind"];
  readonly checkpoint?: OutboxEntry["checkpoint"];
}

/** A real-looking entry for the commit that produced `draft` (its version and audit entry). */
export function entryFor(draft: OnboardingDraft, eventId: string, spec: EntrySpec): OutboxEntry {
  const checkpoint = spec.checkpoint ?? "verify_access";
  return {
    entryId: spec.entryId ?? `ob-${randomUUID()}`,
    workspaceId: draft.workspaceId,
    draftId: draft.id,
    runId: spec.runId ?? `run-${randomUUID()}`,
    kind: spec.kind ?? "run.requested",
    checkpoint,
    operation: checkpoint === "verify_access" ? "verify_access" : "create_default_groups",
    providerConnectionId: "conn-entra-1",
    providerRevision: 1,
    draftVersion: draft.version,
    eventId,
    createdAt: spec.createdAt,
  };
}

/** The commit of the next version of `draft` carrying entries built from `specs`. */
export function commitWithEntries(
  draft: OnboardingDraft,
  specs: readonly EntrySpec[],
  extra: Partial<Pick<CommitInput, "idempotency" | "expectedVersion">> & { readonly tenantId?: string } = {},
): { readonly input: CommitInput; readonly entries: readonly OutboxEntry[] } {
  const next = nextVersion(draft, extra.tenantId);
  const entries = specs.map((spec) => entryFor(next.draft, next.event.eventId, spec));
  const input: CommitInput = {
    draft: next.draft,
    document: encodeDraft(next.draft),
    expectedVersion: extra.expectedVersion ?? draft.version,
    events: [next.event],
    idempotency: extra.idempotency ?? null,
    outbox: entries,
  };
  return { input, entries };
}

/** Commits `specs` as entries of the next version of `draft`; the commit must succeed. */
export async function writeEntries(
  store: DraftStore,
  draft: OnboardingDraft,
  specs: readonly EntrySpec[],
): Promise<{ readonly draft: OnboardingDraft; readonly entries: readonly OutboxEntry[] }> {
  const { input, entries } = commitWithEntries(draft, specs);
  const result: WriteResult = await store.commit(input);
  check(result.ok, `commit with outbox entries failed: ${JSON.stringify(result)}`);
  return { draft: input.draft, entries };
}

/** The record a store must hold for a freshly written entry. */
export const freshRecord = (entry: OutboxEntry): OutboxRecord => newOutboxRecord(entry);

/** Every record of a workspace, through `listOutbox` pages of 500. */
export async function allOf(store: OutboxStore, workspaceId: string): Promise<OutboxRecord[]> {
  const records: OutboxRecord[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < 100; page += 1) {
    const result: Awaited<ReturnType<OutboxStore["listOutbox"]>> = await store.listOutbox({
      workspaceId,
      limit: 500,
      cursor,
    });
    records.push(...outboxRecords(result.entries));
    cursor = result.nextCursor;
    if (cursor === null) return records;
  }
  throw new Error("listOutbox never ended");
}

/** Sorts records by the outbox order, (createdAt, workspaceId, entryId). */
export function inOutboxOrder<T extends { createdAt: string; workspaceId: string; entryId: string }>(
  records: readonly T[],
): T[] {
  const text = (r: T): [string, string, string] => [r.createdAt, r.workspaceId, r.entryId];
  return [...records].sort((a, b) => {
    const [x, y] = [text(a), text(b)];
    for (let i = 0; i < 3; i += 1) if (x[i] !== y[i]) return (x[i] ?? "") < (y[i] ?? "") ? -1 : 1;
    return 0;
  });
}
