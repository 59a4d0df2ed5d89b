import { Actor, type ActorRef } from '@troupe/core';
import nact from 'nact';
import { Latch } from './latch.js';
import { type Sample, perSecond } from './measurement.js';
import { nactSystem, stopNact, troupeSystem } from './systems.js';

/**
 * Ping-pong: two actors pass one message back and forth, one in flight at a time, so
 * every message goes through the full tell → schedule → receive path. `messages`
 * counts both directions (a round trip is two messages). Messages are preallocated
 * constants so the figure measures the runtime, not the test's allocations.
 *
 * With `children` > 0 each of the two actors first spawns that many idle children:
 * a runtime whose per-message cost grows with the number of children shows it here.
 */

type PingerMsg = { readonly type: 'start' } | { readonly type: 'pong' };
type PongerMsg = { readonly type: 'ping'; readonly replyTo: ActorRef<PingerMsg> };

const START: PingerMsg = Object.freeze({ type: 'start' });
const PONG: PingerMsg = Object.freeze({ type: 'pong' });

/** Round trips for `messages` messages; a round trip is two messages, so `messages` must be even. */
export function roundTrips(messages: number): number {
  if (!(Number.isInteger(messages) && messages > 0 && messages % 2 === 0)) throw new RangeError(`ping-pong: messages must be a positive even integer, got ${messages}`);
  return messages / 2;
}

class Idle extends Actor<never> {
  constructor(private readonly started: Latch) {
    super();
  }

  override preStart(): void {
    this.started.count();
  }

  receive(): void {}
}

/** Spawns `children` idle children in preStart, then counts itself started. */
abstract class Parent<M> extends Actor<M> {
  constructor(
    private readonly children: number,
    private readonly started: Latch,
  ) {
    super();
  }

  override preStart(): void {
    for (let i = 0; i < this.children; i++) this.context.spawn(() => new Idle(this.started));
    this.started.count();
  }
}

class Ponger extends Parent<PongerMsg> {
  receive(message: PongerMsg): void {
    message.replyTo.tell(PONG);
  }
}

class Pinger extends Parent<PingerMsg> {
  private readonly ping: PongerMsg;
  private received = 0;

  constructor(
    children: number,
    started: Latch,
    private readonly ponger: ActorRef<PongerMsg>,
    private readonly rounds: number,
    private readonly finished: Latch,
  ) {
    super(children, started);
    this.ping = Object.freeze({ type: 'ping', replyTo: this.context.self });
  }

  receive(message: PingerMsg): void {
    if (message.type === 'pong' && ++this.received === this.rounds) this.finished.count();
    else this.ponger.tell(this.ping);
  }
}

/** Troupe: `messages` messages between two actors that each have `children` idle children. */
export async function troupePingPong(messages: number, children: number): Promise<Sample> {
  const rounds = roundTrips(messages);
  const system = troupeSystem();
  try {
    const started = new Latch(2 * (children + 1));
    const finished = new Latch(1);
    const ponger = system.spawn(() => new Ponger(children, started));
    const pinger = system.spawn(() => new Pinger(children, started, ponger, rounds, finished));
    await started.done;
    const start = performance.now();
    pinger.tell(START);
    await finished.done;
    return { rate: perSecond(messages, performance.now() - start) };
  } finally {
    await system.terminate();
  }
}

type NactPongerMsg = { readonly replyTo: nact.Ref<'pong'> };

/** nact: the same exchange between two stateless actors, each with `children` idle children. */
export async function nactPingPong(messages: number, children: number): Promise<Sample> {
  const rounds = roundTrips(messages);
  const system = nactSystem();
  try {
    const finished = new Latch(1);
    const ponger = nact.spawnStateless(system, (message: NactPongerMsg) => nact.dispatch(message.replyTo, 'pong'), 'ponger');
    let received = 0;
    // Assigned once the pinger exists (it needs the pinger's ref); read only after that.
    // eslint-disable-next-line prefer-const
    let ping: NactPongerMsg | undefined;
    const pinger = nact.spawnStateless(
      system,
      (message: 'start' | 'pong') => {
        if (message === 'pong' && ++received === rounds) finished.count();
        else nact.dispatch(ponger, ping as NactPongerMsg);
      },
      'pinger',
    );
    ping = Object.freeze({ replyTo: pinger as nact.Ref<'pong'> });
    const idle = (): void => {};
    for (const parent of [ponger, pinger]) {
      for (let i = 0; i < children; i++) nact.spawnStateless(parent, idle, `child-${i}`);
    }
    // nact creates actors synchronously, so all children exist here.
    const start = performance.now();
    nact.dispatch(pinger, 'start');
    await finished.done;
    return { rate: perSecond(messages, performance.now() - start) };
  } finally {
    await stopNact(system);
  }
}
