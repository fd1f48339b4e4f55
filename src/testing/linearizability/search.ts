/**
 * The search for a linearization of one partition: Wing and Gong's algorithm with Lowe's
 * memoization, as Porcupine and Knossos run it. Calls and returns are kept in one doubly linked
 * list in time order; the search tries to place (linearize) the earliest pending calls one by
 * one, backtracks when it meets a return whose call it has not placed, and never visits the
 * same (set of placed operations, model state) twice. Operations of unknown outcome have a call
 * but no return: placing them is optional, so the search succeeds once every return is placed.
 */
import type { LinearizabilityModel } from "./model.js";

/** One operation as the search sees it. */
export interface SearchOperation<I, O> {
  readonly input: I;
  /** `undefined` for an operation of unknown outcome (it never returns). */
  readonly output: O | undefined;
  readonly known: boolean;
  readonly call: number;
  readonly ret: number | null;
}

/** What the search found. */
export type SearchResult<S> =
  | {
      readonly verdict: "linearizable";
      /** The placed operations, in linearization order (indexes into the input). */
      readonly order: readonly number[];
      /** The model state after them. */
      readonly final: S;
      readonly steps: number;
    }
  | { readonly verdict: "not_linearizable" | "timeout"; readonly steps: number };

/** Limits of one search. */
export interface SearchLimits {
  /** Give up (verdict `timeout`) after this many steps. */
  readonly maxSteps: number;
  /** Give up at this `performance.now()` instant. */
  readonly deadline: number;
}

const NIL = -1;

/** An element of a typed array the search indexes within bounds (the hot loop skips the checks). */
const at = (array: Int32Array | Uint32Array, index: number): number => array[index] as number;

/** The linked list of calls and returns, in time order (calls first on a tie: they overlap). */
interface Entries {
  readonly head: number;
  readonly next: Int32Array;
  readonly prev: Int32Array;
  /** For a call: its return entry, or NIL when the operation never returns. For a return: -2. */
  readonly match: Int32Array;
  readonly operation: Int32Array;
  readonly returns: number;
}

function entriesOf<I, O>(operations: readonly SearchOperation<I, O>[]): Entries {
  const events: { op: number; call: boolean; time: number }[] = [];
  operations.forEach((operation, op) => {
    events.push({ op, call: true, time: operation.call });
    if (operation.ret !== null) events.push({ op, call: false, time: operation.ret });
  });
  events.sort((a, b) => a.time - b.time || Number(b.call) - Number(a.call));
  const count = events.length;
  const head = count;
  const next = new Int32Array(count + 1);
  const prev = new Int32Array(count + 1);
  const match = new Int32Array(count).fill(NIL);
  const operation = new Int32Array(count);
  const returnOf = new Map<number, number>();
  events.forEach((event, index) => {
    operation[index] = event.op;
    if (!event.call) {
      match[index] = -2;
      returnOf.set(event.op, index);
    }
  });
  events.forEach((event, index) => {
    if (event.call) match[index] = returnOf.get(event.op) ?? NIL;
    next[index] = index + 1 < count ? index + 1 : NIL;
    prev[index] = index === 0 ? head : index - 1;
  });
  next[head] = count > 0 ? 0 : NIL;
  prev[head] = NIL;
  return { head, next, prev, match, operation, returns: returnOf.size };
}

function unlink(entries: Entries, node: number): void {
  const { next, prev } = entries;
  next[at(prev, node)] = at(next, node);
  if (at(next, node) !== NIL) prev[at(next, node)] = at(prev, node);
}

function relink(entries: Entries, node: number): void {
  const { next, prev } = entries;
  next[at(prev, node)] = node;
  if (at(next, node) !== NIL) prev[at(next, node)] = node;
}

/** Removes a placed call (and its return) from the list; {@link unlift} undoes it exactly. */
function lift(entries: Entries, call: number): void {
  unlink(entries, call);
  const ret = at(entries.match, call);
  if (ret >= 0) unlink(entries, ret);
}

