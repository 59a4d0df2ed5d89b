import { Actor, type ActorRef, ActorSystem, JsonSerializer, SerializationRegistry, StatusReply, StatusReplyError, TroupeError, silentLogger } from '@troupe/core';
import { afterEach, describe, expect, it } from 'vitest';

let system: ActorSystem;
afterEach(async () => {
  await system?.terminate();
});

class InsufficientFundsError extends TroupeError {
  constructor(balance: number) {
    super('ERR_INSUFFICIENT_FUNDS', `balance ${balance} is too low`);
  }
}

type AccountMsg = { type: 'withdraw'; amount: number; replyTo: ActorRef<StatusReply<number>> };

class Account extends Actor<AccountMsg> {
  private balance = 10;
  receive(message: AccountMsg): void {
    if (message.amount > this.balance) {
      message.replyTo.tell(StatusReply.error(new InsufficientFundsError(this.balance)));
      return;
    }
    this.balance -= message.amount;
    message.replyTo.tell(StatusReply.success(this.balance));
  }
}

/** What a reply looks like after crossing nodes: the cluster's default codec is JSON. */
function acrossNodes<T>(value: T): T {
  const registry = new SerializationRegistry(new JsonSerializer());
  return registry.deserialize(registry.serialize(value)) as T;
}

describe('StatusReply', () => {
  it('is plain JSON that survives serialization, where an Error arrives as {} and loses its message', () => {
    expect(acrossNodes(new Error('too low'))).toEqual({});
    expect(acrossNodes(new InsufficientFundsError(3))).not.toHaveProperty('message');
    expect(acrossNodes(StatusReply.success(7))).toEqual({ ok: true, value: 7 });
    expect(acrossNodes(StatusReply.error(new InsufficientFundsError(3)))).toEqual({ ok: false, error: { code: 'ERR_INSUFFICIENT_FUNDS', message: 'balance 3 is too low' } });
  });

  it('takes the code of an error that has one, the name of one that has not, and a code and message given as such', () => {
    expect(StatusReply.error(new RangeError('too big'))).toEqual({ ok: false, error: { code: 'RangeError', message: 'too big' } });
    expect(StatusReply.error({ code: 'ERR_CLOSED', message: 'account closed' })).toEqual({ ok: false, error: { code: 'ERR_CLOSED', message: 'account closed' } });
    expect(StatusReply.error('nope')).toEqual({ ok: false, error: { code: 'ERR_UNKNOWN', message: 'nope' } });
  });

  it('unwraps a success to its value and an error to a thrown StatusReplyError with the code and message', () => {
    expect(StatusReply.unwrap(acrossNodes(StatusReply.success('x')))).toBe('x');
    let thrown: unknown;
    try {
      StatusReply.unwrap(acrossNodes(StatusReply.error(new InsufficientFundsError(2))));
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(StatusReplyError);
    expect(thrown).toMatchObject({ code: 'ERR_INSUFFICIENT_FUNDS', message: 'balance 2 is too low', name: 'StatusReplyError' });
  });

  it('unwraps an ask: resolves with the value or rejects with StatusReplyError', async () => {
    system = ActorSystem.create({ logger: silentLogger });
    const account = system.spawn(() => new Account());
    await expect(StatusReply.unwrap(account.ask((replyTo) => ({ type: 'withdraw', amount: 4, replyTo })))).resolves.toBe(6);
    const refused = StatusReply.unwrap(account.ask((replyTo) => ({ type: 'withdraw', amount: 100, replyTo })));
    await expect(refused).rejects.toBeInstanceOf(StatusReplyError);
    await expect(refused).rejects.toMatchObject({ code: 'ERR_INSUFFICIENT_FUNDS', message: 'balance 6 is too low' });
  });

  it('refuses to unwrap what is not a status reply', () => {
    expect(() => StatusReply.unwrap({} as StatusReply<number>)).toThrow(TypeError);
  });
});
