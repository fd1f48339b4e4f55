import { describe, expect, it } from "vitest";
import {
  COMMAND_TYPES,
  LIFECYCLE_STATES,
  TERMINAL_STATES,
  applyCommand,
  lifecycleDiagram,
  lifecycleTransitions,
  newDraft,
  type Command,
  type CommandContext,
  type LifecycleState,
  type OnboardingDraft,
} from "../../src/index.js";

const ARROW = /^ +(\[\*\]|\w+) --> (\[\*\]|\w+)(?:: (.+))?$/;
const BLOCK = /^ +state (?:"[^"]+" as )?(\w+) \{$/;
const STATE = /^ +(\w+)$/;
const OPEN_STATES = LIFECYCLE_STATES.filter((state) => !(TERMINAL_STATES as readonly string[]).includes(state));

interface Arrow {
  from: string;
  to: string;
  label: string | null;
}

/**
 * The arrows of the diagram and its composite states with the states drawn inside each
 * (nested composites included). Checks the braces balance and that each line is indented by its
 * nesting depth.
 */
function parseDiagram(text: string): { arrows: Arrow[]; composites: Map<string, Set<string>> } {
  const [header, ...lines] = text.trimEnd().split("\n");
  expect(header).toBe("stateDiagram-v2");
  const stack: string[] = [];
  const composites = new Map<string, Set<string>>();
  const arrows: Arrow[] = [];
  for (const line of lines) {
    const indent = line.length - line.trimStart().length;
    const block = BLOCK.exec(line);
    if (block !== null) {
      expect(indent).toBe(2 + 2 * stack.length);
      stack.push(block[1] ?? "");
      composites.set(block[1] ?? "", new Set());
      continue;
    }
    if (line.trim() === "}") {
      expect(stack.pop(), "a closing brace without a block").toBeDefined();
      expect(indent).toBe(2 + 2 * stack.length);
      continue;
    }
    const declared = STATE.exec(line);
    if (declared !== null) {
      // A state drawn only as a member of the enclosing composites.
      expect(indent).toBe(2 + 2 * stack.length);
      for (const composite of stack) composites.get(composite)?.add(declared[1] ?? "");
      continue;
    }
    const match = ARROW.exec(line);
    if (match === null) throw new Error(`not a transition line: ${JSON.stringify(line)}`);
    expect(indent).toBe(2 + 2 * stack.length);
    const arrow = { from: match[1] ?? "", to: match[2] ?? "", label: match[3] ?? null };
    arrows.push(arrow);
    for (const composite of stack) {
      for (const end of [arrow.from, arrow.to]) {
        if (end !== "[*]" && !composites.has(end)) composites.get(composite)?.add(end);
      }
    }
  }
  expect(stack, "unclosed blocks").toEqual([]);
  return { arrows, composites };
}

/** The diagram's arrows. */
function parseArrows(text: string): Arrow[] {
  return parseDiagram(text).arrows;
}

/** The diagram's arrows with an arrow from a composite expanded to one arrow per state inside it. */
function expandedArrows(text: string): Arrow[] {
  const { arrows, composites } = parseDiagram(text);
  return arrows.flatMap((arrow) => {
    const members = composites.get(arrow.from);
    return members === undefined ? [arrow] : [...members].map((from) => ({ ...arrow, from }));
  });
}

