/**
 * The split of list-option checks between the engine and an adapter, for every adapter's tests:
 * the engine checks `limit`, `state` and the option types once (an adapter no longer does), and
 * only the cursor, which only the store can decode, is the adapter's to refuse.
 */
import { expect } from "vitest";
import { createOnboardingEngine } from "../../src/index.js";
import { ValidationError } from "../../src/record/index.js";
import { encodeCursor, type DraftStore } from "../../src/store/index.js";

/** Cursors no adapter may accept: not base64url, truncated, and a wrong JSON shape. */
export const MALFORMED_CURSORS: readonly string[] = [
  "%%%not-a-cursor",
  "not a cursor!",
  encodeCursor({ createdAt: "2026-01-01T00:00:00.000Z", id: "d" }).slice(0, 3),
  Buffer.from("[1,2]").toString("base64url"),
];

/**
 * Checks that `store.list` refuses every malformed cursor with the one `ValidationError`
 * (`options`, path `cursor`), and that the engine refuses bad limits and states over this store
 * without calling `store.list` at all.
 */
export async function expectListOptionChecks(store: DraftStore, workspaceId: string): Promise<void> {
  for (const cursor of MALFORMED_CURSORS) {
    const error = await store.list(workspaceId, { limit: 5, cursor }).then(
      () => null,
      (thrown: unknown) => thrown,
    );
    expect(error, cursor).toBeInstanceOf(ValidationError);
    expect(
      (error as ValidationError).issues.map((issue) => issue.path),
      cursor,
    ).toEqual([["cursor"]]);
  }
  let listed = 0;
  const counting: DraftStore = Object.assign(Object.create(store) as DraftStore, {
    list: (ws: string, options: Parameters<DraftStore["list"]>[1]) => {
      listed += 1;
      return store.list(ws, options);
    },
  });
  const engine = createOnboardingEngine({ store: counting, authorize: () => true });
  const actor = { id: "list-checker" };
  for (const bad of [
    { limit: 0 },
    { limit: -1 },
    { limit: 501 },
    { limit: 1.5 },
    { limit: Number.NaN },
    { state: "paused" },
  ]) {
    await expect(engine.list(workspaceId, { actor, ...(bad as object) }), JSON.stringify(bad)).rejects.toBeInstanceOf(
      ValidationError,
    );
  }
  expect(listed).toBe(0);
  // The same engine lists through the store once the options are good.
  await engine.list(workspaceId, { actor, limit: 500 });
  expect(listed).toBe(1);
}
