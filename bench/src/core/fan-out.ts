import { Actor, type ActorRef, Routers, spawnRouter } from '@troupe/core';
import nact from 'nact';
import { Latch } from './latch.js';
import { type Sample, perSecond } from './measurement.js';
import { nactSystem, stopNact, troupeSystem } from './systems.js';

/**
 * Fan-out: the benchmark's main loop sends `messages` messages round-robin to
 * `routees` actors in one go, and the clock stops when the last one is handled.
 *
 * Troupe routes through a pool router (`Routers.pool`), which routes on the sender's
 * turn straight into a routee's mailbox. nact has no routers; the fair equivalent is
 * a parent actor with `routees` children and the sender dispatching round-robin to
 * the children's refs, which is also routing on the sender's turn. (A nact parent
 * that forwards each message would add one hop through its mailbox, and nact handles
 * every message in its own setImmediate, so that parent would forward one message per
 * event-loop turn: it measures nact's scheduler, not fan-out.)
 */

type Work = { readonly type: 'work' };
const WORK: Work = Object.freeze({ type: 'work' });

class Routee extends Actor<Work> {
  constructor(
    private readonly started: Latch,
    private readonly handled: Latch,
  ) {
    super();
  }

  override preStart(): void {
    this.started.count();
  }

  receive(): void {
    this.handled.count();
  }
}

/** Troupe: a round-robin pool of `routees`. */
export async function troupeFanOut(messages: number, routees: number): Promise<Sample> {
  const system = troupeSystem();
  try {
    const started = new Latch(routees);
    const handled = new Latch(messages);
    const router: ActorRef<Work> = spawnRouter(system, Routers.pool({ size: routees, routee: () => new Routee(started, handled) }));
    await started.done;
    const start = performance.now();
    for (let i = 0; i < messages; i++) router.tell(WORK);
    await handled.done;
    return { rate: perSecond(messages, performance.now() - start) };
  } finally {
    await system.terminate();
  }
}

/** nact: `routees` children of one parent, dispatched to round-robin by the sender. */
export async function nactFanOut(messages: number, routees: number): Promise<Sample> {
  const system = nactSystem();
  try {
    const handled = new Latch(messages);
    const parent = nact.spawnStateless(system, () => {}, 'parent');
    const children: nact.Ref<Work>[] = [];
    for (let i = 0; i < routees; i++) children.push(nact.spawnStateless(parent, (_message: Work) => handled.count(), `routee-${i}`));
    const start = performance.now();
    let next = 0;
    for (let i = 0; i < messages; i++) {
      nact.dispatch(children[next] as nact.Ref<Work>, WORK);
      if (++next === routees) next = 0;
    }
    await handled.done;
    return { rate: perSecond(messages, performance.now() - start) };
  } finally {
    await stopNact(system);
  }
}
