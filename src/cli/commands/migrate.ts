/**
 * `migrate`: brings a SQL store's schema to the latest version (or `--to` a version) with the
 * adapter's versioned migrations; `--dry-run` prints the SQL it would run and changes nothing.
 * Redis has no schema: there is nothing to migrate.
 */
import type { MigrateResult } from "../../adapters/postgres/index.js";
import { prefixOf, withConnection, type CommonOptions } from "../context.js";
import { ExitCode, UsageError } from "../exit.js";
import type { CliIo } from "../io.js";
import { jsonText, plural } from "../render.js";
import type { Connection, SchemaTool } from "../connect.js";

/** Options of `migrate`. */
export interface MigrateCommandOptions extends CommonOptions {
  /** `--dry-run`: print the SQL of the pending migrations, change nothing. */
  readonly dryRun?: boolean;
  /** `--to`: the version to stop at (default: the latest). */
  readonly to?: string;
}

function targetVersion(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d{1,6}$/.test(text.trim()))
    throw new UsageError(`--to must be a schema version (0, 1, 2...), got ${JSON.stringify(text)}`);
  return Number(text.trim());
}

function scripts(schema: SchemaTool, result: MigrateResult): string {
  if (result.applied.length === 0) return `-- nothing to apply: the schema is at version ${result.from}\n`;
  return result.applied.map((migration) => schema.sql(migration)).join("\n");
}

function sentence(connection: Connection, result: MigrateResult): string {
  const subject = `The ${connection.kind} schema (prefix ${prefixOf(connection)})`;
  if (result.applied.length === 0) return `${subject} is up to date at version ${result.from}.\n`;
  const list = result.applied.map((migration) => `${migration.version} ${migration.name}`).join(", ");
  const verb = result.dryRun ? "would go" : "went";
  return `${subject} ${verb} from version ${result.from} to ${result.to}: ${plural(result.applied.length, "migration")} (${list}).\n`;
}

/** Runs `migrate`. */
export async function migrate(io: CliIo, options: MigrateCommandOptions): Promise<number> {
  const to = targetVersion(options.to);
  const dryRun = options.dryRun === true;
  return withConnection(io, options, { create: !dryRun }, async (connection) => {
    const json = options.json === true;
    const schema = connection.schema;
    if (schema === null) {
      io.stdout.write(
        json
          ? jsonText({
              adapter: connection.kind,
              prefix: prefixOf(connection),
              from: null,
              to: null,
              dryRun,
              applied: [],
            })
          : `${connection.kind} keeps no schema: nothing to migrate.\n`,
      );
      return ExitCode.Ok;
    }
    const result = await schema.migrate({ dryRun, ...(to === undefined ? {} : { to }) });
    if (json) {
      io.stdout.write(
        jsonText({
          adapter: connection.kind,
          prefix: prefixOf(connection),
          from: result.from,
          to: result.to,
          dryRun,
          applied: result.applied.map((migration) => ({
            version: migration.version,
            name: migration.name,
            ...(dryRun ? { statements: migration.statements } : {}),
          })),
        }),
      );
    } else if (dryRun) {
      // The SQL on stdout (for review or another tool), the summary on stderr.
      io.stdout.write(scripts(schema, result));
      io.stderr.write(sentence(connection, result));
    } else {
      io.stdout.write(sentence(connection, result));
    }
    return ExitCode.Ok;
  });
}
