import { ActorSystem, silentLogger } from '@troupe/core';
import type { EventEnvelope } from '@troupe/persistence';
import { TestProbe, awaitCondition } from '@troupe/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { InMemoryOffsetStore, type OffsetStore, Projection, ProjectionActor, type ProjectionId } from '../src/index.js';
import { type Added, Feed, envelopes } from './fixtures/feed.js';

const wait = { timeoutMs: 20_000 };
const systems: ActorSystem[] = [];
afterEach(async () => {
  await Promise.all(systems.splice(0).map((s) => s.terminate()));
});

function system(): ActorSystem {
  const s = ActorSystem.create({ name: 'projection-actor', logger: silentLogger });
  systems.push(s);
  return s;
}

/** An in-memory store whose saves take a turn of the event loop and are logged in order. */
class SlowStore implements OffsetStore {
  readonly saves: number[] = [];
  private readonly inner = new InMemoryOffsetStore();
  readOffset(id: ProjectionId): Promise<number | undefined> {
    return this.inner.readOffset(id);
  }
  async saveOffset(id: ProjectionId, offset: number): Promise<void> {
    await new Promise<void>((resolve) => setImmediate(resolve));
    await this.inner.saveOffset(id, offset);
    this.saves.push(offset);
  }
  clearOffset(id: ProjectionId): Promise<void> {
    return this.inner.clearOffset(id);
  }
}

function projectionOver(feed: Feed, store: OffsetStore, seen: number[], decode?: (e: EventEnvelope<Added>) => Added): Projection<unknown> {
  return Projection.atLeastOnce<Added>({
    name: 'actor-owned',
    source: feed.source(),
    offsetStore: store,
    logger: silentLogger,
    // Never stored while running: only the stop stores the offset.
    saveOffsetAfterEnvelopes: 1_000_000,
    saveOffsetAfterMs: 3_600_000,
    ...(decode === undefined ? {} : { decode }),
    handler: (e) => void seen.push(e.offset),
  }) as Projection<unknown>;
}

describe('ProjectionActor', () => {
  it('starts its projection when the actor starts and, on stopMessage, stores the handled offset before the actor terminates', async () => {
    const s = system();
    const feed = new Feed();
    const store = new SlowStore();
    const seen: number[] = [];
    const actor = s.spawn(() => new ProjectionActor(() => projectionOver(feed, store, seen)), { name: 'p' });
    feed.push(...envelopes(1, 7));
    await awaitCondition(() => seen.length === 7, wait);
    expect(store.saves).toEqual([]);
    const probe = TestProbe.create(s);
    probe.watch(actor);
    actor.tell(ProjectionActor.stopMessage);
    await probe.expectTerminated(actor, 10_000);
    // The offset was stored before the actor was gone, so a successor started now resumes after it.
    expect(store.saves).toEqual([7]);
    expect(feed.readers).toBe(0);
  });

  it('a successor started after the stop resumes from the stored offset', async () => {
    const s = system();
    const feed = new Feed();
    const store = new SlowStore();
    const seen: number[] = [];
    const first = s.spawn(() => new ProjectionActor(() => projectionOver(feed, store, seen)), { name: 'first' });
    feed.push(...envelopes(1, 5));
    await awaitCondition(() => seen.length === 5, wait);
    const probe = TestProbe.create(s);
    probe.watch(first);
    first.tell(ProjectionActor.stopMessage);
    await probe.expectTerminated(first, 10_000);
    feed.push(...envelopes(6, 9));
    s.spawn(() => new ProjectionActor(() => projectionOver(feed, store, seen)), { name: 'second' });
    await awaitCondition(() => seen.length === 9, wait);
    expect(seen).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(feed.opens).toEqual([0, 5]);
  });

  it('stops the actor when its projection fails for good', async () => {
    const s = system();
    const feed = new Feed();
    const seen: number[] = [];
    const decode = (e: EventEnvelope<Added>): Added => {
      if (e.offset === 3) throw new Error('bad event');
      return e.event;
    };
    const actor = s.spawn(() => new ProjectionActor(() => projectionOver(feed, new InMemoryOffsetStore(), seen, decode)), { name: 'failing' });
    const probe = TestProbe.create(s);
    probe.watch(actor);
    feed.push(...envelopes(1, 5));
    await probe.expectTerminated(actor, 10_000);
    expect(seen).toEqual([1, 2]);
    expect(feed.readers).toBe(0);
  });

  it('stops, and starts no second projection, when stopping its projection fails on the stop message', async () => {
    const s = system();
    const feed = new Feed();
    const seen: number[] = [];
    let builds = 0;
    const actor = s.spawn(
      () =>
        new ProjectionActor(() => {
          builds++;
          const projection = projectionOver(feed, new InMemoryOffsetStore(), seen);
          const stop = projection.stop.bind(projection);
          // A stop that stopped reading but could not store its offset (the store went away).
          projection.stop = async () => {
            await stop();
            throw new Error('offset store unavailable');
          };
          return projection;
        }),
      { name: 'failing-stop' },
    );
    feed.push(...envelopes(1, 3));
    await awaitCondition(() => seen.length === 3, wait);
    const probe = TestProbe.create(s);
    probe.watch(actor);
    actor.tell(ProjectionActor.stopMessage);
    // Restarted, the actor would build and start a second projection of the same key while the first one may still be stopping.
    await probe.expectTerminated(actor, 10_000);
    expect(builds).toBe(1);
    expect(feed.readers).toBe(0);
  });

  it('declares its stop message, so a sharded daemon process or singleton without stopMessage still stores the offset on a move', () => {
    expect((ProjectionActor as unknown as Record<symbol, unknown>)[Symbol.for('troupe.stopMessage')]).toBe(ProjectionActor.stopMessage);
  });

  it('stops its projection when the actor is stopped without the stop message', async () => {
    const s = system();
    const feed = new Feed();
    const seen: number[] = [];
    const actor = s.spawn(() => new ProjectionActor(() => projectionOver(feed, new InMemoryOffsetStore(), seen)), { name: 'plain-stop' });
    feed.push(...envelopes(1, 2));
    await awaitCondition(() => seen.length === 2 && feed.readers === 1, wait);
    s.stop(actor);
    await awaitCondition(() => feed.readers === 0, wait);
  });
});
