import { ActorSystem, silentLogger } from '@troupe/core';
import { TestProbe, awaitCondition } from '@troupe/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { InMemoryJournal, InMemorySnapshotStore, type Journal, Persistence, PersistencePlugins, PluginNotFoundError } from '../src/index.js';
import { Counter, type Note, type Reply } from './fixtures/counter-actor.js';

let system: ActorSystem;
afterEach(async () => {
  await system?.terminate();
});

describe('Persistence', () => {
  it('lets each actor choose among several journals and snapshot stores by id', async () => {
    system = ActorSystem.create({ name: 'multi', logger: silentLogger });
    const main = new InMemoryJournal();
    const audit = new InMemoryJournal();
    const fastSnapshots = new InMemorySnapshotStore();
    Persistence.configure(system, {
      journals: { default: main, audit },
      snapshotStores: { default: new InMemorySnapshotStore(), fast: fastSnapshots },
    });
    const probe = TestProbe.create<Reply>(system);
    system.spawn(() => new Counter('m-1'), { name: 'a' }).tell({ type: 'add', n: 1, replyTo: probe.ref });
    const auditor = system.spawn(() => new Counter('m-2', { journalId: 'audit', snapshotStoreId: 'fast' }), { name: 'b' });
    auditor.tell({ type: 'add', n: 2, replyTo: probe.ref });
    auditor.tell({ type: 'snapshot', replyTo: probe.ref });
    await probe.receiveN(3);
    expect(await main.readHighestSequenceNr('m-1')).toBe(1);
    expect(await main.readHighestSequenceNr('m-2')).toBe(0);
    expect(await audit.readHighestSequenceNr('m-2')).toBe(1);
    expect((await fastSnapshots.loadSnapshot('m-2', { maxSequenceNr: Infinity, maxTimestamp: Infinity, minSequenceNr: 0, minTimestamp: 0 }))?.sequenceNr).toBe(1);
  });

  it('creates plugins registered by name with their options, once per system', async () => {
    system = ActorSystem.create({ name: 'named', logger: silentLogger });
    const created: unknown[] = [];
    PersistencePlugins.registerJournal('test-counting', (options) => {
      created.push(options);
      return new InMemoryJournal();
    });
    Persistence.configure(system, { snapshotStores: { default: new InMemorySnapshotStore() }, journals: { default: { plugin: 'test-counting', options: { region: 'eu' } } } });
    const probe = TestProbe.create<Reply>(system);
    system.spawn(() => new Counter('n-1'), { name: 'a' }).tell({ type: 'add', n: 1, replyTo: probe.ref });
    system.spawn(() => new Counter('n-2'), { name: 'b' }).tell({ type: 'add', n: 1, replyTo: probe.ref });
    await probe.receiveN(2);
    expect(created).toEqual([{ region: 'eu' }]);
  });

  it('creates no snapshot store for actors that never take snapshots', async () => {
    system = ActorSystem.create({ name: 'lazy', logger: silentLogger });
    let created = 0;
    Persistence.configure(system, {
      journals: { default: new InMemoryJournal() },
      snapshotStores: { default: () => (created++, new InMemorySnapshotStore()) },
    });
    const probe = TestProbe.create<Reply>(system);
    system.spawn(() => new Counter('lazy-1', { snapshots: false }), { name: 'a' }).tell({ type: 'add', n: 1, replyTo: probe.ref });
    await probe.expectMessage({ ok: true, total: 1, seq: 1 });
    expect(created).toBe(0);
    system.spawn(() => new Counter('lazy-2'), { name: 'b' }).tell({ type: 'add', n: 1, replyTo: probe.ref });
    await probe.expectMessage({ ok: true, total: 1, seq: 1 });
    expect(created).toBe(1);
  });

  it('rejects settings naming an unknown plugin or default, naming the field', () => {
    system = ActorSystem.create({ name: 'bad', logger: silentLogger });
    expect(() => Persistence.configure(system, { snapshotStores: { default: new InMemorySnapshotStore() }, journals: { default: { plugin: 'no-such-plugin' } } })).toThrow(
      /journals\.default\.plugin "no-such-plugin"/,
    );
    expect(() => Persistence.configure(system, { snapshotStores: { default: new InMemorySnapshotStore() }, journals: { main: new InMemoryJournal() } })).toThrow(/defaultJournal "default"/);
  });

  it('refuses a second configuration of the same system', () => {
    system = ActorSystem.create({ name: 'twice', logger: silentLogger });
    Persistence.configure(system);
    expect(() => Persistence.configure(system)).toThrow(TypeError);
  });

  it('fails recovery of an actor naming an unknown journal with PluginNotFoundError', async () => {
    system = ActorSystem.create({ name: 'unknown', logger: silentLogger });
    Persistence.configure(system, { journals: { default: new InMemoryJournal() }, snapshotStores: { default: new InMemorySnapshotStore() } });
    await expect(Persistence.get(system).journalFor('nope')).rejects.toMatchObject({ code: 'ERR_PERSISTENCE_PLUGIN_NOT_FOUND' });
    await expect(Persistence.get(system).journalFor('nope')).rejects.toBeInstanceOf(PluginNotFoundError);
    const notes = TestProbe.create<Note>(system);
    const actor = system.spawn(() => new Counter('u-1', { journalId: 'nope', notes: notes.ref }), { name: 'u' });
    await notes.expectTerminated(actor);
  });

  it('closes every plugin it created when the system terminates', async () => {
    system = ActorSystem.create({ name: 'closing', logger: silentLogger });
    let closed = 0;
    const journal: Journal = Object.assign(new InMemoryJournal(), { close: async () => void closed++ });
    Persistence.configure(system, { snapshotStores: { default: new InMemorySnapshotStore() }, journals: { default: journal } });
    await Persistence.get(system).journalFor();
    await system.terminate();
    await awaitCondition(() => closed === 1, { message: 'journal closed' });
    await Persistence.get(system).close();
    expect(closed).toBe(1);
  });
});

describe('Persistence defaults', () => {
  it('uses the embedded SQLite journal and snapshot store when nothing is configured', async () => {
    const { existsSync, rmSync } = await import('node:fs');
    const { SqliteJournal, SqliteSnapshotStore } = await import('../src/index.js');
    const hadDataDir = existsSync('.troupe-data');
    system = ActorSystem.create({ name: 'defaults', logger: silentLogger });
    try {
      const { journal } = await Persistence.get(system).journalFor();
      expect(journal).toBeInstanceOf(SqliteJournal);
      expect((journal as InstanceType<typeof SqliteJournal>).options.path).toBe('.troupe-data/journal.db');
      expect(await Persistence.get(system).snapshotStoreFor()).toBeInstanceOf(SqliteSnapshotStore);
    } finally {
      await system.terminate();
      await Persistence.get(system).close();
      if (!hadDataDir) rmSync('.troupe-data', { recursive: true, force: true });
    }
  });
});
