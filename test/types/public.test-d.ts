/**
 * Type tests of the public API (run by `vitest --typecheck`): narrowing helpers, the command
 * union, the engine's execute overloads and the data carried by errors.
 */
import { describe, expectTypeOf, it } from "vitest";
import {
  type ErrorCode,
  NotReadyError,
  type TerminalDraftError,
  type VersionConflictError,
  createOnboardingEngine,
  isOnboardingError,
  isTerminal,
  parseCommand,
  type Blocker,
  type Checkpoint,
  type Command,
  type CommandInput,
  type CommandOf,
  type CommandType,
  type ExecuteOptions,
  type LifecycleState,
  type MutationResult,
  type OnboardingDraft,
  type OnboardingError,
  type OperatorCommand,
  type WorkerCommand,
} from "../../src/index.js";
import { createMemoryStore } from "../../src/adapters/memory/index.js";
import type { PostgresStore } from "../../src/adapters/postgres/index.js";
import type { MySqlStore } from "../../src/adapters/mysql/index.js";
import type { SqliteStore } from "../../src/adapters/sqlite/index.js";
import type { RedisStore } from "../../src/adapters/redis/index.js";
import type { DraftStore } from "../../src/store/index.js";

describe("vocabulary", () => {
  it("isTerminal narrows LifecycleState to completed | cancelled", () => {
    const state = "draft" as LifecycleState;
    if (isTerminal(state)) {
      expectTypeOf(state).toEqualTypeOf<"completed" | "cancelled">();
    } else {
      expectTypeOf(state).toEqualTypeOf<
        "draft" | "verifying" | "action_required" | "bootstrapping" | "ready_for_activation"
      >();
    }
  });

  it("Checkpoint is the union of the five steps", () => {
    expectTypeOf<Checkpoint>().toEqualTypeOf<
      "identify" | "connect_provider" | "verify_access" | "bootstrap" | "activate"
    >();
    // @ts-expect-error not a checkpoint
    const wrong: Checkpoint = "review";
    void wrong;
  });

  it("the draft's lifecycle fields are typed with the vocabulary", () => {
    expectTypeOf<OnboardingDraft["lifecycle"]["state"]>().toEqualTypeOf<LifecycleState>();
    expectTypeOf<OnboardingDraft["lifecycle"]["currentCheckpoint"]>().toEqualTypeOf<Checkpoint | null>();
    expectTypeOf<OnboardingDraft["version"]>().toEqualTypeOf<number>();
  });
});

describe("commands", () => {
  it("Command is discriminated by type", () => {
    expectTypeOf<CommandType>().toEqualTypeOf<
      | "identify"
      | "select_provider"
      | "update_provider_connection"
      | "start_verification"
      | "record_verification_result"
      | "start_bootstrap"
      | "record_bootstrap_result"
      | "record_verification_progress"
      | "record_bootstrap_progress"
      | "expire_run"
      | "activate"
      | "cancel"
    >();
    const command = parseCommand({ type: "select_provider", connectionId: "c" });
    expectTypeOf(command).toEqualTypeOf<Command>();
    if (command.type === "select_provider") expectTypeOf(command.connectionId).toEqualTypeOf<string>();
    if (command.type === "start_bootstrap") expectTypeOf(command.operations).toEqualTypeOf<readonly string[]>();
  });

  it("CommandOf<'activate'> has an optional override with a reason", () => {
    type Activate = CommandOf<"activate">;
    expectTypeOf<Activate["type"]>().toEqualTypeOf<"activate">();
    expectTypeOf<NonNullable<Activate["override"]>>().toEqualTypeOf<{ readonly reason: string }>();
    // `override` is optional: an empty object satisfies the picked property.
    expectTypeOf<{ type: "activate" }>().toExtend<Activate>();
    expectTypeOf<keyof Activate>().toEqualTypeOf<"type" | "override">();
    const plain: CommandOf<"activate"> = { type: "activate" };
    const overridden: CommandOf<"activate"> = { type: "activate", override: { reason: "accepted risk" } };
    void plain;
    void overridden;
  });

  it("worker and operator commands partition the union", () => {
    expectTypeOf<WorkerCommand["type"]>().toEqualTypeOf<
      | "record_verification_result"
      | "record_bootstrap_result"
      | "record_verification_progress"
      | "record_bootstrap_progress"
      | "expire_run"
    >();
    expectTypeOf<OperatorCommand | WorkerCommand>().toEqualTypeOf<Command>();
  });

  it("invalid commands do not type-check", () => {
    // @ts-expect-error unknown command type
    const unknownType: CommandInput = { type: "delete_everything" };
    // @ts-expect-error missing required field
    const missing: CommandInput = { type: "select_provider" };
    // @ts-expect-error not a command type
    type Nope = CommandOf<"nope">;
    void unknownType;
    void missing;
  });
});

