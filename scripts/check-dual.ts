/**
 * Dual-package check, run after the build: every subpath of the exports map loads both as ESM
 * (`import()`) and as CommonJS (`require()`) from a consumer's point of view, the two copies
 * export the same names, and errors are recognised across the copies (the "dual-package
 * hazard": an app that `require`s the package while a library `import`s it gets two copies of
 * every class).
 *
 * How: the files `npm pack` would ship are copied into
 * `<tmp>/node_modules/onboarding-lifecycle`, so resolution really goes through the exports map
 * (no access to src/, tests or anything unpublished). Only the package's `dependencies` are
 * linked next to it; optional peer dependencies (database drivers, fast-check) are NOT, except
 * the ones a subpath documents as required (`testing` needs fast-check). That also proves the
 * adapters never load their driver at import time. `--with-peers` links every peer.
 *
 * A probe script inside the temp dir does the imports, so Node resolves the bare specifiers
 * exactly as an app would. Exits 1 on any problem.
 *
 *   npx tsup && tsx scripts/check-dual.ts
 */
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const withPeers = process.argv.includes("--with-peers");

interface PackageJson {
  name: string;
  exports: Record<string, unknown>;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as PackageJson;

/** Names each subpath must export (a floor: the ESM and CJS name sets must also be equal). */
const EXPECTED: Record<string, readonly string[]> = {
  ".": [
    "createOnboardingEngine",
    "evaluateReadiness",
    "deriveLifecycle",
    "resolveStage",
    "describeDraft",
    "parseDraft",
    "encodeDraft",
    "openTenantOf",
    "LifecycleState",
    "Checkpoint",
    "ErrorCode",
    "OnboardingError",
    "isOnboardingError",
    "ValidationError",
    "VersionConflictError",
    "StoreError",
  ],
  "./adapters/memory": ["createMemoryStore"],
  "./adapters/sqlite": ["createSqliteStore", "sqliteSchemaSql"],
  "./adapters/postgres": ["createPostgresStore", "postgresSchemaSql"],
  "./adapters/mysql": ["createMySqlStore", "mysqlSchemaSql"],
  "./adapters/redis": ["createRedisStore"],
  "./http": ["formatETag", "parseIfMatch", "toProblem", "problemResponse"],
  "./client": ["createOnboardingClient", "NetworkError", "ResponseError", "VersionConflictError", "OnboardingError"],
  "./testing": ["describeStoreConformance", "assertDraftInvariants"],
  "./runners/pg-boss": ["createPgBossRelay", "createPgBossWorker", "runJob", "runJobId"],
  "./runners/bullmq": ["createBullMqRelay", "createBullMqWorker", "createBullMqProcessor", "runJob", "runJobId"],
};
/** Optional peers a subpath needs at import time (documented in its README/TypeDoc). */
const PEERS_AT_IMPORT: Record<string, readonly string[]> = { "./testing": ["fast-check"] };

if (!existsSync(join(root, "dist"))) {
  console.error("check-dual: dist/ is missing; run the build (npx tsup) first.");
  process.exit(1);
}

// 1. Lay out a consumer: <tmp>/node_modules/onboarding-lifecycle with exactly the shipped files.
const consumer = mkdtempSync(join(tmpdir(), "onboarding-lifecycle-dual-"));
const installed = join(consumer, "node_modules", pkg.name);
const packed = JSON.parse(
  execFileSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], {
    cwd: root,
    encoding: "utf8",
    maxBuffer: 64 << 20,
  }),
) as { files: { path: string }[] }[];
for (const { path } of packed[0]?.files ?? []) {
  mkdirSync(dirname(join(installed, path)), { recursive: true });
  cpSync(join(root, path), join(installed, path));
}
const subpaths = Object.keys(pkg.exports).filter((key) => key !== "./package.json");
const peersToLink = new Set<string>(
  withPeers ? Object.keys(pkg.peerDependencies ?? {}) : subpaths.flatMap((s) => PEERS_AT_IMPORT[s] ?? []),
);
for (const dependency of [...Object.keys(pkg.dependencies ?? {}), ...peersToLink]) {
  const target = join(consumer, "node_modules", dependency);
  mkdirSync(dirname(target), { recursive: true });
  symlinkSync(join(root, "node_modules", dependency), target, "dir");
}
writeFileSync(
  join(consumer, "package.json"),
  JSON.stringify({ name: "dual-check-consumer", private: true, type: "module" }),
);

