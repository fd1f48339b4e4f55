/**
 * page/types.ts — what the example server tells the page besides the HTTP contract: who is
 * acting and what they may do (`GET /wizard/session`). Shared by the server (wizard-routes.ts)
 * and the pages, so the two agree. Types only.
 */
import type { Capability } from "../../../src/vocabulary/index.js";

/** A demo operator as the picker shows them. */
export interface DemoOperatorInfo {
  /** The actor id. */
  readonly id: string;
  /** Their name. */
  readonly name: string;
  /** Their role, in words. */
  readonly role: string;
  /** Everything they may do. */
  readonly capabilities: readonly Capability[];
}

/** What `GET /wizard/session` answers. */
export interface WizardSession {
  /** The acting user, with what they may do (the page shows an action only with its capability). */
  readonly actor: DemoOperatorInfo;
  /** The operators the picker offers. */
  readonly operators: readonly DemoOperatorInfo[];
  /** The bootstrap operations to offer. */
  readonly bootstrapOperations: readonly string[];
}
