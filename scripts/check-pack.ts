/**
 * Checks what `npm publish` would ship, from `npm pack --dry-run --json`:
 * - packing builds first: from a tree without dist/, `npm pack` runs the `prepack` hook, the
 *   hook runs the `build` script, and the file list it reports holds every target of the
 *   exports map (without the hook a pack of an unbuilt tree silently ships 4 files);
 * - only dist/**, README.md, LICENSE, CHANGELOG.md and package.json;
 * - no tests, fixtures, env files, keys or other secrets;
 * - every entry point of the exports map, and every bin, is in the tarball; a bin starts with
 *   `#!/usr/bin/env node` and runs (`--version`);
 * - every source map is self-contained: each of its `sources` is either shipped or embedded in
 *   `sourcesContent` (a map pointing at a missing ../src file is useless to debuggers and makes
 *   bundlers such as Vite/webpack's source-map-loader warn);
 * then prints the file list and the tarball size.
 *
 *   npx tsx scripts/check-pack.ts               after `npm run build`: the hook check (about a
 *                                               second, a stand-in build in a temp dir) plus
 *                                               every check on this tree's dist/
 *   npx tsx scripts/check-pack.ts --from-clean  no build needed: copies the sources to a temp
 *                                               dir without dist/, lets `npm pack` build there
 *                                               through prepack (one real build, ~20 s) and
 *                                               checks that tarball
 *
 * Exits 1 on any problem.
 */
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, posix, resolve } from "node:path";
import { fileURLToPath } from "node:url";

interface PackFile {
  readonly path: string;
  readonly size: number;
}
interface PackResult {
  readonly name: string;
  readonly version: string;
  readonly filename: string;
  readonly size: number;
  readonly unpackedSize: number;
  readonly entryCount: number;
  readonly files: readonly PackFile[];
}
interface PackageJson {
  bin?: string | Record<string, string>;
  main?: string;
  module?: string;
  types?: string;
  exports?: unknown;
  typesVersions?: Record<string, Record<string, string[]>>;
  scripts?: Record<string, string>;
}

const repository = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const fromClean = process.argv.includes("--from-clean");
const problems: string[] = [];
const problem = (message: string): void => {
  problems.push(message);
};
const temporary: string[] = [];
const cleanUp = (): void => {
  for (const dir of temporary.splice(0)) rmSync(dir, { recursive: true, force: true });
};
process.on("exit", cleanUp);

/** `npm pack --dry-run --json` in `cwd`; with `scripts`, npm runs prepack (and so the build). */
function dryRunPack(cwd: string, scripts: boolean): PackResult {
  const output = execFileSync("npm", ["pack", "--dry-run", "--json", ...(scripts ? [] : ["--ignore-scripts"])], {
    cwd,
    encoding: "utf8",
    // The build's own output goes to our stderr; npm's JSON is all that stays on stdout.
    stdio: ["ignore", "pipe", scripts ? "inherit" : "pipe"],
    maxBuffer: 64 * 1024 * 1024,
  });
  // npm prints the JSON array last, starting on a line of its own; anything before it is noise
  // from lifecycle scripts that wrote to stdout.
  const start = [...output.matchAll(/^\[$/gm)].at(-1)?.index ?? output.indexOf("[");
  const pack = (JSON.parse(output.slice(start)) as PackResult[])[0];
  if (pack === undefined) throw new Error(`npm pack --dry-run --json printed no result in ${cwd}`);
  return pack;
}

/** Every file the exports map, main/module/types and typesVersions name (globs skipped). */
function exportTargets(pkg: PackageJson): Set<string> {
  const targets = new Set<string>();
  const collect = (value: unknown): void => {
    if (typeof value === "string") targets.add(posix.normalize(value));
    else if (value !== null && typeof value === "object") for (const inner of Object.values(value)) collect(inner);
  };
  collect(pkg.exports);
  for (const field of [pkg.main, pkg.module, pkg.types]) if (field !== undefined) targets.add(posix.normalize(field));
  for (const bin of typeof pkg.bin === "string" ? [pkg.bin] : Object.values(pkg.bin ?? {}))
    targets.add(posix.normalize(bin));
  for (const map of Object.values(pkg.typesVersions ?? {}))
    for (const list of Object.values(map)) list.forEach((t) => targets.add(posix.normalize(t)));
  for (const target of targets) if (target.includes("*")) targets.delete(target);
  return targets;
}

const readPackage = (dir: string): PackageJson =>
  JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as PackageJson;

/**
 * 0. Packing builds first. In a temp dir holding package.json and the docs but no dist/, the `build`
 * script is swapped for a stand-in that records it ran and writes every export target; the
 * real `prepack` stays. `npm pack --dry-run --json` must then run prepack -> build and list
 * every target: this proves the hook is wired without paying for a real build. That the real
 * build writes those targets is checked below on dist/ (or, with --from-clean, end to end).
 */
function checkPrepackBuilds(): void {
  const pkg = readPackage(repository);
  const prepack = pkg.scripts?.["prepack"];
  if (prepack === undefined) {
    problem("package.json has no prepack script: `npm pack`/`npm publish` of an unbuilt tree ships no dist/");
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), "check-pack-hook-"));
  temporary.push(dir);
  for (const file of ["README.md", "LICENSE", "CHANGELOG.md"]) cpSync(join(repository, file), join(dir, file));
  const targets = [...exportTargets(pkg)].filter((target) => target !== "package.json");
  writeFileSync(
    join(dir, "stand-in-build.mjs"),
    `import { mkdirSync, writeFileSync } from "node:fs";\n` +
      `import { dirname } from "node:path";\n` +
      `for (const file of [...${JSON.stringify(targets)}, "dist/build-ran.txt"]) {\n` +
      `  mkdirSync(dirname(file), { recursive: true });\n` +
      `  writeFileSync(file, "stand-in\\n");\n` +
      `}\n`,
  );
  writeFileSync(
    join(dir, "package.json"),
    JSON.stringify({ ...pkg, scripts: { prepack, build: "node stand-in-build.mjs" } }, null, 2),
  );
  const unbuilt = dryRunPack(dir, false).files.map((file) => file.path);
  let pack: PackResult;
  try {
    pack = dryRunPack(dir, true);
  } catch (error) {
    problem(
      `npm pack with the prepack hook (${prepack}) failed: ${error instanceof Error ? error.message : String(error)}`,
    );
    return;
  }
  const listed = new Set(pack.files.map((file) => file.path));
  if (!listed.has("dist/build-ran.txt")) {
    problem(
      `prepack (${prepack}) does not run the build script: npm pack of an unbuilt tree lists ${pack.entryCount} files`,
    );
    return;
  }
  const missing = targets.filter((target) => !listed.has(target));
  for (const target of missing) problem(`packing an unbuilt tree: ${target} is not in the file list after prepack`);
  console.log(
    `prepack: an unbuilt tree packs ${unbuilt.length} file(s) without scripts (${unbuilt.join(", ")}); ` +
      `with the hook (${prepack}) the build runs and all ${targets.length} export targets are listed`,
  );
}

