import { Actor, type ActorRef, type DeadLetter } from '@troupe/core';
import { awaitCondition } from '@troupe/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { Cluster, NoLiveMemberError, RemoteActorRef, parseAddress } from '../src/index.js';
import { withCurrentIncarnation } from '../src/address/current-incarnation.js';
import type { Member } from '../src/membership/member.js';
import { fastOptions } from './fast-settings.js';

type EchoMsg = { type: 'echo'; text: string; replyTo: ActorRef<{ text: string; from: string }> };

class Echo extends Actor<EchoMsg> {
  receive(msg: EchoMsg): void {
    msg.replyTo.tell({ text: msg.text, from: this.context.system.address });
  }
}

const started: Cluster[] = [];

async function start(extra: Parameters<typeof fastOptions>[0] = {}): Promise<Cluster> {
  const cluster = await Cluster.start(fastOptions(extra));
  started.push(cluster);
  return cluster;
}

const upCount = (c: Cluster) => c.state.members.filter((m) => m.status === 'up').length;

/** `troupe://<system>@<host>:<port>`: the node's address without its incarnation. */
function withoutIncarnation(address: string): string {
  const parsed = parseAddress(address);
  if (parsed === undefined) throw new TypeError(address);
  return `troupe://${parsed.system}@${parsed.host}:${parsed.port}`;
}

afterEach(async () => {
  await Promise.all(started.splice(0).map((c) => c.shutdown()));
});