// 2. The probe: runs inside the consumer, prints a JSON report.
const probe = `
import { createRequire } from "node:module";
const require = createRequire(import.meta.url);
const NAME = ${JSON.stringify(pkg.name)};
const EXPECTED = ${JSON.stringify(EXPECTED)};
const SUBPATHS = ${JSON.stringify(subpaths)};
const problems = [];
const loaded = {};
for (const subpath of SUBPATHS) {
  const spec = subpath === "." ? NAME : NAME + subpath.slice(1);
  let esm, cjs;
  try { esm = await import(spec); } catch (e) { problems.push(spec + ": import() failed: " + (e && e.message)); }
  try { cjs = require(spec); } catch (e) { problems.push(spec + ": require() failed: " + (e && e.message)); }
  if (!esm || !cjs) continue;
  loaded[subpath] = { esm, cjs };
  const esmNames = Object.keys(esm).filter((n) => n !== "default" && n !== "module.exports").sort();
  const cjsNames = Object.keys(cjs).filter((n) => n !== "__esModule" && n !== "default").sort();
  if (esmNames.length === 0) problems.push(spec + ": no named exports");
  const onlyEsm = esmNames.filter((n) => !cjsNames.includes(n));
  const onlyCjs = cjsNames.filter((n) => !esmNames.includes(n));
  if (onlyEsm.length) problems.push(spec + ": only in ESM: " + onlyEsm.join(", "));
  if (onlyCjs.length) problems.push(spec + ": only in CJS: " + onlyCjs.join(", "));
  for (const name of EXPECTED[subpath] ?? []) {
    if (esm[name] === undefined) problems.push(spec + ": ESM lacks " + name);
    if (cjs[name] === undefined) problems.push(spec + ": CJS lacks " + name);
  }
  console.error("  " + spec.padEnd(44) + " ESM " + String(esmNames.length).padStart(3) + " names, CJS " + String(cjsNames.length).padStart(3) + " names");
}

// Errors across copies, thrown for real by each copy's engine.
const root = loaded["."];
const memory = loaded["./adapters/memory"];
if (root && memory) {
  const { esm, cjs } = root;
  if (esm.OnboardingError === cjs.OnboardingError) problems.push("ESM and CJS share one OnboardingError: the check would prove nothing");
  const thrownBy = async (copy, store) => {
    const engine = copy.createOnboardingEngine({ store: store.createMemoryStore(), authorize: () => true });
    try { await engine.execute("ws", "missing", { type: "nope" }, { actor: { id: "u" }, expectedVersion: 1 }); }
    catch (error) { return error; }
    throw new Error("expected a ValidationError");
  };
  const fromCjs = await thrownBy(cjs, memory.cjs);
  const fromEsm = await thrownBy(esm, memory.esm);
  const cases = [
    ["CJS error instanceof ESM ValidationError", fromCjs instanceof esm.ValidationError],
    ["CJS error instanceof ESM OnboardingError", fromCjs instanceof esm.OnboardingError],
    ["ESM error instanceof CJS ValidationError", fromEsm instanceof cjs.ValidationError],
    ["ESM error instanceof CJS OnboardingError", fromEsm instanceof cjs.OnboardingError],
    ["ESM isOnboardingError(CJS error)", esm.isOnboardingError(fromCjs)],
    ["CJS isOnboardingError(ESM error)", cjs.isOnboardingError(fromEsm)],
    ["CJS error is an Error", fromCjs instanceof Error],
    ["CJS error NOT instanceof ESM VersionConflictError", !(fromCjs instanceof esm.VersionConflictError)],
    ["ESM error NOT instanceof CJS VersionConflictError", !(fromEsm instanceof cjs.VersionConflictError)],
    ["plain Error NOT instanceof ESM OnboardingError", !(new Error("x") instanceof esm.OnboardingError)],
    ["same code on both", fromCjs.code === "validation_failed" && fromEsm.code === "validation_failed"],
  ];
  // Sealed drafts are recognised by every copy (one registry shared through globalThis).
  const sealedBy = async (copy, store) => {
    const engine = copy.createOnboardingEngine({ store: store.createMemoryStore(), authorize: () => true });
    return (await engine.create("ws", {}, { actor: { id: "u" } })).draft;
  };
  const cjsDraft = await sealedBy(cjs, memory.cjs);
  const esmDraft = await sealedBy(esm, memory.esm);
  cases.push(
    ["ESM isSealedDraft(CJS engine's draft)", esm.isSealedDraft(cjsDraft)],
    ["CJS isSealedDraft(ESM engine's draft)", cjs.isSealedDraft(esmDraft)],
    ["CJS memory store keeps an ESM-sealed draft without a copy", (await (async () => {
      const store = memory.cjs.createMemoryStore();
      const engine = esm.createOnboardingEngine({ store, authorize: () => true });
      const created = (await engine.create("ws", {}, { actor: { id: "u" } })).draft;
      return (await store.load("ws", created.id))?.document === created;
    })())],
    ["a spread copy is sealed for neither", !esm.isSealedDraft({ ...esmDraft }) && !cjs.isSealedDraft({ ...esmDraft })],
  );
  for (const [label, ok] of cases) {
    console.error("  " + (ok ? "ok  " : "FAIL") + " " + label);
    if (!ok) problems.push(label);
  }
} else {
  problems.push("cannot check errors across copies: the root or memory entry did not load");
}
// The client rebuilds problems into the package's classes: recognised by the other copies too.
const client = loaded["./client"];
if (client && root) {
  const problem = { type: "t", title: "t", status: 409, detail: "not ready", code: "not_ready", draftId: "d1", blockers: [], overridable: false };
  const refusedBy = async (copy) => {
    const fetch = async () => new Response(JSON.stringify(problem), { status: 409 });
    try { await copy.createOnboardingClient({ baseUrl: "http://x", workspaceId: "w", fetch }).get("d1"); }
    catch (error) { return error; }
    throw new Error("expected a NotReadyError");
  };
  const fromEsm = await refusedBy(client.esm);
  const fromCjs = await refusedBy(client.cjs);
  for (const [label, ok] of [
    ["ESM client's error instanceof CJS root NotReadyError", fromEsm instanceof root.cjs.NotReadyError],
    ["CJS client's error instanceof ESM root OnboardingError", fromCjs instanceof root.esm.OnboardingError],
    ["ESM client's error NOT instanceof CJS root VersionConflictError", !(fromEsm instanceof root.cjs.VersionConflictError)],
  ]) {
    console.error("  " + (ok ? "ok  " : "FAIL") + " " + label);
    if (!ok) problems.push(label);
  }
} else {
  problems.push("cannot check the client's errors across copies: the client or root entry did not load");
}
const json = require(NAME + "/package.json");
if (json.name !== NAME) problems.push("package.json subpath does not resolve to the package's manifest");
console.log(JSON.stringify({ problems }));
`;
writeFileSync(join(consumer, "probe.mjs"), probe);

console.log(`check-dual: consumer in ${consumer} (peers linked: ${[...peersToLink].join(", ") || "none"})`);
const run = spawnSync(process.execPath, ["probe.mjs"], { cwd: consumer, encoding: "utf8", timeout: 60_000 });
process.stderr.write(run.stderr);
let problems: string[];
try {
  problems = (JSON.parse(run.stdout.trim().split("\n").pop() ?? "") as { problems: string[] }).problems;
} catch {
  problems = [`the probe failed (exit ${run.status}): ${run.stdout}`];
}
rmSync(consumer, { recursive: true, force: true });
if (problems.length > 0) {
  console.error(`\ncheck-dual: ${problems.length} problem(s):`);
  for (const message of problems) console.error(`  - ${message}`);
  process.exit(1);
}
console.log(`check-dual: ok (${subpaths.length} subpaths, ESM and CJS)`);
