import { describe, expect, it } from 'vitest';
import type { ReadJournal } from '@troupe/persistence';
import { EventsByTagSource, InMemoryOffsetStore, IterableSource, Projection, ProjectionDefaults } from '../src/index.js';

const source = IterableSource.create('s', async function* () {});
const base = { name: 'p', source, offsetStore: new InMemoryOffsetStore(), handler: () => undefined };

describe('Projection options', () => {
  it('keeps every default in ProjectionDefaults, matching Akka Projections', () => {
    expect(ProjectionDefaults).toEqual({
      saveOffsetAfterEnvelopes: 100,
      saveOffsetAfterMs: 500,
      groupAfterEnvelopes: 20,
      groupAfterMs: 500,
      minBackoffMs: 3_000,
      maxBackoffMs: 30_000,
      randomFactor: 0.2,
      maxRestarts: Infinity,
      onUndecodable: 'stop',
    });
  });

  it('rejects bad options with a message naming the field', () => {
    expect(() => Projection.atLeastOnce({ ...base, name: '' })).toThrow(new TypeError('Projection.atLeastOnce: name must be a non-empty string'));
    expect(() => Projection.atLeastOnce({ ...base, saveOffsetAfterEnvelopes: 0 })).toThrow(new RangeError('Projection.atLeastOnce: saveOffsetAfterEnvelopes must be a positive integer, got 0'));
    expect(() => Projection.atLeastOnce({ ...base, saveOffsetAfterMs: -1 })).toThrow(new RangeError('Projection.atLeastOnce: saveOffsetAfterMs must be a finite number of ms >= 0, got -1'));
    expect(() => Projection.grouped({ ...base, groupAfterEnvelopes: 2.5 })).toThrow(new RangeError('Projection.grouped: groupAfterEnvelopes must be a positive integer, got 2.5'));
    expect(() => Projection.grouped({ ...base, onUndecodable: 'ignore' as 'skip' })).toThrow(new TypeError("Projection.grouped: onUndecodable must be 'stop' or 'skip', got \"ignore\""));
    expect(() => Projection.atLeastOnce({ ...base, restartBackoff: { minBackoffMs: 10, maxBackoffMs: 5 } })).toThrow(
      new RangeError('Projection.atLeastOnce: restartBackoff.maxBackoffMs must be a finite number >= minBackoffMs (10), got 5'),
    );
    expect(() => Projection.atLeastOnce({ ...base, source: {} as typeof source })).toThrow(
      new TypeError('Projection.atLeastOnce: source must be a SourceProvider (EventsByTagSource, IterableSource, SlicedSource)'),
    );
    expect(() => Projection.exactlyOnce({ ...base, offsetStore: new InMemoryOffsetStore() as never })).toThrow(
      new TypeError('Projection.exactlyOnce: offsetStore must implement readOffset, saveOffset, clearOffset, withTransaction, saveOffsetIn (a TransactionalOffsetStore such as SqliteOffsetStore)'),
    );
    expect(() => Projection.atLeastOnce({ ...base, handler: undefined as never })).toThrow(new TypeError('Projection.atLeastOnce: handler must be a function'));
  });

  it('rejects bad source arguments naming the field', () => {
    expect(() => IterableSource.create('', async function* () {})).toThrow(new TypeError('IterableSource: key must be a non-empty string'));
    expect(() => EventsByTagSource.create({} as ReadJournal, 'bank')).toThrow(new TypeError('EventsByTagSource: readJournal must be a ReadJournal (PersistenceQuery.readJournalFor)'));
    expect(() => EventsByTagSource.create({ eventsByTag: () => [] } as unknown as ReadJournal, '')).toThrow(new TypeError('EventsByTagSource: tag must be a non-empty string'));
  });
});
