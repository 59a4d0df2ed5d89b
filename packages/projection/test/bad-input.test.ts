import type { LogFields, Logger } from '@troupe/core';
import { silentLogger } from '@troupe/core';
import type { EventEnvelope } from '@troupe/persistence';
import { awaitCondition } from '@troupe/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { InMemoryOffsetStore, Projection, UndecodableEventError } from '../src/index.js';
import { type Added, Feed, envelopes } from './fixtures/feed.js';

const wait = { timeoutMs: 20_000 };
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Accepts only `added` events with a numeric `n`: what a real decoder checks. */
function decode(envelope: EventEnvelope<unknown>): Added {
  const event = envelope.event as Partial<Added>;
  if (event.type !== 'added' || typeof event.n !== 'number') throw new Error(`unknown event ${JSON.stringify(envelope.event)}`);
  return event as Added;
}

function withPoison(): Feed<unknown> {
  const feed = new Feed<unknown>();
  const good = envelopes(1, 6);
  const poison: EventEnvelope<unknown> = { ...good[3]!, event: { type: 'renamed', to: 'x' } };
  feed.push(...good.slice(0, 3), poison, ...good.slice(4));
  return feed;
}

describe('Projection bad input', () => {
  it('stops by default at an undecodable event, naming its persistence id and sequence number, without restarting', async () => {
    const feed = withPoison();
    const store = new InMemoryOffsetStore();
    const seen: number[] = [];
    const projection = Projection.atLeastOnce({ name: 'strict', source: feed.source(), offsetStore: store, decode, logger: silentLogger, handler: (e) => void seen.push(e.event.n) }).start();
    const error = await projection.done.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(UndecodableEventError);
    expect(error).toMatchObject({ code: 'ERR_PROJECTION_UNDECODABLE_EVENT', persistenceId: 'pid-3', sequenceNr: 1, offset: 4 });
    expect((error as Error).message).toBe('projection strict: cannot decode event pid-3#1 (offset 4): unknown event {"type":"renamed","to":"x"}');
    expect(projection.status()).toMatchObject({ state: 'failed', restarts: 0, storedOffset: 3, skipped: 0 });
    expect(seen).toEqual([1, 2, 3]);
    expect(await store.readOffset(projection.id)).toBe(3);
  });

  it('in a batch, applies the decodable envelopes before the bad one and stores their offset', async () => {
    const feed = withPoison();
    const store = new InMemoryOffsetStore();
    const batches: number[][] = [];
    const projection = Projection.grouped({
      name: 'strict-batch',
      source: feed.source(),
      offsetStore: store,
      decode,
      logger: silentLogger,
      groupAfterEnvelopes: 6,
      handler: (b) => void batches.push(b.map((e) => e.offset)),
    }).start();
    await expect(projection.done).rejects.toBeInstanceOf(UndecodableEventError);
    expect(batches).toEqual([[1, 2, 3]]);
    expect(await store.readOffset(projection.id)).toBe(3);
  });

  it('skips and counts an undecodable event with onUndecodable skip, reporting it to onSkipped and the log', async () => {
    const feed = withPoison();
    const store = new InMemoryOffsetStore();
    const warnings: LogFields[] = [];
    const logger: Logger = { ...silentLogger, warn: (_message, fields) => void warnings.push(fields ?? {}) };
    const skipped: UndecodableEventError[] = [];
    const seen: number[] = [];
    const projection = Projection.atLeastOnce({
      name: 'lenient',
      source: feed.source(),
      offsetStore: store,
      decode,
      onUndecodable: 'skip',
      onSkipped: (e) => void skipped.push(e),
      logger,
      saveOffsetAfterEnvelopes: 1,
      handler: (e) => void seen.push(e.event.n),
    }).start();
    cleanups.push(() => projection.stop());
    await awaitCondition(() => projection.status().storedOffset === 6, wait);
    expect(seen).toEqual([1, 2, 3, 5, 6]);
    expect(projection.status()).toMatchObject({ state: 'running', skipped: 1, handled: 5 });
    expect(skipped.map((e) => [e.persistenceId, e.sequenceNr])).toEqual([['pid-3', 1]]);
    expect(warnings).toEqual([{ projection: 'lenient/feed', persistenceId: 'pid-3', sequenceNr: 1, offset: 4 }]);
  });
});