describe("lifecycleDiagram", () => {
  it("is deterministic", () => {
    const first = lifecycleDiagram(lifecycleTransitions());
    expect(lifecycleDiagram(lifecycleTransitions())).toBe(first);
    expect(first.endsWith("\n")).toBe(true);
  });

  it("is a stateDiagram-v2 drawing exactly the transitions, the start and the two ends", () => {
    const arrows = expandedArrows(lifecycleDiagram(lifecycleTransitions()));
    expect(arrows[0]).toEqual({ from: "[*]", to: "draft", label: null });
    expect(arrows.filter((a) => a.to === "[*]").map((a) => a.from)).toEqual([...TERMINAL_STATES]);
    const drawn = arrows
      .filter((a) => a.from !== "[*]" && a.to !== "[*]")
      .map((a) => `${a.from}>${a.to}:${a.label}`)
      .sort();
    const expected = lifecycleTransitions()
      .map((t) => `${t.from}>${t.to}:${t.commands.join(", ")}`)
      .sort();
    expect(drawn).toEqual(expected);
  });

  it("draws cancel once, from the composite of the open states", () => {
    const arrows = parseArrows(lifecycleDiagram(lifecycleTransitions()));
    expect(arrows.filter((a) => a.to === "cancelled")).toEqual([{ from: "open", to: "cancelled", label: "cancel" }]);
  });

  it("draws a provider change back to draft once, from the composite of the states after draft", () => {
    const text = lifecycleDiagram(lifecycleTransitions());
    const { arrows, composites } = parseDiagram(text);
    expect(arrows.filter((a) => a.to === "draft" && a.from !== "[*]")).toEqual([
      { from: "after_draft", to: "draft", label: "select_provider, update_provider_connection" },
    ]);
    expect([...(composites.get("open") ?? [])].sort()).toEqual([...OPEN_STATES].sort());
    expect([...(composites.get("after_draft") ?? [])].sort()).toEqual(OPEN_STATES.filter((s) => s !== "draft").sort());
    expect(text).toContain('    state "after draft" as after_draft {\n');
  });

  it("shows every lifecycle state", () => {
    const arrows = expandedArrows(lifecycleDiagram(lifecycleTransitions()));
    const shown = new Set(arrows.flatMap((a) => [a.from, a.to]));
    for (const state of LIFECYCLE_STATES) expect(shown, state).toContain(state);
  });

  it("gives terminal states no way out", () => {
    for (const transition of lifecycleTransitions()) {
      expect(TERMINAL_STATES as readonly string[]).not.toContain(transition.from);
    }
    const arrows = expandedArrows(lifecycleDiagram(lifecycleTransitions()));
    for (const arrow of arrows.filter((a) => (TERMINAL_STATES as readonly string[]).includes(a.from))) {
      expect(arrow.to).toBe("[*]");
    }
  });

  it("labels every arrow with known command types and never draws a self-loop", () => {
    for (const { from, to, commands } of lifecycleTransitions()) {
      expect(from).not.toBe(to);
      expect(commands.length).toBeGreaterThan(0);
      for (const type of commands) expect(COMMAND_TYPES).toContain(type);
    }
  });

  it("every non-terminal state can be cancelled, and only ready_for_activation can be activated", () => {
    const open = LIFECYCLE_STATES.filter((state) => !(TERMINAL_STATES as readonly string[]).includes(state));
    const transitions = lifecycleTransitions();
    for (const state of open) {
      expect(transitions.some((t) => t.from === state && t.to === "cancelled" && t.commands.includes("cancel"))).toBe(
        true,
      );
    }
    expect(transitions.filter((t) => t.to === "completed").map((t) => [t.from, t.commands])).toEqual([
      ["ready_for_activation", ["activate"]],
    ]);
  });

  it("draws every move of an independent walk through the reducer (failure, retry, happy path)", () => {
    const context: CommandContext = {
      now: "2026-01-01T00:00:00.000Z",
      actorId: "u",
      nextRunId: (() => {
        let n = 0;
        return () => `r${++n}`;
      })(),
      policy: {},
    };
    const step = (draft: OnboardingDraft, command: Command): OnboardingDraft =>
      applyCommand(draft, command, context).draft;
    const seen = new Set<string>();
    const record = (before: OnboardingDraft, after: OnboardingDraft, type: string): void => {
      if (before.lifecycle.state !== after.lifecycle.state)
        seen.add(`${before.lifecycle.state}>${after.lifecycle.state}:${type}`);
    };
    let draft = newDraft({
      id: "d",
      workspaceId: "w",
      now: context.now,
      actorId: "u",
      identity: { tenantId: "t", displayName: "T" },
    });
    const go = (command: Command): void => {
      const next = step(draft, command);
      record(draft, next, command.type);
      draft = next;
    };
    go({ type: "select_provider", connectionId: "c" });
    go({ type: "start_verification" });
    go({
      type: "record_verification_result",
      runId: draft.verification?.runId ?? "",
      status: "completed",
      outcome: "failed",
    });
    go({ type: "start_verification" });
    go({
      type: "record_verification_result",
      runId: draft.verification?.runId ?? "",
      status: "completed",
      outcome: "succeeded",
    });
    go({ type: "start_bootstrap", operations: ["op"] });
    go({
      type: "record_bootstrap_result",
      runId: draft.bootstrap?.runs[0]?.runId ?? "",
      status: "completed",
      outcome: "succeeded",
    });
    go({ type: "activate" });
    expect(draft.lifecycle.state).toBe("completed");
    const drawn = new Set(lifecycleTransitions().flatMap((t) => t.commands.map((type) => `${t.from}>${t.to}:${type}`)));
    for (const move of seen) expect(drawn, move).toContain(move);
  });

  it("matches the committed snapshot", () => {
    const lines = lifecycleDiagram(lifecycleTransitions()).split("\n");
    expect(lines.filter((line) => line.includes("-->")).length).toBe(15);
    expect(lifecycleDiagram(lifecycleTransitions())).toMatchSnapshot();
  });
});

