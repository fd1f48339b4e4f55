/**
 * Type-checks every TypeScript example the package documents, against the BUILT package:
 *
 * - ```ts / ```typescript blocks in `@example` (any TSDoc comment) under `src/`,
 * - ```ts / ```typescript blocks in `docs/*.md` and `README.md`.
 *
 * Each block becomes one module in a fresh folder under `.tmp/` (one per run, so runs do not
 * collide). That folder sits inside the repository and has no package.json of its own, so
 * `import ... from "onboarding-lifecycle"` (and every subpath) resolves through the package's own
 * `exports` map to `dist/` (a package self-reference), exactly as it would for a user; drivers
 * (`pg`, `mysql2`, ...) and `vitest` resolve from the repo's node_modules. The TypeScript
 * compiler API then checks them, and every error is reported as `file:line` of the example.
 *
 * Markdown (docs/*.md, README.md): every block is a module on its own and must compile as
 * printed, under the repository's own compiler options (tsconfig.json: strict,
 * `exactOptionalPropertyTypes`, `noUncheckedIndexedAccess`, `verbatimModuleSyntax`, ...; only
 * `noUnusedLocals` is off, since a fragment shows a value without using it). A block that is a
 * fragment names what it assumes in an HTML comment on the line before the fence (invisible on
 * the rendered page):
 *
 *     <!-- check: prelude=engine,actor,draft -->   the block may use these names undeclared
 *     <!-- check: skip <reason> -->                 the block is not checked (keep these rare)
 *
 * Prelude names are the keys of MARKDOWN_PRELUDE below; each is declared (`declare const`) in
 * that block's module only. An unknown directive or name, a prelude name the block does not use,
 * or a skip without a reason is itself an error.
 *
 * TSDoc examples (src/): they appear on the API page of the symbol they illustrate, so they may
 * use the package's exports without importing them and a few names from PRELUDE (globals of
 * their own program); `// @check-skip: <why>` in the code skips one.
 *
 * Usage: `npm run build && tsx scripts/check-examples.ts [--docs-only] [--keep]` (exit 1 on any
 * error; `--docs-only` checks only Markdown, `--keep` keeps the generated folder). The test
 * `test/docs/examples.test.ts` runs the Markdown check as part of the test suite.
 */
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

const root = fileURLToPath(new URL("..", import.meta.url));

/** The package's entry points, in the order an un-imported name is looked up. */
const ENTRIES = [
  "onboarding-lifecycle",
  "onboarding-lifecycle/http",
  "onboarding-lifecycle/client",
  "onboarding-lifecycle/testing",
  "onboarding-lifecycle/adapters/memory",
  "onboarding-lifecycle/adapters/sqlite",
  "onboarding-lifecycle/adapters/postgres",
  "onboarding-lifecycle/adapters/mysql",
  "onboarding-lifecycle/adapters/redis",
  "onboarding-lifecycle/runners/pg-boss",
  "onboarding-lifecycle/runners/bullmq",
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
  const program = ts.createProgram(present, {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    skipLibCheck: true,
    noEmit: true,
  });
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
      const local = part
        .trim()
        .replace(/^type\s+/, "")
        .split(/\s+as\s+/)
        .pop()
        ?.trim();
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
  const imports = [...byEntry.entries()].map(
    ([entry, names]) => `import { ${[...names].sort().join(", ")} } from "${entry}";`,
  );
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
  [
    "src/adapters/postgres/",
    {
      pool: 'import("pg").Pool',
      client: 'import("pg").PoolClient',
      store: 'import("onboarding-lifecycle/adapters/postgres").PostgresStore',
    },
  ],
  [
    "src/adapters/mysql/",
    {
      pool: 'import("mysql2/promise").Pool',
      connection: 'import("mysql2/promise").Connection',
      store: 'import("onboarding-lifecycle/adapters/mysql").MySqlStore',
    },
  ],
  [
    "src/adapters/sqlite/",
    {
      db: 'import("better-sqlite3").Database',
      fs: 'typeof import("node:fs/promises")',
      store: 'import("onboarding-lifecycle/adapters/sqlite").SqliteStore',
    },
  ],
  [
    "src/adapters/redis/",
    {
      client: 'import("ioredis").Redis',
    },
  ],
];

/**
 * The names a Markdown block may assume, by `<!-- check: prelude=... -->`. Each is something a
 * reader of that guide obviously has at hand at that point (the engine set up in Getting
 * started, the current actor, the draft on screen) or a stand-in for the reader's own code.
 */
