// Type tests: checked by `npm run typecheck` (tsc over src and test), which `npm test`
// runs first through turbo. vitest does not run `*.test-d.ts` files; a failed
// `expectTypeOf` assertion or an unused `@ts-expect-error` fails the typecheck.
import { Actor, type ActorContext, type ActorRef, ActorSystem } from '@troupe/core';
import { describe, expectTypeOf, it } from 'vitest';

type CounterMsg = { type: 'add'; n: number } | { type: 'get'; replyTo: ActorRef<number> };

class Counter extends Actor<CounterMsg> {
  private total = 0;
  receive(message: CounterMsg): void {
    if (message.type === 'add') this.total += message.n;
    else message.replyTo.tell(this.total);
  }
}

declare const system: ActorSystem;
declare const counter: ActorRef<CounterMsg>;

describe('ActorRef', () => {
  it('accepts its own messages and refuses others', () => {
    counter.tell({ type: 'add', n: 1 });
    // @ts-expect-error a message of another type
    counter.tell({ type: 'remove', n: 1 });
    // @ts-expect-error a field of the wrong type
    counter.tell({ type: 'add', n: '1' });
  });

  it('is contravariant in its message type', () => {
    expectTypeOf<ActorRef<CounterMsg>>().toExtend<ActorRef<{ type: 'add'; n: number }>>();
    expectTypeOf<ActorRef<{ type: 'add'; n: number }>>().not.toExtend<ActorRef<CounterMsg>>();
    // Any ref may be stopped or watched: ActorRef<never> is the type of "some actor".
    expectTypeOf<ActorRef<CounterMsg>>().toExtend<ActorRef<never>>();
  });

  it('types ask with an explicit reply type', () => {
    expectTypeOf(counter.ask<number>((replyTo) => ({ type: 'get', replyTo }))).toEqualTypeOf<Promise<number>>();
    // @ts-expect-error the message wants an ActorRef<number>, not an ActorRef<string>
    void counter.ask<string>((replyTo) => ({ type: 'get', replyTo }));
  });
});

describe('ActorSystem.spawn', () => {
  it('returns a ref of the actor message type', () => {
    expectTypeOf(system.spawn(() => new Counter())).toEqualTypeOf<ActorRef<CounterMsg>>();
  });

  it('refuses a factory that does not build an actor', () => {
    // @ts-expect-error not an Actor
    system.spawn(() => ({ receive() {} }));
  });
});

describe('ActorContext', () => {
  it('gives self the actor message type', () => {
    expectTypeOf<ActorContext<CounterMsg>['self']>().toEqualTypeOf<ActorRef<CounterMsg>>();
  });
});

describe('ActorSystem disposal', () => {
  it('is AsyncDisposable, for `await using`', () => {
    expectTypeOf<ActorSystem>().toExtend<AsyncDisposable>();
  });
});
