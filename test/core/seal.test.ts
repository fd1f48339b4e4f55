/**
 * Sealed drafts: `parseDraft` and `sealDraft` return deep-frozen drafts registered as valid, so
 * reading one again skips a second validation and the memory store keeps it without a copy.
 * The properties here prove the shortcut changes nothing: incremental sealing (only the fields
 * a command changed are parsed) accepts and returns exactly what a full parse would, and every
 * corruption of a field is still caught. fast-check prints the seed on failure.
 */
import { describe, expect, it } from "vitest";
import { fc, test } from "@fast-check/vitest";
import { applyCommand, parseCommand } from "../../src/commands/index.js";
import { canonicalDraft, encodeDraft, isSealedDraft, parseDraft, sealDraft } from "../../src/lifecycle/index.js";
import {
  BootstrapSchema,
  CheckpointRunSchema,
  CorruptRecordError,
  VerificationSchema,
  type OnboardingDraft,
} from "../../src/record/index.js";
import {
  commandArbitrary,
  happyPathCommand,
  reachableDraftArbitrary,
  runIdsOf,
  structuralDraftArbitrary,
  testContext,
} from "../../src/testing/arbitraries.js";
import { T0, bootstrapOf, draftWith, run, verification } from "./fixtures.js";

const NUM_RUNS = 200;

/** Every object and array inside `value`, and `value` itself. */
function everyNode(value: unknown, into: object[] = []): object[] {
  if (typeof value === "object" && value !== null) {
    into.push(value);
    for (const child of Object.values(value)) everyNode(child, into);
  }
  return into;
}

const plain = (draft: OnboardingDraft): unknown => JSON.parse(JSON.stringify(draft));

/** A field of the draft and a value that breaks it. */
const CORRUPTIONS: readonly (readonly [keyof OnboardingDraft, unknown])[] = [
  ["id", ""],
  ["workspaceId", "w".repeat(129)],
  ["version", 0],
  ["version", 1.5],
  ["version", "2"],
  ["schemaVersion", 2],
  ["lifecycle", { state: "nope", currentCheckpoint: null, lastCompletedCheckpoint: null, reason: null }],
  ["lifecycle", { state: "completed", currentCheckpoint: null, lastCompletedCheckpoint: "activate", reason: null }],
  ["identity", { tenantId: "", displayName: "Contoso" }],
  ["provider", { connectionId: "c", revision: 0 }],
  ["verification", { ...verification("completed", "succeeded"), outcome: null }],
  ["verification", { ...verification("completed", "succeeded"), startedAt: "yesterday" }],
  ["bootstrap", { operations: [""], runs: [] }],
  ["activation", { at: "soon", by: "u", override: null }],
  ["cancellation", { at: T0, by: "", reason: null }],
  ["invalidation", { cause: "other", at: T0, by: "u", verificationRunId: null, bootstrapRunIds: [] }],
  ["createdAt", "2026-13-01T00:00:00Z"],
  ["updatedAt", 5],
  ["createdBy", null],
  ["updatedBy", "x".repeat(129)],
];

describe("parseDraft seals", () => {
  test.prop([structuralDraftArbitrary()], { numRuns: NUM_RUNS })(
    "its result is deep-frozen, registered, canonical, and parsing it again returns it unchanged",
    (draft) => {
      const parsed = parseDraft(plain(draft));
      expect(isSealedDraft(parsed)).toBe(true);
      for (const node of everyNode(parsed)) expect(Object.isFrozen(node)).toBe(true);
      expect(parseDraft(parsed)).toBe(parsed);
      expect(sealDraft(parsed)).toBe(parsed);
      expect(encodeDraft(parsed)).toBe(JSON.stringify(canonicalDraft(parsed)));
    },
  );

  it("a copy of a sealed draft is not sealed: spreading, cloning or freezing a copy is validated again", () => {
    const sealed = parseDraft(plain(draftWith()));
    expect(isSealedDraft({ ...sealed })).toBe(false);
    expect(isSealedDraft(structuredClone(sealed))).toBe(false);
    expect(isSealedDraft(Object.freeze({ ...sealed, version: 0 }))).toBe(false);
    expect(() => parseDraft(Object.freeze({ ...sealed, version: 0 }))).toThrow(CorruptRecordError);
  });

  it("a sealed draft cannot be changed in place", () => {
    const sealed = parseDraft(plain(draftWith({ identity: { tenantId: "t-1", displayName: "Contoso" } })));
    expect(() => {
      (sealed as { version: number }).version = 99;
    }).toThrow(TypeError);
    expect(() => {
      (sealed.identity as { displayName: string }).displayName = "Other";
    }).toThrow(TypeError);
    expect(sealed.version).toBe(1);
  });

  it("non-objects are never sealed", () => {
    for (const value of [null, undefined, 0, "draft", true]) expect(isSealedDraft(value)).toBe(false);
  });
});

