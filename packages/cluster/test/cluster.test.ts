import { Actor, type ActorRef } from '@troupe/core';
import { ManualClock, TestProbe, awaitCondition } from '@troupe/testkit';
import { describe, expect, it } from 'vitest';
import { Cluster, type ClusterEvent, type RingChanged } from '../src/index.js';
import { healPartitions, partitionFrom } from '../src/testing/index.js';
import { clusterFixture } from './fast-settings.js';

const start = clusterFixture();

const upCount = (c: Cluster) => c.state.members.filter((m) => m.status === 'up').length;

describe('Cluster.start options', () => {
  it('rejects a short secret and bad seeds with errors naming the field', async () => {
    await expect(Cluster.start({ secret: 'short' })).rejects.toThrow(/secret must be at least 16 bytes, got 5/);
    // A secret read from an unset environment variable says so, rather than only what a secret must be.
    await expect(Cluster.start({ secret: process.env.TROUPE_UNSET_VARIABLE_FOR_THIS_TEST as string })).rejects.toThrow(/got undefined \(is the variable you read it from set\?\)/);
    await expect(Cluster.start({ secret: 'long-enough-secret-123', seeds: ['nope'] })).rejects.toThrow(/seeds must be/);
    await expect(Cluster.start({ secret: 'long-enough-secret-123', failureDetector: { threshold: -1 } })).rejects.toThrow(/failureDetector.threshold/);
  });

  it('gives the actor system an address with host, port and incarnation', async () => {
    const a = await start();
    expect(a.system.address).toMatch(/^troupe:\/\/test@127\.0\.0\.1:\d+#[0-9a-f]{12}$/);
    expect(a.system.address).toBe(a.selfAddress);
  });
});

describe('Cluster membership', () => {
  it('sends a current-state snapshot on subscribe, then member-up and leader events', async () => {
    const a = await start();
    await a.whenUp;
    const events: (ClusterEvent | RingChanged)[] = [];
    a.subscribe((e) => events.push(e));
    expect(events[0]).toMatchObject({ type: 'current-cluster-state', leader: a.selfAddress });
    const b = await start({ seeds: [a.hostPort] });
    await awaitCondition(() => events.some((e) => e.type === 'member-up' && e.member.address === b.selfAddress), { timeoutMs: 5000 });
    expect(events.some((e) => e.type === 'member-joined')).toBe(true);
    await awaitCondition(() => events.some((e) => e.type === 'ring-changed' && e.ring.nodes.length === 2), { timeoutMs: 5000 });
  });

  it('publishes the same events on the actor system event stream under "cluster"', async () => {
    const a = await start({ downing: { strategy: { staticQuorum: 1 } } });
    const types: string[] = [];
    a.system.eventStream.subscribe('cluster', (e) => types.push((e as ClusterEvent).type));
    await a.whenUp;
    expect(types).toContain('member-up');
  });

  it('leaves gracefully: Leaving → Exiting → Removed, and the leaver shuts its system down', async () => {
    const a = await start();
    const b = await start({ seeds: [a.hostPort] });
    const c = await start({ seeds: [a.hostPort] });
    await awaitCondition(() => [a, b, c].every((x) => upCount(x) === 3), { timeoutMs: 8000 });
    const seen: string[] = [];
    a.subscribe((e) => {
      if ('member' in e && e.member.address === c.selfAddress) seen.push(e.type);
    });
    await c.leave();
    expect(c.terminationReason).toBe('removed');
    expect(c.system.isTerminated).toBe(true);
    await awaitCondition(() => seen.includes('member-removed'), { timeoutMs: 5000 });
    expect(seen.indexOf('member-left')).toBeLessThan(seen.indexOf('member-removed'));
    expect(a.state.members.map((m) => m.address).sort()).toEqual([a.selfAddress, b.selfAddress].sort());
  });

  it('lets a restarted node with a new incarnation on the same port replace the old one', async () => {
    const a = await start();
    const b = await start({ seeds: [a.hostPort] });
    await awaitCondition(() => upCount(a) === 2, { timeoutMs: 5000 });
    const port = Number(b.hostPort.split(':')[1]);
    const oldAddress = b.selfAddress;
    await b.shutdown();
    const b2 = await start({ seeds: [a.hostPort], port });
    expect(b2.selfAddress).not.toBe(oldAddress);
    await awaitCondition(() => a.state.members.length === 2 && upCount(a) === 2 && a.state.members.some((m) => m.address === b2.selfAddress), { timeoutMs: 8000 });
    expect(a.state.members.some((m) => m.address === oldAddress)).toBe(false);
  });

  it('sends Terminated to a watcher of a remote actor when its node is downed', async () => {
    const a = await start({ downing: { strategy: 'off' } });
    const b = await start({ seeds: [a.hostPort], downing: { strategy: 'off' } });
    await awaitCondition(() => upCount(a) === 2 && upCount(b) === 2, { timeoutMs: 5000 });
    class Idle extends Actor<never> {
      receive(): void {}
    }
    b.system.spawn(() => new Idle(), { name: 'idle' });
    const probe = TestProbe.create(a.system);
    const remote = a.refFor<never>(`${b.selfAddress}/user/idle`);
    probe.watch(remote);
    partitionFrom(a, [b.selfAddress]);
    partitionFrom(b, [a.selfAddress]);
    await awaitCondition(() => a.state.unreachable.length === 1, { timeoutMs: 5000 });
    a.down(b.selfAddress);
    await probe.expectTerminated(remote, 5000);
  });

  it('marks a peer unreachable during a partition and reachable again when it heals', async () => {
    const a = await start({ downing: { strategy: 'off' } });
    const b = await start({ seeds: [a.hostPort], downing: { strategy: 'off' } });
    await awaitCondition(() => upCount(a) === 2 && upCount(b) === 2, { timeoutMs: 5000 });
    const events: string[] = [];
    a.subscribe((e) => {
      if (e.type === 'unreachable-member' || e.type === 'reachable-member') events.push(`${e.type} ${e.member.address}`);
    });
    partitionFrom(a, [b.selfAddress]);
    partitionFrom(b, [a.selfAddress]);
    await awaitCondition(() => events.includes(`unreachable-member ${b.selfAddress}`), { timeoutMs: 5000 });
    healPartitions(a);
    healPartitions(b);
    await awaitCondition(() => events.includes(`reachable-member ${b.selfAddress}`), { timeoutMs: 5000 });
    await awaitCondition(() => a.state.unreachable.length === 0 && b.state.unreachable.length === 0, { timeoutMs: 5000 });
    expect(upCount(a)).toBe(2);
    // The switch lives at @troupe/cluster/testing, not on the public class.
    expect('partitionFrom' in a || 'healPartitions' in a).toBe(false);
  });

  it('runs gossip and leader ticks on the injected clock: nothing moves until it advances', async () => {
    const clock = new ManualClock();
    const { silentLogger } = await import('@troupe/core');
    const a = await start({ system: { clock, logger: silentLogger } });
    expect(a.selfMember?.status).toBe('joining');
    clock.advance(100);
    expect(a.selfMember?.status).toBe('up');
    const b = await start({ seeds: [a.hostPort], system: { clock, logger: silentLogger } });
    // The join request goes out at once and a answers with a welcome over the socket…
    await awaitCondition(() => b.state.members.length === 2, { timeoutMs: 5000 });
    // …but without ticks nobody moves b to Up.
    expect(b.selfMember?.status).toBe('joining');
    // One gossip/leader tick per check; the gossip between ticks travels over the real sockets.
    await awaitCondition(
      () => {
        if (upCount(a) === 2 && upCount(b) === 2) return true;
        clock.advance(100);
        return false;
      },
      { timeoutMs: 10_000, message: 'both nodes Up by manual clock ticks' },
    );
    expect(upCount(a)).toBe(2);
    expect(upCount(b)).toBe(2);
    expect(a.state.unreachable).toEqual([]);
  });

  it('routes a remote ref inside a message both ways (ping-pong between actors on two nodes)', async () => {
    const a = await start();
    const b = await start({ seeds: [a.hostPort] });
    await awaitCondition(() => upCount(a) === 2, { timeoutMs: 5000 });
    type Ping = { type: 'ping'; n: number; replyTo: ActorRef<Ping> };
    const done = TestProbe.create<number>(a.system);
    class Player extends Actor<Ping> {
      receive(m: Ping): void {
        if (m.n >= 20) done.ref.tell(m.n);
        else m.replyTo.tell({ type: 'ping', n: m.n + 1, replyTo: this.context.self });
      }
    }
    const pa = a.system.spawn(() => new Player(), { name: 'pa' });
    b.system.spawn(() => new Player(), { name: 'pb' });
    a.refFor<Ping>(`${b.selfAddress}/user/pb`).tell({ type: 'ping', n: 0, replyTo: pa });
    expect(await done.expectMessage(undefined, 5000)).toBeGreaterThanOrEqual(20);
  });
});
