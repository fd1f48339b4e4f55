import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { expect, test } from "vitest";

const run = promisify(execFile);

test("npm run demo walks one onboarding to completion and rejects the stale write", async () => {
  const { stdout } = await run(process.execPath, ["--import", "tsx", "examples/demo/walkthrough.ts"], {
    env: { ...process.env, NO_COLOR: "1" },
    timeout: 60_000,
  });
  expect(stdout).toContain("Stale write rejected");
  expect(stdout).toMatch(/bob\s+cancel\s+REJECTED/);
  expect(stdout).toMatch(/draft draft-1 is completed at version 10/);
  expect(stdout).toMatch(/conflict\s+bob\s+cancel\s+expected v4, found v7/);
});
