import { Actor, type ActorRef, ActorSystem, type DeadLetter, MailboxOverflowError, silentLogger } from '@troupe/core';
import { TestProbe } from '@troupe/testkit';
import { afterEach, describe, expect, it } from 'vitest';

let system: ActorSystem;
afterEach(async () => {
  await system?.terminate();
});

/** On message 0 reports -1 and blocks until released; reports every message it handled. */
class Gate extends Actor<number> {
  constructor(
    private readonly probe: ActorRef<number>,
    private readonly gate: Promise<void>,
  ) {
    super();
  }
  async receive(n: number): Promise<void> {
    if (n === 0) {
      this.probe.tell(-1); // "now blocked on the gate"
      await this.gate;
    }
    this.probe.tell(n);
  }
}

function setup(overflow: 'drop-newest' | 'drop-oldest' | 'fail'): { ref: ActorRef<number>; probe: TestProbe<number>; release: () => void; letters: DeadLetter[] } {
  system = ActorSystem.create({ logger: silentLogger });
  const letters: DeadLetter[] = [];
  system.eventStream.subscribe('dead-letter', (letter) => letters.push(letter));
  const probe = TestProbe.create<number>(system);
  const { promise, resolve } = Promise.withResolvers<void>();
  const ref = system.spawn(() => new Gate(probe.ref, promise), { name: 'bounded', mailbox: { capacity: 3, overflow } });
  return { ref, probe, release: resolve, letters };
}

describe('BoundedMailbox', () => {
  it('drops the newest message into dead letters when full (drop-newest)', async () => {
    const { ref, probe, release, letters } = setup('drop-newest');
    ref.tell(0);
    await probe.expectMessage(-1);
    for (let i = 1; i <= 5; i++) ref.tell(i);
    release();
    expect(await probe.receiveN(4)).toEqual([0, 1, 2, 3]);
    expect(letters.map((l) => [l.message, l.reason])).toEqual([
      [4, 'mailbox-full'],
      [5, 'mailbox-full'],
    ]);
  });

  it('drops the oldest queued message when full (drop-oldest)', async () => {
    const { ref, probe, release, letters } = setup('drop-oldest');
    ref.tell(0);
    await probe.expectMessage(-1);
    for (let i = 1; i <= 5; i++) ref.tell(i);
    release();
    expect(await probe.receiveN(4)).toEqual([0, 3, 4, 5]);
    expect(letters.map((l) => [l.message, l.reason])).toEqual([
      [1, 'mailbox-dropped-oldest'],
      [2, 'mailbox-dropped-oldest'],
    ]);
  });

  it('throws MailboxOverflowError from tell when full (fail)', async () => {
    const { ref, probe, release } = setup('fail');
    ref.tell(0);
    await probe.expectMessage(-1);
    for (let i = 1; i <= 3; i++) ref.tell(i);
    let thrown: unknown;
    try {
      ref.tell(4);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(MailboxOverflowError);
    expect((thrown as MailboxOverflowError).code).toBe('ERR_MAILBOX_OVERFLOW');
    expect((thrown as Error).message).toMatch(/bounded.*capacity 3/);
    release();
    expect(await probe.receiveN(4)).toEqual([0, 1, 2, 3]);
  });

  it('rejects bad mailbox options, naming the field', () => {
    system = ActorSystem.create({ logger: silentLogger });
    class Noop extends Actor<never> {
      receive(): void {}
    }
    expect(() => system.spawn(() => new Noop(), { mailbox: { capacity: 0 } })).toThrow(/mailbox.capacity/);
    expect(() => system.spawn(() => new Noop(), { mailbox: { capacity: 2, overflow: 'explode' as never } })).toThrow(/mailbox.overflow/);
  });

  it('processes a stop before user messages already queued', async () => {
    system = ActorSystem.create({ logger: silentLogger });
    const letters: DeadLetter[] = [];
    system.eventStream.subscribe('dead-letter', (letter) => letters.push(letter));
    const probe = TestProbe.create<number>(system);
    const { promise, resolve } = Promise.withResolvers<void>();
    const ref = system.spawn(() => new Gate(probe.ref, promise));
    ref.tell(0);
    await probe.expectMessage(-1);
    ref.tell(1);
    ref.tell(2);
    system.stop(ref);
    resolve();
    await probe.expectTerminated(ref);
    expect(letters.map((l) => l.message)).toEqual([1, 2]);
  });
});
