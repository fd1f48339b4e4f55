/**
 * What a store says of itself, resolved once per store into the `db.*` attributes of its spans
 * and measurements: `describe()` when it has one, else its `name` as the system, with the
 * `database` overrides of `openTelemetry()` on top.
 */
import type { Attributes } from "@opentelemetry/api";
import type { StoreCollections, StoreDescriptor } from "../store/index.js";
import { TelemetryAttribute } from "./names.js";

/** What the spans and measurements of one store method carry, worked out once. */
export interface CallShape {
  /** The span name: `{db.operation.name} {db.collection.name or db.namespace}`. */
  readonly name: string;
  /** `db.system.name`, `db.namespace`, `db.operation.name`, `db.collection.name` (shared: never mutate). */
  readonly attributes: Attributes;
}

/** What a store described, resolved once per store: its `db.*` attributes and tables. */
export interface ResolvedStore {
  /** The store's `name`. */
  readonly name: string;
  /** The shape of the calls of a method (cached per method). */
  call(method: string): CallShape;
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
  const collections = overrides.collections ?? described?.collections;
  const shapes = new Map<string, CallShape>();
  const shapeOf = (method: string): CallShape => {
    const collection = collections?.[partOf(method)];
    const attributes: Attributes = { [TelemetryAttribute.DbSystemName]: system };
    if (namespace !== undefined) attributes[TelemetryAttribute.DbNamespace] = namespace;
    attributes[TelemetryAttribute.DbOperationName] = method;
    if (collection !== undefined) attributes[TelemetryAttribute.DbCollectionName] = collection;
    const target = collection ?? namespace;
    return { name: target === undefined ? method : `${method} ${target}`, attributes };
  };
  return {
    name,
    call(method) {
      let shape = shapes.get(method);
      if (shape === undefined) shapes.set(method, (shape = shapeOf(method)));
      return shape;
    },
  };
}
