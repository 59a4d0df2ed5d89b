import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ActorSystem, silentLogger } from '@troupe/core';
import { type EventEnvelope, InMemorySnapshotStore, Persistence, PersistenceQuery, SqliteJournal } from '@troupe/persistence';
import { ManualClock, awaitCondition } from '@troupe/testkit';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { EventsByTagSource, InMemoryOffsetStore, Projection, SqliteOffsetStore } from '../src/index.js';
import { type Added, Feed, envelopes } from './fixtures/feed.js';
import { TaggedCounter } from './fixtures/tagged-counter.js';

const dir = mkdtempSync(join(tmpdir(), 'troupe-projection-alo-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const wait = { timeoutMs: 20_000 };

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('Projection.atLeastOnce', () => {
  it('stores the offset every saveOffsetAfterEnvelopes envelopes', async () => {
    const feed = new Feed();
    const store = new InMemoryOffsetStore();
    const clock = new ManualClock();
    const seen: number[] = [];
    const projection = Projection.atLeastOnce({
      name: 'every-n',
      source: feed.source(),
      offsetStore: store,
      clock,
      logger: silentLogger,
      saveOffsetAfterEnvelopes: 10,
      handler: (e) => void seen.push(e.offset),
    }).start();
    cleanups.push(() => projection.stop());
    feed.push(...envelopes(1, 9));
    await awaitCondition(() => seen.length === 9, wait);
    expect(await store.readOffset(projection.id)).toBeUndefined();
    feed.push(...envelopes(10, 25));
    await awaitCondition(() => seen.length === 25, wait);
    await awaitCondition(() => projection.status().storedOffset === 20, wait);
    expect(await store.readOffset(projection.id)).toBe(20);
    expect(clock.pendingTimers).toBe(1); // the timer for offsets 21…25 runs on the manual clock only
  });

  it('stores the offset saveOffsetAfterMs after the first unstored envelope, on the injected clock', async () => {
    const feed = new Feed();
    const store = new InMemoryOffsetStore();
    const clock = new ManualClock();
    const seen: number[] = [];
    const projection = Projection.atLeastOnce({
      name: 'every-t',
      source: feed.source(),
      offsetStore: store,
      clock,
      logger: silentLogger,
      saveOffsetAfterMs: 500,
      handler: (e) => void seen.push(e.offset),
    }).start();
    cleanups.push(() => projection.stop());
    feed.push(...envelopes(1, 3));
    await awaitCondition(() => seen.length === 3, wait);
    clock.advance(499);
    expect(await store.readOffset(projection.id)).toBeUndefined();
    clock.advance(1);
    await awaitCondition(() => projection.status().storedOffset === 3, wait);
    expect(await store.readOffset(projection.id)).toBe(3);
    expect(clock.pendingTimers).toBe(0);
  });

  it('uses the documented defaults: 100 envelopes or 500 ms', async () => {
    const feed = new Feed();
    const store = new InMemoryOffsetStore();
    const clock = new ManualClock();
    let seen = 0;
    const projection = Projection.atLeastOnce({ name: 'defaults', source: feed.source(), offsetStore: store, clock, logger: silentLogger, handler: () => void seen++ }).start();
    cleanups.push(() => projection.stop());
    feed.push(...envelopes(1, 99));
    await awaitCondition(() => seen === 99, wait);
    expect(await store.readOffset(projection.id)).toBeUndefined();
    feed.push(...envelopes(100, 101));
    await awaitCondition(() => projection.status().storedOffset === 100, wait);
    clock.advance(500);
    await awaitCondition(() => projection.status().storedOffset === 101, wait);
  });

  it('stores what was handled when stopped, and a new instance resumes right after it', async () => {
    const feed = new Feed();
    const store = new InMemoryOffsetStore();
    const first: number[] = [];
    const projection = Projection.atLeastOnce({ name: 'resume', source: feed.source(), offsetStore: store, logger: silentLogger, handler: (e) => void first.push(e.offset) }).start();
    feed.push(...envelopes(1, 7));
    await awaitCondition(() => first.length === 7, wait);
    await projection.stop();
    expect(await store.readOffset(projection.id)).toBe(7);
    await projection.done;

    feed.push(...envelopes(8, 12));
    const second: number[] = [];
    const again = Projection.atLeastOnce({ name: 'resume', source: feed.source(), offsetStore: store, logger: silentLogger, handler: (e) => void second.push(e.offset) }).start();
    cleanups.push(() => again.stop());
    await awaitCondition(() => second.length === 5, wait);
    expect(feed.opens).toEqual([0, 7]);
    expect(second).toEqual([8, 9, 10, 11, 12]);
  });

  it('stops, storing what it handled, when the actor system it was given terminates', async () => {
    const system = ActorSystem.create({ name: 'proj-stop', logger: silentLogger });
    const feed = new Feed();
    const store = new InMemoryOffsetStore();
    let seen = 0;
    const projection = Projection.atLeastOnce({ name: 'with-system', source: feed.source(), offsetStore: store, system, handler: () => void seen++ }).start();
    feed.push(...envelopes(1, 5));
    await awaitCondition(() => seen === 5, wait);
    await system.terminate();
    await projection.done;
    expect(projection.status().state).toBe('stopped');
    expect(await store.readOffset(projection.id)).toBe(5);
    expect(feed.readers).toBe(0);
  });

  it('drops envelopes at or below the stored offset when a source replays from the start', async () => {
    const store = new InMemoryOffsetStore();
    const all = envelopes(1, 10);
    const { IterableSource } = await import('../src/index.js');
    const replaying = IterableSource.create('replaying', async function* () {
      yield* all;
    });
    await store.saveOffset({ name: 'dedupe', key: 'replaying' }, 6);
    const seen: number[] = [];
    const projection = Projection.atLeastOnce({ name: 'dedupe', source: replaying, offsetStore: store, logger: silentLogger, handler: (e) => void seen.push(e.offset) }).start();
    await projection.done;
    expect(projection.status().state).toBe('completed');
    expect(seen).toEqual([7, 8, 9, 10]);
    expect(await store.readOffset(projection.id)).toBe(10);
  });
});

describe('Projection over a live eventsByTag query on the SQLite journal', () => {
  it('resumes from the stored offset in a new system and never misses an event written meanwhile', async () => {
    const journalPath = join(dir, 'journal.db');
    const offsetsPath = join(dir, 'offsets.db');
    const tag = `resume-${Date.now()}`;
    const handled: EventEnvelope<Added>[] = [];
    const written: string[] = [];

    async function runSystem(writes: number, round: number, expectedTotal: number): Promise<void> {
      const system = ActorSystem.create({ name: `proj-${round}`, logger: silentLogger });
      Persistence.configure(system, { journals: { default: new SqliteJournal({ path: journalPath }) }, snapshotStores: { default: new InMemorySnapshotStore() } });
      const store = SqliteOffsetStore.open({ path: offsetsPath });
      const readJournal = await PersistenceQuery.readJournalFor<Added>(system, undefined, { refreshIntervalMs: 50 });
      const projection = Projection.atLeastOnce({
        name: 'totals',
        source: EventsByTagSource.create(readJournal, tag),
        offsetStore: store,
        system,
        saveOffsetAfterEnvelopes: 7,
        handler: (envelope) => void handled.push(envelope),
      }).start();
      const actors = Array.from({ length: 4 }, (_, i) => system.spawn(() => new TaggedCounter(`acct-${i}`, tag), { name: `acct-${i}` }));
      for (let i = 0; i < writes; i++) {
        const actor = i % 4;
        const seq = await actors[actor]!.ask<number>((replyTo) => ({ n: i, replyTo }));
        written.push(`acct-${actor}#${seq}`);
      }
      await awaitCondition(() => new Set(handled.map((e) => `${e.persistenceId}#${e.sequenceNr}`)).size === expectedTotal, wait);
      await projection.stop();
      await system.terminate();
      await store.close();
    }

    await runSystem(30, 1, 30);
    const storedAfterFirst = await (async () => {
      const store = SqliteOffsetStore.open({ path: offsetsPath });
      try {
        return await store.readOffset({ name: 'totals', key: `tag:${tag}` });
      } finally {
        await store.close();
      }
    })();
    expect(storedAfterFirst).toBe(handled.at(-1)?.offset);
    await runSystem(25, 2, 55);

    const keys = handled.map((e) => `${e.persistenceId}#${e.sequenceNr}`);
    expect(new Set(keys)).toEqual(new Set(written));
    expect(keys).toHaveLength(55); // stopped cleanly, so nothing was handled twice either
    const offsets = handled.map((e) => e.offset);
    expect(offsets).toEqual([...offsets].sort((a, b) => a - b));
  }, 60_000);
});
