import { Actor, ActorRef, ActorSystem, type DeadLetter, silentLogger } from '@troupe/core';
import { sendSystemMessage } from '@troupe/core/spi';
import { ManualClock, TestProbe, awaitCondition } from '@troupe/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { EntityRef, EntityTypeKey, type Member, type ShardRegionStats, type ShardingEvent, passivate } from '../src/index.js';
import { EntityRoutes } from '../src/sharding/entity-route.js';
import { RegionInlet } from '../src/sharding/region-inlet.js';
import type { RegionMessage } from '../src/sharding/region-protocol.js';
import { ShardAllocation } from '../src/sharding/shard-allocation.js';
import { shardIdOf } from '../src/sharding/shard-id.js';
import { ShardRegion } from '../src/sharding/shard-region.js';
import { type EntityTypeOptions, resolveEntityTypeSettings } from '../src/sharding/sharding-settings.js';

// An EntityRef tells an entity that is active on its own node directly, skipping the
// region, while the region says that keeps order (EntityRoute). These tests hold the
// direct way to the region's guarantees: order per sender, passivation, handoff and
// idle timing. Regions run in one actor system with views set by the test.
const A = 'troupe://t@127.0.0.1:1#a';
const B = 'troupe://t@127.0.0.1:2#b';
const up = (address: string, status: Member['status'] = 'up'): Member => ({ address, status, upNumber: address === A ? 1 : 2, roles: [] });
const SHARDS = 10;

type Reply = { id: string; node: string; incarnation: number; count: number };
type Msg = { type: 'hello'; replyTo: ActorRef<Reply> } | { type: 'seq'; n: number } | { type: 'seqs'; replyTo: ActorRef<number[]> } | { type: 'sleep'; then: () => void } | { type: 'stop' };

const incarnations = new Map<string, number>();

class Greeter extends Actor<Msg> {
  private count = 0;
  private readonly seqs: number[] = [];
  private readonly incarnation: number;
  constructor(
    private readonly id: string,
    private readonly node: string,
  ) {
    super();
    this.incarnation = (incarnations.get(id) ?? 0) + 1;
    incarnations.set(id, this.incarnation);
  }
  receive(msg: Msg): void {
    switch (msg.type) {
      case 'hello':
        msg.replyTo.tell({ id: this.id, node: this.node, incarnation: this.incarnation, count: ++this.count });
        return;
      case 'seq':
        this.seqs.push(msg.n);
        return;
      case 'seqs':
        msg.replyTo.tell(this.seqs);
        return;
      case 'sleep':
        passivate(this.context);
        msg.then();
        return;
      case 'stop':
        // Entities named "stubborn…" ignore it, so a handoff has to wait for handoffTimeoutMs.
        if (!this.id.startsWith('stubborn')) this.context.stop(this.context.self);
    }
  }
}

let system: ActorSystem | undefined;
afterEach(async () => {
  await system?.terminate();
  system = undefined;
  incarnations.clear();
});

/** Regions for A and B (B only when `viewB` is given), each with its own routes, and EntityRefs of A that share A's. */
function regions(viewA: Member[], viewB?: Member[], options: Partial<EntityTypeOptions<Msg>> = {}, clock = new ManualClock()) {
  const sys = ActorSystem.create({ name: 't', logger: silentLogger, clock });
  system = sys;
  const events: ShardingEvent[] = [];
  const refs = new Map<string, ActorRef<RegionMessage>>();
  /** What the transport hands another node's messages to (the region's inlet), by node. */
  const inlets = new Map<string, RegionInlet>();
  const routesA = new EntityRoutes();
  const routesB = new EntityRoutes();
  const start = (node: string, view: Member[], routes: EntityRoutes) => {
    const settings = resolveEntityTypeSettings<Msg>({ typeKey: EntityTypeKey.of<Msg>('g'), create: (id) => new Greeter(id, node), numberOfShards: SHARDS, retryIntervalMs: 50, ...options });
    const host = {
      selfAddress: node,
      regionOn: (n: string) => inlets.get(n) as ActorRef<RegionMessage>,
      entityOn: (n: string, entityId: string, shard: number) => new EntityPath(sys, inlets.get(n) as RegionInlet, entityId, shard),
      publish: (e: ShardingEvent) => events.push(e),
      members: () => view,
    };
    const ref = sys.spawn(() => new ShardRegion(settings as never, host, routes), { name: node === A ? 'region-a' : 'region-b' });
    refs.set(node, ref);
    inlets.set(node, new RegionInlet(ref, routes, SHARDS));
    return ref;
  };
  const regionA = start(A, viewA, routesA);
  const regionB = viewB === undefined ? undefined : start(B, viewB, routesB);
  const probe = TestProbe.create<Reply>(sys, { timeoutMs: 3000 });
  /** A fresh EntityRef on A each time, as application code that calls `entityRefFor` per message gets. */
  const ref = (id: string) => new EntityRef<Msg>('g', id, shardIdOf(id, SHARDS), regionA, SHARDS, routesA);
  const hello = (id: string) => ref(id).tell({ type: 'hello', replyTo: probe.ref });
  const stats = (region: ActorRef<RegionMessage>) => region.ask<ShardRegionStats>((replyTo) => ({ t: 'sh-stats', replyTo }));
  return { sys, clock, regionA, regionB, routesA, routesB, inlets, probe, ref, hello, events, stats };
}

