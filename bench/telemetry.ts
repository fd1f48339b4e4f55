/**
 * Benchmark: what OpenTelemetry costs the engine. The command mix of bench/engine.ts (nine
 * commands per onboarding) on the memory store, four ways, in interleaved rounds (each figure
 * the median round, with the range beside it):
 *
 * - no instrumentation (the plain engine);
 * - `openTelemetry()` with the API installed but no SDK registered (the global no-op tracer and
 *   meter): what an application pays before it wires an exporter;
 * - the SDK with a sampler that records nothing (`AlwaysOffSampler`) but metrics on: a busy
 *   service sampling a small share of its traces;
 * - the SDK recording every span (batched into an exporter that drops them) and every metric.
 *
 * Figures are commands per CPU-second of the process (`process.cpuUsage`), which a shared
 * machine disturbs less than wall-clock time. Not a test: run with `npm run bench -- telemetry`
 * or `npx tsx bench/telemetry.ts` (BENCH_MS=8000 to measure longer).
 */
import {
  createOnboardingEngine,
  type CommandInput,
  type EngineInstrumentation,
  type OnboardingDraft,
} from "../src/index.js";
import { createMemoryStore } from "../src/adapters/memory/index.js";
import { openTelemetry } from "../src/telemetry/index.js";
import {
  AlwaysOffSampler,
  BasicTracerProvider,
  BatchSpanProcessor,
  type ReadableSpan,
  type SpanExporter,
} from "@opentelemetry/sdk-trace-base";
import { MeterProvider, MetricReader } from "@opentelemetry/sdk-metrics";

const DURATION_MS = Number(process.env["BENCH_MS"] ?? 4000);
const ROUNDS = 5;
const SIDES = 4;
const ROUND_MS = DURATION_MS / ROUNDS / SIDES;
const WORKING_SET = 1000;

let counter = 0;
const ids = {
  draftId: () => `d-${(counter += 1)}`,
  runId: () => `r-${(counter += 1)}`,
  eventId: () => `e-${(counter += 1)}`,
};

/** The commands of one onboarding (bench/engine.ts's mix). */
function nextCommand(draft: OnboardingDraft, step: number): CommandInput | null {
  const verification = draft.verification?.runId ?? "";
  const runs = draft.bootstrap?.runs ?? [];
  const steps: (CommandInput | null)[] = [
    { type: "identify", tenantId: `t-${draft.id}`, displayName: "Contoso Ltd", primaryDomain: "contoso.example" },
    { type: "select_provider", connectionId: "conn-1" },
    { type: "start_verification" },
    { type: "record_verification_result", runId: verification, status: "running" },
    { type: "record_verification_result", runId: verification, status: "completed", outcome: "succeeded" },
    { type: "start_bootstrap", operations: ["sync_directory", "apply_baseline"] },
    { type: "record_bootstrap_result", runId: runs[0]?.runId ?? "", status: "completed", outcome: "succeeded" },
    { type: "record_bootstrap_result", runId: runs[1]?.runId ?? "", status: "completed", outcome: "succeeded" },
    { type: "activate" },
  ];
  return steps[step] ?? null;
}

/** An exporter that drops what it is given (the cost measured is the SDK's, not a network's). */
const dropping: SpanExporter = {
  export: (_spans: ReadableSpan[], done) => done({ code: 0 }),
  shutdown: () => Promise.resolve(),
};

class IdleReader extends MetricReader {
  protected onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
  protected onShutdown(): Promise<void> {
    return Promise.resolve();
  }
}

function sdk(sampled: boolean): EngineInstrumentation {
  const tracerProvider = new BasicTracerProvider({
    spanProcessors: [new BatchSpanProcessor(dropping, { maxQueueSize: 65_536, maxExportBatchSize: 4096 })],
    ...(sampled ? {} : { sampler: new AlwaysOffSampler() }),
  });
  const meterProvider = new MeterProvider({ readers: [new IdleReader()] });
  return openTelemetry({ tracer: tracerProvider.getTracer("bench"), meter: meterProvider.getMeter("bench") });
}

const SETUPS: readonly (readonly [string, () => EngineInstrumentation | undefined])[] = [
  ["no instrumentation", () => undefined],
  ["openTelemetry(), no SDK registered", () => openTelemetry()],
  ["SDK, sampled out, metrics on", () => sdk(false)],
  ["SDK, every span and metric", () => sdk(true)],
];

async function round(instrumentation: EngineInstrumentation | undefined): Promise<number> {
  const store = createMemoryStore();
  const engine = createOnboardingEngine({
    store,
    authorize: () => true,
    ids,
    ...(instrumentation === undefined ? {} : { instrumentation }),
  });
  const actor = { id: "bench" };
  let mutations = 0;
  let onboardings = 0;
  const cpu = process.cpuUsage();
  const start = performance.now();
  while (performance.now() - start < ROUND_MS) {
    if ((onboardings += 1) % WORKING_SET === 0) store.clear();
    let { draft } = await engine.create("ws", {}, { actor });
    for (let step = 0; ; step += 1) {
      const command = nextCommand(draft, step);
      if (command === null) break;
      draft = (await engine.execute("ws", draft.id, command, { actor, expectedVersion: draft.version })).draft;
      mutations += 1;
    }
  }
  // Per CPU-second of this process: on a shared machine wall-clock time also counts other processes.
  const used = process.cpuUsage(cpu);
  return (mutations / (used.user + used.system)) * 1e6;
}

const median = (values: readonly number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const format = (rate: number): string => Math.round(rate).toLocaleString("en-US");

async function main(): Promise<void> {
  const instrumentations = SETUPS.map(([, make]) => make());
  for (const instrumentation of instrumentations) await round(instrumentation); // warm-up
  const rates: number[][] = SETUPS.map(() => []);
  for (let r = 0; r < ROUNDS; r += 1) {
    for (const [index, instrumentation] of instrumentations.entries()) rates[index]!.push(await round(instrumentation));
  }
  const base = median(rates[0]!);
  console.log(
    `node ${process.version}, ${ROUNDS} interleaved rounds of ${ROUND_MS} ms per side; median (range), commands per CPU-second`,
  );
  for (const [index, [label]] of SETUPS.entries()) {
    const side = rates[index]!;
    const rate = median(side);
    const spread = `${format(Math.min(...side))} – ${format(Math.max(...side))}`;
    const relative = index === 0 ? "" : `  ${((rate / base) * 100).toFixed(0)} % of the plain engine`;
    console.log(`${label.padEnd(38)} ${format(rate).padStart(9)}   (${spread})${relative}`);
  }
}

void main();
