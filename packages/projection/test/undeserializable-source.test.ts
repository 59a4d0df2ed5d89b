import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SerializationRegistry, silentLogger } from '@troupe/core';
import { type EventEnvelope, type Journal, JsonPayloadSerializer, type PersistentRepr, ReadJournal, SqliteJournal } from '@troupe/persistence';
import { awaitCondition } from '@troupe/testkit';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { EventsByTagSource, InMemoryOffsetStore, IterableSource, Projection, type SourceProvider, SqliteOffsetStore, UndecodableEventError } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'troupe-projection-undeserializable-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const wait = { timeoutMs: 20_000 };
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

type Event = { readonly n: number };

function repr(sequenceNr: number, payload: string, serializerId = 'json'): PersistentRepr {
  return { persistenceId: 'a', sequenceNr, payload: Buffer.from(payload, 'utf8'), serializerId, manifest: '', eventManifest: '', tags: ['t'], timestamp: 0, writerUuid: 'w' };
}

/**
 * A SQLite journal holding, for pid `a` tagged `t`: 1, 3 and 5 good; 2 invalid JSON
 * bytes; 4 an unknown serializer id. Written through the SPI, as a buggy writer or a
 * since-removed serializer would have left them.
 */
async function corruptJournal(): Promise<{ journal: Journal; queries: ReadJournal<Event>; offsets: number[] }> {
  const journal = new SqliteJournal({ path: join(dir, `j-${Math.random().toString(36).slice(2)}.db`) });
  cleanups.push(() => journal.close());
  const written = await journal.writeMessages([{ persistenceId: 'a', events: [repr(1, '{"n":1}'), repr(2, '{"n":'), repr(3, '{"n":3}'), repr(4, '{"n":4}', 'avro'), repr(5, '{"n":5}')] }]);
  expect(written).toEqual([undefined]);
  const queries = new ReadJournal<Event>('default', journal, new SerializationRegistry(new JsonPayloadSerializer()), { refreshIntervalMs: 60_000 });
  const offsets = (await journal.currentEventsByTag!('t', 0, 10)).map((entry) => entry.offset);
  return { journal, queries, offsets };
}

/** The four ways a projection meets the corrupt events: live and current, by tag and by persistence id. */
const sources: Record<string, { live: boolean; byTag: boolean; create(queries: ReadJournal<Event>): SourceProvider<Event> }> = {
  'EventsByTagSource (live eventsByTag)': { live: true, byTag: true, create: (q) => EventsByTagSource.create(q, 't') },
  currentEventsByTag: { live: false, byTag: true, create: (q) => IterableSource.create('current-tag:t', (after) => q.currentEventsByTag('t', after)) },
  'eventsByPersistenceId (live)': { live: true, byTag: false, create: (q) => IterableSource.create('pid:a', (after, signal) => q.eventsByPersistenceId('a', after + 1, Infinity, { signal })) },
  currentEventsByPersistenceId: { live: false, byTag: false, create: (q) => IterableSource.create('current-pid:a', (after) => q.currentEventsByPersistenceId('a', after + 1)) },
};

for (const [name, kind] of Object.entries(sources)) {
  describe(`Projection over stored events the journal cannot deserialise, from ${name}`, () => {
    it('stops by default at the first one, naming its persistence id and sequence number, without restarting', async () => {
      const { queries, offsets } = await corruptJournal();
      const store = new InMemoryOffsetStore();
      const seen: number[] = [];
      const projection = Projection.atLeastOnce({ name: 'strict', source: kind.create(queries), offsetStore: store, logger: silentLogger, handler: (e) => void seen.push(e.event.n) }).start();
      cleanups.push(() => projection.stop());
      const error = await projection.done.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(UndecodableEventError);
      const offset = kind.byTag ? offsets[1] : 2;
      expect(error).toMatchObject({ code: 'ERR_PROJECTION_UNDECODABLE_EVENT', persistenceId: 'a', sequenceNr: 2, offset });
      expect((error as Error).message).toMatch(new RegExp(`^projection strict: cannot decode event a#2 \\(offset ${offset}\\): journal "default": cannot deserialise event a#2`));
      expect((error as Error).cause).toMatchObject({ code: 'ERR_UNDESERIALIZABLE_EVENT', serializerId: 'json' });
      expect(seen).toEqual([1]);
      expect(projection.status()).toMatchObject({ state: 'failed', restarts: 0, skipped: 0 });
      expect(await store.readOffset(projection.id)).toBe(kind.byTag ? offsets[0] : 1);
    });

    it("with onUndecodable 'skip', counts and reports each one, stores the offset past it and goes on", async () => {
      const { queries, offsets } = await corruptJournal();
      const store = new InMemoryOffsetStore();
      const seen: number[] = [];
      const skipped: UndecodableEventError[] = [];
      const projection = Projection.atLeastOnce({
        name: 'lenient',
        source: kind.create(queries),
        offsetStore: store,
        onUndecodable: 'skip',
        onSkipped: (e) => void skipped.push(e),
        saveOffsetAfterEnvelopes: 1,
        logger: silentLogger,
        handler: (e) => void seen.push(e.event.n),
      }).start();
      cleanups.push(() => projection.stop());
      const last = kind.byTag ? offsets[4] : 5;
      if (kind.live) await awaitCondition(() => projection.status().storedOffset === last, wait);
      else await projection.done;
      expect(seen).toEqual([1, 3, 5]);
      expect(skipped.map((e) => [e.persistenceId, e.sequenceNr, e.offset, (e.cause as { serializerId?: string }).serializerId])).toEqual([
        ['a', 2, kind.byTag ? offsets[1] : 2, 'json'],
        ['a', 4, kind.byTag ? offsets[3] : 4, 'avro'],
      ]);
      expect(projection.status()).toMatchObject({ state: kind.live ? 'running' : 'completed', skipped: 2, handled: 3, restarts: 0 });
      expect(await store.readOffset(projection.id)).toBe(last);
    });
  });
}

describe('Projection.exactlyOnce over stored events the journal cannot deserialise', () => {
  it("with onUndecodable 'skip', commits the good ones and the offset past the bad ones in its transactions", async () => {
    const { queries, offsets } = await corruptJournal();
    const store = SqliteOffsetStore.open({ path: join(dir, `o-${Math.random().toString(36).slice(2)}.db`) });
    cleanups.push(() => store.close());
    store.database.exec('CREATE TABLE sink (n INTEGER PRIMARY KEY)');
    const projection = Projection.exactlyOnce({
      name: 'sink',
      source: EventsByTagSource.create(queries, 't'),
      offsetStore: store,
      onUndecodable: 'skip',
      groupAfterEnvelopes: 10,
      groupAfterMs: 0,
      logger: silentLogger,
      handler: (batch: readonly EventEnvelope<Event>[], tx) => {
        for (const e of batch) tx.prepare('INSERT INTO sink VALUES (?)').run(e.event.n);
      },
    }).start();
    cleanups.push(() => projection.stop());
    await awaitCondition(() => projection.status().storedOffset === offsets[4], wait);
    expect(await store.withTransaction((tx) => tx.prepare('SELECT n FROM sink ORDER BY n').all())).toEqual([{ n: 1 }, { n: 3 }, { n: 5 }]);
    expect(projection.status()).toMatchObject({ skipped: 2, handled: 3 });
  });
});