/** With --from-clean: a copy of what the build needs, without dist/, in a temp dir. */
function cleanCopy(): string {
  const dir = mkdtempSync(join(tmpdir(), "check-pack-clean-"));
  temporary.push(dir);
  for (const entry of [
    "package.json",
    "tsup.config.ts",
    "tsconfig.json",
    "README.md",
    "LICENSE",
    "CHANGELOG.md",
    "src",
  ]) {
    cpSync(join(repository, entry), join(dir, entry), { recursive: true });
  }
  symlinkSync(join(repository, "node_modules"), join(dir, "node_modules"), "dir");
  if (existsSync(join(dir, "dist"))) throw new Error("the clean copy has a dist/");
  return dir;
}

checkPrepackBuilds();

const root = fromClean ? cleanCopy() : repository;
if (!fromClean && !existsSync(join(root, "dist"))) {
  for (const message of problems) console.error(`check-pack: ${message}`);
  console.error("check-pack: dist/ is missing; run the build (npm run build) first, or pass --from-clean.");
  process.exit(1);
}
const pack = dryRunPack(root, fromClean);
const paths = pack.files.map((file) => file.path).sort();
const shipped = new Set(paths);

// 1. Allow-list.
const ALLOWED = [/^dist\//, /^README\.md$/, /^LICENSE$/, /^CHANGELOG\.md$/, /^package\.json$/];
for (const path of paths) {
  if (!ALLOWED.some((pattern) => pattern.test(path))) problem(`unexpected file in the tarball: ${path}`);
}
for (const required of ["package.json", "README.md", "LICENSE", "CHANGELOG.md"]) {
  if (!shipped.has(required)) problem(`missing from the tarball: ${required}`);
}

// 2. Deny-list, even inside dist/ (a stray copy is still a leak).
const DENIED: readonly [RegExp, string][] = [
  [/(^|\/)(test|tests|__tests__|fixtures)\//, "test directory"],
  [/\.(test|spec)\.[cm]?[jt]sx?$/, "test file"],
  [/\.test-d\.ts$/, "type test"],
  [/(^|\/)\.env(\.|$)/, "env file"],
  [/\.(pem|key|p12|pfx|crt|der|jks|keystore)$/i, "key or certificate"],
  [/(^|\/)id_(rsa|dsa|ecdsa|ed25519)/, "ssh key"],
  [/(^|\/)\.(npmrc|netrc|git-credentials)$/, "credentials file"],
  [/secret/i, "file named like a secret"],
  [/\.(tgz|log|sqlite|db)$/, "archive, log or database file"],
  [/(^|\/)\.(git|changeset|github|vscode|idea)\//, "repository metadata"],
  [/(^|\/)src\//, "source directory (dist only)"],
  [/\.tsbuildinfo$/, "tsbuildinfo"],
];
for (const path of paths) {
  for (const [pattern, what] of DENIED) if (pattern.test(path)) problem(`${what} in the tarball: ${path}`);
}

// 3. Content scan of shipped text files for obvious secrets.
const SECRET_PATTERNS: readonly [RegExp, string][] = [
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----/, "private key"],
  [/\bAKIA[0-9A-Z]{16}\b/, "AWS access key id"],
  [/\bgh[pousr]_[A-Za-z0-9]{36,}\b/, "GitHub token"],
  [/\bnpm_[A-Za-z0-9]{36}\b/, "npm token"],
  [/\bxox[baprs]-[A-Za-z0-9-]{10,}\b/, "Slack token"],
  [
    /\b(postgres(ql)?|mysql|redis|mongodb(\+srv)?):\/\/[^\s:@/"'`]+:[^\s@/"'`]+@(?!localhost|127\.0\.0\.1|\[::1\])/,
    "connection string with a password",
  ],
];
for (const path of paths) {
  if (!/\.(c?js|mjs|d\.c?ts|d\.mts|json|md|map)$/.test(path) && path !== "LICENSE") continue;
  const full = join(root, path);
  if (!existsSync(full)) continue;
  const text = readFileSync(full, "utf8");
  for (const [pattern, what] of SECRET_PATTERNS) if (pattern.test(text)) problem(`${what} found in ${path}`);
}

// 4. Every file the exports map (and main/module/types/typesVersions) names is shipped.
for (const target of exportTargets(readPackage(root))) {
  if (!shipped.has(target)) problem(`the package points at ${target}, which is not in the tarball`);
}

// 5. Every bin is shipped, starts with a `#!/usr/bin/env node` line, and runs: `--version` prints
// the package's version (from the tarball's layout: the bin imports the ESM build beside it).
const manifest = readPackage(root) as PackageJson & { version?: string };
for (const [name, bin] of Object.entries(
  typeof manifest.bin === "string" ? { bin: manifest.bin } : (manifest.bin ?? {}),
)) {
  const file = posix.normalize(bin);
  if (!shipped.has(file) || !existsSync(join(root, file))) continue; // reported by 4.
  const text = readFileSync(join(root, file), "utf8");
  if (!text.startsWith("#!/usr/bin/env node\n"))
    problem(`bin ${name} (${file}) does not start with #!/usr/bin/env node`);
  try {
    const version = execFileSync(process.execPath, [join(root, file), "--version"], { encoding: "utf8" }).trim();
    if (version !== manifest.version)
      problem(`bin ${name} --version printed ${JSON.stringify(version)}, not ${manifest.version}`);
  } catch (error) {
    problem(`bin ${name} (${file}) does not run: ${error instanceof Error ? error.message : String(error)}`);
  }
}

// 6. Source maps must be self-contained or point at shipped files; JS must point at shipped maps.
let maps = 0;
for (const path of paths) {
  if (/\.(c?js|mjs)$/.test(path)) {
    const text = readFileSync(join(root, path), "utf8");
    const match = /\/\/# sourceMappingURL=(\S+)\s*$/.exec(text);
    if (match?.[1] !== undefined && !match[1].startsWith("data:")) {
      const mapPath = posix.join(posix.dirname(path), match[1]);
      if (!shipped.has(mapPath)) problem(`${path} references ${mapPath}, which is not shipped`);
    }
  }
  if (!path.endsWith(".map")) continue;
  maps += 1;
  const map = JSON.parse(readFileSync(join(root, path), "utf8")) as {
    sources?: string[];
    sourcesContent?: (string | null)[];
    sourceRoot?: string;
  };
  (map.sources ?? []).forEach((source, index) => {
    const resolved = posix.normalize(posix.join(posix.dirname(path), map.sourceRoot ?? "", source));
    const embedded = typeof map.sourcesContent?.[index] === "string";
    if (!embedded && !shipped.has(resolved)) {
      problem(`${path}: source ${source} is neither embedded (sourcesContent) nor shipped (${resolved})`);
    }
  });
}

// Report.
const kb = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KB`;
console.log(
  `${pack.name}@${pack.version}: ${pack.entryCount} files${fromClean ? " (packed from a clean copy: built by prepack)" : ""}`,
);
for (const file of [...pack.files].sort((a, b) => a.path.localeCompare(b.path))) {
  console.log(`  ${kb(file.size).padStart(10)}  ${file.path}`);
}
const mapBytes = pack.files.filter((file) => file.path.endsWith(".map")).reduce((sum, file) => sum + file.size, 0);
console.log(
  `tarball ${pack.filename}: ${kb(pack.size)} packed, ${kb(pack.unpackedSize)} unpacked (${maps} source maps, ${kb(mapBytes)} of it)`,
);

if (problems.length > 0) {
  console.error(`\ncheck-pack: ${problems.length} problem(s):`);
  for (const message of problems) console.error(`  - ${message}`);
  process.exit(1);
}
console.log("check-pack: ok");
cleanUp();