export const MARKDOWN_PRELUDE: Readonly<Record<string, string>> = {
  engine: 'import("onboarding-lifecycle").OnboardingEngine',
  store: 'import("onboarding-lifecycle").DraftStore',
  actor: 'import("onboarding-lifecycle").Actor',
  draft: 'import("onboarding-lifecycle").OnboardingDraft',
  ws: "string",
  workspaceId: "string",
  draftId: "string",
  runId: "string",
  now: "string",
  policy: 'import("onboarding-lifecycle").ReadinessPolicy',
  request: "Request",
  log: "{ info(...args: unknown[]): void; warn(...args: unknown[]): void; error(...args: unknown[]): void }",
  render: "(...args: unknown[]) => void",
  notify: "(message: string) => void",
  showNotice: "(message: string) => void",
  showBlockers: '(blockers: readonly import("onboarding-lifecycle").Blocker[]) => void',
  reload: "() => void",
  refresh: "() => void",
  showActivateButton: "() => void",
  t: "(key: string) => string",
  router: "{ push(path: string): void }",
  user: '{ id: string; role: "owner" | "operator" | "viewer" }',
  command: 'import("onboarding-lifecycle").CommandInput',
};

const SKIP = /\/\/\s*@check-skip\b:?\s*(.*)$/m;
const TSDOC_SKIP = /<!--\s*@check-skip\b:?\s*(.*?)\s*-->\s*$/;
const DIRECTIVE = /^\s*<!--\s*check:\s*(.*?)\s*-->\s*$/;
const FENCE_OPEN = /^(\s*)```(ts|typescript)\s*$/;

/** One extracted example. */
export interface Example {
  /** Where it comes from, `path:line` (the line of the opening fence). */
  readonly origin: string;
  /** The code. */
  readonly code: string;
  /** Why it is not checked, or `null`. */
  readonly skip: string | null;
  /** A TSDoc example (may use the package's exports without importing them). */
  readonly tsdoc: boolean;
  /** Markdown only: the names of MARKDOWN_PRELUDE the block may use undeclared. */
  readonly prelude: readonly string[];
  /** Problems with the block's `<!-- check: -->` directive, reported like type errors. */
  readonly problems: readonly Problem[];
}

/** One failure: where (`path:line`) and what. */
export interface Problem {
  /** `path:line` in the documentation (or the generated file, for errors outside any block). */
  readonly at: string;
  /** The message (a TypeScript diagnostic or a directive problem). */
  readonly message: string;
}

/** What a check found. */
export interface CheckResult {
  /** How many blocks were compiled. */
  readonly checked: number;
  /** The skipped blocks and why. */
  readonly skipped: readonly { readonly at: string; readonly reason: string }[];
  /** Every error, in file order. */
  readonly problems: readonly Problem[];
}

function walk(dir: string, accept: (file: string) => boolean, out: string[] = []): string[] {
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, accept, out);
    else if (accept(path)) out.push(path);
  }
  return out;
}

/** Reads the `<!-- check: ... -->` directive on the last non-blank line before line `fence`. */
function directiveBefore(
  lines: readonly string[],
  fence: number,
  at: (line: number) => string,
): {
  skip: string | null;
  prelude: string[];
  problems: Problem[];
} {
  let index = fence - 1;
  while (index >= 0 && (lines[index] ?? "").trim() === "") index -= 1;
  const match = index >= 0 ? DIRECTIVE.exec(lines[index] ?? "") : null;
  const result = { skip: null as string | null, prelude: [] as string[], problems: [] as Problem[] };
  if (match === null) {
    if (index >= 0 && /<!--\s*@?check/.test(lines[index] ?? "")) {
      result.problems.push({
        at: at(index),
        message: "malformed directive: use <!-- check: prelude=a,b --> or <!-- check: skip <reason> -->",
      });
    }
    return result;
  }
  const text = match[1] ?? "";
  const skip = /^skip\b\s*(.*)$/.exec(text);
  const prelude = /^prelude=([\w$,\s]*)$/.exec(text);
  if (skip !== null) {
    result.skip = skip[1] ?? "";
    if (result.skip === "")
      result.problems.push({ at: at(index), message: "a skip needs a reason: <!-- check: skip <reason> -->" });
  } else if (prelude !== null) {
    for (const name of (prelude[1] ?? "")
      .split(",")
      .map((part) => part.trim())
      .filter(Boolean)) {
      if (MARKDOWN_PRELUDE[name] === undefined) {
        result.problems.push({
          at: at(index),
          message: `unknown prelude name "${name}" (known: ${Object.keys(MARKDOWN_PRELUDE).join(", ")})`,
        });
      } else result.prelude.push(name);
    }
  } else {
    result.problems.push({ at: at(index), message: `unknown directive "${text}": use prelude=a,b or skip <reason>` });
  }
  return result;
}

/**
 * The ```ts blocks of Markdown text (fences at any indentation). `directives` reads the
 * `<!-- check: -->` comments of guides; TSDoc bodies use `// @check-skip` instead.
 */
