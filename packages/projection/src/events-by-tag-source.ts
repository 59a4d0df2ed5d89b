import type { EventEnvelope, ReadJournal } from '@troupe/persistence';
import type { SourceProvider } from './source-provider.js';

/**
 * The live `eventsByTag(tag)` query of a journal as a projection source: every event
 * carrying `tag`, then each new one as it is stored. Offsets are the journal-wide
 * order, so resuming from a stored offset misses nothing the journal has acknowledged
 * (the `currentEventsByTag` contract of the journal SPI). A stored event the journal
 * cannot deserialise reaches the projection as bad input (its `onUndecodable` policy).
 *
 * @example
 * const source = EventsByTagSource.create(await PersistenceQuery.readJournalFor(system), 'orders');
 */
export class EventsByTagSource<E> implements SourceProvider<E> {
  readonly key: string;

  private constructor(
    private readonly readJournal: ReadJournal<E>,
    /** The tag followed. */
    readonly tag: string,
  ) {
    this.key = `tag:${tag}`;
  }

  /** Follows `tag` on `readJournal`. @throws TypeError when `tag` is empty */
  static create<E>(readJournal: ReadJournal<E>, tag: string): EventsByTagSource<E> {
    if (typeof tag !== 'string' || tag === '') throw new TypeError('EventsByTagSource: tag must be a non-empty string');
    if (readJournal === null || typeof readJournal !== 'object' || typeof readJournal.eventsByTag !== 'function') {
      throw new TypeError('EventsByTagSource: readJournal must be a ReadJournal (PersistenceQuery.readJournalFor)');
    }
    return new EventsByTagSource(readJournal, tag);
  }

  /** The journal's highest offset of the tag, when it has the `highestOffsetOfTagQuery` capability. */
  async highestOffset(): Promise<number | undefined> {
    return this.readJournal.supportsHighestOffsetOfTag ? await this.readJournal.currentHighestOffsetOfTag(this.tag) : undefined;
  }

  open(afterOffset: number, signal: AbortSignal): AsyncIterable<EventEnvelope<E>> {
    // Flagged envelopes let the projection's onUndecodable policy skip a stored event the
    // journal cannot deserialise without ending the stream.
    return this.readJournal.eventsByTag(this.tag, afterOffset, { signal, onUndeserializable: 'flag' });
  }
}
