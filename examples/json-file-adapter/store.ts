/**
 * A third-party storage adapter for onboarding-lifecycle: one JSON file per workspace.
 *
 * Written ONLY against the package's public root entry (in your own package:
 * `from "onboarding-lifecycle"`), which is the point of this example: everything an adapter
 * needs — the `DraftStore` port, `openTenantOf`, the codec, the cursor helpers and the error
 * classes — is public.
 *
 * How it keeps the port's promises:
 * - Atomic writes: every write produces the whole next file in a temporary file in the same
 *   directory, fsyncs it, and `rename`s it over the old one. A reader (or a crash) sees either
 *   the old file or the new one, never half of each. Record, audit entries and idempotency
 *   record live in the same file, so they are written together or not at all.
 * - Compare-and-set: every write of a workspace file runs inside an in-process async mutex
 *   keyed by the file's absolute path (shared by all store instances of this module), and
 *   re-reads the file inside the critical section before checking the version, the
 *   open-draft slot and the idempotency key.
 * - Reads take no lock: thanks to the rename they always see a complete file.
 * - Outbox (`OutboxStore`): a commit's outbox entries go into the same workspace file, so they
 *   are written with the draft or not at all. Claims and stale-run scans read every file; each
 *   lease is taken under the file's lock after re-checking the entry, so no entry has two holders.
 *
 * SINGLE PROCESS ONLY. The mutex lives in this process's memory. Two processes (or two copies
 * of this module, e.g. one bundled twice) writing the same directory can both pass the version
 * check and the last rename wins: a lost update. Use a database adapter for anything shared.
 *
 * Not for large workspaces either: each write rewrites the workspace's whole file (drafts,
 * audit trail and idempotency records), so cost grows with the workspace.
 */
import { createHash, randomUUID } from "node:crypto";
import { mkdir, open, readFile, readdir, rename, rm } from "node:fs/promises";
import { join, resolve } from "node:path";
import {
  CorruptRecordError,
  StoreError,
  ValidationError,
  decodeCursor,
  encodeCursor,
  openTenantOf,
  sliceAuditTrail,
  type AuditEvent,
  type CommitInput,
  type DraftStore,
  type IdempotencyRecord,
  type InsertInput,
  type LifecycleState,
  type ListOptions,
  type ListPage,
  type OnboardingDraft,
  type OutboxEntry,
  type OutboxEntryRef,
  type OutboxRecord,
  type OutboxStore,
  type StoredDraft as PortStoredDraft,
  type WriteResult,
  checkOutboxLimit,
  compareOutboxOrder,
  encodeOutboxCursor,
  newOutboxRecord,
  outboxCursor,
  outboxCutoff,
  parseStoredJson,
} from "../../src/index.js";

const ADAPTER = "json-file";
const FORMAT = 1;

/** One draft as stored in the file: the canonical document text plus the columns we query on. */
interface StoredDraft {
  /** The canonical JSON text the engine sent (`input.document`), kept as text so the file never reorders it. */
  document: string;
  version: number;
  state: LifecycleState;
  createdAt: string;
  /** `openTenantOf(draft)`: the tenant whose open-draft slot this draft holds, or null. */
  openTenant: string | null;
}

/**
 * The in-memory form of one workspace file. Maps (serialised as arrays of entries), never plain
 * objects keyed by ids, so hostile ids like `__proto__` stay data.
 */
interface WorkspaceFile {
  workspaceId: string;
  drafts: Map<string, StoredDraft>;
  audit: Map<string, unknown[]>;
  idempotency: Map<string, unknown>;
  /** Outbox records by entry id (written by `commit`, with the draft, in the same rename). */
  outbox: Map<string, MutableOutboxRecord>;
}

/** An outbox record whose delivery and liveness fields the store changes. */
type MutableOutboxRecord = { -readonly [K in keyof OutboxRecord]: OutboxRecord[K] };

/** The on-disk shape (version 1; files written before the outbox existed have no `outbox`). */
interface FileShape {
  format: typeof FORMAT;
  workspaceId: string;
  drafts: [string, StoredDraft][];
  audit: [string, unknown[]][];
  idempotency: [string, unknown][];
  outbox?: [string, MutableOutboxRecord][];
}

/** Options of {@link createJsonFileStore}. */
export interface JsonFileStoreOptions {
  /** The directory holding one `ws-<sha256>.json` file per workspace (created if missing). */
  readonly directory: string;
  /**
   * fsync the temporary file before the rename (default true). Turning it off makes writes
   * faster but a power loss may leave an empty file behind the rename.
   */
  readonly fsync?: boolean;
}

