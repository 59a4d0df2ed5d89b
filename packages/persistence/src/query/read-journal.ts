import type { SerializationRegistry } from '@troupe/core';
import { QueryNotSupportedError, UndeserializableEventError } from '../errors.js';
import type { EventAdapter } from '../event-adapter.js';
import type { Journal } from '../journal.js';
import type { PersistentRepr } from '../persistent-repr.js';
import { ChangeSignal } from './change-signal.js';
import type { EventEnvelope } from './event-envelope.js';

/**
 * What an event query does with a stored event it cannot deserialise (unknown serializer
 * id, bytes the serializer refuses, an event adapter that throws): `'fail'` ends the
 * stream by throwing `UndeserializableEventError`; `'flag'` yields an envelope whose
 * `undeserializable` holds that error (and `event` is `undefined`) and goes on.
 */
export type UndeserializablePolicy = 'fail' | 'flag';

/** Options of every event query. */
export interface QueryOptions {
  /** Overrides the `ReadJournal`'s `onUndeserializable` for this query. */
  readonly onUndeserializable?: UndeserializablePolicy;
}

/** Options of live queries. */
export interface LiveQueryOptions extends QueryOptions {
  /** Ends the stream (the iterator returns) when aborted, also when a read in flight then fails (e.g. the journal closing right behind the abort). */
  readonly signal?: AbortSignal;
}

/** Options of a `ReadJournal`. */
export interface ReadJournalOptions<E = unknown> {
  /** How often live queries look for writes the journal cannot announce (another process). @default 1000 */
  readonly refreshIntervalMs?: number;
  /** Rows fetched per page. @default 512 */
  readonly pageSize?: number;
  /** Upcasts stored events, as the writing actors do. @default none */
  readonly eventAdapter?: EventAdapter<E>;
  /** What event queries do with a stored event they cannot deserialise; see `UndeserializablePolicy`. @default 'fail' */
  readonly onUndeserializable?: UndeserializablePolicy;
}

/**
 * Persistence queries over one journal, as `AsyncIterable`s. `current…` streams end
 * at the events stored when they reach them; the live ones keep following new writes
 * until the consumer breaks out of the loop or `signal` aborts. Obtain one through
 * `PersistenceQuery.readJournalFor(system, journalId)`.
 *
 * @example
 * const journal = await PersistenceQuery.readJournalFor(system);
 * for await (const envelope of journal.eventsByTag('orders', lastOffset, { signal })) {
 *   await project(envelope.event);
 *   lastOffset = envelope.offset;
 * }
 */
export class ReadJournal<E = unknown> {
  private readonly refreshIntervalMs: number;
  private readonly pageSize: number;
  private readonly adapter: EventAdapter<E> | undefined;
  private readonly onUndeserializable: UndeserializablePolicy;

  constructor(
    /** The journal id these queries read. */
    readonly journalId: string,
    private readonly journal: Journal,
    private readonly serialization: SerializationRegistry,
    options: ReadJournalOptions<E> = {},
  ) {
    this.refreshIntervalMs = options.refreshIntervalMs ?? 1000;
    this.pageSize = options.pageSize ?? 512;
    this.adapter = options.eventAdapter;
    this.onUndeserializable = checkPolicy(options.onUndeserializable ?? 'fail');
    if (!(this.refreshIntervalMs > 0)) throw new RangeError(`ReadJournal: refreshIntervalMs must be > 0, got ${this.refreshIntervalMs}`);
    if (!(Number.isInteger(this.pageSize) && this.pageSize > 0)) throw new RangeError(`ReadJournal: pageSize must be a positive integer, got ${this.pageSize}`);
  }

  /**
   * Events of `persistenceId` stored now, from `fromSequenceNr` to `toSequenceNr`.
   * @throws UndeserializableEventError (from the iterator) at an event it cannot deserialise, unless `onUndeserializable` is `'flag'`
   */
  currentEventsByPersistenceId(persistenceId: string, fromSequenceNr = 1, toSequenceNr = Infinity, options: QueryOptions = {}): AsyncIterable<EventEnvelope<E>> {
    return this.byPersistenceId(persistenceId, fromSequenceNr, toSequenceNr, undefined, this.policyOf(options));
  }

