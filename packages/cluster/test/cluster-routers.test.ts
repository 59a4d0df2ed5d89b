import { Actor, type ActorRef } from '@troupe/core';
import { TestProbe, awaitCondition } from '@troupe/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { Cluster, ClusterGroupRouter, ClusterPoolRouter, ClusterRoutingLogics, registerPoolRoutee } from '../src/index.js';
import { fastOptions } from './fast-settings.js';

type Job = { type: 'job'; key: string; replyTo: ActorRef<string> };

class Worker extends Actor<Job> {
  receive(job: Job): void {
    job.replyTo.tell(`${this.context.self.path}|${job.key}`);
  }
}

const started: Cluster[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((c) => c.shutdown()));
});

async function threeNodes(roles: (string[] | undefined)[] = []): Promise<Cluster[]> {
  const a = await Cluster.start(fastOptions(roles[0] ? { roles: roles[0] } : {}));
  started.push(a);
  for (let i = 1; i < 3; i++) {
    const r = roles[i];
    started.push(await Cluster.start(fastOptions({ seeds: [a.hostPort], ...(r ? { roles: r } : {}) })));
  }
  await awaitCondition(() => started.every((c) => c.state.members.filter((m) => m.status === 'up').length === 3), { timeoutMs: 8000 });
  return [...started];
}

const nodeOf = (reply: string) => reply.split('/user/')[0] as string;

describe('ClusterGroupRouter', () => {
  it('round-robins over the routee path on every Up member', async () => {
    const nodes = await threeNodes();
    for (const n of nodes) n.system.spawn(() => new Worker(), { name: 'worker' });
    const router = ClusterGroupRouter.create<Job>(nodes[0] as Cluster, { routeePath: 'worker' });
    expect(router.routees.length).toBe(3);
    const probe = TestProbe.create<string>((nodes[0] as Cluster).system);
    for (let i = 0; i < 6; i++) router.tell({ type: 'job', key: `k${i}`, replyTo: probe.ref });
    const replies = await probe.receiveN(6, 5000);
    const counts = new Map<string, number>();
    for (const r of replies) counts.set(nodeOf(r), (counts.get(nodeOf(r)) ?? 0) + 1);
    expect([...counts.values()]).toEqual([2, 2, 2]);
  });

  it('only routes to members with the role', async () => {
    const nodes = await threeNodes([['front'], ['back'], ['back']]);
    for (const n of nodes) n.system.spawn(() => new Worker(), { name: 'worker' });
    const router = ClusterGroupRouter.create<Job>(nodes[0] as Cluster, { routeePath: '/user/worker', role: 'back' });
    expect(router.routees.map((r) => nodeOf(r.path)).sort()).toEqual([nodes[1]?.selfAddress, nodes[2]?.selfAddress].sort());
  });

  it('sends keys by consistent hashing: the same key always reaches the same node, matching the ring', async () => {
    const nodes = await threeNodes();
    for (const n of nodes) n.system.spawn(() => new Worker(), { name: 'worker' });
    const logic = ClusterRoutingLogics.consistentHashing<Job>((job) => job.key);
    const router = ClusterGroupRouter.create<Job>(nodes[0] as Cluster, { routeePath: 'worker', logic });
    const probe = TestProbe.create<string>((nodes[0] as Cluster).system);
    const keys = Array.from({ length: 30 }, (_, i) => `user-${i}`);
    for (const key of [...keys, ...keys]) router.tell({ type: 'job', key, replyTo: probe.ref });
    const replies = await probe.receiveN(60, 5000);
    const nodeByKey = new Map<string, string>();
    for (const r of replies) {
      const [path, key] = r.split('|') as [string, string];
      if (nodeByKey.has(key)) expect(nodeByKey.get(key)).toBe(nodeOf(path));
      nodeByKey.set(key, nodeOf(path));
      expect(nodeOf(path)).toBe(logic.nodeFor({ type: 'job', key, replyTo: probe.ref }));
      expect(nodeOf(path)).toBe((nodes[0] as Cluster).ring.nodeFor(key));
    }
    expect(new Set(nodeByKey.values()).size).toBe(3);
  });

  it('drops the routee of a node that leaves', async () => {
    const nodes = await threeNodes();
    const router = ClusterGroupRouter.create<Job>(nodes[0] as Cluster, { routeePath: 'worker' });
    await (nodes[2] as Cluster).leave();
    await awaitCondition(() => router.routees.length === 2, { timeoutMs: 5000 });
  });
});

describe('ClusterPoolRouter', () => {
  it('deploys routees on every member and routes by least outbound backlog: a node with messages waiting for its socket gets fewer', async () => {
    const nodes = await threeNodes();
    for (const n of nodes) registerPoolRoutee(n, 'worker', () => new Worker());
    const a = nodes[0] as Cluster;
    const router = ClusterPoolRouter.create<Job>(a, { name: 'jobs', routee: 'worker', routeesPerNode: 2, logic: ClusterRoutingLogics.leastOutboundBacklog<Job>(a) });
    await awaitCondition(() => router.routees.length === 6, { timeoutMs: 5000 });
    const probe = TestProbe.create<string>(a.system);
    // One synchronous burst: what goes to b or c waits in their outbound queues until the
    // burst ends, so once each has one message waiting, a's local routees (no backlog) win.
    for (let i = 0; i < 30; i++) router.tell({ type: 'job', key: `k${i}`, replyTo: probe.ref });
    const replies = await probe.receiveN(30, 5000);
    const perNode = (node: Cluster) => replies.filter((r) => nodeOf(r) === node.selfAddress).length;
    const [onA, onB, onC] = nodes.map(perNode) as [number, number, number];
    expect(onA + onB + onC).toBe(30);
    // Round-robin would give 10 each; this logic sends the remote nodes only what they got
    // while their queues were empty.
    expect(onB).toBeGreaterThanOrEqual(1);
    expect(onC).toBeGreaterThanOrEqual(1);
    expect(onA).toBeGreaterThan(onB + onC);
    expect(replies.every((r) => r.includes('/user/troupe-routee-deployer/jobs-'))).toBe(true);
    router.close();
    router.tell({ type: 'job', key: 'late', replyTo: probe.ref });
    await probe.expectNoMessage(100);
  });

  it('round-robins across routees deployed on all nodes', async () => {
    const nodes = await threeNodes();
    for (const n of nodes) registerPoolRoutee(n, 'worker', () => new Worker());
    const a = nodes[0] as Cluster;
    const router = ClusterPoolRouter.create<Job>(a, { name: 'rr', routee: 'worker' });
    await awaitCondition(() => router.routees.length === 3, { timeoutMs: 5000 });
    const probe = TestProbe.create<string>(a.system);
    for (let i = 0; i < 3; i++) router.tell({ type: 'job', key: `k${i}`, replyTo: probe.ref });
    expect(new Set((await probe.receiveN(3, 5000)).map(nodeOf)).size).toBe(3);
  });
});
