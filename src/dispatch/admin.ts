import * as z from "zod/mini";
import {
  AuditKind,
  CorruptRecordError,
  IdSchema,
  OutboxRecordSchema,
  ValidationError,
  safeParseWithMessages,
  toValidationIssues,
  type OutboxRecord,
} from "../record/index.js";
import type { ResolvedDispatcherOptions } from "./options.js";
import { deliveryAudit } from "./outcome.js";
import type { ListDeadOptions, RequeueRef } from "./types.js";

const ListDeadOptionsSchema = z.strictObject({
  workspaceId: z.optional(IdSchema),
  limit: z.optional(z.int().check(z.gte(1), z.lte(500))),
  cursor: z.optional(z.nullable(z.string().check(z.maxLength(4096)))),
});

const RequeueRefSchema = z.strictObject({
  workspaceId: IdSchema,
  entryId: IdSchema,
  actorId: z.optional(IdSchema),
});

function parseArgument<T>(schema: z.ZodMiniType<T>, value: unknown): T {
  const result = safeParseWithMessages(schema, value);
  if (!result.success) throw new ValidationError("options", toValidationIssues(result.issues));
  return result.data;
}

/** Validates a record a store listed: the schema, the dead status, the workspace asked for. */
function checkListed(raw: unknown, workspaceId: string | undefined): OutboxRecord {
  const result = safeParseWithMessages(OutboxRecordSchema, raw);
  const id =
    typeof (raw as { entryId?: unknown } | null)?.entryId === "string" ? (raw as { entryId: string }).entryId : null;
  if (!result.success) throw new CorruptRecordError(toValidationIssues(result.issues), id);
  const record = result.data;
  if (record.status !== "dead" || (workspaceId !== undefined && record.workspaceId !== workspaceId)) {
    throw new CorruptRecordError(
      [{ code: "custom", path: ["status"], message: "listOutbox returned an entry outside the filter asked for" }],
      id,
    );
  }
  return record;
}

/** One page of dead entries. @throws {@link ValidationError} on bad options, {@link CorruptRecordError} on a bad record */
export async function listDead(
  config: ResolvedDispatcherOptions,
  options: ListDeadOptions = {},
): Promise<{ entries: OutboxRecord[]; nextCursor: string | null }> {
  const parsed = parseArgument(ListDeadOptionsSchema, options);
  const page = await config.store.listOutbox({
    status: "dead",
    limit: parsed.limit ?? 100,
    ...(parsed.workspaceId === undefined ? {} : { workspaceId: parsed.workspaceId }),
    ...(parsed.cursor === undefined ? {} : { cursor: parsed.cursor }),
  });
  return { entries: page.entries.map((raw) => checkListed(raw, parsed.workspaceId)), nextCursor: page.nextCursor };
}

/** Finds a dead entry by walking the workspace's dead entries (few, by nature). */
async function findDead(config: ResolvedDispatcherOptions, workspaceId: string, entryId: string) {
  let cursor: string | null = null;
  do {
    const page = await listDead(config, { workspaceId, limit: 500, cursor });
    const found = page.entries.find((record) => record.entryId === entryId);
    if (found !== undefined) return found;
    cursor = page.nextCursor;
  } while (cursor !== null);
  return undefined;
}

/**
 * Requeues a dead entry and writes a `delivery_requeued` audit entry on its draft.
 *
 * @throws {@link ValidationError} on a bad reference
 */
export async function requeue(config: ResolvedDispatcherOptions, ref: RequeueRef): Promise<boolean> {
  const { workspaceId, entryId, actorId } = parseArgument(RequeueRefSchema, ref);
  const record = await findDead(config, workspaceId, entryId);
  if (record === undefined) return false;
  const at = new Date(config.now()).toISOString();
  if (!(await config.store.requeueOutbox({ workspaceId, entryId, at }))) return false;
  await config.store.appendAudit([
    deliveryAudit({
      eventId: config.newId(),
      kind: AuditKind.DeliveryRequeued,
      record,
      actorId: actorId ?? config.owner,
      at,
    }),
  ]);
  return true;
}
