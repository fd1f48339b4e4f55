/**
 * `backfill`: upgrades stored documents of an older schema (or without `schemaVersion`) to the
 * current one, and fixes query columns that disagree with the document (state, open-draft slot),
 * in batches, without changing any version. Resumable: each row is rewritten with a
 * compare-and-set on its own, so a run stopped anywhere (Ctrl-C, a crash) leaves every row either
 * upgraded or as it was, and running it again continues with what is left (`--from <cursor>`
 * skips straight to where it stopped).
 */
import type { ScannedDraft, StoreAdmin } from "../../index.js";
import { UsageError, ExitCode } from "../exit.js";
import { withConnection, type CommonOptions } from "../context.js";
import type { CliIo } from "../io.js";
import { createProgress, type Progress } from "../progress.js";
import { jsonText, plural } from "../render.js";
import { planRow } from "./backfill-plan.js";

/** Options of `backfill`. */
export interface BackfillOptions extends CommonOptions {
  /** `--batch-size`: rows per scan page (1..1000). Default 100. */
  readonly batchSize?: number;
  /** `--dry-run`: decide and count, write nothing. */
  readonly dryRun?: boolean;
  /** `--from`: the cursor an interrupted run printed. */
  readonly from?: string;
  /** `--progress`: `auto` (a bar on a terminal, lines otherwise), `bar`, `plain` or `none`. */
  readonly progress?: "auto" | "bar" | "plain" | "none";
}

/** The default `--batch-size`. */
export const DEFAULT_BATCH_SIZE = 100;
/** At most this many failures are listed (all are counted). */
const MAX_LISTED_FAILURES = 100;

/** What a run did. */
interface Tally {
  scanned: number;
  upgraded: number;
  reindexed: number;
  current: number;
  changed: number;
  failed: number;
  readonly failures: { workspaceId: string; draftId: string; code: string; message: string }[];
}

function newTally(): Tally {
  return { scanned: 0, upgraded: 0, reindexed: 0, current: 0, changed: 0, failed: 0, failures: [] };
}

function recordFailure(tally: Tally, row: ScannedDraft, code: string, message: string): void {
  tally.failed += 1;
  if (tally.failures.length < MAX_LISTED_FAILURES) {
    tally.failures.push({ workspaceId: row.workspaceId, draftId: row.draftId, code, message });
  }
}

async function processRow(admin: StoreAdmin, row: ScannedDraft, tally: Tally, dryRun: boolean): Promise<void> {
  tally.scanned += 1;
  const plan = planRow(row);
  if (plan.action === "current") {
    tally.current += 1;
    return;
  }
  if (plan.action === "fail") {
    recordFailure(tally, row, plan.code, plan.message);
    return;
  }
  const result = dryRun
    ? ({ ok: true } as const)
    : await admin.rewriteDraft({ draft: plan.draft, document: plan.document, basis: row.document });
  if (result.ok) {
    if (plan.reason === "upgrade") tally.upgraded += 1;
    else tally.reindexed += 1;
  } else if (result.reason === "changed") {
    // A command rewrote it meanwhile: the engine writes the current shape, nothing left to do.
    tally.changed += 1;
  } else {
    recordFailure(
      tally,
      row,
      "open_draft_exists",
      `tenant ${plan.draft.identity?.tenantId ?? "?"} already has the open draft ${result.existingDraftId} in this workspace`,
    );
  }
}

function detail(tally: Tally, dryRun: boolean): string {
  const verb = dryRun ? "to upgrade" : "upgraded";
  return `${tally.upgraded} ${verb}, ${tally.reindexed} reindexed, ${tally.failed} failed`;
}

function batchSizeOf(value: number | undefined): number {
  const size = value ?? DEFAULT_BATCH_SIZE;
  if (!Number.isInteger(size) || size < 1 || size > 1000) {
    throw new UsageError(`--batch-size must be an integer from 1 to 1000, got ${String(value)}`);
  }
  return size;
}

async function run(
  admin: StoreAdmin,
  options: BackfillOptions,
  io: CliIo,
  progress: Progress,
): Promise<{ tally: Tally; cursor: string | null; interrupted: boolean }> {
  const batchSize = batchSizeOf(options.batchSize);
  const dryRun = options.dryRun === true;
  // The total is for the bar only: a count that fails (or that Redis cannot make exact) is no reason to stop.
  const total = await admin.countDrafts().then(
    (counts) => counts.total,
    () => null,
  );
  const tally = newTally();
  let cursor: string | null = options.from ?? null;
  do {
    const page = await admin.scanDrafts({ limit: batchSize, cursor });
    for (const row of page.drafts) {
      if (io.signal?.aborted === true) return { tally, cursor, interrupted: true };
      await processRow(admin, row, tally, dryRun);
    }
    cursor = page.nextCursor;
    // One update per batch with rows (and one for an empty store, so a run always says something).
    if (page.drafts.length > 0 || (cursor === null && tally.scanned === 0))
      progress.update({ done: tally.scanned, total, detail: detail(tally, dryRun) });
    // Back to the event loop once per batch: a synchronous driver (better-sqlite3) would otherwise
    // run the whole table in one turn, and Ctrl-C would not be seen until the end.
    await new Promise((resolve) => setImmediate(resolve));
  } while (cursor !== null && io.signal?.aborted !== true);
  return { tally, cursor, interrupted: cursor !== null };
}

function summary(tally: Tally, dryRun: boolean, interrupted: boolean, cursor: string | null): string {
  const head = interrupted ? "Backfill interrupted" : dryRun ? "Backfill dry run finished" : "Backfill finished";
  const lines = [
    `${head}: ${tally.scanned} scanned, ${tally.upgraded} ${dryRun ? "to upgrade" : "upgraded"}, ${tally.reindexed} ${dryRun ? "to reindex" : "reindexed"}, ` +
      `${tally.current} already current, ${tally.changed} changed meanwhile, ${tally.failed} failed.\n`,
  ];
  for (const failure of tally.failures) {
    lines.push(`  ${failure.workspaceId}/${failure.draftId}: ${failure.code}: ${failure.message}\n`);
  }
  if (tally.failed > tally.failures.length)
    lines.push(`  ... and ${plural(tally.failed - tally.failures.length, "more")}\n`);
  if (interrupted && cursor !== null) lines.push(`Run backfill again to continue (or add --from ${cursor}).\n`);
  return lines.join("");
}

/** Runs `backfill`. */
export async function backfill(io: CliIo, options: BackfillOptions): Promise<number> {
  batchSizeOf(options.batchSize); // a bad value is a usage error before anything connects
  return withConnection(io, options, {}, async (connection) => {
    const progress = createProgress(io.stderr, "backfill", options.progress ?? "auto");
    let outcome: Awaited<ReturnType<typeof run>>;
    try {
      outcome = await run(connection.store.admin, options, io, progress);
    } finally {
      progress.finish();
    }
    const { tally, cursor, interrupted } = outcome;
    const dryRun = options.dryRun === true;
    io.stdout.write(
      options.json === true
        ? jsonText({
            dryRun,
            complete: !interrupted,
            scanned: tally.scanned,
            upgraded: tally.upgraded,
            reindexed: tally.reindexed,
            current: tally.current,
            changed: tally.changed,
            failed: tally.failed,
            failures: tally.failures,
            nextCursor: interrupted ? cursor : null,
          })
        : summary(tally, dryRun, interrupted, cursor),
    );
    if (interrupted) return ExitCode.Interrupted;
    return tally.failed > 0 ? ExitCode.Partial : ExitCode.Ok;
  });
}
