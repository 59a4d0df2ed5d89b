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

describe('Projection.grouped', () => {
  it('hands over batches of groupAfterEnvelopes and stores the offset after each', async () => {
    const feed = new Feed();
    const store = new InMemoryOffsetStore();
    const batches: number[][] = [];
    const stored: (number | undefined)[] = [];
    const projection = Projection.grouped({
      name: 'grouped',
      source: feed.source(),
      offsetStore: store,
      logger: silentLogger,
      groupAfterEnvelopes: 4,
      handler: async (batch) => {
        stored.push(await store.readOffset({ name: 'grouped', key: 'feed' }));
        batches.push(batch.map((e) => e.offset));
      },
    }).start();
    cleanups.push(() => projection.stop());
    feed.push(...envelopes(1, 12));
    await awaitCondition(() => projection.status().storedOffset === 12, wait);
    expect(batches).toEqual([
      [1, 2, 3, 4],
      [5, 6, 7, 8],
      [9, 10, 11, 12],
    ]);
    expect(stored).toEqual([undefined, 4, 8]);
  });

  it('hands over a smaller batch groupAfterMs after its first envelope, on the injected clock', async () => {
    const feed = new Feed();
    const store = new InMemoryOffsetStore();
    const clock = new ManualClock();
    const batches: number[][] = [];
    const projection = Projection.grouped({
      name: 'grouped-time',
      source: feed.source(),
      offsetStore: store,
      clock,
      logger: silentLogger,
      handler: (batch) => void batches.push(batch.map((e) => e.offset)),
    }).start();
    cleanups.push(() => projection.stop());
    feed.push(...envelopes(1, 2));
    await awaitCondition(() => clock.pendingTimers === 1, wait);
    clock.advance(499);
    expect(batches).toEqual([]);
    clock.advance(1);
    await awaitCondition(() => batches.length === 1, wait);
    expect(batches).toEqual([[1, 2]]);
    feed.push(...envelopes(3, 3));
    await awaitCondition(() => clock.pendingTimers === 1, wait);
    clock.advance(500);
    await awaitCondition(() => projection.status().storedOffset === 3, wait);
    expect(batches).toEqual([[1, 2], [3]]);
  });

  it('redelivers a whole batch whose handler threw after writing (at-least-once), so an idempotent sink ends exact', async () => {
    const feed = new Feed();
    const store = new InMemoryOffsetStore();
    const sink = new Map<string, number>(); // an upsert keyed by (pid, seqNr): idempotent
    const deliveries = new Map<number, number>();
    let calls = 0;
    const projection = Projection.grouped({
      name: 'grouped-crash',
      source: feed.source(),
      offsetStore: store,
      logger: silentLogger,
      restartBackoff: { minBackoffMs: 1, maxBackoffMs: 1, randomFactor: 0 },
      groupAfterEnvelopes: 5,
      handler: (batch) => {
        for (const e of batch) {
          sink.set(`${e.persistenceId}#${e.sequenceNr}`, e.event.n);
          deliveries.set(e.offset, (deliveries.get(e.offset) ?? 0) + 1);
        }
        if (++calls === 2) throw new Error('crash after the sink write, before the offset');
      },
    }).start();
    feed.push(...envelopes(1, 15));
    feed.end();
    await projection.done;
    expect(projection.status()).toMatchObject({ state: 'completed', restarts: 1, storedOffset: 15 });
    expect([...deliveries].filter(([, times]) => times > 1).map(([offset]) => offset)).toEqual([6, 7, 8, 9, 10]);
    expect(sink.size).toBe(15);
    expect(feed.opens).toEqual([0, 5]);
  });
});