describe("engine.execute overloads", () => {
  const engine = createOnboardingEngine({ store: createMemoryStore(), authorize: () => true });
  const actor = { id: "u-1" };

  it("operator commands take an expectedVersion", () => {
    expectTypeOf(
      engine.execute("ws", "d", { type: "select_provider", connectionId: "c" }, { actor, expectedVersion: 1 }),
    ).toEqualTypeOf<Promise<MutationResult>>();
    void engine.execute(
      "ws",
      "d",
      { type: "activate", override: { reason: "r" } },
      { actor, expectedVersion: 3, idempotencyKey: "k" },
    );
  });

  it("commands written `as const` (read-only arrays) are accepted", () => {
    const bootstrap = { type: "start_bootstrap", operations: ["sync_directory", "apply_baseline"] } as const;
    void engine.execute("ws", "d", bootstrap, { actor, expectedVersion: 4 });
    const frozen: readonly string[] = Object.freeze(["invite_admins"]);
    void engine.execute("ws", "d", { type: "start_bootstrap", operations: frozen }, { actor, expectedVersion: 5 });
    // @ts-expect-error still no expectedVersion for an operator command
    void engine.execute("ws", "d", bootstrap, { actor });
  });

  it("worker reports do not need one", () => {
    void engine.execute("ws", "d", { type: "record_verification_result", runId: "r", status: "running" }, { actor });
    void engine.execute(
      "ws",
      "d",
      { type: "record_bootstrap_result", runId: "r", status: "completed", outcome: "failed" },
      { actor, idempotencyKey: "k" },
    );
  });

  it("run-time values (unknown, a Command) are accepted", () => {
    const body: unknown = {};
    void engine.execute("ws", "d", body, { actor, expectedVersion: 1 });
    const command = parseCommand(body);
    void engine.execute("ws", "d", command, { actor, expectedVersion: 1 });
  });

  it("missing expectedVersion for an operator command is a type error", () => {
    // @ts-expect-error operator commands require expectedVersion
    void engine.execute("ws", "d", { type: "cancel" }, { actor });
    // @ts-expect-error operator commands require expectedVersion (activate with override)
    void engine.execute("ws", "d", { type: "activate", override: { reason: "r" } }, { actor });
    // @ts-expect-error ExecuteOptions requires expectedVersion
    const options: ExecuteOptions = { actor };
    void options;
  });

  it("an unknown command type is a type error", () => {
    // @ts-expect-error unknown command type
    void engine.execute("ws", "d", { type: "drop_tables" }, { actor, expectedVersion: 1 });
  });
});

describe("errors", () => {
  it("VersionConflictError carries expectedVersion, actualVersion and the current draft", () => {
    const error = {} as VersionConflictError;
    expectTypeOf(error.expectedVersion).toEqualTypeOf<number>();
    expectTypeOf(error.actualVersion).toEqualTypeOf<number>();
    expectTypeOf(error.current).toEqualTypeOf<OnboardingDraft>();
    expectTypeOf(error.code).toEqualTypeOf<"version_conflict">();
  });

  it("NotReadyError carries readonly blockers and the overridable flag", () => {
    const error = {} as NotReadyError;
    expectTypeOf(error.blockers).toEqualTypeOf<readonly Blocker[]>();
    expectTypeOf(error.overridable).toEqualTypeOf<boolean>();
    expectTypeOf(error).toMatchTypeOf<OnboardingError>();
  });

  it("TerminalDraftError carries the terminal state", () => {
    expectTypeOf<TerminalDraftError["state"]>().toEqualTypeOf<LifecycleState>();
  });

  it("isOnboardingError narrows unknown to OnboardingError with a code", () => {
    const caught: unknown = new Error("x");
    if (isOnboardingError(caught)) {
      expectTypeOf(caught).toEqualTypeOf<OnboardingError>();
      expectTypeOf(caught.code).toEqualTypeOf<(typeof ErrorCode)[keyof typeof ErrorCode]>();
    }
    if (caught instanceof NotReadyError) expectTypeOf(caught.blockers).toEqualTypeOf<readonly Blocker[]>();
  });
});

describe("sealed drafts are read-only in the types too", () => {
  it("refuses in-place changes of a draft and of its parts", () => {
    const draft = {} as OnboardingDraft;
    // @ts-expect-error drafts are deep-frozen at run time; the type says so
    draft.version = 2;
    // @ts-expect-error nested parts as well
    draft.lifecycle.state = "completed";
    // @ts-expect-error and arrays
    draft.bootstrap?.runs.push({});
    expectTypeOf(draft.bootstrap?.operations).toEqualTypeOf<readonly string[] | undefined>();
    // A changed copy is built, not edited:
    const next: OnboardingDraft = { ...draft, version: draft.version + 1 };
    expectTypeOf(next.version).toEqualTypeOf<number>();
  });
});

describe("concrete stores", () => {
  it("declare pruneIdempotency as a method, callable without a check (TS2722 before)", () => {
    expectTypeOf(createMemoryStore().pruneIdempotency).toEqualTypeOf<(before: string) => Promise<number>>();
    expectTypeOf<PostgresStore["pruneIdempotency"]>().toEqualTypeOf<(before: string) => Promise<number>>();
    expectTypeOf<MySqlStore["pruneIdempotency"]>().toEqualTypeOf<(before: string) => Promise<number>>();
    expectTypeOf<SqliteStore["pruneIdempotency"]>().toEqualTypeOf<(before: string) => Promise<number>>();
  });

  it("declare pruneOutbox as a method on every adapter (optional on the port)", () => {
    type Prune = (before: string) => Promise<number>;
    expectTypeOf(createMemoryStore().pruneOutbox).toEqualTypeOf<Prune>();
    expectTypeOf<PostgresStore["pruneOutbox"]>().toEqualTypeOf<Prune>();
    expectTypeOf<MySqlStore["pruneOutbox"]>().toEqualTypeOf<Prune>();
    expectTypeOf<SqliteStore["pruneOutbox"]>().toEqualTypeOf<Prune>();
    expectTypeOf<RedisStore["pruneOutbox"]>().toEqualTypeOf<Prune>();
    expectTypeOf<DraftStore["pruneOutbox"]>().toEqualTypeOf<Prune | undefined>();
  });
});
