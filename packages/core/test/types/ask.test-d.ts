import type { ActorRef, ActorSystem } from '@troupe/core';
import { describe, expectTypeOf, it } from 'vitest';

type CounterMsg = { type: 'add'; n: number } | { type: 'get'; replyTo: ActorRef<number> } | { type: 'name'; replyTo: ActorRef<string> };
type Nested = { type: 'wrapped'; inner: { replyTo: ActorRef<number> } };

declare const counter: ActorRef<CounterMsg>;
declare const nested: ActorRef<Nested>;
declare const system: ActorSystem;

describe('ActorRef.ask', () => {
  it('infers the reply type from the replyTo field of the message the builder returns', () => {
    expectTypeOf(counter.ask((replyTo) => ({ type: 'get', replyTo }))).toEqualTypeOf<Promise<number>>();
    expectTypeOf(counter.ask((replyTo) => ({ type: 'name', replyTo }))).toEqualTypeOf<Promise<string>>();
    expectTypeOf(counter.ask((replyTo) => ({ type: 'get', replyTo }), { timeoutMs: 10 })).toEqualTypeOf<Promise<number>>();
  });

  it('infers the reply type for a builder whose parameter is annotated', () => {
    expectTypeOf(counter.ask((replyTo: ActorRef<number>) => ({ type: 'get', replyTo }))).toEqualTypeOf<Promise<number>>();
  });

  it('keeps an explicit reply type working', () => {
    expectTypeOf(counter.ask<number>((replyTo) => ({ type: 'get', replyTo }))).toEqualTypeOf<Promise<number>>();
    expectTypeOf(nested.ask<number>((replyTo) => ({ type: 'wrapped', inner: { replyTo } }))).toEqualTypeOf<Promise<number>>();
    // @ts-expect-error an explicit reply type the message does not accept
    void counter.ask<string>((replyTo) => ({ type: 'get', replyTo }));
  });

  it('refuses a builder whose reply type it cannot infer, rather than typing the reply unknown', () => {
    // @ts-expect-error the ref sits in a nested field: say ask<number>(...)
    void nested.ask((replyTo) => ({ type: 'wrapped', inner: { replyTo } }));
  });

  it('types an uninferred ask on a ref that accepts anything as unknown (never as never), and keeps an explicit one', () => {
    const anything = counter as unknown as ActorRef<unknown>;
    expectTypeOf(anything.ask((replyTo) => ({ type: 'get', replyTo }))).toEqualTypeOf<Promise<unknown>>();
    expectTypeOf(anything.ask<number>((replyTo) => ({ type: 'get', replyTo }))).toEqualTypeOf<Promise<number>>();
  });

  it('refuses a builder that returns a message of another type', () => {
    // @ts-expect-error not a CounterMsg
    void counter.ask((replyTo) => ({ type: 'nope', replyTo }));
  });
});

describe('ActorSystem.ask', () => {
  it('types the reply from explicit type arguments and refuses an uninferred one', () => {
    expectTypeOf(system.ask<CounterMsg, number>(counter, (replyTo) => ({ type: 'get', replyTo }))).toEqualTypeOf<Promise<number>>();
    // @ts-expect-error the reply type cannot be inferred: say system.ask<CounterMsg, number>(...)
    void system.ask(counter, (replyTo) => ({ type: 'get', replyTo }));
  });
});