describe('Cluster.refFor with a path without the incarnation', () => {
  it('resolves troupe://sys@host:port/user/x to the current incarnation of that member, and the ask is answered', async () => {
    const a = await start();
    const b = await start({ seeds: [a.hostPort] });
    await awaitCondition(() => upCount(a) === 2 && upCount(b) === 2, { timeoutMs: 10_000, message: 'two members Up' });
    b.system.spawn(() => new Echo(), { name: 'echo' });
    const dead: DeadLetter[] = [];
    a.system.eventStream.subscribe('dead-letter', (d) => dead.push(d));

    const ref = a.refFor<EchoMsg>(`${withoutIncarnation(b.selfAddress)}/user/echo`);
    expect(ref).toBeInstanceOf(RemoteActorRef);
    expect(ref.path).toBe(`${b.selfAddress}/user/echo`);
    const reply = await ref.ask<{ text: string; from: string }>((replyTo) => ({ type: 'echo', text: 'hi', replyTo }), { timeoutMs: 5000 });
    expect(reply).toEqual({ text: 'hi', from: b.selfAddress });
    expect(dead).toEqual([]);
  });

  it('resolves this node’s own address without the incarnation to a local ref', async () => {
    const a = await start();
    await a.whenUp;
    const echo = a.system.spawn(() => new Echo(), { name: 'echo' });
    const ref = a.refFor<EchoMsg>(`${withoutIncarnation(a.selfAddress)}/user/echo`);
    expect(ref).toBe(echo);
  });

  it('throws NoLiveMemberError naming the address when no live member has it, instead of dead-lettering silently', async () => {
    const a = await start();
    await a.whenUp;
    const nobody = 'troupe://test@127.0.0.1:1/user/x';
    let thrown: unknown;
    try {
      a.refFor(nobody);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(NoLiveMemberError);
    expect((thrown as NoLiveMemberError).code).toBe('ERR_CLUSTER_NO_LIVE_MEMBER');
    expect((thrown as NoLiveMemberError).address).toBe('troupe://test@127.0.0.1:1');
    expect((thrown as Error).message).toMatch(/no live cluster member at troupe:\/\/test@127\.0\.0\.1:1 /);
    // Another system name at a member's host:port is not that member.
    const other = `troupe://other@${a.hostPort}/user/x`;
    expect(() => a.refFor(other)).toThrow(NoLiveMemberError);
  });

  it('keeps the incarnation a ref was resolved to: after the node at that address restarts, the old ref dead-letters and resolving again reaches the new incarnation', async () => {
    const a = await start();
    const b = await start({ seeds: [a.hostPort] });
    await awaitCondition(() => upCount(a) === 2, { timeoutMs: 10_000, message: 'two members Up' });
    const port = parseAddress(b.selfAddress)?.port as number;
    const path = `${withoutIncarnation(b.selfAddress)}/user/echo`;
    b.system.spawn(() => new Echo(), { name: 'echo' });
    const old = a.refFor<EchoMsg>(path);
    expect((await old.ask<{ from: string }>((replyTo) => ({ type: 'echo', text: '1', replyTo }), { timeoutMs: 5000 })).from).toBe(b.selfAddress);

    await b.leave();
    await awaitCondition(() => a.state.members.length === 1, { timeoutMs: 10_000, message: 'b removed' });
    expect(() => a.refFor(path)).toThrow(NoLiveMemberError);
    const b2 = await start({ seeds: [a.hostPort], port });
    await awaitCondition(() => upCount(a) === 2, { timeoutMs: 10_000, message: 'b restarted and Up' });
    expect(b2.selfAddress).not.toBe(b.selfAddress);
    b2.system.spawn(() => new Echo(), { name: 'echo' });

    const dead: DeadLetter[] = [];
    a.system.eventStream.subscribe('dead-letter', (d) => dead.push(d));
    old.tell({ type: 'echo', text: 'to the old one', replyTo: a.system.spawn(() => new Echo()) as never });
    await awaitCondition(() => dead.length > 0, { timeoutMs: 5000, message: 'a dead letter for the old incarnation' });
    expect(dead.map((d) => [d.recipient, d.reason])).toEqual([[`${b.selfAddress}/user/echo`, 'node-removed']]);

    const fresh = a.refFor<EchoMsg>(path);
    expect(fresh.path).toBe(`${b2.selfAddress}/user/echo`);
    expect((await fresh.ask<{ from: string }>((replyTo) => ({ type: 'echo', text: '2', replyTo }), { timeoutMs: 5000 })).from).toBe(b2.selfAddress);
  });
});

describe('withCurrentIncarnation', () => {
  const self = 'troupe://shop@10.0.0.1:2551#self1';
  const member = (address: string, status: Member['status']): Member => ({ address, status, upNumber: 1, roles: [] });

  it('leaves paths with an incarnation, and paths that are not troupe:// paths, as they are', () => {
    expect(withCurrentIncarnation('troupe://shop@10.0.0.2:2552#abc/user/x', self, [])).toBe('troupe://shop@10.0.0.2:2552#abc/user/x');
    expect(withCurrentIncarnation('/user/x', self, [])).toBe('/user/x');
  });

  it('fills in this node’s incarnation for its own address, member or not', () => {
    expect(withCurrentIncarnation('troupe://shop@10.0.0.1:2551/user/x', self, [])).toBe(`${self}/user/x`);
  });

  it('picks the live member at the address, preferring Up over a Joining restart, never a Down or Removed one', () => {
    const members = [member('troupe://shop@10.0.0.2:2552#old', 'down'), member('troupe://shop@10.0.0.2:2552#new', 'joining'), member('troupe://shop@10.0.0.3:2553#c', 'up')];
    expect(withCurrentIncarnation('troupe://shop@10.0.0.2:2552/user/x', self, members)).toBe('troupe://shop@10.0.0.2:2552#new/user/x');
    const upToo = [...members, member('troupe://shop@10.0.0.2:2552#up', 'up')];
    expect(withCurrentIncarnation('troupe://shop@10.0.0.2:2552/user/x', self, upToo)).toBe('troupe://shop@10.0.0.2:2552#up/user/x');
    expect(withCurrentIncarnation('troupe://shop@10.0.0.2:2552', self, upToo)).toBe('troupe://shop@10.0.0.2:2552#up');
    expect(() => withCurrentIncarnation('troupe://shop@10.0.0.9:2552/user/x', self, [member('troupe://shop@10.0.0.9:2552#gone', 'down')])).toThrow(NoLiveMemberError);
  });

  it('throws TypeError for an address part that is not troupe://<system>@<host>:<port>', () => {
    expect(() => withCurrentIncarnation('troupe://nowhere/user/x', self, [])).toThrow(TypeError);
    expect(() => withCurrentIncarnation('troupe://shop@host/user/x', self, [])).toThrow(/not an actor path/);
  });
});
