/**
 * The layout is the architecture: each folder of `src/` says in its header what it may import
 * (vocabulary <- record <- lifecycle <- commands <- engine <- adapters / http / testing, with
 * the store port beside the engine and the outbox dispatcher on the store port only, and the
 * browser client on the error classes and types only). This test reads every import of every source file and
 * holds each folder to that rule, and keeps drivers out of everything but their own adapter.
 */
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../src", import.meta.url));

/** Package folders each folder may import (besides itself). */
const ALLOWED: Readonly<Record<string, readonly string[]>> = {
  vocabulary: [],
  record: ["vocabulary"],
  lifecycle: ["vocabulary", "record"],
  commands: ["vocabulary", "record", "lifecycle"],
  store: ["vocabulary", "record", "lifecycle"],
  engine: ["vocabulary", "record", "lifecycle", "commands", "store"],
  dispatch: ["vocabulary", "record", "store"],
  http: ["vocabulary", "record", "lifecycle", "commands", "engine"],
  // Types from these; values only from the error classes and the vocabulary (checked below).
  client: ["vocabulary", "record", "lifecycle", "commands", "http"],
  testing: ["vocabulary", "record", "lifecycle", "commands", "store", "engine"],
  "adapters/memory": ["vocabulary", "record", "lifecycle", "store"],
  "adapters/sqlite": ["vocabulary", "record", "lifecycle", "store"],
  "adapters/postgres": ["vocabulary", "record", "lifecycle", "store"],
  "adapters/mysql": ["vocabulary", "record", "lifecycle", "store"],
  "adapters/redis": ["vocabulary", "record", "lifecycle", "store"],
  "runners/shared": ["vocabulary", "record", "lifecycle", "commands", "engine", "dispatch"],
  "runners/pg-boss": ["record", "engine", "runners/shared"],
  "runners/bullmq": ["record", "store", "engine", "runners/shared"],
  ".": ["vocabulary", "record", "lifecycle", "commands", "store", "engine", "dispatch"],
  // The CLI (the package's bin) uses the package as an application would: the root entry and
  // the adapters' entries (their index.ts only, checked below). Nothing imports the CLI.
  cli: [".", "adapters/postgres", "adapters/mysql", "adapters/sqlite", "adapters/redis"],
};

/** Third-party modules each folder may import (by package name); node built-ins are free. */
const PACKAGES: Readonly<Record<string, readonly string[]>> = {
  vocabulary: [],
  record: ["zod"],
  lifecycle: ["zod"],
  commands: ["zod", "immer"],
  store: [],
  engine: ["zod"],
  dispatch: ["zod"],
  http: ["zod"],
  client: [],
  testing: ["fast-check"],
  "adapters/memory": [],
  "adapters/sqlite": ["better-sqlite3"],
  "adapters/postgres": ["pg"],
  "adapters/mysql": ["mysql2"],
  "adapters/redis": ["ioredis"],
  "runners/shared": ["zod"],
  "runners/pg-boss": ["pg-boss"],
  "runners/bullmq": ["bullmq"],
  ".": [],
  // commander, and the drivers it opens itself (dynamic `import()` only: they stay optional).
  cli: ["commander", "pg", "mysql2", "better-sqlite3", "ioredis"],
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith(".ts") ? [path] : [];
  });
}

/** The folder a source file belongs to: `engine`, `adapters/redis`, `runners/bullmq`, or `.` for the root entry. */
function folderOf(file: string): string {
  const parts = relative(root, file).split(sep);
  if (parts.length === 1) return ".";
  return parts[0] === "adapters" || parts[0] === "runners" ? `${parts[0]}/${parts[1]}` : parts[0]!;
}

/** Every module specifier a file imports or re-exports (static and dynamic). */
function importsOf(file: string): string[] {
  const text = readFileSync(file, "utf8")
    .replace(/\/\*[\s\S]*?\*\//g, "")
    .replace(/^\s*\/\/.*$/gm, "");
  const found: string[] = [];
  for (const match of text.matchAll(/(?:import|export)\s[^;]*?from\s+"([^"]+)"|import\(\s*"([^"]+)"\s*\)/g)) {
    found.push((match[1] ?? match[2])!);
  }
  return found;
}

/** Every static import or re-export of a file, and whether it is type-only (`import type`, `export type`). */
function importStatementsOf(file: string): { specifier: string; typeOnly: boolean }[] {
  const text = readFileSync(file, "utf8")
    .replace(/\/\*[\s\S]*?\*\//g, "")
    .replace(/^\s*\/\/.*$/gm, "");
  return [...text.matchAll(/(?:import|export)\s(type\s)?[^;]*?from\s+"([^"]+)"|import\(\s*"([^"]+)"\s*\)/g)].map(
    (match) => ({ specifier: (match[2] ?? match[3])!, typeOnly: match[1] !== undefined }),
  );
}