  /**
   * Events of `persistenceId`, then every new one as it is stored (until `toSequenceNr`).
   * @throws UndeserializableEventError (from the iterator) at an event it cannot deserialise, unless `onUndeserializable` is `'flag'`
   */
  eventsByPersistenceId(persistenceId: string, fromSequenceNr = 1, toSequenceNr = Infinity, options: LiveQueryOptions = {}): AsyncIterable<EventEnvelope<E>> {
    return this.byPersistenceId(persistenceId, fromSequenceNr, toSequenceNr, options, this.policyOf(options));
  }

  /** Every persistence id stored now, each once, in order of first write. */
  currentPersistenceIds(): AsyncIterable<string> {
    return this.persistenceIdStream(undefined);
  }

  /** Every persistence id, then each new one as its first event is stored. */
  persistenceIds(options: LiveQueryOptions = {}): AsyncIterable<string> {
    return this.persistenceIdStream(options);
  }

  /**
   * Events tagged `tag` stored now with an offset above `offset` (0: from the start).
   * @throws UndeserializableEventError (from the iterator) at an event it cannot deserialise, unless `onUndeserializable` is `'flag'`
   */
  currentEventsByTag(tag: string, offset = 0, options: QueryOptions = {}): AsyncIterable<EventEnvelope<E>> {
    return this.byTag(tag, offset, undefined, this.policyOf(options));
  }

  /**
   * Events tagged `tag` after `offset`, then every new one as it is stored. Resume with the last envelope's offset.
   * @throws UndeserializableEventError (from the iterator) at an event it cannot deserialise, unless `onUndeserializable` is `'flag'`
   */
  eventsByTag(tag: string, offset = 0, options: LiveQueryOptions = {}): AsyncIterable<EventEnvelope<E>> {
    return this.byTag(tag, offset, options, this.policyOf(options));
  }

  /**
   * The offset of the last event tagged `tag` stored now (0 when none): how far
   * `eventsByTag(tag)` reaches at this moment, so a consumer's lag is this minus its
   * offset (in the journal's offset units, which need not count events one by one).
   * Needs the journal's `highestOffsetOfTagQuery` capability.
   * @throws QueryNotSupportedError (rejected) when the journal does not declare it
   */
  async currentHighestOffsetOfTag(tag: string): Promise<number> {
    const query = this.journal.currentHighestOffsetOfTag?.bind(this.journal);
    if (query === undefined || this.journal.capabilities.highestOffsetOfTagQuery !== true) throw new QueryNotSupportedError(this.journalId, 'highestOffsetOfTag');
    return query(tag);
  }

  /** Whether `currentHighestOffsetOfTag` is available on this journal. */
  get supportsHighestOffsetOfTag(): boolean {
    return this.journal.currentHighestOffsetOfTag !== undefined && this.journal.capabilities.highestOffsetOfTagQuery === true;
  }

  private policyOf(options: QueryOptions): UndeserializablePolicy {
    return options.onUndeserializable === undefined ? this.onUndeserializable : checkPolicy(options.onUndeserializable);
  }

  private async *byPersistenceId(persistenceId: string, from: number, to: number, live: LiveQueryOptions | undefined, policy: UndeserializablePolicy): AsyncGenerator<EventEnvelope<E>> {
    const changes = live === undefined ? undefined : new ChangeSignal(this.journal, this.refreshIntervalMs, live.signal);
    try {
      let next = from;
      for (;;) {
        changes?.reset();
        try {
          for await (const page of this.journal.replayMessages(persistenceId, { fromSequenceNr: next, toSequenceNr: to, max: Infinity })) {
            for (const repr of page) {
              if (isAborted(live)) return;
              yield* this.envelopes(repr, repr.sequenceNr, policy);
              next = repr.sequenceNr + 1;
            }
          }
        } catch (error) {
          // Failed after the consumer aborted (typically the journal closing right behind it, as a system terminates): end quietly, as the abort asked.
          if (isAborted(live)) return;
          throw error;
        }
        if (changes === undefined || next > to || isAborted(live)) return;
        await changes.wait();
        if (isAborted(live)) return;
      }
    } finally {
      changes?.close();
    }
  }

