import { SerializationRegistry, silentLogger } from '@troupe/core';
import { InMemoryJournal, JsonPayloadSerializer, type PersistentRepr, ReadJournal } from '@troupe/persistence';
import { awaitCondition } from '@troupe/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { EventsByTagSource, InMemoryOffsetStore, Projection, SlicedSource, sliceRanges } from '../src/index.js';
import { Feed } from './fixtures/feed.js';

const wait = { timeoutMs: 20_000 };
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function repr(persistenceId: string, sequenceNr: number, tags: string[]): PersistentRepr {
  return { persistenceId, sequenceNr, payload: Buffer.from(`{"n":${sequenceNr}}`), serializerId: 'json', manifest: '', eventManifest: '', tags, timestamp: 0, writerUuid: 'w' };
}

describe('Projection.lag', () => {
  it("is how far the source's highest offset is ahead of what the projection handled", async () => {
    const journal = new InMemoryJournal();
    const queries = new ReadJournal<unknown>('default', journal, new SerializationRegistry(new JsonPayloadSerializer()));
    await journal.writeMessages([{ persistenceId: 'a', events: [repr('a', 1, ['t']), repr('a', 2, []), repr('a', 3, ['t'])] }]);
    const highest = async (): Promise<number> => (await journal.currentEventsByTag('t', 0, 100)).at(-1)!.offset;
    const projection = Projection.atLeastOnce({ name: 'lagging', source: EventsByTagSource.create(queries, 't'), offsetStore: new InMemoryOffsetStore(), logger: silentLogger, handler: () => {} });
    cleanups.push(() => projection.stop());
    expect(await projection.lag()).toEqual({ sourceHighestOffset: await highest(), handledOffset: undefined, behind: await highest() });

    projection.start();
    const caughtUp = await highest();
    await awaitCondition(() => projection.status().handledOffset === caughtUp, wait);
    expect(await projection.lag()).toEqual({ sourceHighestOffset: caughtUp, handledOffset: caughtUp, behind: 0 });

    await projection.pause();
    await journal.writeMessages([{ persistenceId: 'b', events: [repr('b', 1, ['t']), repr('b', 2, ['t'])] }]);
    expect(await projection.lag()).toEqual({ sourceHighestOffset: await highest(), handledOffset: caughtUp, behind: (await highest()) - caughtUp });

    // A sliced source reports its whole source's highest offset: an upper bound for its slices.
    const sliced = Projection.atLeastOnce({
      name: 'sliced',
      source: SlicedSource.create(EventsByTagSource.create(queries, 't'), sliceRanges(2)[0]!),
      offsetStore: new InMemoryOffsetStore(),
      logger: silentLogger,
      handler: () => {},
    });
    expect((await sliced.lag())?.sourceHighestOffset).toBe(await highest());
  });

  it('is undefined for a source that cannot tell its highest offset', async () => {
    const projection = Projection.atLeastOnce({ name: 'feed', source: new Feed().source(), offsetStore: new InMemoryOffsetStore(), logger: silentLogger, handler: () => {} });
    expect(await projection.lag()).toBeUndefined();
  });
});
