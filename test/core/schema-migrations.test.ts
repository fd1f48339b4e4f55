/**
 * The adapter-independent rules of versioned migrations (src/store/migrations.ts), without a
 * database: the current version from recorded rows, the baseline of a schema without rows, the
 * target of `to`, the plan, and the SQL text of one migration.
 */
import { describe, expect, it } from "vitest";
import { ConfigurationError, SchemaVersionError } from "../../src/index.js";
import {
  currentFromRecorded,
  detectBaseline,
  migrationScript,
  missingShape,
  planMigrations,
  targetVersion,
  type MigrationStep,
} from "../../src/store/index.js";

const context = { adapter: "test", tablePrefix: "p_" };

/** Steps over a snapshot that is just the set of changes in place. */
function steps(rerunnable: readonly boolean[]): MigrationStep<ReadonlySet<number>>[] {
  return rerunnable.map((again, index) => ({
    version: index + 1,
    name: `step_${index + 1}`,
    statements: [`-- ${index + 1}`],
    rerunnable: again,
    missing: (present) => (present.has(index + 1) ? [] : [`change ${index + 1}`]),
  }));
}

describe("schema migrations: the shared rules", () => {
  it("the current version is the newest recorded; newer than the package or with a gap is refused", () => {
    expect(currentFromRecorded([1, 2, 3], 5, context)).toBe(3);
    expect(currentFromRecorded([], 5, context)).toBe(0);
    expect(() => currentFromRecorded([1, 2, 6], 5, context)).toThrow(SchemaVersionError);
    try {
      currentFromRecorded([1, 2, 6], 5, context);
    } catch (error) {
      expect(error).toMatchObject({ reason: "newer_than_package", current: 6, latest: 5, adapter: "test" });
    }
    expect(() => currentFromRecorded([1, 3], 5, context)).toThrow(/not 2/);
    expect(() => currentFromRecorded([0, 1], 5, context)).toThrow(SchemaVersionError);
  });

  it("a schema without rows is at the number of leading changes in place", () => {
    const list = steps([true, false, true, false]);
    expect(detectBaseline(list, new Set<number>(), context)).toBe(0);
    expect(detectBaseline(list, new Set([1, 2]), context)).toBe(2);
    expect(detectBaseline(list, new Set([1, 2, 3, 4]), context)).toBe(4);
    // A later change that may run again is fine without an earlier one (3 after a missing 2).
    expect(detectBaseline(list, new Set([1, 3]), context)).toBe(1);
  });

  it("a later change that cannot run again, without an earlier one, matches no history and is refused", () => {
    const list = steps([true, false, true, false]);
    expect(() => detectBaseline(list, new Set([1, 4]), context)).toThrow(SchemaVersionError);
    try {
      detectBaseline(list, new Set([2]), context);
      expect.unreachable();
    } catch (error) {
      expect(error).toMatchObject({ reason: "unrecognised_schema", current: null, latest: 4 });
      expect((error as Error).message).toContain(
        "version 2 (step_2) is in place but version 1 is not (missing change 1)",
      );
    }
  });

  it("`to` is an integer from 0 to the latest; the plan runs from the current version up to it, never down", () => {
    expect(targetVersion(undefined, 4)).toBe(4);
    expect(targetVersion(0, 4)).toBe(0);
    for (const bad of [-1, 5, 1.5, Number.NaN]) expect(() => targetVersion(bad, 4)).toThrow(ConfigurationError);
    const list = steps([true, true, true, true]);
    expect(planMigrations(list, 1, 3)).toMatchObject({ from: 1, to: 3, pending: [{ version: 2 }, { version: 3 }] });
    expect(planMigrations(list, 3, 1)).toEqual({ from: 3, to: 3, pending: [] });
  });

  it("a table's shape: the table, columns present and absent, indexes present and absent", () => {
    const snapshot = {
      tables: new Map([["t", new Set(["a", "b"])]]),
      indexes: new Set(["t.i1", "t.old"]),
      facts: new Set<string>(),
    };
    expect(
      missingShape(snapshot, "t", { columns: ["a"], without: ["c"], indexes: ["i1"], withoutIndexes: ["gone"] }),
    ).toEqual([]);
    expect(
      missingShape(snapshot, "t", { columns: ["c"], without: ["a"], indexes: ["i2"], withoutIndexes: ["old"] }),
    ).toEqual(["column t.c", "no column t.a", "index i2 on t", "no index old on t"]);
    expect(missingShape(snapshot, "u")).toEqual(["table u"]);
  });

  it("one migration's SQL text is a comment naming it, then each statement ended by a semicolon", () => {
    expect(migrationScript("pg", { version: 2, name: "two", statements: ["A", "B"] })).toBe(
      "-- onboarding-lifecycle pg schema version 2: two\nA;\n\nB;\n",
    );
  });
});
