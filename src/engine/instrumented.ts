import type { OnboardingDraft, RunProgress } from "../record/index.js";
import type { DraftStore } from "../store/index.js";
import { COMMANDS, isWorkerCommandType, type CommandType } from "../commands/index.js";
import { withTrace, type EngineContext } from "./context.js";
import { createCreate } from "./create.js";
import { createExecute } from "./execute.js";
import { createReads } from "./reads.js";
import type { HistoryOptions, HistoryPage } from "./history.js";
import { OPTIONAL_STORE_METHODS, STORE_METHODS, isIdArgument } from "./options.js";
import { expireStuckRuns, runProgress, type ExpireStuckRunsOptions, type ExpireStuckRunsReport } from "./runs-api.js";
import {
  quietly,
  type EngineInstrumentation,
  type EngineOperation,
  type OperationInfo,
  type OperationTrace,
} from "./instrumentation.js";
import type {
  Actor,
  CreateOptions,
  CreateResult,
  DraftPage,
  ExecuteOptions,
  ListDraftsOptions,
  MutationResult,
  ReadOptions,
  WorkerExecuteOptions,
} from "./types.js";

type Method = (...args: unknown[]) => Promise<unknown>;

/**
 * The functions of `store` an operation calls: the port's methods it has. Any other property
 * (a method added by an adapter, `name`, `tables`, `describe`) is the store's own, untraced.
 */
function tracedMethods(store: DraftStore): string[] {
  const all = store as unknown as Record<string, unknown>;
  return [...STORE_METHODS, ...OPTIONAL_STORE_METHODS].filter(
    (name) => name !== "describe" && name !== "close" && typeof all[name] === "function",
  );
}

const TRACE = Symbol("trace");

/**
 * Builds, per operation, the store whose calls go through that operation's trace: one object
 * whose prototype (made once per engine) holds the traced methods and, behind them, the store
 * itself (so `name`, `stores`, `describe`, `tables`, ... read through). The engine only ever
 * calls them as methods of that object, which is how each finds its trace.
 */
function tracedStores(store: DraftStore): (trace: OperationTrace) => DraftStore {
  const target = store as unknown as Record<string, Method>;
  const traced = Object.create(store) as Record<string, Method>;
  for (const name of tracedMethods(store)) {
    traced[name] = function (this: { readonly [TRACE]: OperationTrace }, ...args: unknown[]) {
      return this[TRACE].storeCall(name, () => (target[name] as Method).apply(store, args));
    };
  }
  return (trace) => {
    const scoped = Object.create(traced) as { [TRACE]: OperationTrace };
    scoped[TRACE] = trace;
    return scoped as unknown as DraftStore;
  };
}

/** The command type of an `execute` argument, when it names a known command. */
function knownCommandType(command: unknown): CommandType | null {
  const type = typeof command === "object" && command !== null ? (command as { type?: unknown }).type : undefined;
  return typeof type === "string" && Object.hasOwn(COMMANDS, type) ? (type as CommandType) : null;
}

/** The engine's operations (those of a plain engine, or each one followed by an instrumentation). */
export interface EngineOperations<TActor extends Actor> {
  readonly execute: (
    workspaceId: string,
    draftId: string,
    command: unknown,
    options: ExecuteOptions<TActor> | WorkerExecuteOptions<TActor>,
  ) => Promise<MutationResult>;
  readonly create: (workspaceId: string, input: unknown, options: CreateOptions<TActor>) => Promise<CreateResult>;
  readonly get: (workspaceId: string, draftId: string, options: ReadOptions<TActor>) => Promise<OnboardingDraft>;
  readonly history: (workspaceId: string, draftId: string, options: HistoryOptions<TActor>) => Promise<HistoryPage>;
  readonly list: (workspaceId: string, options: ListDraftsOptions<TActor>) => Promise<DraftPage>;
  readonly runProgress: (
    workspaceId: string,
    draftId: string,
    options: ReadOptions<TActor>,
  ) => Promise<readonly RunProgress[]>;
  readonly expireStuckRuns: (options: ExpireStuckRunsOptions<TActor>) => Promise<ExpireStuckRunsReport>;
}

/**
 * The operations of an engine with an instrumentation. Each call asks `startOperation`; with a
 * trace, the operation runs on a context whose store calls go through it, and ends with `end`
 * or `fail`. Without one (the instrumentation skipped it) the call runs as on a plain engine.
 */
export function instrumentedOperations<TActor extends Actor>(
  ctx: EngineContext<TActor>,
  instrumentation: EngineInstrumentation,
  leaseMs: number,
): EngineOperations<TActor> {
  const traceStore = tracedStores(ctx.store);
  const store = ctx.store;
  const info = (operation: EngineOperation, workspaceId: unknown, draftId: unknown = null): OperationInfo => ({
    operation,
    workspaceId: isIdArgument(workspaceId) ? workspaceId : null,
    draftId: isIdArgument(draftId) ? draftId : null,
    commandType: null,
    expectedVersion: null,
    store,
  });

  async function traced<T>(
    start: OperationInfo,
    parent: OperationTrace | null,
    body: (scoped: EngineContext<TActor>, trace: OperationTrace | null) => Promise<T>,
  ): Promise<T> {
    let trace: OperationTrace | undefined;
    quietly(() => {
      trace = instrumentation.startOperation(start, parent);
    });
    if (trace === undefined) return body(ctx, null);
    const current = trace;
    let result: T;
    try {
      result = await current.run(() => body(withTrace(ctx, current, traceStore(current)), current));
    } catch (error) {
      quietly(() => current.fail(error));
      throw error;
    }
    quietly(() => current.end(result));
    return result;
  }

  const executeUnder =
    (parent: OperationTrace | null): EngineOperations<TActor>["execute"] =>
    (workspaceId, draftId, command, options) => {
      const commandType = knownCommandType(command);
      const expected: unknown = (options as Partial<ExecuteOptions<TActor>> | null | undefined)?.expectedVersion;
      const operator = commandType !== null && !isWorkerCommandType(commandType);
      const start: OperationInfo = {
        ...info("execute", workspaceId, draftId),
        commandType,
        expectedVersion: operator && typeof expected === "number" ? expected : null,
      };
      return traced(start, parent, (scoped) => createExecute(scoped)(workspaceId, draftId, command, options));
    };

  return {
    execute: executeUnder(null),
    create: (workspaceId, input, options) =>
      traced(info("create", workspaceId), null, (scoped) => createCreate(scoped)(workspaceId, input, options)),
    get: (workspaceId, draftId, options) =>
      traced(info("get", workspaceId, draftId), null, (scoped) =>
        createReads(scoped).get(workspaceId, draftId, options),
      ),
    history: (workspaceId, draftId, options) =>
      traced(info("history", workspaceId, draftId), null, (scoped) =>
        createReads(scoped).history(workspaceId, draftId, options),
      ),
    list: (workspaceId, options) =>
      traced(info("list", workspaceId), null, (scoped) => createReads(scoped).list(workspaceId, options)),
    runProgress: (workspaceId, draftId, options) =>
      traced(info("runProgress", workspaceId, draftId), null, (scoped) =>
        runProgress(scoped, workspaceId, draftId, options),
      ),
    expireStuckRuns: (options) =>
      traced(info("expireStuckRuns", null), null, (scoped, trace) =>
        expireStuckRuns(scoped, executeUnder(trace), options, leaseMs),
      ),
  };
}
