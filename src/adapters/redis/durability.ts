/**
 * The Redis store's durability option: `WAIT numreplicas timeout` before a write (or an
 * idempotent replay) is acknowledged. Redis replicates asynchronously, so without it a commit
 * the master acknowledged can vanish in a failover that promotes a replica it had not reached.
 *
 * How the wait is made sound. `WAIT` is documented to count the replicas that acknowledged the
 * writes made earlier on the connection it arrives on, so it has to follow the write on that
 * connection. (Redis 7.0 in fact records the master's offset at a connection's last command of
 * any kind, so a connection whose first command is `WAIT` gets an immediate count that confirms
 * nothing.) ioredis routes a keyless `WAIT` to a random Cluster node and scripts may not call it,
 * so the store sends one pipeline, which ioredis writes in order on the one connection to the
 * node that owns the first key's slot: the write script, a tiny write of the workspace's barrier
 * key (`{<prefix>:ws:<workspace>}:wait`), then `WAIT`. The barrier covers the one case where the
 * script itself writes nothing: ioredis sending the whole pipeline again on a new connection
 * after the first one dropped, when the resent script recognises its earlier run. Wherever the
 * `WAIT` ends up, the barrier was written on its connection just before it, after everything that
 * master held, so the count is about the write being acknowledged, by the documented contract
 * alone. A partly answered pipeline is never resent (ioredis aborts the rest), so a `WAIT` cut
 * off after the script's reply is an unconfirmed write, never a second count elsewhere.
 *
 * May import: store/ (nothing yet), record/, node built-ins. ioredis never (the store passes
 * its client as the minimal {@link PipelineClient}).
 */
import { ConfigurationError } from "../../record/index.js";

/**
 * `durability` of {@link RedisStoreOptions}: how many replicas must hold a write before the
 * store acknowledges it.
 */
export interface RedisDurability {
  /**
   * Replicas of the master holding the draft's slot that must have received each write (WAIT's
   * `numreplicas`). A whole number >= 1.
   */
  readonly replicas: number;
  /**
   * How long a write waits for them, in milliseconds (WAIT's `timeout`); default 1000. A whole
   * number from 1 to 2^31 - 1 (WAIT 0 would wait for ever, so it is refused).
   */
  readonly timeoutMs?: number;
}

/** The default {@link RedisDurability.timeoutMs}. */
export const DEFAULT_DURABILITY_TIMEOUT_MS = 1_000;

/** How a {@link RedisDurability} was checked: both numbers present. */
export interface CheckedDurability {
  /** WAIT's `numreplicas`. */
  readonly replicas: number;
  /** WAIT's `timeout`, in ms. */
  readonly timeoutMs: number;
}

/**
 * Validates the `durability` option (`null` when absent).
 *
 * @throws {@link onboarding-lifecycle!ConfigurationError} for a value out of range.
 */
export function checkDurability(durability: RedisDurability | undefined): CheckedDurability | null {
  if (durability === undefined) return null;
  const { replicas } = durability;
  const timeoutMs = durability.timeoutMs ?? DEFAULT_DURABILITY_TIMEOUT_MS;
  if (typeof replicas !== "number" || !Number.isSafeInteger(replicas) || replicas < 1) {
    throw new ConfigurationError(
      "durability",
      `durability.replicas must be a whole number >= 1, got ${String(replicas)} (leave durability out to acknowledge without waiting)`,
    );
  }
  if (typeof timeoutMs !== "number" || !Number.isSafeInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > 2 ** 31 - 1) {
    throw new ConfigurationError(
      "durability",
      `durability.timeoutMs must be a whole number of milliseconds from 1 to 2^31 - 1, got ${String(timeoutMs)}`,
    );
  }
  return { replicas, timeoutMs };
}

const BRAND: unique symbol = Symbol.for("onboarding-lifecycle.redis.unconfirmed-replication") as never;

