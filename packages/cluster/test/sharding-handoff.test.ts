import { Actor, type ActorRef, ActorSystem, silentLogger } from '@troupe/core';
import { ManualClock, TestProbe, awaitCondition } from '@troupe/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { EntityRef, EntityTypeKey, type Member, type ShardRegionStats, type ShardingEvent } from '../src/index.js';
import { EntityRoutes } from '../src/sharding/entity-route.js';
import { RegionInlet } from '../src/sharding/region-inlet.js';
import type { RegionMessage } from '../src/sharding/region-protocol.js';
import { ShardAllocation } from '../src/sharding/shard-allocation.js';
import { shardIdOf } from '../src/sharding/shard-id.js';
import { ShardRegion } from '../src/sharding/shard-region.js';
import { resolveEntityTypeSettings } from '../src/sharding/sharding-settings.js';

// Two regions standing for two nodes, A and B, in one actor system, each fed its own
// membership view: the test makes the views disagree on purpose, as they do while
// gossip converges, and checks that an entity never runs in both.
const A = 'troupe://t@127.0.0.1:1#a';
const B = 'troupe://t@127.0.0.1:2#b';
const up = (address: string, status: Member['status'] = 'up'): Member => ({ address, status, upNumber: address === A ? 1 : 2, roles: [] });
const SHARDS = 10;

type Msg = { type: 'hello'; replyTo: ActorRef<Hello> } | { type: 'stop' };
type Hello = { id: string; node: string; count: number };
const running = new Map<string, string>();
const doubles: string[] = [];

class Greeter extends Actor<Msg> {
  private count = 0;
  constructor(
    private readonly id: string,
    private readonly node: string,
  ) {
    super();
  }
  override preStart(): void {
    if (running.has(this.id)) doubles.push(`${this.id} on ${running.get(this.id)} and ${this.node}`);
    running.set(this.id, this.node);
  }
  override postStop(): void {
    running.delete(this.id);
  }
  receive(msg: Msg): void {
    if (msg.type === 'stop') {
      if (!this.id.startsWith('stubborn')) this.context.stop(this.context.self);
    } else msg.replyTo.tell({ id: this.id, node: this.node, count: ++this.count });
  }
}

let system: ActorSystem | undefined;
afterEach(async () => {
  await system?.terminate();
  system = undefined;
  running.clear();
  doubles.length = 0;
});

function twoRegions(viewA: Member[], viewB: Member[], clock?: ManualClock) {
  const sys = ActorSystem.create({ name: 't', logger: silentLogger, ...(clock === undefined ? {} : { clock }) });
  system = sys;
  const events: ShardingEvent[] = [];
  const regions = new Map<string, ActorRef<RegionMessage>>();
  /** What the transport hands another node's messages to (the region's inlet), by node. */
  const inlets = new Map<string, RegionInlet>();
  const start = (node: string, view: Member[]) => {
    const settings = resolveEntityTypeSettings<Msg>({
      typeKey: EntityTypeKey.of<Msg>('g'),
      create: (id) => new Greeter(id, node),
      numberOfShards: SHARDS,
      retryIntervalMs: 50,
      stopMessage: { type: 'stop' },
    });
    const routes = new EntityRoutes();
    const host = {
      selfAddress: node,
      regionOn: (n: string) => inlets.get(n) as ActorRef<RegionMessage>,
      entityOn: (n: string, entityId: string, shard: number) => (inlets.get(n) as RegionInlet).entity(entityId, shard, SHARDS),
      publish: (e: ShardingEvent) => events.push(e),
      members: () => view,
    };
    const ref = sys.spawn(() => new ShardRegion(settings as never, host, routes), { name: node === A ? 'region-a' : 'region-b' });
    regions.set(node, ref);
    inlets.set(node, new RegionInlet(ref, routes, SHARDS));
    return ref;
  };
  const regionA = start(A, viewA);
  const regionB = start(B, viewB);
  const probe = TestProbe.create<Hello>(sys, { timeoutMs: 3000 });
  const hello = (region: ActorRef<RegionMessage>, id: string) => new EntityRef<Msg>('g', id, shardIdOf(id, SHARDS), region, SHARDS).tell({ type: 'hello', replyTo: probe.ref });
  const stats = (region: ActorRef<RegionMessage>) => region.ask<ShardRegionStats>((replyTo) => ({ t: 'sh-stats', replyTo }));
  return { regionA, regionB, probe, hello, events, stats };
}

