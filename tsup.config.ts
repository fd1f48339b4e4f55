import { defineConfig } from "tsup";

export default defineConfig({
  entry: {
    index: "src/index.ts",
    "adapters/memory": "src/adapters/memory/index.ts",
    "adapters/sqlite": "src/adapters/sqlite/index.ts",
    "adapters/postgres": "src/adapters/postgres/index.ts",
    "adapters/mysql": "src/adapters/mysql/index.ts",
    "adapters/redis": "src/adapters/redis/index.ts",
    http: "src/http/index.ts",
    testing: "src/testing/index.ts",
  },
  format: ["esm", "cjs"],
  dts: true,
  sourcemap: true,
  clean: true,
  splitting: true,
  treeshake: true,
  target: "node20",
  external: ["pg", "mysql2", "mysql2/promise", "better-sqlite3", "ioredis", "vitest", "fast-check"],
});