export function markdownExamples(text: string, file: string, directives = true): Example[] {
  const lines = text.split("\n");
  const examples: Example[] = [];
  const at = (line: number): string => `${relative(root, file)}:${line + 1}`;
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
    if (directives) {
      const directive = directiveBefore(lines, i, at);
      const problems = [...directive.problems];
      for (const name of directive.prelude) {
        if (!new RegExp(`(?<![\\w$.])${name.replace(/\$/g, "\\$")}(?![\\w$])`).test(code)) {
          problems.push({ at: at(i), message: `prelude name "${name}" is not used by the block` });
        }
      }
      examples.push({ origin: at(i), code, skip: directive.skip, tsdoc: false, prelude: directive.prelude, problems });
    } else {
      const mdSkip = i > 0 ? TSDOC_SKIP.exec(lines[i - 1] ?? "") : null;
      const inlineSkip = SKIP.exec(code);
      const skip = mdSkip !== null ? mdSkip[1] || "skipped" : inlineSkip !== null ? inlineSkip[1] || "skipped" : null;
      examples.push({ origin: at(i), code, skip, tsdoc: true, prelude: [], problems: [] });
    }
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
    for (const example of markdownExamples(body, file, false)) {
      const offset = Number(example.origin.slice(example.origin.lastIndexOf(":") + 1)) - 1;
      examples.push({ ...example, origin: `${relative(root, file)}:${startLine + offset}` });
    }
  }
  return examples;
}

/** The Markdown files whose blocks are checked: docs/**\/*.md and README.md. */
export function markdownFiles(): string[] {
  const docs = existsSync(join(root, "docs")) ? walk(join(root, "docs"), (f) => f.endsWith(".md")) : [];
  return [...docs, join(root, "README.md")].filter((file) => existsSync(file));
}

/** Options of {@link checkExamples}. */
export interface CheckOptions {
  /** Also check the TSDoc examples of src/ (default `true`). */
  readonly tsdoc?: boolean;
  /** The Markdown files to check (default {@link markdownFiles}). */
  readonly markdown?: readonly string[];
  /**
   * Keep the generated folder (its path is printed): `true` always, `false` never; by default
   * only when something failed, to look at the generated modules.
   */
  readonly keep?: boolean;
}

/** The repository's compiler options (tsconfig.json), for the generated modules of guides. */
function repositoryOptions(dir: string): ts.CompilerOptions {
  const config = ts.readConfigFile(join(root, "tsconfig.json"), (path) => ts.sys.readFile(path));
  if (config.error !== undefined) throw new Error(ts.flattenDiagnosticMessageText(config.error.messageText, "\n"));
  const parsed = ts.parseJsonConfigFileContent({ ...config.config, include: [] }, ts.sys, dir);
  return {
    ...parsed.options,
    noEmit: true,
    declaration: false,
    sourceMap: false,
    // A fragment shows a value without using it; everything else is as strict as the repo.
    noUnusedLocals: false,
    noUnusedParameters: false,
    allowUnreachableCode: true,
  };
}

/** The options TSDoc examples were always checked with. */
const TSDOC_OPTIONS: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES2022,
  lib: ["lib.es2022.d.ts"],
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  types: ["node"],
  strict: true,
  exactOptionalPropertyTypes: true,
  noUncheckedIndexedAccess: true,
  skipLibCheck: true,
  noEmit: true,
  allowUnreachableCode: true,
};

/** Compiles files with a shared cache of unchanged source files (lib and dist/ are parsed once). */
function compile(
  files: readonly string[],
  options: ts.CompilerOptions,
  cache: Map<string, ts.SourceFile>,
): readonly ts.Diagnostic[] {
  const host = ts.createCompilerHost(options);
  const read = host.getSourceFile.bind(host);
  host.getSourceFile = (fileName, languageVersion, onError, shouldCreate) => {
    const cached = cache.get(fileName);
    if (cached !== undefined) return cached;
    const source = read(fileName, languageVersion, onError, shouldCreate);
    if (source !== undefined && !fileName.includes("/.tmp/")) cache.set(fileName, source);
    return source;
  };
  const program = ts.createProgram({ rootNames: files, options, host });
  return ts.getPreEmitDiagnostics(program);
}

/**
 * Extracts and type-checks the examples; never exits the process (the CLI and the test share it).
 *
 * @throws Error when dist/ is missing (run `npm run build` first).
 */
