import * as z from "zod/mini";
import { compiledObject } from "./object.js";
import {
  IdSchema,
  IdempotencyKeySchema,
  LifecycleStateSchema,
  OnboardingDraftSchema,
  TimestampSchema,
} from "./schema.js";
import type { OnboardingDraft } from "./draft.js";
import type { LifecycleState } from "../vocabulary/index.js";

/**
 * What an audit entry records:
 * - `created`: the draft was inserted (version 1);
 * - `committed`: a command changed the draft (`fromVersion` -> `toVersion`);
 * - `conflict`: a stale write was rejected (`expectedVersion` vs `actualVersion`);
 * - `denied`: `authorize` refused a capability;
 * - `delivery_dead`: a dispatcher parked one of the draft's outbox entries after `maxAttempts`
 *   failed deliveries (`commandType` = the entry's kind, `actorId` = the dispatcher's owner id,
 *   `runIds` = the entry's run; no version: the draft is not touched);
 * - `delivery_requeued`: someone requeued a dead outbox entry of the draft (same fields).
 *
 * Stores keep `kind` as text (no enum or CHECK in any DDL), so the list may grow; code reading an
 * audit trail should ignore kinds it does not know.
 */
export const AuditKind = {
  /** The draft was inserted (version 1). */
  Created: "created",
  /** A command changed the draft. */
  Committed: "committed",
  /** A stale write was rejected. */
  Conflict: "conflict",
  /** `authorize` refused a capability. */
  Denied: "denied",
  /** A dispatcher parked an outbox entry of the draft after too many failed deliveries. */
  DeliveryDead: "delivery_dead",
  /** A dead outbox entry of the draft was requeued. */
  DeliveryRequeued: "delivery_requeued",
} as const;

/** One of the values of {@link AuditKind}. */
export type AuditKind = (typeof AuditKind)[keyof typeof AuditKind];

/**
 * The run ids of one command, in the order the command started them: a `start_bootstrap` starts
 * up to 64 runs, a worker report names one, most commands none (an empty array).
 */
const RunIdsSchema = z.array(IdSchema).check(z.maxLength(64));

/** One entry of a draft's audit trail. Flat and JSON-serialisable, so SQL adapters can map it to columns. */
export const AuditEventSchema = compiledObject({
  /** The entry's id. */
  eventId: IdSchema,
  /** The draft's workspace. */
  workspaceId: IdSchema,
  /** The draft the entry is about. */
  draftId: IdSchema,
  /** What happened (see {@link AuditKind}). */
  kind: z.enum(AuditKind),
  /** `create` for `created` entries, else the command type. */
  commandType: IdSchema,
  /** Who acted. */
  actorId: IdSchema,
  /** When (ISO-8601, UTC). */
  at: TimestampSchema,
  /** The version the command started from (`null` for `created` and `denied` before load). */
  fromVersion: z.nullable(z.int().check(z.gte(1))),
  /** The version it produced (`created`/`committed` only). */
  toVersion: z.nullable(z.int().check(z.gte(1))),
  /** For `conflict`: the version the caller expected. */
  expectedVersion: z.nullable(z.int()),
  /** For `conflict`: the version found in the store. */
  actualVersion: z.nullable(z.int()),
  /** The idempotency key the caller sent, if any. */
  idempotencyKey: z.nullable(IdempotencyKeySchema),
  /** The mutation feedback (`applied`, `queued`, ...) for `committed` entries. */
  feedback: z.nullable(IdSchema),
  /** The runs a command started or reported on (empty when none). */
  runIds: RunIdsSchema,
  /** For `denied`: the capability refused. */
  capability: z.nullable(IdSchema),
  /** The lifecycle state after the entry (the current state for `conflict`/`denied`). */
  state: z.nullable(LifecycleStateSchema),
});

/**
 * One entry of a draft's audit trail, as {@link AuditEventSchema} parses it: flat and
 * JSON-serialisable, so SQL adapters map it to columns. A test proves this interface equal to
 * the schema's read-only output.
 *
 * @sortStrategy source-order
 */
