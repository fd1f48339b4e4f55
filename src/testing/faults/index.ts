/**
 * faults/ — fault-injecting store wrappers. `injectFaults` (`inject.ts`) is the seeded,
 * replayable one: its plan (`plan.ts`), the log of what it injected (`log.ts`), the error behind
 * each fault (`error.ts`) and the hold that reorders concurrent commits (`reorder.ts`).
 * `withFaults` (`with-faults.ts`) is the first, simpler wrapper: random failures before or after
 * chosen methods, from a caller's random source.
 *
 * May import: store/ (the port's types) and record/ (`StoreError`).
 */
export { injectFaults, type FaultController, type FaultyStore } from "./inject.js";
export type { FaultPlan, StoreMethod } from "./plan.js";
export { FAULT_KINDS, formatFault, type FaultCounts, type FaultKind, type FaultRecord } from "./log.js";
export { InjectedFault, injectedFaultOf } from "./error.js";
export { withFaults, type FaultOptions } from "./with-faults.js";
