/**
 * The decision table of DESIGN.md section 4, one hand-built case per row (first matching row
 * wins), asserting all four lifecycle fields.
 */
import { describe, expect, it } from "vitest";
import { currentBootstrapRuns, deriveLifecycle, isVerificationStale } from "../../src/lifecycle/index.js";
import type { Lifecycle, OnboardingDraft } from "../../src/record/index.js";
import {
  IDENTITY,
  INVALIDATION,
  T2,
  bootstrapOf,
  connected,
  draftWith,
  run,
  verification,
  verified,
} from "./fixtures.js";

const life = (
  state: Lifecycle["state"],
  currentCheckpoint: Lifecycle["currentCheckpoint"],
  lastCompletedCheckpoint: Lifecycle["lastCompletedCheckpoint"],
  reason: Lifecycle["reason"],
): Lifecycle => ({ state, currentCheckpoint, lastCompletedCheckpoint, reason });

const CANCELLATION = { at: T2, by: "u-1", reason: "duplicate" };
const ACTIVATION = { at: T2, by: "u-1", override: null };

describe("deriveLifecycle: the decision table", () => {
  describe("row 1: cancellation set -> cancelled, lastCompleted as rows 3-12 would give", () => {
    const cases: [string, OnboardingDraft, Lifecycle["lastCompletedCheckpoint"]][] = [
      ["empty draft (row 3)", draftWith(), null],
      ["identified (row 4)", draftWith({ identity: { ...IDENTITY } }), "identify"],
      ["connected (row 5)", connected(), "connect_provider"],
      ["verifying (row 7)", connected({ verification: verification("running") }), "connect_provider"],
      [
        "bootstrapping (row 9)",
        verified("succeeded", { bootstrap: bootstrapOf(run("sync", "queued")) }),
        "verify_access",
      ],
      ["ready, no bootstrap (row 11)", verified(), "verify_access"],
      [
        "ready, bootstrapped (row 12)",
        verified("succeeded", { bootstrap: bootstrapOf(run("sync", "completed")) }),
        "bootstrap",
      ],
    ];
    it.each(cases)("%s", (_name, open, lastCompleted) => {
      const cancelled = { ...open, cancellation: CANCELLATION };
      expect(deriveLifecycle(cancelled)).toEqual(life("cancelled", null, lastCompleted, "cancelled"));
      expect(deriveLifecycle(open).lastCompletedCheckpoint).toBe(lastCompleted);
    });

    it("wins over activation (first matching row)", () => {
      const both = { ...verified(), activation: ACTIVATION, cancellation: CANCELLATION };
      expect(deriveLifecycle(both).state).toBe("cancelled");
    });
  });

  describe("row 2: activation set -> completed", () => {
    it("without override: reason null", () => {
      expect(deriveLifecycle({ ...verified(), activation: ACTIVATION })).toEqual(
        life("completed", null, "activate", null),
      );
    });
    it("with override: reason override", () => {
      const draft = {
        ...verified("partially_succeeded"),
        activation: { ...ACTIVATION, override: { reason: "risk accepted" } },
      };
      expect(deriveLifecycle(draft)).toEqual(life("completed", null, "activate", "override"));
    });
  });

  it("row 3: no identity -> draft / identify", () => {
    expect(deriveLifecycle(draftWith())).toEqual(life("draft", "identify", null, null));
  });

  it("row 3 wins even when later parts are present", () => {
    const odd = { ...verified(), identity: null };
    expect(deriveLifecycle(odd)).toEqual(life("draft", "identify", null, null));
  });

  it("row 4: no provider -> draft / connect_provider", () => {
    expect(deriveLifecycle(draftWith({ identity: { ...IDENTITY } }))).toEqual(
      life("draft", "connect_provider", "identify", null),
    );
  });

  describe("row 5: no verification -> draft / verify_access", () => {
    it("never verified: reason null", () => {
      expect(deriveLifecycle(connected())).toEqual(life("draft", "verify_access", "connect_provider", null));
    });
    it("cleared by a provider change (invalidation recorded): provider_changed", () => {
      expect(deriveLifecycle(connected({ invalidation: INVALIDATION }))).toEqual(
        life("draft", "verify_access", "connect_provider", "provider_changed"),
      );
    });
  });

  describe("row 6: stale verification -> draft / verify_access / provider_changed", () => {
    const expected = life("draft", "verify_access", "connect_provider", "provider_changed");
    it("verified against another connection", () => {
      const draft = connected({ verification: verification("completed", "succeeded", { connectionId: "conn-0" }) });
      expect(isVerificationStale(draft)).toBe(true);
      expect(deriveLifecycle(draft)).toEqual(expected);
    });
    it("verified against an older revision of the same connection", () => {
      const draft = connected({
        provider: { connectionId: "conn-1", revision: 2 },
        verification: verification("completed", "succeeded", { revision: 1 }),
      });
      expect(isVerificationStale(draft)).toBe(true);
      expect(deriveLifecycle(draft)).toEqual(expected);
    });
    it("wins over an active (row 7) or failed (row 8) stale run", () => {
      for (const v of [
        verification("running", null, { revision: 9 }),
        verification("completed", "failed", { revision: 9 }),
      ]) {
        expect(deriveLifecycle(connected({ verification: v }))).toEqual(expected);
      }
    });
  });

  describe("row 7: verification queued or running -> verifying", () => {
    it.each(["queued", "running"] as const)("%s", (status) => {
      expect(deriveLifecycle(connected({ verification: verification(status) }))).toEqual(
        life("verifying", "verify_access", "connect_provider", null),
      );
    });
  });

  describe("row 8: verification failed / blocked / cancelled -> action_required", () => {
    it.each([
      ["failed", "verification_failed"],
      ["blocked", "verification_blocked"],
      ["cancelled", "verification_cancelled"],
    ] as const)("%s -> %s", (outcome, reason) => {
      expect(deriveLifecycle(verified(outcome))).toEqual(
        life("action_required", "verify_access", "connect_provider", reason),
      );
    });
  });

  describe("row 9: a bootstrap run queued or running -> bootstrapping", () => {
    it.each(["queued", "running"] as const)("%s", (status) => {
      const draft = verified("succeeded", {
        bootstrap: bootstrapOf(run("sync", "completed", "succeeded"), run("baseline", status)),
      });
      expect(deriveLifecycle(draft)).toEqual(life("bootstrapping", "bootstrap", "verify_access", null));
    });
    it("wins over a failed run of another operation (row 10)", () => {
      const draft = verified("succeeded", {
        bootstrap: bootstrapOf(run("sync", "completed", "failed"), run("baseline", "running")),
      });
      expect(deriveLifecycle(draft).state).toBe("bootstrapping");
    });
  });

  describe("row 10: a bootstrap run failed / blocked / cancelled -> action_required / bootstrap_failed", () => {
    it.each(["failed", "blocked", "cancelled"] as const)("%s", (outcome) => {
      const draft = verified("succeeded", {
        bootstrap: bootstrapOf(run("sync", "completed", "succeeded"), run("baseline", "completed", outcome)),
      });
      expect(deriveLifecycle(draft)).toEqual(life("action_required", "bootstrap", "verify_access", "bootstrap_failed"));
    });

    it("only the latest run of each operation counts: a newer succeeded run supersedes an older failure", () => {
      const older = run("sync", "completed", "failed", "sync-1");
      const newer = run("sync", "completed", "succeeded", "sync-2");
      const draft = verified("succeeded", { bootstrap: bootstrapOf(older, newer) });
      expect(currentBootstrapRuns(draft)).toEqual([newer]);
      expect(deriveLifecycle(draft)).toEqual(life("ready_for_activation", "activate", "bootstrap", null));
    });

    it("a newer failure supersedes an older success", () => {
      const draft = verified("succeeded", {
        bootstrap: bootstrapOf(
          run("sync", "completed", "succeeded", "sync-1"),
          run("sync", "completed", "failed", "sync-2"),
        ),
      });
      expect(deriveLifecycle(draft).reason).toBe("bootstrap_failed");
    });

    it("an older active run superseded by a newer completed one does not keep the draft bootstrapping", () => {
      const draft = verified("succeeded", {
        bootstrap: bootstrapOf(run("sync", "running", null, "sync-1"), run("sync", "completed", "succeeded", "sync-2")),
      });
      expect(deriveLifecycle(draft).state).toBe("ready_for_activation");
    });
  });

  describe("rows 11 and 12: ready_for_activation", () => {
    it("row 11: bootstrap never started -> current bootstrap, last verify_access", () => {
      expect(deriveLifecycle(verified())).toEqual(life("ready_for_activation", "bootstrap", "verify_access", null));
    });
    it("row 11 with a partially_succeeded verification -> verification_warnings", () => {
      expect(deriveLifecycle(verified("partially_succeeded"))).toEqual(
        life("ready_for_activation", "bootstrap", "verify_access", "verification_warnings"),
      );
    });
    it("row 11 also when bootstrap exists with no runs", () => {
      expect(deriveLifecycle(verified("succeeded", { bootstrap: { operations: [], runs: [] } }))).toEqual(
        life("ready_for_activation", "bootstrap", "verify_access", null),
      );
    });
    it("row 12: bootstrap done -> current activate, last bootstrap", () => {
      const draft = verified("succeeded", { bootstrap: bootstrapOf(run("sync", "completed", "succeeded")) });
      expect(deriveLifecycle(draft)).toEqual(life("ready_for_activation", "activate", "bootstrap", null));
    });
    it("row 12 with a partially_succeeded verification -> verification_warnings (as row 11)", () => {
      const draft = verified("partially_succeeded", {
        bootstrap: bootstrapOf(run("sync", "completed", "partially_succeeded")),
      });
      expect(deriveLifecycle(draft)).toEqual(
        life("ready_for_activation", "activate", "bootstrap", "verification_warnings"),
      );
    });
    it("row 12: a partially_succeeded bootstrap run is not a failure and adds no reason", () => {
      const draft = verified("succeeded", { bootstrap: bootstrapOf(run("sync", "completed", "partially_succeeded")) });
      expect(deriveLifecycle(draft)).toEqual(life("ready_for_activation", "activate", "bootstrap", null));
    });
  });

  it("reads only the lifecycle inputs (works on a partial document)", () => {
    const partial = {
      identity: null,
      provider: null,
      verification: null,
      bootstrap: null,
      activation: null,
      cancellation: null,
      invalidation: null,
    };
    expect(deriveLifecycle(partial)).toEqual(life("draft", "identify", null, null));
  });
});