const packageName = (specifier: string): string =>
  specifier.startsWith("@") ? specifier.split("/").slice(0, 2).join("/") : specifier.split("/")[0]!;

describe("architecture: what each folder of src/ may import", () => {
  const files = sourceFiles(root);

  it("knows every folder", () => {
    const unknown = [...new Set(files.map(folderOf))].filter((folder) => !(folder in ALLOWED));
    expect(unknown).toEqual([]);
  });

  for (const file of files) {
    const folder = folderOf(file);
    it(`${relative(root, file)} imports only what ${folder === "." ? "the root entry" : `${folder}/`} may`, () => {
      const problems: string[] = [];
      for (const specifier of importsOf(file)) {
        if (specifier.startsWith("node:")) continue;
        if (specifier.startsWith(".")) {
          const target = folderOf(join(file, "..", specifier));
          if (target !== folder && !(ALLOWED[folder] ?? []).includes(target))
            problems.push(`${specifier} (${target}/)`);
          continue;
        }
        if (!(PACKAGES[folder] ?? []).includes(packageName(specifier))) problems.push(`${specifier} (package)`);
      }
      expect(problems).toEqual([]);
    });
  }

  it("has no import cycle between modules (type-only imports included)", () => {
    const graph = new Map<string, string[]>();
    for (const file of files) {
      graph.set(
        file,
        importsOf(file)
          .filter((specifier) => specifier.startsWith("."))
          .map((specifier) => join(file, "..", specifier.replace(/\.js$/, ".ts"))),
      );
    }
    const cycles: string[] = [];
    const state = new Map<string, "open" | "done">();
    const visit = (file: string, path: string[]): void => {
      if (state.get(file) === "done") return;
      if (state.get(file) === "open") {
        cycles.push([...path.slice(path.indexOf(file)), file].map((f) => relative(root, f)).join(" -> "));
        return;
      }
      state.set(file, "open");
      for (const next of graph.get(file) ?? []) visit(next, [...path, file]);
      state.set(file, "done");
    };
    for (const file of files) visit(file, []);
    expect(cycles).toEqual([]);
  });

  // The client is bundled into browser pages: a value import of anything but the error classes
  // and the vocabulary would pull zod, immer or the engine into them (types cost nothing).
  it("client/ imports values only from the error classes and the vocabulary, and no node built-in", () => {
    const valueModules = new Set(
      ["record/errors.ts", "record/error-code.ts", "http/errors.ts"].map((file) => join(root, file)),
    );
    const problems: string[] = [];
    for (const file of files.filter((f) => folderOf(f) === "client")) {
      for (const { specifier, typeOnly } of importStatementsOf(file)) {
        const target = join(file, "..", specifier.replace(/\.js$/, ".ts"));
        const allowed =
          typeOnly || folderOf(target) === "client" || folderOf(target) === "vocabulary" || valueModules.has(target);
        if (!allowed || specifier.startsWith("node:")) problems.push(`${relative(root, file)}: ${specifier}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it("the CLI uses only the package's public entries, and no library code imports the CLI", () => {
    const problems: string[] = [];
    for (const file of files) {
      const folder = folderOf(file);
      for (const specifier of importsOf(file).filter((s) => s.startsWith("."))) {
        const target = join(file, "..", specifier);
        const targetFolder = folderOf(target);
        if (folder !== "cli" && targetFolder === "cli")
          problems.push(`${relative(root, file)} imports the CLI (${specifier})`);
        if (folder === "cli" && targetFolder !== "cli" && !/(^|\/)index\.js$/.test(relative(root, target))) {
          problems.push(`${relative(root, file)} imports ${specifier}, not a public entry`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it("the CLI loads drivers only with a dynamic import()", () => {
    const problems: string[] = [];
    for (const file of files.filter((f) => folderOf(f) === "cli")) {
      const text = readFileSync(file, "utf8");
      for (const match of text.matchAll(/^import\s+(?!type\b)[^;]*?from\s+"([^"]+)"/gm)) {
        const name = packageName(match[1]!);
        if (name !== "commander" && !match[1]!.startsWith(".") && !match[1]!.startsWith("node:")) {
          problems.push(`${relative(root, file)} imports ${match[1]!} at the top level`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it("the pure core never imports a driver, node built-ins or the engine", () => {
    for (const file of files.filter((f) => ["vocabulary", "record", "lifecycle", "commands"].includes(folderOf(f)))) {
      for (const specifier of importsOf(file)) {
        expect(specifier.startsWith("node:"), `${relative(root, file)} imports ${specifier}`).toBe(false);
      }
    }
  });
});
