/**
 * page/changes.ts — what changed between two versions of a draft, and who made the versions in
 * between, in words: the conflict notice says "Version 3 was saved by Omar Operator: Display
 * name “Contoso” → “Contoso Ltd”" instead of "412". Pure: no DOM.
 */
import type { AuditEvent } from "../../../src/record/audit.js";
import type { CheckpointRun, OnboardingDraft } from "../../../src/record/schema.js";
import { COMMAND_TEXT, operationLabel, runLabel } from "./messages.js";

/** One field that differs between two versions. */
export interface FieldChange {
  /** The field's name, for the operator. */
  readonly label: string;
  /** Its value before, in words (`—` when unset). */
  readonly before: string;
  /** Its value now. */
  readonly after: string;
  /** The input it is edited in, when the operator types it (`displayName`, ...). */
  readonly field: string | null;
}

/** One version written between the operator's and the current one. */
export interface Commit {
  /** The version it produced. */
  readonly version: number;
  /** Who, by name. */
  readonly who: string;
  /** What they did, in words. */
  readonly what: string;
  /** When (ISO-8601). */
  readonly at: string;
}

const NONE = "—";

const runText = (run: CheckpointRun | undefined | null): string =>
  run == null ? NONE : runLabel(run) + (run.message === undefined ? "" : `: ${run.message}`);

/** The fields an operator reads, as text, with the input they are typed in. */
function fieldsOf(draft: OnboardingDraft): Map<string, { readonly value: string; readonly field: string | null }> {
  const fields = new Map<string, { readonly value: string; readonly field: string | null }>();
  const put = (label: string, value: string | null | undefined, field: string | null = null): void =>
    void fields.set(label, { value: value === null || value === undefined || value === "" ? NONE : value, field });
  put("Tenant id", draft.identity?.tenantId, "tenantId");
  put("Display name", draft.identity?.displayName, "displayName");
  put("Primary domain", draft.identity?.primaryDomain, "primaryDomain");
  put("Provider connection", draft.provider?.connectionId, "connectionId");
  put("Provider connection revision", draft.provider === null ? null : String(draft.provider.revision));
  put("Access verification", draft.verification === null ? null : runText(draft.verification));
  const operations = new Set((draft.bootstrap?.runs ?? []).map((run) => run.operation));
  for (const operation of operations) {
    const latest = draft.bootstrap?.runs.filter((run) => run.operation === operation).at(-1);
    put(`Bootstrap: ${operationLabel(operation)}`, runText(latest));
  }
  put(
    "Activation",
    draft.activation === null ? null : draft.activation.override ? "activated with an override" : "activated",
  );
  put(
    "Cancellation",
    draft.cancellation === null
      ? null
      : `cancelled${draft.cancellation.reason ? `: ${draft.cancellation.reason}` : ""}`,
  );
  return fields;
}

/** The fields that differ between `before` and `after`, in the wizard's order. */
export function draftChanges(before: OnboardingDraft, after: OnboardingDraft): FieldChange[] {
  const old = fieldsOf(before);
  const now = fieldsOf(after);
  const labels = [...new Set([...old.keys(), ...now.keys()])];
  const changes: FieldChange[] = [];
  for (const label of labels) {
    const a = old.get(label);
    const b = now.get(label);
    if (a?.value === b?.value) continue;
    changes.push({ label, before: a?.value ?? NONE, after: b?.value ?? NONE, field: b?.field ?? a?.field ?? null });
  }
  return changes;
}

/**
 * The versions written after `fromVersion` up to `toVersion`, from the audit trail, with who made
 * them (`nameOf` turns actor ids into names).
 */
export function commitsBetween(
  events: readonly AuditEvent[],
  fromVersion: number,
  toVersion: number,
  nameOf: (actorId: string) => string,
): Commit[] {
  return events
    .filter((event) => event.kind === "committed" || event.kind === "created")
    .filter((event) => event.toVersion !== null && event.toVersion > fromVersion && event.toVersion <= toVersion)
    .map((event) => ({
      version: event.toVersion ?? 0,
      who: nameOf(event.actorId),
      what:
        (COMMAND_TEXT as Readonly<Record<string, string>>)[event.commandType] ?? event.commandType.replaceAll("_", " "),
      at: event.at,
    }));
}
