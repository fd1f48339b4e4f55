/**
 * The lifecycle transitions, found from the code: a bounded breadth-first exploration of the
 * pure reducer ({@link applyCommand}) from a brand-new draft, so the diagram in the docs can
 * never drift from what the commands actually do. The exploration lives here because it runs
 * the commands; drawing it as Mermaid is pure lifecycle presentation (`lifecycle/diagram.ts`,
 * which cannot import commands/ and takes the transitions as an argument).
 */
import {
  LIFECYCLE_STATES,
  RUN_OUTCOMES,
  isTerminal,
  type LifecycleState,
  type RunOutcome,
} from "../vocabulary/index.js";
import { isOnboardingError, type OnboardingDraft } from "../record/index.js";
import { currentBootstrapRuns, isVerificationStale, type LifecycleTransition } from "../lifecycle/index.js";
import type { CommandContext } from "./define.js";
import { newDraft } from "./create.js";
import { COMMAND_TYPES, applyCommand, type Command, type CommandType } from "./reducer.js";

/** How far the exploration goes: a draft reaches `completed` in 7 commands, so 12 leaves room for detours. */
const MAX_DEPTH = 12;
/** A fixed instant, so the exploration (and its output) is the same on every run. */
const NOW = "2026-01-01T00:00:00.000Z";
const ACTOR = "diagram";

/** What a worker may report about a run: progress, or completion with each outcome. */
type RunReport = { readonly status: "running" } | { readonly status: "completed"; readonly outcome: RunOutcome };

const RUN_REPORTS: readonly RunReport[] = [
  { status: "running" },
  ...RUN_OUTCOMES.map((outcome): RunReport => ({ status: "completed", outcome })),
];

/** The inputs tried on every draft: each command type, run reports with every status and outcome. */
function candidateCommands(draft: OnboardingDraft): Command[] {
  const commands: Command[] = [
    { type: "identify", tenantId: "tenant-1", displayName: "Contoso" },
    { type: "select_provider", connectionId: "conn-1" },
    { type: "select_provider", connectionId: "conn-2" },
    { type: "update_provider_connection", connectionId: draft.provider?.connectionId ?? "conn-1" },
    { type: "start_verification" },
    { type: "start_bootstrap", operations: ["seed_policies"] },
    { type: "activate" },
    { type: "activate", override: { reason: "warnings reviewed" } },
    { type: "cancel" },
  ];
  if (draft.verification !== null) {
    for (const report of RUN_REPORTS) {
      commands.push({ type: "record_verification_result", runId: draft.verification.runId, ...report });
    }
  }
  for (const run of currentBootstrapRuns(draft)) {
    for (const report of RUN_REPORTS) {
      commands.push({ type: "record_bootstrap_result", runId: run.runId, ...report });
    }
  }
  return commands;
}

/**
 * The exploration key of a draft: only what the lifecycle and the command guards read. Generated
 * ids, the version, timestamps and actors are left out; the provider revision becomes "does the
 * verification match it" (the only way it is read); superseded bootstrap runs are left out
 * (only the latest run of each operation counts); the invalidation keeps only its cause. Two
 * drafts with equal keys accept the same commands and move to equal keys, so exploring one of
 * them is enough, and the exploration ends on its own.
 */
function keyOf(draft: OnboardingDraft): string {
  const verification = draft.verification;
  return JSON.stringify([
    draft.identity === null ? null : [draft.identity.tenantId, draft.identity.displayName],
    draft.provider?.connectionId ?? null,
    verification === null ? null : [verification.status, verification.outcome, isVerificationStale(draft)],
    draft.bootstrap === null
      ? null
      : [
          draft.bootstrap.operations,
          currentBootstrapRuns(draft).map((run) => [run.operation, run.status, run.outcome]),
        ],
    draft.invalidation?.cause ?? null,
    draft.activation === null ? null : draft.activation.override !== null,
    draft.cancellation !== null,
  ]);
}

let cachedTransitions: readonly LifecycleTransition<CommandType>[] | undefined;

/**
 * Every transition between two different lifecycle states that the command reducers can make,
 * found by exploring {@link applyCommand} breadth-first (at most 12 commands deep) from a new
 * draft with a fixed clock and a small fixed set of inputs: each command type, run reports of
 * every status and outcome for the current runs, and an activation with an override. Commands
 * the guards refuse are skipped. Deterministic: the same code always gives the same list,
 * sorted by source state, then target state. Draw it with `lifecycleDiagram(lifecycleTransitions())`.
 *
 * @example
 * ```ts
 * import { lifecycleTransitions } from "onboarding-lifecycle";
 *
 * const fromVerifying = lifecycleTransitions().filter((t) => t.from === "verifying");
 * // e.g. { from: "verifying", to: "action_required", commands: ["record_verification_result"] }
 * ```
 */
export function lifecycleTransitions(): readonly LifecycleTransition<CommandType>[] {
  if (cachedTransitions !== undefined) return cachedTransitions;
  let runCounter = 0;
  const context: CommandContext = {
    now: NOW,
    actorId: ACTOR,
    nextRunId: () => `run-${++runCounter}`,
    policy: {},
  };
  const edges = new Map<string, Set<CommandType>>();
  const start = newDraft({ id: "draft-1", workspaceId: "workspace-1", now: NOW, actorId: ACTOR });
  const visited = new Set<string>([keyOf(start)]);
  let frontier: OnboardingDraft[] = [start];
  for (let depth = 0; depth < MAX_DEPTH && frontier.length > 0; depth += 1) {
    const next: OnboardingDraft[] = [];
    for (const draft of frontier) {
      if (isTerminal(draft.lifecycle.state)) continue;
      for (const command of candidateCommands(draft)) {
        let after: OnboardingDraft;
        try {
          const outcome = applyCommand(draft, command, context);
          if (!outcome.changed) continue;
          after = outcome.draft;
        } catch (error) {
          if (isOnboardingError(error)) continue; // refused by a guard: not a transition
          throw error;
        }
        const from = draft.lifecycle.state;
        const to = after.lifecycle.state;
        if (from !== to) {
          const edge = `${from}\u0000${to}`;
          const types = edges.get(edge) ?? new Set<CommandType>();
          types.add(command.type);
          edges.set(edge, types);
        }
        const key = keyOf(after);
        if (!visited.has(key)) {
          visited.add(key);
          next.push(after);
        }
      }
    }
    frontier = next;
  }
  const order = (state: LifecycleState): number => LIFECYCLE_STATES.indexOf(state);
  cachedTransitions = Object.freeze(
    [...edges.entries()]
      .map(([edge, types]): LifecycleTransition<CommandType> => {
        const [from, to] = edge.split("\u0000") as [LifecycleState, LifecycleState];
        return Object.freeze({
          from,
          to,
          commands: Object.freeze(COMMAND_TYPES.filter((type) => types.has(type))),
        });
      })
      .sort((a, b) => order(a.from) - order(b.from) || order(a.to) - order(b.to)),
  );
  return cachedTransitions;
}
