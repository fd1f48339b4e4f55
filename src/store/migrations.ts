/**
 * Versioned schema migrations, shared by the SQL adapters: the public shapes (`SchemaMigration`,
 * `SchemaStatus`, `MigrateResult`, `MigrateOptions`) and the adapter-independent part of running
 * them. Each adapter keeps its numbered migrations, its catalog queries and its lock in its own
 * `migrations.ts`; what is decided here is the same for all of them:
 *
 * - the current version is the newest one the schema-version table records; a gap below it, or a
 *   version newer than the package knows, is a {@link SchemaVersionError} and nothing runs;
 * - a database without recorded versions (made by the unversioned `migrate()` of a release before
 *   versioning, or by hand from the SQL text) is inspected: its version is the number of leading
 *   migrations whose effect is complete in the catalog, recorded as a baseline before anything
 *   is applied; a schema that matches no history is refused rather than guessed at;
 * - a dry run reads and reports, and changes nothing (not even the version table).
 */
import { ConfigurationError, SchemaVersionError } from "../record/index.js";

/** One numbered migration of a SQL adapter's schema: its version, a name, and its SQL statements in order. */
export interface SchemaMigration {
  /** Its number: 1 for the first, each later migration one more. */
  readonly version: number;
  /** A short `snake_case` name (`base_tables`, `outbox`...), stable across releases. */
  readonly name: string;
  /** The SQL statements, without trailing semicolons, in the order they run. */
  readonly statements: readonly string[];
}

/** Where a database's schema stands: its version, the newest the package knows, and what is left to apply. */
export interface SchemaStatus {
  /**
   * The database's schema version: the newest recorded in the schema-version table, or for a
   * database without one, the version its tables were found to match (0: no tables yet).
   */
  readonly current: number;
  /** The newest version this package knows. */
  readonly latest: number;
  /** The migrations a `migrate()` would apply, in order (empty when up to date). */
  readonly pending: readonly SchemaMigration[];
}

/** What a `migrate()` did (or, in a dry run, would do). */
export interface MigrateResult {
  /** The version before. */
  readonly from: number;
  /** The version after (in a dry run: the version it would reach). */
  readonly to: number;
  /** The migrations applied by this call (in a dry run: those that would be), in order. */
  readonly applied: readonly SchemaMigration[];
  /** Whether this was a dry run (nothing was changed). */
  readonly dryRun: boolean;
}

/** Options of the SQL adapters' `migrate` functions. */
export interface MigrateOptions {
  /** The table prefix (default `onboarding_`). */
  readonly tablePrefix?: string;
  /** Report what would be applied without changing anything. Default `false`. */
  readonly dryRun?: boolean;
  /**
   * Migrate up to this version only (0 ..latest; default: the latest). A `to` below the current
   * version changes nothing: there are no down migrations.
   */
  readonly to?: number;
}

/** Options of a SQL store's `migrate()`: the store's own table prefix is used. */
export type StoreMigrateOptions = Omit<MigrateOptions, "tablePrefix">;

/**
 * @internal One migration as an adapter declares it: the public fields plus how to tell, from a
 * snapshot of the catalog, whether its effect is already in place.
 */
export interface MigrationStep<Snapshot> extends SchemaMigration {
  /** What of this migration's effect the snapshot lacks (empty: in place). */
  missing(snapshot: Snapshot): readonly string[];
  /**
   * Whether the statements may run over their own effect (each `IF NOT EXISTS`, or a rewrite that
   * matches nothing the second time). A database found with such a change but without an earlier
   * one is still recognised; with any other it is refused.
   */
  readonly rerunnable: boolean;
}

/** @internal The adapter and prefix a migration run is about, for errors. */
export interface MigrationContext {
  /** The adapter's name. */
  readonly adapter: string;
  /** The table prefix. */
  readonly tablePrefix: string;
}

/**
 * @internal A snapshot of the catalog for one prefix: the adapter's tables with their columns,
 * their indexes as `table.index`, and adapter-specific facts (a storage option, a legacy row shape).
 */
export interface CatalogSnapshot {
  /** The columns of each table that exists, by table name. */
  readonly tables: ReadonlyMap<string, ReadonlySet<string>>;
  /** Every index, primary key and unique constraint of those tables, as `table.index`. */
  readonly indexes: ReadonlySet<string>;
  /** Facts a migration's check needs beyond tables and indexes. */
  readonly facts: ReadonlySet<string>;
}