/**
 * The cause of the `StoreError` a Redis store with `durability` throws when a write it sent was
 * applied on the master but not confirmed by enough replicas: `WAIT` counted fewer than asked
 * within the timeout, or its reply never came (the connection dropped after the script's reply).
 *
 * What it means: **the outcome is unknown**, like any `StoreError`. The write is on the master
 * and, replicated late, will usually stay; but if that master fails before a replica has it,
 * a failover discards it. Resolve it as any unknown outcome: retry the command with the same
 * idempotency key (the store confirms a replay the same way, so an acknowledged replay is one the
 * replicas hold) or read the draft again once the replicas are back. Read it with
 * {@link unconfirmedReplicationOf}.
 *
 * @example
 * ```ts
 * import { unconfirmedReplicationOf } from "onboarding-lifecycle/adapters/redis";
 * declare const error: unknown;
 * const unconfirmed = unconfirmedReplicationOf(error);
 * if (unconfirmed !== null) {
 *   console.warn(`applied on the master, ${unconfirmed.acknowledged ?? "?"} of ${unconfirmed.requested} replicas confirmed`);
 * }
 * ```
 */
export class UnconfirmedReplicationError extends Error {
  /** The store operation (`insert`, `commit`, `loadIdempotency`). */
  readonly operation: string;
  /** The replicas asked for (`durability.replicas`). */
  readonly requested: number;
  /** The replicas WAIT counted, or `null` when WAIT did not answer (its cause says why). */
  readonly acknowledged: number | null;
  /** The timeout WAIT had, in ms. */
  readonly timeoutMs: number;

  /**
   * @param operation the store operation
   * @param requested replicas asked for
   * @param acknowledged replicas counted, or `null`
   * @param timeoutMs WAIT's timeout
   * @param cause why WAIT did not answer, if it did not
   */
  constructor(operation: string, requested: number, acknowledged: number | null, timeoutMs: number, cause?: unknown) {
    super(
      `${operation} applied on the Redis master, but ${acknowledged === null ? "no WAIT reply came" : `WAIT confirmed ${acknowledged} of ${requested} replicas in ${timeoutMs} ms`}: the outcome is unknown (a failover now may discard it)`,
      cause === undefined ? undefined : { cause },
    );
    this.name = "UnconfirmedReplicationError";
    this.operation = operation;
    this.requested = requested;
    this.acknowledged = acknowledged;
    this.timeoutMs = timeoutMs;
    Object.defineProperty(this, BRAND, { value: true, enumerable: false });
  }
}

/**
 * The {@link UnconfirmedReplicationError} behind an error (a `StoreError` thrown by the store or
 * the engine, or the error itself), or `null` for any other error. Works across copies of the
 * package (ESM and CJS): it checks a registered brand, not the prototype.
 *
 * @example
 * ```ts
 * declare const error: unknown;
 * if (unconfirmedReplicationOf(error)) console.log("applied on the master; not yet on the replicas");
 * ```
 */
export function unconfirmedReplicationOf(error: unknown): UnconfirmedReplicationError | null {
  for (let current: unknown = error, depth = 0; current instanceof Error && depth < 5; depth += 1) {
    if ((current as { [BRAND]?: unknown })[BRAND] === true) return current as UnconfirmedReplicationError;
    current = current.cause;
  }
  return null;
}

/** The pipeline surface the store uses: `pipeline()` on a `Redis` or a `Cluster`. */
export interface PipelineClient {
  /** A new pipeline. */
  pipeline(): {
    /** Queues a command. */
    call(command: string, ...args: (string | number)[]): unknown;
    /** Sends the queued commands; each result as `[error, reply]`. */
    exec(): Promise<[Error | null, unknown][] | null>;
  };
  /** Runs one command (through the client's redirect handling on a Cluster). */
  call(command: string, ...args: (string | number)[]): Promise<unknown>;
}

/** How long the barrier key lives after the last durable write of its workspace. */
const BARRIER_TTL_MS = 60_000;

