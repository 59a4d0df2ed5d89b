import { ActorSystem, type Serializer, SerializationRegistry, silentLogger } from '@troupe/core';
import { TestProbe } from '@troupe/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { type EventAdapter, InMemoryJournal, InMemorySnapshotStore, Persistence } from '../src/index.js';
import { collect } from './fixtures/collect.js';
import { Counter, type CounterEvent, type Note, type Reply } from './fixtures/counter-actor.js';

let system: ActorSystem;
afterEach(async () => {
  await system?.terminate();
});

const encoder = new TextEncoder();

describe('Serialization and event adapters', () => {
  it('stores events with the serializer bound to their type, with its id and manifest beside the payload', async () => {
    system = ActorSystem.create({ name: 'ser', logger: silentLogger });
    const journal = new InMemoryJournal();
    const decoder = new TextDecoder();
    const csv: Serializer = {
      id: 'csv',
      toBinary: (value) => encoder.encode(`added,${(value as CounterEvent).n}`),
      fromBinary: (bytes) => ({ type: 'added', n: Number(decoder.decode(bytes).split(',')[1]) }),
    };
    Persistence.configure(system, { snapshotStores: { default: new InMemorySnapshotStore() }, journals: { default: journal }, serialization: new SerializationRegistry().bind('added', csv) });
    const probe = TestProbe.create<Reply>(system);
    system.spawn(() => new Counter('ser-1'), { name: 'a' }).tell({ type: 'add', n: 42, replyTo: probe.ref });
    await probe.expectMessage({ ok: true, total: 42, seq: 1 });
    const [page] = await collect(journal.replayMessages('ser-1', { fromSequenceNr: 1, toSequenceNr: Infinity, max: Infinity }));
    expect(page![0]).toMatchObject({ serializerId: 'csv', manifest: 'added' });
    expect(decoder.decode(page![0]!.payload)).toBe('added,42');
    const notes = TestProbe.create<Note>(system);
    system.spawn(() => new Counter('ser-1', { notes: notes.ref }), { name: 'b' });
    await notes.expectMessage({ note: 'recovered', total: 42, seq: 1, replayed: 1, snapshot: undefined });
  });

  it('upcasts old event versions on replay through the event adapter and its stored manifest', async () => {
    system = ActorSystem.create({ name: 'adapter', logger: silentLogger });
    const journal = new InMemoryJournal();
    Persistence.configure(system, { snapshotStores: { default: new InMemorySnapshotStore() }, journals: { default: journal } });
    // Version 1 stored { type: 'incremented', by: { amount } }; version 2 is { type: 'added', n }.
    const v1 = (seq: number, amount: number) => ({
      persistenceId: 'adapt-1',
      events: [
        {
          persistenceId: 'adapt-1',
          sequenceNr: seq,
          payload: encoder.encode(JSON.stringify({ type: 'incremented', by: { amount } })),
          serializerId: 'json',
          manifest: 'incremented',
          eventManifest: 'v1',
          tags: [],
          timestamp: 0,
          writerUuid: 'old',
        },
      ],
    });
    await journal.writeMessages([v1(1, 5)]);
    await journal.writeMessages([v1(2, 6)]);
    const adapter: EventAdapter<CounterEvent> = {
      manifest: () => 'v2',
      toJournal: (event) => event,
      fromJournal: (stored, manifest) => {
        if (manifest === 'v2') return [stored as CounterEvent];
        const old = stored as { by: { amount: number } };
        // A v1 event of 6 was recorded as two increments: one stored event becomes two.
        return old.by.amount === 6
          ? [
              { type: 'added', n: 3 },
              { type: 'added', n: 3 },
            ]
          : [{ type: 'added', n: old.by.amount }];
      },
    };
    const notes = TestProbe.create<Note>(system);
    const probe = TestProbe.create<Reply>(system);
    const counter = system.spawn(() => new Counter('adapt-1', { adapter, notes: notes.ref }), { name: 'adapt' });
    await notes.expectMessage({ note: 'recovered', total: 11, seq: 2, replayed: 3, snapshot: undefined });
    counter.tell({ type: 'add', n: 1, replyTo: probe.ref });
    await probe.expectMessage({ ok: true, total: 12, seq: 3 });
    const pages = await collect(journal.replayMessages('adapt-1', { fromSequenceNr: 3, toSequenceNr: 3, max: 1 }));
    expect(pages[0]![0]!.eventManifest).toBe('v2');
  });

  it('stores the tags chosen by tagsFor with each event', async () => {
    system = ActorSystem.create({ name: 'tags', logger: silentLogger });
    const journal = new InMemoryJournal();
    Persistence.configure(system, { snapshotStores: { default: new InMemorySnapshotStore() }, journals: { default: journal } });
    const probe = TestProbe.create<Reply>(system);
    const counter = system.spawn(() => new Counter('tag-1', { tags: (e) => (e.n % 2 === 0 ? ['even', 'all'] : ['all']) }), { name: 't' });
    counter.tell({ type: 'add', n: 1, replyTo: probe.ref });
    counter.tell({ type: 'add', n: 2, replyTo: probe.ref });
    await probe.receiveN(2);
    expect((await journal.currentEventsByTag('even', 0, 10)).map((e) => e.repr.sequenceNr)).toEqual([2]);
    expect((await journal.currentEventsByTag('all', 0, 10)).map((e) => e.repr.sequenceNr)).toEqual([1, 2]);
  });
});
