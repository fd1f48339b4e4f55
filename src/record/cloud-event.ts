import type { AuditEvent } from "./audit.js";
import { ConfigurationError } from "./errors.js";

/** The `type` prefix {@link toCloudEvent} uses when the caller gives none. */
export const DEFAULT_CLOUD_EVENT_TYPE_PREFIX = "dev.onboarding-lifecycle";

/**
 * One audit entry as a CloudEvent 1.0 in the JSON event format (`application/cloudevents+json`):
 * the context attributes and extension attributes as top-level members, the audit entry as
 * `data`. Every member is JSON-serialisable, so `JSON.stringify(event)` is the structured-mode
 * body. Built by {@link toCloudEvent}.
 *
 * Extension attribute names follow the spec's naming rule (lowercase `a-z` and `0-9`, at most 20
 * characters).
 */
export interface CloudEvent {
  /** The CloudEvents version: always `"1.0"`. */
  readonly specversion: "1.0";
  /** The audit entry's `eventId` (unique per `source`, as the spec requires). */
  readonly id: string;
  /** The producer, a URI-reference (the `source` option), e.g. `https://onboarding.example.com`. */
  readonly source: string;
  /** `<typePrefix>.draft.<kind>`, e.g. `dev.onboarding-lifecycle.draft.committed`. */
  readonly type: string;
  /** `workspaces/<workspaceId>/drafts/<draftId>`, each id percent-encoded. */
  readonly subject: string;
  /** When it happened: the entry's `at` (RFC 3339). */
  readonly time: string;
  /** The media type of `data`: always `"application/json"`. */
  readonly datacontenttype: "application/json";
  /** The audit entry itself, unchanged. */
  readonly data: AuditEvent;
  /** Extension: the draft's workspace id (not encoded). */
  readonly workspaceid: string;
  /** Extension: the draft id (not encoded). */
  readonly draftid: string;
  /** Extension: the version the entry produced (`toVersion`); absent when the entry has none. */
  readonly draftversion?: number;
}

/** Options of {@link toCloudEvent}. */
export interface CloudEventOptions {
  /**
   * The CloudEvents `source`: a non-empty URI-reference naming your service, e.g.
   * `https://onboarding.example.com` or `/onboarding/eu-1`. Consumers deduplicate on
   * (`source`, `id`), so keep it stable.
   */
  readonly source: string;
  /**
   * The reverse-DNS prefix of `type` (default {@link DEFAULT_CLOUD_EVENT_TYPE_PREFIX}):
   * dot-separated labels of letters, digits and `-`, e.g. `com.example.onboarding`.
   */
  readonly typePrefix?: string;
}

/** A URI-reference has no whitespace or control characters (RFC 3986); anything else is left to the consumer. */
const URI_REFERENCE = /^[^\s\p{Cc}]+$/u;
/** Reverse-DNS style: `label(.label)*`, labels of letters, digits and `-`. */
const TYPE_PREFIX = /^[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*$/;

function checkOptions(options: CloudEventOptions): string {
  if (typeof options.source !== "string" || !URI_REFERENCE.test(options.source)) {
    throw new ConfigurationError(
      "source",
      "source must be a non-empty URI-reference without whitespace, e.g. https://onboarding.example.com",
    );
  }
  const prefix = options.typePrefix ?? DEFAULT_CLOUD_EVENT_TYPE_PREFIX;
  if (typeof prefix !== "string" || !TYPE_PREFIX.test(prefix)) {
    throw new ConfigurationError(
      "typePrefix",
      "typePrefix must be dot-separated labels of letters, digits and '-', e.g. com.example.onboarding",
    );
  }
  return prefix;
}

/**
 * Converts one audit entry to a CloudEvent 1.0 (JSON event format), for event buses, webhooks
 * and audit sinks of other systems. Pure: the same entry and options give the same event.
 *
 * The mapping (with the default prefix; `<kind>` is the entry's {@link AuditKind}):
 *
 * | `kind` | `type` |
 * |---|---|
 * | `created` | `dev.onboarding-lifecycle.draft.created` |
 * | `committed` | `dev.onboarding-lifecycle.draft.committed` |
 * | `conflict` | `dev.onboarding-lifecycle.draft.conflict` |
 * | `denied` | `dev.onboarding-lifecycle.draft.denied` |
 * | `delivery_dead` | `dev.onboarding-lifecycle.draft.delivery_dead` |
 * | `delivery_requeued` | `dev.onboarding-lifecycle.draft.delivery_requeued` |
 *
 * A kind added later maps the same way (`<typePrefix>.draft.<kind>`). `id` is the entry's
 * `eventId`, `time` its `at`, `subject` `workspaces/<workspaceId>/drafts/<draftId>` with both ids
 * percent-encoded (`encodeURIComponent`), `data` the entry. The extensions `workspaceid` and
 * `draftid` carry the raw ids, `draftversion` the `toVersion` (only when the entry has one:
 * `created` and `committed`).
 *
 * The entry is expected to be valid ({@link AuditEventSchema}), as every store returns it.
 *
 * @param event an audit entry (from `engine.history` or a store)
 * @param options the `source` and an optional `typePrefix`
 * @returns the CloudEvent; `JSON.stringify` it for a structured-mode body
 * @throws ConfigurationError when `source` is empty or has whitespace, or `typePrefix` is not
 *   reverse-DNS style
 *
 * @example
 * ```ts
 * const { entries } = await engine.history(ws, draftId, { actor });
 * const events = entries.map((entry) => toCloudEvent(entry, { source: "https://onboarding.example.com" }));
 * // events[0]?.type === "dev.onboarding-lifecycle.draft.created"
 * const body = JSON.stringify(events[0]); // Content-Type: application/cloudevents+json
 * ```
 */
export function toCloudEvent(event: AuditEvent, options: CloudEventOptions): CloudEvent {
  const prefix = checkOptions(options);
  const base: CloudEvent = {
    specversion: "1.0",
    id: event.eventId,
    source: options.source,
    type: `${prefix}.draft.${event.kind}`,
    subject: `workspaces/${encodeURIComponent(event.workspaceId)}/drafts/${encodeURIComponent(event.draftId)}`,
    time: event.at,
    datacontenttype: "application/json",
    data: { ...event, runIds: [...event.runIds] },
    workspaceid: event.workspaceId,
    draftid: event.draftId,
  };
  return event.toVersion === null ? base : { ...base, draftversion: event.toVersion };
}
