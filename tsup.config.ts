import { relative, resolve, sep } from "node:path";
import { defineConfig, type Options } from "tsup";

/** The public entry points: one per subpath export. */
const entry = {
  index: "src/index.ts",
  "adapters/memory": "src/adapters/memory/index.ts",
  "adapters/sqlite": "src/adapters/sqlite/index.ts",
  "adapters/postgres": "src/adapters/postgres/index.ts",
  "adapters/mysql": "src/adapters/mysql/index.ts",
  "adapters/redis": "src/adapters/redis/index.ts",
  http: "src/http/index.ts",
  client: "src/client/index.ts",
  testing: "src/testing/index.ts",
  "runners/pg-boss": "src/runners/pg-boss/index.ts",
  "runners/bullmq": "src/runners/bullmq/index.ts",
};

const external = [
  "pg",
  "mysql2",
  "mysql2/promise",
  "better-sqlite3",
  "ioredis",
  "vitest",
  "fast-check",
  "pg-boss",
  "bullmq",
];

const shared: Options = { target: "node20", sourcemap: true, external, treeshake: true };

const src = resolve("src");
const cliSource = resolve("src/cli");

/**
 * The CLI imports the package through its public entries (`../index.js`, `../adapters/<name>/index.js`).
 * In the build those imports point at the package's own ESM files (`./esm/...` next to
 * `dist/cli.js`) instead of bundling a second copy of the library into the bin.
 */
const libraryFromEsmBuild = {
  name: "cli-imports-the-esm-build",
  setup(build: {
    onResolve(options: { filter: RegExp }, run: (args: { path: string; resolveDir: string }) => unknown): void;
  }) {
    build.onResolve({ filter: /^\.\.?\// }, ({ path, resolveDir }) => {
      const target = resolve(resolveDir, path);
      if (!resolveDir.startsWith(cliSource) || target.startsWith(cliSource + sep)) return undefined;
      return { path: `./esm/${relative(src, target).split(sep).join("/")}`, external: true };
    });
  },
};

export default defineConfig([
  // CommonJS: one bundle per subpath, with its .d.cts and (dts-only pass below) .d.ts types.
  { ...shared, entry, format: ["cjs"], outDir: "dist", splitting: false, dts: true },
  { ...shared, entry, format: ["esm"], outDir: "dist", dts: { only: true } },
  // ESM: one file per module, not bundled, so an application's bundler drops what it does not
  // import (importing only evaluateReadiness does not drag in the schemas or the engine).
  {
    ...shared,
    entry: ["src/**/*.ts", "!src/**/*.test.ts", "!src/cli/**"],
    format: ["esm"],
    outDir: "dist/esm",
    bundle: false,
    splitting: false,
    dts: false,
  },
  // The `onboarding-lifecycle` bin: one ESM file with its shebang, importing the ESM build above.
  {
    ...shared,
    entry: { cli: "src/cli/main.ts" },
    format: ["esm"],
    outDir: "dist",
    splitting: false,
    treeshake: false,
    dts: false,
    external: [...external, "commander"],
    banner: { js: "#!/usr/bin/env node" },
    esbuildPlugins: [libraryFromEsmBuild],
  },
]);
