import { Actor, type ActorRef, ActorSystem, type DeadLetter, silentLogger } from '@troupe/core';
import { ManualClock, TestProbe, awaitCondition } from '@troupe/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { EntityRef, type EntityTypeOptions, EntityTypeKey, type Member, type ShardRegionStats, type ShardingEvent, passivate } from '../src/index.js';
import type { RegionMessage } from '../src/sharding/region-protocol.js';
import { ShardRegion } from '../src/sharding/shard-region.js';
import { shardIdOf } from '../src/sharding/shard-id.js';
import { resolveEntityTypeSettings } from '../src/sharding/sharding-settings.js';

// One region in a plain actor system on a manual clock: the node is the only member,
// so every shard is acquired at once and time moves only when the test says so.
const ADDRESS = 'troupe://t@127.0.0.1:1#solo';
const SELF: Member = { address: ADDRESS, status: 'up', upNumber: 1, roles: [] };

type Msg = { type: 'hello'; replyTo: ActorRef<Hello> } | { type: 'sleep' } | { type: 'stop' };
type Hello = { id: string; incarnation: number; count: number };
const incarnations = new Map<string, number>();

class Greeter extends Actor<Msg> {
  private count = 0;
  private readonly incarnation: number;
  constructor(private readonly id: string) {
    super();
    this.incarnation = (incarnations.get(id) ?? 0) + 1;
    incarnations.set(id, this.incarnation);
  }
  receive(msg: Msg): void {
    if (msg.type === 'hello') msg.replyTo.tell({ id: this.id, incarnation: this.incarnation, count: ++this.count });
    else if (msg.type === 'sleep') passivate(this.context);
    else this.context.stop(this.context.self);
  }
}

const Type = EntityTypeKey.of<Msg>('greeter');
let system: ActorSystem | undefined;
afterEach(async () => {
  await system?.terminate();
  system = undefined;
  incarnations.clear();
});

function solo(options: Partial<EntityTypeOptions<Msg>> = {}, members: readonly Member[] = [SELF]) {
  const clock = new ManualClock();
  const sys = ActorSystem.create({ name: 't', address: ADDRESS, clock, logger: silentLogger });
  system = sys;
  const settings = resolveEntityTypeSettings<Msg>({ typeKey: Type, create: (id) => new Greeter(id), numberOfShards: 10, ...options });
  const events: ShardingEvent[] = [];
  const region = sys.spawn(
    () =>
      new ShardRegion(settings as never, {
        selfAddress: ADDRESS,
        regionOn: () => {
          throw new Error('a lone region has no peers');
        },
        entityOn: () => {
          throw new Error('a lone region has no peers');
        },
        publish: (event) => events.push(event),
        members: () => members,
      }),
    { name: 'troupe-sharding-greeter' },
  );
  const ref = (id: string) => new EntityRef<Msg>('greeter', id, shardIdOf(id, 10), region, 10);
  const probe = TestProbe.create<Hello>(sys);
  const hello = async (id: string) => {
    ref(id).tell({ type: 'hello', replyTo: probe.ref });
    return probe.expectMessage(undefined, 3000);
  };
  const stats = () => region.ask<ShardRegionStats>((replyTo) => ({ t: 'sh-stats', replyTo }) as RegionMessage);
  return { clock, region, ref, probe, hello, events, stats, sys };
}

