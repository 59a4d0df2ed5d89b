import { type Journal, type JournalCapabilities, type OrderedPersistenceId, type OrderedRepr, type ReplayRange, checkReplayRange } from './journal.js';
import { JournalListeners } from './journal-listeners.js';
import type { AtomicWrite, PersistentRepr } from './persistent-repr.js';
import { PayloadTooLargeError, SequenceNumberTakenError, WriterFencedError } from './errors.js';
import { checkPositiveInteger } from './internal/check-positive-integer.js';

/** Options of `InMemoryJournal`. */
export interface InMemoryJournalOptions {
  /** Writes with an event payload above this size are rejected. @default 16 MiB */
  readonly maxPayloadBytes?: number;
  /** Events per page of a replay. @default 4096 */
  readonly replayPageSize?: number;
}

interface Stream {
  /** Stored events, ascending; events up to `deletedTo` are removed from the front. */
  events: PersistentRepr[];
  highest: number;
  deletedTo: number;
}

/**
 * A journal in process memory: fast and not durable. For tests, demos and as the
 * default when nothing is configured. Supports every query.
 */
export class InMemoryJournal implements Journal {
  readonly capabilities: JournalCapabilities = { persistenceIdsQuery: true, eventsByTagQuery: true, changeNotifications: true, highestOffsetOfTagQuery: true };
  private readonly streams = new Map<string, Stream>();
  private readonly ids: OrderedPersistenceId[] = [];
  private readonly tagged = new Map<string, OrderedRepr[]>();
  /** The writer uuid each claimed id accepts; ids never claimed accept any. */
  private readonly writers = new Map<string, string>();
  private readonly listeners = new JournalListeners();
  private offset = 0;
  private readonly maxPayloadBytes: number;
  private readonly pageSize: number;

  constructor(options: InMemoryJournalOptions = {}) {
    this.maxPayloadBytes = checkPositiveInteger('InMemoryJournal', 'maxPayloadBytes', options.maxPayloadBytes ?? 16 * 1024 * 1024);
    this.pageSize = checkPositiveInteger('InMemoryJournal', 'replayPageSize', options.replayPageSize ?? 4096);
  }

  writeMessages(writes: readonly AtomicWrite[]): Promise<readonly (Error | undefined)[]> {
    const results: (Error | undefined)[] = new Array(writes.length);
    for (let i = 0; i < writes.length; i++) {
      const write = writes[i] as AtomicWrite;
      const rejection = this.check(write);
      results[i] = rejection;
      if (rejection === undefined) this.store(write);
    }
    this.listeners.notify();
    return Promise.resolve(results);
  }

  async *replayMessages(persistenceId: string, range: ReplayRange): AsyncIterable<readonly PersistentRepr[]> {
    checkReplayRange(range);
    let from = range.fromSequenceNr;
    let remaining = range.max;
    while (remaining > 0 && from <= range.toSequenceNr) {
      const stream = this.streams.get(persistenceId);
      if (stream === undefined) return;
      const events = stream.events;
      const start = lowerBound(events, from);
      if (start >= events.length) return;
      const limit = Math.min(this.pageSize, remaining);
      let end = start;
      while (end < events.length && end - start < limit && (events[end] as PersistentRepr).sequenceNr <= range.toSequenceNr) end++;
      if (end === start) return;
      const page = events.slice(start, end);
      remaining -= page.length;
      from = (page[page.length - 1] as PersistentRepr).sequenceNr + 1;
      yield page;
    }
  }

  claimWriter(persistenceId: string, writerUuid: string): Promise<void> {
    this.writers.set(persistenceId, writerUuid);
    return Promise.resolve();
  }

  readHighestSequenceNr(persistenceId: string, _fromSequenceNr = 1): Promise<number> {
    return Promise.resolve(this.streams.get(persistenceId)?.highest ?? 0);
  }

