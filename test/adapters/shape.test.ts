/**
 * One shape for every adapter, as Kysely's dialects have: the same files and the same names in
 * every folder of `src/adapters/`, so a reader who knows one adapter knows where everything is in
 * the others. This test holds each folder to that shape (as test/architecture.test.ts holds the
 * folders of src/ to their imports); CONTRIBUTING.md ("Adding a storage adapter") describes it.
 *
 * - every adapter: `index.ts` (header + named re-exports) and `store.ts` with `create<Name>Store`
 *   and its named store type `<Name>Store`;
 * - every adapter with a server: also `schema.ts` and `<Name>StoreOptions`; every SQL adapter
 *   also `migrations.ts` (its numbered migrations and their runner);
 * - every adapter: `admin.ts`, its `StoreAdmin` (`store.admin`: counts, scans and rewrites for
 *   operators' tooling such as the CLI);
 * - any adapter: optionally `outbox.ts`, its `OutboxStore` methods kept out of `store.ts`, and
 *   `durability.ts`, a replication wait after each write (Redis `WAIT`), and `errors.ts`, the
 *   server's own failure modes named as causes (MySQL: a Galera node outside the primary component);
 * - SQL adapters: `schema.ts` exports `DEFAULT_<NAME>_TABLE_PREFIX`, `<name>TableNames` /
 *   `<Name>TableNames`, `<name>SchemaStatements`, `<name>SchemaSql` (the latest schema),
 *   `<name>DropSchemaStatements`, `<name>DropSchemaSql`; `migrations.ts` exports
 *   `<name>Migrations`, `<name>MigrationSql`, `<name>SchemaStatus`, `migrate<Name>` /
 *   `<Name>MigrateOptions`; the store has `migrate()`, `schemaStatus()` and `tables`;
 * - Redis: `schema.ts` is its key layout and Lua scripts (no DDL, so nothing to migrate);
 * - one error wrapper (`wrapStoreErrors` / `storeWrite` from store/), one rejection signal
 *   (a returned `WriteRejection`, or `rejectWrite` inside a driver transaction), and no list
 *   option checks of their own beyond the cursor (`listCursor`).
 */
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../../src/adapters", import.meta.url));

type Kind = "embedded" | "sql" | "key-value";

/** The public shape of one migration (`SchemaMigration`), as the test reads it. */
interface SchemaMigrationLike {
  readonly version: number;
  readonly name: string;
  readonly statements: readonly string[];
}

/** Every adapter folder, its kind and the `<Name>` its exported names use. */
const ADAPTERS: Readonly<Record<string, { readonly kind: Kind; readonly Name: string }>> = {
  memory: { kind: "embedded", Name: "Memory" },
  sqlite: { kind: "sql", Name: "Sqlite" },
  postgres: { kind: "sql", Name: "Postgres" },
  mysql: { kind: "sql", Name: "MySql" },
  redis: { kind: "key-value", Name: "Redis" },
};

const FILES: Readonly<Record<Kind, readonly string[]>> = {
  embedded: ["admin.ts", "index.ts", "store.ts"],
  sql: ["admin.ts", "index.ts", "migrations.ts", "schema.ts", "store.ts"],
  "key-value": ["admin.ts", "index.ts", "schema.ts", "store.ts"],
};

/** Files any adapter folder may have beside those of its kind. */
const OPTIONAL_FILES: readonly string[] = ["outbox.ts", "durability.ts", "errors.ts"];

/** The files of a folder the shape rules hold: those of its kind plus the optional ones it has. */
function filesOf(folder: string, kind: Kind): readonly string[] {
  const present = readdirSync(join(root, folder));
  return [...FILES[kind], ...OPTIONAL_FILES.filter((file) => present.includes(file))];
}

const upper = (Name: string): string => Name.toUpperCase();

/** The SQL adapters' modules, for the run-time checks of their schema helpers. */
const SQL_MODULES: Readonly<Record<string, () => Promise<Record<string, unknown>>>> = {
  sqlite: () => import("../../src/adapters/sqlite/index.js"),
  postgres: () => import("../../src/adapters/postgres/index.js"),
  mysql: () => import("../../src/adapters/mysql/index.js"),
};

/**
 * The names an adapter must export, and the file of the folder each must be declared in. `name`
 * (the folder: `mysql`) starts the function names, `Name` (`MySql`) the type and factory names.
 */
