/**
 * Helpers shared by the SQL adapters: identifier validation and quoting. Values are never
 * interpolated into SQL; only validated identifiers (table names) are.
 */
import { ConfigurationError } from "../record/index.js";

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,47}$/;

/**
 * Checks that a configurable name (a table prefix or table name) is a plain SQL identifier:
 * a letter or underscore, then letters, digits or underscores, at most 48 characters.
 *
 * @throws {@link ConfigurationError} otherwise.
 */
export function assertIdentifier(name: string, option: string): string {
  if (!IDENTIFIER.test(name)) {
    throw new ConfigurationError(option, `${option} must match ${IDENTIFIER.source}, got ${JSON.stringify(name)}`);
  }
  return name;
}
