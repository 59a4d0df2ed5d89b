import { Actor, type ActorRef } from '@troupe/core';
import nact from 'nact';
import { type Sample, perSecond, quantileOfSorted } from './measurement.js';
import { RawResponder } from './raw-baseline.js';
import { nactSystem, stopNact, troupeSystem } from './systems.js';

/**
 * Ask: request–response from outside any actor to an echo actor. Sequential awaits
 * each reply before the next request (throughput plus latency quantiles, each ask
 * timed with performance.now(), whose own cost is included); in-flight keeps
 * `inFlight` asks outstanding with that many concurrent loops (throughput only).
 */

type EchoMsg = { readonly type: 'echo'; readonly replyTo: ActorRef<'pong'> };

class Echo extends Actor<EchoMsg> {
  receive(message: EchoMsg): void {
    message.replyTo.tell('pong');
  }
}

const buildEcho = (replyTo: ActorRef<'pong'>): EchoMsg => ({ type: 'echo', replyTo });

type NactEchoMsg = { readonly replyTo: nact.Ref<'pong'> };
const buildNactEcho = (replyTo: nact.Ref<'pong'>): NactEchoMsg => ({ replyTo });
const NACT_TIMEOUT_MS = 5000;

/** Awaits `ask` `count` times in a row; throughput and p50/p99 latency in µs. */
export async function sequentialAsks(count: number, ask: () => Promise<unknown>): Promise<Sample> {
  const latencies = new Float64Array(count);
  const start = performance.now();
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    await ask();
    latencies[i] = performance.now() - t0;
  }
  const ms = performance.now() - start;
  latencies.sort();
  return { rate: perSecond(count, ms), p50: quantileOfSorted(latencies, 0.5) * 1000, p99: quantileOfSorted(latencies, 0.99) * 1000 };
}

/** Runs `count` asks with `inFlight` loops, each awaiting its own asks one after another. */
export async function concurrentAsks(count: number, inFlight: number, ask: () => Promise<unknown>): Promise<Sample> {
  let issued = 0;
  const loop = async (): Promise<void> => {
    while (issued < count) {
      issued++;
      await ask();
    }
  };
  const start = performance.now();
  const loops: Promise<void>[] = [];
  for (let i = 0; i < inFlight; i++) loops.push(loop());
  await Promise.all(loops);
  return { rate: perSecond(count, performance.now() - start) };
}

/** Troupe: `ref.ask` to an echo actor; `inFlight` 1 means sequential. */
export async function troupeAsk(count: number, inFlight: number): Promise<Sample> {
  const system = troupeSystem();
  try {
    const echo = system.spawn(() => new Echo());
    const ask = (): Promise<'pong'> => echo.ask(buildEcho);
    await ask();
    return inFlight === 1 ? await sequentialAsks(count, ask) : await concurrentAsks(count, inFlight, ask);
  } finally {
    await system.terminate();
  }
}

/** nact: `query` to an echo actor (nact requires a timeout; it arms a setTimeout per query). */
export async function nactAsk(count: number, inFlight: number): Promise<Sample> {
  const system = nactSystem();
  try {
    const echo = nact.spawnStateless(system, (message: NactEchoMsg) => nact.dispatch(message.replyTo, 'pong'), 'echo');
    const ask = (): Promise<unknown> => nact.query(echo, buildNactEcho, NACT_TIMEOUT_MS);
    await ask();
    return inFlight === 1 ? await sequentialAsks(count, ask) : await concurrentAsks(count, inFlight, ask);
  } finally {
    await stopNact(system);
  }
}

/** Raw: a Promise per request answered from a queue drained on a microtask (no actor at all). */
export async function rawAsk(count: number, inFlight: number): Promise<Sample> {
  const responder = new RawResponder();
  const ask = (): Promise<string> => responder.ask();
  await ask();
  return inFlight === 1 ? await sequentialAsks(count, ask) : await concurrentAsks(count, inFlight, ask);
}
