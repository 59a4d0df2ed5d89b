import { type Sample, perSecond } from './measurement.js';
import { roundTrips } from './ping-pong.js';
import { RawRingBuffer } from './raw-ring-buffer.js';

/**
 * The ceiling: the same message patterns with no actor runtime at all, just plain
 * ring-buffer queues drained in a loop. No run queue, lifecycle, supervision,
 * budgets or time slices, so no actor runtime can move messages faster than this.
 */

const PING = 'ping';
const PONG = 'pong';

/**
 * `messages` messages (both directions counted) between two queues, one in flight:
 * the loop drains the ponger's queue (answering into the pinger's) and the pinger's
 * queue (answering into the ponger's) until the last round trip.
 */
export function rawPingPong(messages: number): Sample {
  const rounds = roundTrips(messages);
  const toPonger = new RawRingBuffer<string>();
  const toPinger = new RawRingBuffer<string>();
  let received = 0;
  const start = performance.now();
  toPonger.push(PING);
  while (received < rounds) {
    while (toPonger.size > 0) {
      toPonger.shift();
      toPinger.push(PONG);
    }
    while (toPinger.size > 0) {
      toPinger.shift();
      if (++received < rounds) toPonger.push(PING);
    }
  }
  const ms = performance.now() - start;
  return { rate: perSecond(messages, ms) };
}

/** `messages` messages pushed round-robin into `queues` queues, then each queue drained in turn. */
export function rawFanOut(messages: number, queues: number): Sample {
  const targets: RawRingBuffer<number>[] = [];
  for (let i = 0; i < queues; i++) targets.push(new RawRingBuffer<number>());
  let handled = 0;
  const start = performance.now();
  let next = 0;
  for (let i = 0; i < messages; i++) {
    (targets[next] as RawRingBuffer<number>).push(i);
    if (++next === queues) next = 0;
  }
  for (const queue of targets) {
    while (queue.size > 0) {
      queue.shift();
      handled++;
    }
  }
  const ms = performance.now() - start;
  if (handled !== messages) throw new Error(`raw fan-out: expected ${messages} handled, got ${handled}`);
  return { rate: perSecond(messages, ms) };
}

/**
 * Request–response with a Promise per request, answered from a queue drained on a
 * microtask: the cheapest `await`-able round trip, so the ceiling for `ask`.
 */
export class RawResponder {
  private readonly pending = new RawRingBuffer<(reply: string) => void>(128);
  private scheduled = false;

  ask(): Promise<string> {
    const { promise, resolve } = Promise.withResolvers<string>();
    this.pending.push(resolve);
    if (!this.scheduled) {
      this.scheduled = true;
      queueMicrotask(this.drain);
    }
    return promise;
  }

  private readonly drain = (): void => {
    this.scheduled = false;
    const pending = this.pending;
    while (pending.size > 0) pending.shift()('pong');
  };
}
