/**
 * Messages a region holds until they can be delivered, queued per key (a shard, an
 * entity, or the region itself) in arrival order, with one bound over all keys.
 */
export class ShardingBuffer<T> {
  private readonly queues = new Map<string, T[]>();
  private count = 0;

  /** @throws RangeError unless capacity is a positive integer */
  constructor(
    /** Most messages held over all keys. */
    readonly capacity: number,
  ) {
    if (!(Number.isInteger(capacity) && capacity > 0)) throw new RangeError(`ShardingBuffer: capacity must be a positive integer, got ${capacity}`);
  }

  /** Messages held over all keys. */
  get size(): number {
    return this.count;
  }

  /** Messages held under `key`. */
  sizeOf(key: string): number {
    return this.queues.get(key)?.length ?? 0;
  }

  /** Appends `item` under `key`; false (and nothing held) when the buffer is full. */
  push(key: string, item: T): boolean {
    if (this.count >= this.capacity) return false;
    let queue = this.queues.get(key);
    if (queue === undefined) {
      queue = [];
      this.queues.set(key, queue);
    }
    queue.push(item);
    this.count++;
    return true;
  }

  /** Removes and returns everything under `key`, oldest first. */
  take(key: string): T[] {
    const queue = this.queues.get(key);
    if (queue === undefined) return [];
    this.queues.delete(key);
    this.count -= queue.length;
    return queue;
  }

  /** The keys that hold messages. */
  keys(): string[] {
    return [...this.queues.keys()];
  }
}