/**
 * @internal What a snapshot lacks of a table's shape: the table, columns present and absent,
 * indexes present and absent (a migration that drops an index checks `withoutIndexes`).
 */
export function missingShape(
  snapshot: CatalogSnapshot,
  table: string,
  shape: {
    readonly columns?: readonly string[];
    readonly without?: readonly string[];
    readonly indexes?: readonly string[];
    readonly withoutIndexes?: readonly string[];
  } = {},
): string[] {
  const columns = snapshot.tables.get(table);
  if (columns === undefined) return [`table ${table}`];
  return [
    ...(shape.columns ?? []).filter((column) => !columns.has(column)).map((column) => `column ${table}.${column}`),
    ...(shape.without ?? []).filter((column) => columns.has(column)).map((column) => `no column ${table}.${column}`),
    ...(shape.indexes ?? [])
      .filter((index) => !snapshot.indexes.has(`${table}.${index}`))
      .map((index) => `index ${index} on ${table}`),
    ...(shape.withoutIndexes ?? [])
      .filter((index) => snapshot.indexes.has(`${table}.${index}`))
      .map((index) => `no index ${index} on ${table}`),
  ];
}

/** @internal The public view of steps: plain frozen objects, without the checks. */
export function publicMigrations(steps: readonly SchemaMigration[]): readonly SchemaMigration[] {
  return Object.freeze(steps.map(plainMigration));
}

function plainMigration(step: SchemaMigration): SchemaMigration {
  return Object.freeze({ version: step.version, name: step.name, statements: Object.freeze([...step.statements]) });
}

/**
 * @internal The current version from the versions a schema-version table records.
 * @throws {@link SchemaVersionError} for a version the package does not know, or a gap.
 */
export function currentFromRecorded(recorded: readonly number[], latest: number, context: MigrationContext): number {
  const current = Math.max(0, ...recorded);
  if (current > latest) {
    throw new SchemaVersionError(
      { ...context, reason: "newer_than_package", current, latest },
      `${context.adapter} schema "${context.tablePrefix}" is at version ${current}, newer than the ${latest} this package knows: run a release that knows it (schemas are never migrated down)`,
    );
  }
  const have = new Set(recorded);
  const gaps = Array.from({ length: current }, (_, index) => index + 1).filter((version) => !have.has(version));
  const strays = recorded.filter((version) => !Number.isInteger(version) || version < 1);
  if (gaps.length > 0 || strays.length > 0) {
    const problem = gaps.length > 0 ? `but not ${gaps.join(", ")}` : `and ${strays.join(", ")}`;
    throw new SchemaVersionError(
      { ...context, reason: "inconsistent_history", current, latest },
      `${context.adapter} schema "${context.tablePrefix}" records version ${current} ${problem}: the schema-version table was edited; restore its rows`,
    );
  }
  return current;
}

/**
 * @internal The version a database without recorded versions matches: the number of leading
 * steps whose effect is complete. A later change present without an earlier one is accepted only
 * when that later step may run again.
 * @throws {@link SchemaVersionError} (`unrecognised_schema`) otherwise.
 */
export function detectBaseline<S>(steps: readonly MigrationStep<S>[], snapshot: S, context: MigrationContext): number {
  const missing = steps.map((step) => step.missing(snapshot));
  const firstIncomplete = missing.findIndex((list) => list.length > 0);
  const baseline = firstIncomplete < 0 ? steps.length : firstIncomplete;
  const clash = steps.find(
    (step, index) => index > baseline && !step.rerunnable && (missing[index]?.length ?? 0) === 0,
  );
  if (clash !== undefined) {
    const gap = missing[baseline] ?? [];
    throw new SchemaVersionError(
      { ...context, reason: "unrecognised_schema", current: null, latest: steps.length },
      `${context.adapter} schema "${context.tablePrefix}" has no recorded version and matches no schema a release created: ` +
        `version ${clash.version} (${clash.name}) is in place but version ${baseline + 1} is not (missing ${gap.join(", ")})`,
    );
  }
  return baseline;
}

/**
 * @internal Checks, after a migration's statements ran and before it is recorded, that its effect
 * is in place: a statement that did nothing because an object of the same name already exists in
 * another shape (`CREATE TABLE IF NOT EXISTS` over a hand-made table) must not be recorded.
 * @throws {@link SchemaVersionError} (`unrecognised_schema`) otherwise.
 */
