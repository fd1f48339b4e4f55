/**
 * `openTelemetry()` as the dispatcher's instrumentation, on the memory store with injected
 * clocks: a PRODUCER span per delivery with the entry's attributes, the dispatch lag (from the
 * entry's commit to its delivery) as a histogram in seconds, and deliveries counted by outcome.
 */
import { describe, expect, it } from "vitest";
import { SpanKind, SpanStatusCode } from "@opentelemetry/api";
import { createDispatcher, createOnboardingEngine, type DispatchInstrumentation } from "../../src/index.js";
import { createMemoryStore } from "../../src/adapters/memory/index.js";
import { TelemetryAttribute as A, TelemetryMetric as M, openTelemetry } from "../../src/telemetry/index.js";
import { inMemoryTelemetry, named, total } from "./support.js";

const actor = { id: "operator" };
const T0 = Date.parse("2026-01-01T00:00:00.000Z");

/** A store with one `run.requested` entry committed at T0. */
async function oneRun() {
  const store = createMemoryStore();
  const engine = createOnboardingEngine({ store, authorize: () => true, clock: { now: () => T0 } });
  const { draft } = await engine.create("ws", { identity: { tenantId: "t", displayName: "T" } }, { actor });
  const selected = await engine.execute(
    "ws",
    draft.id,
    { type: "select_provider", connectionId: "c" },
    { actor, expectedVersion: 1 },
  );
  const started = await engine.execute(
    "ws",
    draft.id,
    { type: "start_verification" },
    { actor, expectedVersion: selected.version },
  );
  return { store, draftId: draft.id, runId: started.runIds[0]! };
}

describe("openTelemetry: dispatcher", () => {
  it("measures the lag from commit to delivery and counts deliveries by outcome", async () => {
    const sdk = inMemoryTelemetry();
    const { store, draftId, runId } = await oneRun();
    let now = T0 + 1500;
    let failures = 1;
    const dispatcher = createDispatcher({
      store,
      owner: "dispatcher-1",
      clock: () => now,
      backoff: { baseMs: 1000, jitter: false },
      instrumentation: openTelemetry({ tracer: sdk.tracer, meter: sdk.meter }),
      deliver: () => {
        if (failures-- > 0) return Promise.reject(new Error("queue unavailable"));
        return Promise.resolve();
      },
      onError: () => undefined,
    });
    expect(await dispatcher.runOnce()).toMatchObject({ claimed: 1, retried: 1 });
    now += 2000; // past the retry's backoff
    expect(await dispatcher.runOnce()).toMatchObject({ claimed: 1, delivered: 1 });

    const deliveries = named(sdk.spans(), "onboarding.deliver run.requested");
    expect(deliveries).toHaveLength(2);
    const [failed, delivered] = deliveries;
    expect(delivered!.kind).toBe(SpanKind.PRODUCER);
    expect(delivered!.attributes).toMatchObject({
      [A.OutboxKind]: "run.requested",
      [A.Checkpoint]: "verify_access",
      [A.WorkspaceId]: "ws",
      [A.DraftId]: draftId,
      [A.RunId]: runId,
      [A.Attempt]: 2,
      [A.DeliveryOutcome]: "delivered",
      "onboarding.dispatch.lag_ms": 3500,
    });
    expect(failed!.status).toMatchObject({ code: SpanStatusCode.ERROR, message: "queue unavailable" });
    expect(failed!.attributes).toMatchObject({ [A.DeliveryOutcome]: "failed", [A.ErrorType]: "delivery_failed" });

    const lag = await sdk.points(M.DispatchLag);
    expect(lag).toHaveLength(1);
    expect(lag[0]).toMatchObject({ count: 1, sum: 3.5 });
    expect(lag[0]!.attributes).toEqual({
      [A.OutboxKind]: "run.requested",
      [A.Checkpoint]: "verify_access",
      [A.Store]: "memory",
    });
    const counted = await sdk.points(M.Deliveries);
    expect(total(counted, { [A.DeliveryOutcome]: "failed" })).toBe(1);
    expect(total(counted, { [A.DeliveryOutcome]: "delivered" })).toBe(1);
    await sdk.shutdown();
  });

  it("never lets an instrumentation break a delivery, and checks the option", async () => {
    const { store } = await oneRun();
    const broken: DispatchInstrumentation = {
      startDelivery: () => ({
        run: (body) => body(),
        end: () => {
          throw new Error("exporter down");
        },
      }),
    };
    const dispatcher = createDispatcher({ store, deliver: () => Promise.resolve(), instrumentation: broken });
    expect(await dispatcher.runOnce()).toMatchObject({ claimed: 1, delivered: 1 });
    expect(() =>
      createDispatcher({ store, deliver: () => Promise.resolve(), instrumentation: {} as DispatchInstrumentation }),
    ).toThrow(/instrumentation\.startDelivery/);
  });
});
