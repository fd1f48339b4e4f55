/**
 * The hold of reordered commits: commits wait in a batch until it is full or its first commit
 * has waited long enough, then go to the store one after another in a shuffled order. Sending
 * them one at a time is what makes the order the store's: started together, a server would
 * interleave them in an order of its own.
 */

/** One held call: sends it, settling its caller's promise. */
type Held = () => Promise<void>;

/** Holds calls in batches and sends each batch in the order `shuffle` gives. */
export class CommitHold {
  private waiting: Held[] = [];
  private timer: ReturnType<typeof setTimeout> | null = null;
  private batches = 0;

  /**
   * @param window batch size that releases at once
   * @param holdMs longest wait of a batch's first call
   * @param shuffle the order of batch `batch` of `size` calls
   * @param released told of each batch of two or more, with its order
   */
  constructor(
    private readonly window: number,
    private readonly holdMs: number,
    private readonly shuffle: (batch: number, size: number) => number[],
    private readonly released: (order: readonly number[]) => void,
  ) {}

  /** Holds `send` until its batch is released; settles as `send` does. */
  hold<T>(send: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.waiting.push(() => send().then(resolve, reject));
      if (this.waiting.length >= this.window) this.release();
      else this.timer ??= setTimeout(() => this.release(), this.holdMs);
    });
  }

  /** Sends every held call now, in a shuffled order. */
  release(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    const batch = this.waiting;
    this.waiting = [];
    if (batch.length === 0) return;
    const order = this.shuffle((this.batches += 1), batch.length);
    if (batch.length > 1) this.released(order);
    void (async () => {
      for (const index of order) await batch[index]?.();
    })();
  }
}
