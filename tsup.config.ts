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

export default defineConfig([
  // CommonJS: one bundle per subpath, with its .d.cts and (dts-only pass below) .d.ts types.
  { ...shared, entry, format: ["cjs"], outDir: "dist", splitting: false, dts: true },
  { ...shared, entry, format: ["esm"], outDir: "dist", dts: { only: true } },
  // ESM: one file per module, not bundled, so an application's bundler drops what it does not
  // import (importing only evaluateReadiness does not drag in the schemas or the engine).
  {
    ...shared,
    entry: ["src/**/*.ts", "!src/**/*.test.ts"],
    format: ["esm"],
    outDir: "dist/esm",
    bundle: false,
    splitting: false,
    dts: false,
  },
]);
