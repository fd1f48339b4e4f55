/**
 * Span context with a context manager registered (as `NodeSDK` and `provider.register()` do):
 * an engine operation is a child of the application's active span, the application's own code
 * called by the engine (`authorize`) runs inside the operation's span, and a driver's own
 * instrumentation inside a store call nests under the store call's span. Without a context
 * manager the operation's children are still its children (the engine passes the parent along).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { context, trace, TraceFlags } from "@opentelemetry/api";
import { SamplingDecision, type Sampler } from "@opentelemetry/sdk-trace-base";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { createOnboardingEngine } from "../../src/index.js";
import { createMemoryStore, type MemoryStore } from "../../src/adapters/memory/index.js";
import { openTelemetry } from "../../src/telemetry/index.js";
import { childrenOf, inMemoryTelemetry, named } from "./support.js";

const actor = { id: "operator" };
const identity = { tenantId: "t-1", displayName: "Tenant" };

describe("openTelemetry: span context", () => {
  const manager = new AsyncLocalStorageContextManager();
  beforeAll(() => {
    context.setGlobalContextManager(manager.enable());
  });
  afterAll(() => {
    context.disable();
  });

  it("parents the operation on the active span, and the app's and driver's spans on the engine's", async () => {
    const sdk = inMemoryTelemetry();
    const seenInAuthorize: (string | undefined)[] = [];
    const base = createMemoryStore();
    // A stand-in for a driver's own instrumentation: a span started inside the store call.
    const store: MemoryStore = Object.assign(Object.create(base) as MemoryStore, {
      async insert(input: Parameters<MemoryStore["insert"]>[0]) {
        return sdk.tracer.startActiveSpan("driver INSERT", async (span) => {
          try {
            return await base.insert(input);
          } finally {
            span.end();
          }
        });
      },
    });
    const engine = createOnboardingEngine({
      store,
      authorize: () => {
        seenInAuthorize.push(trace.getActiveSpan()?.spanContext().spanId);
        return Promise.resolve(true); // asynchronous: the context must survive the await
      },
      instrumentation: openTelemetry({ tracer: sdk.tracer, meter: false }),
    });
    await sdk.tracer.startActiveSpan("POST /onboardings", async (request) => {
      await engine.create("ws", { identity }, { actor });
      request.end();
    });
    const spans = sdk.spans();
    const [request] = named(spans, "POST /onboardings");
    const [create] = named(spans, "onboarding.create");
    const [insert] = named(spans, "insert drafts");
    const [driver] = named(spans, "driver INSERT");
    expect(childrenOf(spans, request!)).toEqual([create]);
    expect(seenInAuthorize).toEqual([create!.spanContext().spanId]);
    expect(childrenOf(spans, insert!)).toEqual([driver]);
    expect(new Set(spans.map((span) => span.spanContext().traceId)).size).toBe(1);
    await sdk.shutdown();
  });

  it("keeps a sampled-out operation's context active, so what runs inside is sampled out too", async () => {
    // Drops the engine's spans; everything else follows its parent (as ParentBased does).
    const sampler: Sampler = {
      shouldSample(parentContext, _traceId, name) {
        const parent = trace.getSpanContext(parentContext);
        const parentDropped = parent !== undefined && (parent.traceFlags & TraceFlags.SAMPLED) === 0;
        const drop = name.startsWith("onboarding.") || parentDropped;
        return { decision: drop ? SamplingDecision.NOT_RECORD : SamplingDecision.RECORD_AND_SAMPLED };
      },
      toString: () => "drop-onboarding",
    };
    const sdk = inMemoryTelemetry({ sampler });
    const engine = createOnboardingEngine({
      store: createMemoryStore(),
      authorize: () => {
        sdk.tracer.startSpan("policy lookup").end(); // the application's own span, inside the operation
        return true;
      },
      instrumentation: openTelemetry({ tracer: sdk.tracer, meter: false }),
    });
    await sdk.tracer.startActiveSpan("POST /onboardings", async (request) => {
      await engine.create("ws", { identity }, { actor });
      request.end();
    });
    // Not a stray child of the request: it ran inside the (dropped) operation.
    expect(sdk.spans().map((span) => span.name)).toEqual(["POST /onboardings"]);
    await sdk.shutdown();
  });
});

describe("openTelemetry: without a context manager", () => {
  it("still makes each store call a child of its operation", async () => {
    const sdk = inMemoryTelemetry();
    const engine = createOnboardingEngine({
      store: createMemoryStore(),
      authorize: () => Promise.resolve(true),
      instrumentation: openTelemetry({ tracer: sdk.tracer, meter: false }),
    });
    const { draft } = await engine.create("ws", { identity }, { actor });
    await engine.get("ws", draft.id, { actor });
    const spans = sdk.spans();
    for (const operation of [...named(spans, "onboarding.create"), ...named(spans, "onboarding.get")]) {
      expect(operation.parentSpanContext).toBeUndefined();
      expect(childrenOf(spans, operation).length).toBeGreaterThan(0);
    }
    expect(spans.filter((span) => span.parentSpanContext === undefined)).toHaveLength(2);
    await sdk.shutdown();
  });
});
