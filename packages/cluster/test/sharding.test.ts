import { Actor, type ActorRef } from '@troupe/core';
import { TestProbe, awaitCondition } from '@troupe/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { Cluster, ClusterSharding, EntityTypeKey, SHARDING_TOPIC, type ShardingEvent } from '../src/index.js';
import { ShardAllocation } from '../src/sharding/shard-allocation.js';
import { fastOptions } from './fast-settings.js';

type Msg = { type: 'hello'; seq?: number; replyTo: ActorRef<Hello> } | { type: 'stop' };
type Hello = { id: string; node: string; count: number; seq?: number };

/** Which node runs each entity right now, and every time one was found running on two nodes at once. */
const running = new Map<string, string>();
const doubles: string[] = [];

class Greeter extends Actor<Msg> {
  private count = 0;
  constructor(
    private readonly key: string,
    private readonly id: string,
    private readonly node: string,
  ) {
    super();
  }
  override preStart(): void {
    const other = running.get(this.key);
    if (other !== undefined) doubles.push(`${this.key} on ${other} and ${this.node}`);
    running.set(this.key, this.node);
  }
  override postStop(): void {
    if (running.get(this.key) === this.node) running.delete(this.key);
  }
  receive(msg: Msg): void {
    if (msg.type === 'stop') this.context.stop(this.context.self);
    else msg.replyTo.tell({ id: this.id, node: this.node, count: ++this.count, ...(msg.seq === undefined ? {} : { seq: msg.seq }) });
  }
}

const started: Cluster[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((c) => c.shutdown()));
  running.clear();
  doubles.length = 0;
});

let typeCounter = 0;
function shardedNode(cluster: Cluster, type: EntityTypeKey<Msg>, extra: { numberOfShards?: number; role?: string } = {}): ClusterSharding {
  const sharding = ClusterSharding.get(cluster);
  sharding.init({ typeKey: type, create: (id) => new Greeter(`${type.name}/${id}`, id, cluster.selfAddress), numberOfShards: 100, retryIntervalMs: 200, stopMessage: { type: 'stop' }, ...extra });
  return sharding;
}

async function startNode(seed?: Cluster, roles?: string[]): Promise<Cluster> {
  const cluster = await Cluster.start(fastOptions({ ...(seed === undefined ? {} : { seeds: [seed.hostPort] }), ...(roles === undefined ? {} : { roles }) }));
  started.push(cluster);
  return cluster;
}

const allUp = (nodes: readonly Cluster[]) => nodes.every((c) => c.state.members.length === nodes.length && c.state.members.every((m) => m.status === 'up'));

