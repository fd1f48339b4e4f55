/**
 * Type-checks every TypeScript example the package documents, against the BUILT package:
 *
 * - ```ts / ```typescript blocks in `@example` (any TSDoc comment) under `src/`,
 * - ```ts / ```typescript blocks in `docs/*.md` and `README.md`.
 *
 * Each block becomes one module in `.tmp/examples/`. That folder sits inside the repository and
 * has no package.json of its own, so `import ... from "onboarding-lifecycle"` (and every subpath)
 * resolves through the package's own `exports` map to `dist/` (a package self-reference), exactly
 * as it would for a user; drivers (`pg`, `mysql2`, ...) and `vitest` resolve from the repo's
 * node_modules. Then `tsc --noEmit` runs once over all of them.
 *
 * Fragments: examples may use a few names they do not declare (`draft`, `engine`, `actor`, ...).
 * Those are declared once in `.tmp/examples/prelude.d.ts` (see PRELUDE below) as globals; every
 * block is made a module (`export {}` is appended), so a block that declares one of those names
 * itself simply shadows the global. A block that cannot be checked at all says so with a line
 * `// @check-skip: <why>` in the code (or `<!-- @check-skip: why -->` on the line before a
 * Markdown fence); skips are listed in the output.
 *
 * Usage: `npm run build && tsx scripts/check-examples.ts` (exit 1 on any type error).
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

const root = fileURLToPath(new URL("..", import.meta.url));
const outDir = join(root, ".tmp", "examples");

/** One extracted example. */
interface Example {
  /** Where it comes from, `path:line`. */
  readonly origin: string;
  /** The code. */
  readonly code: string;
  /** Why it is not checked, or `null`. */
  readonly skip: string | null;
  /** A TSDoc example (may use the package's exports without importing them). */
  readonly tsdoc: boolean;
}

/** The package's entry points, in the order an un-imported name is looked up. */
const ENTRIES = [
  "onboarding-lifecycle",
  "onboarding-lifecycle/http",
  "onboarding-lifecycle/testing",
  "onboarding-lifecycle/adapters/memory",
  "onboarding-lifecycle/adapters/sqlite",
  "onboarding-lifecycle/adapters/postgres",
  "onboarding-lifecycle/adapters/mysql",
  "onboarding-lifecycle/adapters/redis",
];

/** The ESM declaration file the package's `exports` map gives for a subpath (`.`, `./http`, ...). */
function builtTypesOf(subpath: string): string {
  const manifest = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as {
    exports: Record<string, { import?: { types?: string } } | string>;
  };
  const entry = manifest.exports[subpath];
  const types = typeof entry === "object" ? entry.import?.types : undefined;
  if (types === undefined) throw new Error(`package.json exports has no import types for ${subpath}`);
  return types;
}

/** Every name the built entry points export, mapped to the first entry exporting it. */
function exportedNames(): Map<string, string> {
  const files = ENTRIES.map((entry) => join(root, builtTypesOf(`.${entry.slice("onboarding-lifecycle".length)}`)));
  const present = files.filter((file) => existsSync(file));
  const program = ts.createProgram(present, { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, skipLibCheck: true, noEmit: true });
  const checker = program.getTypeChecker();
  const names = new Map<string, string>();
  ENTRIES.forEach((entry, index) => {
    const source = program.getSourceFile(files[index] ?? "");
    const symbol = source === undefined ? undefined : checker.getSymbolAtLocation(source);
    if (symbol === undefined) return;
    for (const exported of checker.getExportsOfModule(symbol)) {
      if (!names.has(exported.name)) names.set(exported.name, entry);
    }
  });
  return names;
}

/**
 * TSDoc examples appear on the API page of the symbol they illustrate, so, by convention, they
 * may use the package's own exports without importing them. This adds the missing imports
 * (a name is missing when the example uses it but neither imports nor declares it).
 */
