import { Actor, type ActorRef, ActorSystem, silentLogger } from '@troupe/core';
import { InMemoryJournal, InMemorySnapshotStore, JournalRememberEntitiesStore, Persistence } from '@troupe/persistence';
import { TestProbe, awaitCondition } from '@troupe/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { Cluster, ClusterSharding, EntityTypeKey, SHARDING_TOPIC, type ShardingEvent, passivate } from '../src/index.js';
import { ShardAllocation } from '../src/sharding/shard-allocation.js';
import { fastOptions } from './fast-settings.js';

type Msg = { type: 'hello' } | { type: 'passivate' } | { type: 'quit' } | { type: 'stop' };
type Seen = { event: 'started' | 'stopped'; id: string; node: string };

/** Tells the probe whenever it starts or stops, so a start without any message is visible. */
class Announcer extends Actor<Msg> {
  constructor(
    private readonly id: string,
    private readonly node: string,
    private readonly probe: ActorRef<Seen>,
  ) {
    super();
  }
  override preStart(): void {
    this.probe.tell({ event: 'started', id: this.id, node: this.node });
  }
  override postStop(): void {
    this.probe.tell({ event: 'stopped', id: this.id, node: this.node });
  }
  receive(msg: Msg): void {
    if (msg.type === 'passivate') passivate(this.context);
    else if (msg.type === 'stop' || msg.type === 'quit') this.context.stop(this.context.self);
  }
}

const SHARDS = 10;
const started: Cluster[] = [];
let probeSystem: ActorSystem | undefined;
afterEach(async () => {
  await Promise.all(started.splice(0).map((c) => c.shutdown()));
  await probeSystem?.terminate();
  probeSystem = undefined;
});

let typeCounter = 0;

/** One node in this process whose remember-entities store is `journal`, shared by every node of the test. */
async function rememberingNode(type: EntityTypeKey<Msg>, journal: InMemoryJournal, probe: ActorRef<Seen>, seed?: Cluster, extra: { entityRestartBackoffMs?: number } = {}) {
  const cluster = await Cluster.start(fastOptions(seed === undefined ? {} : { seeds: [seed.hostPort] }));
  started.push(cluster);
  Persistence.configure(cluster.system, { journals: { default: journal }, snapshotStores: { default: new InMemorySnapshotStore() } });
  const sharding = ClusterSharding.get(cluster);
  sharding.init({
    typeKey: type,
    create: (id) => new Announcer(id, cluster.selfAddress, probe),
    numberOfShards: SHARDS,
    retryIntervalMs: 100,
    stopMessage: { type: 'stop' },
    rememberEntities: true,
    rememberEntitiesStore: new JournalRememberEntitiesStore(cluster.system, { snapshotEvery: 5 }),
    ...extra,
  });
  return { cluster, sharding };
}

function probeOf(): TestProbe<Seen> {
  probeSystem = ActorSystem.create({ name: 'probe', logger: silentLogger });
  return TestProbe.create<Seen>(probeSystem, { timeoutMs: 15_000 });
}

/** Collects what the probe hears until `done` holds. */
async function collect(probe: TestProbe<Seen>, seen: Seen[], done: () => boolean): Promise<void> {
  while (!done()) seen.push(await probe.expectMessage());
}

