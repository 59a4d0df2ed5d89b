/**
 * A growable double-ended queue on a power-of-two array. Pushing and shifting
 * allocate nothing until the buffer has to grow, which is why mailboxes and the run
 * queue use it instead of arrays (Array#shift is O(n)).
 */
export class RingBuffer<T> {
  private items: (T | undefined)[];
  private head = 0;
  private mask: number;
  /** Number of items held. */
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

  /** Puts an item at the front, to be shifted first. */
  unshift(item: T): void {
    if (this.size > this.mask) this.grow();
    this.head = (this.head - 1) & this.mask;
    this.items[this.head] = item;
    this.size++;
  }

  /** Removes and returns the front item. Callers check `size` first. */
  shift(): T {
    const item = this.items[this.head] as T;
    this.items[this.head] = undefined;
    this.head = (this.head + 1) & this.mask;
    this.size--;
    return item;
  }

  /** Removes and returns the back item. Callers check `size` first. */
  pop(): T {
    const index = (this.head + this.size - 1) & this.mask;
    const item = this.items[index] as T;
    this.items[index] = undefined;
    this.size--;
    return item;
  }

  /** The front item without removing it. Callers check `size` first. */
  peek(): T {
    return this.items[this.head] as T;
  }

  /** Removes every item, handing each to `each` in order. */
  drain(each: (item: T) => void): void {
    while (this.size > 0) each(this.shift());
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
