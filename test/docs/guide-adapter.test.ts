/**
 * The minimal adapter printed in docs/writing-an-adapter.md is real: this test extracts the
 * code block that defines `createMapStore` from the guide, writes it to
 * `.tmp/guide-adapter/map-store.ts` and runs the conformance kit against it, exactly as the
 * guide tells readers to (imports resolve to the built package, `dist/`, through the package's
 * own exports map, as they would for a user). The guide's store implements the outbox half of
 * the port too, so the kit's outbox section runs on it (a test below makes sure it is not skipped).
 *
 * Needs `dist/` (`npm test` builds first). Without it the suite skips with a banner; with
 * REQUIRE_SERVICES=1 (CI) it fails instead.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DraftStore } from "../../src/index.js";

const root = fileURLToPath(new URL("../../", import.meta.url));
type TestingModule = typeof import("../../src/testing/index.js");

/** Imports a built entry by its specifier: a parameter, so tsc does not resolve it before the build. */
const importBuilt = (specifier: string): Promise<unknown> => import(specifier);

/** The built kit, resolved like a user would (the package's own exports map), or null when not built. */
async function builtTesting(): Promise<TestingModule | null> {
  try {
    return (await importBuilt("onboarding-lifecycle/testing")) as TestingModule;
  } catch (error) {
    if (
      (error as { code?: unknown }).code === "ERR_MODULE_NOT_FOUND" ||
      /Cannot find|Failed to load|does not exist/.test(String(error))
    ) {
      return null;
    }
    throw error;
  }
}

const testing = await builtTesting();
const built = testing !== null;

function guideAdapterSource(): string {
  const guide = readFileSync(join(root, "docs", "writing-an-adapter.md"), "utf8");
  const blocks = [...guide.matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => match[1] ?? "");
  const block = blocks.find((code) => code.includes("export function createMapStore("));
  if (block === undefined) throw new Error("docs/writing-an-adapter.md has no ```ts block defining createMapStore");
  return block;
}

if (!built) {
  const message = "dist/ is missing: run `npm run build` (the guide's adapter is tested against the built package)";
  if (process.env["REQUIRE_SERVICES"] === "1") throw new Error(message);
  const line = "!".repeat(78);
  console.warn(`\n${line}\n!! SKIPPING the guide adapter conformance run: ${message}.\n${line}\n`);
}

type GuideStore = DraftStore & { setRawDocument(workspaceId: string, draftId: string, raw: string): void };

const dir = join(root, ".tmp", "guide-adapter");
let createMapStore: (() => GuideStore) | undefined;
if (built) {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "map-store.ts"), guideAdapterSource());
  ({ createMapStore } = (await import(pathToFileURL(join(dir, "map-store.ts")).href)) as {
    createMapStore: () => GuideStore;
  });
}

/** The methods the kit's outbox section needs: the guide's store must run it, never skip it. */
const OUTBOX_METHODS = [
  "claimOutbox",
  "settleOutbox",
  "releaseOutbox",
  "listOutbox",
  "requeueOutbox",
  "recordRunProgress",
  "listRunRecords",
  "findStaleRuns",
  "settleRuns",
] as const satisfies readonly (keyof DraftStore)[];

describe.skipIf(!built)("docs/writing-an-adapter.md: the minimal adapter", () => {
  if (createMapStore === undefined || testing === null) return;
  const create = createMapStore;
  it("implements OutboxStore, so the kit's outbox section runs instead of skipping", () => {
    const store = create();
    const missing = OUTBOX_METHODS.filter((name) => typeof store[name] !== "function");
    expect(missing).toEqual([]);
  });
  testing.describeStoreConformance(
    "guide map store",
    async () => {
      const store = create();
      return {
        store,
        writeRawDocument: async (workspaceId, draftId, raw) => store.setRawDocument(workspaceId, draftId, raw),
        teardown: async () => {},
      };
    },
    { runner: { describe, it, beforeAll, afterAll }, numRuns: 100 },
  );
});
