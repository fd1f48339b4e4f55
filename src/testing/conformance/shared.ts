/**
 * Helpers shared by the sections of the conformance kit: what a section gets from the entry
 * (`SectionContext`), assertions that throw plain `Error`s (so the kit works under any runner),
 * and builders of the raw port requests some tests send to the store directly.
 */
import { randomUUID } from "node:crypto";
import type { createOnboardingEngine, OnboardingEngine } from "../../engine/index.js";
import type { AuditEvent, OnboardingDraft } from "../../record/index.js";
import type { applyCommand } from "../../commands/index.js";
import type { DraftStore, StoredDraft } from "../../store/index.js";
import { encodeDraft } from "../../lifecycle/index.js";
import { decodeStoredDraft } from "../../engine/document-cache.js";
import type { ConformanceHarness, ConformanceOptions } from "./harness.js";

/** What one test of the kit gets: a way to skip itself, visibly, when the store lacks a feature. */
export interface KitTest {
  /**
   * Marks the running test as skipped with `reason` (see `TestRunner.skip`). Write
   * `return test.skip("...")`: under a runner that does not throw from `skip`, the body must
   * stop itself.
   */
  skip(reason: string): void;
}

/** The engine options a section may override. */
export type EngineOverrides = Partial<Parameters<typeof createOnboardingEngine>[0]>;

/** What a section of the suite needs from `describeStoreConformance`. */
export interface SectionContext {
  /** Registers one test with the runner (the kit's timeout; the body gets {@link KitTest}). */
  readonly it: (title: string, body: (test: KitTest) => Promise<void>) => void;
  /** The harness (ready once the runner's `beforeAll` ran). */
  readonly h: () => ConformanceHarness;
  /** An engine on the store under test, allowing everything, with patient retries. */
  readonly engineOf: (overrides?: EngineOverrides) => OnboardingEngine;
  /** The suite's options. */
  readonly options: ConformanceOptions;
}

/** The actor of the kit's engine calls. */
export const actor = { id: "conformance-user" };

/** An `authorize` that allows everything. */
export const allowAll = (): boolean => true;

/**
 * A fresh workspace id, so tests never see each other's data.
 *
 * @example
 * ```ts
 * const { draft } = await engine.create(freshWorkspace("orders"), {}, { actor });
 * ```
 */
export function freshWorkspace(label = "ws"): string {
  return `${label}-${randomUUID()}`;
}

/** Throws `message` unless `condition` holds. */
export function check(condition: boolean, message: string): asserts condition {
  if (!condition) throw new Error(message);
}

/** Awaits `promise` and returns its rejection when `guard` accepts it; throws otherwise. */
export async function rejects<T extends Error>(
  promise: Promise<unknown>,
  guard: (error: unknown) => error is T,
  label: string,
): Promise<T> {
  try {
    await promise;
  } catch (error) {
    if (guard(error)) return error;
    throw new Error(
      `expected ${label}, got ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`,
      {
        cause: error,
      },
    );
  }
  throw new Error(`expected ${label}, but it succeeded`);
}

/** A guard for {@link rejects}: an instance of `klass`. */
export const is =
  <T extends Error>(klass: abstract new (...args: never[]) => T) =>
  (error: unknown): error is T =>
    error instanceof klass;

/** A fixed instant (2026-01-01) plus `offsetMs`, as ISO text. */
export function iso(offsetMs = 0): string {
  return new Date(Date.UTC(2026, 0, 1) + offsetMs).toISOString();
}

/** A command context for reducers applied by hand. */
export function ctx(): Parameters<typeof applyCommand>[2] {
  let n = 0;
  return { now: iso(1000), actorId: "u", nextRunId: () => `run-${(n += 1)}`, policy: {} };
}

/** The `created` audit entry of a draft inserted by hand. */
export function createdEvent(draft: OnboardingDraft): AuditEvent {
  return {
    eventId: `created-${draft.id}-${randomUUID()}`,
    workspaceId: draft.workspaceId,
    draftId: draft.id,
    kind: "created",
    commandType: "create",
    actorId: "u",
    at: draft.createdAt,
    fromVersion: null,
    toVersion: 1,
    expectedVersion: null,
    actualVersion: null,
    idempotencyKey: null,
    feedback: "applied",
    runIds: [],
    capability: null,
    state: draft.lifecycle.state,
  };
}

/** A `committed` audit entry for a draft committed by hand. */
export function committedEvent(draft: OnboardingDraft, eventId: string): AuditEvent {
  return {
    ...createdEvent(draft),
    eventId: `${eventId}-${randomUUID()}`,
    kind: "committed",
    commandType: "identify",
    fromVersion: draft.version - 1,
    toVersion: draft.version,
  };
}

/** An idempotency record for a draft written by hand under `key`. */
export function idempotencyFor(
  draft: OnboardingDraft,
  key: string,
): NonNullable<Parameters<DraftStore["commit"]>[0]["idempotency"]> {
  return {
    workspaceId: draft.workspaceId,
    key,
    draftId: draft.id,
    commandType: "identify",
    fingerprint: key,
    createdAt: draft.updatedAt,
    outcome: { version: draft.version, feedback: "applied", eventId: "e", runIds: [], draft },
  };
}

/**
 * A write request for a store, with the canonical text the engine would send as `document`
 * (`encodeDraft(draft)`), for tests that call `insert` / `commit` directly.
 *
 * @example
 * ```ts
 * declare const store: DraftStore, draft: OnboardingDraft, event: AuditEvent;
 * await store.insert(withDocument({ draft, event, idempotency: null }));
 * ```
 */
export function withDocument<T extends WriteFields>(fields: T): T & DocumentField {
  return { ...fields, document: encodeDraft(fields.draft) };
}

/** What {@link withDocument} needs of a store write's input. */
export interface WriteFields {
  /** The draft the write stores. */
  readonly draft: OnboardingDraft;
}

/** What {@link withDocument} adds to it. */
export interface DocumentField {
  /** The draft's canonical JSON text, as the engine sends it. */
  readonly document: string;
}

/**
 * Decodes what a store's `load` / `findOpenDraft` returned, as the engine does (see
 * `decodeStoredDraft`); a missing record (`null`) throws.
 *
 * @example
 * ```ts
 * declare const store: DraftStore;
 * const draft = storedDraft(await store.load("ws-1", "d-1"));
 * ```
 */
export function storedDraft(stored: StoredDraft | null | undefined): OnboardingDraft {
  if (stored === null || stored === undefined) throw new Error("the store returned no record");
  return decodeStoredDraft(stored);
}
