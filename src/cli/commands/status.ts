/**
 * `status`: where a store stands: its schema version and pending migrations, how many drafts are
 * in each lifecycle state, and the runs no worker reported on for longer than a lease (stuck).
 * `--check` exits 4 while migrations are pending, for deploy scripts.
 */
import { LIFECYCLE_STATES, StoreError, DEFAULT_RUN_LEASE_MS, type DraftCounts } from "../../index.js";
import type { SchemaStatus } from "../../adapters/postgres/index.js";
import type { Connection } from "../connect.js";
import { prefixOf, withConnection, type CommonOptions } from "../context.js";
import { formatDuration, parseDuration } from "../duration.js";
import { ExitCode } from "../exit.js";
import type { CliIo } from "../io.js";
import { fields, jsonText, plural, table } from "../render.js";

/** Options of `status`. */
export interface StatusOptions extends CommonOptions {
  /** `--check`: exit 4 when migrations are pending. */
  readonly check?: boolean;
  /** `--workspace`: count the drafts and stuck runs of one workspace only. */
  readonly workspace?: string;
  /** `--lease`: a run with no report for longer than this is stuck (default 5m, the engine's `runLeaseMs`). */
  readonly lease?: string;
}

/** At most this many stuck runs are listed. */
const MAX_STUCK = 1000;

/** A stuck run as `status` lists it. */
interface StuckRun {
  readonly workspaceId: string;
  readonly draftId: string;
  readonly runId: string;
  readonly checkpoint: string;
  readonly operation: string;
  /** The worker's last report, or the request when it never reported. */
  readonly lastSeenAt: string;
}

function text(value: unknown): string {
  return typeof value === "string" ? value : "";
}

function stuckRun(raw: unknown): StuckRun {
  const record = (typeof raw === "object" && raw !== null ? raw : {}) as Record<string, unknown>;
  const reported = record["reportedAt"];
  return {
    workspaceId: text(record["workspaceId"]),
    draftId: text(record["draftId"]),
    runId: text(record["runId"]),
    checkpoint: text(record["checkpoint"]),
    operation: text(record["operation"]),
    lastSeenAt: typeof reported === "string" ? reported : text(record["createdAt"]),
  };
}

/** Every lifecycle state (zeros included, in lifecycle order), then any other state the store holds. */
function countsByState(counts: DraftCounts): Record<string, number> {
  const byState: Record<string, number> = {};
  for (const state of LIFECYCLE_STATES) byState[state] = counts.byState[state] ?? 0;
  for (const [state, count] of Object.entries(counts.byState)) if (!(state in byState)) byState[state] = count;
  return byState;
}

/**
 * A read that needs a table a pending migration creates: `null` instead of a failure while the
 * schema is behind (the report says so), the failure itself otherwise.
 */
async function unlessBehind<T>(schema: SchemaStatus | null, read: () => Promise<T>): Promise<T | null> {
  if (schema !== null && schema.current === 0) return null;
  try {
    return await read();
  } catch (error) {
    if (schema !== null && schema.pending.length > 0 && error instanceof StoreError) return null;
    throw error;
  }
}

async function gather(connection: Connection, options: StatusOptions, now: number) {
  const leaseMs = options.lease === undefined ? DEFAULT_RUN_LEASE_MS : parseDuration(options.lease, "--lease");
  const schema = connection.schema === null ? null : await connection.schema.status();
  const scope = options.workspace === undefined ? {} : { workspaceId: options.workspace };
  const counts = await unlessBehind(schema, () => connection.store.admin.countDrafts(scope));
  const before = new Date(now - leaseMs).toISOString();
  const stale = await unlessBehind(schema, () => connection.store.findStaleRuns({ before, limit: MAX_STUCK }));
  const runs =
    stale === null
      ? null
      : stale.map(stuckRun).filter((run) => options.workspace === undefined || run.workspaceId === options.workspace);
  return {
    store: { adapter: connection.kind, url: connection.target.display, prefix: prefixOf(connection) },
    schema:
      schema === null
        ? null
        : {
            current: schema.current,
            latest: schema.latest,
            upToDate: schema.pending.length === 0,
            pending: schema.pending.map((migration) => ({ version: migration.version, name: migration.name })),
          },
    drafts: counts === null ? null : { total: counts.total, byState: countsByState(counts) },
    stuckRuns:
      runs === null ? null : { leaseMs, before, count: runs.length, truncated: stale?.length === MAX_STUCK, runs },
    ...(options.workspace === undefined ? {} : { workspaceId: options.workspace }),
  };
}

type Status = Awaited<ReturnType<typeof gather>>;

function schemaLine(schema: Status["schema"], kind: string): string {
  if (schema === null) return `none (${kind} keeps no schema)`;
  if (schema.upToDate) return `version ${schema.current} of ${schema.latest}, up to date`;
  const pending = schema.pending.map((migration) => `${migration.version} ${migration.name}`).join(", ");
  return `version ${schema.current} of ${schema.latest}: ${plural(schema.pending.length, "pending migration")} (${pending}); run migrate`;
}

function render(status: Status): string {
  const out: string[] = [];
  const stuck = status.stuckRuns;
  out.push(
    fields(
      [
        ["store", `${status.store.url} (prefix ${status.store.prefix})`],
        ...(status.workspaceId === undefined ? [] : ([["workspace", status.workspaceId]] as const)),
        ["schema", schemaLine(status.schema, status.store.adapter)],
        ["drafts", status.drafts === null ? "unknown until the schema is migrated" : status.drafts.total],
        [
          "stuck runs",
          stuck === null
            ? "unknown until the schema is migrated"
            : `${stuck.truncated ? "at least " : ""}${stuck.count} with no report for ${formatDuration(stuck.leaseMs)}`,
        ],
      ],
      0,
    ),
  );
  if (status.drafts !== null) {
    out.push(`\nDrafts per state\n`);
    out.push(table(["state", "drafts"], Object.entries(status.drafts.byState)));
  }
  if (stuck !== null && stuck.runs.length > 0) {
    out.push(`\nStuck runs (no report since before ${stuck.before})\n`);
    out.push(
      table(
        ["workspace", "draft", "run", "checkpoint", "operation", "last seen"],
        stuck.runs.map((run) => [
          run.workspaceId,
          run.draftId,
          run.runId,
          run.checkpoint,
          run.operation,
          run.lastSeenAt,
        ]),
      ),
    );
  }
  return out.join("");
}

/** Runs `status`. */
export async function status(io: CliIo, options: StatusOptions): Promise<number> {
  if (options.lease !== undefined) parseDuration(options.lease, "--lease"); // a usage error before connecting
  return withConnection(io, options, {}, async (connection) => {
    const result = await gather(connection, options, io.now());
    io.stdout.write(options.json === true ? jsonText(result) : render(result));
    const pending = result.schema !== null && !result.schema.upToDate;
    return options.check === true && pending ? ExitCode.PendingMigrations : ExitCode.Ok;
  });
}
