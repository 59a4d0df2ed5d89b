import { Actor, type ActorRef, ActorSystem, type DeadLetter, silentLogger } from '@troupe/core';
import { TestProbe, awaitCondition } from '@troupe/testkit';
import { Terminated } from '../src/internal/terminated.js';
import { afterEach, describe, expect, it } from 'vitest';

let system: ActorSystem;
afterEach(async () => {
  await system?.terminate();
});

describe('Stopping actors', () => {
  it('stops children first: their postStop runs before the parent’s and their queued messages are not processed', async () => {
    system = ActorSystem.create({ logger: silentLogger });
    const events: string[] = [];
    const deadLetters: DeadLetter[] = [];
    system.eventStream.subscribe('dead-letter', (letter) => deadLetters.push(letter));
    let release: () => void = () => {};
    const blocked = new Promise<void>((resolve) => {
      release = resolve;
    });
    class Child extends Actor<string> {
      constructor(private readonly id: string) {
        super();
      }
      async receive(message: string): Promise<void> {
        events.push(`${this.id} handled ${message}`);
        await blocked;
      }
      override postStop(): void {
        events.push(`${this.id} postStop`);
      }
    }
    let kids: ActorRef<string>[] = [];
    class Parent extends Actor<never> {
      constructor() {
        super();
        kids = [this.context.spawn(() => new Child('a'), { name: 'a' }), this.context.spawn(() => new Child('b'), { name: 'b' })];
      }
      receive(): void {}
      override postStop(): void {
        events.push('parent postStop');
      }
    }
    const parent = system.spawn(() => new Parent(), { name: 'parent' });
    await awaitCondition(() => kids.length === 2);
    const [a] = kids as [ActorRef<string>, ActorRef<string>];
    a.tell('first');
    a.tell('queued-1');
    a.tell('queued-2');
    await awaitCondition(() => events.includes('a handled first'));
    const probe = TestProbe.create(system);
    system.stop(parent);
    await probe.expectTerminated(parent);
    release();
    expect(events.indexOf('parent postStop')).toBe(events.length - 1);
    expect(events).toContain('a postStop');
    expect(events).toContain('b postStop');
    expect(events.filter((e) => e.includes('queued'))).toEqual([]);
    expect(deadLetters.map((d) => [d.message, d.reason])).toEqual([
      ['queued-1', 'recipient-stopped'],
      ['queued-2', 'recipient-stopped'],
    ]);
  });

  it('sends a message told to a stopped actor to dead letters with a reason', async () => {
    system = ActorSystem.create({ logger: silentLogger });
    const letters: DeadLetter[] = [];
    system.eventStream.subscribe('dead-letter', (letter) => letters.push(letter));
    class Noop extends Actor<string> {
      receive(): void {}
    }
    const ref = system.spawn(() => new Noop(), { name: 'gone' });
    const probe = TestProbe.create(system);
    system.stop(ref);
    await probe.expectTerminated(ref);
    ref.tell('hello?');
    expect(letters).toEqual([{ message: 'hello?', recipient: 'troupe://troupe/user/gone', reason: 'recipient-stopped' }]);
    expect(system.deadLetterCount).toBe(1);
  });

  it('notifies every watcher exactly once, including one that watches twice and one that watches after the stop', async () => {
    system = ActorSystem.create({ logger: silentLogger });
    const probe = TestProbe.create<string>(system);
    class Target extends Actor<'stop'> {
      receive(): void {
        this.context.stop(this.context.self);
      }
    }
    const target = system.spawn(() => new Target(), { name: 'target' });
    class WatcherActor extends Actor<'watch' | 'ping'> {
      constructor(private readonly id: string) {
        super();
      }
      receive(message: 'watch' | 'ping'): void {
        if (message === 'watch') this.context.watch(target);
        else probe.ref.tell(`${this.id} alive`);
      }
      override onTerminated(ref: ActorRef<never>): void {
        probe.ref.tell(`${this.id} saw ${ref.path} stop`);
      }
    }
    const w1 = system.spawn(() => new WatcherActor('w1'));
    const w2 = system.spawn(() => new WatcherActor('w2'));
    w1.tell('watch');
    w2.tell('watch');
    w2.tell('watch');
    w1.tell('ping');
    await probe.expectMessage('w1 alive');
    target.tell('stop');
    const seen = await probe.receiveN(2);
    expect(seen.sort()).toEqual(['w1 saw troupe://troupe/user/target stop', 'w2 saw troupe://troupe/user/target stop']);
    const late = system.spawn(() => new WatcherActor('late'));
    late.tell('watch');
    await probe.expectMessage('late saw troupe://troupe/user/target stop');
    await probe.expectNoMessage(50);
  });

  it('delivers a custom message instead of onTerminated when watched with one, and nothing after unwatch', async () => {
    system = ActorSystem.create({ logger: silentLogger });
    const probe = TestProbe.create<string>(system);
    class Noop extends Actor<never> {
      receive(): void {}
    }
    const a = system.spawn(() => new Noop(), { name: 'a' });
    const b = system.spawn(() => new Noop(), { name: 'b' });
    type Msg = { type: 'watch' } | { type: 'gone'; who: string };
    class WatcherActor extends Actor<Msg> {
      receive(message: Msg): void {
        if (message.type === 'watch') {
          this.context.watch(a, { type: 'gone', who: 'a' });
          this.context.watch(b, { type: 'gone', who: 'b' });
          this.context.unwatch(b);
          probe.ref.tell('watching');
        } else {
          probe.ref.tell(`gone ${message.who}`);
        }
      }
      override onTerminated(): void {
        probe.ref.tell('onTerminated should not run');
      }
    }
    const watcher = system.spawn(() => new WatcherActor());
    watcher.tell({ type: 'watch' });
    await probe.expectMessage('watching');
    system.stop(b);
    system.stop(a);
    await probe.expectMessage('gone a');
    await probe.expectNoMessage(50);
  });

  it('terminate() stops every actor and resolves; spawning afterwards fails', async () => {
    system = ActorSystem.create({ logger: silentLogger });
    const stopped: string[] = [];
    let constructed = 0;
    class Node extends Actor<never> {
      constructor(
        private readonly depth: number,
        private readonly id: string,
      ) {
        super();
        constructed++;
        if (depth > 0) for (let i = 0; i < 3; i++) this.context.spawn(() => new Node(depth - 1, `${id}.${i}`));
      }
      receive(): void {}
      override postStop(): void {
        stopped.push(this.id);
      }
    }
    system.spawn(() => new Node(3, 'root'));
    await awaitCondition(() => constructed === 40);
    await system.terminate();
    expect(system.isTerminated).toBe(true);
    expect(stopped).toHaveLength(1 + 3 + 9 + 27);
    expect(stopped.at(-1)).toBe('root');
    expect(() => system.spawn(() => new Node(0, 'x'))).toThrow(/terminated/);
  });

  it('gives the internal Terminated signal its ref', () => {
    system = ActorSystem.create({ logger: silentLogger });
    // `Terminated` comes from src, the system from dist: two copies of ActorRef's private symbol, not a variance problem.
    const t = new Terminated(system.deadLetters as never);
    expect(t.ref.path).toBe('troupe://troupe/deadLetters');
  });
});
