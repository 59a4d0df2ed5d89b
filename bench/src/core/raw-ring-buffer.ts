/**
 * A power-of-two ring buffer: the plainest FIFO queue that allocates nothing per
 * item until it grows. The raw baseline's own copy, so the ceiling does not depend
 * on Troupe's internals.
 */
export class RawRingBuffer<T> {
  private items: (T | undefined)[];
  private head = 0;
  private mask: number;
  size = 0;

  constructor(initialCapacity = 8) {
    let capacity = 2;
    while (capacity < initialCapacity) capacity *= 2;
    this.items = new Array<T | undefined>(capacity);
    this.mask = capacity - 1;
  }

  push(item: T): void {
    if (this.size > this.mask) this.grow();
    this.items[(this.head + this.size) & this.mask] = item;
    this.size++;
  }

  shift(): T {
    const item = this.items[this.head] as T;
    this.items[this.head] = undefined;
    this.head = (this.head + 1) & this.mask;
    this.size--;
    return item;
  }

  private grow(): void {
    const capacity = this.items.length;
    const next = new Array<T | undefined>(capacity * 2);
    for (let i = 0; i < this.size; i++) next[i] = this.items[(this.head + i) & this.mask];
    this.items = next;
    this.head = 0;
    this.mask = capacity * 2 - 1;
  }
}
