import { createServer, connect } from 'node:net';
import { Actor, type ActorRef, ActorSystem, silentLogger } from '@troupe/core';
import { inboundDelivery } from '@troupe/core/spi';
import { TestProbe, awaitCondition } from '@troupe/testkit';
import { afterEach, describe, expect, it } from 'vitest';

let system: ActorSystem;
afterEach(async () => {
  await system?.terminate();
});

/** An actor that records every message it receives, in order. */
function spawnRecorder(on: ActorSystem): { recorder: ActorRef<string>; seen: string[] } {
  const seen: string[] = [];
  class Recorder extends Actor<string> {
    receive(message: string): void {
      seen.push(message);
    }
  }
  return { recorder: on.spawn(() => new Recorder()), seen };
}

/** Uses up more than a time slice of CPU (work, not a wait to synchronise on). */
function busyFor(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until);
}

/** Keeps itself busy forever: every message sends itself another. */
class Spinner extends Actor<'spin'> {
  count = 0;
  static latest: Spinner | undefined;
  constructor() {
    super();
    Spinner.latest = this;
  }
  receive(): void {
    this.count++;
    this.context.self.tell('spin');
  }
}

describe('Dispatcher', () => {
  it('keeps timers and sockets live while actors are busy', async () => {
    system = ActorSystem.create({ logger: silentLogger });
    const spinner = system.spawn(() => new Spinner());
    spinner.tell('spin');

    const timerFired = new Promise<number>((resolve) => {
      const start = performance.now();
      setTimeout(() => resolve(performance.now() - start), 5);
    });
    const server = createServer((socket) => socket.pipe(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const echoed = new Promise<string>((resolve, reject) => {
      const client = connect(port, '127.0.0.1', () => client.write('ping'));
      client.on('data', (data) => {
        client.end();
        resolve(data.toString());
      });
      client.on('error', reject);
    });

    const deadline = new Promise<never>((_, reject) => {
      const t = setTimeout(() => reject(new Error('event loop starved')), 2000);
      t.unref();
    });
    expect(await Promise.race([echoed, deadline])).toBe('ping');
    expect(await Promise.race([timerFired, deadline])).toBeGreaterThanOrEqual(4);
    server.close();
    expect(Spinner.latest?.count ?? 0).toBeGreaterThan(1000);
  });

  it('lets busy actors take turns within the throughput budget', async () => {
    system = ActorSystem.create({ logger: silentLogger, throughput: 10 });
    const probe = TestProbe.create<string>(system);
    class Tagger extends Actor<number> {
      constructor(
        private readonly tag: string,
        private readonly out: ActorRef<string>,
      ) {
        super();
      }
      receive(n: number): void {
        if (n % 10 === 0) this.out.tell(this.tag);
      }
    }
    const a = system.spawn(() => new Tagger('a', probe.ref));
    const b = system.spawn(() => new Tagger('b', probe.ref));
    for (let i = 0; i < 40; i++) a.tell(i);
    for (let i = 0; i < 40; i++) b.tell(i);
    // With a budget of 10 per turn, a and b alternate every 10 messages.
    expect(await probe.receiveN(8)).toEqual(['a', 'b', 'a', 'b', 'a', 'b', 'a', 'b']);
  });

  it("holds the actors an inbound delivery wakes and runs them at its end, on the caller's stack, once, never from inside an actor", async () => {
    system = ActorSystem.create({ logger: silentLogger });
    const delivery = inboundDelivery(system);
    const seen: string[] = [];
    class Recorder extends Actor<string> {
      receive(message: string): void {
        seen.push(message);
        // From inside a run it must do nothing (no re-entrant run).
        delivery.end();
        seen.push(`after ${message}`);
      }
    }
    const recorder = system.spawn(() => new Recorder());
    // Let the spawn's own start-up run settle first.
    await new Promise((resolve) => setImmediate(resolve));
    delivery.begin();
    recorder.tell('a');
    recorder.tell('b');
    // Held: not even the microtasks after the tells run them.
    await Promise.resolve();
    expect(seen).toEqual([]);
    delivery.end();
    expect(seen).toEqual(['a', 'after a', 'b', 'after b']);
    // Outside a delivery, messages run on a microtask as usual.
    recorder.tell('c');
    await new Promise((resolve) => setImmediate(resolve));
    expect(seen).toEqual(['a', 'after a', 'b', 'after b', 'c', 'after c']);
  });

  it("starts a new time slice with the first inbound delivery of an I/O callback, so a quiet system answers on the caller's stack however long ago it last yielded", async () => {
    system = ActorSystem.create({ logger: silentLogger, timeSliceMs: 1 });
    const delivery = inboundDelivery(system);
    const { recorder, seen } = spawnRecorder(system);
    recorder.tell('start');
    await awaitCondition(() => seen.length === 1);
    // CPU work elsewhere: longer than a slice since the dispatcher last yielded.
    busyFor(3);
    delivery.begin();
    recorder.tell('x');
    delivery.end();
    expect(seen).toEqual(['start', 'x']);
  });

  it('spans one slice over all the frames of one I/O callback: once it is used up, the rest run after a yield', async () => {
    system = ActorSystem.create({ logger: silentLogger, timeSliceMs: 1 });
    const delivery = inboundDelivery(system);
    const { recorder, seen } = spawnRecorder(system);
    await new Promise((resolve) => setImmediate(resolve));
    // Two frames read in one callback (no microtask between them), with more than a slice of work in between.
    delivery.begin();
    recorder.tell('a');
    delivery.end();
    busyFor(2);
    delivery.begin();
    recorder.tell('b');
    delivery.end();
    expect(seen).toEqual(['a']);
    await new Promise((resolve) => setImmediate(resolve));
    expect(seen).toEqual(['a', 'b']);
  });

  it('does not cut short a yield: after a full time slice, the end of an inbound delivery leaves the run to setImmediate', async () => {
    system = ActorSystem.create({ logger: silentLogger, timeSliceMs: 1 });
    const spinner = system.spawn(() => new Spinner());
    spinner.tell('spin');
    // A spinner never runs out of work, so every run of it ends by using up its slice:
    // once it has run, outside a run the dispatcher is always yielding to setImmediate.
    await awaitCondition(() => (Spinner.latest?.count ?? 0) > 0);
    const before = Spinner.latest?.count ?? 0;
    const delivery = inboundDelivery(system);
    delivery.begin();
    delivery.end();
    expect(Spinner.latest?.count).toBe(before);
  });
});
