import type { EventEnvelope } from '@troupe/persistence';
import type { SourceProvider } from './source-provider.js';

/**
 * Any `AsyncIterable` of envelopes with offsets as a projection source: a Kafka event
 * topic partition (map its records to envelopes with `offset: Number(record.offset)`),
 * a file, another service's feed. `open` gets the stored offset so the stream can seek;
 * a stream that cannot seek may start from the beginning, because the runtime drops
 * envelopes at or below the stored offset.
 *
 * @example
 * const source = IterableSource.create('orders-partition-0', (after, signal) => readPartition(0, after, signal));
 */
export class IterableSource<E> implements SourceProvider<E> {
  private constructor(
    readonly key: string,
    private readonly factory: (afterOffset: number, signal: AbortSignal) => AsyncIterable<EventEnvelope<E>>,
  ) {}

  /** A source named `key` whose every (re)start calls `factory`. @throws TypeError naming a bad argument */
  static create<E>(key: string, factory: (afterOffset: number, signal: AbortSignal) => AsyncIterable<EventEnvelope<E>>): IterableSource<E> {
    if (typeof key !== 'string' || key === '') throw new TypeError('IterableSource: key must be a non-empty string');
    if (typeof factory !== 'function') throw new TypeError('IterableSource: factory must be a function (afterOffset, signal) => AsyncIterable');
    return new IterableSource(key, factory);
  }

  open(afterOffset: number, signal: AbortSignal): AsyncIterable<EventEnvelope<E>> {
    return this.factory(afterOffset, signal);
  }
}
