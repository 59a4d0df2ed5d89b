import { ActorSystem, silentLogger } from '@troupe/core';
import { awaitCondition } from '@troupe/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { InMemoryJournal, InMemorySnapshotStore, JournalRememberEntitiesStore, Persistence, SnapshotSelectionCriteria, isStaleWriterRejection } from '../src/index.js';

const systems: ActorSystem[] = [];
afterEach(async () => {
  await Promise.all(systems.splice(0).map((s) => s.terminate()));
});

/** A system (standing for one node) on the shared `journal` and `snapshots`. */
function node(journal: InMemoryJournal, snapshots: InMemorySnapshotStore, snapshotEvery: number | false = false): JournalRememberEntitiesStore {
  const system = ActorSystem.create({ name: `n${systems.length}`, logger: silentLogger });
  systems.push(system);
  Persistence.configure(system, { journals: { default: journal }, snapshotStores: { default: snapshots } });
  return new JournalRememberEntitiesStore(system, { snapshotEvery, timeoutMs: 3000 });
}

describe('JournalRememberEntitiesStore', () => {
  it('reopens a shard with the ids started and not stopped since, from events and from snapshots', async () => {
    for (const every of [false, 2] as const) {
      const journal = new InMemoryJournal();
      const snapshots = new InMemorySnapshotStore();
      const store = node(journal, snapshots, every);
      const shard = await store.openShard('cart', 7);
      expect(shard.entityIds).toEqual([]);
      await shard.update(['a', 'b', 'c'], []);
      await shard.update([], ['b']);
      await shard.update(['d'], ['a']);
      await shard.update(['b'], []);
      // With snapshotEvery, the writer also saves its set as a snapshot (after the write it covers): recover from it.
      if (every !== false)
        await awaitCondition(async () => (await snapshots.loadSnapshot(JournalRememberEntitiesStore.persistenceIdOf('cart', 7), SnapshotSelectionCriteria.latest))?.sequenceNr === 4, {
          timeoutMs: 3000,
        });
      await shard.close();
      const again = await node(journal, snapshots).openShard('cart', 7);
      expect([...again.entityIds].sort()).toEqual(['b', 'c', 'd']);
      expect((await node(journal, snapshots).openShard('cart', 8)).entityIds).toEqual([]);
    }
  });

  it("fences the previous owner: once another node opened the shard, the old writer's updates are refused and nothing of them is stored", async () => {
    const journal = new InMemoryJournal();
    const snapshots = new InMemorySnapshotStore();
    const stale = await node(journal, snapshots).openShard('cart', 1);
    await stale.update(['a'], []);
    const fresh = await node(journal, snapshots).openShard('cart', 1);
    expect(fresh.entityIds).toEqual(['a']);
    const refused = await stale.update(['zombie'], ['a']).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(isStaleWriterRejection(refused)).toBe(true);
    await fresh.update(['b'], []);
    expect([...(await node(journal, snapshots).openShard('cart', 1)).entityIds].sort()).toEqual(['a', 'b']);
  });

  it('validates its options, naming the field', () => {
    const system = ActorSystem.create({ name: 'v', logger: silentLogger });
    systems.push(system);
    expect(() => new JournalRememberEntitiesStore(system, { snapshotEvery: 1.5 })).toThrow(/snapshotEvery/);
    expect(() => new JournalRememberEntitiesStore(system, { timeoutMs: 0 })).toThrow(/timeoutMs/);
    expect(() => new JournalRememberEntitiesStore(system, { journalId: '' })).toThrow(/journalId/);
  });
});
