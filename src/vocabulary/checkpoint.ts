/**
 * The wizard's checkpoints (steps), in order.
 *
 * @example
 * ```ts
 * import { Checkpoint, compareCheckpoints } from "onboarding-lifecycle";
 * compareCheckpoints(Checkpoint.Identify, Checkpoint.Activate); // negative: identify comes first
 * ```
 */
export const Checkpoint = {
  /** Step 1: name the customer tenant. */
  Identify: "identify",
  /** Step 2: choose the provider connection. */
  ConnectProvider: "connect_provider",
  /** Step 3: verify access through the connection (a background run). */
  VerifyAccess: "verify_access",
  /** Step 4: bootstrap operations (background runs, optional unless policy requires them). */
  Bootstrap: "bootstrap",
  /** Step 5: activate the tenant. */
  Activate: "activate",
} as const;

/** One of the values of {@link Checkpoint}. */
export type Checkpoint = (typeof Checkpoint)[keyof typeof Checkpoint];

/** Every checkpoint in wizard order. */
export const CHECKPOINTS: readonly Checkpoint[] = Object.freeze([
  Checkpoint.Identify,
  Checkpoint.ConnectProvider,
  Checkpoint.VerifyAccess,
  Checkpoint.Bootstrap,
  Checkpoint.Activate,
]);

/** Zero-based position of a checkpoint in wizard order. */
export function checkpointIndex(checkpoint: Checkpoint): number {
  return CHECKPOINTS.indexOf(checkpoint);
}

/**
 * Orders two checkpoints: negative when `a` comes before `b`, zero when equal, positive after.
 * Usable as an `Array.prototype.sort` comparator.
 */
export function compareCheckpoints(a: Checkpoint, b: Checkpoint): number {
  return checkpointIndex(a) - checkpointIndex(b);
}

/** The checkpoint after `checkpoint`, or `null` after `activate`. */
export function nextCheckpoint(checkpoint: Checkpoint): Checkpoint | null {
  return CHECKPOINTS[checkpointIndex(checkpoint) + 1] ?? null;
}

/** The checkpoint before `checkpoint`, or `null` before `identify`. */
export function previousCheckpoint(checkpoint: Checkpoint): Checkpoint | null {
  const index = checkpointIndex(checkpoint);
  return index <= 0 ? null : (CHECKPOINTS[index - 1] ?? null);
}

/** Whether an unknown value is one of the {@link Checkpoint} strings. */
export function isCheckpoint(value: unknown): value is Checkpoint {
  return typeof value === "string" && (CHECKPOINTS as readonly string[]).includes(value);
}
