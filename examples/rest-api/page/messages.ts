/**
 * page/messages.ts — every word the wizard shows an operator, by the key or code it stands for.
 * `describeDraft` gives label keys (`onboarding.state.verifying`) and the engine gives codes
 * (`verification_warnings`, `tenant_locked_after_provider`); the page never shows either raw.
 * Each table is a `Record` over the package's own union type, so a new state, reason, blocker or
 * error code is a compile error here until it has its words. Pure data: no DOM, importable from
 * Node (the completeness test reads it). Swap it for your translations.
 */
import type {
  BlockerCode,
  Capability,
  Checkpoint,
  LifecycleReason,
  LifecycleState,
  RunOutcome,
  RunStatus,
} from "../../../src/vocabulary/index.js";
import type { CheckpointStatus } from "../../../src/lifecycle/presenter.js";
import type { ErrorCode } from "../../../src/record/error-code.js";
import type { Feedback } from "../../../src/commands/define.js";
import type { CommandType } from "../../../src/commands/reducer.js";

/** Lifecycle states, as the state badge says them. */
export const STATE_LABELS: Readonly<Record<LifecycleState, string>> = {
  draft: "In progress",
  verifying: "Verifying access",
  action_required: "Action required",
  bootstrapping: "Bootstrapping",
  ready_for_activation: "Ready for activation",
  completed: "Completed",
  cancelled: "Cancelled",
};

/** The five steps. */
export const CHECKPOINT_LABELS: Readonly<Record<Checkpoint, string>> = {
  identify: "Identify the tenant",
  connect_provider: "Connect the provider",
  verify_access: "Verify access",
  bootstrap: "Bootstrap",
  activate: "Activate",
};

/** A step's status in the progress list. */
export const CHECKPOINT_STATUS_LABELS: Readonly<Record<CheckpointStatus, string>> = {
  complete: "Done",
  current: "To do",
  in_progress: "In progress",
  blocked: "Needs attention",
  stale: "Out of date",
  pending: "Not yet",
};

/** A run's status (while active) or outcome (once completed). */
export const RUN_LABELS: Readonly<Record<Exclude<RunStatus, "completed"> | RunOutcome, string>> = {
  queued: "Queued",
  running: "Running",
  succeeded: "Succeeded",
  partially_succeeded: "Succeeded with warnings",
  failed: "Failed",
  blocked: "Blocked",
  cancelled: "Cancelled",
};

/** Why the draft is in its state (the lifecycle reason). */
export const REASON_TEXT: Readonly<Record<LifecycleReason, string>> = {
  cancelled: "This onboarding was cancelled.",
  override: "This tenant was activated with a readiness override.",
  provider_changed: "The provider connection changed after access was verified: verify access again.",
  verification_failed: "Access verification failed: fix the cause, then verify again.",
  verification_blocked: "Access verification was blocked: fix the cause, then verify again.",
  verification_cancelled: "Access verification was cancelled: verify again.",
  verification_timed_out: "No worker reported on the access verification in time: verify again.",
  bootstrap_failed: "A bootstrap step did not succeed: see the worker's message in step 4, then run it again.",
  bootstrap_timed_out: "No worker reported on a bootstrap step in time: run it again.",
  verification_warnings: "Access was verified with warnings: review them before activating.",
};

/** What stands in the way of activation (readiness blockers). */
export const BLOCKER_TEXT: Readonly<Record<BlockerCode, string>> = {
  terminal: "The onboarding is finished.",
  identity_missing: "Identify the tenant (step 1).",
  provider_missing: "Select the provider connection (step 2).",
  verification_missing: "Verify access through the provider connection (step 3).",
  verification_stale: "The provider connection changed since access was verified: verify again (step 3).",
  verification_in_progress: "Access verification is still running.",
  verification_failed: "Access verification failed: fix the cause and verify again (step 3).",
  verification_timed_out: "No worker reported on the access verification in time: verify again (step 3).",
  verification_blocked: "Access verification was blocked: fix the cause and verify again (step 3).",
  verification_cancelled: "Access verification was cancelled: verify again (step 3).",
  verification_expired: "The access verification is too old: verify again (step 3).",
  verification_warnings: "Access was verified with warnings (see step 3).",
  bootstrap_in_progress: "Bootstrap steps are still running.",
  bootstrap_failed: "A bootstrap step did not succeed: run it again (step 4).",
  bootstrap_timed_out: "No worker reported on a bootstrap step in time: run it again (step 4).",
  bootstrap_required: "Run the required bootstrap steps (step 4).",
};

/** What an operator may be allowed to do (for "you may not ..."). */
export const CAPABILITY_TEXT: Readonly<Record<Capability, string>> = {
  view: "view this onboarding",
  create: "start onboardings",
  identify: "change the tenant's identity",
  manage_provider: "change the provider connection",
  verify: "start access verifications",
  bootstrap: "start bootstrap steps",
  record_result: "report run results",
  activate: "activate tenants",
  override_readiness: "override readiness",
  cancel: "cancel onboardings",
};

