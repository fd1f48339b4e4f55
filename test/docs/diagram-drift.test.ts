/**
 * The lifecycle diagram in the docs is generated from the code (`npm run docs:diagram`); this
 * test fails when a change to the commands or the lifecycle made it stale.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { diagramFile, withDiagram } from "../../scripts/diagram.js";

const root = new URL("../../", import.meta.url);

describe("generated lifecycle diagram in docs/", () => {
  it("docs/lifecycle-diagram.md is up to date (run `npm run docs:diagram`)", () => {
    expect(readFileSync(new URL("docs/lifecycle-diagram.md", root), "utf8")).toBe(diagramFile());
  });

  it("docs/lifecycle.md embeds the current diagram (run `npm run docs:diagram`)", () => {
    const guide = readFileSync(new URL("docs/lifecycle.md", root), "utf8");
    expect(guide).toBe(withDiagram(guide));
  });
});
