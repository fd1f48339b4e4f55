/**
 * cli/ — the `onboarding-lifecycle` command line (the package's `bin`, built to `dist/cli.js`):
 * `migrate`, `status`, `inspect`, `prune-idempotency` and `backfill` against any shipped adapter,
 * opened from a connection string. `program.ts` is the parser and the exit-code mapping,
 * `commands/` one file per command, `connect.ts` the drivers and stores, `exit.ts` the exit codes
 * and the one error line (the contract: specs/009-observability/cli.md).
 *
 * May import: the package's public entries only (the root `../index.js` and the adapters'
 * `index.js`), `commander`, and the drivers with a dynamic `import()` (they stay optional peer
 * dependencies). Nothing in the library imports the CLI.
 */
export { runCli } from "./program.js";
export { ExitCode, INTERNAL_ERROR_CODE, errorLine, exitCodeOf } from "./exit.js";
export type { CliIo, CliStream } from "./io.js";
export { parseDuration, formatDuration } from "./duration.js";
export { parseTarget, redact, type Target, type AdapterKind } from "./target.js";
