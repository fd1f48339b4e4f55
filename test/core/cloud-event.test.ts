import * as fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  AuditEventSchema,
  AuditKind,
  ConfigurationError,
  LifecycleState,
  toCloudEvent,
  type AuditEvent,
  type CloudEvent,
} from "../../src/index.js";
import { hostileStringArbitrary, timestampArbitrary } from "../../src/testing/arbitraries.js";

const SOURCE = "https://onboarding.example.com";

/** The context attributes CloudEvents 1.0 defines (required and optional); anything else is an extension. */
const CONTEXT_ATTRIBUTES = new Set([
  "specversion",
  "id",
  "source",
  "type",
  "subject",
  "time",
  "datacontenttype",
  "dataschema",
  "data",
  "data_base64",
]);
const EXTENSION_NAME = /^[a-z0-9]{1,20}$/;

function entry(overrides: Partial<AuditEvent> = {}): AuditEvent {
  return AuditEventSchema.parse({
    eventId: "evt-1",
    workspaceId: "ws-1",
    draftId: "d-1",
    kind: AuditKind.Committed,
    commandType: "set_identity",
    actorId: "u-1",
    at: "2026-01-01T10:00:00.000Z",
    fromVersion: 1,
    toVersion: 2,
    expectedVersion: null,
    actualVersion: null,
    idempotencyKey: null,
    feedback: "applied",
    runIds: [],
    capability: null,
    state: LifecycleState.Draft,
    ...overrides,
  });
}

const extensionNames = (event: CloudEvent): string[] =>
  Object.keys(event).filter((name) => !CONTEXT_ATTRIBUTES.has(name));

describe("toCloudEvent", () => {
  it("maps every audit kind to <prefix>.draft.<kind>", () => {
    const types = Object.values(AuditKind).map((kind) => toCloudEvent(entry({ kind }), { source: SOURCE }).type);
    expect(types).toEqual([
      "dev.onboarding-lifecycle.draft.created",
      "dev.onboarding-lifecycle.draft.committed",
      "dev.onboarding-lifecycle.draft.conflict",
      "dev.onboarding-lifecycle.draft.denied",
      "dev.onboarding-lifecycle.draft.delivery_dead",
      "dev.onboarding-lifecycle.draft.delivery_requeued",
    ]);
    const custom = toCloudEvent(entry({ kind: AuditKind.DeliveryDead }), {
      source: SOURCE,
      typePrefix: "com.example.onboarding",
    });
    expect(custom.type).toBe("com.example.onboarding.draft.delivery_dead");
  });

  it("sets every required attribute and the optional ones from the entry", () => {
    const audit = entry();
    expect(toCloudEvent(audit, { source: SOURCE })).toEqual({
      specversion: "1.0",
      id: "evt-1",
      source: SOURCE,
      type: "dev.onboarding-lifecycle.draft.committed",
      subject: "workspaces/ws-1/drafts/d-1",
      time: "2026-01-01T10:00:00.000Z",
      datacontenttype: "application/json",
      data: audit,
      workspaceid: "ws-1",
      draftid: "d-1",
      draftversion: 2,
    });
  });

  it("omits draftversion when the entry produced no version", () => {
    const denied = toCloudEvent(entry({ kind: AuditKind.Denied, fromVersion: null, toVersion: null }), {
      source: SOURCE,
    });
    expect(denied).not.toHaveProperty("draftversion");
    expect(extensionNames(denied).sort()).toEqual(["draftid", "workspaceid"]);
  });

  it("names every extension attribute as the spec requires", () => {
    const names = extensionNames(toCloudEvent(entry(), { source: SOURCE }));
    expect(names.sort()).toEqual(["draftid", "draftversion", "workspaceid"]);
    for (const name of names) expect(name).toMatch(EXTENSION_NAME);
  });

  it("percent-encodes ids in subject and keeps them raw in the extensions", () => {
    const event = toCloudEvent(entry({ workspaceId: "acme/eu 1", draftId: "d?#%ü/../x" }), { source: SOURCE });
    expect(event.subject).toBe("workspaces/acme%2Feu%201/drafts/d%3F%23%25%C3%BC%2F..%2Fx");
    expect(event.subject.split("/")).toHaveLength(4);
    expect(event.workspaceid).toBe("acme/eu 1");
    expect(event.draftid).toBe("d?#%ü/../x");
  });

  it("refuses an empty or whitespace source and a malformed type prefix", () => {
    for (const source of ["", " ", "https://x.example/a b", "/x\n"]) {
      expect(() => toCloudEvent(entry(), { source })).toThrow(ConfigurationError);
    }
    for (const typePrefix of ["", ".dev", "dev.", "dev..x", "dev x", "dev/x"]) {
      expect(() => toCloudEvent(entry(), { source: SOURCE, typePrefix })).toThrow(ConfigurationError);
    }
    expect(toCloudEvent(entry(), { source: "/onboarding/eu-1" }).source).toBe("/onboarding/eu-1");
  });

  it("does not share the entry's arrays with data", () => {
    const audit = entry({ runIds: ["r-1"] });
    const event = toCloudEvent(audit, { source: SOURCE });
    expect(event.data.runIds).toEqual(["r-1"]);
    expect(event.data.runIds).not.toBe(audit.runIds);
  });
});

