import { isSealedDraft } from "../../lifecycle/index.js";
import {
  checkOutboxLimit,
  compareOutboxOrder,
  encodeCursor,
  encodeOutboxCursor,
  listCursor,
  outboxCursor,
  idempotencyCutoff,
  outboxCutoff,
  openTenantOf,
  parseStoredJson,
  prefixedCollections,
  sliceAuditTrail,
  type StoredChange,
  type StoredDraft,
  type CommitInput,
  type DraftStore,
  type InsertInput,
  type ListOptions,
  type ListPage,
  type OutboxEntryRef,
  type OutboxStore,
  type WriteResult,
  type StoreAdmin,
} from "../../store/index.js";
import type { LifecycleState } from "../../vocabulary/index.js";
import {
  newOutboxRecord,
  type AuditEvent,
  type OnboardingDraft,
  type OutboxEntry,
  type OutboxRecord,
} from "../../record/index.js";
import { memoryAdmin } from "./admin.js";

interface Row {
  /** The draft itself when it is sealed (deep-frozen and validated, so sharing it is safe). */
  sealed: OnboardingDraft | null;
  /** Canonical JSON text, for drafts that are not sealed (and raw text set by tests). */
  document: string | null;
  version: number;
  state: LifecycleState;
  createdAt: string;
  openTenant: string | null;
}

interface WorkspaceData {
  readonly drafts: Map<string, Row>;
  readonly openByTenant: Map<string, string>;
  readonly audit: Map<string, AuditEvent[]>;
  /**
   * Per draft, indexed by version: the entry that wrote it (`created` or `committed`). A
   * conflict's `changedBy` and a re-sent write are answered from it by key, not by a trail scan.
   */
  readonly versions: Map<string, (AuditEvent | undefined)[]>;
  /** Idempotency records by key: the JSON text and the `createdAt` it was stamped with. */
  readonly idempotency: Map<string, { readonly text: string; readonly createdAt: string }>;
  /** Outbox records by entry id. */
  readonly outbox: Map<string, StoredOutboxRecord>;
  /** The pending ones (what a claim looks at), so a claim never walks delivered history. */
  readonly pending: Set<StoredOutboxRecord>;
  /** The `run.requested` records by draft id, in write order: heartbeats and expiry look here. */
  readonly runsByDraft: Map<string, StoredOutboxRecord[]>;
}

/** An outbox record as the memory store keeps it: its delivery and liveness fields change in place. */
type StoredOutboxRecord = { -readonly [K in keyof OutboxRecord]: OutboxRecord[K] };

/** The in-memory store, with extra methods for tests and debugging. */
export interface MemoryStore extends DraftStore, OutboxStore {
  /** Always `"memory"`. */
  readonly name: "memory";
  /** Always `"values"`: it keeps the engine's sealed drafts themselves, so the engine encodes none. */
  readonly stores: "values";
  /** The stored JSON text of a draft, or `null`. */
  rawDocument(workspaceId: string, draftId: string): string | null;
  /**
   * Overwrites the stored JSON text of an existing draft, bypassing every check. For tests of
   * corrupt-data handling only.
   */
  setRawDocument(workspaceId: string, draftId: string, raw: string): void;
  /** Removes everything. */
  clear(): void;
  /** Counts per state, a scan of every document and a rewrite that keeps the version (see `StoreAdmin`). */
  readonly admin: StoreAdmin;
  /**
   * Deletes the idempotency records created before `before` in every workspace; resolves to how
   * many went (required here, optional on the port).
   */
  pruneIdempotency(before: string): Promise<number>;
  /**
   * Deletes the outbox records that are done with (delivered before `before`, and cancelled or
   * settled) in every workspace; resolves to how many went (see {@link OutboxStore.pruneOutbox}).
   */
  pruneOutbox(before: string): Promise<number>;
}

/**
 * Creates the embedded in-memory store: the default for tests, demos and single-process apps.
 * Every method completes its checks and writes synchronously, so concurrent async callers
 * cannot interleave inside a commit. Sealed drafts (deep-frozen and validated, as the engine
 * writes them; see `isSealedDraft`) are kept as they are, other drafts as canonical JSON text,
 * and audit entries as frozen copies, so mutating a returned object never changes what is
 * stored.
 *
 * @example
 * ```ts
 * import { createOnboardingEngine } from "onboarding-lifecycle";
 * import { createMemoryStore } from "onboarding-lifecycle/adapters/memory";
 * const engine = createOnboardingEngine({ store: createMemoryStore(), authorize: () => true });
 * ```
 */
