/**
 * What `backfill` does with one scanned row, decided without I/O: leave it (current), rewrite it
 * (a legacy document to upgrade, or query columns to fix), or report it (it cannot be read as a
 * draft). Pure.
 */
import {
  SCHEMA_VERSION,
  encodeDraft,
  openTenantOf,
  safeParseDraft,
  type OnboardingDraft,
  type ScannedDraft,
} from "../../index.js";

/** The decision for one row. */
export type RowPlan =
  | { readonly action: "current" }
  | {
      readonly action: "rewrite";
      /** `upgrade`: the document is of an older schema; `reindex`: only the query columns are wrong. */
      readonly reason: "upgrade" | "reindex";
      readonly draft: OnboardingDraft;
      readonly document: string;
    }
  | { readonly action: "fail"; readonly code: string; readonly message: string };

function fail(message: string): RowPlan {
  return { action: "fail", code: "corrupt_record", message };
}

/** The stored value as JSON, or the reason it is not. */
function decode(document: unknown): { readonly value: unknown } | { readonly error: string } {
  if (typeof document !== "string" && !(document instanceof Uint8Array)) return { value: document };
  const text = typeof document === "string" ? document : new TextDecoder().decode(document);
  try {
    return { value: JSON.parse(text) as unknown };
  } catch (error) {
    return { error: `the stored document is not JSON: ${(error as Error).message}` };
  }
}

function isCurrentShape(value: unknown): boolean {
  return (
    typeof value === "object" &&
    value !== null &&
    (value as { schemaVersion?: unknown }).schemaVersion === SCHEMA_VERSION
  );
}

/**
 * Decides what to do with a scanned row.
 *
 * @example (the CLI's own code, not a package export, so not type-checked)
 * ```text
 * declare const row: ScannedDraft;
 * const plan = planRow(row);
 * if (plan.action === "rewrite") console.log(plan.reason, plan.draft.lifecycle.state);
 * ```
 */
export function planRow(row: ScannedDraft): RowPlan {
  const decoded = decode(row.document);
  if ("error" in decoded) return fail(decoded.error);
  if (decoded.value === null || typeof decoded.value !== "object")
    return fail("the stored document is not a JSON object");
  const parsed = safeParseDraft(decoded.value);
  if (!parsed.success) return { action: "fail", code: parsed.error.code, message: parsed.error.message };
  const draft = parsed.draft;
  if (draft.workspaceId !== row.workspaceId || draft.id !== row.draftId) {
    return fail(`the stored document names another draft (${draft.workspaceId}/${draft.id})`);
  }
  if (row.version === null || Number(row.version) !== draft.version) {
    return fail(`the stored version ${String(row.version)} disagrees with the document's version ${draft.version}`);
  }
  if (!isCurrentShape(decoded.value))
    return { action: "rewrite", reason: "upgrade", draft, document: encodeDraft(draft) };
  if (row.state !== draft.lifecycle.state || row.openTenantId !== openTenantOf(draft)) {
    return { action: "rewrite", reason: "reindex", draft, document: encodeDraft(draft) };
  }
  return { action: "current" };
}
