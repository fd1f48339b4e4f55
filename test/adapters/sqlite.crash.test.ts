/**
 * SQLite adapter crash safety: child processes committing a stream of changes to one draft are
 * killed with SIGKILL mid-stream (twice, two writers each). Afterwards the record and the
 * audit trail agree (latest version == number of created/committed entries, contiguous),
 * `integrity_check` is ok, the record parses, and the draft accepts further commits.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createOnboardingEngine } from "../../src/index.js";
import { createSqliteStore, type SqliteStore } from "../../src/adapters/sqlite/index.js";
import { parseDraft } from "../../src/lifecycle/index.js";
import { assertDraftInvariants } from "../../src/testing/index.js";
import { inspectFile, spawnFixture, tempDatabase, uid, waitUntil } from "./fixtures/sqlite-helpers.js";

const PREFIX = "crash_";
const tmp = tempDatabase("crash");
let store: SqliteStore;

beforeAll(async () => {
  store = createSqliteStore({ filename: tmp.file, tablePrefix: PREFIX });
  await store.migrate();
});

afterAll(async () => {
  await store.close();
  tmp.cleanup();
});

function committedCount(output: string): number {
  return output.split("\n").filter((line) => line.startsWith("committed ")).length;
}

describe("sqlite: SIGKILL in the middle of a commit stream", () => {
  it("leaves record and audit trail in agreement", async () => {
    const ws = uid("ws");
    const engine = createOnboardingEngine({ store, authorize: () => true });
    const { draft } = await engine.create(
      ws,
      { identity: { tenantId: "tenant", displayName: "start" } },
      { actor: { id: "u1" } },
    );
    let previous = 1;
    for (let round = 0; round < 2; round++) {
      const children = [0, 1].map((i) =>
        spawnFixture("sqlite-crasher.ts", [tmp.file, PREFIX, ws, draft.id, `r${round}c${i}`]),
      );
      // Let them commit for a while, then kill both at a random moment of the stream. On a loaded
      // machine the stream may be slow: after 20 s any progress is enough, none is a failure.
      const target = 10 + Math.floor(Math.random() * 40);
      const total = (): number => children.reduce((sum, c) => sum + committedCount(c.stdout()), 0);
      await waitUntil(() => total() >= target, 20_000, `${target} commits`).catch(() => undefined);
      await waitUntil(() => total() >= 1, 10_000, "a first commit");
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 20));
      for (const c of children) c.child.kill("SIGKILL");
      const exits = await Promise.all(children.map((c) => c.exited));
      for (const exit of exits) expect(exit.signal, exit.stderr).toBe("SIGKILL");
      const acknowledged = Math.max(
        ...exits.map((e) =>
          Math.max(
            0,
            ...e.stdout
              .split("\n")
              .filter((l) => l.startsWith("committed "))
              .map((l) => Number(l.slice(10))),
          ),
        ),
      );

      const file = inspectFile(tmp.file, ws, draft.id, PREFIX);
      expect(file.integrity).toBe("ok");
      expect(file.version).not.toBeNull();
      const version = file.version ?? 0;
      // Every acknowledged commit survived; at most the in-flight ones are missing.
      expect(version).toBeGreaterThanOrEqual(acknowledged);
      expect(version).toBeGreaterThan(previous);
      expect(file.versions).toEqual(Array.from({ length: version }, (_, i) => i + 1));
      expect(parseDraft(JSON.parse(file.document ?? "null")).version).toBe(version);
      previous = version;
    }
    // The survivors' store still works: invariants hold and a new commit lands on top.
    const { draft: current } = await assertDraftInvariants(store, ws, draft.id);
    const after = await engine.execute(
      ws,
      draft.id,
      { type: "select_provider", connectionId: "c1" },
      { actor: { id: "u1" }, expectedVersion: current.version },
    );
    expect(after.version).toBe(current.version + 1);
    await assertDraftInvariants(store, ws, draft.id);
    expect(inspectFile(tmp.file, ws, draft.id, PREFIX).integrity).toBe("ok");
  }, 60_000);
});
