/**
 * Connection strings: which adapter a `--url` names, and how to show it without its password.
 * Pure.
 */
import { ConfigurationError } from "../index.js";

/** The adapters the CLI can open from a connection string. */
export type AdapterKind = "postgres" | "mysql" | "sqlite" | "redis";

/** A parsed connection string. */
export interface Target {
  /** Which adapter. */
  readonly kind: AdapterKind;
  /** What the driver gets: the URL (`mariadb://` given as `mysql://`), or for SQLite the file name. */
  readonly location: string;
  /** The connection string with its password replaced by `***`, for output. */
  readonly display: string;
}

const SCHEMES: Readonly<Record<string, AdapterKind>> = {
  "postgres:": "postgres",
  "postgresql:": "postgres",
  "mysql:": "mysql",
  "mariadb:": "mysql",
  "sqlite:": "sqlite",
  "file:": "sqlite",
  "redis:": "redis",
  "rediss:": "redis",
};

const SUPPORTED = "postgres://, mysql://, mariadb://, sqlite:<file>, file:<file> or redis://";

/** The URL with any password replaced by `***`. */
export function redact(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@]*):[^@/]*@/i, "$1:***@");
}

/** `sqlite:./app.db`, `sqlite:///var/app.db`, `file:app.db`, `sqlite::memory:` -> the file name. */
function sqliteFile(url: string, scheme: string): string {
  let rest = url.slice(scheme.length).replace(/[?#].*$/, "");
  if (rest.startsWith("//")) rest = rest.slice(2); // sqlite:///abs/path keeps its leading slash
  try {
    rest = decodeURIComponent(rest);
  } catch {
    // Not percent-encoded text: use it as typed.
  }
  if (rest === "") throw new ConfigurationError("url", `${scheme} needs a file name, e.g. ${scheme}./onboarding.db`);
  return rest;
}

/**
 * Which adapter a connection string names.
 *
 * @throws {@link ConfigurationError} (`url`) when there is none, or for a scheme no adapter serves.
 *
 * @example (the CLI's own code, not a package export, so not type-checked)
 * ```text
 * parseTarget("mariadb://root@127.0.0.1/test").kind; // "mysql"
 * parseTarget("sqlite:./onboarding.db").location; // "./onboarding.db"
 * ```
 */
export function parseTarget(url: string | undefined): Target {
  if (url === undefined || url.trim() === "") {
    throw new ConfigurationError(
      "url",
      `no connection string: pass --url or set ONBOARDING_DATABASE_URL (${SUPPORTED})`,
    );
  }
  const text = url.trim();
  const scheme = /^[a-z][a-z0-9+.-]*:/i.exec(text)?.[0]?.toLowerCase() ?? "";
  const kind = SCHEMES[scheme];
  if (kind === undefined) {
    const shown = scheme === "" ? "no scheme" : `the scheme ${JSON.stringify(scheme)}`;
    throw new ConfigurationError("url", `cannot use a connection string with ${shown}: use ${SUPPORTED}`);
  }
  if (kind === "sqlite") return { kind, location: sqliteFile(text, scheme), display: text };
  if (!text.slice(scheme.length).startsWith("//")) {
    throw new ConfigurationError("url", `a ${kind} connection string looks like ${scheme}//user@host:port/...`);
  }
  const location = scheme === "mariadb:" ? `mysql:${text.slice(scheme.length)}` : text;
  return { kind, location, display: redact(text) };
}