function expectedNames(
  kind: Kind,
  name: string,
  Name: string,
): Readonly<Record<string, "store.ts" | "schema.ts" | "migrations.ts">> {
  const names: Record<string, "store.ts" | "schema.ts" | "migrations.ts"> = {
    [`create${Name}Store`]: "store.ts",
    [`${Name}Store`]: "store.ts",
  };
  if (kind !== "embedded") names[`${Name}StoreOptions`] = "store.ts";
  if (kind === "sql") {
    for (const schemaName of [
      `DEFAULT_${upper(Name)}_TABLE_PREFIX`,
      `${name}TableNames`,
      `${Name}TableNames`,
      `${name}SchemaStatements`,
      `${name}SchemaSql`,
      `${name}DropSchemaStatements`,
      `${name}DropSchemaSql`,
    ]) {
      names[schemaName] = "schema.ts";
    }
    for (const migrationName of [
      `${name}Migrations`,
      `${name}MigrationSql`,
      `${name}SchemaStatus`,
      `migrate${Name}`,
      `${Name}MigrateOptions`,
    ]) {
      names[migrationName] = "migrations.ts";
    }
  }
  if (kind === "key-value") {
    for (const schemaName of [
      `DEFAULT_${upper(Name)}_KEY_PREFIX`,
      `${name}Keys`,
      `${Name}WorkspaceKeys`,
      "INSERT_SCRIPT",
      "COMMIT_SCRIPT",
    ]) {
      names[schemaName] = "schema.ts";
    }
  }
  return names;
}

/** Exported names of each adapter's index.ts with the file that declares them, by the type checker. */
function exportsOfIndexes(): Map<string, Map<string, string>> {
  const indexes = Object.keys(ADAPTERS).map((folder) => join(root, folder, "index.ts"));
  const program = ts.createProgram(indexes, {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    strict: true,
    skipLibCheck: true,
    noEmit: true,
    types: ["node"],
  });
  const checker = program.getTypeChecker();
  const result = new Map<string, Map<string, string>>();
  for (const [folder] of Object.entries(ADAPTERS)) {
    const source = program.getSourceFile(join(root, folder, "index.ts"));
    const module = source === undefined ? undefined : checker.getSymbolAtLocation(source);
    const names = new Map<string, string>();
    for (const symbol of module === undefined ? [] : checker.getExportsOfModule(module)) {
      const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
      const file = target.declarations?.[0]?.getSourceFile().fileName ?? "";
      names.set(symbol.name, file.slice(file.lastIndexOf("/") + 1));
    }
    result.set(folder, names);
  }
  return result;
}

