/**
 * Nothing of OpenTelemetry is loaded by the root entry (issue 12: "nothing is loaded or paid for
 * when no tracer or meter is registered"). Two proofs: esbuild's graph of the root entry, every
 * other subpath but `opentelemetry`, and the CLI has no `@opentelemetry/*` module and no file of
 * src/telemetry/; and a child process that refuses to resolve any `@opentelemetry/*`
 * module runs an engine with an instrumentation and a dispatcher, while the same child importing
 * the `opentelemetry` subpath dies on the refusal (so the refusal is real).
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const FIXTURES = fileURLToPath(new URL("./fixtures/", import.meta.url));

/** Every input esbuild reads to bundle `entries` (packages included, nothing external). */
async function inputsOf(entries: readonly string[]): Promise<string[]> {
  const result = await build({
    entryPoints: entries.map((entry) => `${ROOT}${entry}`),
    bundle: true,
    write: false,
    metafile: true,
    outdir: "/tmp/otel-root-entry",
    format: "esm",
    platform: "node",
    logLevel: "silent",
    // Drivers and the test kit's peers are not what this test is about.
    external: [
      "pg",
      "mysql2",
      "mysql2/promise",
      "better-sqlite3",
      "ioredis",
      "fast-check",
      "vitest",
      "pg-boss",
      "bullmq",
    ],
  });
  return Object.keys(result.metafile.inputs);
}

function runChild(...args: string[]) {
  return spawnSync(
    process.execPath,
    [
      "--import",
      `${FIXTURES}deny-opentelemetry.mjs`,
      "--import",
      "tsx",
      `${FIXTURES}without-opentelemetry.ts`,
      ...args,
    ],
    { cwd: ROOT, encoding: "utf8", timeout: 60_000 },
  );
}

describe("the root entry never loads OpenTelemetry", () => {
  it("has no @opentelemetry module and no src/telemetry file in the graph of any other subpath", async () => {
    const inputs = await inputsOf([
      "src/index.ts",
      "src/adapters/memory/index.ts",
      "src/adapters/postgres/index.ts",
      "src/adapters/sqlite/index.ts",
      "src/adapters/mysql/index.ts",
      "src/adapters/redis/index.ts",
      "src/http/index.ts",
      "src/testing/index.ts",
      "src/runners/pg-boss/index.ts",
      "src/runners/bullmq/index.ts",
      "src/client/index.ts",
      "src/cli/main.ts",
    ]);
    expect(inputs.some((input) => input.startsWith("src/engine/"))).toBe(true); // the graph is real
    expect(inputs.filter((input) => input.includes("@opentelemetry") || input.startsWith("src/telemetry/"))).toEqual(
      [],
    );
    // The control: the opentelemetry subpath's graph does hold the API.
    const telemetry = await inputsOf(["src/telemetry/index.ts"]);
    expect(telemetry.some((input) => input.includes("node_modules/@opentelemetry/api/"))).toBe(true);
  });

  it("runs an instrumented engine and a dispatcher where @opentelemetry/* cannot even be resolved", () => {
    const plain = runChild();
    expect(plain.stderr).toBe("");
    expect(plain.stdout.trim()).toBe("ok 2 create:created,execute:committed");
    const withTelemetry = runChild("--telemetry");
    expect(withTelemetry.status).not.toBe(0);
    expect(withTelemetry.stderr).toContain("denied: @opentelemetry/api");
  });
});
