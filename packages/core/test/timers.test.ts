import { Actor, type ActorRef, ActorSystem, type Logger, SupervisorStrategy, silentLogger } from '@troupe/core';
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
    system.stop(late);
    await probe.expectTerminated(late);
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
    system.stop(ticker);
    await probe.expectTerminated(ticker);
    expect(clock.pendingTimers).toBe(0);
  });
});

type LateMsg = { type: 'go' } | { type: 'start' } | { type: 'crash' } | { type: 'tick'; from: number } | { type: 'marker' };

/** A gate the test opens once the actor has been restarted, so the old instance's continuation runs late. */
function lateGate(): { gate: Promise<void>; open: () => void } {
  const { promise, resolve } = Promise.withResolvers<void>();
  return { gate: promise, open: () => resolve() };
}

/**
 * An actor that numbers its instances, so the probe can tell the failed instance from its
 * successor. `go` starts a continuation that waits for `gate` and then runs `late` with the
 * instance's context, and fails the handler; `start` starts a timer; `tick` and `marker` are
 * reported with the instance that handled them.
 */
function lateActor(probe: TestProbe<string>, gate: Promise<void>, late: (timers: Actor<LateMsg>['context']['timers'], id: number) => string) {
  let instances = 0;
  return class LateStarter extends Actor<LateMsg> {
    private readonly id = ++instances;
    override preStart(): void {
      probe.ref.tell(`started #${this.id}`);
    }
    receive(message: LateMsg): void {
      switch (message.type) {
        case 'go':
          void gate.then(() => probe.ref.tell(late(this.context.timers, this.id)));
          throw new Error('fails while its continuation is pending');
        case 'start':
          this.context.timers.startSingleTimer('tick', { type: 'tick', from: this.id }, 100);
          probe.ref.tell(`#${this.id} started its timer`);
          break;
        case 'crash':
          throw new Error('crash');
        case 'tick':
          probe.ref.tell(`#${this.id} got a tick from #${message.from}`);
          break;
        case 'marker':
          probe.ref.tell(`#${this.id} got the marker`);
          break;
      }
    }
  };
}

function manualSystem(logger: Logger = silentLogger): { clock: ManualClock; probe: TestProbe<string> } {
  const clock = new ManualClock();
  system = ActorSystem.create({ logger, clock });
  return { clock, probe: TestProbe.create<string>(system) };
}

