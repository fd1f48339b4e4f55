/**
 * Histories of a draft's version register generated from a sequential model (a true atomic
 * register) run by concurrent clients: each operation is invoked, takes effect at one instant,
 * and returns, and the three steps of every client interleave at random. Such a history is
 * linearizable by construction (its linearization is the order of the instants). Some
 * operations end with an unknown outcome, after taking effect or without, and their clients
 * retry them under the same idempotency key, as a client of the engine does.
 *
 * Also: mutations that make a generated history non-linearizable for certain, and a
 * brute-force oracle for small histories.
 */
import type { DraftOperation, LinearizabilityModel, RegisterInput, RegisterOutput } from "../../src/testing/index.js";

/** A small seeded PRNG (mulberry32). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** How a generated history is shaped. */
export interface GenerateOptions {
  readonly seed: number;
  readonly operations: number;
  readonly clients: number;
  readonly partitions?: number;
  /** Share of commits whose outcome is unknown (half after taking effect, half without). */
  readonly unknownRate?: number;
  /** Share of commits without effect that end as `fail`. */
  readonly failRate?: number;
}

/** The register itself. */
interface Register {
  version: number;
  readonly values: Map<number, string>;
  readonly keys: Map<string, number>;
}

interface Running {
  readonly id: number;
  readonly partition: string;
  readonly input: RegisterInput;
  /** `before`: ends unknown without effect; `after`: unknown after effect; `fail`: fails without effect. */
  readonly ending: "ok" | "before" | "after" | "fail";
  output: RegisterOutput | null;
  applied: boolean;
}

interface Client {
  readonly name: string;
  running: Running | null;
  lastRead: Map<string, number>;
  /** A keyed commit that ended unknown: retried next, under its key. */
  retry: { partition: string; input: RegisterInput } | null;
}

/** The true register's answer to `input`, applying it. */
function apply(register: Register, input: RegisterInput, value: string, noop: boolean): RegisterOutput {
  const current = register.values.get(register.version) ?? "";
  if (input.type === "read") return { type: "read", version: register.version, value: current };
  const key = input.idempotencyKey ?? null;
  const first = key === null ? undefined : register.keys.get(key);
  if (first !== undefined)
    return { type: "committed", version: first, value: register.values.get(first) ?? "", replayed: true };
  if (input.expectedVersion !== null && input.expectedVersion !== register.version) {
    return { type: "conflict", actualVersion: register.version, value: current };
  }
  if (noop) return { type: "unchanged", version: register.version, value: current };
  register.version += 1;
  register.values.set(register.version, value);
  if (key !== null) register.keys.set(key, register.version);
  return { type: "committed", version: register.version, value, replayed: false };
}

