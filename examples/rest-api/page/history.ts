/**
 * The whole audit trail of a draft, read page by page: the activity list, the conflict notice
 * and the run page look across all of it, and the history route answers one page at a time.
 */
import type { OnboardingClient } from "../../../src/client/index.js";
import type { AuditEvent } from "../../../src/record/audit.js";

/** Every audit entry of the draft, oldest first. */
export async function wholeTrail(client: OnboardingClient, draftId: string): Promise<AuditEvent[]> {
  const events: AuditEvent[] = [];
  let cursor: string | null = null;
  do {
    const page = await client.history(draftId, { limit: 1000, cursor });
    events.push(...page.events);
    cursor = page.nextCursor;
  } while (cursor !== null);
  return events;
}
