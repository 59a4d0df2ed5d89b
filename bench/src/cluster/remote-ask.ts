import { sequentialAsks } from '../core/ask.js';
import type { Sample } from '../core/measurement.js';
import type { Pong } from './bench-messages.js';
import { frameCodecOf } from './frame-codec-choice.js';
import type { RemotePair } from './remote-pair.js';

/**
 * Remote ask latency, sequential (one request in flight), between two processes:
 * each request is timed from before sending to its reply (core's `sequentialAsks`:
 * throughput and p50/p99 in µs).
 *
 * Troupe: `echo.ask(...)` to an actor on the remote node, which answers `replyTo`
 * (the ask's temporary ref, sent as a remote ref) with a small message.
 * Raw: one JSON frame `[{type:'echo',id}]` on a plain ws connection between the same
 * two processes, answered by the remote handler with `[{type:'pong',id}]`.
 */

const ASK_TIMEOUT_MS = 5000;

/** Troupe: sequential remote asks to the echo actor of the running Troupe pair. */
export async function troupeAsk(pair: RemotePair, count: number): Promise<Sample> {
  const { echo } = pair.troupe;
  const ask = (): Promise<Pong> => echo.ask<Pong>((replyTo) => ({ type: 'echo', replyTo }), { timeoutMs: ASK_TIMEOUT_MS });
  await ask();
  return sequentialAsks(count, ask);
}

/** Raw: sequential request–reply frames on the raw ws connection. */
export async function rawAsk(pair: RemotePair, count: number): Promise<Sample> {
  const codec = frameCodecOf('json');
  let pending: ((value: unknown) => void) | undefined;
  let id = 0;
  await pair.rawEcho(() => {
    const resolve = pending;
    pending = undefined;
    resolve?.(undefined);
  });
  const ask = (): Promise<unknown> =>
    new Promise((resolve) => {
      pending = resolve;
      pair.raw.send(codec.encode([{ type: 'echo', id: id++ }]), { binary: true });
    });
  await ask();
  return sequentialAsks(count, ask);
}
