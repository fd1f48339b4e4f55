/**
 * `expire-stuck-runs --lease <duration>`: expires every run no worker reported on for longer than
 * the lease (the engine's `expireStuckRuns`, batch after batch until none is left), the job a
 * dispatcher does on a schedule, for when none runs (stopped, or not deployed yet). Each expiry is
 * an audited `expire_run` command; the draft turns `action_required` (`*_timed_out`).
 */
import { createOnboardingEngine, type ExpiredRun } from "../../index.js";
import { withConnection, type CommonOptions } from "../context.js";
import { formatDuration, parseDuration } from "../duration.js";
import { ExitCode } from "../exit.js";
import type { CliIo } from "../io.js";
import { jsonText, plural } from "../render.js";
import { DEFAULT_ACTOR } from "./inspect.js";

/** Options of `expire-stuck-runs`. */
export interface ExpireOptions extends CommonOptions {
  /** `--lease`: a run silent for longer than this is stuck (`5m`, `1h`). */
  readonly lease: string;
  /** `--actor`: the actor id the expiries are audited as. */
  readonly actor?: string;
  /** `--max`: expire at most this many runs in this run of the command. */
  readonly max: number;
}

/** Runs per `expireStuckRuns` call. */
const BATCH = 100;

interface Tally {
  readonly expired: ExpiredRun[];
  settled: number;
  alive: number;
}

/** Runs `expire-stuck-runs`. */
export async function expireStuckRuns(io: CliIo, options: ExpireOptions): Promise<number> {
  const leaseMs = parseDuration(options.lease, "--lease");
  const actor = { id: options.actor ?? DEFAULT_ACTOR };
  return withConnection(io, options, {}, async (connection) => {
    const engine = createOnboardingEngine({
      store: connection.store,
      authorize: () => true,
      documentCacheSize: 0,
      clock: { now: () => io.now() },
    });
    const tally: Tally = { expired: [], settled: 0, alive: 0 };
    // Every run a batch lists ends expired, settled or alive (reported since), so none comes back.
    while (tally.expired.length < options.max) {
      const limit = Math.min(BATCH, options.max - tally.expired.length);
      const report = await engine.expireStuckRuns({ actor, leaseMs, limit });
      tally.expired.push(...report.expired);
      tally.settled += report.settled;
      tally.alive += report.alive;
      if (report.expired.length + report.settled + report.alive < limit) break;
    }
    io.stdout.write(options.json === true ? jsonText({ leaseMs, ...tally }) : describe(tally, leaseMs));
    return ExitCode.Ok;
  });
}

function describe(tally: Tally, leaseMs: number): string {
  const head =
    `Expired ${plural(tally.expired.length, "run")} with no report for longer than ${formatDuration(leaseMs)}` +
    ` (${tally.settled} found finished, ${tally.alive} reported again: left alone).\n`;
  const lines = tally.expired.map(
    (run) => `  ${run.workspaceId}  ${run.draftId}  ${run.runId}  ${run.checkpoint}  -> version ${run.version}\n`,
  );
  return head + lines.join("");
}
