/**
 * What a store says about itself to tracing and metrics: the database system, the database and
 * the tables behind each part of the port, in the words of OpenTelemetry's database semantic
 * conventions. Plain data; the engine never reads it, an instrumentation does.
 */

/** The tables (collections, key spaces) a store keeps each part of the port in. */
export interface StoreCollections {
  /** Drafts (`load`, `insert`, `commit`, `findOpenDraft`, `list`). */
  readonly drafts: string;
  /** Audit entries (`appendAudit`, `listAudit`). */
  readonly audit: string;
  /** Idempotency records (`loadIdempotency`, `pruneIdempotency`). */
  readonly idempotency: string;
  /** Outbox records (every outbox method, run progress and stale runs). */
  readonly outbox: string;
}

/**
 * A store's description for telemetry (`DraftStore.describe`).
 *
 * @example
 * ```ts
 * const descriptor: StoreDescriptor = {
 *   system: "postgresql",
 *   namespace: "app",
 *   collections: { drafts: "onboarding_drafts", audit: "onboarding_audit", idempotency: "onboarding_idempotency", outbox: "onboarding_outbox" },
 * };
 * ```
 */
export interface StoreDescriptor {
  /**
   * `db.system.name`: `postgresql`, `mysql`, `mariadb`, `sqlite`, `redis`, or a name of your own
   * (`memory` for the in-process store).
   */
  readonly system: string;
  /** `db.namespace`: the database (PostgreSQL, MySQL: its name; SQLite: the file; Redis: the index), when known without a round trip. */
  readonly namespace?: string;
  /** `db.collection.name` of each part, when the store has tables. */
  readonly collections?: StoreCollections;
}

/** The four tables of a SQL adapter for a table prefix (`<prefix>drafts`, ...). */
export function prefixedCollections(prefix: string): StoreCollections {
  return {
    drafts: `${prefix}drafts`,
    audit: `${prefix}audit`,
    idempotency: `${prefix}idempotency`,
    outbox: `${prefix}outbox`,
  };
}

/**
 * The database a driver's configuration names, read without a round trip: a `database` field, or
 * the path of a connection URL (`connectionString`, `uri`, or the string itself). `undefined` when
 * it names none (the driver's own default then applies, which the store cannot see).
 */
export function databaseNameOf(config: unknown): string | undefined {
  if (typeof config === "string") return databaseOfUrl(config);
  if (typeof config !== "object" || config === null) return undefined;
  const fields = config as { database?: unknown; connectionString?: unknown; uri?: unknown };
  if (typeof fields.database === "string" && fields.database !== "") return fields.database;
  const url = typeof fields.connectionString === "string" ? fields.connectionString : fields.uri;
  return typeof url === "string" ? databaseOfUrl(url) : undefined;
}

function databaseOfUrl(url: string): string | undefined {
  try {
    const name = decodeURIComponent(new URL(url).pathname.replace(/^\//, ""));
    return name === "" || name.includes("/") ? undefined : name;
  } catch {
    return undefined;
  }
}
