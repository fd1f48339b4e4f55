/**
 * page/inputs.ts — what the operator typed and has not saved. Each text input knows the value the
 * draft gives it; it is "dirty" while it differs from the value of the version it was last synced
 * with. When a new version arrives (a poll, a conflict's reload), clean inputs take the new
 * values and dirty ones are kept: if the new version changed a field the operator is editing,
 * the caller is told so it can say who changed what. Dirty values are kept in sessionStorage
 * (per tab), so they survive a reload of the page too.
 */
import type { OnboardingDraft } from "../../../src/record/schema.js";
import { byId } from "./dom.js";

/** The text inputs of the draft screen, by name. */
export type FieldName =
  "tenantId" | "displayName" | "primaryDomain" | "connectionId" | "overrideReason" | "cancelReason";

/** Which form a field belongs to. */
export type FormName = "identify" | "provider" | "override" | "cancel";

interface Field {
  readonly name: FieldName;
  readonly form: FormName;
  readonly input: HTMLInputElement | HTMLTextAreaElement;
  /** The value the draft gives the input. */
  readonly of: (draft: OnboardingDraft) => string;
}

/** The unsaved input of one draft screen. */
export interface Inputs {
  /** The input element of a field. */
  element(name: FieldName): HTMLInputElement | HTMLTextAreaElement;
  /** The current value of a field, as typed. */
  value(name: FieldName): string;
  /** The fields that differ from the synced version, with their typed values. */
  dirty(): { readonly name: FieldName; readonly value: string }[];
  /**
   * Takes a new version: clean fields (and the fields of `reset` forms) take its values, dirty
   * ones are kept. Returns the dirty fields whose value the new version changed.
   */
  sync(draft: OnboardingDraft, reset?: readonly FormName[]): FieldName[];
  /** Puts the fields of `form` back to the synced version's values. */
  discard(form: FormName): void;
  /** Puts back what a previous page of this tab left unsaved; returns the fields restored. */
  restore(): FieldName[];
}

/** The inputs of the draft screen, remembered under `storageKey`. */
export function createInputs(storageKey: string): Inputs {
  const field = (name: FieldName, form: FormName, of: Field["of"]): Field => ({
    name,
    form,
    input: byId(`f-${name}`),
    of,
  });
  const fields: readonly Field[] = [
    field("tenantId", "identify", (d) => d.identity?.tenantId ?? ""),
    field("displayName", "identify", (d) => d.identity?.displayName ?? ""),
    field("primaryDomain", "identify", (d) => d.identity?.primaryDomain ?? ""),
    field("connectionId", "provider", (d) => d.provider?.connectionId ?? ""),
    field("overrideReason", "override", () => ""),
    field("cancelReason", "cancel", () => ""),
  ];
  let base: OnboardingDraft | null = null;
  // What a previous page of this tab left, read before the first sync rewrites the storage.
  let left: Record<string, unknown> = {};
  try {
    left = JSON.parse(sessionStorage.getItem(storageKey) ?? "{}") as Record<string, unknown>;
  } catch {
    // nothing to restore
  }
  const synced = (f: Field): string => (base === null ? "" : f.of(base));
  const dirty = (): { name: FieldName; value: string }[] =>
    fields.filter((f) => f.input.value !== synced(f)).map((f) => ({ name: f.name, value: f.input.value }));
  const persist = (): void => {
    try {
      const values = Object.fromEntries(dirty().map((f) => [f.name, f.value]));
      if (Object.keys(values).length === 0) sessionStorage.removeItem(storageKey);
      else sessionStorage.setItem(storageKey, JSON.stringify(values));
    } catch {
      // storage may be full or off: the input stays on screen
    }
  };
  for (const f of fields) f.input.addEventListener("input", persist);
  const find = (name: FieldName): Field => fields.find((f) => f.name === name) as Field;
  return {
    element: (name) => find(name).input,
    value: (name) => find(name).input.value,
    dirty,
    sync(draft, reset = []) {
      const changed: FieldName[] = [];
      for (const f of fields) {
        const next = f.of(draft);
        const clean = f.input.value === synced(f) || f.input.value === next || reset.includes(f.form);
        if (clean) f.input.value = next;
        else if (synced(f) !== next) changed.push(f.name);
      }
      base = draft;
      persist();
      return changed;
    },
    discard(form) {
      for (const f of fields) if (f.form === form) f.input.value = synced(f);
      persist();
    },
    restore() {
      const restored: FieldName[] = [];
      for (const f of fields) {
        const value = left[f.name];
        if (typeof value === "string" && value !== f.input.value) {
          f.input.value = value;
          restored.push(f.name);
        }
      }
      left = {};
      persist();
      return restored;
    },
  };
}
