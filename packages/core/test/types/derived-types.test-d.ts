import { Actor, type ActorRef, type MessageOf, type ReplyOf } from '@troupe/core';
import { describe, expectTypeOf, it } from 'vitest';

type CounterMsg = { type: 'add'; n: number } | { type: 'get'; replyTo: ActorRef<number> } | { type: 'name'; replyTo: ActorRef<string> };

class Counter extends Actor<CounterMsg> {
  receive(): void {}
}

// Only its type is used (MessageOf<typeof Greeter>).
// eslint-disable-next-line @typescript-eslint/no-unused-vars
class Greeter extends Actor<{ type: 'greet'; whom: string }> {
  constructor(readonly greeting: string) {
    super();
  }
  receive(): void {}
}

describe('MessageOf', () => {
  it('is the message type of an actor class, an actor, a factory or a ref', () => {
    expectTypeOf<MessageOf<typeof Counter>>().toEqualTypeOf<CounterMsg>();
    expectTypeOf<MessageOf<Counter>>().toEqualTypeOf<CounterMsg>();
    expectTypeOf<MessageOf<() => Counter>>().toEqualTypeOf<CounterMsg>();
    expectTypeOf<MessageOf<ActorRef<CounterMsg>>>().toEqualTypeOf<CounterMsg>();
    expectTypeOf<MessageOf<typeof Greeter>>().toEqualTypeOf<{ type: 'greet'; whom: string }>();
  });

  it('is never for what is not an actor', () => {
    expectTypeOf<MessageOf<string>>().toBeNever();
    expectTypeOf<MessageOf<{ receive(message: number): void }>>().toBeNever();
  });
});

describe('ReplyOf', () => {
  it('is the type a message replies with, per member of a union', () => {
    expectTypeOf<ReplyOf<Extract<CounterMsg, { type: 'get' }>>>().toEqualTypeOf<number>();
    expectTypeOf<ReplyOf<CounterMsg>>().toEqualTypeOf<number | string>();
    expectTypeOf<ReplyOf<MessageOf<typeof Counter>>>().toEqualTypeOf<number | string>();
  });

  it('is never for a message without replyTo', () => {
    expectTypeOf<ReplyOf<{ type: 'add'; n: number }>>().toBeNever();
  });

  it('reads a readonly replyTo', () => {
    expectTypeOf<ReplyOf<{ readonly replyTo: ActorRef<boolean> }>>().toEqualTypeOf<boolean>();
  });
});