function withImplicitImports(code: string, exported: Map<string, string>, origin: string): string {
  const declared = new Set<string>();
  for (const match of code.matchAll(/\b(?:const|let|var|function|class|interface|type|enum)\s+([A-Za-z_$][\w$]*)/g)) {
    declared.add(match[1] ?? "");
  }
  for (const match of code.matchAll(/import\s+(?:type\s+)?\{([^}]*)\}/g)) {
    for (const part of (match[1] ?? "").split(",")) {
      const local = part.trim().replace(/^type\s+/, "").split(/\s+as\s+/).pop()?.trim();
      if (local) declared.add(local);
    }
  }
  const context = CONTEXT.find(([prefix]) => origin.startsWith(prefix))?.[1] ?? {};
  const locals: string[] = [];
  const byEntry = new Map<string, Set<string>>();
  for (const match of code.matchAll(/(?<![.\w$"'`])([A-Za-z_$][\w$]*)\b/g)) {
    const name = match[1] ?? "";
    const local = context[name];
    if (local !== undefined && !declared.has(name) && !locals.some((line) => line.includes(` ${name}:`))) {
      locals.push(`declare const ${name}: ${local};`);
    }
    const entry = exported.get(name);
    if (entry === undefined || declared.has(name)) continue;
    const names = byEntry.get(entry) ?? new Set<string>();
    names.add(name);
    byEntry.set(entry, names);
  }
  const imports = [...byEntry.entries()].map(([entry, names]) => `import { ${[...names].sort().join(", ")} } from "${entry}";`);
  const head = [...imports, ...locals];
  return head.length === 0 ? code : `${head.join(" ")}\n${code}`;
}

/**
 * Names examples may use without declaring them. Keep it small and honest: each is something a
 * reader obviously has in scope at that point of a guide (the draft on screen, the engine, the
 * current actor) or a stand-in for the reader's own UI code (`render`, `notify`).
 */
const PRELUDE = `// Generated by scripts/check-examples.ts: the names documentation examples may use undeclared.
type OL = typeof import("onboarding-lifecycle");
interface User { id: string; role: "owner" | "operator" | "viewer"; roles: string[]; workspaces: string[] }
declare const draft: import("onboarding-lifecycle").OnboardingDraft;
declare const engine: import("onboarding-lifecycle").OnboardingEngine;
declare const store: import("onboarding-lifecycle").DraftStore;
declare const actor: import("onboarding-lifecycle").Actor;
declare const authorize: import("onboarding-lifecycle").Authorize;
declare const options: import("onboarding-lifecycle").ExecuteOptions;
declare const id: string;
declare const user: User;
declare const workspaceId: string;
declare const ws: string;
declare const draftId: string;
declare const runId: string;
declare const command: import("onboarding-lifecycle").CommandInput;
declare const policy: import("onboarding-lifecycle").ReadinessPolicy;
declare const readiness: import("onboarding-lifecycle").Readiness;
declare const run: import("onboarding-lifecycle").CheckpointRun;
declare const now: string;
declare const nextRunId: () => string;
declare const value: unknown;
declare const legacyRow: unknown;
declare const row: { document: string };
declare const db: { query(sql: string, params: unknown[]): Promise<unknown> };
declare const request: Request & { body: unknown };
declare const req: { headers: Record<string, string | undefined>; body: unknown };
declare const response: Response;
declare const reply: { status(code: number): { send(body: unknown): unknown } };
declare const log: { info(...args: unknown[]): void; warn(...args: unknown[]): void; error(...args: unknown[]): void };
declare const router: { push(path: string): void };
declare const error: unknown;
declare function t(key: string): string;
declare function render(...args: unknown[]): void;
declare function notify(message: string): void;
declare function showNotice(message: string): void;
declare function showWarnings(message: string | undefined): void;
declare function showBlockers(blockers: readonly import("onboarding-lifecycle").Blocker[]): void;
declare function showActivateButton(): void;
declare function refresh(): void;
declare function reload(): void;
declare function save(draft: import("onboarding-lifecycle").OnboardingDraft): Promise<void>;
`;

/**
 * Driver handles the adapters' TSDoc examples use without declaring them (a pool, a client, a
 * connection of that adapter's driver). They differ per adapter (a \`pool\` is a pg pool in one
 * and a mysql2 pool in another), so they are declared inside the example's own module, and only
 * when the example uses the name without declaring it.
 */
const CONTEXT: ReadonlyArray<readonly [string, Readonly<Record<string, string>>]> = [
  ["src/adapters/postgres/", {
    pool: 'import("pg").Pool',
    client: 'import("pg").PoolClient',
    store: 'import("onboarding-lifecycle/adapters/postgres").PostgresStore',
  }],
  ["src/adapters/mysql/", {
    pool: 'import("mysql2/promise").Pool',
    connection: 'import("mysql2/promise").Connection',
    store: 'import("onboarding-lifecycle/adapters/mysql").MySqlStore',
  }],
  ["src/adapters/sqlite/", {
    db: 'import("better-sqlite3").Database',
    fs: 'typeof import("node:fs/promises")',
    store: 'import("onboarding-lifecycle/adapters/sqlite").SqliteStore',
  }],
  ["src/adapters/redis/", {
    client: 'import("ioredis").Redis',
  }],
];

const SKIP = /\/\/\s*@check-skip\b:?\s*(.*)$/m;
const MD_SKIP = /<!--\s*@check-skip\b:?\s*(.*?)\s*-->\s*$/;
const FENCE_OPEN = /^(\s*)```(ts|typescript)\s*$/;

function walk(dir: string, accept: (file: string) => boolean, out: string[] = []): string[] {
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, accept, out);
    else if (accept(path)) out.push(path);
  }
  return out;
}

/** ```ts blocks of Markdown text (fences at any indentation). */
export function markdownExamples(text: string, file: string): Example[] {
  const lines = text.split("\n");
  const examples: Example[] = [];
  for (let i = 0; i < lines.length; i += 1) {
    const open = FENCE_OPEN.exec(lines[i] ?? "");
    if (open === null) continue;
    const indent = open[1] ?? "";
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length && !/^\s*```\s*$/.test(lines[j] ?? ""); j += 1) {
      const line = lines[j] ?? "";
      body.push(line.startsWith(indent) ? line.slice(indent.length) : line);
    }
    const code = body.join("\n");
    const mdSkip = i > 0 ? MD_SKIP.exec(lines[i - 1] ?? "") : null;
    const inlineSkip = SKIP.exec(code);
    examples.push({
      origin: `${relative(root, file)}:${i + 1}`,
      code,
      skip: mdSkip !== null ? mdSkip[1] || "skipped" : inlineSkip !== null ? inlineSkip[1] || "skipped" : null,
      tsdoc: false,
    });
    i = j;
  }
  return examples;
}

/** ```ts blocks inside the TSDoc comments of a TypeScript source file. */
export function tsdocExamples(text: string, file: string): Example[] {
  const examples: Example[] = [];
  const comment = /\/\*\*([\s\S]*?)\*\//g;
  for (let match = comment.exec(text); match !== null; match = comment.exec(text)) {
    const startLine = text.slice(0, match.index).split("\n").length;
    const body = (match[1] ?? "")
      .split("\n")
      .map((line) => line.replace(/^\s*\* ?/, ""))
      .join("\n");
    for (const example of markdownExamples(body, file)) {
      const offset = Number(example.origin.slice(example.origin.lastIndexOf(":") + 1)) - 1;
      examples.push({ ...example, origin: `${relative(root, file)}:${startLine + offset}`, tsdoc: true });
    }
  }
  return examples;
}

function collect(): Example[] {
  const examples: Example[] = [];
  for (const file of walk(join(root, "src"), (f) => f.endsWith(".ts") && !f.endsWith(".test.ts"))) {
    examples.push(...tsdocExamples(readFileSync(file, "utf8"), file));
  }
  const docs = existsSync(join(root, "docs")) ? walk(join(root, "docs"), (f) => f.endsWith(".md")) : [];
  for (const file of [...docs, join(root, "README.md")]) {
    if (existsSync(file)) examples.push(...markdownExamples(readFileSync(file, "utf8"), file));
  }
  return examples;
}

function main(): void {
  if (!existsSync(join(root, builtTypesOf(".")))) {
    console.error("dist/ is missing: run `npm run build` first (examples are checked against the built package).");
    process.exit(2);
  }
  const examples = collect();
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, "prelude.d.ts"), PRELUDE);
  const exported = exportedNames();
  const files = new Map<string, Example>();
  let checked = 0;
  examples.forEach((example, index) => {
    if (example.skip !== null) {
      console.log(`skip ${example.origin}: ${example.skip}`);
      return;
    }
    const name = `example-${String(index).padStart(3, "0")}.ts`;
    files.set(name, example);
    // The first line names the origin (and carries the implicit imports of a TSDoc example), so
    // line N of the block is line N + 1 of the file.
    const code = example.tsdoc ? withImplicitImports(example.code, exported, example.origin) : example.code;
    const [head, ...rest] = code.split("\n");
    const body = code === example.code ? [`// ${example.origin}`, code] : [`${head} // ${example.origin}`, ...rest];
    writeFileSync(join(outDir, name), `${body.join("\n")}\nexport {};\n`);
    checked += 1;
  });
  writeFileSync(
    join(outDir, "tsconfig.json"),
    `${JSON.stringify(
      {
        compilerOptions: {
          target: "ES2022",
          lib: ["ES2022"],
          module: "NodeNext",
          moduleResolution: "NodeNext",
          types: ["node"],
          strict: true,
          exactOptionalPropertyTypes: true,
          noUncheckedIndexedAccess: true,
          skipLibCheck: true,
          noEmit: true,
          allowUnreachableCode: true,
        },
        include: ["*.ts"],
      },
      null,
      2,
    )}\n`,
  );
  const tsc = join(root, "node_modules", "typescript", "bin", "tsc");
  const result = spawnSync(process.execPath, [tsc, "-p", join(outDir, "tsconfig.json"), "--pretty", "false"], {
    encoding: "utf8",
  });
  const output = `${result.stdout}${result.stderr}`;
  let errors = 0;
  for (const line of output.split("\n")) {
    const match = /^(?:.*[\\/])?(example-\d+\.ts)\((\d+),(\d+)\): (.*)$/.exec(line);
    if (match !== null) {
      const example = files.get(match[1] ?? "");
      const lineInBlock = Number(match[2]) - 1; // the first line is the origin comment
      const [path, start] = (example?.origin ?? "?:0").split(/:(?=\d+$)/);
      console.error(`${path}:${Number(start) + lineInBlock}: ${match[4]}`);
      errors += 1;
    } else if (line.trim() !== "") {
      console.error(line);
      if (/error TS/.test(line)) errors += 1;
    }
  }
  console.log(`${checked} examples type-checked against dist/, ${examples.length - checked} skipped, ${errors} errors`);
  if (result.status !== 0 || errors > 0) process.exit(1);
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) main();
