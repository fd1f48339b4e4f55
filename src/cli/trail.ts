/**
 * The audit trail `inspect` shows, read through `engine.history` in `newest_first` pages: the
 * newest `limit` entries are kept (and shown oldest first), the older ones only counted, so
 * memory stays bounded however long the trail.
 */
import { MAX_HISTORY_LIMIT, type Actor, type AuditEvent, type OnboardingEngine } from "../index.js";

/**
 * The newest `limit` audit entries of a draft, in append order, and how many the trail holds.
 *
 * @example (the CLI's own code, not a package export, so not type-checked)
 * ```text
 * const trail = await auditTrail(engine, "ws-1", "draft-1", { id: "ops" }, 200);
 * ```
 */
export async function auditTrail(
  engine: OnboardingEngine,
  workspaceId: string,
  draftId: string,
  actor: Actor,
  limit: number,
): Promise<{ readonly entries: readonly AuditEvent[]; readonly total: number }> {
  const newest: AuditEvent[] = [];
  let total = 0;
  let cursor: string | null = null;
  // Each page moves past the previous one and a short page is the last: n / 1000 + 1 reads.
  do {
    const page = await engine.history(workspaceId, draftId, {
      actor,
      order: "newest_first",
      limit: MAX_HISTORY_LIMIT,
      cursor,
    });
    newest.push(...page.entries.slice(0, Math.max(0, limit - newest.length)));
    total += page.entries.length;
    cursor = page.nextCursor;
  } while (cursor !== null);
  return { entries: newest.reverse(), total };
}
