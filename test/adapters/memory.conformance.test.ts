import { afterAll, beforeAll, describe, it } from "vitest";
import { createMemoryStore } from "../../src/adapters/memory/index.js";
import { describeStoreConformance } from "../../src/testing/index.js";

describeStoreConformance(
  "memory",
  async () => {
    const store = createMemoryStore();
    return {
      store,
      writeRawDocument: async (workspaceId, draftId, raw) => store.setRawDocument(workspaceId, draftId, raw),
      teardown: async () => store.clear(),
    };
  },
  { runner: { describe, it, beforeAll, afterAll }, log: (line) => console.log(line) },
);
