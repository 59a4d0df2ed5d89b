import { Actor, type ActorRef } from '@troupe/core';
// @ts-expect-error Terminated is the runtime's own signal: a watcher's onTerminated receives the ref that stopped
import { Terminated } from '@troupe/core';
import { describe, expectTypeOf, it } from 'vitest';

class Watcher extends Actor<{ type: 'watch'; ref: ActorRef<never> }> {
  receive(message: { type: 'watch'; ref: ActorRef<never> }): void {
    this.context.watch(message.ref);
  }
  override onTerminated(ref: ActorRef<never>): void {
    this.context.log.info(`${ref.path} stopped`);
  }
}

describe('death watch', () => {
  it('hands onTerminated the ref that stopped', () => {
    expectTypeOf<Parameters<Watcher['onTerminated']>>().toEqualTypeOf<[ActorRef<never>]>();
    expectTypeOf<Parameters<Actor<unknown>['onTerminated']>>().toEqualTypeOf<[ref: ActorRef<never>]>();
    void Terminated;
  });
});
