import { ActorSystem, type Logger, silentLogger } from '@troupe/core';
import { afterEach, describe, expect, it } from 'vitest';

let system: ActorSystem;
afterEach(async () => {
  await system?.terminate();
});

describe('EventStream', () => {
  it('delivers to every subscriber of a topic until it unsubscribes', () => {
    system = ActorSystem.create({ logger: silentLogger });
    const seen: unknown[] = [];
    const off = system.eventStream.subscribe('custom', (event) => seen.push(event));
    system.eventStream.publish('custom', 1);
    off();
    system.eventStream.publish('custom', 2);
    expect(seen).toEqual([1]);
  });

  it('keeps delivering when one listener throws, and logs the throw', () => {
    const errors: string[] = [];
    const logger: Logger = { ...silentLogger, error: (message) => errors.push(message) };
    system = ActorSystem.create({ logger });
    const seen: unknown[] = [];
    system.eventStream.subscribe('custom', () => {
      throw new Error('bad listener');
    });
    system.eventStream.subscribe('custom', (event) => seen.push(event));
    system.eventStream.publish('custom', 'x');
    expect(seen).toEqual(['x']);
    expect(errors).toEqual(['event stream listener for "custom" threw']);
  });

  it('publishes messages told to deadLetters', () => {
    system = ActorSystem.create({ logger: silentLogger });
    const seen: unknown[] = [];
    system.eventStream.subscribe('dead-letter', (letter) => seen.push(letter));
    system.deadLetters.tell('lost');
    expect(seen).toEqual([{ message: 'lost', recipient: 'troupe://troupe/deadLetters', reason: 'sent-to-dead-letters' }]);
  });
});