export function checkExamples(options: CheckOptions = {}): CheckResult {
  if (!existsSync(join(root, builtTypesOf(".")))) {
    throw new Error("dist/ is missing: run `npm run build` first (examples are checked against the built package).");
  }
  const markdown: Example[] = [];
  for (const file of options.markdown ?? markdownFiles())
    markdown.push(...markdownExamples(readFileSync(file, "utf8"), file));
  const tsdoc: Example[] = [];
  if (options.tsdoc !== false) {
    for (const file of walk(join(root, "src"), (f) => f.endsWith(".ts") && !f.endsWith(".test.ts"))) {
      tsdoc.push(...tsdocExamples(readFileSync(file, "utf8"), file));
    }
  }
  mkdirSync(join(root, ".tmp"), { recursive: true });
  const outDir = mkdtempSync(join(root, ".tmp", "examples-"));
  const problems: Problem[] = markdown.flatMap((example) => example.problems);
  const skipped: { at: string; reason: string }[] = [];
  const written = new Map<string, Example>();
  const write = (dir: string, example: Example, index: number, code: string): string | null => {
    if (example.skip !== null) {
      skipped.push({ at: example.origin, reason: example.skip });
      return null;
    }
    const path = join(dir, `example-${String(index).padStart(3, "0")}.ts`);
    // Line 1 names the origin and carries any added declarations, so line N of the block is
    // line N + 1 of the file.
    const [head = "", ...rest] = code.split("\n");
    const body = code === example.code ? [`// ${example.origin}`, code] : [`${head} // ${example.origin}`, ...rest];
    writeFileSync(path, `${body.join("\n")}\nexport {};\n`);
    written.set(path, example);
    return path;
  };

  const docsDir = join(outDir, "docs");
  mkdirSync(docsDir);
  const docsFiles = markdown.flatMap((example, index) => {
    const declared = example.prelude
      .map((name) => `declare const ${name}: ${MARKDOWN_PRELUDE[name] ?? "never"};`)
      .join(" ");
    const path = write(docsDir, example, index, declared === "" ? example.code : `${declared}\n${example.code}`);
    return path === null ? [] : [path];
  });
  const cache = new Map<string, ts.SourceFile>();
  const diagnostics = [...compile(docsFiles, repositoryOptions(docsDir), cache)];

  if (tsdoc.length > 0) {
    const tsdocDir = join(outDir, "tsdoc");
    mkdirSync(tsdocDir);
    writeFileSync(join(tsdocDir, "prelude.d.ts"), PRELUDE);
    const exported = exportedNames();
    const tsdocFiles = tsdoc.flatMap((example, index) => {
      const path = write(tsdocDir, example, index, withImplicitImports(example.code, exported, example.origin));
      return path === null ? [] : [path];
    });
    diagnostics.push(...compile([join(tsdocDir, "prelude.d.ts"), ...tsdocFiles], TSDOC_OPTIONS, cache));
  }

  for (const diagnostic of diagnostics) {
    const message = `TS${diagnostic.code}: ${ts.flattenDiagnosticMessageText(diagnostic.messageText, "\n")}`;
    const file = diagnostic.file;
    const example = file === undefined ? undefined : written.get(file.fileName);
    if (file === undefined || example === undefined || diagnostic.start === undefined) {
      problems.push({ at: file === undefined ? "(global)" : relative(root, file.fileName), message });
      continue;
    }
    const line = file.getLineAndCharacterOfPosition(diagnostic.start).line; // 0 is the origin line
    const [path, start] = example.origin.split(/:(?=\d+$)/);
    problems.push({ at: `${path}:${Number(start) + Math.max(line, 1)}`, message });
  }
  if (options.keep ?? problems.length > 0) console.log(`generated modules kept in ${relative(root, outDir)}`);
  else rmSync(outDir, { recursive: true, force: true });
  return { checked: written.size, skipped, problems };
}

function main(): void {
  const docsOnly = process.argv.includes("--docs-only");
  let result: CheckResult;
  try {
    result = checkExamples({ tsdoc: !docsOnly, ...(process.argv.includes("--keep") ? { keep: true } : {}) });
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    process.exit(2);
  }
  for (const skip of result.skipped) console.log(`skip ${skip.at}: ${skip.reason}`);
  for (const problem of result.problems) console.error(`${problem.at}: ${problem.message}`);
  console.log(
    `${result.checked} examples type-checked against dist/, ${result.skipped.length} skipped, ${result.problems.length} errors`,
  );
  if (result.problems.length > 0) process.exit(1);
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) main();
