import { silentLogger } from '@troupe/core';
import { ManualClock, awaitCondition } from '@troupe/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { InMemoryOffsetStore, IterableSource, Projection, type ProjectionId, ProjectionRestartsExhaustedError } from '../src/index.js';
import { Feed, envelopes } from './fixtures/feed.js';

const wait = { timeoutMs: 20_000 };
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('Projection restart on failure', () => {
  it('restarts after a failing handler with exponential backoff, from the last stored offset', async () => {
    const feed = new Feed();
    const store = new InMemoryOffsetStore();
    const clock = new ManualClock(1_000);
    const seen: number[] = [];
    let failuresLeft = 2;
    const projection = Projection.atLeastOnce({
      name: 'restart',
      source: feed.source(),
      offsetStore: store,
      clock,
      logger: silentLogger,
      saveOffsetAfterEnvelopes: 3,
      restartBackoff: { minBackoffMs: 100, maxBackoffMs: 10_000, randomFactor: 0 },
      handler: (e) => {
        if (e.offset === 5 && failuresLeft > 0) {
          failuresLeft--;
          throw new Error(`boom at ${e.offset}`);
        }
        seen.push(e.offset);
      },
    }).start();
    cleanups.push(() => projection.stop());
    feed.push(...envelopes(1, 8));

    await awaitCondition(() => projection.status().state === 'restarting', wait);
    // Offsets 1–3 were stored by count, 4 on the way out of the failed run.
    expect(projection.status()).toMatchObject({ storedOffset: 4, restarts: 0, restartAt: 1_100 });
    expect(projection.status().lastError?.message).toBe('boom at 5');
    clock.advance(99);
    expect(projection.status().state).toBe('restarting');
    clock.advance(1);
    await awaitCondition(() => projection.status().state === 'restarting' && projection.status().restarts === 1, wait);
    expect(projection.status().restartAt).toBe(1_100 + 200); // the second failure in a row waits twice as long
    clock.advance(200);
    await awaitCondition(() => seen.length === 8, wait);
    expect(projection.status()).toMatchObject({ state: 'running', restarts: 2 });
    expect(feed.opens).toEqual([0, 4, 4]);
    expect(seen).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('restarts after a failing source as after a failing handler', async () => {
    const store = new InMemoryOffsetStore();
    const clock = new ManualClock();
    let opens = 0;
    const source = IterableSource.create('flaky', async function* (after: number) {
      opens++;
      for (const e of envelopes(after + 1, 6)) {
        if (opens === 1 && e.offset === 4) throw new Error('connection lost');
        yield e;
      }
    });
    const seen: number[] = [];
    const projection = Projection.grouped({
      name: 'flaky',
      source,
      offsetStore: store,
      clock,
      logger: silentLogger,
      groupAfterEnvelopes: 1,
      restartBackoff: { minBackoffMs: 50, randomFactor: 0 },
      handler: (b) => void seen.push(...b.map((e) => e.offset)),
    }).start();
    await awaitCondition(() => projection.status().state === 'restarting', wait);
    expect(projection.status().storedOffset).toBe(3);
    clock.advance(50);
    await projection.done;
    expect(projection.status()).toMatchObject({ state: 'completed', restarts: 1, storedOffset: 6 });
    expect(seen).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('fails for good after maxRestarts failures in a row, rejecting done', async () => {
    const feed = new Feed();
    const clock = new ManualClock();
    const projection = Projection.atLeastOnce({
      name: 'exhausted',
      source: feed.source(),
      offsetStore: new InMemoryOffsetStore(),
      clock,
      logger: silentLogger,
      restartBackoff: { minBackoffMs: 10, maxBackoffMs: 10, randomFactor: 0, maxRestarts: 2 },
      handler: () => {
        throw new Error('always');
      },
    }).start();
    feed.push(...envelopes(1, 1));
    for (let restart = 1; restart <= 2; restart++) {
      await awaitCondition(() => projection.status().state === 'restarting', wait);
      clock.advance(10);
      await awaitCondition(() => projection.status().restarts === restart, wait);
    }
    const error = await projection.done.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ProjectionRestartsExhaustedError);
    expect(error).toMatchObject({ code: 'ERR_PROJECTION_RESTARTS_EXHAUSTED', message: 'projection exhausted/feed failed after 2 restarts: always' });
    expect(projection.status().state).toBe('failed');
  });

  it('restarts when a timed offset save fails, and handles the unsaved envelopes again', async () => {
    const feed = new Feed();
    const clock = new ManualClock();
    const inner = new InMemoryOffsetStore();
    let failSaves = 1;
    const store = {
      readOffset: (id: ProjectionId) => inner.readOffset(id),
      clearOffset: (id: ProjectionId) => inner.clearOffset(id),
      saveOffset: (id: ProjectionId, offset: number) => (failSaves-- > 0 ? Promise.reject(new Error('disk full')) : inner.saveOffset(id, offset)),
    };
    const seen: number[] = [];
    const projection = Projection.atLeastOnce({
      name: 'save-fails',
      source: feed.source(),
      offsetStore: store,
      clock,
      logger: silentLogger,
      saveOffsetAfterMs: 100,
      restartBackoff: { minBackoffMs: 10, randomFactor: 0 },
      handler: (e) => void seen.push(e.offset),
    }).start();
    cleanups.push(() => projection.stop());
    feed.push(...envelopes(1, 3));
    await awaitCondition(() => seen.length === 3, wait);
    clock.advance(100); // the timed save fails
    await awaitCondition(() => projection.status().state === 'restarting', wait);
    expect(projection.status().lastError?.message).toBe('disk full');
    clock.advance(10);
    await awaitCondition(() => seen.length === 6, wait);
    expect(seen).toEqual([1, 2, 3, 1, 2, 3]); // at-least-once: nothing was stored, so all come again
    clock.advance(100);
    await awaitCondition(() => projection.status().storedOffset === 3, wait);
    expect(await inner.readOffset(projection.id)).toBe(3);
  });
});