/** The workspace's barrier key, from any key of the workspace (the hash tag ends at the first `}`). */
export function durabilityBarrierKey(workspaceKey: string): string {
  return `${workspaceKey.slice(0, workspaceKey.indexOf("}") + 1)}:wait`;
}

/** A reply that says the script did not run on this node (the command can be sent again). */
function isRedirect(error: Error): boolean {
  return /^(MOVED|ASK|TRYAGAIN|CLUSTERDOWN) /.test(error.message);
}

function isNoScript(error: Error): boolean {
  return error.message.startsWith("NOSCRIPT");
}

/** How many times a pipeline is sent again after a redirect before the error is the answer. */
const MAX_REDIRECTS = 5;

/** What a confirmed send returns: the first command's reply. */
export interface DurableSender {
  /**
   * Runs a write script (EVALSHA, then EVAL if the node lacks it) followed by the barrier and
   * WAIT on one connection. `argv` is EVALSHA's argument list with `argv[0]` free for the
   * script. Returns the script's reply; throws {@link UnconfirmedReplicationError} when the
   * reply says it wrote (`{"ok"}`) and WAIT confirmed too few replicas.
   */
  script(operation: string, sha: string, source: string, argv: (string | number)[]): Promise<unknown>;
  /** GET `key`, then the barrier and WAIT; the value once confirmed (a missing one needs none). */
  get(operation: string, key: string): Promise<unknown>;
}

/** The durable sender of a store, over its client. */
export function durableSender(client: PipelineClient, durability: CheckedDurability): DurableSender {
  const { replicas, timeoutMs } = durability;

  /** The command, the barrier, WAIT: one pipeline, sent again (bounded) after a redirect. */
  async function send(
    operation: string,
    command: () => [string, ...(string | number)[]],
    key: string,
    mustConfirm: (reply: unknown) => boolean,
  ): Promise<unknown> {
    for (let redirects = 0; ; redirects += 1) {
      const [name, ...args] = command();
      const pipeline = client.pipeline();
      pipeline.call(name, ...args);
      pipeline.call("set", durabilityBarrierKey(key), "1", "PX", BARRIER_TTL_MS);
      pipeline.call("wait", replicas, timeoutMs);
      const results = (await pipeline.exec()) ?? [];
      const [first, barrier, wait] = results;
      const error = first?.[0] ?? null;
      if (error !== null) {
        if (isNoScript(error) || !isRedirect(error) || redirects >= MAX_REDIRECTS) throw error;
        // The command did not run. A keyed read goes through the client's own redirect handling
        // (it learns the slot's new owner, or waits out a failover), then the pipeline goes again.
        await client.call("exists", key);
        continue;
      }
      const reply = first?.[1];
      if (!mustConfirm(reply)) return reply;
      const failure = barrier?.[0] ?? wait?.[0] ?? null;
      if (failure !== null || wait === undefined) {
        throw new UnconfirmedReplicationError(operation, replicas, null, timeoutMs, failure ?? undefined);
      }
      const counted = Number(wait[1]);
      if (!(counted >= replicas)) throw new UnconfirmedReplicationError(operation, replicas, counted, timeoutMs);
      return reply;
    }
  }

  const wrote = (reply: unknown): boolean => Array.isArray(reply) && String(reply[0]) === "ok";
  const found = (reply: unknown): boolean => reply !== null && reply !== undefined;

  return {
    async script(operation, sha, source, argv) {
      const key = String(argv[2]);
      const withScript = (body: string, command: string) => (): [string, ...(string | number)[]] => {
        argv[0] = body;
        return [command, ...argv];
      };
      try {
        return await send(operation, withScript(sha, "evalsha"), key, wrote);
      } catch (error) {
        if (!(error instanceof Error) || !isNoScript(error)) throw error;
        // First use on this node (or after SCRIPT FLUSH / failover): EVAL also caches it.
        return send(operation, withScript(source, "eval"), key, wrote);
      }
    },
    get(operation, key) {
      return send(operation, () => ["get", key], key, found);
    },
  };
}