  private async *persistenceIdStream(live: LiveQueryOptions | undefined): AsyncGenerator<string> {
    const query = this.journal.currentPersistenceIds?.bind(this.journal);
    if (query === undefined || !this.journal.capabilities.persistenceIdsQuery) throw new QueryNotSupportedError(this.journalId, 'persistenceIds');
    yield* this.byOffset(
      0,
      live,
      (offset) => query(offset, this.pageSize),
      (entry) => [entry.persistenceId],
    );
  }

  private async *byTag(tag: string, fromOffset: number, live: LiveQueryOptions | undefined, policy: UndeserializablePolicy): AsyncGenerator<EventEnvelope<E>> {
    const query = this.journal.currentEventsByTag?.bind(this.journal);
    if (query === undefined || !this.journal.capabilities.eventsByTagQuery) throw new QueryNotSupportedError(this.journalId, 'eventsByTag');
    yield* this.byOffset(
      fromOffset,
      live,
      (offset) => query(tag, offset, this.pageSize),
      (entry) => this.envelopes(entry.repr, entry.offset, policy),
    );
  }

  /**
   * Pages through a journal-wide offset order after `fromOffset`; when live, waits for
   * the journal's next change and continues from the last offset seen.
   */
  private async *byOffset<T extends { readonly offset: number }, R>(
    fromOffset: number,
    live: LiveQueryOptions | undefined,
    page: (afterOffset: number) => Promise<readonly T[]>,
    emit: (entry: T) => Iterable<R>,
  ): AsyncGenerator<R> {
    const changes = live === undefined ? undefined : new ChangeSignal(this.journal, this.refreshIntervalMs, live.signal);
    try {
      let offset = fromOffset;
      for (;;) {
        changes?.reset();
        for (;;) {
          let entries: readonly T[];
          try {
            entries = await page(offset);
          } catch (error) {
            // Failed after the consumer aborted (typically the journal closing right behind it, as a system terminates): end quietly, as the abort asked.
            if (isAborted(live)) return;
            throw error;
          }
          for (const entry of entries) {
            if (isAborted(live)) return;
            offset = entry.offset;
            yield* emit(entry);
          }
          if (entries.length < this.pageSize) break;
        }
        if (changes === undefined || isAborted(live)) return;
        await changes.wait();
        if (isAborted(live)) return;
      }
    } finally {
      changes?.close();
    }
  }

  private *envelopes(repr: PersistentRepr, offset: number, policy: UndeserializablePolicy): Generator<EventEnvelope<E>> {
    let events: readonly E[];
    try {
      const value = this.serialization.deserialize({ serializerId: repr.serializerId, manifest: repr.manifest, bytes: repr.payload });
      events = this.adapter === undefined ? [value as E] : this.adapter.fromJournal(value, repr.eventManifest);
    } catch (cause) {
      const error = new UndeserializableEventError(this.journalId, repr.persistenceId, repr.sequenceNr, offset, repr.serializerId, repr.manifest, repr.eventManifest, cause);
      if (policy === 'fail') throw error;
      // The envelope promises `E` only when `undeserializable` is unset; its doc says so.
      yield { offset, persistenceId: repr.persistenceId, sequenceNr: repr.sequenceNr, event: undefined as E, timestamp: repr.timestamp, tags: repr.tags, undeserializable: error };
      return;
    }
    for (const event of events) {
      yield { offset, persistenceId: repr.persistenceId, sequenceNr: repr.sequenceNr, event, timestamp: repr.timestamp, tags: repr.tags };
    }
  }
}

function checkPolicy(policy: UndeserializablePolicy): UndeserializablePolicy {
  if (policy !== 'fail' && policy !== 'flag') throw new TypeError(`ReadJournal: onUndeserializable must be 'fail' or 'flag', got ${JSON.stringify(policy)}`);
  return policy;
}

/** Read through a function so TypeScript does not narrow `aborted` across awaits. */
function isAborted(live: LiveQueryOptions | undefined): boolean {
  return live?.signal?.aborted === true;
}
