import { Actor, type ActorRef, ActorSystem, type DeadLetter, Routers, RoutingLogics, routeesOf, silentLogger, spawnRouter } from '@troupe/core';
import { resolveLocalRef } from '@troupe/core/spi';
import { TestProbe, awaitCondition } from '@troupe/testkit';
import { afterEach, describe, expect, it } from 'vitest';

let system: ActorSystem;
afterEach(async () => {
  await system?.terminate();
});

type Job = { n: number; key?: string };

/** Reports `<its name>:<n>` for every job. */
class Reporter extends Actor<Job> {
  constructor(private readonly probe: ActorRef<string>) {
    super();
  }
  receive(job: Job): void {
    this.probe.tell(`${this.context.self.path.split('/').pop()}:${job.n}`);
  }
}

function countBy(lines: string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const line of lines) {
    const who = line.split(':')[0] as string;
    counts.set(who, (counts.get(who) ?? 0) + 1);
  }
  return counts;
}

describe('Routers', () => {
  it('round-robin pool spreads messages evenly over its routees', async () => {
    system = ActorSystem.create({ logger: silentLogger });
    const probe = TestProbe.create<string>(system);
    const pool = spawnRouter(system, Routers.pool({ size: 4, routee: () => new Reporter(probe.ref) }), { name: 'pool' });
    for (let n = 0; n < 40; n++) pool.tell({ n });
    const counts = countBy(await probe.receiveN(40));
    expect([...counts.values()]).toEqual([10, 10, 10, 10]);
    expect(routeesOf(pool)).toHaveLength(4);
  });

  it('random pool uses the given random source', async () => {
    system = ActorSystem.create({ logger: silentLogger });
    const probe = TestProbe.create<string>(system);
    const pool = spawnRouter(system, Routers.pool({ size: 3, routee: () => new Reporter(probe.ref), logic: RoutingLogics.random(() => 0.99) }));
    for (let n = 0; n < 5; n++) pool.tell({ n });
    const counts = countBy(await probe.receiveN(5));
    expect(counts.size).toBe(1);
    expect([...counts.keys()][0]).toBe(routeesOf(pool)?.[2]?.path.split('/').pop());
  });

  it('broadcast pool sends every message to every routee', async () => {
    system = ActorSystem.create({ logger: silentLogger });
    const probe = TestProbe.create<string>(system);
    const pool = spawnRouter(system, Routers.pool({ size: 3, routee: () => new Reporter(probe.ref), logic: RoutingLogics.broadcast() }));
    pool.tell({ n: 7 });
    const lines = await probe.receiveN(3);
    expect(new Set(lines).size).toBe(3);
    expect(lines.every((line) => line.endsWith(':7'))).toBe(true);
  });

  it('smallest-mailbox pool avoids a routee with a backlog', async () => {
    system = ActorSystem.create({ logger: silentLogger });
    const probe = TestProbe.create<string>(system);
    const { promise: gate, resolve: open } = Promise.withResolvers<void>();
    class Blocking extends Actor<Job> {
      async receive(job: Job): Promise<void> {
        if (job.n === 0) {
          probe.ref.tell('blocked');
          await gate;
        }
        probe.ref.tell(`${this.context.self.path.split('/').pop()}:${job.n}`);
      }
    }
    const pool = spawnRouter(system, Routers.pool({ size: 2, routee: () => new Blocking(), logic: RoutingLogics.smallestMailbox() }));
    pool.tell({ n: 0 });
    await probe.expectMessage('blocked');
    const busy = routeesOf(pool)?.[0]?.path.split('/').pop();
    const lines: string[] = [];
    for (let n = 1; n <= 5; n++) {
      pool.tell({ n });
      lines.push(await probe.expectMessage());
    }
    expect(lines.every((line) => !line.startsWith(`${busy}:`))).toBe(true);
    open();
    await probe.expectMessage(`${busy}:0`);
  });

  it('consistent-hashing group sends equal keys to the same routee and moves only a removed routee’s keys', async () => {
    system = ActorSystem.create({ logger: silentLogger });
    const probe = TestProbe.create<string>(system);
    const refs = ['r0', 'r1', 'r2', 'r3'].map((name) => system.spawn(() => new Reporter(probe.ref), { name }));
    const router = spawnRouter(system, Routers.group({ routees: refs, logic: RoutingLogics.consistentHashing<Job>({ hashKey: (job) => job.key ?? '' }) }));
    await awaitCondition(() => routeesOf(router)?.length === 4);
    const keys = Array.from({ length: 200 }, (_, i) => `key-${i}`);
    const owner = async (): Promise<Map<string, string>> => {
      for (const [n, key] of keys.entries()) router.tell({ n, key });
      const lines = await probe.receiveN(keys.length);
      return new Map(lines.map((line) => [keys[Number(line.split(':')[1])] as string, line.split(':')[0] as string]));
    };
    const before = await owner();
    expect(await owner()).toEqual(before);
    expect(new Set(before.values()).size).toBe(4);
    system.stop(refs[1]!);
    await awaitCondition(() => routeesOf(router)?.length === 3);
    const after = await owner();
    for (const key of keys) {
      if (before.get(key) !== 'r1') expect(after.get(key)).toBe(before.get(key));
      else expect(after.get(key)).not.toBe('r1');
    }
  });

  it('scatter-gather returns the first reply to the asker', async () => {
    system = ActorSystem.create({ logger: silentLogger });
    type Query = { q: string; replyTo: ActorRef<string> };
    const gates: Array<() => void> = [];
    class Service extends Actor<Query> {
      constructor(
        private readonly id: string,
        private readonly slow: boolean,
      ) {
        super();
      }
      async receive(query: Query): Promise<void> {
        if (this.slow) await new Promise<void>((resolve) => gates.push(resolve));
        query.replyTo.tell(`${this.id} answered ${query.q}`);
      }
    }
    const services = [system.spawn(() => new Service('slow', true)), system.spawn(() => new Service('fast', false))];
    const router = spawnRouter(system, Routers.group<Query>({ routees: services, logic: RoutingLogics.scatterGatherFirstCompleted({ withinMs: 1000 }) }));
    await expect(router.ask<string>((replyTo) => ({ q: 'x', replyTo }))).resolves.toBe('fast answered x');
    for (const open of gates) open();
  });

  it('scatter-gather reply refs count as terminated once done (first reply, or withinMs ran out), so their watchers can let them go', async () => {
    system = ActorSystem.create({ logger: silentLogger });
    type Query = { q: string; replyTo: ActorRef<string> };
    const replyRefs: ActorRef<string>[] = [];
    class Service extends Actor<Query> {
      receive(query: Query): void {
        replyRefs.push(query.replyTo);
        if (query.q === 'answer') query.replyTo.tell(`answered ${query.q}`);
      }
    }
    const router = spawnRouter(system, Routers.group<Query>({ routees: [system.spawn(() => new Service())], logic: RoutingLogics.scatterGatherFirstCompleted({ withinMs: 200 }) }));
    const watcher = TestProbe.create(system);
    const asker = TestProbe.create<string>(system);
    router.tell({ q: 'answer', replyTo: asker.ref });
    await asker.expectMessage('answered answer');
    // Watched after it was done: Terminated at once.
    await watcher.expectTerminated(replyRefs[0]!);
    router.tell({ q: 'ignore', replyTo: asker.ref });
    await awaitCondition(() => replyRefs.length === 2);
    // Watched while pending: Terminated when its time runs out.
    await watcher.expectTerminated(replyRefs[1]!, 3000);
    await asker.expectNoMessage(50);
  });

  it('balancing pool hands messages only to idle routees', async () => {
    system = ActorSystem.create({ logger: silentLogger });
    const probe = TestProbe.create<string>(system);
    const { promise: gate, resolve: open } = Promise.withResolvers<void>();
    class Publisher extends Actor<Job> {
      async receive(job: Job): Promise<void> {
        const me = this.context.self.path.split('/').pop();
        if (job.n === 0) {
          probe.ref.tell(`${me} blocked`);
          await gate;
        }
        probe.ref.tell(`${me}:${job.n}`);
      }
    }
    const pool = spawnRouter(system, Routers.balancingPool({ size: 3, routee: () => new Publisher() }));
    await awaitCondition(() => routeesOf(pool)?.length === 3);
    pool.tell({ n: 0 });
    const blocked = (await probe.expectMessage((m) => m.endsWith(' blocked'))).split(' ')[0];
    for (let n = 1; n <= 30; n++) pool.tell({ n });
    const lines = await probe.receiveN(30);
    expect(lines.some((line) => line.startsWith(`${blocked}:`))).toBe(false);
    expect(new Set(lines.map((line) => Number(line.split(':')[1])))).toEqual(new Set(Array.from({ length: 30 }, (_, i) => i + 1)));
    open();
    await probe.expectMessage(`${blocked}:0`);
  });

  it('balancing pool routees get their own replies and timers, not another routee', async () => {
    system = ActorSystem.create({ logger: silentLogger });
    const probe = TestProbe.create<string>(system);
    type Msg = { type: 'start' } | { type: 'reply' } | { type: 'tick' };
    class Selfish extends Actor<Msg> {
      receive(message: Msg): void {
        const me = this.context.self.path.split('/').pop();
        if (message.type === 'start') {
          this.context.self.tell({ type: 'reply' });
          this.context.timers.startSingleTimer('t', { type: 'tick' }, 1);
        } else {
          probe.ref.tell(`${me} got its own ${message.type}`);
        }
      }
    }
    const pool = spawnRouter(system, Routers.balancingPool<Msg>({ size: 2, routee: () => new Selfish() }));
    pool.tell({ type: 'start' });
    const lines = await probe.receiveN(2);
    const owner = lines[0]?.split(' ')[0];
    expect(lines.sort()).toEqual([`${owner} got its own reply`, `${owner} got its own tick`]);
  });

  it('balancing pool hands queued work to an idle routee when another one stops', async () => {
    system = ActorSystem.create({ logger: silentLogger });
    const probe = TestProbe.create<string>(system);
    const pool = spawnRouter(system, Routers.balancingPool<Job>({ size: 2, routee: () => new Reporter(probe.ref) }));
    await awaitCondition(() => routeesOf(pool)?.length === 2);
    pool.tell({ n: 1 });
    await probe.expectMessage((m) => m.endsWith(':1'));
    const [first] = routeesOf(pool) ?? [];
    system.stop(first!);
    await awaitCondition(() => routeesOf(pool)?.length === 1);
    for (let n = 2; n <= 4; n++) pool.tell({ n });
    expect((await probe.receiveN(3)).map((line) => line.split(':')[1])).toEqual(['2', '3', '4']);
  });

  it('removes routees that stop, and dead-letters with no-routees once none are left', async () => {
    system = ActorSystem.create({ logger: silentLogger });
    const letters: DeadLetter[] = [];
    system.eventStream.subscribe('dead-letter', (letter) => letters.push(letter));
    const probe = TestProbe.create<string>(system);
    const pool = spawnRouter(system, Routers.pool({ size: 2, routee: () => new Reporter(probe.ref) }), { name: 'shrinking' });
    await awaitCondition(() => routeesOf(pool)?.length === 2);
    for (const routee of routeesOf(pool) ?? []) system.stop(routee);
    await awaitCondition(() => routeesOf(pool)?.length === 0);
    pool.tell({ n: 1 });
    expect(letters.map((l) => [l.recipient, l.reason])).toEqual([['troupe://troupe/user/shrinking', 'no-routees']]);
  });

  it('grows a pool with a resizer when every routee is busy', async () => {
    system = ActorSystem.create({ logger: silentLogger });
    const { promise: gate, resolve: open } = Promise.withResolvers<void>();
    class Busy extends Actor<Job> {
      async receive(): Promise<void> {
        await gate;
      }
    }
    const pool = spawnRouter(system, Routers.pool({ size: 1, routee: () => new Busy(), resizer: { lowerBound: 1, upperBound: 4, messagesPerResize: 2, rampupRate: 1 } }));
    const sizes = new Set<number>();
    // The resizer looks at the pool every 2 routed messages; keep the pressure on until it has grown.
    await awaitCondition(
      () => {
        pool.tell({ n: 0 });
        pool.tell({ n: 1 });
        sizes.add(routeesOf(pool)?.length ?? 0);
        return sizes.has(4);
      },
      { message: 'pool resized to its upper bound' },
    );
    expect([...sizes].sort()).toEqual([1, 2, 4]);
    open();
  });

  it('routes messages sent to the router found by its path', async () => {
    system = ActorSystem.create({ logger: silentLogger });
    const probe = TestProbe.create<string>(system);
    const pool = spawnRouter(system, Routers.pool({ size: 2, routee: () => new Reporter(probe.ref) }), { name: 'by-path' });
    const found = resolveLocalRef(system, pool.path) as ActorRef<Job> | undefined;
    expect(found).toBe(pool);
    found?.tell({ n: 1 });
    found?.tell({ n: 2 });
    expect(countBy(await probe.receiveN(2)).size).toBe(2);
  });

  it('validates router options, naming the bad field', () => {
    expect(() => Routers.pool({ size: -1, routee: () => new Reporter(undefined as never) })).toThrow(/size/);
    expect(() => Routers.group({ routees: [{} as never] })).toThrow(/routees\[0\]/);
    expect(() => Routers.pool({ size: 1, routee: () => new Reporter(undefined as never), resizer: { lowerBound: 3, upperBound: 2 } })).toThrow(/upperBound/);
    expect(() => RoutingLogics.consistentHashing({} as never)).toThrow(/hashKey/);
  });
});
