/**
 * What an actor asks permission for. The engine calls your `authorize` function with one of
 * these before every read and command.
 *
 * @example
 * ```ts
 * const authorize: Authorize<User> = (actor, capability) =>
 *   capability === Capability.OverrideReadiness ? actor.roles.includes("owner") : true;
 * ```
 */
export const Capability = {
  /** Read a draft and its audit trail. */
  View: "view",
  /** Start a new draft (the draft passed to `authorize` is `null`). */
  Create: "create",
  /** Set or change the tenant identity. */
  Identify: "identify",
  /** Select or edit the provider connection. */
  ManageProvider: "manage_provider",
  /** Start a verification run. */
  Verify: "verify",
  /** Start bootstrap runs. */
  Bootstrap: "bootstrap",
  /** Report a background run's progress or result (workers). */
  RecordResult: "record_result",
  /** Activate a ready draft. */
  Activate: "activate",
  /** Activate despite overridable blockers (asked in addition to `activate`). */
  OverrideReadiness: "override_readiness",
  /** Cancel a draft. */
  Cancel: "cancel",
} as const;

/** One of the values of {@link Capability}. */
export type Capability = (typeof Capability)[keyof typeof Capability];

/** Every capability. */
export const CAPABILITIES: readonly Capability[] = Object.freeze(Object.values(Capability));
