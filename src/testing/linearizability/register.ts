/**
 * The draft's version register, as a sequential specification: a draft is a register holding
 * (version, document); reads return both; a version-checked commit from the stored version
 * writes the next version, from any other version it is a conflict that writes nothing; a
 * commit under an idempotency key that already applied is a replay of its first outcome.
 */
import type { HistoryOperation } from "./history.js";
import type { LinearizabilityModel } from "./model.js";
import { PersistentMap } from "./persistent-map.js";

/** What an operation on a draft's version register asks. */
export type RegisterInput =
  | {
      /** A read of the draft (`engine.get`). */
      readonly type: "read";
    }
  | {
      /** A version-checked write (`engine.execute`, `engine.create` from version 0). */
      readonly type: "commit";
      /**
       * The version the write is based on (`expectedVersion`; 0 for a create), or `null` for a
       * write applied to whatever version is stored (a worker's report, retried on conflict).
       */
      readonly expectedVersion: number | null;
      /** Its idempotency key, if any: a second write under the same key replays the first. */
      readonly idempotencyKey?: string | null;
      /**
       * The digest of what it writes, when known before the call. Used for an operation of
       * unknown outcome: the version it may have written then holds this value (otherwise a
       * value the next read fixes).
       */
      readonly value?: string | null;
    };

/** What an operation on a draft's version register returned. */
export type RegisterOutput =
  | {
      /** A read's answer. */
      readonly type: "read";
      /** The version read (0: the draft does not exist). */
      readonly version: number;
      /** The digest of the document read (`draftDigest`; `""` for no draft). */
      readonly value: string;
    }
  | {
      /** The write was committed, or is a replay of the write first made under its key. */
      readonly type: "committed";
      /** The version written. */
      readonly version: number;
      /** The digest of the document written. */
      readonly value: string;
      /** `true` for the remembered outcome of an earlier write under the same key. */
      readonly replayed: boolean;
    }
  | {
      /** The command changed nothing (no write): the draft as it stands. */
      readonly type: "unchanged";
      /** The version it stands at. */
      readonly version: number;
      /** The digest of its document. */
      readonly value: string;
    }
  | {
      /** The stored version is not the expected one: nothing was written. */
      readonly type: "conflict";
      /** The version actually stored, when reported. */
      readonly actualVersion: number | null;
      /** The digest of the document stored, when reported (a conflict carries the current draft). */
      readonly value?: string | null;
    };

/** The register of one draft, as the search carries it (immutable). */
export interface RegisterState {
  readonly version: number;
  /** The value of `version`; `null` when an operation of unknown outcome wrote it and nobody has seen it yet. */
  readonly value: string | null;
  /** The value of every version so far (by version, as text). */
  readonly values: PersistentMap<string | null>;
  /** The version each idempotency key's first write produced. */
  readonly keys: PersistentMap<number>;
  /** Two running hashes of `values` and `keys`, so equal memo keys mean equal states. */
  readonly f1: number;
  readonly f2: number;
}

/** Where a partition's register starts. */
export interface RegisterStart {
  /** The version before the history (default 0: the draft does not exist yet). */
  readonly version: number;
  /** The digest of its document (default `""`). */
  readonly value: string;
}

function mix(text: string, seed: number): number {
  let hash = seed;
  for (let i = 0; i < text.length; i += 1) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return hash >>> 0;
}

/** A state with one entry of `values` or `keys` set (keeping the running hashes). */
function withEntry(
  state: RegisterState,
  map: "values" | "keys",
  key: string,
  value: string | number | null,
): RegisterState {
  const old = state[map].get(key);
  const tag = (v: unknown): string => `${map}\u0000${key}\u0000${String(v)}`;
  let { f1, f2 } = state;
  if (old !== undefined) {
    f1 ^= mix(tag(old), 0x811c9dc5);
    f2 ^= mix(tag(old), 0x01000193);
  }
  f1 ^= mix(tag(value), 0x811c9dc5);
  f2 ^= mix(tag(value), 0x01000193);
  const next =
    map === "values"
      ? { ...state, values: state.values.set(key, value as string | null) }
      : { ...state, keys: state.keys.set(key, value as number) };
  return { ...next, f1, f2 };
}

function startState(start: RegisterStart): RegisterState {
  const empty: RegisterState = {
    version: start.version,
    value: start.value,
    values: PersistentMap.empty(),
    keys: PersistentMap.empty(),
    f1: 0,
    f2: 0,
  };
  return withEntry(empty, "values", String(start.version), start.value);
}

/** The state after `version`'s value was observed as `observed`, or `undefined` if it was something else. */
function observe(state: RegisterState, version: number, observed: string): RegisterState | undefined {
  const known = state.values.get(String(version));
  if (known === undefined) return undefined;
  if (known !== null) return known === observed ? state : undefined;
  const bound = withEntry(state, "values", String(version), observed);
  return version === state.version ? { ...bound, value: observed } : bound;
}

/** The state after a write of `value` (`null`: not known) on top of `state`, under `key`. */
function written(state: RegisterState, value: string | null, key: string | null | undefined): RegisterState {
  const version = state.version + 1;
  const next = { ...withEntry(state, "values", String(version), value), version, value };
  return key === null || key === undefined ? next : withEntry(next, "keys", key, version);
}

