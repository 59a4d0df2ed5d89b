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
    await probe.expectTerminated(door as ActorRef<never>);
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