describe("lifecycleDiagram renders any list of transitions (lifecycle/, no commands needed)", () => {
  it("draws the same diagram whatever the order of its input, and leaves the input alone", () => {
    const transitions = lifecycleTransitions();
    const shuffled = [...transitions].reverse();
    expect(lifecycleDiagram(shuffled)).toBe(lifecycleDiagram(transitions));
    expect(shuffled).toEqual([...transitions].reverse());
  });

  it("does not draw an entry that stays in the same state", () => {
    const loop = { from: "draft", to: "draft", commands: ["identify"] } as const;
    expect(lifecycleDiagram([...lifecycleTransitions(), loop])).toBe(lifecycleDiagram(lifecycleTransitions()));
  });

  it("draws hand-made transitions with any labels (a smaller lifecycle, say)", () => {
    const text = lifecycleDiagram([
      { from: "draft", to: "cancelled", commands: ["abandon"] },
      { from: "draft", to: "verifying", commands: ["check"] },
    ]);
    expect(text).toBe(
      [
        "stateDiagram-v2",
        "  [*] --> draft",
        "  state open {",
        "    draft --> verifying: check",
        "  }",
        "  draft --> cancelled: abandon",
        "  completed --> [*]",
        "  cancelled --> [*]",
        "",
      ].join("\n"),
    );
  });
});

describe("lifecycleDiagram groups moves many states share", () => {
  const back = (from: LifecycleState, commands: string[]) => ({ from, to: "draft" as const, commands });
  const others = ["verifying", "action_required", "bootstrapping", "ready_for_activation"] as const;

  it("nests the states that all return to one state with the same commands, and draws that move once", () => {
    const text = lifecycleDiagram([
      { from: "draft", to: "verifying", commands: ["go"] },
      { from: "verifying", to: "bootstrapping", commands: ["next"] },
      ...others.map((from) => back(from, ["reset"])),
    ]);
    expect(text).toBe(
      [
        "stateDiagram-v2",
        "  [*] --> draft",
        "  state open {",
        "    draft --> verifying: go",
        '    state "after draft" as after_draft {',
        "      verifying --> bootstrapping: next",
        "      action_required",
        "      ready_for_activation",
        "    }",
        "    after_draft --> draft: reset",
        "  }",
        "  completed --> [*]",
        "  cancelled --> [*]",
        "",
      ].join("\n"),
    );
    const arrows = expandedArrows(text).filter((a) => a.to === "draft" && a.from !== "[*]");
    expect(arrows.map((a) => a.from).sort()).toEqual([...others].sort());
  });

  it("declares a state whose only move is drawn from a composite, so it is still drawn inside it", () => {
    const text = lifecycleDiagram(
      OPEN_STATES.map((from) => ({ from, to: "cancelled" as const, commands: ["cancel"] })),
    );
    const { arrows, composites } = parseDiagram(text);
    expect(arrows.filter((a) => a.to === "cancelled")).toEqual([{ from: "open", to: "cancelled", label: "cancel" }]);
    expect([...(composites.get("open") ?? [])].sort()).toEqual([...OPEN_STATES].sort());
  });

  it("draws each move on its own when one of the states returns with other commands (or not at all)", () => {
    const differing = lifecycleDiagram(
      others.map((from) => back(from, from === "bootstrapping" ? ["undo"] : ["reset"])),
    );
    expect(differing).not.toContain("after_draft");
    expect(parseArrows(differing).filter((a) => a.to === "draft" && a.from !== "[*]")).toHaveLength(4);
    const missing = lifecycleDiagram(others.slice(1).map((from) => back(from, ["reset"])));
    expect(missing).not.toContain("after_draft");
  });
});

describe("lifecycleTransitions", () => {
  it("is sorted by source then target state", () => {
    const order = (state: LifecycleState): number => LIFECYCLE_STATES.indexOf(state);
    const transitions = lifecycleTransitions();
    for (let i = 1; i < transitions.length; i += 1) {
      const a = transitions[i - 1];
      const b = transitions[i];
      if (a === undefined || b === undefined) continue;
      expect(order(a.from) < order(b.from) || (a.from === b.from && order(a.to) < order(b.to))).toBe(true);
    }
  });

  it("returns frozen data", () => {
    const transitions = lifecycleTransitions();
    expect(Object.isFrozen(transitions)).toBe(true);
    expect(Object.isFrozen(transitions[0])).toBe(true);
  });
});