describe('ClusterSharding (3 nodes in one process)', () => {
  it('spreads entities over every node; each id is answered by its one entity on the node owning its shard, asked from any node', async () => {
    const type = EntityTypeKey.of<Msg>(`greeter${++typeCounter}`);
    const a = await startNode();
    const nodes = [a, await startNode(a), await startNode(a)];
    const shardings = nodes.map((n) => shardedNode(n, type));
    await awaitCondition(() => allUp(nodes), { timeoutMs: 10_000 });
    const ids = Array.from({ length: 60 }, (_, i) => `user-${i}`);
    const first = await Promise.all(ids.map((id) => (shardings[0] as ClusterSharding).entityRefFor(type, id).ask<Hello>((replyTo) => ({ type: 'hello', replyTo }), { timeoutMs: 10_000 })));
    const second = await Promise.all(ids.map((id) => (shardings[2] as ClusterSharding).entityRefFor(type, id).ask<Hello>((replyTo) => ({ type: 'hello', replyTo }), { timeoutMs: 10_000 })));
    const allocation = ShardAllocation.of(a.state.members, undefined);
    for (const [i, id] of ids.entries()) {
      expect(first[i]).toEqual({ id, node: allocation.ownerOf((shardings[0] as ClusterSharding).shardIdOf(type, id)), count: 1 });
      expect(second[i]).toEqual({ ...first[i], count: 2 });
    }
    expect(new Set(first.map((r) => r.node))).toEqual(new Set(nodes.map((n) => n.selfAddress)));
    const stats = await (shardings[1] as ClusterSharding).clusterStats(type);
    expect([...stats.keys()].sort()).toEqual(nodes.map((n) => n.selfAddress).sort());
    expect([...stats.values()].reduce((sum, s) => sum + s.entities, 0)).toBe(60);
    for (const [node, s] of stats) {
      expect(s).toMatchObject({ handoffs: 0, acquiring: 0, buffered: 0 });
      expect(s.entities).toBe(first.filter((r) => r.node === node).length);
      expect(s).toEqual(await (shardings[nodes.findIndex((n) => n.selfAddress === node)] as ClusterSharding).stats(type));
    }
    expect(doubles).toEqual([]);
  });

  it('hands shards off when a node joins: every message is answered, in order per entity, and no entity runs on two nodes at once', async () => {
    const type = EntityTypeKey.of<Msg>(`greeter${++typeCounter}`);
    const a = await startNode();
    const b = await startNode(a);
    const sharding = shardedNode(a, type);
    shardedNode(b, type);
    await awaitCondition(() => allUp([a, b]), { timeoutMs: 10_000 });
    const events: ShardingEvent[] = [];
    a.system.eventStream.subscribe(SHARDING_TOPIC, (e) => events.push(e as ShardingEvent));
    b.system.eventStream.subscribe(SHARDING_TOPIC, (e) => events.push(e as ShardingEvent));
    const ids = Array.from({ length: 40 }, (_, i) => `cart-${i}`);
    const probe = TestProbe.create<Hello>(a.system, { timeoutMs: 15_000 });
    let seq = 0;
    const sendRound = () => {
      for (const id of ids) sharding.entityRefFor(type, id).tell({ type: 'hello', seq: seq++, replyTo: probe.ref });
    };
    sendRound();
    await probe.receiveN(ids.length);
    // Keep traffic flowing while the third node joins and shards move to it.
    const c = await startNode(a);
    shardedNode(c, type);
    const replies: Hello[] = [];
    const sharded = [a, b, c].map((n) => ClusterSharding.get(n));
    const dead: string[] = [];
    for (const n of [a, b, c]) n.system.eventStream.subscribe('dead-letter', (d) => dead.push(`${d.reason} ${d.recipient} ${JSON.stringify(d.message).slice(0, 200)}`));
    // On a timeout, say where every region and every outbound queue stands.
    const receiveRound = async () => {
      try {
        return await probe.receiveN(ids.length);
      } catch (error) {
        const stats = await Promise.all(sharded.map((x) => x.stats(type)));
        const backlog = [a, b, c].map((n) => [a, b, c].map((o) => n.outboundBacklog(o.selfAddress)).join('/')).join(' ');
        throw new Error(`${String(error)}; region stats ${JSON.stringify(stats)}; outbound backlogs ${backlog}; dead letters ${dead.slice(0, 12).join(' | ')}`, { cause: error });
      }
    };
    let rounds = 1;
    const deadline = performance.now() + 20_000;
    while (!(allUp([a, b, c]) && events.some((e) => e.type === 'shard-handed-off')) || rounds < 4) {
      sendRound();
      rounds++;
      replies.push(...(await receiveRound()));
      if (performance.now() > deadline) throw new Error('the third node never took shards over');
    }
    for (let i = 0; i < 3; i++) {
      sendRound();
      rounds++;
      replies.push(...(await receiveRound()));
    }
    expect(replies.length).toBe((rounds - 1) * ids.length);
    // In order per entity: each entity saw its messages in the order sent.
    for (const id of ids) {
      const seqs = replies.filter((r) => r.id === id).map((r) => r.seq as number);
      expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
    }
    const onC = new Set(replies.filter((r) => r.node === c.selfAddress).map((r) => r.id));
    expect(onC.size).toBeGreaterThan(0);
    expect(events.filter((e) => e.type === 'shard-handed-off').every((e) => (e as { to?: string }).to === c.selfAddress)).toBe(true);
    expect(doubles).toEqual([]);
  });

  it('refuses a node configured with another shard count at join, with a clear error event on both: the younger node leaves', async () => {
    const type = EntityTypeKey.of<Msg>(`greeter${++typeCounter}`);
    const a = await startNode();
    // Up before B joins, so A is the older (two members made Up in one leader round are ordered by address instead).
    await a.whenUp;
    const b = await startNode(a);
    const events: ShardingEvent[] = [];
    for (const n of [a, b]) n.system.eventStream.subscribe(SHARDING_TOPIC, (e) => events.push(e as ShardingEvent));
    const sharding = shardedNode(a, type, { numberOfShards: 100 });
    shardedNode(b, type, { numberOfShards: 50 });
    // No entity message is needed: the regions check each other's count as soon as they know each other.
    await awaitCondition(() => events.filter((e) => e.type === 'shard-count-mismatch').length >= 2, { timeoutMs: 10_000 });
    expect(await b.whenTerminated).toBe('removed');
    await awaitCondition(() => a.state.members.length === 1, { timeoutMs: 10_000 });
    const probe = TestProbe.create<Hello>(a.system);
    sharding.entityRefFor(type, 'x').tell({ type: 'hello', replyTo: probe.ref });
    expect(await probe.expectMessage()).toMatchObject({ id: 'x', node: a.selfAddress });
    const mismatches = events.filter((e) => e.type === 'shard-count-mismatch');
    expect(mismatches).toContainEqual({ type: 'shard-count-mismatch', typeName: type.name, node: a.selfAddress, other: b.selfAddress, local: 100, remote: 50 });
    expect(mismatches).toContainEqual({ type: 'shard-count-mismatch', typeName: type.name, node: b.selfAddress, other: a.selfAddress, local: 50, remote: 100 });
  });

  it('hosts a type limited to a role only on members with it; the others route to them', async () => {
    const type = EntityTypeKey.of<Msg>(`greeter${++typeCounter}`);
    const front = await startNode(undefined, ['front']);
    const nodes = [front, await startNode(front, ['back']), await startNode(front, ['back'])];
    const shardings = nodes.map((n) => shardedNode(n, type, { role: 'back' }));
    await awaitCondition(() => allUp(nodes), { timeoutMs: 10_000 });
    const ids = Array.from({ length: 30 }, (_, i) => `r-${i}`);
    const replies = await Promise.all(ids.map((id) => (shardings[0] as ClusterSharding).entityRefFor(type, id).ask<Hello>((replyTo) => ({ type: 'hello', replyTo }), { timeoutMs: 10_000 })));
    expect(new Set(replies.map((r) => r.node))).toEqual(new Set([nodes[1]?.selfAddress, nodes[2]?.selfAddress]));
    expect((await (shardings[0] as ClusterSharding).stats(type)).entities).toBe(0);
  });

  it("hands a gracefully leaving node's shards to the others while asks keep coming: every ask is answered", async () => {
    const type = EntityTypeKey.of<Msg>(`greeter${++typeCounter}`);
    const a = await startNode();
    const nodes = [a, await startNode(a), await startNode(a)];
    const shardings = nodes.map((n) => shardedNode(n, type));
    await awaitCondition(() => allUp(nodes), { timeoutMs: 10_000 });
    const leaver = nodes[2] as Cluster;
    const ids = Array.from({ length: 40 }, (_, i) => `l-${i}`);
    const askAll = () => Promise.all(ids.map((id) => (shardings[0] as ClusterSharding).entityRefFor(type, id).ask<Hello>((replyTo) => ({ type: 'hello', replyTo }), { timeoutMs: 10_000 })));
    expect(new Set((await askAll()).map((r) => r.node)).has(leaver.selfAddress)).toBe(true);
    let left = false;
    const leaving = leaver.leave().then(() => {
      left = true;
    });
    let rounds = 0;
    while (!left || rounds < 5) {
      await askAll(); // rejects (and fails the test) if any ask goes unanswered
      rounds++;
    }
    await leaving;
    const last = await askAll();
    expect(last.every((r) => r.node !== leaver.selfAddress)).toBe(true);
    expect(doubles).toEqual([]);
  });
});