  deleteMessagesTo(persistenceId: string, toSequenceNr: number): Promise<void> {
    const stream = this.streams.get(persistenceId);
    if (stream !== undefined && toSequenceNr > stream.deletedTo) {
      stream.deletedTo = Math.min(toSequenceNr, stream.highest);
      stream.events.splice(0, lowerBound(stream.events, stream.deletedTo + 1));
      for (const [tag, list] of this.tagged) {
        const kept = list.filter((e) => e.repr.persistenceId !== persistenceId || e.repr.sequenceNr > stream.deletedTo);
        if (kept.length !== list.length) this.tagged.set(tag, kept);
      }
    }
    return Promise.resolve();
  }

  currentPersistenceIds(afterOffset: number, limit: number): Promise<readonly OrderedPersistenceId[]> {
    const ids = this.ids;
    // Offsets are 1, 2, 3, … so the offset is the index + 1.
    return Promise.resolve(ids.slice(Math.max(0, afterOffset), Math.max(0, afterOffset) + limit));
  }

  currentHighestOffsetOfTag(tag: string): Promise<number> {
    return Promise.resolve(this.tagged.get(tag)?.at(-1)?.offset ?? 0);
  }

  currentEventsByTag(tag: string, afterOffset: number, limit: number): Promise<readonly OrderedRepr[]> {
    const list = this.tagged.get(tag);
    if (list === undefined) return Promise.resolve([]);
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((list[mid] as OrderedRepr).offset <= afterOffset) lo = mid + 1;
      else hi = mid;
    }
    return Promise.resolve(list.slice(lo, lo + limit));
  }

  subscribe(listener: () => void): () => void {
    return this.listeners.add(listener);
  }

  close(): Promise<void> {
    this.listeners.clear();
    return Promise.resolve();
  }

  private check(write: AtomicWrite): Error | undefined {
    const first = write.events[0];
    if (first === undefined) return undefined;
    // The single-writer contract: a stale incarnation is refused before it collides...
    const owner = this.writers.get(write.persistenceId);
    if (owner !== undefined) {
      for (const event of write.events) if (event.writerUuid !== owner) return new WriterFencedError(write.persistenceId, event.writerUuid);
    }
    // ...and two live writers never store a number twice.
    const highest = this.streams.get(write.persistenceId)?.highest ?? 0;
    if (first.sequenceNr <= highest) return new SequenceNumberTakenError(write.persistenceId, first.sequenceNr, highest);
    for (const event of write.events) {
      if (event.payload.byteLength > this.maxPayloadBytes) return new PayloadTooLargeError(event.payload.byteLength, this.maxPayloadBytes);
    }
    return undefined;
  }

  private store(write: AtomicWrite): void {
    let stream = this.streams.get(write.persistenceId);
    if (stream === undefined) {
      stream = { events: [], highest: 0, deletedTo: 0 };
      this.streams.set(write.persistenceId, stream);
      this.ids.push({ offset: this.ids.length + 1, persistenceId: write.persistenceId });
    }
    const events = write.events;
    for (let i = 0; i < events.length; i++) {
      const event = events[i] as PersistentRepr;
      stream.events.push(event);
      if (event.sequenceNr > stream.highest) stream.highest = event.sequenceNr;
      const offset = ++this.offset;
      const tags = event.tags;
      for (let t = 0; t < tags.length; t++) {
        const tag = tags[t] as string;
        let list = this.tagged.get(tag);
        if (list === undefined) this.tagged.set(tag, (list = []));
        list.push({ offset, repr: event });
      }
    }
  }
}

/** Index of the first event with `sequenceNr >= seq`. */
function lowerBound(events: readonly PersistentRepr[], seq: number): number {
  let lo = 0;
  let hi = events.length;
  // Fast path: contiguous numbers starting at the first event.
  if (hi > 0) {
    const guess = seq - (events[0] as PersistentRepr).sequenceNr;
    if (guess >= 0 && guess < hi && (events[guess] as PersistentRepr).sequenceNr === seq) return guess;
  }
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((events[mid] as PersistentRepr).sequenceNr < seq) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