/** Generates a linearizable history (see the file header). Every partition starts at version 1, value "v1". */
export function generateHistory(options: GenerateOptions): DraftOperation[] {
  const random = prng(options.seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const partitions = Array.from({ length: options.partitions ?? 1 }, (_, i) => `d${i}`);
  const registers = new Map(partitions.map((p) => [p, { version: 1, values: new Map([[1, "v1"]]), keys: new Map() }]));
  const clients: Client[] = Array.from({ length: options.clients }, (_, i) => ({
    name: `c${i}`,
    running: null,
    lastRead: new Map(),
    retry: null,
  }));
  const operations: DraftOperation[] = [];
  let clock = 0;
  let keys = 0;
  const invoke = (client: Client): void => {
    let partition: string;
    let input: RegisterInput;
    if (client.retry !== null && random() < 0.8) {
      ({ partition, input } = client.retry);
    } else {
      partition = pick(partitions);
      const known = client.lastRead.get(partition) ?? 1;
      const roll = random();
      input =
        roll < 0.4
          ? { type: "read" }
          : {
              type: "commit",
              expectedVersion: random() < 0.15 ? Math.max(1, known - 1) : known,
              idempotencyKey: random() < 0.6 ? `k${(keys += 1)}` : null,
            };
    }
    client.retry = null;
    const commit = input.type === "commit";
    const roll = random();
    const unknownRate = options.unknownRate ?? 0.15;
    const ending: Running["ending"] = !commit
      ? roll < 0.05
        ? "before"
        : "ok"
      : roll < unknownRate / 2
        ? "before"
        : roll < unknownRate
          ? "after"
          : roll < unknownRate + (options.failRate ?? 0.03)
            ? "fail"
            : "ok";
    const id = operations.length;
    operations.push({
      id,
      partition,
      client: client.name,
      input,
      invokedAt: (clock += 1),
      returnedAt: null,
      status: "pending",
      output: null,
    });
    client.running = { id, partition, input, ending, output: null, applied: false };
  };
  const takeEffect = (running: Running): void => {
    running.applied = true;
    if (running.ending === "before" || running.ending === "fail") return;
    const noop = random() < 0.05;
    running.output = apply(registers.get(running.partition) as Register, running.input, `w${running.id}`, noop);
  };
  const complete = (client: Client, running: Running): void => {
    const op = operations[running.id] as DraftOperation;
    const returnedAt = (clock += 1);
    if (running.ending === "ok") {
      operations[running.id] = { ...op, status: "ok", output: running.output, returnedAt };
      const out = running.output;
      if (out !== null && (out.type === "read" || out.type === "committed" || out.type === "unchanged"))
        client.lastRead.set(running.partition, out.version);
      if (out?.type === "conflict" && out.actualVersion !== null)
        client.lastRead.set(running.partition, out.actualVersion);
    } else {
      operations[running.id] = { ...op, status: running.ending === "fail" ? "fail" : "unknown", returnedAt };
      if (running.ending !== "fail" && running.input.type === "commit" && running.input.idempotencyKey) {
        client.retry = { partition: running.partition, input: running.input };
      }
    }
    client.running = null;
  };
  let started = 0;
  while (started < options.operations || clients.some((client) => client.running !== null)) {
    const client = pick(clients);
    const running = client.running;
    if (running === null) {
      if (started < options.operations) {
        invoke(client);
        started += 1;
      }
    } else if (!running.applied) takeEffect(running);
    else complete(client, running);
  }
  return operations;
}

type Committed = Extract<RegisterOutput, { type: "committed" }>;
const committed = (op: DraftOperation): Committed | null =>
  op.status === "ok" && op.output?.type === "committed" && !op.output.replayed ? op.output : null;

/** The known value of each version: written by an acknowledged commit, or the start. */
function knownValues(history: readonly DraftOperation[], partition: string): Map<number, string> {
  const values = new Map<number, string>([[1, "v1"]]);
  for (const op of history) {
    const out = op.partition === partition ? committed(op) : null;
    if (out !== null) values.set(out.version, out.value);
  }
  return values;
}

/** The kinds of mutation that make any history non-linearizable. */
export type Mutation = "stale_read" | "double_commit" | "version_skip" | "tampered_read" | "fabricated_replay";

function replace(history: readonly DraftOperation[], id: number, output: RegisterOutput): DraftOperation[] {
  return history.map((op) => (op.id === id ? { ...op, output } : op));
}

/**
 * Applies `mutation` to the `choice`-th place it applies to, or returns `null` when it applies
 * nowhere in this history. Each one is non-linearizable for certain (see the cases).
 */
export function mutate(
  history: readonly DraftOperation[],
  mutation: Mutation,
  choice: number,
): DraftOperation[] | null {
  const candidates: (() => DraftOperation[])[] = [];
  const ok = history.filter((op) => op.status === "ok");
  const reads = ok.filter((op) => op.output?.type === "read");
  if (mutation === "stale_read") {
    // A read invoked after a commit to v returned cannot read a version below v.
    for (const read of reads) {
      const before = ok.filter(
        (op) =>
          op.partition === read.partition && committed(op) !== null && (op.returnedAt ?? Infinity) < read.invokedAt,
      );
      const newest = Math.max(0, ...before.map((op) => (committed(op) as Committed).version));
      const values = knownValues(history, read.partition);
      const older = [...values.keys()].filter((version) => version < newest);
      if (older.length > 0) {
        const version = older[choice % older.length] as number;
        candidates.push(() => replace(history, read.id, { type: "read", version, value: values.get(version) ?? "" }));
      }
    }
  }
  if (mutation === "double_commit") {
    // A conflict turned into a second acknowledged commit from a version another commit acknowledged.
    for (const op of ok) {
      if (op.output?.type !== "conflict" || op.input.type !== "commit" || op.input.expectedVersion === null) continue;
      const from = op.input.expectedVersion;
      const rival = ok.some(
        (other) =>
          other.partition === op.partition &&
          other.input.type === "commit" &&
          other.input.expectedVersion === from &&
          committed(other) !== null,
      );
      if (rival)
        candidates.push(() =>
          replace(history, op.id, { type: "committed", version: from + 1, value: "forged", replayed: false }),
        );
    }
  }
  if (mutation === "version_skip") {
    for (const op of ok) {
      const out = committed(op);
      if (out !== null && op.input.type === "commit" && op.input.expectedVersion !== null) {
        candidates.push(() => replace(history, op.id, { ...out, version: out.version + 1 }));
      }
    }
  }
  if (mutation === "tampered_read") {
    for (const read of reads) {
      const out = read.output as Extract<RegisterOutput, { type: "read" }>;
      if (knownValues(history, read.partition).get(out.version) === out.value) {
        candidates.push(() => replace(history, read.id, { ...out, value: "tampered" }));
      }
    }
  }
  if (mutation === "fabricated_replay") {
    for (const op of ok) {
      const out = committed(op);
      const key = op.input.type === "commit" ? (op.input.idempotencyKey ?? null) : null;
      if (out === null || key === null) continue;
      const alone = history.every(
        (other) => other.id === op.id || other.input.type !== "commit" || other.input.idempotencyKey !== key,
      );
      if (alone) candidates.push(() => replace(history, op.id, { ...out, replayed: true }));
    }
  }
  if (candidates.length === 0) return null;
  return (candidates[choice % candidates.length] as () => DraftOperation[])();
}

/**
 * The brute-force answer for a small history of one partition: tries every order the real-time
 * constraints allow (each unknown operation placed somewhere, or never).
 */
export function bruteForce<S>(
  model: LinearizabilityModel<S, RegisterInput, RegisterOutput>,
  history: readonly DraftOperation[],
): boolean {
  const ops = history.filter((op) => op.status !== "fail");
  const search = (placed: ReadonlySet<number>, state: S): boolean => {
    const waiting = ops.filter((op) => op.status === "ok" && !placed.has(op.id));
    if (waiting.length === 0) return true;
    const earliestReturn = Math.min(...waiting.map((op) => op.returnedAt ?? Infinity));
    for (const op of ops) {
      if (placed.has(op.id) || op.invokedAt > earliestReturn) continue;
      const next =
        op.status === "ok"
          ? model.step(state, op.input, op.output as RegisterOutput)
          : model.stepUnknown(state, op.input);
      if (next !== undefined && search(new Set([...placed, op.id]), next)) return true;
    }
    return false;
  };
  return search(new Set(), model.init(ops[0]?.partition ?? ""));
}
