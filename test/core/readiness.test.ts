/**
 * evaluateReadiness (DESIGN.md section 5): one case per blocker code, the policy knobs, and the
 * ready / overridable flags.
 */
import { describe, expect, it } from "vitest";
import { deriveLifecycle, evaluateReadiness, type ReadinessPolicy } from "../../src/lifecycle/index.js";
import { ConfigurationError, type OnboardingDraft } from "../../src/record/index.js";
import { BLOCKER_CODES, type BlockerCode } from "../../src/vocabulary/index.js";
import { IDENTITY, T0, T1, T2, bootstrapOf, connected, draftWith, run, verification, verified } from "./fixtures.js";

const codes = (draft: OnboardingDraft, policy?: ReadinessPolicy, now?: number | string | Date): BlockerCode[] =>
  evaluateReadiness(draft, policy, now === undefined ? {} : { now }).blockers.map((b) => b.code);

const HOUR = 3_600_000;
const completedAtMs = Date.parse(T1);

describe("evaluateReadiness: one case per blocker code", () => {
  it("ready: verified, no bootstrap, default policy", () => {
    const readiness = evaluateReadiness(verified());
    expect(readiness).toEqual({ ready: true, overridable: false, blockers: [] });
  });

  it("terminal (completed and cancelled), and nothing else", () => {
    const completed = { ...verified(), activation: { at: T2, by: "u-1", override: null } };
    const cancelled = { ...draftWith(), cancellation: { at: T2, by: "u-1", reason: null } };
    for (const draft of [completed, cancelled]) {
      const readiness = evaluateReadiness({ ...draft, lifecycle: deriveLifecycle(draft) });
      expect(readiness.blockers).toEqual([
        { code: "terminal", checkpoint: "activate", overridable: false, message: expect.any(String) },
      ]);
      expect(readiness.ready).toBe(false);
      expect(readiness.overridable).toBe(false);
    }
  });

  it("identity_missing, provider_missing, verification_missing on an empty draft, in checkpoint order", () => {
    const readiness = evaluateReadiness(draftWith());
    expect(readiness.blockers.map((b) => [b.code, b.checkpoint])).toEqual([
      ["identity_missing", "identify"],
      ["provider_missing", "connect_provider"],
      ["verification_missing", "verify_access"],
    ]);
    expect(readiness.ready).toBe(false);
    expect(readiness.overridable).toBe(false);
  });

  it("provider_missing", () => {
    expect(codes(draftWith({ identity: { ...IDENTITY } }))).toEqual(["provider_missing", "verification_missing"]);
  });

  it("verification_missing", () => {
    expect(codes(connected())).toEqual(["verification_missing"]);
  });

  it("verification_stale (other connection and other revision)", () => {
    expect(
      codes(connected({ verification: verification("completed", "succeeded", { connectionId: "conn-0" }) })),
    ).toEqual(["verification_stale"]);
    expect(
      codes(
        connected({
          provider: { connectionId: "conn-1", revision: 3 },
          verification: verification("completed", "succeeded"),
        }),
      ),
    ).toEqual(["verification_stale"]);
  });

  it.each(["queued", "running"] as const)("verification_in_progress (%s)", (status) => {
    expect(codes(connected({ verification: verification(status) }))).toEqual(["verification_in_progress"]);
  });

  it.each([
    ["failed", "verification_failed"],
    ["blocked", "verification_blocked"],
    ["cancelled", "verification_cancelled"],
  ] as const)("%s verification -> %s", (outcome, code) => {
    const readiness = evaluateReadiness(verified(outcome));
    expect(readiness.blockers.map((b) => b.code)).toEqual([code]);
    expect(readiness.blockers[0]).toMatchObject({ checkpoint: "verify_access", overridable: false });
  });

  describe("verification_expired (policy verificationMaxAgeMs, injected now)", () => {
    const policy: ReadinessPolicy = { verificationMaxAgeMs: HOUR };
    const draft = connected({ verification: verification("completed", "succeeded", { completedAt: T1 }) });

    it("not expired at exactly the max age", () => {
      expect(codes(draft, policy, completedAtMs + HOUR)).toEqual([]);
    });
    it("expired one millisecond later (number, Date and ISO string clocks agree)", () => {
      for (const now of [
        completedAtMs + HOUR + 1,
        new Date(completedAtMs + HOUR + 1),
        new Date(completedAtMs + HOUR + 1).toISOString(),
      ]) {
        expect(codes(draft, policy, now)).toEqual(["verification_expired"]);
      }
    });
    it("not overridable by default; overridable when the policy says so", () => {
      const now = completedAtMs + 2 * HOUR;
      const strict = evaluateReadiness(draft, policy, { now });
      expect(strict).toMatchObject({ ready: false, overridable: false });
      expect(strict.blockers[0]).toMatchObject({
        code: "verification_expired",
        overridable: false,
        checkpoint: "verify_access",
      });
      const relaxed = evaluateReadiness(draft, { ...policy, overridableBlockers: ["verification_expired"] }, { now });
      expect(relaxed).toMatchObject({ ready: false, overridable: true });
    });
    it("ConfigurationError when the policy needs an age check and now is missing", () => {
      expect(() => evaluateReadiness(draft, policy)).toThrow(ConfigurationError);
      try {
        evaluateReadiness(draft, policy);
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigurationError);
        expect((error as ConfigurationError).option).toBe("now");
      }
    });
    it("the lifecycle stays ready_for_activation (readiness is stricter, never looser)", () => {
      expect(deriveLifecycle(draft).state).toBe("ready_for_activation");
    });
  });

  describe("verification_warnings", () => {
    it("partially_succeeded -> overridable by default", () => {
      const readiness = evaluateReadiness(verified("partially_succeeded"));
      expect(readiness.blockers).toEqual([
        { code: "verification_warnings", checkpoint: "verify_access", overridable: true, message: expect.any(String) },
      ]);
      expect(readiness).toMatchObject({ ready: false, overridable: true });
    });
    it("not overridable when the policy's list leaves it out", () => {
      const readiness = evaluateReadiness(verified("partially_succeeded"), { overridableBlockers: [] });
      expect(readiness).toMatchObject({ ready: false, overridable: false });
      expect(readiness.blockers[0]?.overridable).toBe(false);
    });
  });

  it.each(["queued", "running"] as const)("bootstrap_in_progress (%s)", (status) => {
    const draft = verified("succeeded", { bootstrap: bootstrapOf(run("sync", status)) });
    expect(evaluateReadiness(draft).blockers.map((b) => [b.code, b.checkpoint])).toEqual([
      ["bootstrap_in_progress", "bootstrap"],
    ]);
  });

  it.each(["failed", "blocked", "cancelled"] as const)("bootstrap_failed (%s)", (outcome) => {
    const draft = verified("succeeded", { bootstrap: bootstrapOf(run("sync", "completed", outcome)) });
    expect(codes(draft)).toEqual(["bootstrap_failed"]);
  });

  it("bootstrap_failed ignores a failure superseded by a later success of the same operation", () => {
    const draft = verified("succeeded", {
      bootstrap: bootstrapOf(run("sync", "completed", "failed", "s-1"), run("sync", "completed", "succeeded", "s-2")),
    });
    expect(codes(draft)).toEqual([]);
  });

  describe("bootstrap_required (policy requiredBootstrapOperations)", () => {
    const policy: ReadinessPolicy = { requiredBootstrapOperations: ["sync", "baseline"] };
    it("bootstrap never started", () => {
      expect(codes(verified(), policy)).toEqual(["bootstrap_required"]);
    });
    it("one required operation missing", () => {
      expect(
        codes(verified("succeeded", { bootstrap: bootstrapOf(run("sync", "completed", "succeeded")) }), policy),
      ).toEqual(["bootstrap_required"]);
    });
    it("one required operation whose latest run failed (both failed and required)", () => {
      const draft = verified("succeeded", {
        bootstrap: bootstrapOf(run("sync", "completed", "succeeded"), run("baseline", "completed", "failed")),
      });
      expect(codes(draft, policy)).toEqual(["bootstrap_failed", "bootstrap_required"]);
    });
    it("satisfied when every required operation's latest run succeeded (partially counts)", () => {
      const draft = verified("succeeded", {
        bootstrap: bootstrapOf(
          run("sync", "completed", "succeeded"),
          run("baseline", "completed", "partially_succeeded"),
        ),
      });
      expect(evaluateReadiness(draft, policy)).toEqual({ ready: true, overridable: false, blockers: [] });
    });
    it("also listed before verification is done", () => {
      expect(codes(connected(), policy)).toEqual(["verification_missing", "bootstrap_required"]);
    });
    it("overridable only when the policy allows it", () => {
      expect(evaluateReadiness(verified(), policy)).toMatchObject({ ready: false, overridable: false });
      expect(evaluateReadiness(verified(), { ...policy, overridableBlockers: ["bootstrap_required"] })).toMatchObject({
        ready: false,
        overridable: true,
      });
    });
  });
});

