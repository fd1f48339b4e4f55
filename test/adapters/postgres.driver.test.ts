/**
 * PostgreSQL adapter without its driver: `loadDriver` turns a missing optional peer dependency
 * into a `ConfigurationError` naming the package, and the adapter's own pool (`connection`)
 * loads `pg` through it. No server needed: a child process makes `pg` unresolvable with a
 * module resolve hook (fixtures/postgres-no-driver.ts).
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { ConfigurationError } from "../../src/record/index.js";
import { loadDriver } from "../../src/store/index.js";

describe("loadDriver", () => {
  it("maps a package that is not installed (ESM and CommonJS codes) to ConfigurationError naming it", async () => {
    // A real dynamic import of a package that does not exist (the specifier is not a literal, so
    // neither TypeScript nor a bundler resolves it).
    const absent = "onboarding-lifecycle-no-such-driver";
    for (const load of [
      () => import(absent),
      () => Promise.reject(Object.assign(new Error("Cannot find module 'x'"), { code: "MODULE_NOT_FOUND" })),
    ]) {
      const error = await loadDriver("ioredis", "client", load).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConfigurationError);
      expect((error as ConfigurationError).code).toBe("configuration");
      expect((error as ConfigurationError).option).toBe("client");
      expect((error as ConfigurationError).message).toContain('the "ioredis" package is not installed');
      expect((error as ConfigurationError).message).toContain("npm install ioredis");
    }
  });

  it("reports any other load failure with its own message, and returns the module when it loads", async () => {
    const broken = await loadDriver("better-sqlite3", "filename", () =>
      Promise.reject(new Error("was compiled against a different Node.js version")),
    ).catch((e: unknown) => e);
    expect(broken).toBeInstanceOf(ConfigurationError);
    expect((broken as ConfigurationError).message).toBe(
      'the "better-sqlite3" package could not be loaded: was compiled against a different Node.js version',
    );
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- a driver that rejects with a non-Error
    const thrownValue = await loadDriver("x", "o", () => Promise.reject("plain string")).catch((e: unknown) => e);
    expect((thrownValue as ConfigurationError).message).toBe('the "x" package could not be loaded: plain string');
    expect(await loadDriver("fs", "o", () => import("node:fs"))).toHaveProperty("readFileSync");
  });
});

describe("postgres adapter without pg installed", () => {
  it("rejects calls of a `connection` store with ConfigurationError naming pg, not StoreError (child process)", async () => {
    const child = spawnSync(
      process.execPath,
      ["--import", "tsx", fileURLToPath(new URL("./fixtures/postgres-no-driver.ts", import.meta.url))],
      { cwd: fileURLToPath(new URL("../..", import.meta.url)), encoding: "utf8", timeout: 30_000 },
    );
    expect(child.status, child.stderr).toBe(0);
    const seen = JSON.parse(child.stdout.trim()) as unknown[];
    const expected = {
      name: "ConfigurationError",
      code: "configuration",
      option: "connection",
      message:
        'the "pg" package is not installed: run `npm install pg` (it is an optional peer dependency of onboarding-lifecycle)',
    };
    expect(seen).toEqual([expected, expected]); // load, then migrate
  });
});
