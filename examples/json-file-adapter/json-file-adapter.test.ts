import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CorruptRecordError, createOnboardingEngine } from "../../src/index.js";
import { describeStoreConformance } from "../../src/testing/index.js";
import { createJsonFileStore } from "./store.js";

// The conformance kit: every promise of the DraftStore port, on a temporary directory.
describeStoreConformance(
  "json-file",
  async () => {
    const directory = await mkdtemp(join(tmpdir(), "onboarding-json-file-"));
    // fsync off: the kit writes thousands of times and the temp dir is thrown away.
    const store = createJsonFileStore({ directory, fsync: false });
    return {
      store,
      writeRawDocument: (workspaceId, draftId, raw) => store.writeRawDocument(workspaceId, draftId, raw),
      teardown: async () => {
        await store.close?.();
        await rm(directory, { recursive: true, force: true });
      },
    };
  },
  { runner: { describe, it, beforeAll, afterAll } },
);

// What is specific to this adapter: the files themselves.
describe("json-file adapter: files", () => {
  let directory = "";
  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), "onboarding-json-file-own-"));
  });
  afterAll(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it("keeps one file per workspace, leaves no temporary files, and reads back after a restart", async () => {
    const actor = { id: "u" };
    const first = createOnboardingEngine({ store: createJsonFileStore({ directory }), authorize: () => true });
    const { draft } = await first.create("ws-a", { identity: { tenantId: "t", displayName: "A" } }, { actor });
    await first.create("ws-b", {}, { actor });
    await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        first.create("ws-a", { identity: { tenantId: `t${i}`, displayName: "x" } }, { actor }),
      ),
    );
    const files = await readdir(directory);
    expect(files.filter((name) => name.endsWith(".json"))).toHaveLength(2);
    expect(files.filter((name) => name.endsWith(".tmp"))).toEqual([]);

    // "Restart": a new store instance on the same directory sees everything.
    const second = createOnboardingEngine({ store: createJsonFileStore({ directory }), authorize: () => true });
    expect((await second.get("ws-a", draft.id, { actor })).identity?.displayName).toBe("A");
    expect((await second.list("ws-a", { actor })).drafts).toHaveLength(11);
  });

  it("reports a damaged workspace file as CorruptRecordError", async () => {
    const store = createJsonFileStore({ directory });
    const engine = createOnboardingEngine({ store, authorize: () => true });
    const { draft } = await engine.create("ws-broken", {}, { actor: { id: "u" } });
    const text = await readFile(store.fileOf("ws-broken"), "utf8");
    await writeFile(store.fileOf("ws-broken"), text.slice(0, text.length / 2), "utf8");
    await expect(engine.get("ws-broken", draft.id, { actor: { id: "u" } })).rejects.toBeInstanceOf(CorruptRecordError);
    // A file that claims another workspace is refused, never served.
    await writeFile(
      store.fileOf("ws-broken"),
      text.replace('"workspaceId":"ws-broken"', '"workspaceId":"ws-other"'),
      "utf8",
    );
    await expect(store.load("ws-broken", draft.id)).rejects.toBeInstanceOf(CorruptRecordError);
  });
});