/** The JSON-file store: the port plus one helper for corruption tests. */
export interface JsonFileDraftStore extends DraftStore, OutboxStore {
  /** The directory this store writes to. */
  readonly directory: string;
  /** The path of a workspace's file. */
  fileOf(workspaceId: string): string;
  /**
   * Overwrites the stored document text of an existing draft, bypassing every check. For tests
   * of corrupt-data handling only.
   */
  writeRawDocument(workspaceId: string, draftId: string, raw: string): Promise<void>;
  /** Deletes the outbox records that are done with, in every file (see `OutboxStore.pruneOutbox`). */
  pruneOutbox(before: string): Promise<number>;
}

// ---------------------------------------------------------------------------------------------
// An async mutex per file, shared by every store instance in this process.

const tails = new Map<string, Promise<void>>();

async function withFileLock<T>(path: string, body: () => Promise<T>): Promise<T> {
  const previous = tails.get(path) ?? Promise.resolve();
  let release = (): void => {};
  const mine = new Promise<void>((resolveMine) => {
    release = resolveMine;
  });
  const tail = previous.then(() => mine);
  tails.set(path, tail);
  await previous;
  try {
    return await body();
  } finally {
    release();
    if (tails.get(path) === tail) tails.delete(path);
  }
}

// ---------------------------------------------------------------------------------------------

function corrupt(message: string, recordId: string | null): CorruptRecordError {
  return new CorruptRecordError([{ code: "invalid_json", path: [], message }], recordId);
}

function parseJson(text: string, what: string, recordId: string | null): unknown {
  return parseStoredJson(text, what, recordId);
}

function isEntries(value: unknown): value is [string, unknown][] {
  return (
    Array.isArray(value) &&
    value.every((entry) => Array.isArray(entry) && entry.length === 2 && typeof entry[0] === "string")
  );
}

