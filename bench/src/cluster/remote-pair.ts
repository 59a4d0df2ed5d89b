import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { Cluster } from '@troupe/cluster';
import { type ActorRef, silentLogger } from '@troupe/core';
import { MultiNodeHarness } from '@troupe/testkit';
import { type RawData, type WebSocket, WebSocketServer } from 'ws';
import { BENCH_SECRET, BENCH_SYSTEM, type Echo, type Tick } from './bench-messages.js';
import type { DeliveryReport } from './delivery-counter.js';
import { type CodecName, frameCodecOf } from './frame-codec-choice.js';

const REMOTE_NODE = fileURLToPath(new URL('./remote-node.js', import.meta.url));
const REQUEST_TIMEOUT_MS = 30_000;

/** This process and the forked remote node, joined as a Troupe cluster of two. */
export interface TroupePair {
  readonly codec: CodecName;
  readonly local: Cluster;
  readonly remoteAddress: string;
  readonly sink: ActorRef<Tick>;
  readonly echo: ActorRef<Echo>;
}

/**
 * The two processes of the remote benchmarks: this one (the sender, a ws server) and
 * a forked `remote-node.js` (the receiver, a ws client of the raw server and a Troupe
 * node joined through this process's node). Both subjects use one connection between
 * the same two processes, written by this process as the server.
 */
export class RemotePair {
  private troupePair: TroupePair | undefined;
  private runIds = 0;
  private onRawReply: (items: unknown[]) => void = () => {};

  private constructor(
    private readonly harness: MultiNodeHarness,
    private readonly server: WebSocketServer,
    /** The raw ws connection to the remote node (server side). */
    readonly raw: WebSocket,
  ) {
    raw.on('message', (data: RawData) => this.onRawReply(frameCodecOf('json').decode(data as Buffer)));
  }

  /** Forks the remote node and connects the raw ws baseline. */
  static async start(): Promise<RemotePair> {
    const harness = await MultiNodeHarness.start({ script: REMOTE_NODE, nodes: 1, execArgv: ['--expose-gc'], startTimeoutMs: 30_000 });
    try {
      const server = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false, maxPayload: 4 * 1024 * 1024, clientTracking: false });
      await new Promise<void>((resolve) => server.once('listening', () => resolve()));
      const accepted = new Promise<WebSocket>((resolve) => server.once('connection', resolve));
      await request(harness, { type: 'raw-connect', port: (server.address() as AddressInfo).port });
      return new RemotePair(harness, server, await accepted);
    } catch (error) {
      await harness.cleanup();
      throw error;
    }
  }

  /** The Troupe pair currently running (see `startTroupe`). */
  get troupe(): TroupePair {
    if (this.troupePair === undefined) throw new Error('RemotePair: startTroupe first');
    return this.troupePair;
  }

  /** Starts a Troupe node here (the seed) and one in the remote process, both with `codec`, and waits until both are Up. */
  async startTroupe(codec: CodecName): Promise<TroupePair> {
    await this.stopTroupe();
    const local = await Cluster.start({ name: BENCH_SYSTEM, host: '127.0.0.1', port: 0, secret: BENCH_SECRET, transport: { codec: frameCodecOf(codec) }, system: { logger: silentLogger } });
    try {
      const reply = await request<{ address: string }>(this.harness, { type: 'troupe-start', codec, seed: local.hostPort });
      await local.whenUp;
      const pair: TroupePair = {
        codec,
        local,
        remoteAddress: reply.address,
        sink: local.refFor<Tick>(local.pathOn(reply.address, 'sink')),
        echo: local.refFor<Echo>(local.pathOn(reply.address, 'echo')),
      };
      this.troupePair = pair;
      return pair;
    } catch (error) {
      await local.shutdown();
      throw error;
    }
  }

  /** Shuts both Troupe nodes down. */
  async stopTroupe(): Promise<void> {
    const pair = this.troupePair;
    if (pair === undefined) return;
    this.troupePair = undefined;
    await Promise.all([request(this.harness, { type: 'troupe-stop' }), pair.local.shutdown()]);
  }

  /**
   * Tells the remote node to expect `count` messages on `subject`; resolves once it is
   * ready, with `delivered`: its report once the last message has arrived. (Wrapped in an
   * object: an async function returning a bare Promise would wait for the delivery.)
   */
  async expect(subject: 'raw' | 'troupe', count: number, codec: CodecName): Promise<{ readonly delivered: Promise<DeliveryReport> }> {
    const runId = ++this.runIds;
    await request(this.harness, subject === 'raw' ? { type: 'raw-sink', codec, runId, count } : { type: 'troupe-sink', runId, count });
    const node = this.harness.nodes[0];
    if (node === undefined) throw new Error('RemotePair: no remote node');
    const from = node.messages.length;
    let report: DeliveryReport | undefined;
    const delivered = this.harness
      .waitFor(
        () => {
          report = node.messages.slice(from).find((m) => (m as DeliveryReport).type === 'delivered' && (m as DeliveryReport).runId === runId) as DeliveryReport | undefined;
          return report !== undefined;
        },
        120_000,
        `delivery of ${count} ${subject} messages`,
      )
      .then(() => report as DeliveryReport);
    return { delivered };
  }

  /** Switches the raw connection to echo mode; `onReply` gets the items of every reply frame. */
  async rawEcho(onReply: (items: unknown[]) => void): Promise<void> {
    await request(this.harness, { type: 'raw-echo' });
    this.onRawReply = onReply;
  }

  /** A full GC in the remote process (the runner collects its own). */
  async collectRemoteGarbage(): Promise<void> {
    await request(this.harness, { type: 'gc' });
  }

  /** Stops Troupe, closes the raw connection and server, kills the remote process. */
  async close(): Promise<void> {
    await this.stopTroupe().catch(() => {});
    this.raw.terminate();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    await this.harness.cleanup();
  }
}

async function request<R = Record<string, unknown>>(harness: MultiNodeHarness, command: Readonly<Record<string, unknown>>): Promise<R> {
  const reply = await harness.request<R & { error?: string }>(0, command, REQUEST_TIMEOUT_MS);
  if (reply.error !== undefined) throw new Error(`remote node: ${String(command.type)} failed: ${reply.error}`);
  return reply;
}
