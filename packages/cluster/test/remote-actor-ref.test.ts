import { Actor, type ActorRef, Terminated } from '@troupe/core';
import { TestProbe, awaitCondition } from '@troupe/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { Cluster, RemoteActorRef } from '../src/index.js';
import { fastOptions } from './fast-settings.js';

type EchoMsg = { type: 'echo'; text: string; replyTo: ActorRef<{ type: 'echoed'; text: string; from: string }> } | { type: 'stop' };

class Echo extends Actor<EchoMsg> {
  receive(msg: EchoMsg): void {
    if (msg.type === 'stop') this.context.stop(this.context.self as ActorRef<never>);
    else msg.replyTo.tell({ type: 'echoed', text: msg.text, from: this.context.self.path });
  }
}

const started: Cluster[] = [];

async function twoNodes(): Promise<[Cluster, Cluster]> {
  const a = await Cluster.start(fastOptions());
  started.push(a);
  const b = await Cluster.start(fastOptions({ seeds: [a.hostPort] }));
  started.push(b);
  await Promise.all([a.whenUp, b.whenUp]);
  await awaitCondition(() => a.state.members.filter((m) => m.status === 'up').length === 2 && b.state.members.filter((m) => m.status === 'up').length === 2, { timeoutMs: 5000 });
  return [a, b];
}

afterEach(async () => {
  await Promise.all(started.splice(0).map((c) => c.shutdown()));
});

describe('RemoteActorRef', () => {
  it('delivers a tell to an actor on another node and routes the reply back through a ref inside the message', async () => {
    const [a, b] = await twoNodes();
    b.system.spawn(() => new Echo(), { name: 'echo' });
    const probe = TestProbe.create<{ type: 'echoed'; text: string; from: string }>(a.system);
    const remote = a.refFor<EchoMsg>(b.pathOn(b.selfAddress, 'echo'));
    expect(remote).toBeInstanceOf(RemoteActorRef);
    remote.tell({ type: 'echo', text: 'hi', replyTo: probe.ref });
    const reply = await probe.expectMessage();
    expect(reply).toEqual({ type: 'echoed', text: 'hi', from: `${b.selfAddress}/user/echo` });
  });

  it('answers an ask across nodes', async () => {
    const [a, b] = await twoNodes();
    b.system.spawn(() => new Echo(), { name: 'echo' });
    const remote = a.refFor<EchoMsg>(`${b.selfAddress}/user/echo`);
    const reply = await remote.ask<{ type: 'echoed'; text: string; from: string }>((replyTo) => ({ type: 'echo', text: 'ask', replyTo }), { timeoutMs: 3000 });
    expect(reply.text).toBe('ask');
  });

  it('keeps the order of messages from one sender to one receiver across the wire', async () => {
    const [a, b] = await twoNodes();
    const probe = TestProbe.create<{ n: number }>(b.system, { name: 'sink' });
    // The probe is not under /user: hand its ref over the wire once so A can reach it.
    const received: number[] = [];
    class Collector extends Actor<{ n: number }> {
      receive(msg: { n: number }): void {
        received.push(msg.n);
        if (msg.n === 4999) probe.ref.tell(msg);
      }
    }
    b.system.spawn(() => new Collector(), { name: 'collector' });
    const remote = a.refFor<{ n: number }>(`${b.selfAddress}/user/collector`);
    for (let n = 0; n < 5000; n++) remote.tell({ n });
    await probe.expectMessage({ n: 4999 }, 10_000);
    expect(received).toEqual(Array.from({ length: 5000 }, (_, n) => n));
  });

  it('keeps the order of what an actor sends while the frames that woke it are delivered (sent when each frame ends)', async () => {
    const [a, b] = await twoNodes();
    const probe = TestProbe.create<{ n: number }>(b.system);
    const received: number[] = [];
    class Collector extends Actor<{ n: number }> {
      receive(msg: { n: number }): void {
        received.push(msg.n);
        if (msg.n === 3999) probe.ref.tell(msg);
      }
    }
    b.system.spawn(() => new Collector(), { name: 'collector' });
    const collector = a.refFor<{ n: number }>(`${b.selfAddress}/user/collector`);
    // Each message reaching the relay on a makes it send two to b's collector, from inside a's frame delivery.
    class Relay extends Actor<{ n: number }> {
      receive(msg: { n: number }): void {
        collector.tell({ n: 2 * msg.n });
        collector.tell({ n: 2 * msg.n + 1 });
      }
    }
    a.system.spawn(() => new Relay(), { name: 'relay' });
    const relay = b.refFor<{ n: number }>(`${a.selfAddress}/user/relay`);
    for (let n = 0; n < 2000; n++) {
      relay.tell({ n });
      // Bursts of different sizes, so a's frames and the runs they wake vary.
      if (n % 97 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    await probe.expectMessage({ n: 3999 }, 10_000);
    expect(received).toEqual(Array.from({ length: 4000 }, (_, n) => n));
  });

  it('notifies a remote watcher with Terminated when the watched actor stops', async () => {
    const [a, b] = await twoNodes();
    b.system.spawn(() => new Echo(), { name: 'echo' });
    const probe = TestProbe.create(a.system);
    const remote = a.refFor<EchoMsg>(`${b.selfAddress}/user/echo`);
    probe.watch(remote as ActorRef<never>);
    remote.tell({ type: 'stop' });
    await probe.expectTerminated(remote as ActorRef<never>, 5000);
  });

  it('notifies an actor watching a remote actor when that actor stops, with a Terminated for the remote path', async () => {
    const [a, b] = await twoNodes();
    b.system.spawn(() => new Echo(), { name: 'echo' });
    const probe = TestProbe.create<string>(a.system);
    const target = a.refFor<EchoMsg>(`${b.selfAddress}/user/echo`);
    class Watcher extends Actor<'go'> {
      override preStart(): void {
        this.context.watch(target as ActorRef<never>);
      }
      receive(): void {}
      override onTerminated(ref: ActorRef<never>): void {
        probe.ref.tell(`terminated ${ref.path}`);
      }
    }
    a.system.spawn(() => new Watcher(), { name: 'watcher' });
    await awaitCondition(() => true);
    // Give the watch a round trip before stopping the target.
    await target.ask((replyTo) => ({ type: 'echo', text: 'sync', replyTo }));
    target.tell({ type: 'stop' });
    await probe.expectMessage(`terminated ${b.selfAddress}/user/echo`, 5000);
    expect(Terminated).toBeDefined();
  });

  it('sends Terminated at once when watching a path with no live actor on the remote node', async () => {
    const [a, b] = await twoNodes();
    const probe = TestProbe.create(a.system);
    const ghost = a.refFor<never>(`${b.selfAddress}/user/nobody`);
    await probe.expectTerminated(ghost, 5000);
  });

  it('publishes a dead letter on the receiving node for a message to a path with no actor', async () => {
    const [a, b] = await twoNodes();
    const dead: string[] = [];
    b.system.eventStream.subscribe('dead-letter', (d) => dead.push(`${d.recipient} ${d.reason}`));
    a.refFor<{ type: 'x' }>(`${b.selfAddress}/user/nobody`).tell({ type: 'x' });
    await awaitCondition(() => dead.length > 0, { timeoutMs: 5000 });
    expect(dead[0]).toBe(`${b.selfAddress}/user/nobody recipient-stopped`);
  });
});
