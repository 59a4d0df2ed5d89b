import { setTimeout as delay } from 'node:timers/promises';
import { Actor, type ActorRef, ActorSystem, silentLogger } from '@troupe/core';
import { TestProbe, awaitCondition } from '@troupe/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { Cluster, ClusterSharding, EntityTypeKey } from '../src/index.js';
import { ShardAllocation } from '../src/sharding/shard-allocation.js';
import { fastOptions } from './fast-settings.js';

type Msg = { type: 'hello'; seq: number } | { type: 'stop' };
type Hello = { id: string; node: string; seq: number };

/** Released by the test: until then an entity told to stop keeps its mailbox suspended (an entity slow to stop). */
let releaseStop: () => void = () => {};
let stopReleased: Promise<void> = Promise.resolve();

class SlowToStop extends Actor<Msg> {
  constructor(
    private readonly id: string,
    private readonly node: string,
    private readonly probe: ActorRef<Hello>,
  ) {
    super();
  }
  async receive(msg: Msg): Promise<void> {
    if (msg.type === 'hello') {
      this.probe.tell({ id: this.id, node: this.node, seq: msg.seq });
      return;
    }
    await stopReleased;
    this.context.stop(this.context.self);
  }
}

const started: Cluster[] = [];
let probeSystem: ActorSystem | undefined;
afterEach(async () => {
  releaseStop();
  await Promise.all(started.splice(0).map((c) => c.shutdown()));
  await probeSystem?.terminate();
  probeSystem = undefined;
});

describe('ClusterSharding: a graceful leave waits for its handoffs', () => {
  it('delivers every message the leaving region buffered while an entity was slow to stop, at the new owner', async () => {
    const stop = Promise.withResolvers<void>();
    stopReleased = stop.promise;
    releaseStop = stop.resolve;
    probeSystem = ActorSystem.create({ name: 'probe', logger: silentLogger });
    const probe = TestProbe.create<Hello>(probeSystem, { timeoutMs: 15_000 });
    const type = EntityTypeKey.of<Msg>(`slow-stop-${process.pid}`);
    const node = async (seed?: Cluster) => {
      const cluster = await Cluster.start(fastOptions(seed === undefined ? {} : { seeds: [seed.hostPort] }));
      started.push(cluster);
      const sharding = ClusterSharding.get(cluster);
      // A long handoff timeout: the entity's own stop, not a forced one, ends the handoff.
      sharding.init({
        typeKey: type,
        create: (id) => new SlowToStop(id, cluster.selfAddress, probe.ref),
        numberOfShards: 10,
        retryIntervalMs: 100,
        stopMessage: { type: 'stop' },
        handoffTimeoutMs: 60_000,
      });
      return { cluster, sharding };
    };
    const a = await node();
    const b = await node(a.cluster);
    await awaitCondition(() => [a, b].every((n) => n.cluster.state.members.length === 2 && n.cluster.state.members.every((m) => m.status === 'up')), { timeoutMs: 10_000 });
    const allocation = ShardAllocation.of(b.cluster.state.members, undefined);
    const id = Array.from({ length: 100 }, (_, i) => `s-${i}`).find((candidate) => allocation.ownerOf(b.sharding.shardIdOf(type, candidate)) === b.cluster.selfAddress) as string;
    const ref = b.sharding.entityRefFor(type, id);
    ref.tell({ type: 'hello', seq: 0 });
    expect(await probe.expectMessage()).toEqual({ id, node: b.cluster.selfAddress, seq: 0 });

    const leaving = b.cluster.leave();
    await awaitCondition(async () => (await b.sharding.stats(type)).handoffs === 1, { timeoutMs: 10_000 });
    // Accepted by B's live region while its shard is handed off: held there.
    for (let seq = 1; seq <= 5; seq++) ref.tell({ type: 'hello', seq });
    await awaitCondition(async () => (await b.sharding.stats(type)).buffered === 5, { timeoutMs: 10_000 });
    // A leave that does not wait is over within a few leader ticks (100 ms gossip); B must still be there after a
    // window many times longer, because its handoff has not finished. Only then does the entity stop.
    const exitedEarly = await Promise.race([b.cluster.whenTerminated.then(() => true), delay(3000).then(() => false)]);
    releaseStop();
    for (let seq = 1; seq <= 5; seq++) expect(await probe.expectMessage()).toEqual({ id, node: a.cluster.selfAddress, seq });
    expect(exitedEarly).toBe(false);
    await leaving;
    expect(b.cluster.terminationReason).toBe('removed');
  });
});
