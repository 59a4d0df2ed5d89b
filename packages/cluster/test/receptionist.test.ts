import { Actor, type ActorRef, ActorSystem, type DeadLetter } from '@troupe/core';
import { TestProbe, awaitCondition } from '@troupe/testkit';
import { describe, expect, it } from 'vitest';
import { type Cluster, InvalidServiceKeyError, type Listing, NonLocalRegistrantError, Receptionist, RegistrantStoppedError, ServiceKey } from '../src/index.js';
import { healPartitions, partitionFrom } from '../src/testing/index.js';
import { clusterFixture } from './fast-settings.js';

type Ping = { type: 'ping'; replyTo: ActorRef<string> } | { type: 'stop' };

class Pinger extends Actor<Ping> {
  receive(msg: Ping): void {
    if (msg.type === 'stop') this.context.stop(this.context.self);
    else msg.replyTo.tell(this.context.self.path);
  }
}

const start = clusterFixture();
let keyCounter = 0;
const freshKey = () => ServiceKey.of<Ping>(`pingers-${process.pid}-${keyCounter++}`);
const pathsIn = (listing: Listing<never> | undefined) => (listing?.refs ?? []).map((r) => r.path);

async function nodes(n: number): Promise<Cluster[]> {
  const first = await start();
  const rest = [];
  for (let i = 1; i < n; i++) rest.push(await start({ seeds: [first.hostPort] }));
  const all = [first, ...rest];
  await awaitCondition(() => all.every((c) => c.state.members.filter((m) => m.status === 'up').length === n), { timeoutMs: 10_000, message: `${n} members Up everywhere` });
  return all;
}

/** The latest listing a function subscriber got, and every listing it got. */
function recorder() {
  const seen: Listing<Ping>[] = [];
  return { seen, listener: (listing: Listing<Ping>) => seen.push(listing), latest: () => pathsIn(seen[seen.length - 1]) };
}

