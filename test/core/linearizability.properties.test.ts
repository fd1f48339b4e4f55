/**
 * Property tests of the linearizability checker. Histories generated from a true atomic register
 * run by concurrent clients (random overlaps, unknown outcomes that applied or not, retries
 * under the same idempotency key) are linearizable by construction and must be accepted; the
 * same histories with one result changed in a way that breaks linearizability for certain must
 * be rejected, with a counterexample that really fails; and on small histories the checker
 * agrees with a brute-force search over every order, whatever the mutation. fast-check prints the
 * seed and the counterexample on failure; replay with `{ seed, path }`.
 */
import { describe, expect, it } from "vitest";
import { fc, test } from "@fast-check/vitest";
import { checkLinearizability, type DraftOperation } from "../../src/testing/index.js";
import { versionRegister } from "../../src/testing/linearizability/register.js";
import { withPending } from "../../src/testing/linearizability/counterexample.js";
import { bruteForce, generateHistory, mutate, prng, type Mutation } from "../support/register-history.js";

const start = () => ({ version: 1, value: "v1" });
const model = versionRegister(start);
const MUTATIONS: readonly Mutation[] = [
  "stale_read",
  "double_commit",
  "version_skip",
  "tampered_read",
  "fabricated_replay",
];

const shape = fc.record({
  seed: fc.integer(),
  operations: fc.integer({ min: 1, max: 160 }),
  clients: fc.integer({ min: 1, max: 8 }),
  partitions: fc.integer({ min: 1, max: 3 }),
  unknownRate: fc.double({ min: 0, max: 0.4, noNaN: true }),
});

describe("linearizability checker: properties", () => {
  test.prop([shape], { numRuns: 300 })("accepts every history generated from the sequential model", (options) => {
    const history = generateHistory(options);
    const result = checkLinearizability(history, { start });
    expect(result.verdict, result.report).toBe("linearizable");
  });

  test.prop([shape, fc.constantFrom(...MUTATIONS), fc.nat()], { numRuns: 300 })(
    "rejects a generated history with one result changed so that no order explains it",
    (options, mutation, choice) => {
      const mutated = mutate(generateHistory(options), mutation, choice);
      fc.pre(mutated !== null);
      const result = checkLinearizability(mutated, { start });
      expect(result.verdict, `${mutation}\n${result.report}`).toBe("not_linearizable");
      const example = result.counterexample;
      expect(example).not.toBeNull();
      if (example === null) return;
      // The counterexample holds up: its sub-history fails, and linearizes once the culprit's answer is forgotten.
      expect(checkLinearizability(example.minimal, { start, explain: false }).verdict).toBe("not_linearizable");
      const forgotten = withPending(example.minimal, example.operation.id);
      expect(checkLinearizability(forgotten, { start, explain: false }).verdict).toBe("linearizable");
    },
  );

  test.prop([fc.integer(), fc.integer({ min: 1, max: 7 }), fc.integer({ min: 1, max: 4 }), fc.nat(), fc.boolean()], {
    numRuns: 1000,
  })(
    "agrees with a brute-force search on small histories, mutated or not",
    (seed, operations, clients, choice, scramble) => {
      let history: DraftOperation[] = generateHistory({ seed, operations, clients, unknownRate: 0.3 });
      if (scramble) history = scrambled(history, seed ^ choice);
      const result = checkLinearizability(history, { start, explain: false });
      expect(result.verdict === "linearizable", JSON.stringify(history)).toBe(bruteForce(model, history));
    },
  );
});

/** One result of a history changed at random: a version moved by one, a value, a flag, an outcome. */
function scrambled(history: DraftOperation[], seed: number): DraftOperation[] {
  const random = prng(seed);
  const ok = history.filter((op) => op.status === "ok" && op.output !== null);
  const target = ok[Math.floor(random() * ok.length)];
  if (target === undefined || target.output === null) return history;
  const out = target.output;
  const roll = random();
  const changed =
    out.type === "conflict"
      ? { ...out, actualVersion: (out.actualVersion ?? 1) + (roll < 0.5 ? 1 : -1) }
      : roll < 0.4
        ? { ...out, version: out.version + (random() < 0.5 ? 1 : -1) }
        : roll < 0.7
          ? { ...out, value: random() < 0.5 ? "v1" : `w${Math.floor(random() * history.length)}` }
          : out.type === "committed"
            ? { ...out, replayed: !out.replayed }
            : { ...out, value: "other" };
  return history.map((op) => (op.id === target.id ? { ...op, output: changed } : op));
}

describe("linearizability checker: scale", () => {
  const cases = [
    { label: "one draft, 8 clients", operations: 3_000, clients: 8, partitions: 1, unknownRate: 0.1 },
    { label: "one draft, 16 clients, 30% unknown", operations: 3_000, clients: 16, partitions: 1, unknownRate: 0.3 },
    { label: "20 drafts, 32 clients", operations: 10_000, clients: 32, partitions: 20, unknownRate: 0.1 },
  ] as const;
  for (const shape of cases) {
    it(`checks ${shape.operations} operations (${shape.label}) in seconds, and finds a stale read planted in them`, () => {
      const history = generateHistory({ seed: 20_260_101, ...shape });
      const result = checkLinearizability(history, { start });
      expect(result.verdict, result.report).toBe("linearizable");
      expect(result.ms).toBeLessThan(10_000);
      const steps = result.partitions.reduce((sum, partition) => sum + partition.steps, 0);
      const planted = checkLinearizability(mutate(history, "stale_read", 1) as DraftOperation[], { start });
      expect(planted.verdict).toBe("not_linearizable");
      console.log(
        `[linearizability] ${shape.label}: ${result.report}; ${steps} search steps; ` +
          `a planted stale read found in ${Math.round(planted.ms)} ms (minimal counterexample: ${planted.counterexample?.minimal.length} operations)`,
      );
    });
  }
});
