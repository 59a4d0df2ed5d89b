import { Actor, AskAbortedError, AskTimeoutError, type ActorRef, ActorSystem, type DeadLetter, silentLogger } from '@troupe/core';
import { resolveLocalRef } from '@troupe/core/spi';
import { ManualClock, TestProbe } from '@troupe/testkit';
import { afterEach, describe, expect, it } from 'vitest';

let system: ActorSystem;
afterEach(async () => {
  await system?.terminate();
});

type EchoMsg = { id: number; replyTo: ActorRef<number> };

class Echo extends Actor<EchoMsg> {
  receive(message: EchoMsg): void {
    message.replyTo.tell(message.id);
  }
}

/** Passes every request to a probe and never answers on its own. */
class Hoarder extends Actor<EchoMsg> {
  constructor(private readonly probe: ActorRef<EchoMsg>) {
    super();
  }
  receive(message: EchoMsg): void {
    this.probe.tell(message);
  }
}

describe('ask', () => {
  it('resolves with the reply', async () => {
    system = ActorSystem.create({ logger: silentLogger });
    const echo = system.spawn(() => new Echo());
    await expect(echo.ask<number>((replyTo) => ({ id: 42, replyTo }))).resolves.toBe(42);
  });

  it('lets a pending ask be found by the path of its temporary ref (how a reply from another node finds it), until it settles', async () => {
    system = ActorSystem.create({ logger: silentLogger });
    const probe = TestProbe.create<EchoMsg>(system);
    const hoarder = system.spawn(() => new Hoarder(probe.ref));
    const answer = hoarder.ask<number>((replyTo) => ({ id: 7, replyTo }));
    const { replyTo } = await probe.expectMessage();
    expect(replyTo.path).toMatch(new RegExp(`^${system.address}/temp/\\$[0-9a-z]+$`));
    const found = resolveLocalRef(system, replyTo.path) as ActorRef<number>;
    expect(found).toBe(replyTo);
    // JSON writes it as its path, which leads back to it.
    expect(JSON.parse(JSON.stringify({ replyTo }))).toEqual({ replyTo: { '$troupe.ref': replyTo.path } });
    found.tell(7);
    await expect(answer).resolves.toBe(7);
    expect(resolveLocalRef(system, replyTo.path)).toBeUndefined();
    expect(resolveLocalRef(system, `${replyTo.path}0`)).toBeUndefined();
  });

  it('rejects with AskTimeoutError after the timeout, and sends a late reply to dead letters', async () => {
    const clock = new ManualClock();
    system = ActorSystem.create({ logger: silentLogger, clock });
    const letters: DeadLetter[] = [];
    system.eventStream.subscribe('dead-letter', (letter) => letters.push(letter));
    const probe = TestProbe.create<EchoMsg>(system);
    const hoarder = system.spawn(() => new Hoarder(probe.ref), { name: 'hoarder' });
    const reply = hoarder.ask<number>((replyTo) => ({ id: 1, replyTo }), { timeoutMs: 500 });
    const settled = reply.catch((error: unknown) => error);
    const request = await probe.expectMessage();
    // Its path handed out (as to another node): found by it while pending, and not after the timeout.
    const path = request.replyTo.path;
    expect(resolveLocalRef(system, path)).toBe(request.replyTo);
    clock.advance(499);
    expect(await Promise.race([settled, Promise.resolve('pending')])).toBe('pending');
    clock.advance(1);
    const error = await settled;
    expect(error).toBeInstanceOf(AskTimeoutError);
    expect((error as AskTimeoutError).code).toBe('ERR_ASK_TIMEOUT');
    expect((error as Error).message).toBe('ask to troupe://troupe/user/hoarder timed out after 500 ms');
    expect(clock.pendingTimers).toBe(0);
    request.replyTo.tell(1);
    expect(letters.map((l) => l.reason)).toEqual(['ask-already-completed']);
    expect(resolveLocalRef(system, path)).toBeUndefined();
  });

  it('rejects with AskAbortedError when its signal aborts, and frees the timer', async () => {
    const clock = new ManualClock();
    system = ActorSystem.create({ logger: silentLogger, clock });
    const hoarder = system.spawn(() => new Hoarder(TestProbe.create<EchoMsg>(system).ref));
    const controller = new AbortController();
    const reply = hoarder.ask<number>((replyTo) => ({ id: 1, replyTo }), { signal: controller.signal });
    controller.abort(new Error('user cancelled'));
    const error = await reply.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AskAbortedError);
    expect((error as AskAbortedError).code).toBe('ERR_ASK_ABORTED');
    expect(((error as AskAbortedError).cause as Error).message).toBe('user cancelled');
    clock.advance(10_000);
    expect(clock.pendingTimers).toBe(0);
    const already = hoarder.ask<number>((replyTo) => ({ id: 2, replyTo }), { signal: AbortSignal.abort() });
    await expect(already).rejects.toBeInstanceOf(AskAbortedError);
  });

  it('settles exactly once: the first reply wins', async () => {
    system = ActorSystem.create({ logger: silentLogger });
    class Twice extends Actor<EchoMsg> {
      receive(message: EchoMsg): void {
        message.replyTo.tell(1);
        message.replyTo.tell(2);
      }
    }
    const twice = system.spawn(() => new Twice());
    await expect(twice.ask<number>((replyTo) => ({ id: 0, replyTo }))).resolves.toBe(1);
  });

  it('rejects when the message builder throws, and for a bad timeout', async () => {
    system = ActorSystem.create({ logger: silentLogger });
    const echo = system.spawn(() => new Echo());
    await expect(
      echo.ask<number>(() => {
        throw new Error('cannot build');
      }),
    ).rejects.toThrow('cannot build');
    await expect(echo.ask<number>((replyTo) => ({ id: 1, replyTo }), { timeoutMs: 0 })).rejects.toThrow(RangeError);
  });

  it('rejects, never throws, when the target refuses the message (a full mailbox with the fail policy)', async () => {
    system = ActorSystem.create({ logger: silentLogger });
    const { promise: gate, resolve: open } = Promise.withResolvers<void>();
    class Stuck extends Actor<EchoMsg> {
      async receive(): Promise<void> {
        await gate;
      }
    }
    const stuck = system.spawn(() => new Stuck(), { mailbox: { capacity: 1, overflow: 'fail' } });
    const replies = [1, 2, 3].map((id) => stuck.ask<number>((replyTo) => ({ id, replyTo }), { timeoutMs: 60_000 }).catch((e: unknown) => e));
    const refused = await replies[2];
    expect((refused as { code?: string }).code).toBe('ERR_MAILBOX_OVERFLOW');
    open();
  });

  it('rejects a pending ask when the system terminates', async () => {
    system = ActorSystem.create({ logger: silentLogger });
    const hoarder = system.spawn(() => new Hoarder(TestProbe.create<EchoMsg>(system).ref));
    const reply = hoarder.ask<number>((replyTo) => ({ id: 1, replyTo }));
    await system.terminate();
    await expect(reply).rejects.toMatchObject({ code: 'ERR_SYSTEM_TERMINATED' });
  });

  it('routes 1,000,000 replies with 10,000 in flight each to its own asker', async () => {
    system = ActorSystem.create({ logger: silentLogger });
    const echo = system.spawn(() => new Echo());
    let wrong = 0;
    let next = 0;
    const total = 1_000_000;
    const worker = async (): Promise<void> => {
      while (next < total) {
        const id = next++;
        const reply = await echo.ask<number>((replyTo) => ({ id, replyTo }), { timeoutMs: 60_000 });
        if (reply !== id) wrong++;
      }
    };
    await Promise.all(Array.from({ length: 10_000 }, worker));
    expect(next).toBe(total);
    expect(wrong).toBe(0);
  }, 60_000);
});
