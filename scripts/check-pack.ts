/**
 * Checks what `npm publish` would ship, from `npm pack --dry-run --json`:
 * - only dist/**, README.md, LICENSE, CHANGELOG.md and package.json;
 * - no tests, fixtures, env files, keys or other secrets;
 * - every entry point of the exports map is in the tarball;
 * - every source map is self-contained: each of its `sources` is either shipped or embedded in
 *   `sourcesContent` (a map pointing at a missing ../src file is useless to debuggers and makes
 *   bundlers such as Vite/webpack's source-map-loader warn);
 * then prints the file list and the tarball size.
 *
 * Run after the build: `npx tsup && tsx scripts/check-pack.ts`. Exits 1 on any problem.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
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

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const problems: string[] = [];
const problem = (message: string): void => {
  problems.push(message);
};

if (!existsSync(join(root, "dist"))) {
  console.error("check-pack: dist/ is missing; run the build (npx tsup) first.");
  process.exit(1);
}

const output = execFileSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], {
  cwd: root,
  encoding: "utf8",
  stdio: ["ignore", "pipe", "pipe"],
  maxBuffer: 64 * 1024 * 1024,
});
// npm prints the JSON array last; anything before it would be lifecycle-script noise.
const pack = (JSON.parse(output.slice(output.indexOf("["))) as PackResult[])[0];
if (pack === undefined) throw new Error("npm pack --dry-run --json printed no result");
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
  [/\b(postgres(ql)?|mysql|redis|mongodb(\+srv)?):\/\/[^\s:@/"'`]+:[^\s@/"'`]+@(?!localhost|127\.0\.0\.1|\[::1\])/, "connection string with a password"],
];
for (const path of paths) {
  if (!/\.(c?js|mjs|d\.c?ts|d\.mts|json|md|map)$/.test(path) && path !== "LICENSE") continue;
  const full = join(root, path);
  if (!existsSync(full)) continue;
  const text = readFileSync(full, "utf8");
  for (const [pattern, what] of SECRET_PATTERNS) if (pattern.test(text)) problem(`${what} found in ${path}`);
}

// 4. Every file the exports map (and main/module/types/typesVersions) names is shipped.
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as {
  main?: string;
  module?: string;
  types?: string;
  exports?: unknown;
  typesVersions?: Record<string, Record<string, string[]>>;
};
const targets = new Set<string>();
const collect = (value: unknown): void => {
  if (typeof value === "string") targets.add(posix.normalize(value));
  else if (value !== null && typeof value === "object") for (const inner of Object.values(value)) collect(inner);
};
collect(pkg.exports);
for (const field of [pkg.main, pkg.module, pkg.types]) if (field !== undefined) targets.add(posix.normalize(field));
for (const map of Object.values(pkg.typesVersions ?? {})) for (const list of Object.values(map)) list.forEach((t) => targets.add(posix.normalize(t)));
for (const target of targets) {
  if (target.includes("*")) continue;
  if (!shipped.has(target)) problem(`the package points at ${target}, which is not in the tarball`);
}

// 5. Source maps must be self-contained or point at shipped files; JS must point at shipped maps.
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
console.log(`${pack.name}@${pack.version}: ${pack.entryCount} files`);
for (const file of [...pack.files].sort((a, b) => a.path.localeCompare(b.path))) {
  console.log(`  ${kb(file.size).padStart(10)}  ${file.path}`);
}
const mapBytes = pack.files.filter((file) => file.path.endsWith(".map")).reduce((sum, file) => sum + file.size, 0);
console.log(`tarball ${pack.filename}: ${kb(pack.size)} packed, ${kb(pack.unpackedSize)} unpacked (${maps} source maps, ${kb(mapBytes)} of it)`);

if (problems.length > 0) {
  console.error(`\ncheck-pack: ${problems.length} problem(s):`);
  for (const message of problems) console.error(`  - ${message}`);
  process.exit(1);
}
console.log("check-pack: ok");