describe('ShardRegion passivation (manual clock)', () => {
  it('stops an entity idle for idleTimeoutMs and starts a fresh one on its next message', async () => {
    const { clock, hello, events, stats } = solo({ passivation: { idleTimeoutMs: 5000 }, retryIntervalMs: 1000 });
    expect(await hello('a')).toEqual({ id: 'a', incarnation: 1, count: 1 });
    clock.advance(4000);
    expect(await hello('b')).toEqual({ id: 'b', incarnation: 1, count: 1 });
    // Idleness is checked on each retryIntervalMs tick and timed at tick granularity: 'a' goes by the tick at 6 s.
    clock.advance(2000);
    await awaitCondition(() => events.some((e) => e.type === 'entity-passivated'), { timeoutMs: 3000 });
    expect(events.filter((e) => e.type === 'entity-passivated')).toEqual([{ type: 'entity-passivated', typeName: 'greeter', entityId: 'a', node: ADDRESS, reason: 'idle' }]);
    await awaitCondition(async () => (await stats()).entities === 1, { timeoutMs: 3000 });
    expect(await hello('a')).toEqual({ id: 'a', incarnation: 2, count: 1 });
    expect(await hello('b')).toEqual({ id: 'b', incarnation: 1, count: 2 });
  });

  it('passivates the least recently used entities beyond maxActiveEntities', async () => {
    const { hello, events, stats } = solo({ passivation: { maxActiveEntities: 2 } });
    await hello('a');
    await hello('b');
    await hello('a');
    await hello('c');
    expect(events.filter((e) => e.type === 'entity-passivated').map((e) => (e as { entityId: string; reason: string }).entityId)).toEqual(['b']);
    expect(events.find((e) => e.type === 'entity-passivated')).toMatchObject({ reason: 'limit' });
    await awaitCondition(async () => (await stats()).entities === 2, { timeoutMs: 3000 });
    expect(await hello('a')).toMatchObject({ incarnation: 1, count: 3 });
  });

  it('passivates an entity that asks for it, holding its messages until it has stopped', async () => {
    const { ref, probe, events } = solo({ stopMessage: { type: 'stop' } });
    ref('a').tell({ type: 'hello', replyTo: probe.ref });
    ref('a').tell({ type: 'sleep' });
    // Already in the entity's mailbox when it asked: handled before the stop message, as in Akka.
    ref('a').tell({ type: 'hello', replyTo: probe.ref });
    expect((await probe.receiveN(2, 3000)).map((r) => [r.incarnation, r.count])).toEqual([
      [1, 1],
      [1, 2],
    ]);
    await awaitCondition(() => events.some((e) => e.type === 'entity-passivated'), { timeoutMs: 3000 });
    ref('a').tell({ type: 'hello', replyTo: probe.ref });
    ref('a').tell({ type: 'hello', replyTo: probe.ref });
    expect((await probe.receiveN(2, 3000)).map((r) => [r.incarnation, r.count])).toEqual([
      [2, 1],
      [2, 2],
    ]);
    expect(events.filter((e) => e.type === 'entity-passivated')).toEqual([{ type: 'entity-passivated', typeName: 'greeter', entityId: 'a', node: ADDRESS, reason: 'requested' }]);
  });
});

describe('ShardRegion buffering', () => {
  it('holds messages while no member can host the shard, delivers them in order once one can, and dead-letters those beyond bufferSize', async () => {
    const { region, ref, probe, sys, stats } = solo({ bufferSize: 3 }, [{ ...SELF, status: 'joining' }]);
    const dead: DeadLetter[] = [];
    sys.eventStream.subscribe('dead-letter', (d) => dead.push(d));
    for (let i = 0; i < 5; i++) ref(`e${i}`).tell({ type: 'hello', replyTo: probe.ref });
    await awaitCondition(() => dead.length === 2, { timeoutMs: 3000 });
    expect(dead.map((d) => d.reason)).toEqual(['sharding-buffer-full', 'sharding-buffer-full']);
    expect(dead.map((d) => d.recipient)).toEqual([`${region.path}/e3`, `${region.path}/e4`]);
    expect((await stats()).buffered).toBe(3);
    await probe.expectNoMessage(50);
    region.tell({ t: 'sh-members', members: [SELF] });
    const replies = await probe.receiveN(3, 3000);
    expect(replies.map((r) => r.id)).toEqual(['e0', 'e1', 'e2']);
    expect(await stats()).toMatchObject({ buffered: 0, entities: 3 });
  });

  it('refuses a message from a region with another shard count, as a dead letter and an event', async () => {
    const { region, probe, sys, events } = solo();
    const dead: DeadLetter[] = [];
    sys.eventStream.subscribe('dead-letter', (d) => dead.push(d));
    region.tell({ t: 'sh-deliver', entityId: 'x', shard: 1, message: { type: 'hello', replyTo: probe.ref }, hops: 1, n: 999 });
    await awaitCondition(() => dead.length === 1, { timeoutMs: 3000 });
    expect(dead[0]?.reason).toBe('sharding-shard-count-mismatch');
    expect(events).toContainEqual({ type: 'shard-count-mismatch', typeName: 'greeter', node: ADDRESS, other: 'a node', local: 10, remote: 999 });
    await probe.expectNoMessage(50);
  });

  it('drops a malformed message from another node and keeps its shards and entities', async () => {
    const { region, hello, stats } = solo();
    expect(await hello('a')).toMatchObject({ incarnation: 1, count: 1 });
    region.tell({ t: 'sh-acquire', entries: 5, from: region, n: 10 } as never);
    region.tell({ t: 'sh-acquire-reply', released: null, held: [], from: region, n: 10 } as never);
    expect(await hello('a')).toMatchObject({ incarnation: 1, count: 2 });
    expect(await stats()).toMatchObject({ entities: 1 });
  });
});
