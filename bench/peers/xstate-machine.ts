/**
 * The package's lifecycle written as an XState v5 machine, as faithfully as XState allows, for
 * the pure-core vs XState comparison in `bench/peers/xstate.ts`. `test/core/xstate-peer.properties.test.ts`
 * checks on random command sequences that this machine and the package's reducer agree on the
 * lifecycle state, the current checkpoint, the version and whether a draft can be activated, so
 * the benchmark compares the same behaviour.
 *
 * Shape: the states are the lifecycle's, the sub-states its current checkpoint
 * (`{ open: { draft: "verify_access" } }` is state `draft`, checkpoint `verify_access`); the
 * events are the package's commands, unchanged (`Command`); the context holds the same
 * document parts the package's commands read (identity, provider and revision, the
 * verification run, the bootstrap runs, the invalidation cause) plus the version and a run-id
 * counter. The guards are the commands' guards. Statically known targets are written as
 * targets; where the next state depends on data (a run completed: is another still active, did
 * one fail?) the transition goes through a choice state (`route*`, eventless `always`
 * transitions with guards), the XState idiom for a data-dependent branch.
 *
 * Where it cannot be equivalent:
 *
 * - **A refused command is silent.** The package throws a typed error (`InvalidTransitionError`,
 *   `RunActiveError`, `NotReadyError`, `TerminalDraftError`) naming the requirement that failed;
 *   XState ignores an event whose guards all fail and returns the same snapshot, with no reason.
 *   Likewise a dedupe / unchanged / ignored report is "no transition" here, where the package
 *   says which (`deduped`, `ignored_stale_result`, ...).
 * - **Readiness is a boolean.** `snapshot.can({ type: "activate" })` answers "may I activate";
 *   the package's `evaluateReadiness` also lists every blocker with its checkpoint, message and
 *   whether it is overridable. Custom readiness policies (age limits, required operations) would
 *   be more guards; this machine has the default policy only.
 * - **The state is stored, not derived.** The package derives the lifecycle from the document on
 *   every read, so a document written by another process or an older version is read right.
 *   XState's state value is stored beside the context; a persisted snapshot must be trusted
 *   (or re-validated by hand), and a document written elsewhere has no state value at all.
 * - **No lifecycle reason.** The reason (`provider_changed`, `verification_timed_out`, ...) is
 *   not a state here (it would double the states); it stays derivable from the context.
 * - **Timestamps, actors, messages and the invalidation record** are left out of the context
 *   (pure `transition()` has no clock; the package takes `now` from its context argument).
 * - Progress reports (`record_*_progress`) are accepted without a transition, as the package
 *   accepts them without changing the record.
 */
import { assign, setup, type SnapshotFrom } from "xstate";
import type { Command } from "../../src/commands/index.js";
import type { Checkpoint, LifecycleState, RunOutcome } from "../../src/vocabulary/index.js";

/** The bootstrap limits of the record (`MAX_BOOTSTRAP_OPERATIONS`, `MAX_BOOTSTRAP_RUNS`). */
const MAX_OPERATIONS = 256;
const MAX_RUNS = 4096;

/** A run as the machine keeps it: what the lifecycle and the guards read. */
export interface MachineRun {
  /** The run id (`run-<n>` from the context's counter). */
  readonly runId: string;
  /** The operation (bootstrap) or `verify_access`. */
  readonly operation: string;
  /** queued, running or completed. */
  readonly status: "queued" | "running" | "completed";
  /** How it ended, once completed. */
  readonly outcome: RunOutcome | null;
  /** Expired for lack of reports. */
  readonly timedOut: boolean;
}

/** A verification run: a run plus the provider connection and revision it was made against. */
export interface MachineVerification extends MachineRun {
  /** The provider connection verified. */
  readonly providerConnectionId: string;
  /** Its revision at the time. */
  readonly providerRevision: number;
}

/** The machine's context: the document parts the commands read, the version and a run counter. */
export interface LifecycleContext {
  /** The draft version: 1 when created, + 1 per applied command. */
  readonly version: number;
  /** How many run ids were drawn (the next is `run-<runCounter + 1>`, as `testContext()` draws them). */
  readonly runCounter: number;
  /** The tenant identity. */
  readonly identity: {
    readonly tenantId: string;
    readonly displayName: string;
    readonly primaryDomain?: string;
  } | null;
  /** The selected provider connection. */
  readonly provider: { readonly connectionId: string; readonly revision: number } | null;
  /** The current verification run. */
  readonly verification: MachineVerification | null;
  /** Every bootstrap operation requested and every run, oldest first. */
  readonly bootstrap: { readonly operations: readonly string[]; readonly runs: readonly MachineRun[] } | null;
  /** What the last provider change invalidated (the cause only). */
  readonly invalidation: "provider_changed" | "provider_updated" | null;
  /** Activated with an override reason. */
  readonly override: string | null;
}

