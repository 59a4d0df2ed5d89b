import { Actor, ActorInitializationError, type ActorRef, ActorSystem, SupervisorStrategy, silentLogger } from '@troupe/core';
import { ManualClock, TestProbe, awaitCondition } from '@troupe/testkit';
import { afterEach, describe, expect, it } from 'vitest';

let system: ActorSystem;
afterEach(async () => {
  await system?.terminate();
});

type WorkerMsg = { type: 'add'; n: number } | { type: 'crash'; how: 'throw' | 'reject' } | { type: 'report' };

/** Counts, reports its total and its lifecycle to the probe, crashes on demand. */
class Worker extends Actor<WorkerMsg> {
  private total = 0;
  constructor(
    private readonly probe: ActorRef<string>,
    private readonly id = 'worker',
  ) {
    super();
  }
  override preStart(): void {
    this.probe.tell(`${this.id} preStart`);
  }
  override postStop(): void {
    this.probe.tell(`${this.id} postStop`);
  }
  override preRestart(error: unknown, message: WorkerMsg | undefined): void {
    this.probe.tell(`${this.id} preRestart ${(error as Error).message} on ${message?.type}`);
    super.preRestart(error, message);
  }
  async receive(message: WorkerMsg): Promise<void> {
    if (message.type === 'add') this.total += message.n;
    else if (message.type === 'report') this.probe.tell(`${this.id} total ${this.total}`);
    else if (message.how === 'throw') throw new Error('boom');
    else await Promise.reject(new Error('async boom'));
  }
}

class Parent extends Actor<{ spawn: () => Actor<WorkerMsg>; name: string; replyTo: ActorRef<ActorRef<WorkerMsg>> }> {
  constructor(private readonly strategy: SupervisorStrategy) {
    super();
  }
  receive(message: { spawn: () => Actor<WorkerMsg>; name: string; replyTo: ActorRef<ActorRef<WorkerMsg>> }): void {
    message.replyTo.tell(this.context.spawn(message.spawn, { name: message.name }));
  }
  override supervisorStrategy(): SupervisorStrategy {
    return this.strategy;
  }
}

async function spawnUnder(strategy: SupervisorStrategy, probe: TestProbe<string>, names = ['worker']): Promise<ActorRef<WorkerMsg>[]> {
  const parent = system.spawn(() => new Parent(strategy));
  const refs: ActorRef<WorkerMsg>[] = [];
  for (const name of names) refs.push(await parent.ask<ActorRef<WorkerMsg>>((replyTo) => ({ spawn: () => new Worker(probe.ref, name), name, replyTo })));
  for (const name of names) await probe.fishForMessage((m) => m === `${name} preStart`);
  return refs;
}

