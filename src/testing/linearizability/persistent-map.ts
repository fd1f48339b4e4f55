/**
 * A small persistent (immutable, path-copying) hash map from strings to values: a hash array
 * mapped trie of 32-way branches over a 32-bit FNV-1a hash. The search keeps one model state per
 * step on its stack; with this map a step that records an idempotency key copies a handful of
 * short arrays instead of every key recorded so far.
 */

interface Leaf<V> {
  readonly hash: number;
  readonly entries: readonly (readonly [string, V])[];
}

interface Branch<V> {
  readonly children: readonly (Trie<V> | undefined)[];
}

type Trie<V> = Leaf<V> | Branch<V>;

const BITS = 5;
const MASK = 31;

/** FNV-1a over UTF-16 code units: fast, and spreads short keys well enough for a trie. */
function hashOf(key: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i += 1) {
    hash ^= key.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

const isLeaf = <V>(node: Trie<V>): node is Leaf<V> => "entries" in node;

function lookup<V>(node: Trie<V> | undefined, key: string, hash: number, shift: number): V | undefined {
  if (node === undefined) return undefined;
  if (isLeaf(node)) return node.hash === hash ? node.entries.find(([k]) => k === key)?.[1] : undefined;
  return lookup(node.children[(hash >>> shift) & MASK], key, hash, shift + BITS);
}

function insert<V>(node: Trie<V> | undefined, key: string, value: V, hash: number, shift: number): Trie<V> {
  if (node === undefined) return { hash, entries: [[key, value]] };
  if (isLeaf(node)) {
    if (node.hash === hash) return { hash, entries: [...node.entries.filter(([k]) => k !== key), [key, value]] };
    // Two different hashes differ in some bit below 32, so the split ends by shift 30.
    const split: Branch<V> = { children: placed([], node, (node.hash >>> shift) & MASK) };
    return insert(split, key, value, hash, shift);
  }
  const index = (hash >>> shift) & MASK;
  return { children: placed(node.children, insert(node.children[index], key, value, hash, shift + BITS), index) };
}

function placed<V>(children: readonly (Trie<V> | undefined)[], child: Trie<V>, index: number): (Trie<V> | undefined)[] {
  const copy = children.slice();
  copy[index] = child;
  return copy;
}

/** An immutable map: `set` returns a new map and leaves this one as it was. */
export class PersistentMap<V> {
  /** The empty map. */
  static empty<V>(): PersistentMap<V> {
    return new PersistentMap<V>(undefined, 0);
  }

  private constructor(
    private readonly root: Trie<V> | undefined,
    /** How many keys the map holds. */
    readonly size: number,
  ) {}

  /** The value of `key`, or `undefined`. */
  get(key: string): V | undefined {
    return lookup(this.root, key, hashOf(key), 0);
  }

  /** Whether `key` is in the map. */
  has(key: string): boolean {
    return this.get(key) !== undefined;
  }

  /** A map with `key` set to `value` (which must not be `undefined`). */
  set(key: string, value: V): PersistentMap<V> {
    const added = this.has(key) ? 0 : 1;
    return new PersistentMap(insert(this.root, key, value, hashOf(key), 0), this.size + added);
  }
}