type Ctx = LifecycleContext;

const ACTIVE = (status: MachineRun["status"]): boolean => status !== "completed";
const GOOD = (outcome: RunOutcome | null): boolean => outcome === "succeeded" || outcome === "partially_succeeded";

function isStale(context: Ctx): boolean {
  const { provider, verification } = context;
  if (provider === null || verification === null) return false;
  return (
    verification.providerConnectionId !== provider.connectionId || verification.providerRevision !== provider.revision
  );
}

/** The latest run of each operation (the package's `currentBootstrapRuns`). */
function currentRuns(context: Ctx): MachineRun[] {
  const latest = new Map<string, MachineRun>();
  for (const run of context.bootstrap?.runs ?? []) {
    latest.delete(run.operation);
    latest.set(run.operation, run);
  }
  return [...latest.values()];
}

function invalidationAfterProviderChange(
  context: Ctx,
  cause: "provider_changed" | "provider_updated",
): Ctx["invalidation"] {
  return context.verification === null && (context.bootstrap?.runs.length ?? 0) === 0 ? context.invalidation : cause;
}

type RunReport = Extract<Command, { type: "record_verification_result" | "record_bootstrap_result" }>;

/** The run with the report applied (the package's recipe for `record_*_result`). */
function reported<R extends MachineRun>(run: R, event: RunReport): R {
  return event.status === "completed"
    ? { ...run, status: "completed", outcome: event.outcome ?? null }
    : { ...run, status: "running" };
}

/** A report changes the run unless it repeats `running` without a message. */
function reportChanges(run: MachineRun, event: RunReport): boolean {
  return !(event.status === "running" && run.status === "running" && event.message === undefined);
}

function expired<R extends MachineRun>(run: R): R {
  return { ...run, status: "completed", outcome: "failed", timedOut: true };
}

/** The bootstrap runs to start for a `start_bootstrap` event, or `null` when it is refused or deduped. */
function bootstrapPlan(
  context: Ctx,
  event: Extract<Command, { type: "start_bootstrap" }>,
): { readonly toStart: readonly string[]; readonly superseded: ReadonlySet<string> } | null {
  const active = new Map<string, string>();
  for (const run of currentRuns(context)) if (ACTIVE(run.status)) active.set(run.operation, run.runId);
  const policy = event.policy ?? "attach";
  const busy = event.operations.filter((operation) => active.has(operation));
  if (policy === "reject" && busy.length > 0) return null;
  const supersede = policy === "supersede";
  const toStart = supersede ? event.operations : event.operations.filter((operation) => !active.has(operation));
  if (toStart.length === 0) return null;
  const known = new Set(context.bootstrap?.operations ?? []);
  if (known.size + toStart.filter((operation) => !known.has(operation)).length > MAX_OPERATIONS) return null;
  if ((context.bootstrap?.runs.length ?? 0) + toStart.length > MAX_RUNS) return null;
  const superseded = new Set<string>();
  if (supersede) for (const operation of busy) superseded.add(active.get(operation)!);
  return { toStart, superseded };
}

const bumped = (context: Ctx): Pick<Ctx, "version"> => ({ version: context.version + 1 });

/**
 * The lifecycle as an XState v5 machine. Drive it with the pure `transition(lifecycleMachine,
 * snapshot, command)` from `xstate`, starting from `initialTransition(lifecycleMachine)[0]`.
 */
