import { Actor, type ActorRef, type DeadLetter } from '@troupe/core';
import { TestProbe, awaitCondition } from '@troupe/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { Cluster, ClusterSingleton, SINGLETON_TOPIC, STOP_MESSAGE_KEY, SingletonAlreadyInitializedError, type SingletonEvent, SingletonNotInitializedError } from '../src/index.js';
import { fastOptions } from './fast-settings.js';

type Msg = { type: 'n'; n: number; replyTo: ActorRef<{ n: number; node: string }> };

class Echo extends Actor<Msg> {
  constructor(private readonly node: string) {
    super();
  }
  receive(msg: Msg): void {
    msg.replyTo.tell({ n: msg.n, node: this.node });
  }
}

const started: Cluster[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((c) => c.shutdown()));
});

async function startNode(seed?: Cluster, roles?: string[]): Promise<Cluster> {
  const cluster = await Cluster.start(fastOptions({ ...(seed === undefined ? {} : { seeds: [seed.hostPort] }), ...(roles === undefined ? {} : { roles }) }));
  started.push(cluster);
  return cluster;
}

describe('ClusterSingleton (nodes in one process)', () => {
  it('refuses a second init of one name and a name never initialized, with stable codes', async () => {
    const a = await startNode();
    const singleton = ClusterSingleton.get(a);
    singleton.init<Msg>({ name: 'echo', create: ({ node }) => new Echo(node) });
    expect(() => singleton.init<Msg>({ name: 'echo', create: ({ node }) => new Echo(node) })).toThrow(SingletonAlreadyInitializedError);
    expect(() => singleton.init<Msg>({ name: 'echo', create: ({ node }) => new Echo(node) })).toThrow(expect.objectContaining({ code: 'ERR_SINGLETON_ALREADY_INITIALIZED' }));
    await expect(singleton.locate('other')).rejects.toMatchObject({ code: 'ERR_SINGLETON_NOT_INITIALIZED' });
    expect(() => singleton.proxyOf('other')).toThrow(SingletonNotInitializedError);
  });

  it('starts on the node with the role; the proxy holds messages up to bufferSize while none is Up, dead-letters the rest, and delivers what it held', async () => {
    const a = await startNode();
    await a.whenUp;
    const dead: DeadLetter[] = [];
    a.system.eventStream.subscribe('dead-letter', (d) => dead.push(d as DeadLetter));
    const proxy = ClusterSingleton.get(a).init<Msg>({ name: 'worker-echo', role: 'worker', bufferSize: 5, create: ({ node }) => new Echo(node) });
    const probe = TestProbe.create<{ n: number; node: string }>(a.system, { timeoutMs: 10_000 });
    for (let n = 0; n < 8; n++) proxy.tell({ type: 'n', n, replyTo: probe.ref });
    await awaitCondition(() => dead.length === 3, { message: 'three dead letters' });
    expect(dead.map((d) => [d.reason, (d.message as Msg).n])).toEqual([
      ['singleton-buffer-full', 5],
      ['singleton-buffer-full', 6],
      ['singleton-buffer-full', 7],
    ]);
    expect(await ClusterSingleton.get(a).locate('worker-echo')).toEqual({ name: 'worker-echo', node: undefined, running: false, epoch: undefined, buffered: 0 });
    const events: SingletonEvent[] = [];
    const b = await startNode(a, ['worker']);
    b.system.eventStream.subscribe(SINGLETON_TOPIC, (e) => events.push(e as SingletonEvent));
    ClusterSingleton.get(b).init<Msg>({ name: 'worker-echo', role: 'worker', create: ({ node }) => new Echo(node) });
    const replies = await probe.receiveN(5);
    expect(replies).toEqual([0, 1, 2, 3, 4].map((n) => ({ n, node: b.selfAddress })));
    expect(events).toEqual([{ type: 'singleton-started', name: 'worker-echo', node: b.selfAddress, epoch: b.selfMember?.upNumber }]);
    expect(await ClusterSingleton.get(a).locate('worker-echo')).toMatchObject({ node: b.selfAddress, running: true, epoch: b.selfMember?.upNumber });
  });

  it('starts an instance that stopped by itself again on the next message, not before', async () => {
    const a = await startNode();
    await a.whenUp;
    const events: SingletonEvent[] = [];
    a.system.eventStream.subscribe(SINGLETON_TOPIC, (e) => events.push(e as SingletonEvent));
    let created = 0;
    class Quitter extends Actor<Msg | { type: 'quit' }> {
      receive(msg: Msg | { type: 'quit' }): void {
        if (msg.type === 'quit') this.context.stop(this.context.self);
        else msg.replyTo.tell({ n: created, node: a.selfAddress });
      }
    }
    const proxy = ClusterSingleton.get(a).init<Msg | { type: 'quit' }>({
      name: 'quitter',
      handOverRetryIntervalMs: 20,
      create: () => {
        created++;
        return new Quitter();
      },
    });
    const probe = TestProbe.create<{ n: number; node: string }>(a.system, { timeoutMs: 5000 });
    proxy.tell({ type: 'n', n: 0, replyTo: probe.ref });
    await probe.expectMessage({ n: 1, node: a.selfAddress });
    proxy.tell({ type: 'quit' });
    await awaitCondition(() => events.some((e) => e.type === 'singleton-terminated'), { message: 'the instance to stop' });
    // Several retry ticks pass without a new instance.
    await awaitCondition(async () => (await ClusterSingleton.get(a).locate('quitter')).running === false, { message: 'locate to report no instance' });
    await probe.expectNoMessage(200);
    expect(created).toBe(1);
    proxy.tell({ type: 'n', n: 1, replyTo: probe.ref });
    await probe.expectMessage({ n: 2, node: a.selfAddress });
    expect(events.map((e) => e.type)).toEqual(['singleton-started', 'singleton-terminated', 'singleton-started']);
  });

  it('drops malformed messages from peers and keeps serving', async () => {
    const a = await startNode();
    await a.whenUp;
    const proxy = ClusterSingleton.get(a).init<Msg>({ name: 'sturdy', create: ({ node }) => new Echo(node) });
    const manager = a.refFor<unknown>(a.pathOn(a.selfAddress, 'troupe-singleton-manager-sturdy'));
    for (const bad of [{ t: 'sg-hand-over-request', node: 42 }, { t: 'sg-hand-over-done' }, { t: 'sg-where', replyTo: 'nobody' }, { t: 'sg-unknown' }, null]) manager.tell(bad);
    const probe = TestProbe.create<{ n: number; node: string }>(a.system, { timeoutMs: 5000 });
    proxy.tell({ type: 'n', n: 7, replyTo: probe.ref });
    await probe.expectMessage({ n: 7, node: a.selfAddress });
    expect(await ClusterSingleton.get(a).locate('sturdy')).toMatchObject({ node: a.selfAddress, running: true });
  });

  it("holds a leaving node in Leaving until its instance has stopped and handed over (the singleton's exit task)", async () => {
    const a = await startNode();
    await a.whenUp;
    const b = await startNode(a);
    await b.whenUp;
    const log: string[] = [];
    /** Ignores its stop message, so only the manager's stopTimeoutMs ends it: a stop slower than the leave's own rounds. */
    class Stubborn extends Actor<{ type: 'stop' }> {
      constructor(private readonly node: string) {
        super();
      }
      override preStart(): void {
        log.push(`started ${this.node}`);
      }
      receive(): void {
        log.push(`stop message ${this.node}`);
      }
      override postStop(): void {
        log.push(`stopped ${this.node}`);
      }
    }
    const name = (c: Cluster) => (c === a ? 'a' : 'b');
    for (const c of [a, b]) ClusterSingleton.get(c).init<{ type: 'stop' }>({ name: 'stubborn', create: () => new Stubborn(name(c)), stopMessage: { type: 'stop' }, stopTimeoutMs: 3000 });
    await awaitCondition(() => log.includes('started a'), { message: 'the instance on the oldest' });
    a.subscribe(
      (event) => {
        if (event.type === 'member-exited' && event.member.address === a.selfAddress) log.push('a exiting');
      },
      { initialState: false },
    );
    await a.leave();
    await awaitCondition(() => log.includes('started b'), { timeoutMs: 20_000, message: 'the instance on the new oldest' });
    // Without the exit task a is Exiting (and soon removed) while its instance still runs, and the new oldest only waits the removal margin.
    expect(log).toEqual(['started a', 'stop message a', 'stopped a', 'a exiting', 'started b']);
  });

  it("sends the stop message the instance's class declares when init was given none", async () => {
    const a = await startNode();
    await a.whenUp;
    const b = await startNode(a);
    await b.whenUp;
    const stoppedBy: string[] = [];
    class Declaring extends Actor<{ type: 'finish' }> {
      static readonly [STOP_MESSAGE_KEY] = { type: 'finish' };
      constructor(private readonly node: string) {
        super();
      }
      receive(): void {
        stoppedBy.push(`finish on ${this.node}`);
        this.context.stop(this.context.self);
      }
    }
    for (const c of [a, b]) ClusterSingleton.get(c).init<{ type: 'finish' }>({ name: 'declaring', create: () => new Declaring(c === a ? 'a' : 'b') });
    await awaitCondition(async () => (await ClusterSingleton.get(b).locate('declaring')).running, { message: 'the instance on a' });
    await a.leave();
    await awaitCondition(async () => (await ClusterSingleton.get(b).locate('declaring')).node === b.selfAddress, { timeoutMs: 20_000, message: 'the instance on b' });
    expect(stoppedBy).toEqual(['finish on a']);
  });
});