function unlift(entries: Entries, call: number): void {
  const ret = at(entries.match, call);
  if (ret >= 0) relink(entries, ret);
  relink(entries, call);
}

/**
 * The set of placed operations as a bitset, with two 32-bit Zobrist hashes kept up to date on
 * every change, so a memo lookup costs no pass over the bits.
 */
class PlacedSet {
  readonly words: Uint32Array;
  private readonly zobrist: Uint32Array;
  h1 = 0;
  h2 = 0;

  constructor(size: number) {
    this.words = new Uint32Array(Math.ceil(size / 32) || 1);
    this.zobrist = new Uint32Array(size * 2);
    let x = 0x9e3779b9;
    for (let i = 0; i < this.zobrist.length; i += 1) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      this.zobrist[i] = x >>> 0;
    }
  }

  toggle(op: number): void {
    this.words[op >>> 5] = at(this.words, op >>> 5) ^ (1 << (op & 31));
    this.h1 ^= at(this.zobrist, op * 2);
    this.h2 ^= at(this.zobrist, op * 2 + 1);
  }

  equals(other: Uint32Array): boolean {
    for (let i = 0; i < this.words.length; i += 1) if (this.words[i] !== other[i]) return false;
    return true;
  }
}

/** The configurations (placed set, state) already explored: each failed, or is on the stack. */
class Memo {
  private readonly seen = new Map<string, Uint32Array[]>();

  /** Records the configuration; `false` when it was already there. */
  add(placed: PlacedSet, stateKey: string): boolean {
    const key = `${placed.h1}:${placed.h2}:${stateKey}`;
    const bucket = this.seen.get(key);
    if (bucket === undefined) {
      this.seen.set(key, [placed.words.slice()]);
      return true;
    }
    if (bucket.some((words) => placed.equals(words))) return false;
    bucket.push(placed.words.slice());
    return true;
  }
}

/**
 * Searches for a linearization of `operations` (one partition) under `model`.
 *
 * Operations with `ret === null` (unknown outcome) may be placed anywhere after their call, or
 * not at all; the model's `stepUnknown` decides what placing one does.
 */
export function searchLinearization<S, I, O>(
  model: LinearizabilityModel<S, I, O>,
  partition: string,
  operations: readonly SearchOperation<I, O>[],
  limits: SearchLimits,
): SearchResult<S> {
  const entries = entriesOf(operations);
  const placed = new PlacedSet(operations.length);
  const memo = new Memo();
  const stack: number[] = [];
  const states: S[] = [];
  let state = model.init(partition);
  let remaining = entries.returns;
  let steps = 0;
  let entry = at(entries.next, entries.head);
  while (remaining > 0) {
    steps += 1;
    if (steps > limits.maxSteps || ((steps & 4095) === 0 && performance.now() > limits.deadline)) {
      return { verdict: "timeout", steps };
    }
    if (entry === NIL || at(entries.match, entry) === -2) {
      // A return whose call is not placed (or the end): undo the last placement and try the next call.
      const last = stack.pop();
      if (last === undefined) return { verdict: "not_linearizable", steps };
      state = states.pop() as S;
      unlift(entries, last);
      placed.toggle(at(entries.operation, last));
      if (at(entries.match, last) >= 0) remaining += 1;
      entry = at(entries.next, last);
      continue;
    }
    const op = at(entries.operation, entry);
    const operation = operations[op] as SearchOperation<I, O>;
    const after = operation.known
      ? model.step(state, operation.input, operation.output as O)
      : model.stepUnknown(state, operation.input);
    if (after !== undefined) {
      placed.toggle(op);
      if (memo.add(placed, model.key(after))) {
        stack.push(entry);
        states.push(state);
        state = after;
        lift(entries, entry);
        if (at(entries.match, entry) >= 0) remaining -= 1;
        entry = at(entries.next, entries.head);
        continue;
      }
      placed.toggle(op);
    }
    entry = at(entries.next, entry);
  }
  return { verdict: "linearizable", order: stack.map((call) => at(entries.operation, call)), final: state, steps };
}