export function createMemoryStore(): MemoryStore {
  const workspaces = new Map<string, WorkspaceData>();
  /** The entries of commits not yet indexed, in commit order (see `absorb`). */
  const journal: OutboxEntry[] = [];

  const workspace = (workspaceId: string): WorkspaceData => {
    let data = workspaces.get(workspaceId);
    if (data === undefined) {
      data = {
        drafts: new Map(),
        openByTenant: new Map(),
        audit: new Map(),
        versions: new Map(),
        idempotency: new Map(),
        outbox: new Map(),
        pending: new Set(),
        runsByDraft: new Map(),
      };
      workspaces.set(workspaceId, data);
    }
    return data;
  };

  const parse = (text: string | undefined, id: string | null = null): unknown =>
    text === undefined ? null : parseStoredJson(text, "draft document", id);

  /** What `load` hands out: the sealed draft itself (it cannot change) or the text, for the engine to decode. */
  const read = (stored: Row | undefined): StoredDraft | null =>
    stored === undefined ? null : { document: stored.sealed ?? stored.document };

  /**
   * Audit entries hold strings, numbers, nulls and the `runIds` array of strings: freezing the
   * entry and that array makes a full, unchangeable copy (the engine's entries already are).
   */
  const freezeEvent = (event: AuditEvent): AuditEvent =>
    Object.isFrozen(event) && Object.isFrozen(event.runIds)
      ? event
      : Object.freeze({ ...event, runIds: Object.freeze([...event.runIds]) });

  /** Checks the open-draft slot; returns the holder when another draft holds it. */
  const slotHolder = (data: WorkspaceData, draftId: string, openTenant: string | null): string | null => {
    if (openTenant === null) return null;
    const holder = data.openByTenant.get(openTenant);
    return holder !== undefined && holder !== draftId ? holder : null;
  };

  /**
   * Whether this write already happened (the same request sent again): its first audit entry is
   * in the draft's trail. Only asked on the rejection path.
   */
  const alreadyApplied = (data: WorkspaceData, draftId: string, events: readonly AuditEvent[]): boolean => {
    const first = events[0];
    if (first === undefined) return false;
    if (first.toVersion !== null) return data.versions.get(draftId)?.[first.toVersion]?.eventId === first.eventId;
    return data.audit.get(draftId)?.some((entry) => entry.eventId === first.eventId) ?? false;
  };

  /** The id of an entry of `outbox` its workspace already has, or `undefined`. */
  /** Who wrote `version` of a draft, from its `committed` entry (`null`: `insert` did, or no entry says). */
  const writerOf = (data: WorkspaceData, draftId: string, version: number | null): StoredChange | null => {
    const entry = version === null ? undefined : data.versions.get(draftId)?.[version];
    return entry?.kind === "committed" ? { actorId: entry.actorId, commandType: entry.commandType } : null;
  };

  const appendEntries = (events: readonly AuditEvent[]): void => {
    for (const event of events) {
      const data = workspace(event.workspaceId);
      let trail = data.audit.get(event.draftId);
      if (trail === undefined) {
        trail = [];
        data.audit.set(event.draftId, trail);
      }
      trail.push(freezeEvent(event));
    }
  };

  /**
   * A commit that missed the stored version: the stored record and its writer, and the engine's
   * `conflict` entry (completed with the stored version and state) when it sent one.
   */
  const missed = (data: WorkspaceData, input: CommitInput, stored: Row): WriteResult => {
    const audited = input.conflict !== undefined;
    if (input.conflict !== undefined) {
      appendEntries([{ ...input.conflict, actualVersion: stored.version, state: stored.state }]);
    }
    return {
      ok: false,
      reason: "version_conflict",
      actualVersion: stored.version,
      current: read(stored),
      conflictAudited: audited,
      changedBy: writerOf(data, input.draft.id, stored.version),
    };
  };

  const write = (data: WorkspaceData, input: InsertInput | CommitInput, previousOpenTenant: string | null): void => {
    const { draft } = input;
    const events = "events" in input ? input.events : [input.event];
    const openTenant = openTenantOf(draft);
    if (previousOpenTenant !== null && previousOpenTenant !== openTenant) data.openByTenant.delete(previousOpenTenant);
    if (openTenant !== null) data.openByTenant.set(openTenant, draft.id);
    const sealed = isSealedDraft(draft) ? draft : null;
    // A sealed draft is kept as it is (`stores: "values"`: the engine sends no text); another
    // draft (written by a test straight to the store) as the text it came with.
    const document = sealed === null ? (input.document === "" ? JSON.stringify(draft) : input.document) : null;
    data.drafts.set(draft.id, {
      sealed,
      document,
      version: draft.version,
      state: draft.lifecycle.state,
      createdAt: draft.createdAt,
      openTenant,
    });
    let trail = data.audit.get(draft.id);
    if (trail === undefined) {
      trail = [];
      data.audit.set(draft.id, trail);
    }
    let versions = data.versions.get(draft.id);
    if (versions === undefined) data.versions.set(draft.id, (versions = []));
    for (const event of events) {
      const frozen = freezeEvent(event);
      trail.push(frozen);
      if (frozen.toVersion !== null) versions[frozen.toVersion] = frozen; // what a conflict asks by key
    }
    if (input.idempotency !== null) {
      data.idempotency.set(input.idempotency.key, {
        text: JSON.stringify(input.idempotency),
        createdAt: input.idempotency.createdAt,
      });
    }
    // The commit only journals its entries; the first outbox operation after it indexes them.
    if ("outbox" in input && input.outbox !== undefined) for (const entry of input.outbox) journal.push(entry);
  };

  /** Moves the journal into the indexed records (an entry id already there keeps its first record). */
  const absorb = (): void => {
    if (journal.length === 0) return;
    for (const entry of journal.splice(0, journal.length)) {
      const target = workspace(entry.workspaceId);
      if (target.outbox.has(entry.entryId)) continue;
      const record: StoredOutboxRecord = newOutboxRecord(entry);
      target.outbox.set(entry.entryId, record);
      target.pending.add(record);
      if (record.kind === "run.requested") {
        const runs = target.runsByDraft.get(record.draftId);
        if (runs === undefined) target.runsByDraft.set(record.draftId, [record]);
        else runs.push(record);
      }
    }
  };

  return {
    name: "memory",
    ...memoryOutbox(workspaces, absorb),
    stores: "values",
    admin: memoryAdmin(workspaces),
    describe: () => ({ system: "memory", collections: prefixedCollections("") }),

    async load(workspaceId, draftId) {
      return read(workspaces.get(workspaceId)?.drafts.get(draftId));
    },

    async insert(input: InsertInput): Promise<WriteResult> {
      const data = workspace(input.draft.workspaceId);
      if (data.drafts.has(input.draft.id))
        return alreadyApplied(data, input.draft.id, [input.event])
          ? { ok: true }
          : { ok: false, reason: "draft_exists" };
      const holder = slotHolder(data, input.draft.id, openTenantOf(input.draft));
      if (holder !== null) return { ok: false, reason: "open_draft_exists", existingDraftId: holder };
      if (input.idempotency !== null && data.idempotency.has(input.idempotency.key)) {
        return { ok: false, reason: "idempotency_key_exists" };
      }
      write(data, input, null);
      return { ok: true };
    },

    async commit(input: CommitInput): Promise<WriteResult> {
      const data = workspace(input.draft.workspaceId);
      const stored = data.drafts.get(input.draft.id);
      if (stored === undefined) return { ok: false, reason: "version_conflict", actualVersion: null };
      // A basis (text the engine decoded from) only exists for text this store was given raw.
      const stale = input.basis !== undefined && stored.document !== input.basis;
      if (stored.version !== input.expectedVersion || stale) {
        if (alreadyApplied(data, input.draft.id, input.events)) return { ok: true };
        // Same version, other bytes (a stale basis): no conflict to audit; the engine reloads.
        if (stored.version === input.expectedVersion) {
          return { ok: false, reason: "version_conflict", actualVersion: stored.version };
        }
        return missed(data, input, stored);
      }
      const holder = slotHolder(data, input.draft.id, openTenantOf(input.draft));
      if (holder !== null) return { ok: false, reason: "open_draft_exists", existingDraftId: holder };
      if (input.idempotency !== null && data.idempotency.has(input.idempotency.key)) {
        return { ok: false, reason: "idempotency_key_exists" };
      }
      write(data, input, stored.openTenant);
      return { ok: true };
    },

    async appendAudit(events) {
      appendEntries(events);
    },

    async appendConflict(event) {
      appendEntries([event]);
      return writerOf(workspace(event.workspaceId), event.draftId, event.actualVersion);
    },

    async listAudit(workspaceId, draftId, page) {
      return sliceAuditTrail(workspaces.get(workspaceId)?.audit.get(draftId) ?? [], page);
    },

    async findOpenDraft(workspaceId, tenantId) {
      const data = workspaces.get(workspaceId);
      const draftId = data?.openByTenant.get(tenantId);
      return draftId === undefined ? null : read(data?.drafts.get(draftId));
    },

    async loadIdempotency(workspaceId, key) {
      return parse(workspaces.get(workspaceId)?.idempotency.get(key)?.text);
    },

    async pruneIdempotency(before) {
      const cutoff = idempotencyCutoff(before);
      let pruned = 0;
      for (const data of workspaces.values()) {
        for (const [key, record] of data.idempotency) {
          if (record.createdAt < cutoff) {
            data.idempotency.delete(key);
            pruned += 1;
          }
        }
      }
      return pruned;
    },

    async list(workspaceId, options: ListOptions): Promise<ListPage> {
      const after = listCursor(options.cursor);
      const data = workspaces.get(workspaceId);
      if (data === undefined) return { drafts: [], nextCursor: null };
      const rows = [...data.drafts.entries()]
        .filter(([, row]) => options.state === undefined || row.state === options.state)
        .map(([id, row]) => ({ id, row }))
        .filter(
          ({ id, row }) =>
            after === null || row.createdAt > after.createdAt || (row.createdAt === after.createdAt && id > after.id),
        )
        .sort((a, b) =>
          a.row.createdAt < b.row.createdAt
            ? -1
            : a.row.createdAt > b.row.createdAt
              ? 1
              : a.id < b.id
                ? -1
                : a.id > b.id
                  ? 1
                  : 0,
        );
      const page = rows.slice(0, options.limit);
      const last = page[page.length - 1];
      return {
        drafts: page.map(({ row }) => ({ document: row.sealed ?? row.document })),
        nextCursor:
          rows.length > options.limit && last ? encodeCursor({ createdAt: last.row.createdAt, id: last.id }) : null,
      };
    },

    rawDocument(workspaceId, draftId) {
      const stored = workspaces.get(workspaceId)?.drafts.get(draftId);
      if (stored === undefined) return null;
      // A sealed draft's canonical text is its plain JSON (`encodeDraft` of a sealed draft).
      return stored.document ?? (stored.sealed === null ? null : JSON.stringify(stored.sealed));
    },

    setRawDocument(workspaceId, draftId, raw) {
      const stored = workspaces.get(workspaceId)?.drafts.get(draftId);
      if (stored !== undefined) {
        stored.document = raw;
        stored.sealed = null;
      }
    },

    clear() {
      workspaces.clear();
      journal.length = 0;
    },
  };
}