describe("sealDraft after a command checks only what changed, with the same verdict as a full parse", () => {
  const stepArbitrary = reachableDraftArbitrary().chain((draft) =>
    fc.tuple(fc.constant(draft), fc.oneof(fc.constant(happyPathCommand(draft)), commandArbitrary(runIdsOf(draft)))),
  );

  test.prop([stepArbitrary], { numRuns: NUM_RUNS })(
    "the sealed result equals a full parse of the same record, byte for byte",
    ([draft, input]) => {
      const base = parseDraft(plain(draft));
      let outcome;
      try {
        outcome = applyCommand(base, parseCommand(input), testContext({ now: "2026-06-01T00:00:00.000Z" }));
      } catch {
        return; // a refused command writes nothing
      }
      if (!outcome.changed) return;
      const before = JSON.stringify(outcome.draft);
      const sealed = sealDraft(outcome.draft, base);
      expect(JSON.stringify(outcome.draft)).toBe(before); // the input is left alone
      expect(isSealedDraft(sealed)).toBe(true);
      for (const node of everyNode(sealed)) expect(Object.isFrozen(node)).toBe(true);
      const full = parseDraft(plain(outcome.draft));
      expect(sealed).toEqual(full);
      expect(encodeDraft(sealed)).toBe(encodeDraft(full));
    },
  );

  test.prop([structuralDraftArbitrary(), fc.constantFrom(...CORRUPTIONS)], { numRuns: NUM_RUNS })(
    "a corrupted field is refused with its path, exactly as a full parse refuses it",
    (draft, [field, value]) => {
      const base = parseDraft(plain(draft));
      // A "corruption" that happens to be this draft's own valid value is no corruption.
      fc.pre(JSON.stringify(value) !== JSON.stringify(base[field]));
      const corrupted = { ...base, [field]: value } as OnboardingDraft;
      const full = (() => {
        try {
          parseDraft(plain(corrupted));
          return null;
        } catch (error) {
          return error;
        }
      })();
      expect(full).toBeInstanceOf(CorruptRecordError);
      let caught: unknown = null;
      try {
        sealDraft(corrupted, base);
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(CorruptRecordError);
      expect((caught as CorruptRecordError).issues.some((issue) => issue.path[0] === field)).toBe(true);
      expect(isSealedDraft(corrupted)).toBe(false);
    },
  );

  /** Breaks one field of the verification or of one bootstrap run, keeping everything else shared. */
  const nestedCorruption = fc.record({
    target: fc.constantFrom("verification", "bootstrap-run", "bootstrap-operations"),
    field: fc.constantFrom(
      "runId",
      "operation",
      "status",
      "outcome",
      "startedAt",
      "completedAt",
      "message",
      "providerRevision",
    ),
    value: fc.constantFrom<unknown>("", 0, null, "nope", "2026-02-30T00:00:00Z", "x".repeat(5000), -1, undefined, {}),
    index: fc.nat(4),
  });

  test.prop([reachableDraftArbitrary(), nestedCorruption], { numRuns: NUM_RUNS })(
    "a change inside the verification or a bootstrap run is held to the same rules as a full parse",
    (draft, corruption) => {
      const base = parseDraft(plain(draft));
      let changed: OnboardingDraft;
      if (corruption.target === "verification") {
        fc.pre(base.verification !== null);
        changed = { ...base, verification: { ...base.verification, [corruption.field]: corruption.value } };
      } else if (corruption.target === "bootstrap-run") {
        const runs = base.bootstrap?.runs ?? [];
        fc.pre(runs.length > 0);
        const at = corruption.index % runs.length;
        const nextRuns = runs.map((run, i) => (i === at ? { ...run, [corruption.field]: corruption.value } : run));
        changed = { ...base, bootstrap: { ...base.bootstrap!, runs: nextRuns } };
      } else {
        fc.pre(base.bootstrap !== null);
        changed = {
          ...base,
          bootstrap: { ...base.bootstrap, operations: [...base.bootstrap.operations, corruption.value] },
        } as OnboardingDraft;
      }
      const full = (() => {
        try {
          return { ok: true as const, draft: parseDraft(plain(changed)) };
        } catch (error) {
          expect(error).toBeInstanceOf(CorruptRecordError);
          return { ok: false as const };
        }
      })();
      if (full.ok) {
        const sealed = sealDraft(changed, base);
        expect(sealed).toEqual(full.draft);
        expect(encodeDraft(sealed)).toBe(encodeDraft(full.draft));
        for (const node of everyNode(sealed)) expect(Object.isFrozen(node)).toBe(true);
      } else {
        expect(() => sealDraft(changed, base)).toThrow(CorruptRecordError);
      }
    },
  );

  it("a long bootstrap (many runs) is sealed the same way: one changed run, every other shared", () => {
    const runs = Array.from({ length: 40 }, (_, i) => run(`op-${i % 8}`, "completed", "failed", `r-${i}`));
    const base = parseDraft(plain(draftWith({ bootstrap: bootstrapOf(...runs) })));
    const changedRuns = base.bootstrap!.runs.map((r, i) =>
      i === 39 ? { ...r, status: "running" as const, outcome: null, completedAt: null } : r,
    );
    const changed = { ...base, bootstrap: { ...base.bootstrap!, runs: changedRuns } } as OnboardingDraft;
    const sealed = sealDraft(changed, base);
    expect(sealed).toEqual(parseDraft(plain(changed)));
    expect(sealed.bootstrap!.runs[0]).toBe(base.bootstrap!.runs[0]);
    const broken = {
      ...changed,
      bootstrap: { ...changed.bootstrap!, runs: changedRuns.map((r, i) => (i === 20 ? { ...r, runId: "" } : r)) },
    } as OnboardingDraft;
    expect(() => sealDraft(broken, base)).toThrow(CorruptRecordError);
  });

  it("the run and bootstrap schemas have no object-level check but run consistency (sealDraft relies on it)", () => {
    const checks = (schema: { _zod: { def: { checks?: readonly unknown[] } } }) => schema._zod.def.checks?.length ?? 0;
    expect(checks(VerificationSchema)).toBe(1);
    expect(checks(CheckpointRunSchema)).toBe(1);
    expect(checks(BootstrapSchema)).toBe(0);
    expect(Object.keys(BootstrapSchema.shape)).toEqual(["operations", "runs"]);
  });

  it("a previous draft that is not sealed gives no shortcut: every field is checked", () => {
    const unsealed = draftWith();
    const broken = { ...unsealed, createdBy: "" };
    // `broken.createdBy !== unsealed.createdBy`, but even a field equal to an unsealed previous
    // draft's is parsed:
    const sameBadField = { ...draftWith(), createdBy: "" };
    expect(() => sealDraft(broken, unsealed)).toThrow(CorruptRecordError);
    expect(() => sealDraft(sameBadField, { ...sameBadField })).toThrow(CorruptRecordError);
  });

  it("unknown keys are dropped and keys come out in canonical order", () => {
    const base = parseDraft(plain(draftWith()));
    const messy = { extra: "x", ...base, version: 2 } as OnboardingDraft;
    const sealed = sealDraft(messy, base);
    expect(Object.keys(sealed)).toEqual(Object.keys(canonicalDraft(base)));
    expect(encodeDraft(sealed)).toBe(JSON.stringify(canonicalDraft({ ...base, version: 2 })));
  });
});
