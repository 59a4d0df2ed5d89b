import type nact from 'nact';

/**
 * A fast in-memory persistence engine for nact, written for this benchmark so the
 * comparison is fair: nact ships only a test mock (`test/mock-persistence-engine.js`)
 * that copies the whole array on every `persist` (`[...prev, event]`), which is
 * quadratic (about 4.2k events/s at 30k events, measured when this suite was written). This one is a Map of arrays:
 * `persist` is an O(1) append and `events` a binary search plus one slice.
 *
 * It stores nact's `PersistedEvent` objects by reference and never serialises them,
 * which favours nact: Troupe's journals store JSON bytes (the SPI hands them serialised
 * events), so Troupe pays `JSON.stringify` on every write and `JSON.parse` on replay.
 */
export class MapPersistenceEngine implements nact.PersistenceEngine {
  private readonly streams = new Map<string, nact.PersistedEvent[]>();
  private readonly snapshots = new Map<string, nact.PersistedSnapshot>();

  /** Events of `persistenceKey` after sequence number `offset` (nact passes the snapshot's number), at most `limit`. */
  events(persistenceKey: string, offset = 0, limit?: number, tags?: string[]): nact.EventStream {
    const stream = this.streams.get(persistenceKey) ?? [];
    const start = firstAfter(stream, offset);
    const end = limit === undefined ? stream.length : Math.min(stream.length, start + limit);
    let range = stream.slice(start, end);
    if (tags !== undefined && tags.length > 0) range = range.filter((event) => tags.every((tag) => event.tags.includes(tag)));
    // nact only calls `.reduce` on the result; its own engines return plain arrays too.
    return range as unknown as nact.EventStream;
  }

  latestSnapshot(persistenceKey: string): Promise<nact.PersistedSnapshot> {
    return Promise.resolve(this.snapshots.get(persistenceKey) as nact.PersistedSnapshot);
  }

  takeSnapshot(snapshot: nact.PersistedSnapshot): Promise<void> {
    const latest = this.snapshots.get(snapshot.key);
    if (latest === undefined || latest.sequenceNumber <= snapshot.sequenceNumber) this.snapshots.set(snapshot.key, snapshot);
    return Promise.resolve();
  }

  persist(event: nact.PersistedEvent): Promise<void> {
    let stream = this.streams.get(event.key);
    if (stream === undefined) this.streams.set(event.key, (stream = []));
    stream.push(event);
    return Promise.resolve();
  }

  /** How many events `persistenceKey` holds (to check a run stored what it claims). */
  size(persistenceKey: string): number {
    return this.streams.get(persistenceKey)?.length ?? 0;
  }
}

/** Index of the first event whose sequence number is above `sequenceNumber` (events are stored ascending). */
function firstAfter(stream: readonly nact.PersistedEvent[], sequenceNumber: number): number {
  let lo = 0;
  let hi = stream.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((stream[mid] as nact.PersistedEvent).sequenceNumber <= sequenceNumber) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
