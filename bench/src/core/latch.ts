/**
 * Counts events up to a target and resolves `done` when it is reached: how a
 * benchmark learns, without polling, that its last message was handled.
 */
export class Latch {
  /** Resolves once `count()` has been called `target` times. */
  readonly done: Promise<void>;
  private remaining: number;
  private readonly release: () => void;

  constructor(target: number) {
    if (!(Number.isInteger(target) && target >= 0)) throw new RangeError(`Latch: target must be an integer >= 0, got ${target}`);
    const { promise, resolve } = Promise.withResolvers<void>();
    this.done = promise;
    this.release = resolve;
    this.remaining = target;
    if (target === 0) resolve();
  }

  count(): void {
    if (--this.remaining === 0) this.release();
  }
}
