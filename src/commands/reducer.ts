import * as z from "zod/mini";
import { Immer } from "immer";
import { isTerminal, type Capability } from "../vocabulary/index.js";
import {
  safeParseWithMessages,
  TerminalDraftError,
  ValidationError,
  toValidationIssues,
  type OnboardingDraft,
} from "../record/index.js";
import { deriveLifecycle } from "../lifecycle/index.js";
import { Feedback, type CommandContext, type CommandDefinition } from "./define.js";
import { ActivateCommandSchema, activate, type ActivateCommand } from "./activate.js";
import { CancelCommandSchema, cancel, type CancelCommand } from "./cancel.js";
import { IdentifyCommandSchema, identify, type IdentifyCommand } from "./identify.js";
import {
  RecordBootstrapResultCommandSchema,
  recordBootstrapResult,
  type RecordBootstrapResultCommand,
} from "./record-bootstrap-result.js";
import {
  RecordVerificationResultCommandSchema,
  recordVerificationResult,
  type RecordVerificationResultCommand,
} from "./record-verification-result.js";
import { SelectProviderCommandSchema, selectProvider, type SelectProviderCommand } from "./select-provider.js";
import { StartBootstrapCommandSchema, startBootstrap, type StartBootstrapCommand } from "./start-bootstrap.js";
import {
  StartVerificationCommandSchema,
  startVerification,
  type StartVerificationCommand,
} from "./start-verification.js";
import {
  UpdateProviderConnectionCommandSchema,
  updateProviderConnection,
  type UpdateProviderConnectionCommand,
} from "./update-provider-connection.js";
import {
  ExpireRunCommandSchema,
  RecordBootstrapProgressCommandSchema,
  RecordVerificationProgressCommandSchema,
  expireRun,
  recordBootstrapProgress,
  recordVerificationProgress,
  type ExpireRunCommand,
  type RecordBootstrapProgressCommand,
  type RecordVerificationProgressCommand,
} from "./run-reports.js";

/**
 * The immer instance of the reducers. Auto-freeze is off: the engine never hands out a draft it
 * still holds (stores keep serialised copies), and deep-freezing every result costs more than
 * the rest of a reducer step.
 */
const immer = /* @__PURE__ */ new Immer({ autoFreeze: false });

/** The schema of every command, discriminated by `type`. */
export const CommandSchema = z.discriminatedUnion("type", [
  IdentifyCommandSchema,
  SelectProviderCommandSchema,
  UpdateProviderConnectionCommandSchema,
  StartVerificationCommandSchema,
  RecordVerificationResultCommandSchema,
  StartBootstrapCommandSchema,
  RecordBootstrapResultCommandSchema,
  RecordVerificationProgressCommandSchema,
  RecordBootstrapProgressCommandSchema,
  ExpireRunCommandSchema,
  ActivateCommandSchema,
  CancelCommandSchema,
]);

/**
 * Any command, after validation (discriminated by `type`): one of the named command interfaces,
 * each proven equal to its schema's read-only output by a type test.
 */
export type Command =
  | IdentifyCommand
  | SelectProviderCommand
  | UpdateProviderConnectionCommand
  | StartVerificationCommand
  | RecordVerificationResultCommand
  | StartBootstrapCommand
  | RecordBootstrapResultCommand
  | RecordVerificationProgressCommand
  | RecordBootstrapProgressCommand
  | ExpireRunCommand
  | ActivateCommand
  | CancelCommand;

/**
 * Any command as a caller may write it. The schemas trim and lower-case strings but fill in no
 * defaults, so this is the same union as {@link Command} (read-only, so a command written
 * `as const` or built from frozen data is accepted); a type test keeps it equal to the schema's
 * input.
 */
export type CommandInput = Command;

/** The `type` of every command. */
export type CommandType = Command["type"];

/** The command with a given `type`. */
export type CommandOf<T extends CommandType> = Extract<
  Command,
  {
    /** The command type to select. */
    type: T;
  }
>;

/**
 * The commands background workers send (`record_*_result`, `record_*_progress`, `expire_run`):
 * matched by `runId` instead of an `expectedVersion`, retried on conflict.
 */
export type WorkerCommand = CommandOf<
  | "record_verification_result"
  | "record_bootstrap_result"
  | "record_verification_progress"
  | "record_bootstrap_progress"
  | "expire_run"
>;

/** The progress reports (heartbeats): stored beside the record, never a version bump. */
export type ProgressCommand = CommandOf<"record_verification_progress" | "record_bootstrap_progress">;

/** The commands operators send: they carry an `expectedVersion`. */
export type OperatorCommand = Exclude<Command, WorkerCommand>;

/** The definition of every command, by type. */
export const COMMANDS: { readonly [T in CommandType]: CommandDefinition<T, CommandOf<T>> } = {
  identify,
  select_provider: selectProvider,
  update_provider_connection: updateProviderConnection,
  start_verification: startVerification,
  record_verification_result: recordVerificationResult,
  start_bootstrap: startBootstrap,
  record_bootstrap_result: recordBootstrapResult,
  record_verification_progress: recordVerificationProgress,
  record_bootstrap_progress: recordBootstrapProgress,
  expire_run: expireRun,
  activate,
  cancel,
};