describe('Supervision', () => {
  it('restarts on a throw: fresh state, failing message dropped, queued messages kept, hooks in order', async () => {
    system = ActorSystem.create({ logger: silentLogger });
    const probe = TestProbe.create<string>(system);
    const [worker] = (await spawnUnder(SupervisorStrategy.oneForOne(), probe)) as [ActorRef<WorkerMsg>];
    worker.tell({ type: 'add', n: 5 });
    worker.tell({ type: 'crash', how: 'throw' });
    worker.tell({ type: 'add', n: 2 });
    worker.tell({ type: 'report' });
    expect(await probe.receiveN(4)).toEqual(['worker preRestart boom on crash', 'worker postStop', 'worker preStart', 'worker total 2']);
  });

  it('treats a rejected Promise like a throw', async () => {
    system = ActorSystem.create({ logger: silentLogger });
    const probe = TestProbe.create<string>(system);
    const [worker] = (await spawnUnder(SupervisorStrategy.oneForOne(), probe)) as [ActorRef<WorkerMsg>];
    worker.tell({ type: 'add', n: 1 });
    worker.tell({ type: 'crash', how: 'reject' });
    worker.tell({ type: 'report' });
    expect(await probe.receiveN(4)).toEqual(['worker preRestart async boom on crash', 'worker postStop', 'worker preStart', 'worker total 0']);
  });

  it('resumes with state kept when the decider says resume', async () => {
    system = ActorSystem.create({ logger: silentLogger });
    const probe = TestProbe.create<string>(system);
    const [worker] = (await spawnUnder(SupervisorStrategy.oneForOne({ decider: () => 'resume' }), probe)) as [ActorRef<WorkerMsg>];
    worker.tell({ type: 'add', n: 3 });
    worker.tell({ type: 'crash', how: 'throw' });
    worker.tell({ type: 'add', n: 4 });
    worker.tell({ type: 'report' });
    await probe.expectMessage('worker total 7');
  });

  it('stops the child when the decider says stop', async () => {
    system = ActorSystem.create({ logger: silentLogger });
    const probe = TestProbe.create<string>(system);
    const [worker] = (await spawnUnder(SupervisorStrategy.stopping, probe)) as [ActorRef<WorkerMsg>];
    worker.tell({ type: 'crash', how: 'throw' });
    await probe.expectMessage('worker postStop');
    await probe.expectTerminated(worker);
  });

  it('escalates to the grandparent, which restarts the parent and with it the child', async () => {
    system = ActorSystem.create({ logger: silentLogger });
    const probe = TestProbe.create<string>(system);
    const [worker] = (await spawnUnder(SupervisorStrategy.oneForOne({ decider: () => 'escalate' }), probe)) as [ActorRef<WorkerMsg>];
    worker.tell({ type: 'crash', how: 'throw' });
    // The guardian restarts the parent; the parent's default preRestart stops its children.
    await probe.expectMessage('worker postStop');
    await probe.expectTerminated(worker);
  });

  it('stops a child that exceeds maxRetries within the window, and forgets restarts outside it', async () => {
    const clock = new ManualClock();
    system = ActorSystem.create({ logger: silentLogger, clock });
    const probe = TestProbe.create<string>(system);
    const [worker] = (await spawnUnder(SupervisorStrategy.oneForOne({ maxRetries: 2, withinMs: 1000 }), probe)) as [ActorRef<WorkerMsg>];
    const crashAndExpectRestart = async (): Promise<void> => {
      worker.tell({ type: 'crash', how: 'throw' });
      await probe.expectMessage('worker preRestart boom on crash');
      await probe.expectMessage('worker postStop');
      await probe.expectMessage('worker preStart');
    };
    await crashAndExpectRestart();
    await crashAndExpectRestart();
    clock.advance(1001);
    await crashAndExpectRestart();
    await crashAndExpectRestart();
    worker.tell({ type: 'crash', how: 'throw' });
    await probe.expectMessage('worker postStop');
    await probe.expectTerminated(worker);
  });

  it('restarts every sibling with all-for-one', async () => {
    system = ActorSystem.create({ logger: silentLogger });
    const probe = TestProbe.create<string>(system);
    const [a, b] = (await spawnUnder(SupervisorStrategy.allForOne(), probe, ['a', 'b'])) as [ActorRef<WorkerMsg>, ActorRef<WorkerMsg>];
    b.tell({ type: 'add', n: 10 });
    a.tell({ type: 'crash', how: 'throw' });
    await probe.fishForMessage((m) => m === 'b preStart');
    b.tell({ type: 'report' });
    await probe.fishForMessage((m) => m === 'b total 0');
  });

  it('restarts with exponential backoff and resets after a stable period', async () => {
    const clock = new ManualClock();
    system = ActorSystem.create({ logger: silentLogger, clock });
    const probe = TestProbe.create<string>(system);
    const strategy = SupervisorStrategy.restartWithBackoff({ minBackoffMs: 100, maxBackoffMs: 1000, randomFactor: 0, resetAfterMs: 5000 });
    const worker = system.spawn(() => new Worker(probe.ref), { supervision: strategy });
    await probe.expectMessage('worker preStart');
    const crashAndWait = async (delayMs: number): Promise<void> => {
      worker.tell({ type: 'crash', how: 'throw' });
      await awaitCondition(() => clock.pendingTimers === 1, { message: 'backoff timer scheduled' });
      clock.advance(delayMs - 1);
      worker.tell({ type: 'report' });
      await probe.expectNoMessage(20);
      clock.advance(1);
      expect(await probe.receiveN(4)).toEqual(['worker preRestart boom on crash', 'worker postStop', 'worker preStart', 'worker total 0']);
    };
    await crashAndWait(100);
    await crashAndWait(200);
    await crashAndWait(400);
    clock.advance(5000);
    await crashAndWait(100);
  });

  it('cancels a pending backoff restart when the child is stopped meanwhile', async () => {
    const clock = new ManualClock();
    system = ActorSystem.create({ logger: silentLogger, clock });
    const probe = TestProbe.create<string>(system);
    const worker = system.spawn(() => new Worker(probe.ref), { supervision: SupervisorStrategy.restartWithBackoff({ minBackoffMs: 1000, randomFactor: 0 }) });
    await probe.expectMessage('worker preStart');
    worker.tell({ type: 'crash', how: 'throw' });
    await awaitCondition(() => clock.pendingTimers === 1, { message: 'backoff timer scheduled' });
    system.stop(worker);
    await probe.expectTerminated(worker);
    expect(clock.pendingTimers).toBe(0);
  });

  it('escalates when the decider itself throws, instead of leaving the child stuck', async () => {
    system = ActorSystem.create({ logger: silentLogger });
    const probe = TestProbe.create<string>(system);
    const broken = SupervisorStrategy.oneForOne({
      decider: () => {
        throw new Error('decider bug');
      },
    });
    const [worker] = (await spawnUnder(broken, probe)) as [ActorRef<WorkerMsg>];
    worker.tell({ type: 'crash', how: 'throw' });
    // Escalated: the guardian restarts the parent, whose preRestart stops the child.
    await probe.expectMessage('worker postStop');
    await probe.expectTerminated(worker);
  });

  it('restarts each sibling once when two children fail at the same time under all-for-one', async () => {
    system = ActorSystem.create({ logger: silentLogger });
    const probe = TestProbe.create<string>(system);
    const [a, b] = (await spawnUnder(SupervisorStrategy.allForOne(), probe, ['a', 'b'])) as [ActorRef<WorkerMsg>, ActorRef<WorkerMsg>];
    a.tell({ type: 'crash', how: 'throw' });
    b.tell({ type: 'crash', how: 'throw' });
    a.tell({ type: 'report' });
    b.tell({ type: 'report' });
    const seen: string[] = [];
    const record = (m: string): boolean => {
      seen.push(m);
      return seen.filter((line) => line.endsWith('total 0')).length === 2;
    };
    await probe.fishForMessage(record);
    await probe.expectNoMessage(50);
    // One restart each: a double all-for-one round would start them twice.
    expect(seen.filter((m) => m.endsWith('preStart')).sort()).toEqual(['a preStart', 'b preStart']);
  });

  it('stops an actor whose constructor throws (ActorInitializationError), by default', async () => {
    system = ActorSystem.create({ logger: silentLogger });
    const probe = TestProbe.create<string>(system);
    class Broken extends Actor<string> {
      constructor() {
        super();
        throw new Error('cannot start');
      }
      receive(): void {}
    }
    const ref = system.spawn(() => new Broken());
    await probe.expectTerminated(ref);
  });

  it('hands a throwing preStart to the decider as an ActorInitializationError', async () => {
    system = ActorSystem.create({ logger: silentLogger });
    const probe = TestProbe.create<unknown>(system);
    let attempts = 0;
    class FlakyStart extends Actor<string> {
      override preStart(): void {
        attempts++;
        if (attempts < 3) throw new Error(`start attempt ${attempts}`);
        probe.ref.tell('started');
      }
      receive(message: string): void {
        probe.ref.tell(message);
      }
    }
    const errors: unknown[] = [];
    const strategy = SupervisorStrategy.oneForOne({
      decider: (error) => {
        errors.push(error);
        return 'restart';
      },
    });
    const ref = system.spawn(() => new FlakyStart(), { supervision: strategy });
    ref.tell('hello');
    await probe.expectMessage('started');
    await probe.expectMessage('hello');
    expect(errors).toHaveLength(2);
    expect(errors[0]).toBeInstanceOf(ActorInitializationError);
    expect((errors[0] as ActorInitializationError).code).toBe('ERR_ACTOR_INITIALIZATION');
  });

  it('validates strategy options, naming the bad field', () => {
    expect(() => SupervisorStrategy.oneForOne({ maxRetries: -2 })).toThrow(/maxRetries/);
    expect(() => SupervisorStrategy.oneForOne({ withinMs: 0 })).toThrow(/withinMs/);
    expect(() => SupervisorStrategy.restartWithBackoff({ minBackoffMs: 10, maxBackoffMs: 5 })).toThrow(/maxBackoffMs/);
    expect(() => SupervisorStrategy.restartWithBackoff({ randomFactor: 2 })).toThrow(/randomFactor/);
  });
});