describe("evaluateReadiness: policy overridableBlockers", () => {
  it.each(["verification_warnings", "verification_expired", "bootstrap_required"] as const)("allows %s", (code) => {
    expect(() => evaluateReadiness(verified(), { overridableBlockers: [code] })).not.toThrow();
  });

  it.each(
    BLOCKER_CODES.filter((c) => !["verification_warnings", "verification_expired", "bootstrap_required"].includes(c)),
  )("refuses %s with ConfigurationError", (code) => {
    const policy = { overridableBlockers: [code] } as unknown as ReadinessPolicy;
    expect(() => evaluateReadiness(verified(), policy)).toThrow(ConfigurationError);
    try {
      evaluateReadiness(verified(), policy);
    } catch (error) {
      expect((error as ConfigurationError).option).toBe("policy.overridableBlockers");
    }
  });

  it("mixed overridable and hard blockers: not overridable", () => {
    const draft = connected({ verification: verification("completed", "partially_succeeded") });
    const withBootstrapFail = { ...draft, bootstrap: bootstrapOf(run("sync", "completed", "failed")) };
    const readiness = evaluateReadiness({ ...withBootstrapFail, lifecycle: deriveLifecycle(withBootstrapFail) });
    expect(readiness.blockers.map((b) => [b.code, b.overridable])).toEqual([
      ["verification_warnings", true],
      ["bootstrap_failed", false],
    ]);
    expect(readiness).toMatchObject({ ready: false, overridable: false });
  });

  it("every blocker has an English message", () => {
    const readiness = evaluateReadiness(draftWith(), { requiredBootstrapOperations: ["x"] });
    for (const blocker of readiness.blockers) expect(blocker.message.length).toBeGreaterThan(5);
  });

  it("measures the age from completedAt (age 0 at the completion instant is not expired)", () => {
    const draft = connected({ verification: verification("completed", "succeeded", { completedAt: T0 }) });
    expect(codes(draft, { verificationMaxAgeMs: 0 }, Date.parse(T0))).toEqual([]);
  });
});