export function assertApplied<S>(step: MigrationStep<S>, snapshot: S, context: MigrationContext, latest: number): void {
  const missing = step.missing(snapshot);
  if (missing.length === 0) return;
  throw new SchemaVersionError(
    { ...context, reason: "unrecognised_schema", current: step.version - 1, latest },
    `${context.adapter} schema "${context.tablePrefix}": migration ${step.version} (${step.name}) ran but ${missing.join(", ")} ` +
      "is still not in place: an object of that name exists in another shape; remove or rename it and migrate again",
  );
}

/**
 * @internal The version a run migrates to.
 * @throws {@link ConfigurationError} for a `to` that is not an integer from 0 to `latest`.
 */
export function targetVersion(to: number | undefined, latest: number): number {
  if (to === undefined) return latest;
  if (!Number.isInteger(to) || to < 0 || to > latest) {
    throw new ConfigurationError(
      "to",
      `to must be an integer from 0 to ${latest} (the latest version), got ${String(to)}`,
    );
  }
  return to;
}

/**
 * @internal The step of a version.
 * @throws {@link ConfigurationError} for a version the adapter does not have.
 */
export function stepOf<T extends SchemaMigration>(steps: readonly T[], version: number): T {
  const step = steps.find((candidate) => candidate.version === version);
  if (step === undefined) {
    throw new ConfigurationError(
      "version",
      `no schema migration ${String(version)}: versions run from 1 to ${steps.length}`,
    );
  }
  return step;
}

/** @internal One migration as a SQL script: a comment naming it, then each statement ended by `;`. */
export function migrationScript(adapter: string, migration: SchemaMigration): string {
  const header = `-- onboarding-lifecycle ${adapter} schema version ${migration.version}: ${migration.name}\n`;
  return header + migration.statements.map((statement) => `${statement};\n`).join("\n");
}

/** @internal The current version and whether it was found by inspection rather than recorded. */
export interface InspectedVersion {
  /** The current version. */
  readonly current: number;
  /** True when no version was recorded and `current` comes from inspecting the tables. */
  readonly detected: boolean;
}

/** @internal A run's plan: from which version, which steps, to which version. */
export interface MigrationPlan<T extends SchemaMigration> {
  /** The version before. */
  readonly from: number;
  /** The version after. */
  readonly to: number;
  /** The steps to apply, in order. */
  readonly pending: readonly T[];
}

/** @internal The steps after `current` up to `target`. */
export function planMigrations<T extends SchemaMigration>(
  steps: readonly T[],
  current: number,
  target: number,
): MigrationPlan<T> {
  const pending = steps.filter((step) => step.version > current && step.version <= target);
  return { from: current, to: pending.at(-1)?.version ?? current, pending };
}

/** @internal What an asynchronous adapter offers the runner, on one connection under its lock. */
export interface MigrationSession {
  /** The current version (recorded, or found by inspection); throws `SchemaVersionError`. */
  inspect(): Promise<InspectedVersion>;
  /** Creates the schema-version table if it does not exist. */
  prepare(): Promise<void>;
  /** Records `migrations` (the leading ones found in place) without running them. */
  recordBaseline(migrations: readonly SchemaMigration[]): Promise<void>;
  /** Applies one migration and records it; `false` when another migrator recorded it first. */
  apply(migration: SchemaMigration): Promise<boolean>;
}

/**
 * @internal Runs the pending migrations of `steps` through a session (PostgreSQL, MySQL): the
 * caller holds the adapter's lock around it.
 */
export async function runMigrations(
  session: MigrationSession,
  steps: readonly SchemaMigration[],
  options: MigrateOptions,
): Promise<MigrateResult> {
  const target = targetVersion(options.to, steps.length);
  const { current, detected } = await session.inspect();
  const plan = planMigrations(steps.map(plainMigration), current, target);
  if (options.dryRun === true) return { from: plan.from, to: plan.to, applied: plan.pending, dryRun: true };
  if (detected) {
    await session.prepare();
    if (current > 0) await session.recordBaseline(steps.slice(0, current).map(plainMigration));
  }
  const applied: SchemaMigration[] = [];
  for (const migration of plan.pending) {
    if (await session.apply(migration)) applied.push(migration);
  }
  return { from: plan.from, to: plan.to, applied, dryRun: false };
}

/** @internal The status of a database from an inspection. */
export function statusOf(steps: readonly SchemaMigration[], current: number): SchemaStatus {
  return {
    current,
    latest: steps.length,
    pending: planMigrations(steps.map(plainMigration), current, steps.length).pending,
  };
}
