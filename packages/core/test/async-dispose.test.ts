import { Actor, ActorSystem, silentLogger } from '@troupe/core';
import { describe, expect, it } from 'vitest';

class Quiet extends Actor<string> {
  constructor(private readonly stopped: string[]) {
    super();
  }
  receive(): void {}
  override postStop(): void {
    this.stopped.push(this.context.self.path);
  }
}

describe('ActorSystem [Symbol.asyncDispose]', () => {
  it('terminates the system, stopping its actors, when an `await using` block ends', async () => {
    const stopped: string[] = [];
    let outside: ActorSystem;
    {
      await using system = ActorSystem.create({ name: 'disposed', logger: silentLogger });
      outside = system;
      system.spawn(() => new Quiet(stopped), { name: 'quiet' });
      expect(system.isTerminated).toBe(false);
    }
    expect(outside.isTerminated).toBe(true);
    expect(stopped).toEqual(['troupe://disposed/user/quiet']);
  });

  it('terminates the system when the block ends by a throw, and disposing twice is harmless', async () => {
    let outside: ActorSystem | undefined;
    await expect(
      (async () => {
        await using system = ActorSystem.create({ logger: silentLogger });
        outside = system;
        throw new Error('boom');
      })(),
    ).rejects.toThrow('boom');
    expect(outside?.isTerminated).toBe(true);
    await outside?.[Symbol.asyncDispose]();
    expect(outside?.isTerminated).toBe(true);
  });
});