/**
 * An entity's path on another node (`entityInletPath`) as an `EntityRef` sends to it: each
 * message is resolved through the region's inlet on arrival, as the transport does once
 * per frame (here every message is a frame of its own).
 */
class EntityPath extends ActorRef<unknown> {
  constructor(
    readonly system: ActorSystem,
    private readonly inlet: RegionInlet,
    private readonly entityId: string,
    private readonly shard: number,
  ) {
    super();
  }
  get path(): string {
    return `${this.inlet.path}/$e/${SHARDS}/${this.shard}/${this.entityId}`;
  }
  tell(message: unknown): void {
    this.inlet.entity(this.entityId, this.shard, SHARDS).tell(message);
  }
  [sendSystemMessage](): void {}
}

/** An id starting with `prefix` whose shard A owns when A and B are both Up. */
function ownedByA(prefix: string): string {
  const both = ShardAllocation.of([up(A), up(B)], undefined);
  for (let i = 0; ; i++) if (both.ownerOf(shardIdOf(`${prefix}-${i}`, SHARDS)) === A) return `${prefix}-${i}`;
}

/** An id starting with `prefix` whose shard B owns when A and B are both Up. */
function ownedByB(prefix: string): string {
  const both = ShardAllocation.of([up(A), up(B)], undefined);
  for (let i = 0; ; i++) if (both.ownerOf(shardIdOf(`${prefix}-${i}`, SHARDS)) === B) return `${prefix}-${i}`;
}

