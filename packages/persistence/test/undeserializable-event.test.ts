import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SerializationRegistry } from '@troupe/core';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  type EventAdapter,
  type EventEnvelope,
  InMemoryJournal,
  type Journal,
  JsonPayloadSerializer,
  type PersistentRepr,
  ReadJournal,
  SqliteJournal,
  UndeserializableEventError,
} from '../src/index.js';
import { collect } from './fixtures/collect.js';

const dir = mkdtempSync(join(tmpdir(), 'troupe-undeserializable-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const journals: Record<string, () => Journal> = {
  InMemoryJournal: () => new InMemoryJournal(),
  SqliteJournal: () => new SqliteJournal({ path: join(dir, `u-${Math.random().toString(36).slice(2)}.db`) }),
};

type Event = { readonly n: number };

function repr(persistenceId: string, sequenceNr: number, payload: string, serializerId = 'json', manifest = ''): PersistentRepr {
  return { persistenceId, sequenceNr, payload: Buffer.from(payload, 'utf8'), serializerId, manifest, eventManifest: '', tags: ['t'], timestamp: 1_000 + sequenceNr, writerUuid: 'w' };
}

/** Stores, through the SPI, pid `a`: 1 good, 2 invalid JSON bytes, 3 an unknown serializer id, 4 good. */
async function storeCorrupt(journal: Journal): Promise<void> {
  const results = await journal.writeMessages([
    { persistenceId: 'a', events: [repr('a', 1, '{"n":1}'), repr('a', 2, '{"n":'), repr('a', 3, '{"n":3}', 'protobuf', 'Order'), repr('a', 4, '{"n":4}')] },
  ]);
  expect(results).toEqual([undefined]);
}

/** Pulls a stream until it throws; returns what came before and the error. */
async function untilThrow<T>(iterable: AsyncIterable<T>): Promise<{ items: T[]; error: unknown }> {
  const items: T[] = [];
  try {
    for await (const item of iterable) items.push(item);
  } catch (error) {
    return { items, error };
  }
  return { items, error: undefined };
}

const registry = (): SerializationRegistry => new SerializationRegistry(new JsonPayloadSerializer());

for (const [name, create] of Object.entries(journals)) {
  describe(`ReadJournal over stored bytes it cannot deserialise, on ${name}`, () => {
    let journal: Journal;
    afterEach(async () => {
      await journal?.close?.();
    });

    it('fails currentEventsByTag with UndeserializableEventError naming the event, and resumes after it from its offset', async () => {
      journal = create();
      await storeCorrupt(journal);
      const queries = new ReadJournal<Event>('default', journal, registry());
      const first = await untilThrow(queries.currentEventsByTag('t'));
      expect(first.items.map((e) => e.event.n)).toEqual([1]);
      expect(first.error).toBeInstanceOf(UndeserializableEventError);
      const bad = first.error as UndeserializableEventError;
      expect(bad).toMatchObject({ code: 'ERR_UNDESERIALIZABLE_EVENT', journalId: 'default', persistenceId: 'a', sequenceNr: 2, serializerId: 'json', manifest: '', eventManifest: '' });
      expect(bad.offset).toBeGreaterThan(first.items[0]!.offset);
      expect(bad.message).toMatch(/^journal "default": cannot deserialise event a#2 \(offset \d+, serializer "json", manifest ""\): /);
      expect(bad.cause).toBeInstanceOf(Error);

      const second = await untilThrow(queries.currentEventsByTag('t', bad.offset));
      expect(second.items).toEqual([]);
      expect(second.error).toMatchObject({ code: 'ERR_UNDESERIALIZABLE_EVENT', persistenceId: 'a', sequenceNr: 3, serializerId: 'protobuf', manifest: 'Order' });
      expect((second.error as Error).message).toContain('unknown serializer id "protobuf"');

      const rest = await collect(queries.currentEventsByTag('t', (second.error as UndeserializableEventError).offset));
      expect(rest.map((e) => [e.sequenceNr, e.event.n])).toEqual([[4, 4]]);
    });

    it('fails the live eventsByTag with the same error instead of a bare one', async () => {
      journal = create();
      await storeCorrupt(journal);
      const abort = new AbortController();
      const queries = new ReadJournal<Event>('default', journal, registry(), { refreshIntervalMs: 60_000 });
      const { items, error } = await untilThrow(queries.eventsByTag('t', 0, { signal: abort.signal }));
      abort.abort();
      expect(items.map((e) => e.sequenceNr)).toEqual([1]);
      expect(error).toMatchObject({ code: 'ERR_UNDESERIALIZABLE_EVENT', persistenceId: 'a', sequenceNr: 2 });
    });

    it('fails eventsByPersistenceId, current and live, with the offset set to the sequence number', async () => {
      journal = create();
      await storeCorrupt(journal);
      const queries = new ReadJournal<Event>('default', journal, registry(), { refreshIntervalMs: 60_000 });
      const current = await untilThrow(queries.currentEventsByPersistenceId('a'));
      expect(current.items.map((e) => e.sequenceNr)).toEqual([1]);
      expect(current.error).toMatchObject({ code: 'ERR_UNDESERIALIZABLE_EVENT', persistenceId: 'a', sequenceNr: 2, offset: 2 });
      const abort = new AbortController();
      const live = await untilThrow(queries.eventsByPersistenceId('a', 3, Infinity, { signal: abort.signal }));
      abort.abort();
      expect(live.items).toEqual([]);
      expect(live.error).toMatchObject({ code: 'ERR_UNDESERIALIZABLE_EVENT', persistenceId: 'a', sequenceNr: 3, offset: 3, serializerId: 'protobuf' });
      expect((await collect(queries.currentEventsByPersistenceId('a', 4))).map((e) => e.event.n)).toEqual([4]);
    });

    it('reports an event adapter that throws the same way, with the adapter error as the cause', async () => {
      journal = create();
      await storeCorrupt(journal);
      const adapter: EventAdapter<Event> = {
        manifest: () => '',
        toJournal: (e) => e,
        fromJournal: (stored) => {
          if ((stored as Event).n === 4) throw new Error('no upcast for n=4');
          return [stored as Event];
        },
      };
      const queries = new ReadJournal<Event>('default', journal, registry(), { eventAdapter: adapter });
      const { error } = await untilThrow(queries.currentEventsByPersistenceId('a', 4));
      expect(error).toMatchObject({ code: 'ERR_UNDESERIALIZABLE_EVENT', persistenceId: 'a', sequenceNr: 4 });
      expect((error as Error).cause).toEqual(new Error('no upcast for n=4'));
    });

    it("with onUndeserializable 'flag', yields each such event as an envelope carrying the error and goes on, current and live", async () => {
      journal = create();
      await storeCorrupt(journal);
      const queries = new ReadJournal<Event>('default', journal, registry(), { refreshIntervalMs: 60_000, onUndeserializable: 'flag' });
      const summary = (e: EventEnvelope<Event>): unknown[] => [e.sequenceNr, e.event?.n, e.undeserializable?.code, e.undeserializable?.offset === e.offset];
      const expected = [
        [1, 1, undefined, false],
        [2, undefined, 'ERR_UNDESERIALIZABLE_EVENT', true],
        [3, undefined, 'ERR_UNDESERIALIZABLE_EVENT', true],
        [4, 4, undefined, false],
      ];
      expect((await collect(queries.currentEventsByTag('t'))).map(summary)).toEqual(expected);
      expect((await collect(queries.currentEventsByPersistenceId('a'))).map(summary)).toEqual(expected);
      const flagged = (await collect(queries.currentEventsByTag('t')))[1]!;
      expect(flagged).toMatchObject({ persistenceId: 'a', sequenceNr: 2, timestamp: 1_002, tags: ['t'] });

      const abort = new AbortController();
      const live: EventEnvelope<Event>[] = [];
      for await (const envelope of queries.eventsByTag('t', 0, { signal: abort.signal })) {
        live.push(envelope);
        if (live.length === 4) abort.abort();
      }
      expect(live.map(summary)).toEqual(expected);
      // A query's own option wins over the ReadJournal's.
      expect((await untilThrow(queries.currentEventsByTag('t', 0, { onUndeserializable: 'fail' }))).error).toMatchObject({ sequenceNr: 2 });
    });
  });
}

describe('ReadJournal options', () => {
  it('rejects a bad onUndeserializable naming the field', () => {
    expect(() => new ReadJournal('default', new InMemoryJournal(), registry(), { onUndeserializable: 'skip' as 'flag' })).toThrow(
      new TypeError(`ReadJournal: onUndeserializable must be 'fail' or 'flag', got "skip"`),
    );
  });
});
