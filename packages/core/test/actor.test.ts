import { Actor, ActorNameTakenError, type ActorRef, ActorSystem, silentLogger } from '@troupe/core';
import { TestProbe, awaitCondition } from '@troupe/testkit';
import { afterEach, describe, expect, it } from 'vitest';

let system: ActorSystem;
afterEach(async () => {
  await system?.terminate();
});

class Recorder<M> extends Actor<M> {
  constructor(private readonly probe: ActorRef<M>) {
    super();
  }
  receive(message: M): void {
    this.probe.tell(message);
  }
}

describe('Actor', () => {
  it('receives messages from one sender in the order they were sent', async () => {
    system = ActorSystem.create({ logger: silentLogger });
    const probe = TestProbe.create<number>(system);
    const actor = system.spawn(() => new Recorder(probe.ref));
    for (let i = 0; i < 10_000; i++) actor.tell(i);
    const received = await probe.receiveN(10_000);
    expect(received).toEqual(Array.from({ length: 10_000 }, (_, i) => i));
  });

  it('handles one message at a time: a returned Promise holds the mailbox until it settles, while other actors keep running', async () => {
    system = ActorSystem.create({ logger: silentLogger });
    const probe = TestProbe.create<string>(system);
    const gates: Array<() => void> = [];
    let active = 0;
    let maxActive = 0;
    class Slow extends Actor<number> {
      async receive(n: number): Promise<void> {
        active++;
        maxActive = Math.max(maxActive, active);
        probe.ref.tell(`start ${n}`);
        await new Promise<void>((resolve) => gates.push(resolve));
        active--;
        probe.ref.tell(`end ${n}`);
      }
    }
    const slow = system.spawn(() => new Slow());
    const other = system.spawn(() => new Recorder(probe.ref));
    slow.tell(1);
    slow.tell(2);
    await probe.expectMessage('start 1');
    other.tell('other ran while slow was suspended');
    await probe.expectMessage('other ran while slow was suspended');
    expect(gates).toHaveLength(1);
    gates.shift()?.();
    await probe.expectMessage('end 1');
    await probe.expectMessage('start 2');
    gates.shift()?.();
    await probe.expectMessage('end 2');
    expect(maxActive).toBe(1);
  });

  it('offers the context in the constructor, so children can be spawned there', async () => {
    system = ActorSystem.create({ logger: silentLogger });
    const probe = TestProbe.create<string>(system);
    class Parent extends Actor<string> {
      private readonly child = this.context.spawn(() => new Recorder(probe.ref), { name: 'child' });
      receive(message: string): void {
        this.child.tell(message);
      }
    }
    const parent = system.spawn(() => new Parent(), { name: 'parent' });
    parent.tell('via child');
    await probe.expectMessage('via child');
    expect(parent.path).toBe('troupe://troupe/user/parent');
  });

  it('refuses to be constructed outside spawn', () => {
    class Lonely extends Actor<string> {
      receive(): void {}
    }
    expect(() => new Lonely()).toThrow(TypeError);
  });

  it('rejects an invalid name with a TypeError and a taken name with ActorNameTakenError', () => {
    system = ActorSystem.create({ logger: silentLogger });
    const probe = TestProbe.create(system);
    system.spawn(() => new Recorder(probe.ref), { name: 'worker' });
    expect(() => system.spawn(() => new Recorder(probe.ref), { name: '$reserved' })).toThrow(TypeError);
    expect(() => system.spawn(() => new Recorder(probe.ref), { name: 'a/b' })).toThrow(/name "a\/b" is invalid/);
    const taken = (() => {
      try {
        system.spawn(() => new Recorder(probe.ref), { name: 'worker' });
      } catch (error) {
        return error;
      }
    })();
    expect(taken).toBeInstanceOf(ActorNameTakenError);
    expect((taken as ActorNameTakenError).code).toBe('ERR_ACTOR_NAME_TAKEN');
  });

  it('gives 1,000,000 anonymous children distinct names', async () => {
    system = ActorSystem.create({ logger: silentLogger });
    class Idle extends Actor<never> {
      receive(): void {}
    }
    let children: readonly ActorRef<never>[] = [];
    class Parent extends Actor<'spawn'> {
      receive(): void {
        for (let i = 0; i < 1_000_000; i++) this.context.spawn(() => new Idle());
        children = this.context.children;
      }
    }
    system.spawn(() => new Parent()).tell('spawn');
    await awaitCondition(() => children.length > 0, { timeoutMs: 20_000 });
    expect(children).toHaveLength(1_000_000);
    expect(new Set(children.map((child) => child.path)).size).toBe(1_000_000);
  }, 30_000);

  it('validates system options, naming the bad field', () => {
    expect(() => ActorSystem.create({ throughput: 0 })).toThrow(/throughput/);
    expect(() => ActorSystem.create({ timeSliceMs: -1 })).toThrow(/timeSliceMs/);
    expect(() => ActorSystem.create({ askTimeoutMs: Number.NaN })).toThrow(/askTimeoutMs/);
    expect(() => ActorSystem.create({ name: 'has space' })).toThrow(/name/);
    expect(() => ActorSystem.create({ throughput: 1.5 })).toThrow(RangeError);
  });
});
