/**
 * The lifecycle diagram as Mermaid: pure rendering of a list of transitions between lifecycle
 * states. The transitions themselves come from exploring the command reducers
 * (`lifecycleTransitions()` in commands/), which this folder cannot import, so they are an
 * argument: `lifecycleDiagram(lifecycleTransitions())`.
 */
import { LIFECYCLE_STATES, isTerminal, type LifecycleState } from "../vocabulary/index.js";

/**
 * One edge of the lifecycle diagram: the commands that move a draft from one state to another.
 * `lifecycleTransitions()` returns them with `Command` = `CommandType`.
 */
export interface LifecycleTransition<Command extends string = string> {
  /** The lifecycle state before the command. */
  readonly from: LifecycleState;
  /** The lifecycle state after it (never equal to `from`). */
  readonly to: LifecycleState;
  /** Every command type observed making this move, in `COMMAND_TYPES` order. */
  readonly commands: readonly Command[];
}

/**
 * The lifecycle as a Mermaid `stateDiagram-v2`, drawn from `transitions` (normally
 * `lifecycleTransitions()`): one arrow per pair of states a command can move a draft between,
 * labelled with the command types, plus the start (`[*] --> draft`) and the two terminal states
 * (`completed`, `cancelled`), which have no way out.
 *
 * The open (non-terminal) states are drawn inside one composite state, `open`. A move that every
 * open state makes with the same commands (today: `cancel` to `cancelled`) is drawn once, from
 * `open`, instead of once per state; every other move is drawn between the states themselves.
 * Arrows come in lifecycle-state order (source, then target) whatever the order of the input,
 * and an entry whose `from` equals its `to` (no change of state) is not drawn. Deterministic, so
 * it can be committed and checked for drift.
 *
 * @example
 * ```ts
 * import { writeFileSync } from "node:fs";
 * import { lifecycleDiagram, lifecycleTransitions } from "onboarding-lifecycle";
 *
 * writeFileSync("lifecycle.md", "```mermaid\n" + lifecycleDiagram(lifecycleTransitions()) + "```\n");
 * ```
 */
export function lifecycleDiagram(transitions: readonly LifecycleTransition[]): string {
  const order = (state: LifecycleState): number => LIFECYCLE_STATES.indexOf(state);
  const moves = transitions
    .filter((transition) => transition.from !== transition.to)
    .sort((a, b) => order(a.from) - order(b.from) || order(a.to) - order(b.to));
  const open = LIFECYCLE_STATES.filter((state) => !isTerminal(state));
  const label = (commands: readonly string[]): string => commands.join(", ");
  // Targets every open state reaches with the same commands: drawn once, from the composite.
  const shared = new Map<LifecycleState, string>();
  for (const target of LIFECYCLE_STATES) {
    const labels = open.map((from) => {
      const edge = moves.find((t) => t.from === from && t.to === target);
      return edge === undefined ? null : label(edge.commands);
    });
    const first = labels[0];
    if (first !== null && first !== undefined && labels.every((l) => l === first)) shared.set(target, first);
  }
  const lines = ["stateDiagram-v2", `  [*] --> ${LIFECYCLE_STATES[0]}`, "  state open {"];
  const outside: string[] = [];
  for (const transition of moves) {
    if (shared.has(transition.to)) continue;
    const line = `${transition.from} --> ${transition.to}: ${label(transition.commands)}`;
    if (isTerminal(transition.to)) outside.push(`  ${line}`);
    else lines.push(`    ${line}`);
  }
  lines.push("  }");
  for (const [target, commands] of shared) lines.push(`  open --> ${target}: ${commands}`);
  lines.push(...outside);
  for (const state of LIFECYCLE_STATES) {
    if (isTerminal(state)) lines.push(`  ${state} --> [*]`);
  }
  return `${lines.join("\n")}\n`;
}
