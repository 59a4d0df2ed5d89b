import { Actor, type ActorRef, ActorSystem, silentLogger } from '@troupe/core';
import { ManualClock, TestProbe } from '@troupe/testkit';
import { afterEach, describe, expect, it } from 'vitest';

let system: ActorSystem;
afterEach(async () => {
  await system?.terminate();
});

type TimerMsg = { type: 'tick'; n: number } | { type: 'start-single' } | { type: 'start-periodic' } | { type: 'cancel' } | { type: 'crash' };

class Ticker extends Actor<TimerMsg> {
  constructor(private readonly probe: ActorRef<string>) {
    super();
  }
  receive(message: TimerMsg): void {
    switch (message.type) {
      case 'start-single':
        this.context.timers.startSingleTimer('t', { type: 'tick', n: 1 }, 100);
        this.probe.tell('started');
        break;
      case 'start-periodic':
        this.context.timers.startPeriodicTimer('t', { type: 'tick', n: 2 }, 100);
        this.probe.tell('started');
        break;
      case 'cancel':
        this.context.timers.cancel('t');
        this.probe.tell(`cancelled, active=${this.context.timers.isTimerActive('t')}`);
        break;
      case 'crash':
        throw new Error('crash');
      case 'tick':
        this.probe.tell(`tick ${message.n}`);
    }
  }
}

function setup(): { clock: ManualClock; probe: TestProbe<string>; ticker: ActorRef<TimerMsg> } {
  const clock = new ManualClock();
  system = ActorSystem.create({ logger: silentLogger, clock });
  const probe = TestProbe.create<string>(system);
  const ticker = system.spawn(() => new Ticker(probe.ref));
  return { clock, probe, ticker };
}

describe('TimerScheduler', () => {
  it('fires a single timer once, after its delay', async () => {
    const { clock, probe, ticker } = setup();
    ticker.tell({ type: 'start-single' });
    await probe.expectMessage('started');
    clock.advance(99);
    await probe.expectNoMessage(20);
    clock.advance(1);
    await probe.expectMessage('tick 1');
    clock.advance(1000);
    await probe.expectNoMessage(20);
    expect(clock.pendingTimers).toBe(0);
  });

  it('fires a periodic timer every interval until cancelled', async () => {
    const { clock, probe, ticker } = setup();
    ticker.tell({ type: 'start-periodic' });
    await probe.expectMessage('started');
    clock.advance(300);
    expect(await probe.receiveN(3)).toEqual(['tick 2', 'tick 2', 'tick 2']);
    ticker.tell({ type: 'cancel' });
    await probe.expectMessage('cancelled, active=false');
    clock.advance(1000);
    await probe.expectNoMessage(20);
    expect(clock.pendingTimers).toBe(0);
  });

  it('does not deliver a message its timer queued before being cancelled', async () => {
    const { clock, probe, ticker } = setup();
    ticker.tell({ type: 'start-single' });
    await probe.expectMessage('started');
    // Fire and cancel in the same turn: the tick is queued behind the cancel.
    ticker.tell({ type: 'cancel' });
    clock.advance(100);
    await probe.expectMessage('cancelled, active=false');
    await probe.expectNoMessage(20);
  });

  it('starts no timer once the actor is stopping, even from a handler that was awaiting', async () => {
    const clock = new ManualClock();
    system = ActorSystem.create({ logger: silentLogger, clock });
    const probe = TestProbe.create<string>(system);
    const { promise: gate, resolve: open } = Promise.withResolvers<void>();
    class Late extends Actor<'go'> {
      async receive(): Promise<void> {
        probe.ref.tell('waiting');
        await gate;
        this.context.timers.startPeriodicTimer('late', 'go', 10);
      }
    }
    const late = system.spawn(() => new Late());
    late.tell('go');
    await probe.expectMessage('waiting');
    system.stop(late as ActorRef<never>);
    await probe.expectTerminated(late as ActorRef<never>);
    open();
    await gate;
    await Promise.resolve();
    expect(clock.pendingTimers).toBe(0);
  });

  it('cancels timers on restart and on stop', async () => {
    const { clock, probe, ticker } = setup();
    ticker.tell({ type: 'start-periodic' });
    await probe.expectMessage('started');
    ticker.tell({ type: 'crash' });
    ticker.tell({ type: 'start-single' });
    await probe.expectMessage('started');
    expect(clock.pendingTimers).toBe(1);
    system.stop(ticker as ActorRef<never>);
    await probe.expectTerminated(ticker as ActorRef<never>);
    expect(clock.pendingTimers).toBe(0);
  });
});