describe('Receptionist', () => {
  it('a registration on one node is found on every other node, as a working ref', async () => {
    const [a, b, c] = (await nodes(3)) as [Cluster, Cluster, Cluster];
    const key = freshKey();
    const pinger = b.system.spawn(() => new Pinger(), { name: 'pinger' });
    for (const node of [a, c]) Receptionist.get(node);
    Receptionist.get(b).register(key, pinger);
    expect(pathsIn(await Receptionist.get(b).find(key))).toEqual([pinger.path]);
    for (const node of [a, c]) {
      const found = recorder();
      Receptionist.get(node).subscribe(key, found.listener);
      await awaitCondition(() => found.latest().length === 1, { timeoutMs: 10_000, message: `the registration seen on ${node.selfAddress}` });
      const listing = await Receptionist.get(node).find(key);
      expect(pathsIn(listing)).toEqual([pinger.path]);
      const ref = listing.refs[0] as ActorRef<Ping>;
      expect(await ref.ask<string>((replyTo) => ({ type: 'ping', replyTo }), { timeoutMs: 5000 })).toBe(pinger.path);
    }
  });

  it('a subscriber gets the current listing at once, then every addition and removal, and nothing after unsubscribing', async () => {
    const [a, b] = (await nodes(2)) as [Cluster, Cluster];
    const key = freshKey();
    const onA = Receptionist.get(a);
    const onB = Receptionist.get(b);
    const first = a.system.spawn(() => new Pinger(), { name: 'first' });
    onA.register(key, first);
    const sub = recorder();
    const unsubscribe = onB.subscribe(key, sub.listener);
    await awaitCondition(() => sub.latest().length === 1, { timeoutMs: 10_000, message: 'b sees the first registration' });
    // The first call is the listing as it was: empty or already with `first`, never anything else.
    expect([[], [first.path]]).toContainEqual(pathsIn(sub.seen[0]));
    const second = b.system.spawn(() => new Pinger(), { name: 'second' });
    onB.register(key, second);
    await awaitCondition(() => sub.latest().length === 2, { timeoutMs: 10_000, message: 'b sees its own second registration' });
    expect(sub.latest()).toEqual([first.path, second.path].sort());
    onA.deregister(key, first);
    await awaitCondition(() => sub.latest().length === 1, { timeoutMs: 10_000, message: 'b sees the deregistration' });
    expect(sub.latest()).toEqual([second.path]);
    unsubscribe();
    const calls = sub.seen.length;
    onB.deregister(key, second);
    // Unsubscribed: an actor subscriber on the same node sees the change; the function is not called again.
    const probe = TestProbe.create<Listing<Ping>>(b.system);
    onB.subscribe(key, probe.ref);
    await probe.fishForMessage((l) => l.refs.length === 0, 5000);
    expect(sub.seen.length).toBe(calls);
  });

  it('an actor subscriber is told listings; on another node too', async () => {
    const [a, b] = (await nodes(2)) as [Cluster, Cluster];
    const key = freshKey();
    const probe = TestProbe.create<Listing<Ping>>(a.system);
    Receptionist.get(a).subscribe(key, probe.ref);
    expect((await probe.expectMessage()).refs).toEqual([]);
    const pinger = b.system.spawn(() => new Pinger(), { name: 'p' });
    Receptionist.get(b).register(key, pinger);
    const listing = await probe.fishForMessage((l) => l.refs.length === 1, 10_000);
    expect(listing).toMatchObject({ type: 'receptionist-listing', key: key.name });
    expect(listing.refs[0]?.path).toBe(pinger.path);
  });

  it('a registrant that stops disappears from every node', async () => {
    const [a, b] = (await nodes(2)) as [Cluster, Cluster];
    const key = freshKey();
    const pinger = a.system.spawn(() => new Pinger(), { name: 'mortal' });
    Receptionist.get(a).register(key, pinger);
    const sub = recorder();
    Receptionist.get(b).subscribe(key, sub.listener);
    await awaitCondition(() => sub.latest().length === 1, { timeoutMs: 10_000, message: 'b sees the registration' });
    pinger.tell({ type: 'stop' });
    await awaitCondition(() => sub.latest().length === 0, { timeoutMs: 10_000, message: 'b sees the stopped registrant withdrawn' });
    expect(pathsIn(await Receptionist.get(a).find(key))).toEqual([]);
  });

  it('a node that joins later gets the full state, and its own registrations reach the others', async () => {
    const [a] = (await nodes(1)) as [Cluster];
    const key = freshKey();
    const early = a.system.spawn(() => new Pinger(), { name: 'early' });
    Receptionist.get(a).register(key, early);
    const subA = recorder();
    Receptionist.get(a).subscribe(key, subA.listener);
    const late = await start({ seeds: [a.hostPort] });
    const lateReceptionist = Receptionist.get(late);
    const own = late.system.spawn(() => new Pinger(), { name: 'own' });
    lateReceptionist.register(key, own);
    const subLate = recorder();
    lateReceptionist.subscribe(key, subLate.listener);
    const both = [early.path, own.path].sort();
    await awaitCondition(() => subLate.latest().length === 2 && subA.latest().length === 2, { timeoutMs: 10_000, message: 'both nodes list both registrations' });
    expect(subLate.latest()).toEqual(both);
    expect(subA.latest()).toEqual(both);
  });

  it('a node that leaves takes its registrations with it', async () => {
    const [a, b] = (await nodes(2)) as [Cluster, Cluster];
    const key = freshKey();
    Receptionist.get(b).register(
      key,
      b.system.spawn(() => new Pinger(), { name: 'leaver' }),
    );
    const sub = recorder();
    Receptionist.get(a).subscribe(key, sub.listener);
    await awaitCondition(() => sub.latest().length === 1, { timeoutMs: 10_000, message: 'a sees b’s registration' });
    await b.leave();
    await awaitCondition(() => sub.latest().length === 0, { timeoutMs: 10_000, message: 'a drops b’s registration' });
  });

  it('refuses bad input with errors that carry a code', async () => {
    const [a, b] = (await nodes(2)) as [Cluster, Cluster];
    const receptionist = Receptionist.get(a);
    const key = freshKey();
    for (const name of ['', ' space', 'a/b', '-leading', 'x'.repeat(201), 42]) {
      expect(() => ServiceKey.of(name as string)).toThrow(InvalidServiceKeyError);
    }
    expect(() => ServiceKey.of('')).toThrow(expect.objectContaining({ code: 'ERR_RECEPTIONIST_INVALID_KEY' }));
    expect(ServiceKey.of('orders.v2:eu-1_a').name).toBe('orders.v2:eu-1_a');
    expect(() =>
      receptionist.register(
        { name: 'not-a-key' } as never,
        a.system.spawn(() => new Pinger()),
      ),
    ).toThrow(InvalidServiceKeyError);

    const remote = a.refFor<Ping>(`${b.selfAddress}/user/anything`);
    expect(() => receptionist.register(key, remote)).toThrow(expect.objectContaining({ name: 'NonLocalRegistrantError', code: 'ERR_RECEPTIONIST_NOT_LOCAL' }));
    const elsewhere = ActorSystem.create({ name: 'elsewhere' });
    try {
      expect(() =>
        receptionist.register(
          key,
          elsewhere.spawn(() => new Pinger()),
        ),
      ).toThrow(NonLocalRegistrantError);
    } finally {
      await elsewhere.terminate();
    }

    const stopped = a.system.spawn(() => new Pinger(), { name: 'stopped' });
    const probe = TestProbe.create(a.system);
    a.system.stop(stopped);
    await probe.expectTerminated(stopped, 5000);
    let thrown: unknown;
    try {
      receptionist.register(key, stopped);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(RegistrantStoppedError);
    expect(thrown).toMatchObject({ code: 'ERR_RECEPTIONIST_REGISTRANT_STOPPED', path: stopped.path });
    expect(() => receptionist.subscribe(key, 'nope' as never)).toThrow(TypeError);
    expect(() => Receptionist.get(a, { syncIntervalMs: 0 })).toThrow(RangeError);
    expect(() => Receptionist.get(b, { syncIntervalMs: 1 })).toThrow(/syncIntervalMs/);
  });

  it('a probe (not an actor of the tree) that is stopped while registered is withdrawn through death watch', async () => {
    const [a] = (await nodes(1)) as [Cluster];
    const key = ServiceKey.of<unknown>(`probes-${process.pid}`);
    const registrant = TestProbe.create(a.system);
    const receptionist = Receptionist.get(a);
    receptionist.register(key, registrant.ref);
    expect(pathsIn(await receptionist.find(key))).toEqual([registrant.ref.path]);
    registrant.stop();
    await awaitCondition(async () => (await receptionist.find(key)).refs.length === 0, { timeoutMs: 5000, message: 'the stopped probe withdrawn' });
  });

  it('a function subscriber that throws keeps its subscription and does not stop the others', async () => {
    const [a] = (await nodes(1)) as [Cluster];
    const key = freshKey();
    const receptionist = Receptionist.get(a);
    let thrower = 0;
    receptionist.subscribe(key, () => {
      thrower++;
      throw new Error('subscriber bug');
    });
    const sub = recorder();
    receptionist.subscribe(key, sub.listener);
    receptionist.register(
      key,
      a.system.spawn(() => new Pinger()),
    );
    await awaitCondition(() => sub.latest().length === 1, { timeoutMs: 5000, message: 'the second subscriber told' });
    expect(thrower).toBe(2);
  });
  it('a receptionist started late on a member that was already Up gets the registrations made before', async () => {
    const [a, b] = (await nodes(2)) as [Cluster, Cluster];
    const key = freshKey();
    const pinger = a.system.spawn(() => new Pinger(), { name: 'before' });
    Receptionist.get(a).register(key, pinger);
    expect(pathsIn(await Receptionist.get(a).find(key))).toEqual([pinger.path]);
    const sub = recorder();
    Receptionist.get(b).subscribe(key, sub.listener);
    await awaitCondition(() => sub.latest().length === 1, { timeoutMs: 10_000, message: 'the late receptionist lists the earlier registration' });
  });

  it('a delta lost on the way is repaired by the next version heartbeat (the receiver pulls the full state)', async () => {
    const [a, b] = (await nodes(2)) as [Cluster, Cluster];
    const key = freshKey();
    Receptionist.get(a, { syncIntervalMs: 100 });
    const sub = recorder();
    Receptionist.get(b, { syncIntervalMs: 100 }).subscribe(key, sub.listener);
    // Both receptionists know each other once one has answered the other.
    const warmup = a.system.spawn(() => new Pinger(), { name: 'warmup' });
    Receptionist.get(a).register(key, warmup);
    await awaitCondition(() => sub.latest().length === 1, { timeoutMs: 10_000, message: 'b lists the first registration' });

    const dropped: DeadLetter[] = [];
    a.system.eventStream.subscribe('dead-letter', (d) => dropped.push(d));
    partitionFrom(a, [b.selfAddress]);
    const lost = a.system.spawn(() => new Pinger(), { name: 'lost' });
    Receptionist.get(a).register(key, lost);
    try {
      await awaitCondition(() => dropped.some((d) => d.reason === 'partitioned' && (d.message as { t?: string }).t === 'rc-delta'), { timeoutMs: 5000, message: 'the delta dropped' });
    } finally {
      healPartitions(a);
    }
    await awaitCondition(() => sub.latest().length === 2, { timeoutMs: 10_000, message: 'b repaired its replica' });
    expect(sub.latest()).toEqual([lost.path, warmup.path].sort());
  });
});
