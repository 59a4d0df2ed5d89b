import { silentLogger } from '@troupe/core';
import { ManualClock, awaitCondition } from '@troupe/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { InMemoryOffsetStore, Projection } from '../src/index.js';
import { Feed, envelopes } from './fixtures/feed.js';

const wait = { timeoutMs: 20_000 };
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function running(feed: Feed, store = new InMemoryOffsetStore(), clock = new ManualClock()) {
  const seen: number[] = [];
  const projection = Projection.atLeastOnce({
    name: 'managed',
    source: feed.source(),
    offsetStore: store,
    clock,
    logger: silentLogger,
    saveOffsetAfterEnvelopes: 1_000,
    restartBackoff: { minBackoffMs: 100, randomFactor: 0 },
    handler: (e) => void seen.push(e.offset),
  });
  cleanups.push(() => projection.stop());
  return { projection, seen, store, clock };
}

describe('Projection management', () => {
  it('reports idle before start and running with counters after', async () => {
    const feed = new Feed();
    const { projection, seen } = running(feed);
    expect(projection.status()).toEqual({
      name: 'managed',
      key: 'feed',
      state: 'idle',
      storedOffset: undefined,
      handledOffset: undefined,
      handled: 0,
      skipped: 0,
      restarts: 0,
      lastError: undefined,
      restartAt: undefined,
    });
    projection.start();
    feed.push(...envelopes(1, 4));
    await awaitCondition(() => seen.length === 4, wait);
    expect(projection.status()).toMatchObject({ state: 'running', handledOffset: 4, handled: 4, storedOffset: undefined });
    expect(() => projection.start()).toThrow(new TypeError('Projection managed/feed: start() needs state idle, it is running'));
  });

  it('pauses (storing what was handled), holds new events back, and resumes from the stored offset', async () => {
    const feed = new Feed();
    const { projection, seen, store } = running(feed);
    projection.start();
    feed.push(...envelopes(1, 3));
    await awaitCondition(() => seen.length === 3, wait);
    await projection.pause();
    expect(projection.status().state).toBe('paused');
    expect(await store.readOffset(projection.id)).toBe(3);
    // A paused projection has let go of its source, so nothing can reach the handler.
    await awaitCondition(() => feed.readers === 0, wait);
    feed.push(...envelopes(4, 6));
    expect(await projection.getOffset()).toBe(3);
    expect(seen).toEqual([1, 2, 3]);
    await projection.resume();
    await awaitCondition(() => seen.length === 6, wait);
    expect(feed.opens).toEqual([0, 3]);
    expect(seen).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('sets the offset of a running projection to skip ahead, and clears it to rebuild from the start', async () => {
    const feed = new Feed();
    const { projection, seen } = running(feed);
    projection.start();
    feed.push(...envelopes(1, 2));
    await awaitCondition(() => seen.length === 2, wait);
    await projection.setOffset(10);
    expect(projection.status().state).toBe('running');
    expect(await projection.getOffset()).toBe(10);
    feed.push(...envelopes(3, 12));
    await awaitCondition(() => seen.length === 4, wait);
    expect(seen).toEqual([1, 2, 11, 12]);

    await projection.clearOffset();
    expect(projection.status().state).toBe('running');
    await awaitCondition(() => seen.length === 16, wait);
    expect(seen.slice(4)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(feed.opens).toEqual([0, 10, 0]);
  });

  it('rejects a bad offset naming the field', async () => {
    const { projection } = running(new Feed());
    await expect(projection.setOffset(-1)).rejects.toThrow(new RangeError('Projection.setOffset: offset must be an integer >= 0, got -1'));
  });

  it('pausing a projection waiting to restart cancels the restart until resumed', async () => {
    const feed = new Feed();
    const store = new InMemoryOffsetStore();
    const clock = new ManualClock();
    let fail = true;
    const seen: number[] = [];
    const projection = Projection.atLeastOnce({
      name: 'paused-restart',
      source: feed.source(),
      offsetStore: store,
      clock,
      logger: silentLogger,
      restartBackoff: { minBackoffMs: 100, randomFactor: 0 },
      handler: (e) => {
        if (fail) throw new Error('down');
        seen.push(e.offset);
      },
    }).start();
    cleanups.push(() => projection.stop());
    feed.push(...envelopes(1, 2));
    await awaitCondition(() => projection.status().state === 'restarting', wait);
    await projection.pause();
    expect(projection.status()).toMatchObject({ state: 'paused', restartAt: undefined });
    clock.advance(1_000);
    expect(projection.status().state).toBe('paused');
    fail = false;
    await projection.resume();
    await awaitCondition(() => seen.length === 2, wait);
    expect(projection.status().restarts).toBe(0);
  });

  it('stops for good: done resolves and resume does nothing', async () => {
    const feed = new Feed();
    const { projection } = running(feed);
    projection.start();
    await projection.stop();
    await projection.done;
    await projection.resume();
    expect(projection.status().state).toBe('stopped');
  });
});