describe('ClusterSharding with rememberEntities (nodes in one process, one in-memory journal)', () => {
  it('starts the remembered entities of a shard that moved on its new node without any message; passivated ones stay stopped', async () => {
    const type = EntityTypeKey.of<Msg>(`remember-${process.pid}-${typeCounter++}`);
    const journal = new InMemoryJournal();
    const probe = probeOf();
    const a = await rememberingNode(type, journal, probe.ref);
    await a.cluster.whenUp;
    const ids = Array.from({ length: 40 }, (_, i) => `e-${i}`);
    const seen: Seen[] = [];
    for (const id of ids) a.sharding.entityRefFor(type, id).tell({ type: 'hello' });
    await collect(probe, seen, () => seen.filter((s) => s.event === 'started').length === ids.length);
    // Every fourth entity asks to be passivated: it stops, and is no longer remembered.
    const passivated = ids.filter((_, i) => i % 4 === 0);
    for (const id of passivated) a.sharding.entityRefFor(type, id).tell({ type: 'passivate' });
    await collect(probe, seen, () => seen.filter((s) => s.event === 'stopped').length === passivated.length);
    expect(
      seen
        .filter((s) => s.event === 'stopped')
        .map((s) => s.id)
        .sort(),
    ).toEqual([...passivated].sort());

    seen.length = 0;
    const events: ShardingEvent[] = [];
    const b = await rememberingNode(type, journal, probe.ref, a.cluster);
    b.cluster.system.eventStream.subscribe(SHARDING_TOPIC, (e) => events.push(e as ShardingEvent));
    await awaitCondition(() => [a, b].every((n) => n.cluster.state.members.length === 2 && n.cluster.state.members.every((m) => m.status === 'up')), { timeoutMs: 10_000 });
    const allocation = ShardAllocation.of(b.cluster.state.members, undefined);
    const ownedByB = new Set(Array.from({ length: SHARDS }, (_, s) => s).filter((s) => allocation.ownerOf(s) === b.cluster.selfAddress));
    expect(ownedByB.size).toBeGreaterThan(0);
    const movers = ids.filter((id) => ownedByB.has(b.sharding.shardIdOf(type, id)));
    const rememberedMovers = movers.filter((id) => !passivated.includes(id));
    expect(rememberedMovers.length).toBeGreaterThan(0);
    // No message is sent to any entity from here on: B must start the movers by itself.
    await collect(probe, seen, () => rememberedMovers.every((id) => seen.some((s) => s.event === 'started' && s.id === id && s.node === b.cluster.selfAddress)));
    // Every shard B owns has started (each started its remembered entities in the same step).
    await awaitCondition(() => [...ownedByB].every((s) => events.some((e) => e.type === 'shard-started' && e.shard === s)), { timeoutMs: 10_000 });
    const startedOnB = seen.filter((s) => s.event === 'started' && s.node === b.cluster.selfAddress).map((s) => s.id);
    expect(startedOnB.filter((id) => passivated.includes(id))).toEqual([]);
    expect(new Set(startedOnB)).toEqual(new Set(rememberedMovers));
    expect((await b.sharding.stats(type)).entities).toBe(rememberedMovers.length);
    // The movers were stopped on A by the handoff; the others still run there.
    const stillOnA = ids.filter((id) => !movers.includes(id) && !passivated.includes(id));
    await awaitCondition(async () => (await a.sharding.stats(type)).entities === stillOnA.length, { timeoutMs: 10_000 });
  });

  it('starts every remembered entity again when the whole cluster restarts', async () => {
    const type = EntityTypeKey.of<Msg>(`remember-${process.pid}-${typeCounter++}`);
    const journal = new InMemoryJournal();
    const probe = probeOf();
    const first = await rememberingNode(type, journal, probe.ref);
    await first.cluster.whenUp;
    const ids = ['a', 'b', 'c', 'd', 'e'];
    const seen: Seen[] = [];
    for (const id of ids) first.sharding.entityRefFor(type, id).tell({ type: 'hello' });
    await collect(probe, seen, () => seen.filter((s) => s.event === 'started').length === ids.length);
    first.sharding.entityRefFor(type, 'c').tell({ type: 'passivate' });
    await collect(probe, seen, () => seen.some((s) => s.event === 'stopped' && s.id === 'c'));
    // The passivation is stored once the store's writer has written it; shutting down
    // the node stops every entity without storing anything more.
    await awaitCondition(async () => (await first.sharding.stats(type)).entities === ids.length - 1, { timeoutMs: 5000 });
    await awaitCondition(async () => (await remembered(journal, type.name)).length === ids.length - 1, { timeoutMs: 5000 });
    await first.cluster.shutdown();
    started.splice(started.indexOf(first.cluster), 1);

    seen.length = 0;
    const second = await rememberingNode(type, journal, probe.ref);
    await collect(probe, seen, () => seen.filter((s) => s.event === 'started').length === ids.length - 1);
    expect(
      seen
        .filter((s) => s.event === 'started')
        .map((s) => s.id)
        .sort(),
    ).toEqual(['a', 'b', 'd', 'e']);
    expect(seen.filter((s) => s.event === 'started').every((s) => s.node === second.cluster.selfAddress)).toBe(true);
  });

  it('starts a remembered entity that stopped by itself again after entityRestartBackoffMs, as Akka does', async () => {
    const type = EntityTypeKey.of<Msg>(`remember-${process.pid}-${typeCounter++}`);
    const probe = probeOf();
    const node = await rememberingNode(type, new InMemoryJournal(), probe.ref, undefined, { entityRestartBackoffMs: 200 });
    await node.cluster.whenUp;
    node.sharding.entityRefFor(type, 'x').tell({ type: 'hello' });
    expect(await probe.expectMessage()).toMatchObject({ event: 'started', id: 'x' });
    node.sharding.entityRefFor(type, 'x').tell({ type: 'quit' });
    expect(await probe.expectMessage()).toMatchObject({ event: 'stopped', id: 'x' });
    expect(await probe.expectMessage()).toMatchObject({ event: 'started', id: 'x' });
  });

  it('refuses rememberEntities without a store, and a store without rememberEntities, naming the field', async () => {
    const cluster = await Cluster.start(fastOptions());
    started.push(cluster);
    const sharding = ClusterSharding.get(cluster);
    const type = EntityTypeKey.of<Msg>(`remember-${process.pid}-${typeCounter++}`);
    const create = (id: string) => new Announcer(id, '', cluster.system.deadLetters);
    expect(() => sharding.init({ typeKey: type, create, rememberEntities: true })).toThrow(/rememberEntitiesStore is required when rememberEntities is true/);
    const store = new JournalRememberEntitiesStore(cluster.system);
    expect(() => sharding.init({ typeKey: type, create, rememberEntitiesStore: store })).toThrow(/rememberEntitiesStore is set but rememberEntities is not true/);
    expect(() => sharding.init({ typeKey: type, create, rememberEntities: 'yes' as never, rememberEntitiesStore: store })).toThrow(/rememberEntities must be a boolean/);
    expect(() => sharding.init({ typeKey: type, create, rememberEntities: true, rememberEntitiesStore: {} as never })).toThrow(/rememberEntitiesStore must be a RememberEntitiesStore/);
    expect(() => sharding.init({ typeKey: type, create, rememberEntities: true, rememberEntitiesStore: store, entityRestartBackoffMs: 0 })).toThrow(/entityRestartBackoffMs/);
    expect(() => new JournalRememberEntitiesStore(cluster.system, { snapshotEvery: 0 })).toThrow(/snapshotEvery/);
  });
});

/** The ids the journal holds as active for every shard of `typeName` (replaying the shard stores). */
async function remembered(journal: InMemoryJournal, typeName: string): Promise<string[]> {
  const active = new Set<string>();
  for (let shard = 0; shard < SHARDS; shard++) {
    for await (const page of journal.replayMessages(JournalRememberEntitiesStore.persistenceIdOf(typeName, shard), { fromSequenceNr: 1, toSequenceNr: Infinity, max: Infinity })) {
      for (const repr of page) {
        const event = JSON.parse(Buffer.from(repr.payload).toString('utf8')) as { type: string; ids: string[] };
        for (const id of event.ids) {
          if (event.type === 'entities-started') active.add(id);
          else active.delete(id);
        }
      }
    }
  }
  return [...active];
}
