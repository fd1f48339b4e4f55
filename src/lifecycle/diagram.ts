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

/** A move drawn once from a composite state instead of once from each of its members. */
interface GroupMove {
  /** Where every member goes. */
  readonly target: LifecycleState;
  /** The commands that take each member there (the same for all). */
  readonly label: string;
}

const labelOf = (commands: readonly string[]): string => commands.join(", ");

/** The label of the move `from -> to`, or `null` when none is drawn. */
function labelBetween(moves: readonly LifecycleTransition[], from: LifecycleState, to: LifecycleState): string | null {
  const edge = moves.find((t) => t.from === from && t.to === to);
  return edge === undefined ? null : labelOf(edge.commands);
}

/** The label every one of `sources` reaches `target` with, or `null` when they differ (or one does not). */
function commonLabel(
  moves: readonly LifecycleTransition[],
  sources: readonly LifecycleState[],
  target: LifecycleState,
): string | null {
  const labels = sources.map((from) => labelBetween(moves, from, target));
  const first = labels[0] ?? null;
  return first !== null && labels.every((l) => l === first) ? first : null;
}

/**
 * The lifecycle as a Mermaid `stateDiagram-v2`, drawn from `transitions` (normally
 * `lifecycleTransitions()`): one arrow per pair of states a command can move a draft between,
 * labelled with the command types, plus the start (`[*] --> draft`) and the two terminal states
 * (`completed`, `cancelled`), which have no way out.
 *
 * Moves many states share are drawn once, from a composite state, so the picture stays narrow
 * enough to read at its natural size:
 * - the open (non-terminal) states are drawn inside one composite, `open`; a move that every
 *   open state makes with the same commands (today: `cancel` to `cancelled`) is drawn from it;
 * - the first open state that every *other* open state reaches with the same commands (today:
 *   a provider change back to `draft`) gets its own composite of those others, `after_<state>`
 *   (shown as "after draft"), nested in `open`, and that move is drawn once, from it.
 *
 * Every other move is drawn between the states themselves. Arrows come in lifecycle-state order
 * (source, then target) whatever the order of the input, and an entry whose `from` equals its
 * `to` (no change of state) is not drawn. Deterministic, so it can be committed and checked for
 * drift.
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
  const fromOpen = sharedMoves(moves, open);
  const nested = nestedMove(moves, open);
  const members: readonly LifecycleState[] = nested === null ? [] : open.filter((state) => state !== nested.target);
  const folded = (t: LifecycleTransition): boolean =>
    fromOpen.some((move) => move.target === t.to) || (t.to === nested?.target && members.includes(t.from));
  const drawn = moves.filter((t) => !folded(t));
  const inner = (t: LifecycleTransition): boolean => members.includes(t.from) && members.includes(t.to);
  const insideOpen = drawn.filter((t) => !isTerminal(t.to));
  const mentioned = new Set([...members, ...insideOpen.flatMap((t) => [t.from, t.to])]);
  const lines = ["stateDiagram-v2", `  [*] --> ${LIFECYCLE_STATES[0]}`, "  state open {"];
  lines.push(...insideOpen.filter((t) => !inner(t)).map((t) => arrow(t, 4)));
  if (nested !== null) lines.push(...nestedBlock(nested, members, drawn.filter(inner)));
  // A state no arrow inside `open` names (its moves are drawn from `open`, or leave it) is
  // declared in it, or it would be drawn outside or not at all.
  const moving = (state: LifecycleState): boolean => moves.some((t) => t.from === state || t.to === state);
  lines.push(...open.filter((state) => moving(state) && !mentioned.has(state)).map((state) => `    ${state}`));
  lines.push("  }", ...fromOpen.map((move) => `  open --> ${move.target}: ${move.label}`));
  lines.push(...drawn.filter((t) => isTerminal(t.to)).map((t) => arrow(t, 2)));
  for (const state of LIFECYCLE_STATES) {
    if (isTerminal(state)) lines.push(`  ${state} --> [*]`);
  }
  return `${lines.join("\n")}\n`;
}

/** One arrow, indented by `indent` spaces. */
function arrow(transition: LifecycleTransition, indent: number): string {
  return `${" ".repeat(indent)}${transition.from} --> ${transition.to}: ${labelOf(transition.commands)}`;
}

/**
 * The composite of `members` nested in `open` (`after_<target>`, shown as "after <target>"):
 * the moves between them, a declaration of each member no such move names (so it is drawn
 * inside), and the one arrow that stands for every member's move to the target.
 */
function nestedBlock(
  nested: GroupMove,
  members: readonly LifecycleState[],
  inner: readonly LifecycleTransition[],
): string[] {
  const id = `after_${nested.target}`;
  const named = (state: LifecycleState): boolean => inner.some((t) => t.from === state || t.to === state);
  return [
    `    state "after ${nested.target}" as ${id} {`,
    ...inner.map((t) => arrow(t, 6)),
    ...members.filter((state) => !named(state)).map((state) => `      ${state}`),
    "    }",
    `    ${id} --> ${nested.target}: ${nested.label}`,
  ];
}

/** The targets every open state reaches with the same commands (drawn once, from `open`). */
function sharedMoves(moves: readonly LifecycleTransition[], open: readonly LifecycleState[]): GroupMove[] {
  return LIFECYCLE_STATES.flatMap((target) => {
    const label = commonLabel(moves, open, target);
    return label === null ? [] : [{ target, label }];
  });
}

/**
 * The first open state every other open state (at least two) reaches with the same commands:
 * drawn once, from a composite of those others nested in `open`. `null` when there is none.
 */
function nestedMove(moves: readonly LifecycleTransition[], open: readonly LifecycleState[]): GroupMove | null {
  for (const target of open) {
    const others = open.filter((state) => state !== target);
    const label = others.length < 2 ? null : commonLabel(moves, others, target);
    if (label !== null) return { target, label };
  }
  return null;
}
