/**
 * `prune-idempotency --older-than <duration>`: deletes the idempotency records created before
 * now minus the duration, in every workspace (the store's `pruneIdempotency`).
 */
import { ConfigurationError, idempotencyCutoff } from "../../index.js";
import { withConnection, type CommonOptions } from "../context.js";
import { formatDuration, parseDuration } from "../duration.js";
import { ExitCode } from "../exit.js";
import type { CliIo } from "../io.js";
import { jsonText, plural } from "../render.js";

/** Options of `prune-idempotency`. */
export interface PruneOptions extends CommonOptions {
  /** `--older-than`: a duration (`24h`, `7d`). */
  readonly olderThan: string;
}

/** Runs `prune-idempotency`. */
export async function pruneIdempotency(io: CliIo, options: PruneOptions): Promise<number> {
  const olderThanMs = parseDuration(options.olderThan, "--older-than");
  const before = idempotencyCutoff(io.now() - olderThanMs);
  return withConnection(io, options, {}, async (connection) => {
    const prune = connection.store.pruneIdempotency?.bind(connection.store);
    if (prune === undefined) {
      throw new ConfigurationError(
        "prune-idempotency",
        `the ${connection.kind} store has no idempotency records to prune: it expires them itself (Redis: the store's idempotencyTtlMs)`,
      );
    }
    const deleted = await prune(before);
    io.stdout.write(
      options.json === true
        ? jsonText({ deleted, before, olderThanMs })
        : `Deleted ${plural(deleted, "idempotency record")} created before ${before} (older than ${formatDuration(olderThanMs)}).\n`,
    );
    return ExitCode.Ok;
  });
}
