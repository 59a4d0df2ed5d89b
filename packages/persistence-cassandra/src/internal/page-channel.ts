/**
 * A bounded hand-over between producers (scan workers) and one consumer: `put` waits
 * while `capacity` items are buffered, so memory stays bounded by the consumer's pace.
 */
export class PageChannel<T> {
  private readonly items: T[] = [];
  private readonly waitingPutters: (() => void)[] = [];
  private waitingTaker: (() => void) | undefined;
  private ended = false;
  private failure: { error: unknown } | undefined;
  private isCancelled = false;

  constructor(private readonly capacity: number) {
    if (!(Number.isInteger(capacity) && capacity > 0)) throw new RangeError(`PageChannel: capacity must be a positive integer, got ${capacity}`);
  }

  /** True once the consumer stopped; producers should stop too. */
  get cancelled(): boolean {
    return this.isCancelled;
  }

  /** Buffers `item`, waiting for room; false when the consumer has stopped (item dropped). */
  async put(item: T): Promise<boolean> {
    while (this.items.length >= this.capacity && !this.isCancelled) await new Promise<void>((resolve) => this.waitingPutters.push(resolve));
    if (this.isCancelled) return false;
    this.items.push(item);
    this.wakeTaker();
    return true;
  }

  /** The next item; `undefined` after `end()` once drained; rejects after `fail()`. */
  async take(): Promise<T | undefined> {
    for (;;) {
      if (this.failure !== undefined) throw this.failure.error;
      if (this.items.length > 0) {
        const item = this.items.shift() as T;
        this.waitingPutters.shift()?.();
        return item;
      }
      if (this.ended || this.isCancelled) return undefined;
      await new Promise<void>((resolve) => (this.waitingTaker = resolve));
    }
  }

  /** No more items will come. */
  end(): void {
    this.ended = true;
    this.wakeTaker();
  }

  /** A producer failed: the consumer gets `error` on its next `take`. */
  fail(error: unknown): void {
    this.failure ??= { error };
    this.isCancelled = true;
    this.wakeAll();
  }

  /** The consumer stopped: drop the buffer and release every waiting producer. */
  cancel(): void {
    this.isCancelled = true;
    this.items.length = 0;
    this.wakeAll();
  }

  private wakeTaker(): void {
    const taker = this.waitingTaker;
    this.waitingTaker = undefined;
    taker?.();
  }

  private wakeAll(): void {
    for (const putter of this.waitingPutters.splice(0)) putter();
    this.wakeTaker();
  }
}