describe('TimerScheduler across a restart', () => {
  it('never delivers to the new instance a timer the failed instance starts from a continuation that settles after the restart', async () => {
    const { clock, probe } = manualSystem();
    const { gate, open } = lateGate();
    const LateStarter = lateActor(probe, gate, (timers, id) => {
      timers.startSingleTimer('late', { type: 'tick', from: id }, 100);
      timers.startPeriodicTimer('late-periodic', { type: 'tick', from: id }, 100);
      return `#${id} started its late timers`;
    });
    const actor = system.spawn(() => new LateStarter());
    await probe.expectMessage('started #1');
    actor.tell({ type: 'go' });
    await probe.expectMessage('started #2');
    open();
    await probe.expectMessage('#1 started its late timers');
    expect(clock.pendingTimers).toBe(0);
    clock.advance(1_000);
    // The marker is queued behind anything the clock fired: it arriving first proves no tick came.
    actor.tell({ type: 'marker' });
    await probe.expectMessage('#2 got the marker');
  });

  it('never delivers a timer started by a handler that was awaiting when an all-for-one restart replaced its instance', async () => {
    const { clock, probe } = manualSystem();
    const { gate, open } = lateGate();
    let instances = 0;
    class Waiter extends Actor<LateMsg> {
      private readonly id = ++instances;
      override preStart(): void {
        probe.ref.tell(`waiter #${this.id} started`);
      }
      async receive(message: LateMsg): Promise<void> {
        if (message.type === 'go') {
          probe.ref.tell(`#${this.id} waiting`);
          await gate;
          this.context.timers.startPeriodicTimer('late', { type: 'tick', from: this.id }, 100);
          probe.ref.tell(`#${this.id} started its late timer`);
        } else if (message.type === 'tick') probe.ref.tell(`#${this.id} got a tick from #${message.from}`);
        else if (message.type === 'marker') probe.ref.tell(`#${this.id} got the marker`);
      }
    }
    class Crasher extends Actor<LateMsg> {
      receive(): void {
        throw new Error('sibling fails');
      }
    }
    let waiter: ActorRef<LateMsg> | undefined;
    let crasher: ActorRef<LateMsg> | undefined;
    class Parent extends Actor<never> {
      override supervisorStrategy(): SupervisorStrategy {
        return SupervisorStrategy.allForOne({ logFailures: false });
      }
      override preStart(): void {
        waiter = this.context.spawn(() => new Waiter(), { name: 'waiter' });
        crasher = this.context.spawn(() => new Crasher(), { name: 'crasher' });
      }
      receive(): void {}
    }
    system.spawn(() => new Parent());
    await probe.expectMessage('waiter #1 started');
    waiter?.tell({ type: 'go' });
    await probe.expectMessage('#1 waiting');
    crasher?.tell({ type: 'crash' });
    await probe.expectMessage('waiter #2 started');
    open();
    await probe.expectMessage('#1 started its late timer');
    expect(clock.pendingTimers).toBe(0);
    clock.advance(1_000);
    waiter?.tell({ type: 'marker' });
    await probe.expectMessage('#2 got the marker');
  });

  it('ignores a timer that preRestart starts on the failed instance', async () => {
    const { clock, probe } = manualSystem();
    const Base = lateActor(probe, new Promise<void>(() => {}), () => 'never runs');
    class StartsInPreRestart extends Base {
      override preRestart(error: unknown, message: LateMsg | undefined): void {
        this.context.timers.startSingleTimer('from-preRestart', { type: 'tick', from: 0 }, 100);
        super.preRestart(error, message);
      }
    }
    const actor = system.spawn(() => new StartsInPreRestart());
    await probe.expectMessage('started #1');
    actor.tell({ type: 'crash' });
    await probe.expectMessage('started #2');
    expect(clock.pendingTimers).toBe(0);
    clock.advance(1_000);
    actor.tell({ type: 'marker' });
    await probe.expectMessage('#2 got the marker');
  });

  it("keeps the new instance's timers when the failed instance cancels the same key late", async () => {
    const { clock, probe } = manualSystem();
    const { gate, open } = lateGate();
    const LateStarter = lateActor(probe, gate, (timers, id) => {
      const active = timers.isTimerActive('tick');
      timers.cancel('tick');
      timers.cancelAll();
      return `#${id} saw active=${active} and cancelled`;
    });
    const actor = system.spawn(() => new LateStarter());
    await probe.expectMessage('started #1');
    actor.tell({ type: 'go' });
    await probe.expectMessage('started #2');
    actor.tell({ type: 'start' });
    await probe.expectMessage('#2 started its timer');
    open();
    await probe.expectMessage('#1 saw active=false and cancelled');
    clock.advance(100);
    actor.tell({ type: 'marker' });
    await probe.expectMessage('#2 got a tick from #2');
    await probe.expectMessage('#2 got the marker');
  });

  it('runs the timers the new instance starts', async () => {
    const { clock, probe } = manualSystem();
    const { gate, open } = lateGate();
    const LateStarter = lateActor(probe, gate, (timers, id) => {
      timers.startSingleTimer('late', { type: 'tick', from: id }, 50);
      return `#${id} started its late timer`;
    });
    const actor = system.spawn(() => new LateStarter());
    await probe.expectMessage('started #1');
    actor.tell({ type: 'go' });
    await probe.expectMessage('started #2');
    open();
    await probe.expectMessage('#1 started its late timer');
    actor.tell({ type: 'start' });
    await probe.expectMessage('#2 started its timer');
    expect(clock.pendingTimers).toBe(1);
    clock.advance(100);
    await probe.expectMessage('#2 got a tick from #2');
    expect(clock.pendingTimers).toBe(0);
  });

  it('cancels on restart the timers the failed instance started before failing, including a tick already queued', async () => {
    const { clock, probe } = manualSystem();
    const LateStarter = lateActor(probe, new Promise<void>(() => {}), () => 'never runs');
    const actor = system.spawn(() => new LateStarter());
    await probe.expectMessage('started #1');
    actor.tell({ type: 'start' });
    await probe.expectMessage('#1 started its timer');
    actor.tell({ type: 'crash' });
    // Fires before the actor runs again: the tick waits in the mailbox behind the crash.
    clock.advance(100);
    actor.tell({ type: 'marker' });
    await probe.expectMessage('started #2');
    await probe.expectMessage('#2 got the marker');
    expect(clock.pendingTimers).toBe(0);
  });

  it('logs at debug level, naming the actor and the key, a timer start it ignores from a replaced instance', async () => {
    const lines: string[] = [];
    const logger: Logger = { debug: (line) => lines.push(line), info: () => {}, warn: () => {}, error: () => {} };
    const { probe } = manualSystem(logger);
    const { gate, open } = lateGate();
    const LateStarter = lateActor(probe, gate, (timers, id) => {
      timers.startSingleTimer('late-key', { type: 'tick', from: id }, 100);
      return `#${id} started its late timer`;
    });
    const actor = system.spawn(() => new LateStarter(), { name: 'late-logger' });
    await probe.expectMessage('started #1');
    actor.tell({ type: 'go' });
    await probe.expectMessage('started #2');
    open();
    await probe.expectMessage('#1 started its late timer');
    const ignored = lines.filter((line) => line.includes('late-key'));
    expect(ignored).toHaveLength(1);
    expect(ignored[0]).toContain(actor.path);
    expect(ignored[0]).toContain('ignored');
  });
});