/**
 * The outbox half of the memory store, over the same workspaces. Every method checks, reads and
 * writes synchronously (no `await` inside), so concurrent claimers cannot interleave: each claim
 * sees the leases every earlier claim took. Records are handed out as copies.
 */
function memoryOutbox(
  workspaces: ReadonlyMap<string, WorkspaceData>,
  absorb: () => void,
): OutboxStore & Pick<MemoryStore, "pruneOutbox"> {
  function* everyRecord(): Generator<StoredOutboxRecord> {
    for (const data of workspaces.values()) yield* data.outbox.values();
  }
  function* pendingRecords(): Generator<StoredOutboxRecord> {
    for (const data of workspaces.values()) yield* data.pending;
  }
  const settled = (record: StoredOutboxRecord): void => {
    workspaces.get(record.workspaceId)?.pending.delete(record);
  };
  const copy = (record: StoredOutboxRecord): OutboxRecord => ({ ...record });
  const sorted = (records: Iterable<StoredOutboxRecord>): StoredOutboxRecord[] => [...records].sort(compareOutboxOrder);
  const find = (ref: OutboxEntryRef): StoredOutboxRecord | undefined =>
    workspaces.get(ref.workspaceId)?.outbox.get(ref.entryId);
  const leasedBy = (owner: string, ref: OutboxEntryRef): StoredOutboxRecord | undefined => {
    const record = find(ref);
    return record !== undefined && record.status === "pending" && record.leaseOwner === owner ? record : undefined;
  };
  const runRecords = (workspaceId: string): StoredOutboxRecord[] =>
    [...(workspaces.get(workspaceId)?.runsByDraft.values() ?? [])].flat();
  const runsOf = (workspaceId: string, draftId: string): readonly StoredOutboxRecord[] =>
    workspaces.get(workspaceId)?.runsByDraft.get(draftId) ?? [];
  const clearLease = (record: StoredOutboxRecord): void => {
    record.leaseOwner = null;
    record.leaseUntil = null;
  };
  const lastReport = (record: StoredOutboxRecord): string => record.reportedAt ?? record.createdAt;

  return {
    async claimOutbox({ owner, now, leaseUntil, limit }) {
      absorb();
      checkOutboxLimit("claimOutbox", limit);
      const due = [...pendingRecords()].filter(
        (record) =>
          record.status === "pending" &&
          record.availableAt <= now &&
          (record.leaseUntil === null || record.leaseUntil <= now),
      );
      return sorted(due)
        .slice(0, limit)
        .map((record) => {
          record.leaseOwner = owner;
          record.leaseUntil = leaseUntil;
          record.attempts += 1;
          return copy(record);
        });
    },

    async settleOutbox({ owner, at, settlements }) {
      absorb();
      let changed = 0;
      for (const settlement of settlements) {
        const record = leasedBy(owner, settlement);
        if (record === undefined) continue;
        if (settlement.status === "delivered") {
          record.status = "delivered";
          settled(record);
          record.deliveredAt = at;
          record.lastError = null;
        } else if (settlement.status === "pending") {
          record.availableAt = settlement.availableAt;
          record.lastError = settlement.error;
        } else {
          record.status = "dead";
          settled(record);
          record.lastError = settlement.error;
        }
        clearLease(record);
        changed += 1;
      }
      return changed;
    },

    async releaseOutbox({ owner, entries }) {
      absorb();
      let changed = 0;
      for (const ref of entries) {
        const record = leasedBy(owner, ref);
        if (record === undefined) continue;
        clearLease(record);
        record.attempts = Math.max(0, record.attempts - 1);
        changed += 1;
      }
      return changed;
    },

    async listOutbox(options) {
      absorb();
      checkOutboxLimit("listOutbox", options.limit);
      const after = outboxCursor(options.cursor);
      const source =
        options.workspaceId === undefined
          ? everyRecord()
          : (workspaces.get(options.workspaceId)?.outbox.values() ?? []);
      const rows = sorted(
        [...source].filter(
          (record) =>
            (options.status === undefined || record.status === options.status) &&
            (after === null || compareOutboxOrder(record, after) > 0),
        ),
      );
      const page = rows.slice(0, options.limit);
      const last = page[page.length - 1];
      return {
        entries: page.map(copy),
        nextCursor: rows.length > options.limit && last !== undefined ? encodeOutboxCursor(last) : null,
      };
    },

    async requeueOutbox(input) {
      absorb();
      const record = find(input);
      if (record === undefined || record.status !== "dead") return false;
      record.status = "pending";
      workspaces.get(record.workspaceId)?.pending.add(record);
      record.attempts = 0;
      record.availableAt = input.at;
      clearLease(record);
      return true;
    },

    async recordRunProgress({ workspaceId, draftId, runId, at, message, percent }) {
      absorb();
      const record = runsOf(workspaceId, draftId).find((run) => run.runId === runId);
      if (record === undefined) return false;
      if (record.reportedAt === null || record.reportedAt < at) record.reportedAt = at;
      if (message !== null) record.progressMessage = message;
      if (percent !== null) record.progressPercent = percent;
      return true;
    },

    async listRunRecords(workspaceId, draftId) {
      absorb();
      return sorted(runsOf(workspaceId, draftId)).map(copy);
    },

    async findStaleRuns({ before, limit }) {
      absorb();
      checkOutboxLimit("findStaleRuns", limit);
      const stale = [...everyRecord()].filter(
        (record) => record.kind === "run.requested" && record.settledAt === null && lastReport(record) < before,
      );
      return stale
        .sort((a, b) => {
          const [x, y] = [lastReport(a), lastReport(b)];
          return x < y ? -1 : x > y ? 1 : compareOutboxOrder({ ...a, createdAt: "" }, { ...b, createdAt: "" });
        })
        .slice(0, limit)
        .map(copy);
    },

    async pruneOutbox(before) {
      absorb();
      const cutoff = outboxCutoff(before);
      let pruned = 0;
      for (const data of workspaces.values()) {
        for (const [entryId, record] of data.outbox) {
          if (record.status !== "delivered" || record.deliveredAt === null || record.deliveredAt >= cutoff) continue;
          if (record.kind === "run.requested" && record.settledAt === null) continue;
          data.outbox.delete(entryId);
          if (record.kind === "run.requested") {
            const runs = data.runsByDraft.get(record.draftId) ?? [];
            const left = runs.filter((run) => run !== record);
            if (left.length === 0) data.runsByDraft.delete(record.draftId);
            else data.runsByDraft.set(record.draftId, left);
          }
          pruned += 1;
        }
      }
      return pruned;
    },

    async settleRuns({ workspaceId, draftId, runIds, at }) {
      absorb();
      const wanted = new Set(runIds);
      let changed = 0;
      for (const record of runRecords(workspaceId)) {
        if (record.settledAt !== null || record.draftId !== draftId || !wanted.has(record.runId)) continue;
        record.settledAt = at;
        changed += 1;
      }
      return changed;
    },
  };
}
