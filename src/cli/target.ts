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
  /** Redis Cluster only (`redis+cluster://`): the seed nodes and the credentials they share. */
  readonly cluster?: ClusterSeeds;
}

/** The seed nodes of a `redis+cluster://` connection string (ioredis' `Cluster` finds the rest). */
export interface ClusterSeeds {
  /** The nodes listed, in order. */
  readonly nodes: readonly { readonly host: string; readonly port: number }[];
  /** The user name (ACL), when given. */
  readonly username?: string;
  /** The password, when given. */
  readonly password?: string;
  /** Whether the nodes speak TLS (`rediss+cluster://`). */
  readonly tls: boolean;
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
  "redis+cluster:": "redis",
  "rediss+cluster:": "redis",
};

const SUPPORTED =
  "postgres://, mysql://, mariadb://, sqlite:<file>, file:<file>, redis:// or redis+cluster://host:port,host:port";

const CLUSTER_FORM = "redis+cluster://[user:password@]host:port[,host:port...]";

function decoded(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text; // not percent-encoded: as typed
  }
}

/** One `host:port` of a cluster seed list (`[::1]:7000` for IPv6). */
function seedNode(text: string): { host: string; port: number } {
  const match = /^(\[[^\]]+\]|[^:[\]]+):(\d{1,5})$/.exec(text);
  const host = match?.[1];
  const port = Number(match?.[2]);
  if (host === undefined || !Number.isInteger(port) || port < 1 || port > 65_535) {
    throw new ConfigurationError(
      "url",
      `a cluster node must be host:port, not ${JSON.stringify(text)}: ${CLUSTER_FORM}`,
    );
  }
  return { host: host.replace(/^\[|\]$/g, ""), port };
}

/** `redis+cluster://user:pw@h1:7000,h2:7001/` -> its seed nodes and credentials. */
function clusterSeeds(text: string, scheme: string): ClusterSeeds {
  const rest = text.slice(scheme.length);
  if (!rest.startsWith("//"))
    throw new ConfigurationError("url", `a Redis Cluster connection string looks like ${CLUSTER_FORM}`);
  const authority = rest.slice(2).replace(/[/?#].*$/, "");
  const at = authority.lastIndexOf("@");
  const credentials = at < 0 ? "" : authority.slice(0, at);
  const hosts = (at < 0 ? authority : authority.slice(at + 1)).split(",").filter((h) => h !== "");
  if (hosts.length === 0) throw new ConfigurationError("url", `no cluster node given: ${CLUSTER_FORM}`);
  const colon = credentials.indexOf(":");
  const username = decoded(colon < 0 ? credentials : credentials.slice(0, colon));
  const password = colon < 0 ? undefined : decoded(credentials.slice(colon + 1));
  return {
    nodes: hosts.map(seedNode),
    ...(username === "" ? {} : { username }),
    ...(password === undefined ? {} : { password }),
    tls: scheme === "rediss+cluster:",
  };
}

/** The URL with any password replaced by `***`. */
export function redact(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@]*):[^@/]*@/i, "$1:***@");
}

/** `sqlite:./app.db`, `sqlite:///var/app.db`, `file:app.db`, `sqlite::memory:` -> the file name. */
function sqliteFile(url: string, scheme: string): string {
  let rest = url.slice(scheme.length).replace(/[?#].*$/, "");
  if (rest.startsWith("//")) rest = rest.slice(2); // sqlite:///abs/path keeps its leading slash
  rest = decoded(rest);
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
  if (scheme.endsWith("+cluster:"))
    return { kind, location: text, display: redact(text), cluster: clusterSeeds(text, scheme) };
  if (!text.slice(scheme.length).startsWith("//")) {
    throw new ConfigurationError("url", `a ${kind} connection string looks like ${scheme}//user@host:port/...`);
  }
  const location = scheme === "mariadb:" ? `mysql:${text.slice(scheme.length)}` : text;
  return { kind, location, display: redact(text) };
}
