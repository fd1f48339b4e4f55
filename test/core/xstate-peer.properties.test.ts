/**
 * The XState v5 machine of `bench/peers/xstate-machine.ts` (the peer the pure core is measured
 * against in `bench/peers/xstate.ts`) agrees with the package's reducer: on random command
 * sequences (the same generators as the core properties, biased towards the happy path so the
 * late states are reached), after every command both sides have the same lifecycle state and
 * current checkpoint, the same version (a command applies on one side exactly when it applies
 * on the other), the same run ids drawn, and `snapshot.can(activate)` answers what
 * `evaluateReadiness` answers. So the benchmark compares the same behaviour.
 */
import { describe, expect } from "vitest";
import { fc, test } from "@fast-check/vitest";
import { initialTransition, transition } from "xstate";
import { applyCommand, newDraft, parseCommand, type Command } from "../../src/commands/index.js";
import { evaluateReadiness } from "../../src/lifecycle/index.js";
import { isTerminal } from "../../src/vocabulary/index.js";
import { isOnboardingError, type OnboardingDraft } from "../../src/record/index.js";
import { commandArbitrary, happyPathCommand, runIdsOf, testContext } from "../../src/testing/arbitraries.js";
import { lifecycleMachine, machineLifecycle, type LifecycleSnapshot } from "../../bench/peers/xstate-machine.js";

const RUN_IDS = Array.from({ length: 8 }, (_, i) => `run-${i + 1}`);

/**
 * A step: the happy-path command (bias < 3), or a random one whose run id is, most of the time,
 * re-pointed at a run the draft has (so reports, repeats and expiries hit real runs), with a
 * message on some `running` reports (a repeated `running` report is a no-op only without one).
 */
const stepsArbitrary = fc.array(
  fc.record({
    bias: fc.nat({ max: 9 }),
    random: commandArbitrary(RUN_IDS),
    rebind: fc.nat({ max: 9 }),
    message: fc.boolean(),
  }),
  { minLength: 10, maxLength: 80, size: "max" },
);

type Step = typeof stepsArbitrary extends fc.Arbitrary<(infer S)[]> ? S : never;

function commandFor(draft: OnboardingDraft, { bias, random, rebind, message }: Step): Command {
  // Cancelling ends a sequence and a new provider starts it over, so both are kept rare; the
  // happy path half the time reaches the late states.
  const rare = random.type === "cancel" || random.type === "select_provider" || random.type === "identify";
  if (bias < 5 || (rare && rebind > 1)) return parseCommand(happyPathCommand(draft));
  let input = random;
  const ids = runIdsOf(draft).reverse(); // the newest runs first
  if ("runId" in input && ids.length > 0 && rebind < 7) input = { ...input, runId: ids[rebind % ids.length]! };
  if (input.type === "update_provider_connection" && draft.provider !== null && rebind < 6) {
    input = { ...input, connectionId: draft.provider.connectionId };
  }
  if (
    message &&
    (input.type === "record_verification_result" || input.type === "record_bootstrap_result") &&
    input.status === "running"
  ) {
    input = { ...input, message: "picked up" };
  }
  return parseCommand(input);
}

function agree(draft: OnboardingDraft, snapshot: LifecycleSnapshot, where: string): void {
  expect(machineLifecycle(snapshot), where).toEqual({
    state: draft.lifecycle.state,
    currentCheckpoint: draft.lifecycle.currentCheckpoint,
  });
  expect(snapshot.context.version, where).toBe(draft.version);
  const readiness = evaluateReadiness(draft);
  expect(snapshot.can({ type: "activate" }), `${where}: can activate`).toBe(readiness.ready);
  expect(snapshot.can({ type: "activate", override: { reason: "r" } }), `${where}: can activate with override`).toBe(
    readiness.ready || readiness.overridable,
  );
  expect(snapshot.hasTag("polling"), `${where}: polling`).toBe(
    draft.lifecycle.state === "verifying" || draft.lifecycle.state === "bootstrapping",
  );
}

describe("the XState peer machine agrees with the pure reducer", () => {
  test.prop([stepsArbitrary], { numRuns: 500 })(
    "same state, checkpoint, version and readiness after every command",
    (steps) => {
      const context = testContext();
      let draft = newDraft({ id: "d-1", workspaceId: "ws-1", now: context.now, actorId: "tester" });
      let [snapshot] = initialTransition(lifecycleMachine);
      agree(draft, snapshot, "initial");
      const trail: string[] = [];
      let terminalSteps = 0;
      for (const step of steps) {
        const command = commandFor(draft, step);
        trail.push(JSON.stringify(command));
        try {
          draft = applyCommand(draft, command, context).draft;
        } catch (error) {
          if (!isOnboardingError(error)) throw error;
        }
        [snapshot] = transition(lifecycleMachine, snapshot, command);
        agree(draft, snapshot, trail.join("\n"));
        // A terminal draft absorbs everything: a few more commands show it, the rest add nothing.
        if (isTerminal(draft.lifecycle.state) && (terminalSteps += 1) > 3) break;
      }
      // Both drew the same run ids.
      expect(snapshot.context.verification?.runId ?? null).toBe(draft.verification?.runId ?? null);
      expect(snapshot.context.bootstrap?.runs.map((run) => run.runId) ?? []).toEqual(
        draft.bootstrap?.runs.map((run) => run.runId) ?? [],
      );
    },
  );

  test("the happy path ends completed on both sides in the same number of versions", () => {
    const context = testContext();
    let draft = newDraft({ id: "d-1", workspaceId: "ws-1", now: context.now, actorId: "tester" });
    let [snapshot] = initialTransition(lifecycleMachine);
    for (let i = 0; i < 20 && draft.lifecycle.state !== "completed"; i += 1) {
      const command = parseCommand(happyPathCommand(draft));
      draft = applyCommand(draft, command, context).draft;
      [snapshot] = transition(lifecycleMachine, snapshot, command);
      agree(draft, snapshot, JSON.stringify(command));
    }
    expect(draft.lifecycle.state).toBe("completed");
    expect(snapshot.status).toBe("done");
  });
});