describe('EntityRef straight to an active local entity (EntityRoute)', () => {
  it('tells an active entity directly once the region has delivered to it, and not before', async () => {
    const { routesA, hello, probe } = regions([up(A)]);
    expect(routesA.get('a')).toBeUndefined();
    hello('a');
    expect(await probe.expectMessage()).toMatchObject({ node: A, incarnation: 1, count: 1 });
    expect(routesA.get('a')?.target?.path).toMatch(/region-a\/id-a$/);
    hello('a');
    expect(await probe.expectMessage()).toMatchObject({ incarnation: 1, count: 2 });
  });

  it('keeps the order of one sender across the switch from the region to the direct way, whichever EntityRef of the id it uses', async () => {
    const { ref } = regions([up(A)]);
    const total = 60_000;
    let n = 0;
    // Batches on separate turns: the region is still working through earlier ones (more than a time slice of messages) when the direct way opens.
    for (let batch = 0; n < total; batch++) {
      const target = ref('ordered');
      for (let i = 0; i < 3000; i++) target.tell({ type: 'seq', n: n++ });
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    const seqs = await ref('ordered').ask<number[]>((replyTo) => ({ type: 'seqs', replyTo }), { timeoutMs: 10_000 });
    expect(seqs.length).toBe(total);
    const firstOutOfOrder = seqs.findIndex((value, i) => value !== i);
    expect(firstOutOfOrder).toBe(-1);
  });

  it('sends what is told right after the entity asked for passivation to its next incarnation, not to the stopping one', async () => {
    const { ref, hello, probe, events } = regions([up(A)]);
    hello('p');
    expect(await probe.expectMessage()).toMatchObject({ incarnation: 1, count: 1 });
    // Told inside the entity's turn, right after passivate(): the region has not seen the request yet.
    ref('p').tell({ type: 'sleep', then: () => hello('p') });
    expect(await probe.expectMessage()).toMatchObject({ incarnation: 2, count: 1 });
    expect(events.filter((e) => e.type === 'entity-passivated')).toHaveLength(1);
  });

  it('sends what is told after a handoff began to the new owner, not to the entity still stopping here', async () => {
    const id = ownedByA('stubborn');
    const { clock, regionA, regionB, hello, probe, events } = regions([up(A), up(B)], [up(A), up(B)], { stopMessage: { type: 'stop' } });
    hello(id);
    expect(await probe.expectMessage()).toMatchObject({ node: A, count: 1 });
    hello(id);
    expect(await probe.expectMessage()).toMatchObject({ node: A, count: 2 });
    regionA.tell({ t: 'sh-members', members: [up(A, 'leaving'), up(B)] });
    await awaitCondition(() => events.some((e) => e.type === 'shard-handoff-started'), { timeoutMs: 3000 });
    // The entity here ignores the stop message and keeps running: it must not get this one.
    hello(id);
    await probe.expectNoMessage(200);
    regionB?.tell({ t: 'sh-members', members: [up(A, 'leaving'), up(B)] });
    clock.advance(10_000);
    await awaitCondition(
      () => {
        clock.advance(50);
        return events.some((e) => e.type === 'shard-handed-off');
      },
      { timeoutMs: 3000 },
    );
    let reply: Reply | undefined;
    await awaitCondition(
      async () => {
        clock.advance(50);
        reply = await probe.expectMessage(undefined, 20).catch(() => undefined);
        return reply !== undefined;
      },
      { timeoutMs: 5000 },
    );
    expect(reply).toMatchObject({ node: B, incarnation: 2, count: 1 });
  });

  it('counts messages told directly as activity: an entity that keeps receiving them is not passivated as idle', async () => {
    const { clock, regionA, hello, probe, events, stats } = regions([up(A)], undefined, { passivation: { idleTimeoutMs: 3000 }, retryIntervalMs: 1000 });
    hello('busy');
    expect(await probe.expectMessage()).toMatchObject({ incarnation: 1, count: 1 });
    for (let second = 1; second <= 8; second++) {
      clock.advance(1000);
      // The tick is in the region's mailbox before this ask, so it has run when the answer comes.
      await stats(regionA);
      hello('busy');
      expect(await probe.expectMessage()).toMatchObject({ incarnation: 1, count: second + 1 });
    }
    expect(events.filter((e) => e.type === 'entity-passivated')).toEqual([]);
    // Once the messages stop, idleness is counted from the last one.
    for (let second = 0; second < 6; second++) {
      clock.advance(1000);
      await stats(regionA);
    }
    expect(events.filter((e) => e.type === 'entity-passivated').map((e) => (e as { entityId: string }).entityId)).toEqual(['busy']);
  });

  it('sends to the owning region directly once this region has forwarded there, keeping the order of one sender', async () => {
    const id = ownedByB('remote');
    const { ref, routesA, routesB, regionB } = regions([up(A), up(B)], [up(A), up(B)]);
    const total = 60_000;
    let n = 0;
    while (n < total) {
      const target = ref(id);
      for (let i = 0; i < 3000; i++) target.tell({ type: 'seq', n: n++ });
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    expect(routesA.get(id)?.remote?.path).toBe(`${regionB?.path}/$e/${SHARDS}/${shardIdOf(id, SHARDS)}/${id}`);
    const seqs = await ref(id).ask<number[]>((replyTo) => ({ type: 'seqs', replyTo }), { timeoutMs: 10_000 });
    expect(seqs.length).toBe(total);
    expect(seqs.findIndex((value, i) => value !== i)).toBe(-1);
    // On B, the inlet has switched from B's region to the entity itself on the way.
    expect(routesB.get(id)?.target?.path).toMatch(/region-b\/id-remote-\d+$/);
    expect(routesB.get(id)?.viaRegion).toBe(0);
  });

  it('delivers a message on the entity path that arrives while the owner hands the shard off at the new owner, not to the entity still stopping', async () => {
    const id = ownedByB('stubborn');
    const { clock, ref, regionA, regionB, routesA, routesB, probe, events } = regions([up(A), up(B)], [up(A), up(B)], { stopMessage: { type: 'stop' } });
    ref(id).tell({ type: 'hello', replyTo: probe.ref });
    expect(await probe.expectMessage()).toMatchObject({ node: B, incarnation: 1, count: 1 });
    ref(id).tell({ type: 'hello', replyTo: probe.ref });
    expect(await probe.expectMessage()).toMatchObject({ node: B, incarnation: 1, count: 2 });
    expect(routesB.get(id)?.target).toBeDefined();
    // B leaves in B's view only: A still sends on the entity path.
    regionB?.tell({ t: 'sh-members', members: [up(A), up(B, 'leaving')] });
    await awaitCondition(() => events.some((e) => e.type === 'shard-handoff-started' && e.node === B), { timeoutMs: 3000 });
    ref(id).tell({ type: 'hello', replyTo: probe.ref });
    expect(routesA.get(id)?.viaRegion).toBe(0);
    // The entity on B ignores the stop message and keeps running: it must not get this one.
    await probe.expectNoMessage(200);
    regionA.tell({ t: 'sh-members', members: [up(A), up(B, 'leaving')] });
    clock.advance(10_000);
    let reply: Reply | undefined;
    await awaitCondition(
      async () => {
        clock.advance(50);
        reply = await probe.expectMessage(undefined, 20).catch(() => undefined);
        return reply !== undefined;
      },
      { timeoutMs: 5000 },
    );
    expect(reply).toMatchObject({ node: A, incarnation: 2, count: 1 });
  });

  it("keeps the order of another node's messages on the entity path across the inlet's switch from the region to the entity", async () => {
    const { inlets, routesA, ref } = regions([up(A)]);
    const id = 'inbound';
    const total = 60_000;
    let n = 0;
    // As the transport delivers frames: one inlet per frame, frames on separate turns, while the region still works through earlier ones.
    while (n < total) {
      const inlet = inlets.get(A)?.entity(id, shardIdOf(id, SHARDS), SHARDS);
      for (let i = 0; i < 3000; i++) inlet?.tell({ type: 'seq', n: n++ });
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    const seqs = await ref(id).ask<number[]>((replyTo) => ({ type: 'seqs', replyTo }), { timeoutMs: 10_000 });
    expect(seqs.length).toBe(total);
    expect(seqs.findIndex((value, i) => value !== i)).toBe(-1);
    expect(routesA.get(id)?.target).toBeDefined();
  });

  it('refuses messages on the entity path from a node with another shard count as dead letters, and never delivers them directly', async () => {
    const { sys, inlets, routesA, probe } = regions([up(A)]);
    const dead: DeadLetter[] = [];
    sys.eventStream.subscribe('dead-letter', (d) => dead.push(d));
    const shard = shardIdOf('w', SHARDS);
    inlets.get(A)?.entity('w', shard, SHARDS).tell({ type: 'hello', replyTo: probe.ref });
    expect(await probe.expectMessage()).toMatchObject({ id: 'w', node: A, count: 1 });
    expect(routesA.get('w')?.target).toBeDefined();
    inlets
      .get(A)
      ?.entity('w', shard, SHARDS + 1)
      .tell({ type: 'hello', replyTo: probe.ref });
    await awaitCondition(() => dead.length === 1, { timeoutMs: 3000 });
    expect(dead[0]?.reason).toBe('sharding-shard-count-mismatch');
    await probe.expectNoMessage(100);
  });

  it('stops sending straight to the owning region the moment a membership change is announced, before the region has seen it', async () => {
    const id = ownedByB('moved');
    const { ref, routesA, probe } = regions([up(A), up(B)], [up(A), up(B)]);
    ref(id).tell({ type: 'hello', replyTo: probe.ref });
    expect(await probe.expectMessage()).toMatchObject({ node: B, count: 1 });
    const route = routesA.get(id);
    expect(route?.remote).toBeDefined();
    ref(id).tell({ type: 'hello', replyTo: probe.ref });
    expect(route?.viaRegion).toBe(0);
    expect(await probe.expectMessage()).toMatchObject({ node: B, count: 2 });
    // What ClusterSharding does on a cluster event, before telling the region.
    routesA.viewChanged();
    ref(id).tell({ type: 'hello', replyTo: probe.ref });
    expect(route?.viaRegion).toBe(1);
    expect(await probe.expectMessage()).toMatchObject({ node: B, count: 3 });
  });

  it('delivers a compact message from another node (sh-d) and refuses one with another shard count as a dead letter', async () => {
    const { sys, regionA, probe } = regions([up(A)]);
    const dead: DeadLetter[] = [];
    sys.eventStream.subscribe('dead-letter', (d) => dead.push(d));
    regionA.tell({ t: 'sh-d', e: 'w', s: shardIdOf('w', SHARDS), m: { type: 'hello', replyTo: probe.ref }, h: 1, n: SHARDS, o: B });
    expect(await probe.expectMessage()).toMatchObject({ id: 'w', node: A, count: 1 });
    regionA.tell({ t: 'sh-d', e: 'w', s: shardIdOf('w', SHARDS), m: { type: 'hello', replyTo: probe.ref }, h: 1, n: SHARDS + 1 });
    await awaitCondition(() => dead.length === 1, { timeoutMs: 3000 });
    expect(dead[0]?.reason).toBe('sharding-shard-count-mismatch');
  });

  it('forgets the route of an entity that stopped and nothing is in flight for, so routes stay bounded by the active entities', async () => {
    const { clock, regionA, routesA, hello, probe, stats } = regions([up(A)], undefined, { passivation: { maxActiveEntities: 5 }, retryIntervalMs: 1000 });
    for (let i = 0; i < 20; i++) {
      hello(`e${i}`);
      await probe.expectMessage();
    }
    await awaitCondition(async () => (await stats(regionA)).entities === 5, { timeoutMs: 3000 });
    // Retired on the region's next tick (so a route to an entity elsewhere is not remade per message).
    clock.advance(1000);
    await stats(regionA);
    expect(routesA.size).toBe(5);
  });
});
