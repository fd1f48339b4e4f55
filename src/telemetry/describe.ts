/**
 * What a store says of itself, resolved once per store into the `db.*` attributes of its spans
 * and measurements: `describe()` when it has one, else its `name` as the system, with the
 * `database` overrides of `openTelemetry()` on top.
 */
import type { Attributes } from "@opentelemetry/api";
import type { StoreCollections, StoreDescriptor } from "../store/index.js";
import { TelemetryAttribute } from "./names.js";

/** What a store described, resolved once per store: its `db.*` attributes and tables. */
export interface ResolvedStore {
  /** The store's `name`. */
  readonly name: string;
  /** `db.system.name` and `db.namespace`. */
  readonly attributes: Attributes;
  /** The tables, when it has any. */
  readonly collections: StoreCollections | undefined;
  /** `db.namespace`, for span names when no table applies. */
  readonly namespace: string | undefined;
}

/** What telemetry reads of a store (a dispatcher's store need not have a `name`). */
export interface DescribableStore {
  readonly name?: unknown;
  readonly describe?: unknown;
}

/** Which part of the port each method is about (its `db.collection.name`). */
const COLLECTION_OF: Readonly<Record<string, keyof StoreCollections>> = {
  load: "drafts",
  insert: "drafts",
  commit: "drafts",
  findOpenDraft: "drafts",
  list: "drafts",
  appendAudit: "audit",
  listAudit: "audit",
  loadIdempotency: "idempotency",
  pruneIdempotency: "idempotency",
};

/** The part of the port a method is about: from the table above, else from its name. */
function partOf(method: string): keyof StoreCollections {
  const known = COLLECTION_OF[method];
  if (known !== undefined) return known;
  if (/audit/i.test(method)) return "audit";
  if (/idempotency/i.test(method)) return "idempotency";
  return /outbox|run/i.test(method) ? "outbox" : "drafts";
}

/** The table (`db.collection.name`) a store call is about, when the store has tables. */
export function collectionOf(store: ResolvedStore, method: string): string | undefined {
  return store.collections?.[partOf(method)];
}

/** Resolves a store's description (its `describe()`, else its `name` as the system), with the overrides. */
export function resolveStore(store: DescribableStore, overrides: Partial<StoreDescriptor>): ResolvedStore {
  let described: StoreDescriptor | undefined;
  try {
    const describe = store.describe as (() => StoreDescriptor) | undefined;
    described = typeof describe === "function" ? describe.call(store) : undefined;
  } catch {
    described = undefined; // a description that fails is no description
  }
  const name = typeof store.name === "string" ? store.name : "unknown";
  const system = overrides.system ?? described?.system ?? name;
  const namespace = overrides.namespace ?? described?.namespace;
  const attributes: Attributes = { [TelemetryAttribute.DbSystemName]: system };
  if (namespace !== undefined) attributes[TelemetryAttribute.DbNamespace] = namespace;
  return { name, attributes, collections: overrides.collections ?? described?.collections, namespace };
}