export const lifecycleMachine = setup({
  types: {
    context: {} as LifecycleContext,
    events: {} as Command,
  },
  actions: {
    // The one action shared by three states.
    startBootstrap: assign(({ context, event }) => {
      if (event.type !== "start_bootstrap") return {};
      const plan = bootstrapPlan(context, event)!;
      const operations = [...(context.bootstrap?.operations ?? [])];
      const runs: MachineRun[] = (context.bootstrap?.runs ?? []).map((run) =>
        plan.superseded.has(run.runId) ? { ...run, status: "completed", outcome: "cancelled" } : run,
      );
      let runCounter = context.runCounter;
      for (const operation of plan.toStart) {
        if (!operations.includes(operation)) operations.push(operation);
        runCounter += 1;
        runs.push({
          runId: `run-${runCounter}`,
          operation,
          status: "queued",
          outcome: null,
          timedOut: false,
        });
      }
      return { ...bumped(context), runCounter, bootstrap: { operations, runs } };
    }),
  },
  guards: {
    verificationSucceeded: ({ context }) =>
      context.verification !== null &&
      context.verification.status === "completed" &&
      GOOD(context.verification.outcome),
    bootstrapActive: ({ context }) => currentRuns(context).some((run) => ACTIVE(run.status)),
    bootstrapFailed: ({ context }) => currentRuns(context).some((run) => !ACTIVE(run.status) && !GOOD(run.outcome)),
    bootstrapStarted: ({ context }) => (context.bootstrap?.runs.length ?? 0) > 0,
  },
}).createMachine({
  id: "lifecycle",
  initial: "open",
  context: {
    version: 1,
    runCounter: 0,
    identity: null,
    provider: null,
    verification: null,
    bootstrap: null,
    invalidation: null,
    override: null,
  },
  states: {
    open: {
      initial: "draft",
      // Commands accepted in every open state; the sub-states add their own.
      on: {
        identify: {
          guard: ({ context, event }) => {
            const current = context.identity;
            const same =
              current !== null &&
              current.tenantId === event.tenantId &&
              current.displayName === event.displayName &&
              current.primaryDomain === event.primaryDomain;
            return !same && (current === null || current.tenantId === event.tenantId || context.provider === null);
          },
          actions: assign(({ context, event }) => ({
            ...bumped(context),
            identity: {
              tenantId: event.tenantId,
              displayName: event.displayName,
              ...(event.primaryDomain === undefined ? {} : { primaryDomain: event.primaryDomain }),
            },
          })),
        },
        select_provider: {
          guard: ({ context, event }) =>
            context.identity !== null && context.provider?.connectionId !== event.connectionId,
          target: "#lifecycle.open.draft.verify_access",
          actions: assign(({ context, event }) => ({
            ...bumped(context),
            provider: { connectionId: event.connectionId, revision: 1 },
            verification: null,
            bootstrap: null,
            invalidation: invalidationAfterProviderChange(context, "provider_changed"),
          })),
        },
        update_provider_connection: {
          guard: ({ context, event }) => context.provider?.connectionId === event.connectionId,
          target: "#lifecycle.open.draft.verify_access",
          actions: assign(({ context }) => {
            const provider = context.provider!;
            const verified =
              context.verification?.providerConnectionId === provider.connectionId
                ? context.verification.providerRevision
                : 0;
            return {
              ...bumped(context),
              provider: { connectionId: provider.connectionId, revision: Math.max(provider.revision, verified) + 1 },
              bootstrap: null,
              invalidation: invalidationAfterProviderChange(context, "provider_updated"),
            };
          }),
        },
        start_verification: {
          guard: ({ context, event }) => {
            if (context.identity === null || context.provider === null) return false;
            const existing = context.verification;
            if (existing !== null && !isStale(context) && ACTIVE(existing.status)) {
              if ((event.policy ?? "attach") !== "supersede") return false; // attach dedupes, reject refuses
            }
            return !currentRuns(context).some((run) => ACTIVE(run.status));
          },
          target: "#lifecycle.open.verifying",
          actions: assign(({ context, event }) => {
            const provider = context.provider!;
            const runCounter = context.runCounter + 1;
            return {
              ...bumped(context),
              runCounter,
              verification: {
                runId: `run-${runCounter}`,
                operation: event.operation ?? "verify_access",
                status: "queued",
                outcome: null,
                timedOut: false,
                providerConnectionId: provider.connectionId,
                providerRevision: provider.revision,
              },
              invalidation: null,
            };
          }),
        },
        cancel: { target: "#lifecycle.cancelled", actions: assign(({ context }) => bumped(context)) },
      },
      states: {
        draft: {
          initial: "identify",
          states: {
            identify: {
              on: {
                identify: {
                  target: "connect_provider",
                  actions: assign(({ context, event }) => ({
                    ...bumped(context),
                    identity: {
                      tenantId: event.tenantId,
                      displayName: event.displayName,
                      ...(event.primaryDomain === undefined ? {} : { primaryDomain: event.primaryDomain }),
                    },
                  })),
                },
              },
            },
            connect_provider: {},
            verify_access: {},
          },
        },
        verifying: {
          tags: ["polling"],
          on: {
            record_verification_result: [
              {
                guard: ({ context, event }) =>
                  context.verification!.runId === event.runId &&
                  event.status === "completed" &&
                  reportChanges(context.verification!, event),
                target: "routeVerification",
                actions: assign(({ context, event }) => ({
                  ...bumped(context),
                  verification: reported(context.verification!, event),
                })),
              },
              {
                guard: ({ context, event }) =>
                  context.verification!.runId === event.runId && reportChanges(context.verification!, event),
                actions: assign(({ context, event }) => ({
                  ...bumped(context),
                  verification: reported(context.verification!, event),
                })),
              },
            ],
            expire_run: {
              guard: ({ context, event }) => context.verification!.runId === event.runId,
              target: "action_required.verify_access",
              actions: assign(({ context }) => ({ ...bumped(context), verification: expired(context.verification!) })),
            },
          },
        },
        /** Choice state: a verification run completed. */
        routeVerification: {
          always: [
            { guard: { type: "verificationSucceeded" }, target: "routeBootstrap" },
            { target: "action_required.verify_access" },
          ],
        },
        /** Choice state: rows 9 to 12 of the decision table (verification good, look at bootstrap). */
        routeBootstrap: {
          always: [
            { guard: { type: "bootstrapActive" }, target: "bootstrapping" },
            { guard: { type: "bootstrapFailed" }, target: "action_required.bootstrap" },
            { guard: { type: "bootstrapStarted" }, target: "ready_for_activation.activate" },
            { target: "ready_for_activation.bootstrap" },
          ],
        },
        action_required: {
          initial: "verify_access",
          states: {
            verify_access: {},
            bootstrap: {
              on: {
                start_bootstrap: {
                  guard: ({ context, event }) => bootstrapPlan(context, event) !== null,
                  target: "#lifecycle.open.bootstrapping",
                  actions: { type: "startBootstrap" },
                },
              },
            },
          },
        },
        bootstrapping: {
          tags: ["polling"],
          on: {
            start_bootstrap: {
              guard: ({ context, event }) => bootstrapPlan(context, event) !== null,
              target: "bootstrapping",
              actions: { type: "startBootstrap" },
            },
            record_bootstrap_result: [
              {
                guard: ({ context, event }) => {
                  const run = currentRuns(context).find((candidate) => candidate.runId === event.runId);
                  return run !== undefined && ACTIVE(run.status) && reportChanges(run, event);
                },
                target: "routeBootstrap",
                actions: assign(({ context, event }) => ({
                  ...bumped(context),
                  bootstrap: {
                    operations: context.bootstrap!.operations,
                    runs: context.bootstrap!.runs.map((run) =>
                      run.runId === event.runId ? reported(run, event) : run,
                    ),
                  },
                })),
              },
            ],
            expire_run: {
              guard: ({ context, event }) =>
                currentRuns(context).some((run) => run.runId === event.runId && ACTIVE(run.status)),
              target: "routeBootstrap",
              actions: assign(({ context, event }) => ({
                ...bumped(context),
                bootstrap: {
                  operations: context.bootstrap!.operations,
                  runs: context.bootstrap!.runs.map((run) => (run.runId === event.runId ? expired(run) : run)),
                },
              })),
            },
          },
        },
        ready_for_activation: {
          initial: "bootstrap",
          on: {
            start_bootstrap: {
              guard: ({ context, event }) => bootstrapPlan(context, event) !== null,
              target: "bootstrapping",
              actions: { type: "startBootstrap" },
            },
            activate: {
              // The default readiness policy: a succeeded verification is ready, one with
              // warnings (partially succeeded) needs an override reason.
              guard: ({ context, event }) =>
                context.verification!.outcome === "succeeded" || event.override !== undefined,
              target: "#lifecycle.completed",
              actions: assign(({ context, event }) => ({
                ...bumped(context),
                override: context.verification!.outcome === "succeeded" ? null : (event.override?.reason ?? null),
              })),
            },
          },
          states: { bootstrap: {}, activate: {} },
        },
      },
    },
    completed: { type: "final" },
    cancelled: { type: "final" },
  },
});

/** A snapshot of {@link lifecycleMachine}. */
export type LifecycleSnapshot = SnapshotFrom<typeof lifecycleMachine>;

/** The package's lifecycle state and current checkpoint of a machine snapshot. */
export function machineLifecycle(snapshot: LifecycleSnapshot): {
  readonly state: LifecycleState;
  readonly currentCheckpoint: Checkpoint | null;
} {
  const value = snapshot.value;
  if (value === "completed" || value === "cancelled") return { state: value, currentCheckpoint: null };
  const open = (value as { open: string | Record<string, string> }).open;
  if (open === "verifying") return { state: "verifying", currentCheckpoint: "verify_access" };
  if (open === "bootstrapping") return { state: "bootstrapping", currentCheckpoint: "bootstrap" };
  if (typeof open === "string") throw new Error(`machine rests in a choice state: ${open}`);
  const [state, checkpoint] = Object.entries(open)[0]!;
  return { state: state as LifecycleState, currentCheckpoint: checkpoint as Checkpoint };
}
