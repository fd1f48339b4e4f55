/**
 * The audit trail `inspect` shows, read through `engine.history`. Kept in one function because
 * `history` is becoming paged (a cursor and a limit): only this function changes then, to read
 * `{ order: "newest_first", limit }` pages until `limit` entries (then reverse them), with
 * `total` counted by walking on only when asked.
 */
import type { Actor, AuditEvent, OnboardingEngine } from "../index.js";

/**
 * Every audit entry of a draft, in append order (bounded by `limit`, the newest kept).
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
  const entries = await engine.history(workspaceId, draftId, { actor });
  return { entries: entries.slice(Math.max(0, entries.length - limit)), total: entries.length };
}