export interface AuditEvent {
  /** The entry's id. */
  readonly eventId: string;
  /** The draft's workspace. */
  readonly workspaceId: string;
  /** The draft the entry is about. */
  readonly draftId: string;
  /** What happened (see {@link AuditKind}). */
  readonly kind: AuditKind;
  /** `create` for `created` entries, else the command type. */
  readonly commandType: string;
  /** Who acted. */
  readonly actorId: string;
  /** When (ISO-8601, UTC). */
  readonly at: string;
  /** The version the command started from (`null` for `created` and `denied` before load). */
  readonly fromVersion: number | null;
  /** The version it produced (`created`/`committed` only). */
  readonly toVersion: number | null;
  /** For `conflict`: the version the caller expected. */
  readonly expectedVersion: number | null;
  /** For `conflict`: the version found in the store. */
  readonly actualVersion: number | null;
  /** The idempotency key the caller sent, if any. */
  readonly idempotencyKey: string | null;
  /** The mutation feedback (`applied`, `queued`, ...) for `committed` entries. */
  readonly feedback: string | null;
  /** The runs a command started or reported on (empty when none). */
  readonly runIds: readonly string[];
  /** For `denied`: the capability refused. */
  readonly capability: string | null;
  /** The lifecycle state after the entry (the current state for `conflict`/`denied`). */
  readonly state: LifecycleState | null;
}

/** What an idempotency key remembers: the command's fingerprint and its first outcome. */
export const IdempotencyRecordSchema = compiledObject({
  /** The workspace the key belongs to (keys are scoped per workspace). */
  workspaceId: IdSchema,
  /** The caller's idempotency key. */
  key: IdempotencyKeySchema,
  /** The draft the first request acted on. */
  draftId: IdSchema,
  /** The first request's command type (`create` for `engine.create`). */
  commandType: IdSchema,
  /** A canonical serialisation of (draftId, command); equal fingerprints mean "the same command". */
  fingerprint: z.string(),
  /** When the first request was committed. */
  createdAt: TimestampSchema,
  /** The first request's outcome, returned again to every retry. */
  outcome: compiledObject({
    /** The version the first request produced. */
    version: z.int().check(z.gte(1)),
    /** Its feedback. */
    feedback: IdSchema,
    /** Its audit entry. */
    eventId: IdSchema,
    /** The runs it started or reported on (empty when none). */
    runIds: RunIdsSchema,
    /** The draft it produced. */
    draft: OnboardingDraftSchema,
  }),
});

/**
 * The first outcome an {@link IdempotencyRecord} returns again to every retry.
 *
 * @sortStrategy source-order
 */
export interface IdempotencyOutcome {
  /** The version the first request produced. */
  readonly version: number;
  /** Its feedback. */
  readonly feedback: string;
  /** Its audit entry. */
  readonly eventId: string;
  /** The runs it started or reported on (empty when none). */
  readonly runIds: readonly string[];
  /** The draft it produced. */
  readonly draft: OnboardingDraft;
}

/**
 * What an idempotency key remembers, as {@link IdempotencyRecordSchema} parses it: the
 * command's fingerprint and its first outcome.
 *
 * @sortStrategy source-order
 */
export interface IdempotencyRecord {
  /** The workspace the key belongs to (keys are scoped per workspace). */
  readonly workspaceId: string;
  /** The caller's idempotency key. */
  readonly key: string;
  /** The draft the first request acted on. */
  readonly draftId: string;
  /** The first request's command type (`create` for `engine.create`). */
  readonly commandType: string;
  /** A canonical serialisation of (draftId, command); equal fingerprints mean "the same command". */
  readonly fingerprint: string;
  /** When the first request was committed. */
  readonly createdAt: string;
  /** The first request's outcome, returned again to every retry. */
  readonly outcome: IdempotencyOutcome;
}
