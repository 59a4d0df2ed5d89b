import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ActorSystem, silentLogger } from '@troupe/core';
import { TestProbe, awaitCondition } from '@troupe/testkit';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { type EventEnvelope, InMemoryJournal, InMemorySnapshotStore, type Journal, Persistence, PersistenceQuery, QueryNotSupportedError, type ReadJournal, SqliteJournal } from '../src/index.js';
import { collect } from './fixtures/collect.js';
import { Counter, type CounterEvent, type Reply } from './fixtures/counter-actor.js';

const dir = mkdtempSync(join(tmpdir(), 'troupe-query-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let system: ActorSystem;
afterEach(async () => {
  await system?.terminate();
});

/** Takes the next `n` items of an iterator (which stays open for more). */
async function take<T>(iterator: AsyncIterator<T>, n: number): Promise<T[]> {
  const items: T[] = [];
  while (items.length < n) {
    const next = await iterator.next();
    if (next.done === true) break;
    items.push(next.value);
  }
  return items;
}

const journals: Record<string, () => Journal> = {
  InMemoryJournal: () => new InMemoryJournal(),
  SqliteJournal: () => new SqliteJournal({ path: join(dir, `q-${Math.random().toString(36).slice(2)}.db`) }),
};

for (const [name, create] of Object.entries(journals)) {
  describe(`PersistenceQuery on ${name}`, () => {
    let probe: TestProbe<Reply>;
    let queries: ReadJournal<CounterEvent>;

    async function start(): Promise<void> {
      system = ActorSystem.create({ name: 'query', logger: silentLogger });
      Persistence.configure(system, { snapshotStores: { default: new InMemorySnapshotStore() }, journals: { default: create() } });
      probe = TestProbe.create<Reply>(system);
      queries = await PersistenceQuery.readJournalFor<CounterEvent>(system, undefined, { refreshIntervalMs: 5000 });
    }

    function counter(pid: string) {
      return system.spawn(() => new Counter(pid, { tags: (e) => (e.n > 10 ? ['big'] : []) }), { name: pid });
    }

    it('streams the current events of a persistence id and ends', async () => {
      await start();
      const a = counter('qa');
      for (const n of [1, 2, 3]) a.tell({ type: 'add', n, replyTo: probe.ref });
      await probe.receiveN(3);
      const events = await collect(queries.currentEventsByPersistenceId('qa', 2));
      expect(events.map((e) => [e.sequenceNr, e.event.n])).toEqual([
        [2, 2],
        [3, 3],
      ]);
    });

    it('follows new events of a persistence id live until aborted', async () => {
      await start();
      const a = counter('qb');
      a.tell({ type: 'add', n: 1, replyTo: probe.ref });
      await probe.receiveN(1);
      const abort = new AbortController();
      const live = queries.eventsByPersistenceId('qb', 1, Infinity, { signal: abort.signal })[Symbol.asyncIterator]();
      expect((await take(live, 1)).map((e) => e.sequenceNr)).toEqual([1]);
      const next = take(live, 2);
      a.tell({ type: 'add', n: 2, replyTo: probe.ref });
      a.tell({ type: 'add', n: 3, replyTo: probe.ref });
      expect((await next).map((e) => e.event.n)).toEqual([2, 3]);
      const ended = live.next();
      abort.abort();
      expect((await ended).done).toBe(true);
    });

    it('lists current persistence ids and follows new ones live', async () => {
      await start();
      counter('p1').tell({ type: 'add', n: 1, replyTo: probe.ref });
      counter('p2').tell({ type: 'add', n: 1, replyTo: probe.ref });
      await probe.receiveN(2);
      expect(await collect(queries.currentPersistenceIds())).toEqual(['p1', 'p2']);
      const abort = new AbortController();
      const live = queries.persistenceIds({ signal: abort.signal })[Symbol.asyncIterator]();
      expect(await take(live, 2)).toEqual(['p1', 'p2']);
      const next = take(live, 1);
      counter('p3').tell({ type: 'add', n: 1, replyTo: probe.ref });
      expect(await next).toEqual(['p3']);
      abort.abort();
      await live.return?.();
    });

    it('streams events by tag with offsets to resume from, current and live', async () => {
      await start();
      const a = counter('ta');
      const b = counter('tb');
      a.tell({ type: 'add', n: 11, replyTo: probe.ref });
      b.tell({ type: 'add', n: 1, replyTo: probe.ref });
      b.tell({ type: 'add', n: 12, replyTo: probe.ref });
      await probe.receiveN(3);
      const current: EventEnvelope<CounterEvent>[] = await collect(queries.currentEventsByTag('big'));
      expect(current.map((e) => `${e.persistenceId}:${e.event.n}`)).toEqual(['ta:11', 'tb:12']);
      const resumeAt = current[0]!.offset;
      expect((await collect(queries.currentEventsByTag('big', resumeAt))).map((e) => e.event.n)).toEqual([12]);
      const abort = new AbortController();
      const live = queries.eventsByTag('big', current[1]!.offset, { signal: abort.signal })[Symbol.asyncIterator]();
      const next = take(live, 1);
      a.tell({ type: 'add', n: 5, replyTo: probe.ref });
      a.tell({ type: 'add', n: 13, replyTo: probe.ref });
      const [found] = await next;
      expect(found).toMatchObject({ persistenceId: 'ta', sequenceNr: 3, event: { n: 13 }, tags: ['big'] });
      expect(found!.offset).toBeGreaterThan(current[1]!.offset);
      abort.abort();
      await live.return?.();
    });
  });
}

describe('PersistenceQuery', () => {
  it('throws QueryNotSupportedError for a query the journal does not declare', async () => {
    system = ActorSystem.create({ name: 'unsupported', logger: silentLogger });
    const bare: Journal = {
      capabilities: { persistenceIdsQuery: false, eventsByTagQuery: false, changeNotifications: false },
      writeMessages: async (writes) => writes.map(() => undefined),
      replayMessages: async function* () {},
      claimWriter: async () => {},
      readHighestSequenceNr: async () => 0,
      deleteMessagesTo: async () => {},
    };
    Persistence.configure(system, { snapshotStores: { default: new InMemorySnapshotStore() }, journals: { default: bare } });
    const queries = await PersistenceQuery.readJournalFor(system);
    await expect(collect(queries.currentEventsByTag('x'))).rejects.toBeInstanceOf(QueryNotSupportedError);
    await expect(collect(queries.currentPersistenceIds())).rejects.toMatchObject({ code: 'ERR_QUERY_NOT_SUPPORTED' });
    expect(await collect(queries.currentEventsByPersistenceId('x'))).toEqual([]);
  });
});

describe('PersistenceQuery live streams and abort', () => {
  /** An in-memory journal whose next tag page (when armed) waits until the test fails it, as a journal closed under a read does. */
  class ClosingJournal extends InMemoryJournal {
    armed = false;
    pending: ((error: Error) => void) | undefined;
    override async currentEventsByTag(tag: string, afterOffset: number, limit: number) {
      if (!this.armed) return super.currentEventsByTag(tag, afterOffset, limit);
      return new Promise<never>((_, reject) => (this.pending = reject));
    }
    override async *replayMessages(persistenceId: string, range: Parameters<InMemoryJournal['replayMessages']>[1]) {
      if (this.armed) yield await new Promise<never>((_, reject) => (this.pending = reject));
      yield* super.replayMessages(persistenceId, range);
    }
  }

  for (const query of ['eventsByTag', 'eventsByPersistenceId'] as const) {
    it(`ends ${query} quietly when a read fails after the consumer aborted (the journal closing behind the abort)`, async () => {
      system = ActorSystem.create({ name: 'closing', logger: silentLogger });
      const journal = new ClosingJournal();
      Persistence.configure(system, { snapshotStores: { default: new InMemorySnapshotStore() }, journals: { default: journal } });
      const queries = await PersistenceQuery.readJournalFor<CounterEvent>(system, undefined, { refreshIntervalMs: 10 });
      const abort = new AbortController();
      const stream = query === 'eventsByTag' ? queries.eventsByTag('big', 0, { signal: abort.signal }) : queries.eventsByPersistenceId('qa', 1, Infinity, { signal: abort.signal });
      const consumed = collect(stream);
      journal.armed = true;
      await awaitCondition(() => journal.pending !== undefined, { timeoutMs: 5000, message: 'a read in flight' });
      abort.abort();
      journal.pending!(new Error('journal closed'));
      await expect(consumed).resolves.toEqual([]);
    });
  }

  it('still fails a live stream whose read fails while the consumer is reading', async () => {
    system = ActorSystem.create({ name: 'closing-unaborted', logger: silentLogger });
    const journal = new ClosingJournal();
    Persistence.configure(system, { snapshotStores: { default: new InMemorySnapshotStore() }, journals: { default: journal } });
    const queries = await PersistenceQuery.readJournalFor<CounterEvent>(system, undefined, { refreshIntervalMs: 10 });
    const abort = new AbortController();
    const consumed = collect(queries.eventsByTag('big', 0, { signal: abort.signal }));
    journal.armed = true;
    await awaitCondition(() => journal.pending !== undefined, { timeoutMs: 5000, message: 'a read in flight' });
    journal.pending!(new Error('journal closed'));
    await expect(consumed).rejects.toThrow('journal closed');
    abort.abort();
  });
});
