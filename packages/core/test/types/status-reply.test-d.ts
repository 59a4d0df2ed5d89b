import { type ActorRef, StatusReply } from '@troupe/core';
import { describe, expectTypeOf, it } from 'vitest';

type Msg = { type: 'withdraw'; amount: number; replyTo: ActorRef<StatusReply<number>> };
declare const account: ActorRef<Msg>;

describe('StatusReply', () => {
  it('is a success with a value or an error with a code and a message, narrowed by ok', () => {
    const reply = StatusReply.success(1) as StatusReply<number>;
    if (reply.ok) expectTypeOf(reply.value).toEqualTypeOf<number>();
    else expectTypeOf(reply.error).toEqualTypeOf<{ readonly code: string; readonly message: string }>();
    expectTypeOf(StatusReply.error(new Error('x'))).toExtend<StatusReply<number>>();
    // @ts-expect-error a success carries the replied type
    const wrong: StatusReply<string> = StatusReply.success(1);
    void wrong;
  });

  it('unwraps a reply to its value, and an ask to a Promise of it', () => {
    expectTypeOf(StatusReply.unwrap(StatusReply.success('x'))).toEqualTypeOf<string>();
    expectTypeOf(StatusReply.unwrap(account.ask((replyTo) => ({ type: 'withdraw', amount: 1, replyTo })))).toEqualTypeOf<Promise<number>>();
  });
});
