/**
 * Benchmark: engine.execute on the in-memory store with a realistic command mix, and, in the
 * same run, a bare hand-written compare-and-set on a Map doing the same writes. Prints both
 * figures and their ratio. Not a test: run with `npm run bench -- engine` or
 * `npx tsx bench/engine.ts`.
 *
 * The two sides run in interleaved rounds (engine, bare, engine, bare, ...) and each figure is
 * the median round, so a burst of noise from a shared machine hits both sides alike. Both sides
 * keep a bounded working set: every 1,000 onboardings the store (or the map) is emptied, as an
 * app keeps a bounded number of drafts in memory; without it the run measures the garbage
 * collector walking an ever-growing heap rather than the writes.
 */
import { createOnboardingEngine, type CommandInput, type OnboardingDraft } from "../src/index.js";
import { createMemoryStore } from "../src/adapters/memory/index.js";

const DURATION_MS = Number(process.env["BENCH_MS"] ?? 3000);
const ROUNDS = 5;
const ROUND_MS = DURATION_MS / ROUNDS;
const WORKING_SET = 1000;

let counter = 0;
const ids = {
  draftId: () => `d-${(counter += 1)}`,
  runId: () => `r-${(counter += 1)}`,
  eventId: () => `e-${(counter += 1)}`,
};

/** The commands of one onboarding, built from the draft as it evolves (a realistic mix). */
function nextCommand(draft: OnboardingDraft, step: number): CommandInput | null {
  switch (step) {
    case 0:
      return {
        type: "identify",
        tenantId: `t-${draft.id}`,
        displayName: "Contoso Ltd",
        primaryDomain: "contoso.example",
      };
    case 1:
      return { type: "select_provider", connectionId: "conn-1" };
    case 2:
      return { type: "start_verification" };
    case 3:
      return { type: "record_verification_result", runId: draft.verification?.runId ?? "", status: "running" };
    case 4:
      return {
        type: "record_verification_result",
        runId: draft.verification?.runId ?? "",
        status: "completed",
        outcome: "succeeded",
      };
    case 5:
      return { type: "start_bootstrap", operations: ["sync_directory", "apply_baseline"] };
    case 6:
      return {
        type: "record_bootstrap_result",
        runId: draft.bootstrap?.runs[0]?.runId ?? "",
        status: "completed",
        outcome: "succeeded",
      };
    case 7:
      return {
        type: "record_bootstrap_result",
        runId: draft.bootstrap?.runs[1]?.runId ?? "",
        status: "completed",
        outcome: "succeeded",
      };
    case 8:
      return { type: "activate" };
    default:
      return null;
  }
}

async function benchEngine(): Promise<{ mutations: number; ms: number }> {
  const store = createMemoryStore();
  const engine = createOnboardingEngine({ store, authorize: () => true, ids });
  const actor = { id: "bench" };
  let mutations = 0;
  let onboardings = 0;
  const start = performance.now();
  while (performance.now() - start < ROUND_MS) {
    if ((onboardings += 1) % WORKING_SET === 0) store.clear();
    let { draft } = await engine.create("ws", {}, { actor });
    for (let step = 0; ; step += 1) {
      const command = nextCommand(draft, step);
      if (command === null) break;
      const result = await engine.execute("ws", draft.id, command, { actor, expectedVersion: draft.version });
      draft = result.draft;
      mutations += 1;
    }
  }
  return { mutations, ms: performance.now() - start };
}

/** The floor: a Map holding JSON documents, a version compare, an audit append. */
async function benchBareMap(): Promise<{ mutations: number; ms: number }> {
  const records = new Map<string, { version: number; document: string }>();
  const audit: string[] = [];
  let mutations = 0;
  let onboardings = 0;
  const start = performance.now();
  const cas = async (id: string, expected: number, next: OnboardingDraft): Promise<boolean> => {
    const stored = records.get(id);
    if (stored === undefined || stored.version !== expected) return false;
    records.set(id, { version: next.version, document: JSON.stringify(next) });
    audit.push(JSON.stringify({ id, from: expected, to: next.version }));
    return true;
  };
  const template = await (async () => {
    const engine = createOnboardingEngine({ store: createMemoryStore(), authorize: () => true, ids });
    return (await engine.create("ws", {}, { actor: { id: "bench" } })).draft;
  })();
  while (performance.now() - start < ROUND_MS) {
    if ((onboardings += 1) % WORKING_SET === 0) {
      records.clear();
      audit.length = 0;
    }
    const id = `m-${(counter += 1)}`;
    records.set(id, { version: 1, document: JSON.stringify({ ...template, id }) });
    for (let step = 0; step < 9; step += 1) {
      const stored = records.get(id);
      if (stored === undefined) throw new Error("lost");
      const draft = JSON.parse(stored.document) as OnboardingDraft;
      const next = { ...draft, version: draft.version + 1, updatedAt: new Date().toISOString() };
      if (!(await cas(id, draft.version, next))) throw new Error("conflict");
      mutations += 1;
    }
  }
  return { mutations, ms: performance.now() - start };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function main(): Promise<void> {
  await benchEngine(); // warm-up (JIT, zod's compiled parsers)
  await benchBareMap();
  const engineRates: number[] = [];
  const bareRates: number[] = [];
  for (let round = 0; round < ROUNDS; round += 1) {
    const engine = await benchEngine();
    engineRates.push((engine.mutations / engine.ms) * 1000);
    const bare = await benchBareMap();
    bareRates.push((bare.mutations / bare.ms) * 1000);
  }
  const engineRate = median(engineRates);
  const bareRate = median(bareRates);
  const range = (rates: number[]): string =>
    `${Math.round(Math.min(...rates)).toLocaleString("en-US")} – ${Math.round(Math.max(...rates)).toLocaleString("en-US")}`;
  const rows = [
    ["engine.execute (memory store)", Math.round(engineRate).toLocaleString("en-US"), range(engineRates)],
    ["bare Map compare-and-set", Math.round(bareRate).toLocaleString("en-US"), range(bareRates)],
    ["ratio engine / bare", (engineRate / bareRate).toFixed(3), ""],
  ];
  console.log(
    `node ${process.version}, ${ROUNDS} interleaved rounds of ${ROUND_MS} ms per side, one core; median (range)`,
  );
  for (const [label, value, spread] of rows) console.log(`${label!.padEnd(32)} ${value!.padStart(10)}   ${spread}`);
  console.log(`target 100,000 mutations/s: ${engineRate >= 100_000 ? "met" : "NOT met"}`);
}

void main();
