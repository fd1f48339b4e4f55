/**
 * Every ```ts / ```typescript block of README.md and docs/*.md compiles against the built
 * package under the repository's compiler options (scripts/check-examples.ts; see its header for
 * the `<!-- check: prelude=... -->` / `<!-- check: skip <reason> -->` convention). A fixture guide
 * pins the checker itself: errors are reported at the documentation's file and line, undeclared
 * fragment names and bad directives are errors, and the repo's strict options apply.
 *
 * Needs `dist/` (`npm test` builds first). Without it the suite skips with a banner; with
 * REQUIRE_SERVICES=1 (CI) it fails instead.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { checkExamples, markdownFiles, type CheckResult } from "../../scripts/check-examples.js";

const root = fileURLToPath(new URL("../../", import.meta.url));
const built = existsSync(join(root, "dist", "index.d.ts"));
if (!built) {
  const message =
    "dist/ is missing: run `npm run build` (documentation examples are checked against the built package)";
  if (process.env["REQUIRE_SERVICES"] === "1") throw new Error(message);
  const line = "!".repeat(78);
  console.warn(`\n${line}\n!! SKIPPING the documentation examples check: ${message}.\n${line}\n`);
}

const FIXTURE = [
  "# Fixture", //                                                        1
  "", //                                                                  2
  "```ts", //                                                             3
  'import { formatETag } from "onboarding-lifecycle/http";', //          4
  "", //                                                                  5
  'const tag: number = formatETag({ id: "d1", version: 1 });', //        6: string is not number
  "```", //                                                               7
  "", //                                                                  8
  "<!-- check: prelude=engine,actor -->", //                              9
  "```ts", //                                                             10
  'const draft = await engine.get("ws", "d1", { actor });', //           11
  "draft.version satisfies number;", //                                  12
  "```", //                                                               13
  "", //                                                                  14
  "```ts", //                                                             15
  'await engine.get("ws", "d1", { actor: { id: "u1" } });', //           16: engine is not declared
  "```", //                                                               17
  "", //                                                                  18
  "<!-- check: prelude=nope -->", //                                      19
  "```ts", //                                                             20
  "export const one = 1;", //                                             21
  "```", //                                                               22
  "", //                                                                  23
  "<!-- check: prelude=actor -->", //                                     24
  "```ts", //                                                             25
  "export const two = 2;", //                                             26: actor is not used
  "```", //                                                               27
  "", //                                                                  28
  "<!-- check: skip -->", //                                              29: no reason
  "```ts", //                                                             30
  "this does not compile", //                                             31
  "```", //                                                               32
  "", //                                                                  33
  "<!-- check: skip shows a syntax sketch -->", //                        34
  "```typescript", //                                                     35
  "neither does this", //                                                 36
  "```", //                                                               37
  "", //                                                                  38
  "- In a list:", //                                                      39
  "", //                                                                  40
  "  ```ts", //                                                           41
  '  import { OnboardingDraft } from "onboarding-lifecycle";', //        42: verbatimModuleSyntax wants `import type`
  "  export const drafts: OnboardingDraft[] = [];", //                   43
  "  ```", //                                                             44
  "", //                                                                  45
  "<!-- check: whatever -->", //                                          46
  "```ts", //                                                             47
  "export const three = 3;", //                                           48
  "```", //                                                               49
].join("\n");

let result: CheckResult | undefined;
let fixture = "";
const dirs: string[] = [];
if (built) {
  mkdirSync(join(root, ".tmp"), { recursive: true });
  const dir = mkdtempSync(join(root, ".tmp", "docs-fixture-"));
  dirs.push(dir);
  const file = join(dir, "fixture.md");
  writeFileSync(file, FIXTURE);
  fixture = relative(root, file);
  // One compilation for the real guides and the fixture.
  result = checkExamples({ tsdoc: true, markdown: [...markdownFiles(), file], keep: false });
}
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!built)("documentation code blocks", () => {
  const checked = result as CheckResult;

  it("type-check, every block of README.md and docs/*.md", () => {
    const real = checked.problems.filter((problem) => !problem.at.startsWith(fixture));
    expect(real.map((problem) => `${problem.at}: ${problem.message}`).join("\n")).toBe("");
    expect(markdownFiles().map((file) => relative(root, file))).toEqual(
      expect.arrayContaining(["README.md", "docs/http.md", "docs/adapters.md"]),
    );
  });

  it("skip rarely, each skip with a reason", () => {
    const real = checked.skipped.filter((skip) => !skip.at.startsWith(fixture));
    expect(real.length).toBeLessThanOrEqual(2);
    for (const skip of real) expect(skip.reason.length).toBeGreaterThan(10);
  });

  it("are reported at the file and line of the documentation", () => {
    const at = (line: number): string[] =>
      checked.problems.filter((problem) => problem.at === `${fixture}:${line}`).map((problem) => problem.message);
    expect(at(6)).toEqual([expect.stringMatching(/^TS2322: Type 'string' is not assignable to type 'number'/)]);
    expect(at(11)).toEqual([]);
    expect(at(12)).toEqual([]);
    expect(at(16)).toEqual([expect.stringContaining("Cannot find name 'engine'")]);
    expect(at(19)).toEqual([expect.stringContaining('unknown prelude name "nope"')]);
    expect(at(25)).toEqual([expect.stringContaining('prelude name "actor" is not used')]);
    expect(at(29)).toEqual([expect.stringContaining("a skip needs a reason")]);
    expect(at(31)).toEqual([]); // skipped, even without a reason
    expect(at(42)).toEqual([expect.stringMatching(/^TS1484: 'OnboardingDraft' is a type/)]);
    expect(at(46)).toEqual([expect.stringContaining('unknown directive "whatever"')]);
    expect(checked.skipped.filter((skip) => skip.at.startsWith(fixture))).toEqual([
      { at: `${fixture}:30`, reason: "" },
      { at: `${fixture}:35`, reason: "shows a syntax sketch" },
    ]);
    expect(checked.problems.filter((problem) => problem.at.startsWith(fixture))).toHaveLength(7);
  });
});
