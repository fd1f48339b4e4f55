/**
 * The trail `inspect` shows: the newest `--audit-limit` entries, oldest first, and the count of
 * the whole trail, read in `newest_first` pages (never the whole trail at once).
 */
import { describe, expect, it } from "vitest";
import { createOnboardingEngine, type AuditEvent, type AuditPageOptions } from "../../src/index.js";
import { createMemoryStore } from "../../src/adapters/memory/index.js";
import { auditTrail } from "../../src/cli/trail.js";

const actor = { id: "ops" };

describe("auditTrail", () => {
  it("keeps the newest entries of a long trail and counts it, a page at a time", async () => {
    const inner = createMemoryStore();
    const pages: (AuditPageOptions | undefined)[] = [];
    const store = new Proxy(inner, {
      get(target, property, receiver) {
        if (property !== "listAudit") return Reflect.get(target, property, receiver) as unknown;
        return (workspaceId: string, draftId: string, page?: AuditPageOptions) => {
          pages.push(page);
          return target.listAudit(workspaceId, draftId, page);
        };
      },
    });
    const engine = createOnboardingEngine({ store, authorize: () => true });
    const { draft, event } = await engine.create("ws", {}, { actor });
    const created = event as AuditEvent;
    const denied = (n: number): AuditEvent => ({
      ...created,
      eventId: `e-${n}`,
      kind: "denied",
      toVersion: null,
      capability: "view",
    });
    for (let start = 0; start < 2500; start += 500) {
      await store.appendAudit(Array.from({ length: 500 }, (_, offset) => denied(start + offset)));
    }
    const trail = await auditTrail(engine, "ws", draft.id, actor, 3);
    expect(trail.total).toBe(2501);
    expect(trail.entries.map((entry) => entry.eventId)).toEqual(["e-2497", "e-2498", "e-2499"]);
    expect(pages.map((page) => page?.direction)).toEqual(["backward", "backward", "backward"]);
    expect(pages.every((page) => page?.limit === 1001)).toBe(true);
    const whole = await auditTrail(engine, "ws", draft.id, actor, 5000);
    expect(whole.entries).toHaveLength(2501);
    expect(whole.entries[0]?.kind).toBe("created");
  });
});
