/**
 * `openTelemetry()` on the memory store, read back through the SDK's in-memory span exporter and
 * a collecting metric reader: a span per operation with its attributes, a CLIENT child per store
 * call on the database semantic conventions, errors with their stable code, lost writes and
 * retries counted on the span and in the metrics, and metric attributes that never carry an id.
 */
import { afterEach, describe, expect, it } from "vitest";
import { SpanKind, SpanStatusCode } from "@opentelemetry/api";
import type { ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { createOnboardingEngine, type EngineOptions, type WriteResult } from "../../src/index.js";
import { createMemoryStore, type MemoryStore } from "../../src/adapters/memory/index.js";
import { TelemetryAttribute as A, TelemetryMetric as M, openTelemetry } from "../../src/telemetry/index.js";
import { childrenOf, inMemoryTelemetry, named, total } from "./support.js";

const actor = { id: "operator" };
const worker = { id: "worker" };
const identity = { tenantId: "t-1", displayName: "Tenant" };
const noSleep = { sleep: () => Promise.resolve(), random: () => 0 };

let sdk = inMemoryTelemetry();
afterEach(async () => {
  await sdk.shutdown();
  sdk = inMemoryTelemetry();
});

function setup(extra: Partial<EngineOptions> = {}, store: MemoryStore = createMemoryStore()) {
  let n = 0;
  const engine = createOnboardingEngine({
    store,
    authorize: () => true,
    ids: { draftId: () => `d-${++n}`, runId: () => `run-${++n}`, eventId: () => `e-${++n}` },
    retry: noSleep,
    instrumentation: openTelemetry({ tracer: sdk.tracer, meter: sdk.meter }),
    ...extra,
  });
  return { engine, store };
}

const only = (spans: readonly ReadableSpan[], name: string): ReadableSpan => {
  const found = named(spans, name);
  expect(found, `one span named ${name} among ${spans.map((span) => span.name).join(", ")}`).toHaveLength(1);
  return found[0]!;
};

describe("openTelemetry: spans", () => {
  it("gives every operation an INTERNAL span with its attributes and one CLIENT child per store call", async () => {
    const { engine } = setup();
    const { draft } = await engine.create("ws-1", { identity }, { actor });
    await engine.execute(
      "ws-1",
      draft.id,
      { type: "select_provider", connectionId: "c-1" },
      { actor, expectedVersion: 1 },
    );
    await engine.get("ws-1", draft.id, { actor });
    await engine.history("ws-1", draft.id, { actor });
    await engine.list("ws-1", { actor });
    const spans = sdk.spans();

    const create = only(spans, "onboarding.create");
    expect(create.kind).toBe(SpanKind.INTERNAL);
    expect(create.attributes).toMatchObject({
      [A.Operation]: "create",
      [A.WorkspaceId]: "ws-1",
      [A.DraftId]: draft.id,
      [A.Outcome]: "created",
      [A.CommittedVersion]: 1,
      [A.Store]: "memory",
      [A.State]: "draft",
    });

    const execute = only(spans, "onboarding.execute select_provider");
    expect(execute.attributes).toMatchObject({
      [A.Operation]: "execute",
      [A.CommandType]: "select_provider",
      [A.WorkspaceId]: "ws-1",
      [A.DraftId]: draft.id,
      [A.ExpectedVersion]: 1,
      [A.CommittedVersion]: 2,
      [A.Outcome]: "committed",
      [A.Feedback]: "applied",
      [A.State]: "draft",
      [A.Conflicts]: 0,
      [A.Retries]: 0,
    });
    expect(execute.status.code).toBe(SpanStatusCode.UNSET);

    // The memory store keeps values, not text, so the engine reads before its compare-and-set.
    const calls = childrenOf(spans, execute);
    expect(calls.map((span) => span.name)).toEqual(["load drafts", "commit drafts"]);
    expect(calls.every((span) => span.kind === SpanKind.CLIENT)).toBe(true);
    expect(calls[1]!.attributes).toEqual({
      [A.DbSystemName]: "memory",
      [A.DbOperationName]: "commit",
      [A.DbCollectionName]: "drafts",
    });
    expect(calls[1]!.spanContext().traceId).toBe(execute.spanContext().traceId);

    const history = only(spans, "onboarding.history");
    expect(childrenOf(spans, history).map((span) => span.name)).toEqual(["load drafts", "listAudit audit"]);
    expect(history.attributes[A.Count]).toBe(2);
    expect(only(spans, "onboarding.list").attributes[A.Count]).toBe(1);
    expect(only(spans, "onboarding.get").attributes).toMatchObject({ [A.Outcome]: "ok", [A.DraftId]: draft.id });
  });

  it("names the outcome of replays, dedupes, ignored reports and resumed creates", async () => {
    const { engine } = setup();
    const { draft } = await engine.create("ws", { identity }, { actor });
    await engine.create("ws", { identity }, { actor, onExisting: "resume" });
    let result = await engine.execute(
      "ws",
      draft.id,
      { type: "select_provider", connectionId: "c" },
      { actor, expectedVersion: 1 },
    );
    const keyed = { actor, expectedVersion: result.version, idempotencyKey: "k-1" };
    result = await engine.execute("ws", draft.id, { type: "start_verification" }, keyed);
    await engine.execute("ws", draft.id, { type: "start_verification" }, keyed);
    await engine.execute("ws", draft.id, { type: "start_verification" }, { actor, expectedVersion: result.version });
    await engine
      .execute(
        "ws",
        draft.id,
        { type: "record_verification_result", runId: "run-nope", status: "running" },
        { actor: worker },
      )
      .catch(() => undefined);
    const runId = result.runIds[0]!;
    await engine.execute(
      "ws",
      draft.id,
      { type: "record_verification_result", runId, status: "completed", outcome: "succeeded" },
      { actor: worker },
    );
    await engine.execute(
      "ws",
      draft.id,
      { type: "record_verification_result", runId, status: "completed", outcome: "failed" },
      { actor: worker },
    );
    const outcomes = sdk.spans().map((span) => [span.name, span.attributes[A.Outcome], span.attributes[A.Feedback]]);
    expect(outcomes.filter(([name]) => String(name).startsWith("onboarding."))).toEqual([
      ["onboarding.create", "created", undefined],
      ["onboarding.create", "resumed", undefined],
      ["onboarding.execute select_provider", "committed", "applied"],
      ["onboarding.execute start_verification", "committed", "queued"],
      ["onboarding.execute start_verification", "replayed", "queued"],
      ["onboarding.execute start_verification", "deduped", "deduped"],
      ["onboarding.execute record_verification_result", "refused", undefined],
      ["onboarding.execute record_verification_result", "committed", "recorded"],
      ["onboarding.execute record_verification_result", "ignored", "ignored_duplicate_result"],
    ]);
    // A worker report carries no expected version, even if one is sent.
    const report = named(sdk.spans(), "onboarding.execute record_verification_result")[1]!;
    expect(report.attributes[A.ExpectedVersion]).toBeUndefined();
  });

  it("records an error with its stable code: status ERROR, the exception, error.type and the outcome", async () => {
    const { engine } = setup({ authorize: (_actor, capability) => capability !== "cancel" });
    const { draft } = await engine.create("ws", { identity }, { actor });
    await engine.execute("ws", draft.id, { type: "select_provider", connectionId: "c" }, { actor, expectedVersion: 1 });
    await expect(
      engine.execute("ws", draft.id, { type: "select_provider", connectionId: "c2" }, { actor, expectedVersion: 1 }),
    ).rejects.toMatchObject({ code: "version_conflict" });
    await expect(
      engine.execute("ws", draft.id, { type: "cancel" }, { actor, expectedVersion: 2 }),
    ).rejects.toMatchObject({
      code: "forbidden",
    });
    const unknownCommand: unknown = { type: "nope" };
    await expect(engine.execute("ws", draft.id, unknownCommand, { actor, expectedVersion: 2 })).rejects.toMatchObject({
      code: "validation_failed",
    });
    await expect(engine.get("ws", "missing", { actor })).rejects.toMatchObject({ code: "draft_not_found" });

    const failed = sdk
      .spans()
      .filter((span) => span.status.code === SpanStatusCode.ERROR && span.name.startsWith("onboarding."));
    expect(
      failed.map((span) => [
        span.name,
        span.attributes[A.Outcome],
        span.attributes[A.ErrorCode],
        span.attributes[A.ErrorType],
      ]),
    ).toEqual([
      ["onboarding.execute select_provider", "conflict", "version_conflict", "version_conflict"],
      ["onboarding.execute cancel", "denied", "forbidden", "forbidden"],
      ["onboarding.execute", "invalid", "validation_failed", "validation_failed"],
      ["onboarding.get", "not_found", "draft_not_found", "draft_not_found"],
    ]);
    const conflict = failed[0]!;
    expect(conflict.attributes).toMatchObject({ [A.ExpectedVersion]: 1, [A.ActualVersion]: 2 });
    expect(conflict.status.message).toMatch(/version/i);
    const exception = conflict.events.find((event) => event.name === "exception");
    expect(exception?.attributes?.["exception.type"]).toBe("version_conflict");
    // The conflict was audited on the way: its store calls are children of the failed span.
    // (The memory store writes the entry and reads its writer in one call, `appendConflict`.)
    expect(childrenOf(sdk.spans(), conflict).map((span) => span.attributes[A.DbOperationName])).toContain(
      "appendConflict",
    );
    // An unknown command type never becomes an attribute (nor a span name).
    expect(failed[2]!.attributes[A.CommandType]).toBeUndefined();
  });

  it("counts lost compare-and-set writes and retries on the span, with a retry event each", async () => {
    const base = createMemoryStore();
    let rejections = 0;
    const store: MemoryStore = Object.assign(Object.create(base) as MemoryStore, {
      async commit(input: Parameters<MemoryStore["commit"]>[0]): Promise<WriteResult> {
        if (input.draft.verification?.status === "completed" && rejections < 2) {
          rejections += 1;
          return { ok: false, reason: "version_conflict", actualVersion: input.expectedVersion };
        }
        return base.commit(input);
      },
    });
    const { engine } = setup({ documentCacheSize: 0 }, store);
    const { draft } = await engine.create("ws", { identity }, { actor });
    let result = await engine.execute(
      "ws",
      draft.id,
      { type: "select_provider", connectionId: "c" },
      { actor, expectedVersion: 1 },
    );
    result = await engine.execute(
      "ws",
      draft.id,
      { type: "start_verification" },
      { actor, expectedVersion: result.version },
    );
    await engine.execute(
      "ws",
      draft.id,
      { type: "record_verification_result", runId: result.runIds[0]!, status: "completed", outcome: "succeeded" },
      { actor: worker },
    );
    const report = only(sdk.spans(), "onboarding.execute record_verification_result");
    expect(report.attributes).toMatchObject({ [A.Conflicts]: 2, [A.Retries]: 2, [A.Outcome]: "committed" });
    expect(report.events.filter((event) => event.name === "onboarding.retry").map((event) => event.attributes)).toEqual(
      [
        { "onboarding.retry.attempt": 1, "onboarding.retry.delay_ms": 0 },
        { "onboarding.retry.attempt": 2, "onboarding.retry.delay_ms": 0 },
      ],
    );
    const commits = childrenOf(sdk.spans(), report).filter((span) => span.attributes[A.DbOperationName] === "commit");
    expect(commits.map((span) => span.attributes[A.WriteRejected])).toEqual([
      "version_conflict",
      "version_conflict",
      undefined,
    ]);

    const where = { [A.CommandType]: "record_verification_result" };
    expect(total(await sdk.points(M.Retries), where)).toBe(2);
    expect(total(await sdk.points(M.Conflicts), { ...where, [A.ConflictKind]: "lost_write" })).toBe(2);
  });

  it("nests the executes of expireStuckRuns under its span", async () => {
    let now = Date.parse("2026-01-01T00:00:00.000Z");
    const { engine } = setup({ clock: { now: () => now }, runLeaseMs: 1000 });
    const { draft } = await engine.create("ws", { identity }, { actor });
    const selected = await engine.execute(
      "ws",
      draft.id,
      { type: "select_provider", connectionId: "c" },
      { actor, expectedVersion: 1 },
    );
    await engine.execute("ws", draft.id, { type: "start_verification" }, { actor, expectedVersion: selected.version });
    now += 5000;
    const report = await engine.expireStuckRuns({ actor: worker });
    expect(report.expired).toHaveLength(1);
    const spans = sdk.spans();
    const expire = only(spans, "onboarding.expireStuckRuns");
    expect(expire.attributes).toMatchObject({ [A.Outcome]: "ok", [A.Count]: 1 });
    const children = childrenOf(spans, expire);
    expect(children.map((span) => span.name)).toContain("onboarding.execute expire_run");
    expect(children.map((span) => span.name)).toContain("findStaleRuns outbox");
    const expiry = only(spans, "onboarding.execute expire_run");
    expect(expiry.attributes).toMatchObject({ [A.Outcome]: "committed", [A.Feedback]: "expired" });
    expect(childrenOf(spans, expiry).length).toBeGreaterThan(0);
  });
});

describe("openTelemetry: metrics", () => {
  it("measures every operation in seconds, by operation, command type, outcome and store, never by id", async () => {
    const { engine } = setup();
    const { draft } = await engine.create("ws", { identity }, { actor });
    await engine.execute("ws", draft.id, { type: "select_provider", connectionId: "c" }, { actor, expectedVersion: 1 });
    await engine
      .execute("ws", draft.id, { type: "select_provider", connectionId: "c" }, { actor, expectedVersion: 1 })
      .catch(() => undefined);
    await engine.get("ws", draft.id, { actor });

    const durations = await sdk.points(M.OperationDuration);
    expect(total(durations, { [A.Operation]: "create", [A.Outcome]: "created" }, "count")).toBe(1);
    expect(
      total(
        durations,
        { [A.Operation]: "execute", [A.CommandType]: "select_provider", [A.Outcome]: "committed" },
        "count",
      ),
    ).toBe(1);
    expect(total(durations, { [A.CommandType]: "select_provider", [A.Outcome]: "conflict" }, "count")).toBe(1);
    expect(total(durations, { [A.Operation]: "get", [A.Outcome]: "ok", [A.Store]: "memory" }, "count")).toBe(1);
    for (const point of durations) {
      expect(point.sum).toBeGreaterThan(0);
      expect(point.sum).toBeLessThan(5); // seconds, not milliseconds
      expect(point.boundaries?.[0]).toBe(0.0001);
    }
    expect(
      total(await sdk.points(M.Conflicts), { [A.ConflictKind]: "stale_version", [A.CommandType]: "select_provider" }),
    ).toBe(1);

    const store = await sdk.points(M.DbOperationDuration);
    expect(
      total(
        store,
        { [A.DbOperationName]: "commit", [A.DbSystemName]: "memory", [A.DbCollectionName]: "drafts" },
        "count",
      ),
    ).toBe(1);

    const allowed = new Set<string>([
      A.Operation,
      A.CommandType,
      A.Outcome,
      A.Store,
      A.ConflictKind,
      A.DbSystemName,
      A.DbNamespace,
      A.DbCollectionName,
      A.DbOperationName,
      A.ErrorType,
    ]);
    for (const name of Object.values(M)) {
      for (const point of await sdk.points(name)) {
        expect(
          Object.keys(point.attributes).filter((key) => !allowed.has(key)),
          name,
        ).toEqual([]);
      }
    }
    const units = Object.fromEntries((await sdk.descriptors()).map(({ name, unit }) => [name, unit]));
    expect(units).toMatchObject({
      [M.OperationDuration]: "s",
      [M.DbOperationDuration]: "s",
      [M.Conflicts]: "{conflict}",
    });
  });

  it("records a failed store call with its error.type", async () => {
    const base = createMemoryStore();
    const store: MemoryStore = Object.assign(Object.create(base) as MemoryStore, {
      load: () => Promise.reject(new Error("disk on fire")),
    });
    const { engine } = setup({}, store);
    await expect(engine.get("ws", "d-1", { actor })).rejects.toThrow("disk on fire");
    const load = only(sdk.spans(), "load drafts");
    expect(load.status.code).toBe(SpanStatusCode.ERROR);
    expect(load.attributes[A.ErrorType]).toBe("Error");
    expect(only(sdk.spans(), "onboarding.get").attributes).toMatchObject({
      [A.Outcome]: "error",
      [A.ErrorType]: "Error",
    });
    expect(total(await sdk.points(M.DbOperationDuration), { [A.ErrorType]: "Error" }, "count")).toBe(1);
  });
});

describe("openTelemetry: options", () => {
  it("turns store spans, tracing or metrics off", async () => {
    const quiet = createOnboardingEngine({
      store: createMemoryStore(),
      authorize: () => true,
      instrumentation: openTelemetry({ tracer: sdk.tracer, meter: false, storeSpans: false }),
    });
    await quiet.create("ws", { identity }, { actor });
    expect(sdk.spans().map((span) => span.name)).toEqual(["onboarding.create"]);
    expect(await sdk.points(M.OperationDuration)).toEqual([]);

    const counted = createOnboardingEngine({
      store: createMemoryStore(),
      authorize: () => true,
      instrumentation: openTelemetry({ tracer: false, meter: sdk.meter }),
    });
    await counted.create("ws", { identity }, { actor });
    expect(sdk.spans()).toHaveLength(1);
    expect(total(await sdk.points(M.OperationDuration), { [A.Operation]: "create" }, "count")).toBe(1);
  });

  it("lets the database description be overridden (MariaDB behind the MySQL adapter)", async () => {
    const engine = createOnboardingEngine({
      store: createMemoryStore(),
      authorize: () => true,
      instrumentation: openTelemetry({
        tracer: sdk.tracer,
        meter: false,
        database: { system: "mariadb", namespace: "app" },
      }),
    });
    await engine.create("ws", { identity }, { actor });
    const insert = only(sdk.spans(), "insert drafts");
    expect(insert.attributes).toMatchObject({ [A.DbSystemName]: "mariadb", [A.DbNamespace]: "app" });
  });

  it("works with no SDK at all: the global API's no-op tracer and meter", async () => {
    const engine = createOnboardingEngine({
      store: createMemoryStore(),
      authorize: () => true,
      instrumentation: openTelemetry(),
    });
    const { draft } = await engine.create("ws", { identity }, { actor });
    const result = await engine.execute(
      "ws",
      draft.id,
      { type: "select_provider", connectionId: "c" },
      { actor, expectedVersion: 1 },
    );
    expect(result.version).toBe(2);
    expect(sdk.spans()).toEqual([]);
  });
});
