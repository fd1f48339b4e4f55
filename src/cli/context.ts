/**
 * What every command shares: the options every command takes (`--url`, `--prefix`, `--json`),
 * resolved against the environment, and opening (and always closing) the store.
 */
import { connect, type Connection, type ConnectOptions } from "./connect.js";
import type { CliIo } from "./io.js";
import { parseTarget } from "./target.js";

/** The options every command takes. */
export interface CommonOptions {
  /** `--url`: the connection string (else `ONBOARDING_DATABASE_URL`). */
  readonly url?: string;
  /** `--prefix`: the table prefix (SQL) or key prefix (Redis) (else `ONBOARDING_PREFIX`). */
  readonly prefix?: string;
  /** `--json`: machine-readable output on stdout. */
  readonly json?: boolean;
}

/** The environment variable that gives the connection string when `--url` is absent. */
export const URL_ENV = "ONBOARDING_DATABASE_URL";
/** The environment variable that gives the prefix when `--prefix` is absent. */
export const PREFIX_ENV = "ONBOARDING_PREFIX";

/** Opens the store the options name, runs `body` on it, and closes it whatever happens. */
export async function withConnection<T>(
  io: CliIo,
  options: CommonOptions,
  connectOptions: Omit<ConnectOptions, "prefix">,
  body: (connection: Connection) => Promise<T>,
): Promise<T> {
  const target = parseTarget(options.url ?? io.env[URL_ENV]);
  const prefix = options.prefix ?? io.env[PREFIX_ENV];
  const connection = await connect(target, {
    ...connectOptions,
    ...(prefix === undefined || prefix === "" ? {} : { prefix }),
  });
  try {
    return await body(connection);
  } finally {
    await connection.close();
  }
}

/** The prefix a connection uses, for output: the one given, or the adapter's default. */
export function prefixOf(connection: Connection): string {
  if (connection.prefix !== null) return connection.prefix;
  return connection.kind === "redis" ? "onboarding" : "onboarding_";
}
