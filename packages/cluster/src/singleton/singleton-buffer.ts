/**
 * Messages waiting for the singleton (no instance yet, a handover in progress, or no
 * oldest member known), oldest first, with a fixed bound: a message that does not fit is
 * refused and the caller dead-letters it.
 */
export class SingletonBuffer<T> {
  private items: T[] = [];

  /** @throws RangeError unless capacity is a positive integer */
  constructor(
    /** Most messages held. */
    readonly capacity: number,
  ) {
    if (!(Number.isInteger(capacity) && capacity > 0)) throw new RangeError(`SingletonBuffer: capacity must be a positive integer, got ${capacity}`);
  }

  /** Messages held. */
  get size(): number {
    return this.items.length;
  }

  /** Appends `item`; false (and nothing held) when the buffer is full. */
  push(item: T): boolean {
    if (this.items.length >= this.capacity) return false;
    this.items.push(item);
    return true;
  }

  /** Removes and returns everything held, oldest first. */
  takeAll(): T[] {
    const items = this.items;
    this.items = [];
    return items;
  }
}