/** Creates a store keeping each workspace in `<directory>/ws-<sha256(workspaceId)>.json`. */
export function createJsonFileStore(options: JsonFileStoreOptions): JsonFileDraftStore {
  const directory = resolve(options.directory);
  const fsync = options.fsync ?? true;
  let directoryReady: Promise<unknown> | null = null;

  // File names are hashes: workspace ids are arbitrary strings (up to 128 characters, any
  // Unicode), which would not be safe or short enough as file names. The id itself is stored
  // in the file and checked on every read.
  const fileOf = (workspaceId: string): string =>
    join(directory, `ws-${createHash("sha256").update(workspaceId, "utf8").digest("hex")}.json`);

  const guard = async <T>(operation: string, body: () => Promise<T>): Promise<T> => {
    try {
      return await body();
    } catch (error) {
      if (error instanceof CorruptRecordError || error instanceof ValidationError || error instanceof StoreError)
        throw error;
      throw new StoreError(ADAPTER, operation, error);
    }
  };

  async function readWorkspace(workspaceId: string): Promise<WorkspaceFile> {
    const path = fileOf(workspaceId);
    let text: string;
    try {
      text = await readFile(path, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") {
        return { workspaceId, drafts: new Map(), audit: new Map(), idempotency: new Map(), outbox: new Map() };
      }
      throw error;
    }
    const value = parseJson(text, `workspace file ${path}`, null) as Partial<FileShape> | null;
    if (
      value === null ||
      typeof value !== "object" ||
      value.format !== FORMAT ||
      typeof value.workspaceId !== "string" ||
      !isEntries(value.drafts) ||
      !isEntries(value.audit) ||
      !isEntries(value.idempotency) ||
      (value.outbox !== undefined && !isEntries(value.outbox))
    ) {
      throw corrupt(`workspace file ${path} does not have the expected shape (format ${FORMAT})`, null);
    }
    if (value.workspaceId !== workspaceId) {
      // A hash collision or a file copied by hand: never serve another workspace's data.
      throw corrupt(`workspace file ${path} belongs to another workspace`, null);
    }
    return {
      workspaceId,
      drafts: new Map(value.drafts),
      audit: new Map(value.audit),
      idempotency: new Map(value.idempotency),
      outbox: new Map(value.outbox ?? []),
    };
  }

  async function writeWorkspace(data: WorkspaceFile): Promise<void> {
    directoryReady ??= mkdir(directory, { recursive: true });
    await directoryReady;
    const path = fileOf(data.workspaceId);
    const shape: FileShape = {
      format: FORMAT,
      workspaceId: data.workspaceId,
      drafts: [...data.drafts],
      audit: [...data.audit],
      idempotency: [...data.idempotency],
      outbox: [...data.outbox],
    };
    const temporary = `${path}.${process.pid}.${randomUUID()}.tmp`;
    try {
      const handle = await open(temporary, "wx");
      try {
        await handle.writeFile(JSON.stringify(shape), "utf8");
        if (fsync) await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temporary, path);
    } catch (error) {
      await rm(temporary, { force: true }).catch(() => undefined);
      throw error;
    }
  }

  /** Runs a read-check-write cycle on one workspace file under its lock. */
  const mutate = <T>(
    operation: string,
    workspaceId: string,
    body: (data: WorkspaceFile) => { result: T; write: boolean },
  ): Promise<T> =>
    guard(operation, () =>
      withFileLock(fileOf(workspaceId), async () => {
        const data = await readWorkspace(workspaceId);
        const { result, write } = body(data);
        if (write) await writeWorkspace(data);
        return result;
      }),
    );

  const slotHolder = (data: WorkspaceFile, draftId: string, openTenant: string | null): string | null => {
    if (openTenant === null) return null;
    for (const [id, stored] of data.drafts) if (id !== draftId && stored.openTenant === openTenant) return id;
    return null;
  };

  /** Why an insert cannot happen, or `null` when it can. */
  const insertRejection = (data: WorkspaceFile, input: InsertInput): WriteResult | null => {
    const { draft } = input;
    if (data.drafts.has(draft.id)) return { ok: false, reason: "draft_exists" };
    const holder = slotHolder(data, draft.id, openTenantOf(draft));
    if (holder !== null) return { ok: false, reason: "open_draft_exists", existingDraftId: holder };
    if (input.idempotency !== null && data.idempotency.has(input.idempotency.key))
      return { ok: false, reason: "idempotency_key_exists" };
    return null;
  };

  /** Why a compare-and-set commit cannot happen, or `null` when it can. */
  const commitRejection = (data: WorkspaceFile, input: CommitInput): WriteResult | null => {
    const { draft } = input;
    const stored = data.drafts.get(draft.id);
    if (stored === undefined) return { ok: false, reason: "version_conflict", actualVersion: null };
    // `basis`: the engine computed this write from its cached copy of exactly this text.
    const stale = input.basis !== undefined && stored.document !== input.basis;
    if (stored.version !== input.expectedVersion || stale)
      return { ok: false, reason: "version_conflict", actualVersion: stored.version };
    const holder = slotHolder(data, draft.id, openTenantOf(draft));
    if (holder !== null) return { ok: false, reason: "open_draft_exists", existingDraftId: holder };
    if (input.idempotency !== null && data.idempotency.has(input.idempotency.key))
      return { ok: false, reason: "idempotency_key_exists" };
    return null;
  };

  /**
   * Whether this write already happened (sent again after its reply was lost): its first audit
   * entry is in the draft's trail. The port asks a store to report such a write as applied.
   */
  const alreadyApplied = (data: WorkspaceFile, draftId: string, events: readonly AuditEvent[]): boolean => {
    const first = events[0];
    if (first === undefined) return false;
    return (data.audit.get(draftId) ?? []).some((entry) => (entry as { eventId?: unknown }).eventId === first.eventId);
  };

  const put = (
    data: WorkspaceFile,
    draft: OnboardingDraft,
    document: string,
    events: readonly AuditEvent[],
    idempotency: IdempotencyRecord | null,
    outbox: readonly OutboxEntry[] = [],
  ): void => {
    data.drafts.set(draft.id, {
      document,
      version: draft.version,
      state: draft.lifecycle.state,
      createdAt: draft.createdAt,
      openTenant: openTenantOf(draft),
    });
    const trail = data.audit.get(draft.id) ?? [];
    trail.push(...events);
    data.audit.set(draft.id, trail);
    if (idempotency !== null) data.idempotency.set(idempotency.key, idempotency);
    for (const entry of outbox) data.outbox.set(entry.entryId, newOutboxRecord(entry));
  };

  // I/O only: the engine parses, validates and caches the text, and checks the version beside it.
  const loadDocument = (data: WorkspaceFile, draftId: string): PortStoredDraft | null => {
    const stored = data.drafts.get(draftId);
    return stored === undefined ? null : { document: stored.document, version: stored.version, draftId };
  };

  /** Every workspace file of the directory (claims and stale-run scans see every workspace). */
  async function readAll(): Promise<WorkspaceFile[]> {
    let names: string[];
    try {
      names = (await readdir(directory)).filter((name) => /^ws-[0-9a-f]{64}\.json$/.test(name));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw error;
    }
    const files: WorkspaceFile[] = [];
    for (const name of names) {
      const value = parseJson(await readFile(join(directory, name), "utf8"), `workspace file ${name}`, null);
      const workspaceId = (value as Partial<FileShape> | null)?.workspaceId;
      if (typeof workspaceId !== "string") throw corrupt(`workspace file ${name} names no workspace`, null);
      files.push(await readWorkspace(workspaceId));
    }
    return files;
  }

  const outbox = outboxMethods({ readAll, readWorkspace, mutate, guard });

  return {
    name: ADAPTER,
    directory,
    fileOf,
    ...outbox,

    load(workspaceId, draftId) {
      return guard("load", async () => loadDocument(await readWorkspace(workspaceId), draftId));
    },

    insert(input: InsertInput): Promise<WriteResult> {
      const { draft } = input;
      return mutate<WriteResult>("insert", draft.workspaceId, (data) => {
        const rejection = insertRejection(data, input);
        if (rejection !== null)
          return { result: alreadyApplied(data, draft.id, [input.event]) ? { ok: true } : rejection, write: false };
        put(data, draft, input.document, [input.event], input.idempotency);
        return { result: { ok: true }, write: true };
      });
    },

    commit(input: CommitInput): Promise<WriteResult> {
      const { draft } = input;
      return mutate<WriteResult>("commit", draft.workspaceId, (data) => {
        const rejection = commitRejection(data, input);
        if (rejection !== null)
          return { result: alreadyApplied(data, draft.id, input.events) ? { ok: true } : rejection, write: false };
        put(data, draft, input.document, input.events, input.idempotency, input.outbox);
        return { result: { ok: true }, write: true };
      });
    },

    async appendAudit(events) {
      const byWorkspace = new Map<string, AuditEvent[]>();
      for (const event of events)
        byWorkspace.set(event.workspaceId, [...(byWorkspace.get(event.workspaceId) ?? []), event]);
      for (const [workspaceId, group] of byWorkspace) {
        await mutate("appendAudit", workspaceId, (data) => {
          for (const event of group) data.audit.set(event.draftId, [...(data.audit.get(event.draftId) ?? []), event]);
          return { result: undefined, write: true };
        });
      }
    },

    listAudit(workspaceId, draftId, page) {
      // Positions are indexes into the draft's entries (the file only ever appends to them).
      // The whole workspace file is read anyway; `sliceAuditTrail` hands back only the page.
      return guard("listAudit", async () =>
        sliceAuditTrail((await readWorkspace(workspaceId)).audit.get(draftId) ?? [], page),
      );
    },

    findOpenDraft(workspaceId, tenantId) {
      return guard("findOpenDraft", async () => {
        const data = await readWorkspace(workspaceId);
        const holder = slotHolder(data, "", tenantId);
        return holder === null ? null : loadDocument(data, holder);
      });
    },

    loadIdempotency(workspaceId, key) {
      return guard("loadIdempotency", async () => (await readWorkspace(workspaceId)).idempotency.get(key) ?? null);
    },

    list(workspaceId, options: ListOptions): Promise<ListPage> {
      return guard("list", async () => {
        const after = options.cursor == null ? null : decodeCursor(options.cursor);
        if (options.cursor != null && after === null) {
          throw new ValidationError("options", [{ code: "custom", path: ["cursor"], message: "malformed cursor" }]);
        }
        const data = await readWorkspace(workspaceId);
        const rows = [...data.drafts]
          .filter(([, row]) => options.state === undefined || row.state === options.state)
          .filter(
            ([id, row]) =>
              after === null || row.createdAt > after.createdAt || (row.createdAt === after.createdAt && id > after.id),
          )
          .sort(([idA, a], [idB, b]) =>
            a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : idA < idB ? -1 : idA > idB ? 1 : 0,
          );
        const page = rows.slice(0, options.limit);
        const last = page[page.length - 1];
        return {
          drafts: page.map(([id, stored]) => ({ document: stored.document, version: stored.version, draftId: id })),
          nextCursor:
            rows.length > options.limit && last !== undefined
              ? encodeCursor({ createdAt: last[1].createdAt, id: last[0] })
              : null,
        };
      });
    },

    writeRawDocument(workspaceId, draftId, raw) {
      return mutate("writeRawDocument", workspaceId, (data) => {
        const stored = data.drafts.get(draftId);
        if (stored === undefined) return { result: undefined, write: false };
        stored.document = raw;
        return { result: undefined, write: true };
      });
    },

    async close() {
      // Nothing to release; wait for this directory's writes that are still queued.
      await Promise.all([...tails].filter(([path]) => path.startsWith(directory)).map(([, tail]) => tail));
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The outbox half of the port. Records live in their workspace's file, so `commit` writes them
// with the draft in one rename. Every change runs under the file's lock and re-checks the record
// there, so two claimers never lease the same entry (a claim first picks candidates from an
// unlocked scan of every file, then leases each one that is still due under its file's lock).

interface OutboxIo {
  readAll(): Promise<WorkspaceFile[]>;
  readWorkspace(workspaceId: string): Promise<WorkspaceFile>;
  mutate<T>(
    operation: string,
    workspaceId: string,
    body: (data: WorkspaceFile) => { result: T; write: boolean },
  ): Promise<T>;
  guard<T>(operation: string, body: () => Promise<T>): Promise<T>;
}

const isDue = (record: MutableOutboxRecord, now: string): boolean =>
  record.status === "pending" && record.availableAt <= now && (record.leaseUntil === null || record.leaseUntil <= now);

const lastReport = (record: MutableOutboxRecord): string => record.reportedAt ?? record.createdAt;

/** Done with: delivered before the cut-off, and no longer a liveness record (cancelled, or settled). */
const prunable = (record: MutableOutboxRecord, cutoff: string): boolean =>
  record.status === "delivered" &&
  record.deliveredAt !== null &&
  record.deliveredAt < cutoff &&
  (record.kind === "run.cancelled" || record.settledAt !== null);

const clearLease = (record: MutableOutboxRecord): void => {
  record.leaseOwner = null;
  record.leaseUntil = null;
};

/** Groups entry refs by workspace. */
function byWorkspace<T extends OutboxEntryRef>(refs: readonly T[]): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const ref of refs) groups.set(ref.workspaceId, [...(groups.get(ref.workspaceId) ?? []), ref]);
  return groups;
}

/** Applies `change` to each record of `refs` leased by `owner`, file by file; resolves to how many changed. */
async function changeLeased<T extends OutboxEntryRef>(
  io: OutboxIo,
  operation: string,
  owner: string,
  refs: readonly T[],
  change: (record: MutableOutboxRecord, ref: T) => void,
): Promise<number> {
  let changed = 0;
  for (const [workspaceId, group] of byWorkspace(refs)) {
    changed += await io.mutate(operation, workspaceId, (data) => {
      let count = 0;
      for (const ref of group) {
        const record = data.outbox.get(ref.entryId);
        if (record === undefined || record.status !== "pending" || record.leaseOwner !== owner) continue;
        change(record, ref);
        clearLease(record);
        count += 1;
      }
      return { result: count, write: count > 0 };
    });
  }
  return changed;
}

function outboxMethods(io: OutboxIo): OutboxStore & Pick<JsonFileDraftStore, "pruneOutbox"> {
  const everyRecord = async (): Promise<MutableOutboxRecord[]> =>
    (await io.readAll()).flatMap((data) => [...data.outbox.values()]);
  const runRecords = (data: WorkspaceFile): MutableOutboxRecord[] =>
    [...data.outbox.values()].filter((record) => record.kind === "run.requested");
  return {
    claimOutbox({ owner, now, leaseUntil, limit }) {
      return io.guard("claimOutbox", async () => {
        checkOutboxLimit("claimOutbox", limit);
        const candidates = (await everyRecord()).filter((record) => isDue(record, now)).sort(compareOutboxOrder);
        const claimed: OutboxRecord[] = [];
        for (const [workspaceId, group] of byWorkspace(candidates.slice(0, limit))) {
          const taken = await io.mutate("claimOutbox", workspaceId, (data) => {
            const mine: OutboxRecord[] = [];
            for (const { entryId } of group) {
              const record = data.outbox.get(entryId);
              if (record === undefined || !isDue(record, now)) continue;
              Object.assign(record, { leaseOwner: owner, leaseUntil, attempts: record.attempts + 1 });
              mine.push({ ...record });
            }
            return { result: mine, write: mine.length > 0 };
          });
          claimed.push(...taken);
        }
        return claimed.sort(compareOutboxOrder);
      });
    },

    settleOutbox({ owner, at, settlements }) {
      return changeLeased(io, "settleOutbox", owner, settlements, (record, settlement) => {
        if (settlement.status === "delivered")
          Object.assign(record, { status: "delivered", deliveredAt: at, lastError: null });
        else if (settlement.status === "pending")
          Object.assign(record, { availableAt: settlement.availableAt, lastError: settlement.error });
        else Object.assign(record, { status: "dead", lastError: settlement.error });
      });
    },

    releaseOutbox({ owner, entries }) {
      return changeLeased(io, "releaseOutbox", owner, entries, (record) => {
        record.attempts = Math.max(0, record.attempts - 1);
      });
    },

    listOutbox(options) {
      return io.guard("listOutbox", async () => {
        checkOutboxLimit("listOutbox", options.limit);
        const after = outboxCursor(options.cursor);
        const source =
          options.workspaceId === undefined
            ? await everyRecord()
            : [...(await io.readWorkspace(options.workspaceId)).outbox.values()];
        const rows = source
          .filter((record) => options.status === undefined || record.status === options.status)
          .filter((record) => after === null || compareOutboxOrder(record, after) > 0)
          .sort(compareOutboxOrder);
        const page = rows.slice(0, options.limit);
        const last = page[page.length - 1];
        return {
          entries: page,
          nextCursor: rows.length > options.limit && last !== undefined ? encodeOutboxCursor(last) : null,
        };
      });
    },

    requeueOutbox({ workspaceId, entryId, at }) {
      return io.mutate("requeueOutbox", workspaceId, (data) => {
        const record = data.outbox.get(entryId);
        if (record === undefined || record.status !== "dead") return { result: false, write: false };
        Object.assign(record, { status: "pending", attempts: 0, availableAt: at, leaseOwner: null, leaseUntil: null });
        return { result: true, write: true };
      });
    },

    recordRunProgress({ workspaceId, draftId, runId, at, message, percent }) {
      return io.mutate("recordRunProgress", workspaceId, (data) => {
        const record = runRecords(data).find((run) => run.runId === runId && run.draftId === draftId);
        if (record === undefined) return { result: false, write: false };
        if (record.reportedAt === null || record.reportedAt < at) record.reportedAt = at;
        if (message !== null) record.progressMessage = message;
        if (percent !== null) record.progressPercent = percent;
        return { result: true, write: true };
      });
    },

    listRunRecords(workspaceId, draftId) {
      return io.guard("listRunRecords", async () =>
        runRecords(await io.readWorkspace(workspaceId))
          .filter((record) => record.draftId === draftId)
          .sort(compareOutboxOrder),
      );
    },

    findStaleRuns({ before, limit }) {
      return io.guard("findStaleRuns", async () => {
        checkOutboxLimit("findStaleRuns", limit);
        const stale = (await everyRecord()).filter(
          (record) => record.kind === "run.requested" && record.settledAt === null && lastReport(record) < before,
        );
        const order = (a: MutableOutboxRecord, b: MutableOutboxRecord): number =>
          lastReport(a) < lastReport(b)
            ? -1
            : lastReport(a) > lastReport(b)
              ? 1
              : compareOutboxOrder({ ...a, createdAt: "" }, { ...b, createdAt: "" });
        return stale.sort(order).slice(0, limit);
      });
    },

    settleRuns({ workspaceId, draftId, runIds, at }) {
      const wanted = new Set(runIds);
      return io.mutate("settleRuns", workspaceId, (data) => {
        const runs = runRecords(data).filter(
          (record) => record.settledAt === null && record.draftId === draftId && wanted.has(record.runId),
        );
        for (const record of runs) record.settledAt = at;
        return { result: runs.length, write: runs.length > 0 };
      });
    },

    pruneOutbox(before) {
      return io.guard("pruneOutbox", async () => {
        const cutoff = outboxCutoff(before);
        let pruned = 0;
        // An unlocked scan finds the files with something to prune; each is re-checked under its lock.
        for (const file of await io.readAll()) {
          if (![...file.outbox.values()].some((record) => prunable(record, cutoff))) continue;
          pruned += await io.mutate("pruneOutbox", file.workspaceId, (data) => {
            const gone = [...data.outbox.values()].filter((record) => prunable(record, cutoff));
            for (const record of gone) data.outbox.delete(record.entryId);
            return { result: gone.length, write: gone.length > 0 };
          });
        }
        return pruned;
      });
    },
  };
}
