import { Actor, type ActorRef, ActorSystem, StashOverflowError, SupervisorStrategy, silentLogger } from '@troupe/core';
import { TestProbe } from '@troupe/testkit';
import { afterEach, describe, expect, it } from 'vitest';

let system: ActorSystem;
afterEach(async () => {
  await system?.terminate();
});

type Msg = { type: 'open' } | { type: 'work'; n: number };

/** Stashes work until opened, then handles it in the original order. */
class Door extends Actor<Msg> {
  private open = false;
  constructor(private readonly probe: ActorRef<number>) {
    super();
  }
  receive(message: Msg): void {
    if (message.type === 'open') {
      this.open = true;
      this.context.unstashAll();
    } else if (!this.open) {
      this.context.stash();
    } else {
      this.probe.tell(message.n);
    }
  }
}

describe('Stash', () => {
  it('puts messages aside and replays them in order, before later messages', async () => {
    system = ActorSystem.create({ logger: silentLogger });
    const probe = TestProbe.create<number>(system);
    const door = system.spawn(() => new Door(probe.ref));
    for (let n = 1; n <= 5; n++) door.tell({ type: 'work', n });
    door.tell({ type: 'open' });
    door.tell({ type: 'work', n: 6 });
    expect(await probe.receiveN(6)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('fails the actor with StashOverflowError past its capacity', async () => {
    system = ActorSystem.create({ logger: silentLogger });
    const probe = TestProbe.create<number>(system);
    const errors: unknown[] = [];
    const supervision = SupervisorStrategy.oneForOne({
      decider: (error) => {
        errors.push(error);
        return 'stop';
      },
    });
    const door = system.spawn(() => new Door(probe.ref), { stashCapacity: 2, supervision });
    for (let n = 1; n <= 3; n++) door.tell({ type: 'work', n });
    await probe.expectTerminated(door);
    expect(errors[0]).toBeInstanceOf(StashOverflowError);
    expect((errors[0] as StashOverflowError).code).toBe('ERR_STASH_OVERFLOW');
  });

  it('refuses stash() outside message handling', async () => {
    system = ActorSystem.create({ logger: silentLogger });
    const probe = TestProbe.create<unknown>(system);
    class Early extends Actor<string> {
      override preStart(): void {
        try {
          this.context.stash();
        } catch (error) {
          probe.ref.tell(error);
        }
      }
      receive(): void {}
    }
    system.spawn(() => new Early());
    const error = await probe.expectMessage();
    expect(error).toBeInstanceOf(TypeError);
  });
});

type LateDoorMsg = { type: 'go' } | { type: 'hold' } | { type: 'work'; n: number } | { type: 'open' } | { type: 'marker' };

describe('Stash of a restarted instance', () => {
  /**
   * Numbers its instances. `go` hands `late` to a continuation that runs once `gate` opens and
   * fails the handler; `hold` keeps the instance busy until `held` opens; `work` is stashed
   * until `open`; each step is reported to the probe with the instance that handled it.
   */
  function lateDoor(probe: TestProbe<string>, gate: Promise<void>, held: Promise<void>, late: (context: Actor<LateDoorMsg>['context'], id: number) => string) {
    let instances = 0;
    return class LateDoor extends Actor<LateDoorMsg> {
      private readonly id = ++instances;
      private open = false;
      override preStart(): void {
        probe.ref.tell(`started #${this.id}`);
      }
      async receive(message: LateDoorMsg): Promise<void> {
        switch (message.type) {
          case 'go':
            void gate.then(() => probe.ref.tell(late(this.context, this.id)));
            throw new Error('fails while its continuation is pending');
          case 'hold':
            probe.ref.tell(`#${this.id} holding`);
            await held;
            probe.ref.tell(`#${this.id} handled hold`);
            break;
          case 'work':
            if (this.open) probe.ref.tell(`#${this.id} handled work ${message.n}`);
            else {
              this.context.stash();
              probe.ref.tell(`#${this.id} stashed work ${message.n}`);
            }
            break;
          case 'open':
            this.open = true;
            this.context.unstashAll();
            break;
          case 'marker':
            probe.ref.tell(`#${this.id} got the marker`);
            break;
        }
      }
    };
  }

  it("refuses stash() from a failed instance's late continuation, so its successor's message is not handled twice", async () => {
    system = ActorSystem.create({ logger: silentLogger });
    const probe = TestProbe.create<string>(system);
    const late = Promise.withResolvers<void>();
    const held = Promise.withResolvers<void>();
    const LateDoor = lateDoor(probe, late.promise, held.promise, (context, id) => {
      try {
        context.stash();
        return `#${id} stashed late`;
      } catch (error) {
        return `#${id} refused: ${(error as Error).name}: ${(error as Error).message}`;
      }
    });
    const door = system.spawn(() => new LateDoor(), { name: 'late-stasher' });
    await probe.expectMessage('started #1');
    door.tell({ type: 'go' });
    await probe.expectMessage('started #2');
    door.tell({ type: 'hold' });
    await probe.expectMessage('#2 holding');
    // The old instance's continuation runs while the successor is handling `hold`.
    late.resolve();
    await probe.expectMessage(`#1 refused: TypeError: stash(): this instance of ${door.path} was restarted or stopped; it is handling no message`);
    held.resolve();
    await probe.expectMessage('#2 handled hold');
    door.tell({ type: 'open' });
    door.tell({ type: 'marker' });
    await probe.expectMessage('#2 got the marker');
  });

  it("ignores unstashAll() from a failed instance's late continuation and reports its stash empty", async () => {
    system = ActorSystem.create({ logger: silentLogger });
    const probe = TestProbe.create<string>(system);
    const late = Promise.withResolvers<void>();
    const LateDoor = lateDoor(probe, late.promise, Promise.resolve(), (context, id) => {
      context.unstashAll();
      return `#${id} unstashed all, stashSize=${context.stashSize}`;
    });
    const door = system.spawn(() => new LateDoor());
    await probe.expectMessage('started #1');
    door.tell({ type: 'go' });
    await probe.expectMessage('started #2');
    door.tell({ type: 'work', n: 1 });
    await probe.expectMessage('#2 stashed work 1');
    late.resolve();
    await probe.expectMessage('#1 unstashed all, stashSize=0');
    // Had the stale unstashAll worked, `work 1` would come back (and be stashed again) before the marker.
    door.tell({ type: 'marker' });
    await probe.expectMessage('#2 got the marker');
    door.tell({ type: 'open' });
    await probe.expectMessage('#2 handled work 1');
  });
});