const idArbitrary = fc.oneof(
  hostileStringArbitrary.filter((s) => s.length <= 128),
  fc.uuid(),
);
const versionArbitrary = fc.option(fc.integer({ min: 1, max: 1_000_000 }), { nil: null });

/** Schema-valid audit entries, every field drawn independently (combinations the engine never writes included). */
const auditEventArbitrary: fc.Arbitrary<AuditEvent> = fc
  .record({
    eventId: idArbitrary,
    workspaceId: idArbitrary,
    draftId: idArbitrary,
    kind: fc.constantFrom(...Object.values(AuditKind)),
    commandType: idArbitrary,
    actorId: idArbitrary,
    at: timestampArbitrary,
    fromVersion: versionArbitrary,
    toVersion: versionArbitrary,
    expectedVersion: fc.option(fc.integer(), { nil: null }),
    actualVersion: fc.option(fc.integer(), { nil: null }),
    idempotencyKey: fc.option(idArbitrary, { nil: null }),
    feedback: fc.option(idArbitrary, { nil: null }),
    runIds: fc.array(fc.uuid(), { maxLength: 4 }),
    capability: fc.option(idArbitrary, { nil: null }),
    state: fc.option(fc.constantFrom(...Object.values(LifecycleState)), { nil: null }),
  })
  .filter((event) => AuditEventSchema.safeParse(event).success)
  .map((event) => AuditEventSchema.parse(event));

describe("toCloudEvent (properties)", () => {
  it("gives a JSON-serialisable event whose data round-trips exactly", () => {
    // fast-check prints the seed and the counterexample path on failure; replay with { seed, path }.
    fc.assert(
      fc.property(auditEventArbitrary, (audit) => {
        const event = toCloudEvent(audit, { source: SOURCE });
        const parsed = JSON.parse(JSON.stringify(event)) as CloudEvent;
        expect(parsed).toEqual(event);
        expect(parsed.data).toStrictEqual(audit);
        expect(AuditEventSchema.parse(parsed.data)).toStrictEqual(audit);
        expect(parsed.id).toBe(audit.eventId);
        expect(parsed.time).toBe(audit.at);
        const [, ws, , draft] = parsed.subject.split("/");
        expect([decodeURIComponent(ws!), decodeURIComponent(draft!)]).toEqual([audit.workspaceId, audit.draftId]);
        for (const name of extensionNames(parsed)) expect(name).toMatch(EXTENSION_NAME);
        if (audit.toVersion === null) expect(parsed).not.toHaveProperty("draftversion");
        else expect(parsed.draftversion).toBe(audit.toVersion);
      }),
      { numRuns: 100 },
    );
  });
});