const basedOnStored = (state: RegisterState, expected: number | null): boolean =>
  expected === null || expected === state.version;

function stepCommit(
  state: RegisterState,
  input: Extract<RegisterInput, { type: "commit" }>,
  output: RegisterOutput,
): RegisterState | undefined {
  const key = input.idempotencyKey ?? null;
  const first = key === null ? undefined : state.keys.get(key);
  if (first !== undefined) {
    // The key already applied: only its first outcome can come back.
    if (output.type !== "committed" || !output.replayed || output.version !== first) return undefined;
    return observe(state, first, output.value);
  }
  switch (output.type) {
    case "committed":
      if (output.replayed || !basedOnStored(state, input.expectedVersion)) return undefined;
      return output.version === state.version + 1 ? written(state, output.value, key) : undefined;
    case "unchanged":
      if (!basedOnStored(state, input.expectedVersion) || output.version !== state.version) return undefined;
      return observe(state, state.version, output.value);
    case "conflict":
      if (input.expectedVersion === null || input.expectedVersion === state.version) return undefined;
      if (output.actualVersion !== null && output.actualVersion !== state.version) return undefined;
      return output.value === null || output.value === undefined ? state : observe(state, state.version, output.value);
    case "read":
      return undefined;
  }
}

function describeValue(value: string | null): string {
  return value === null ? "value not seen yet" : value === "" ? "no draft" : value;
}

function describeOutput(output: RegisterOutput | undefined): string {
  if (output === undefined) return "outcome unknown";
  switch (output.type) {
    case "read":
      return `v${output.version} (${describeValue(output.value)})`;
    case "committed":
      return `${output.replayed ? "replayed" : "committed"} v${output.version} (${describeValue(output.value)})`;
    case "unchanged":
      return `unchanged at v${output.version} (${describeValue(output.value)})`;
    case "conflict":
      return `conflict${output.actualVersion === null ? "" : ` (stored v${output.actualVersion})`}`;
  }
}

type Operation = HistoryOperation<RegisterInput, RegisterOutput>;

/** The version an acknowledged, first-time commit was applied to, or `null`. */
function claimedVersion(operation: Operation): number | null {
  const { input, output } = operation;
  if (operation.status !== "ok" || input.type !== "commit" || output?.type !== "committed" || output.replayed)
    return null;
  return output.version - 1;
}

/**
 * Unknown-outcome operations that can never take effect: reads; and, as exactly one write applies at each
 * version, so none can from a version an acknowledged commit was applied to; an idempotency key
 * applies once, so none can under a key an acknowledged first-time commit used, nor produce a
 * version other than the one a replay of its key reported.
 */
function ineffective(operations: readonly Operation[]): ReadonlySet<number> {
  const claimed = new Set<number>();
  const appliedKeys = new Set<string>();
  const replayedAt = new Map<string, number>();
  for (const operation of operations) {
    const version = claimedVersion(operation);
    const key = operation.input.type === "commit" ? (operation.input.idempotencyKey ?? null) : null;
    if (version !== null) claimed.add(version);
    if (version !== null && key !== null) appliedKeys.add(key);
    const output = operation.status === "ok" ? operation.output : null;
    if (key !== null && output?.type === "committed" && output.replayed) replayedAt.set(key, output.version);
  }
  const never = new Set<number>();
  for (const operation of operations) {
    const { input } = operation;
    if (operation.status === "ok") continue;
    if (input.type === "read") {
      never.add(operation.id); // a read that did not answer changed nothing
      continue;
    }
    const key = input.idempotencyKey ?? null;
    const from = input.expectedVersion;
    const replayed = key === null ? undefined : replayedAt.get(key);
    if (
      (from !== null && claimed.has(from)) ||
      (key !== null && appliedKeys.has(key)) ||
      (replayed !== undefined && from !== null && from !== replayed - 1)
    ) {
      never.add(operation.id);
    }
  }
  return never;
}

/** The version register as a {@link LinearizabilityModel}, starting each partition at `start(partition)`. */
export function versionRegister(
  start: (partition: string) => RegisterStart = () => ({ version: 0, value: "" }),
): LinearizabilityModel<RegisterState, RegisterInput, RegisterOutput> {
  return {
    init: (partition) => startState(start(partition)),
    step(state, input, output) {
      if (input.type === "commit") return stepCommit(state, input, output);
      return output.type === "read" && output.version === state.version
        ? observe(state, state.version, output.value)
        : undefined;
    },
    stepUnknown(state, input) {
      if (input.type === "read") return undefined;
      const key = input.idempotencyKey ?? null;
      if (key !== null && state.keys.has(key)) return undefined; // it would replay: no effect
      if (!basedOnStored(state, input.expectedVersion)) return undefined; // a conflict: no effect
      return written(state, input.value ?? null, key);
    },
    ineffective,
    key: (state) => `${state.version}|${state.value ?? "\u0000"}|${state.f1}|${state.f2}`,
    describeOperation(input, output) {
      if (input.type === "read") return `read -> ${describeOutput(output)}`;
      const key = input.idempotencyKey ? ` key=${input.idempotencyKey}` : "";
      const from = input.expectedVersion === null ? "any version" : `v${input.expectedVersion}`;
      return `commit from ${from}${key} -> ${describeOutput(output)}`;
    },
    describeState: (state) => `v${state.version} (${describeValue(state.value)})`,
  };
}
