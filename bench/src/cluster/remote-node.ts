/**
 * The remote process of the two-process benchmarks, forked by the runner through
 * `MultiNodeHarness` and driven over IPC. It hosts both subjects, so raw and Troupe
 * runs see the same process: a raw ws client connected to the runner's raw server
 * (sink or echo), and a Troupe cluster node (started per codec) with a `sink` and an
 * `echo` actor. It connects to the runner, as a Troupe node that joins through a seed
 * does, so in both subjects the runner writes as the ws server (unmasked frames).
 */
import { Cluster } from '@troupe/cluster';
import { Actor, silentLogger } from '@troupe/core';
import { type RawData, WebSocket } from 'ws';
import { BENCH_SECRET, BENCH_SYSTEM, type Echo, type Pong, type Tick } from './bench-messages.js';
import { DeliveryCounter } from './delivery-counter.js';
import { type CodecName, frameCodecOf } from './frame-codec-choice.js';

type Command =
  | { readonly type: 'raw-connect'; readonly requestId: number; readonly port: number }
  | { readonly type: 'raw-sink'; readonly requestId: number; readonly codec: CodecName; readonly runId: number; readonly count: number }
  | { readonly type: 'raw-echo'; readonly requestId: number }
  | { readonly type: 'troupe-start'; readonly requestId: number; readonly codec: CodecName; readonly seed: string }
  | { readonly type: 'troupe-sink'; readonly requestId: number; readonly runId: number; readonly count: number }
  | { readonly type: 'troupe-stop'; readonly requestId: number }
  | { readonly type: 'gc'; readonly requestId: number };

const PONG: Pong = { type: 'pong' };
const counter = new DeliveryCounter();
let rawSocket: WebSocket | undefined;
let rawMode: 'sink' | 'echo' = 'sink';
let rawCodec = frameCodecOf('json');
let cluster: Cluster | undefined;

class Sink extends Actor<Tick> {
  receive(message: Tick): void {
    counter.take(message.seq);
  }
}

class Echoer extends Actor<Echo> {
  receive(message: Echo): void {
    message.replyTo.tell(PONG);
  }
}

function onRawFrame(data: RawData): void {
  const frame = data as Buffer;
  const items = rawCodec.decode(frame);
  if (rawMode === 'sink') {
    for (const item of items) counter.take((item as Tick).seq);
    return;
  }
  // Echo: answer every request of the frame in one frame, with the same codec.
  const replies = items.map((item) => ({ type: 'pong', id: (item as { id: number }).id }));
  rawSocket?.send(rawCodec.encode(replies), { binary: true });
}

function connectRaw(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`ws://127.0.0.1:${port}/`, { perMessageDeflate: false, maxPayload: 4 * 1024 * 1024 });
    socket.on('open', () => {
      rawSocket = socket;
      resolve();
    });
    socket.on('error', reject);
    socket.on('message', onRawFrame);
  });
}

async function startTroupe(codec: CodecName, seed: string): Promise<string> {
  const node = await Cluster.start({
    name: BENCH_SYSTEM,
    host: '127.0.0.1',
    port: 0,
    secret: BENCH_SECRET,
    seeds: [seed],
    transport: { codec: frameCodecOf(codec) },
    system: { logger: silentLogger },
  });
  cluster = node;
  node.system.spawn(() => new Sink(), { name: 'sink' });
  node.system.spawn(() => new Echoer(), { name: 'echo' });
  await node.whenUp;
  return node.selfAddress;
}

async function handle(command: Command): Promise<Record<string, unknown>> {
  switch (command.type) {
    case 'raw-connect':
      await connectRaw(command.port);
      return {};
    case 'raw-sink':
      rawMode = 'sink';
      rawCodec = frameCodecOf(command.codec);
      counter.expect(command.runId, command.count);
      return {};
    case 'raw-echo':
      rawMode = 'echo';
      rawCodec = frameCodecOf('json');
      return {};
    case 'troupe-start':
      return { address: await startTroupe(command.codec, command.seed) };
    case 'troupe-sink':
      counter.expect(command.runId, command.count);
      return {};
    case 'troupe-stop':
      await cluster?.shutdown();
      cluster = undefined;
      return {};
    case 'gc':
      globalThis.gc?.();
      globalThis.gc?.();
      return {};
  }
}

process.on('message', (command: Command) => {
  handle(command).then(
    (result) => process.send?.({ type: 'reply', replyTo: command.requestId, ...result }),
    (error: unknown) => process.send?.({ type: 'reply', replyTo: command.requestId, error: String(error) }),
  );
});
process.on('disconnect', () => process.exit(0));
process.send?.({ type: 'ready', pid: process.pid });