/** What a command did, as the activity list and the conflict notice say it ("Omar Operator saved the identity"). */
export const COMMAND_TEXT: Readonly<Record<CommandType | "create", string>> = {
  create: "started the onboarding",
  identify: "saved the identity",
  select_provider: "selected a provider connection",
  update_provider_connection: "recorded an edit of the provider connection",
  start_verification: "started an access verification",
  record_verification_result: "reported on the access verification",
  start_bootstrap: "started bootstrap steps",
  record_bootstrap_result: "reported on the bootstrap step",
  record_verification_progress: "reported verification progress",
  record_bootstrap_progress: "reported bootstrap progress",
  expire_run: "expired a run nobody reported on",
  activate: "activated the tenant",
  cancel: "cancelled the onboarding",
};

/** The buttons' actions, for "Your … was not done". */
export const ACTION_TEXT: Readonly<Record<CommandType, string>> = {
  identify: "Save identity",
  select_provider: "Use this connection",
  update_provider_connection: "Connection was edited",
  start_verification: "Verify access",
  record_verification_result: "Report the verification",
  start_bootstrap: "Start bootstrap",
  record_bootstrap_result: "Report a bootstrap step",
  record_verification_progress: "Report progress",
  record_bootstrap_progress: "Report progress",
  expire_run: "Expire the run",
  activate: "Activate",
  cancel: "Cancel onboarding",
};

/** What happened after a successful command (the engine's feedback). */
export const FEEDBACK_TEXT: Readonly<Record<Feedback, string>> = {
  applied: "Saved.",
  queued: "Started: a worker will pick it up shortly.",
  deduped: "Already running: nothing new was started.",
  unchanged: "Nothing to save: that is what the draft already says.",
  recorded: "Recorded.",
  expired: "The run was expired.",
  activated: "The tenant is activated.",
  cancelled: "The onboarding is cancelled.",
  ignored_stale_result: "Ignored: the run is no longer current.",
  ignored_duplicate_result: "Ignored: the run had already finished.",
  ignored_terminal: "Ignored: the onboarding is finished.",
  ignored_expired_run: "Ignored: the run had been expired.",
};

/** Error codes, as the error notice's title says them. */
export const ERROR_TITLES: Readonly<
  Record<ErrorCode | "network_error" | "unexpected_response" | "internal_error", string>
> = {
  validation_failed: "Some input needs fixing",
  corrupt_record: "The stored onboarding cannot be read",
  version_conflict: "This onboarding changed while you were working on it",
  terminal_draft: "This onboarding is finished",
  not_ready: "The tenant cannot be activated yet",
  forbidden: "You are not allowed to do that",
  draft_not_found: "This onboarding does not exist",
  idempotency_key_reuse: "That request was already used for something else",
  invalid_transition: "That is not possible at this step",
  open_draft_exists: "This tenant already has an open onboarding",
  retry_exhausted: "The server is busy",
  configuration: "The server is misconfigured",
  store_failure: "The server cannot reach its database",
  schema_version: "The server's database needs a schema upgrade",
  unknown_run: "Unknown run",
  run_active: "A run is already active",
  precondition_required: "The page has not read this onboarding yet",
  precondition_failed: "This onboarding changed while you were working on it",
  invalid_if_match: "The page sent a malformed request",
  malformed_request: "The page sent a malformed request",
  network_error: "The server cannot be reached",
  unexpected_response: "The server answered unexpectedly",
  internal_error: "The server had a problem",
};

/** Why a command's guard refused it (`InvalidTransitionError.requirement`). */
export const REQUIREMENT_TEXT: Readonly<Record<string, string>> = {
  identity_required: "Identify the tenant first (step 1).",
  provider_required: "Select the provider connection first (step 2).",
  tenant_locked_after_provider:
    "The tenant id cannot change once a provider connection is selected: cancel this onboarding and start a new one.",
  connection_not_selected: "That is not the selected connection: select it first.",
  bootstrap_in_progress: "Bootstrap steps are running: wait for them to finish.",
  verification_succeeded_required: "Access must be verified successfully first (step 3).",
  bootstrap_operations_limit: "This onboarding has as many bootstrap operations as it can hold.",
  bootstrap_runs_limit: "This onboarding has run bootstrap steps as often as it can hold.",
};

/** The fields operators type in, by input name. */
export const FIELD_LABELS: Readonly<Record<string, string>> = {
  tenantId: "Tenant id",
  displayName: "Display name",
  primaryDomain: "Primary domain",
  connectionId: "Provider connection",
  overrideReason: "Override reason",
  cancelReason: "Cancellation reason",
};

/** Bootstrap operations, as the checkboxes say them (an unknown one is shown with its name). */
export const OPERATION_LABELS: Readonly<Record<string, string>> = {
  verify_access: "Access verification",
  create_admin_group: "Create the admin group",
  assign_baseline_policies: "Assign the baseline policies",
};

/** An operation's words, or its name made readable. */
export function operationLabel(operation: string): string {
  return OPERATION_LABELS[operation] ?? operation.replaceAll("_", " ");
}

/** A run's status or outcome in words. */
export function runLabel(run: { readonly status: RunStatus; readonly outcome: RunOutcome | null }): string {
  return run.status === "completed" ? RUN_LABELS[run.outcome ?? "failed"] : RUN_LABELS[run.status];
}
