/**
 * The whole audit trail of a draft through `engine.history`, page after page (for the kit's
 * checks, which look at every entry). Internal to `testing/`.
 */
import type { Actor, HistoryOptions, OnboardingEngine } from "../engine/index.js";
import type { AuditEvent } from "../record/index.js";

/** Every entry of a draft's trail, oldest first, read in pages of `limit` (1000: the largest). */
export async function wholeHistory<TActor extends Actor>(
  engine: OnboardingEngine<TActor>,
  workspaceId: string,
  draftId: string,
  options: HistoryOptions<TActor>,
): Promise<AuditEvent[]> {
  const entries: AuditEvent[] = [];
  let cursor: string | null = null;
  // Each page moves past the previous one; a trail of n entries takes n / limit + 1 reads.
  for (;;) {
    const page = await engine.history(workspaceId, draftId, { limit: 1000, ...options, cursor });
    entries.push(...page.entries);
    if (page.nextCursor === null) return entries;
    cursor = page.nextCursor;
  }
}