/** A source file without its comments, so prose about a rule never counts as breaking it. */
function code(folder: string, file: string): string {
  return readFileSync(join(root, folder, file), "utf8")
    .replace(/\/\*[\s\S]*?\*\//g, "")
    .replace(/^\s*\/\/.*$/gm, "");
}

describe("adapters: one shape", () => {
  it("lists every adapter folder (a new adapter is added here, with its kind)", () => {
    const folders = readdirSync(root, { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name);
    expect(folders.sort()).toEqual(Object.keys(ADAPTERS).sort());
    const sql = Object.entries(ADAPTERS)
      .filter(([, adapter]) => adapter.kind === "sql")
      .map(([folder]) => folder);
    expect(Object.keys(SQL_MODULES).sort()).toEqual(sql.sort());
  });

  for (const [folder, { kind }] of Object.entries(ADAPTERS)) {
    it(`${folder}: has exactly the files of a ${kind} adapter`, () => {
      const present = readdirSync(join(root, folder)).filter((file) => !OPTIONAL_FILES.includes(file));
      expect(present.sort()).toEqual([...FILES[kind]].sort());
    });
  }

  // One type-checker pass over the five entry points (a few seconds), shared by the tests below.
  const exported = exportsOfIndexes();

  for (const [folder, { kind, Name }] of Object.entries(ADAPTERS)) {
    it(`${folder}: exports the shape's names, each from its file`, () => {
      const names = exported.get(folder) ?? new Map<string, string>();
      const expected = expectedNames(kind, folder, Name);
      const declaredIn = Object.fromEntries(
        Object.keys(expected).map((name) => [name, names.get(name) ?? "(not exported)"]),
      );
      expect(declaredIn).toEqual(expected);
    });
  }

  for (const [folder, { kind, Name }] of Object.entries(ADAPTERS)) {
    if (kind !== "sql") continue;
    it(`${folder}: the schema text is the statements, for creating and for dropping`, async () => {
      const module = await SQL_MODULES[folder]!();
      const name = folder;
      const fn = (suffix: string) => module[`${name}${suffix}`] as (prefix?: string) => unknown;
      const statements = fn("SchemaStatements")("shape_") as readonly string[];
      const drops = fn("DropSchemaStatements")("shape_") as readonly string[];
      expect(statements.length).toBeGreaterThanOrEqual(3);
      for (const statement of statements) expect(statement).toMatch(/^CREATE (UNIQUE )?(TABLE|INDEX) IF NOT EXISTS /);
      // One drop per table the statements create (three, four with the outbox), and one for the
      // schema-version table `migrate()` keeps (a dropped schema must not look migrated).
      const created = statements.filter((statement) => statement.startsWith("CREATE TABLE")).length;
      expect(created).toBeGreaterThanOrEqual(3);
      expect(drops.filter((statement) => /^DROP TABLE IF EXISTS /.test(statement))).toHaveLength(created + 1);
      expect(drops.some((statement) => statement.includes("shape_schema_version"))).toBe(true);
      for (const [text, list] of [
        [fn("SchemaSql")("shape_"), statements],
        [fn("DropSchemaSql")("shape_"), drops],
      ] as const) {
        // Both texts: every statement, in order, each ended by `;`, and nothing else.
        expect((text as string).split(/;\n\n?/).filter((part) => part.trim() !== "")).toEqual([...list]);
      }
      const tables = fn("TableNames")("shape_") as Record<string, string>;
      for (const table of ["drafts", "audit", "idempotency"]) expect(tables[table]).toContain(`shape_${table}`);
      expect(module[`DEFAULT_${upper(Name)}_TABLE_PREFIX`]).toBe("onboarding_");
      expect(typeof module[`migrate${Name}`]).toBe("function");
    });

    it(`${folder}: the migrations are numbered 1..n, named once each, and their SQL text is their statements`, async () => {
      const module = await SQL_MODULES[folder]!();
      const migrations = (module[`${folder}Migrations`] as (prefix?: string) => readonly SchemaMigrationLike[])(
        "shape_",
      );
      const sql = module[`${folder}MigrationSql`] as (version: number, prefix?: string) => string;
      expect(migrations.map((migration) => migration.version)).toEqual(migrations.map((_, index) => index + 1));
      expect(new Set(migrations.map((migration) => migration.name)).size).toBe(migrations.length);
      for (const migration of migrations) {
        expect(migration.name).toMatch(/^[a-z][a-z0-9_]*$/);
        expect(migration.statements.length).toBeGreaterThan(0);
        const text = sql(migration.version, "shape_");
        expect(text.split("\n")[0]).toBe(
          `-- onboarding-lifecycle ${folder} schema version ${migration.version}: ${migration.name}`,
        );
        expect(
          text
            .slice(text.indexOf("\n") + 1)
            .split(/;\n\n?/)
            .filter((part) => part.trim() !== ""),
        ).toEqual([...migration.statements]);
      }
      expect(migrations[0]?.name).toBe("base_tables");
      // The outbox table is created by one migration of its own; later changes to it are later numbers.
      expect(
        migrations.filter((migration) =>
          migration.statements.some((s) => /CREATE TABLE/i.test(s) && /shape_outbox\b/.test(s.split("(")[0] ?? "")),
        ),
      ).toHaveLength(1);
      expect(() => sql(migrations.length + 1)).toThrow(/no schema migration/);
    });
  }

  for (const [folder, { kind }] of Object.entries(ADAPTERS)) {
    it(`${folder}: uses the one error wrapper, the one rejection signal and leaves list options to the engine`, () => {
      for (const file of filesOf(folder, kind)) {
        const text = code(folder, file);
        // Errors: `wrapStoreErrors` / `storeWrite` build every StoreError and let the package's own errors through.
        expect(text, `${folder}/${file}`).not.toMatch(/new StoreError\(|isOnboardingError/);
        // Rejections: returned, or thrown with `rejectWrite`; never an adapter's own class or string.
        expect(text, `${folder}/${file}`).not.toMatch(/class \w*(Rejection|Retry)\b|throw new Rejection|new Retry\(/);
        // List options: limit and state are checked by the engine; the cursor by `listCursor`.
        expect(text, `${folder}/${file}`).not.toMatch(/decodeCursor\(|ValidationError|MAX_LIST|MAX_LIMIT/);
      }
      const store = code(folder, "store.ts");
      expect(store).toMatch(/\blistCursor\(/);
      if (kind !== "embedded") expect(store).toMatch(/\b(wrapStoreErrors|storeWrite)\(/);
    });
  }

  for (const [folder, { kind }] of Object.entries(ADAPTERS)) {
    it(`${folder}: is I/O only (the engine encodes, decodes, caches and checks the stored version)`, () => {
      for (const file of FILES[kind]) {
        const text = code(folder, file);
        // No cache of decoded drafts and no decoding of draft documents of its own.
        expect(text, `${folder}/${file}`).not.toMatch(
          /document-cache|DocumentCache|documentCacheSize|checkStoredVersion|decodeStoredDraft|\bparseDraft\(|safeParseDraft\(/,
        );
        // Drafts are stored as the text the engine encoded (`input.document`), never re-encoded.
        expect(text, `${folder}/${file}`).not.toMatch(/encodeDraft\((input\.)?draft\)/);
        // No `peek`: the engine's cache replaced it.
        expect(text, `${folder}/${file}`).not.toMatch(/\bpeek\b/);
      }
    });
  }
});