/** An entity id whose shard A owns when both are Up. */
function idOwnedByA(): string {
  const both = ShardAllocation.of([up(A), up(B)], undefined);
  for (let i = 0; ; i++) if (both.ownerOf(shardIdOf(`e${i}`, SHARDS)) === A) return `e${i}`;
}

describe('ShardRegion acquire rounds and handoff (two regions, views set by the test)', () => {
  it('does not start a shard another region still holds, however sure its own view is, and delivers there once the views agree', async () => {
    const id = idOwnedByA();
    // B believes A is still Joining, so B owns every shard in its view.
    const { regionA, regionB, probe, hello, stats } = twoRegions([up(A), up(B)], [up(A, 'joining'), up(B)]);
    hello(regionA, id);
    expect(await probe.expectMessage()).toEqual({ id, node: A, count: 1 });
    hello(regionB, id);
    await awaitCondition(async () => (await stats(regionB)).acquiring === 1, { timeoutMs: 3000 });
    // B keeps asking A, which keeps holding the shard: B's message waits, and no second entity starts.
    await probe.expectNoMessage(300);
    expect((await stats(regionB)).entities).toBe(0);
    regionB.tell({ t: 'sh-members', members: [up(A), up(B)] });
    expect(await probe.expectMessage()).toEqual({ id, node: A, count: 2 });
    expect(doubles).toEqual([]);
  });

  it('hands a shard off when its view moves it: the entity stops first, messages meanwhile follow it, and the new region starts it after the release', async () => {
    const id = idOwnedByA();
    const { regionA, regionB, probe, hello, events } = twoRegions([up(A), up(B)], [up(A), up(B)]);
    hello(regionA, id);
    expect(await probe.expectMessage()).toEqual({ id, node: A, count: 1 });
    // A learns first that it is leaving; B still thinks A is Up and owns the shard.
    regionA.tell({ t: 'sh-members', members: [up(A, 'leaving'), up(B)] });
    hello(regionA, id);
    hello(regionB, id);
    await awaitCondition(() => events.some((e) => e.type === 'shard-handed-off'), { timeoutMs: 3000 });
    await probe.expectNoMessage(200);
    regionB.tell({ t: 'sh-members', members: [up(A, 'leaving'), up(B)] });
    const replies = await probe.receiveN(2);
    // State is not carried over (the entity is not persistent): B's entity starts afresh.
    expect(replies).toEqual([
      { id, node: B, count: 1 },
      { id, node: B, count: 2 },
    ]);
    expect(events.filter((e) => e.type !== 'shard-started').map((e) => e.type)).toEqual(['shard-handoff-started', 'shard-handed-off']);
    expect(doubles).toEqual([]);
  });

  it("gives a Down member's shards to the survivor without waiting for it", async () => {
    const id = idOwnedByA();
    const { regionB, probe, hello } = twoRegions([], [up(A, 'down'), up(B)]);
    hello(regionB, id);
    expect(await probe.expectMessage()).toEqual({ id, node: B, count: 1 });
  });

  it('stops an entity that ignores the stop message once handoffTimeoutMs has passed, then completes the handoff', async () => {
    const clock = new ManualClock();
    let id = 'stubborn';
    const both = ShardAllocation.of([up(A), up(B)], undefined);
    for (let i = 0; both.ownerOf(shardIdOf(id, SHARDS)) !== A; i++) id = `stubborn-${i}`;
    const { regionA, regionB, probe, hello, events } = twoRegions([up(A), up(B)], [up(A, 'leaving'), up(B)], clock);
    hello(regionA, id);
    expect(await probe.expectMessage()).toEqual({ id, node: A, count: 1 });
    regionA.tell({ t: 'sh-members', members: [up(A, 'leaving'), up(B)] });
    await awaitCondition(() => events.some((e) => e.type === 'shard-handoff-started'), { timeoutMs: 3000 });
    hello(regionB, id);
    await probe.expectNoMessage(100);
    expect(events.some((e) => e.type === 'shard-handed-off')).toBe(false);
    clock.advance(10_000);
    await awaitCondition(() => events.some((e) => e.type === 'shard-handed-off'), { timeoutMs: 3000 });
    // B's acquire round retries on its timer; the manual clock drives it too.
    await awaitCondition(
      () => {
        clock.advance(50);
        return running.get(id) === B;
      },
      { timeoutMs: 3000 },
    );
    expect(await probe.expectMessage()).toEqual({ id, node: B, count: 1 });
    expect(doubles).toEqual([]);
  });
});
