import type { EventEnvelope } from '@troupe/persistence';
import { DEFAULT_NUMBER_OF_SLICES, type SliceRange, checkSliceRange, sliceOf } from './slices.js';
import type { SourceProvider } from './source-provider.js';

/**
 * The envelopes of `source` whose persistence id falls in a slice range, so N projection
 * instances over the same source (each with `sliceRanges(N)[i]`) split the ids between
 * them and together see every event once. Each instance stores its own offset (the key
 * names the range). The source is still read in full by each instance; a journal that
 * can query by slice would do better, and can be plugged in as a `SourceProvider`.
 *
 * @example
 * const ranges = sliceRanges(4);
 * const source = SlicedSource.create(EventsByTagSource.create(readJournal, 'orders'), ranges[instance]);
 */
export class SlicedSource<E> implements SourceProvider<E> {
  readonly key: string;

  private constructor(
    private readonly source: SourceProvider<E>,
    /** The slices this source keeps. */
    readonly range: SliceRange,
    /** How many slices the id space is split into. */
    readonly numberOfSlices: number,
  ) {
    this.key = `${source.key}|slices:${range.min}-${range.max}/${numberOfSlices}`;
  }

  /** Keeps the envelopes of `source` in `range`. @throws RangeError naming a bad field of `range` */
  static create<E>(source: SourceProvider<E>, range: SliceRange, numberOfSlices: number = DEFAULT_NUMBER_OF_SLICES): SlicedSource<E> {
    if (source === null || typeof source !== 'object' || typeof source.open !== 'function') throw new TypeError('SlicedSource: source must be a SourceProvider');
    checkSliceRange('SlicedSource', range, numberOfSlices);
    return new SlicedSource(source, { min: range.min, max: range.max }, numberOfSlices);
  }

  /** Whether this source keeps events of `persistenceId`. */
  owns(persistenceId: string): boolean {
    const slice = sliceOf(persistenceId, this.numberOfSlices);
    return slice >= this.range.min && slice <= this.range.max;
  }

  /** The whole source's highest offset: an upper bound for these slices, which share its offsets. */
  async highestOffset(): Promise<number | undefined> {
    return await this.source.highestOffset?.();
  }

  open(afterOffset: number, signal: AbortSignal): AsyncIterable<EventEnvelope<E>> {
    const source = this.source;
    const owns = (persistenceId: string): boolean => this.owns(persistenceId);
    return {
      async *[Symbol.asyncIterator](): AsyncGenerator<EventEnvelope<E>> {
        for await (const envelope of source.open(afterOffset, signal)) {
          if (owns(envelope.persistenceId)) yield envelope;
        }
      },
    };
  }
}
