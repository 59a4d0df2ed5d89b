import { Actor, ActorSystem, silentLogger } from '@troupe/core';
import { afterEach, describe, expect, it } from 'vitest';
import { TestProbe, awaitCondition } from '../src/index.js';

let system: ActorSystem;
afterEach(async () => {
  await system?.terminate();
});

describe('TestProbe', () => {
  it('expects messages by value and by predicate, in order', async () => {
    system = ActorSystem.create({ logger: silentLogger });
    const probe = TestProbe.create<{ n: number }>(system);
    probe.ref.tell({ n: 1 });
    probe.ref.tell({ n: 2 });
    await probe.expectMessage({ n: 1 });
    expect(await probe.expectMessage((m) => m.n === 2)).toEqual({ n: 2 });
  });

  it('stop() tells whoever watches the probe, also a later watcher, and drops what is told after', async () => {
    system = ActorSystem.create({ logger: silentLogger });
    const probe = TestProbe.create<string>(system);
    const early = TestProbe.create(system);
    early.watch(probe.ref);
    probe.stop();
    await early.expectTerminated(probe.ref, 1000);
    const late = TestProbe.create(system);
    await late.expectTerminated(probe.ref, 1000);
    probe.ref.tell('after stop');
    expect(probe.queued).toEqual([]);
    expect(probe.isStopped).toBe(true);
  });

  it('fails when the next message does not match, naming both', async () => {
    system = ActorSystem.create({ logger: silentLogger });
    const probe = TestProbe.create<string>(system);
    probe.ref.tell('actual');
    await expect(probe.expectMessage('expected')).rejects.toThrow(/expected 'expected' but received 'actual'/);
  });

  it('fails at the deadline when nothing arrives', async () => {
    system = ActorSystem.create({ logger: silentLogger });
    const probe = TestProbe.create<string>(system, { timeoutMs: 20 });
    await expect(probe.expectMessage()).rejects.toThrow(/timeout \(20 ms\)/);
  });

  it('fails expectNoMessage when a message arrives', async () => {
    system = ActorSystem.create({ logger: silentLogger });
    const probe = TestProbe.create<string>(system);
    setTimeout(() => probe.ref.tell('surprise'), 1);
    await expect(probe.expectNoMessage(200)).rejects.toThrow(/surprise/);
  });

  it('receives N messages and fishes past the ones it does not want', async () => {
    system = ActorSystem.create({ logger: silentLogger });
    const probe = TestProbe.create<number>(system);
    for (let i = 0; i < 10; i++) probe.ref.tell(i);
    expect(await probe.receiveN(3)).toEqual([0, 1, 2]);
    expect(await probe.fishForMessage((n) => n > 6)).toBe(7);
    expect(probe.queued).toEqual([8, 9]);
  });

  it('expects the termination of a watched actor', async () => {
    system = ActorSystem.create({ logger: silentLogger });
    class Quitter extends Actor<'quit'> {
      receive(): void {
        this.context.stop(this.context.self);
      }
    }
    const probe = TestProbe.create(system);
    const quitter = system.spawn(() => new Quitter());
    probe.watch(quitter);
    quitter.tell('quit');
    await probe.expectTerminated(quitter);
    const alive = system.spawn(() => new Quitter());
    await expect(probe.expectTerminated(alive, 30)).rejects.toThrow(/termination/);
  });
});

describe('awaitCondition', () => {
  it('resolves once the condition holds and rejects at the deadline otherwise', async () => {
    let n = 0;
    await awaitCondition(() => ++n >= 3, { intervalMs: 1 });
    expect(n).toBe(3);
    await expect(awaitCondition(() => false, { timeoutMs: 20, message: 'never' })).rejects.toThrow('awaitCondition: never not met within 20 ms');
  });
});
