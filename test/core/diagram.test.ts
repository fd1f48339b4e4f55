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

const ARROW = /^ {2}(?: {2})?(\[\*\]|\w+) --> (\[\*\]|\w+)(?:: (.+))?$/;
const OPEN_STATES = LIFECYCLE_STATES.filter((state) => !(TERMINAL_STATES as readonly string[]).includes(state));

/** The arrows of the diagram; the composite `open` state's braces are checked and skipped. */
function parseArrows(text: string): Array<{ from: string; to: string; label: string | null }> {
  const [header, ...lines] = text.trimEnd().split("\n");
  expect(header).toBe("stateDiagram-v2");
  expect(lines.filter((line) => line === "  state open {")).toHaveLength(1);
  expect(lines.filter((line) => line === "  }")).toHaveLength(1);
  return lines
    .filter((line) => line !== "  state open {" && line !== "  }")
    .map((line) => {
      const match = ARROW.exec(line);
      if (match === null) throw new Error(`not a transition line: ${JSON.stringify(line)}`);
      return { from: match[1] ?? "", to: match[2] ?? "", label: match[3] ?? null };
    });
}

/** The diagram's arrows with `open --> X` expanded to one arrow per open state. */
function expandedArrows(text: string): Array<{ from: string; to: string; label: string | null }> {
  return parseArrows(text).flatMap((arrow) =>
    arrow.from === "open" ? OPEN_STATES.map((from) => ({ ...arrow, from })) : [arrow],
  );
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
    expect(lines.filter((line) => line.includes("-->")).length).toBe(18);
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
