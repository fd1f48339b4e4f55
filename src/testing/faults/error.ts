/**
 * The error behind every injected fault. The wrapper throws it as the `cause` of a
 * `StoreError`, which is what the engine surfaces: the caller sees a storage failure it cannot
 * tell from a real one (whether the write applied is unknown to it), while a test can still find
 * out, from the cause, which fault it was.
 */
import { StoreError } from "../../record/index.js";
import type { FaultRecord } from "./log.js";

/**
 * The cause of a `StoreError` thrown by {@link injectFaults}: carries the log record of the
 * fault. Its message is the same for every kind, as a dropped connection's would be.
 *
 * @example
 * ```ts
 * try {
 *   await engine.execute(ws, draftId, command, { actor, expectedVersion: draft.version, idempotencyKey: "op-1" });
 * } catch (error) {
 *   const fault = injectedFaultOf(error); // the record, when a fault caused it
 *   if (fault?.kind === "after") console.log("the commit applied; a retry will replay it");
 * }
 * ```
 */
export class InjectedFault extends Error {
  /** @param fault the log record of the fault */
  constructor(readonly fault: FaultRecord) {
    super("connection lost (injected fault)");
    this.name = "InjectedFault";
  }
}

/** The `StoreError` a faulty call throws. */
export function faultError(adapter: string, fault: FaultRecord): StoreError {
  return new StoreError(adapter, fault.method, new InjectedFault(fault));
}

/**
 * The fault record behind an error thrown through {@link injectFaults} (the `StoreError`'s
 * cause), or `null` for any other error.
 *
 * @example
 * ```ts
 * declare const error: unknown;
 * const fault = injectedFaultOf(error);
 * if (fault !== null) console.log(fault.kind, fault.method, fault.call);
 * ```
 */
export function injectedFaultOf(error: unknown): FaultRecord | null {
  for (let current: unknown = error, depth = 0; current instanceof Error && depth < 5; depth += 1) {
    if (current instanceof InjectedFault) return current.fault;
    current = current.cause;
  }
  return null;
}