/** Every command type. */
export const COMMAND_TYPES = Object.freeze(Object.keys(COMMANDS) as CommandType[]);

/** The definition of a command. */
export function commandDefinition<T extends CommandType>(type: T): CommandDefinition<T, CommandOf<T>> {
  return COMMANDS[type];
}

/** Whether a command is a progress report (a heartbeat, stored beside the record). */
export function isProgressCommand(command: Command): command is ProgressCommand {
  return COMMANDS[command.type].progress === true;
}

/** Whether a command type (as an audit entry names it) is a background worker's report. */
export function isWorkerCommandType(type: string): boolean {
  return Object.hasOwn(COMMANDS, type) && COMMANDS[type as CommandType].worker;
}

/** Whether a command is a background worker's report. */
export function isWorkerCommand(command: Command): command is WorkerCommand {
  return COMMANDS[command.type].worker;
}

/**
 * Validates an unknown value as a command.
 *
 * @throws {@link ValidationError} with every zod issue; never a `TypeError`.
 *
 * @example
 * ```ts
 * const command = parseCommand(request.body); // typed, trimmed, discriminated by `type`
 * ```
 */
export function parseCommand(input: unknown): Command {
  const result = safeParseWithMessages(CommandSchema, input);
  if (!result.success) throw new ValidationError("command", toValidationIssues(result.issues));
  return result.data;
}

/** The capabilities an actor needs to run `command` on `draft`. */
export function requiredCapabilities(
  draft: OnboardingDraft,
  command: Command,
  context: CommandContext,
): readonly Capability[] {
  const definition = COMMANDS[command.type] as CommandDefinition<CommandType, Command>;
  return definition.capabilities(command, draft, context);
}

/** What {@link applyCommand} produced. */
export type CommandOutcome =
  | {
      /** The draft changed: `draft` is the next record (version + 1, lifecycle re-derived). */
      readonly changed: true;
      /** The next record. */
      readonly draft: OnboardingDraft;
      /** What happened. */
      readonly feedback: Feedback;
      /** Runs the command started or reported on. */
      readonly runIds: readonly string[];
    }
  | {
      /** Nothing changed: `draft` is the input draft. */
      readonly changed: false;
      /** The input draft, unchanged. */
      readonly draft: OnboardingDraft;
      /** Why nothing changed (`unchanged`, `deduped`, `ignored_*`). */
      readonly feedback: Feedback;
      /** Runs the command reported on. */
      readonly runIds: readonly string[];
    };

/**
 * The pure reducer: applies a validated command to a draft. Checks the terminal rule and the
 * command's guard, runs its immer recipe, re-derives the lifecycle, bumps the version by one and
 * stamps `updatedAt`/`updatedBy`. The input draft is never mutated. No clock, ids or I/O except
 * through `context`.
 *
 * Terminal drafts absorb everything: operator commands throw {@link TerminalDraftError}; worker
 * reports are ignored (`ignored_terminal`).
 *
 * @throws {@link TerminalDraftError}, `InvalidTransitionError`, `NotReadyError`.
 *
 * @example
 * ```ts
 * const outcome = applyCommand(draft, { type: "cancel" }, { now, actorId: "u1", nextRunId, policy: {} });
 * if (outcome.changed) await save(outcome.draft);
 * ```
 */
export function applyCommand(draft: OnboardingDraft, command: Command, context: CommandContext): CommandOutcome {
  const definition = COMMANDS[command.type] as CommandDefinition<CommandType, Command>;
  if (isTerminal(deriveLifecycle(draft).state)) {
    if (definition.worker) {
      const runId = "runId" in command ? command.runId : null;
      return { changed: false, draft, feedback: Feedback.IgnoredTerminal, runIds: runId === null ? [] : [runId] };
    }
    throw new TerminalDraftError(draft.id, draft.lifecycle.state, command.type);
  }
  const decision = definition.decide(draft, command, context);
  if (decision.kind === "noop") {
    return { changed: false, draft, feedback: decision.feedback, runIds: decision.runIds };
  }
  const changed = immer.produce(draft, decision.recipe);
  // The bookkeeping fields are set on the plain result: deriving the lifecycle through immer's
  // proxies would wrap every part it reads.
  const next: OnboardingDraft = {
    ...changed,
    lifecycle: deriveLifecycle(changed),
    version: draft.version + 1,
    updatedAt: context.now,
    updatedBy: context.actorId,
  };
  return { changed: true, draft: next, feedback: decision.feedback, runIds: decision.runIds };
}

/**
 * A canonical string for "this command on this draft", used to tell a retried request (same
 * idempotency key, same fingerprint) from a key reused for something else.
 */
export function commandFingerprint(draftId: string, command: Command): string {
  return JSON.stringify([draftId, canonicalJson(command)]);
}

function canonicalJson(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonicalJson);
  if (typeof value === "object" && value !== null) {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return Object.fromEntries(entries.map(([k, v]) => [k, canonicalJson(v)]));
  }
  return value;
}
