/**
 * One member of the multi-node benchmarks, forked by the runner through
 * `MultiNodeHarness` and driven over IPC. It loads, reports `ready`, and starts its
 * cluster node only when told (`start` with the seeds), so the measured time excludes
 * process start-up. The node runs with the package defaults (heartbeat 1 s,
 * acceptable pause 5 s, gossip 1 s, stable-after 7 s, 5 monitored peers) unless `start`
 * carries failure-detector options; the frame codec is wrapped, to count envelopes per kind (`EnvelopeCountingCodec`).
 * It reports its view of the membership after every cluster event.
 */
import { Cluster, type FailureDetectorOptions, JsonFrameCodec } from '@troupe/cluster';
import { silentLogger } from '@troupe/core';
import { BENCH_SECRET, BENCH_SYSTEM } from './bench-messages.js';
import { EnvelopeCountingCodec } from './envelope-counting-codec.js';

type Command =
  | { readonly type: 'start'; readonly requestId: number; readonly seeds: readonly string[]; readonly failureDetector?: FailureDetectorOptions }
  | { readonly type: 'counters'; readonly requestId: number };

/** One node's view, sent after every cluster event. */
export interface MemberView {
  readonly type: 'view';
  readonly address: string;
  readonly members: readonly { readonly address: string; readonly status: string }[];
  readonly unreachable: readonly string[];
  readonly leader: string | undefined;
}

/** Envelope counters of one node (the reply to `counters`). */
export interface MemberCounters {
  readonly sent: Readonly<Record<string, number>>;
  readonly received: Readonly<Record<string, number>>;
  /** `transportStats.envelopesSent`, to check the per-kind counts against. */
  readonly envelopesSent: number;
}

const codec = new EnvelopeCountingCodec(new JsonFrameCodec());
let cluster: Cluster | undefined;

function report(node: Cluster): void {
  const state = node.state;
  const view: MemberView = {
    type: 'view',
    address: node.selfAddress,
    members: state.members.map((m) => ({ address: m.address, status: m.status })),
    unreachable: state.unreachable.map((m) => m.address),
    leader: state.leader,
  };
  process.send?.(view);
}

async function start(seeds: readonly string[], failureDetector: FailureDetectorOptions | undefined): Promise<Record<string, unknown>> {
  const node = await Cluster.start({
    name: BENCH_SYSTEM,
    host: '127.0.0.1',
    port: 0,
    secret: BENCH_SECRET,
    seeds,
    transport: { codec },
    ...(failureDetector === undefined ? {} : { failureDetector }),
    system: { logger: silentLogger },
  });
  cluster = node;
  node.subscribe(() => report(node), { initialState: false });
  return { address: node.selfAddress, hostPort: node.hostPort };
}

function counters(): MemberCounters {
  return { sent: { ...codec.sent }, received: { ...codec.received }, envelopesSent: cluster?.transportStats.envelopesSent ?? 0 };
}

process.on('message', (command: Command) => {
  const result = command.type === 'start' ? start(command.seeds, command.failureDetector) : Promise.resolve(counters());
  result.then(
    (value) => process.send?.({ type: 'reply', replyTo: command.requestId, ...value }),
    (error: unknown) => process.send?.({ type: 'reply', replyTo: command.requestId, error: String(error) }),
  );
});
process.on('disconnect', () => process.exit(0));
process.send?.({ type: 'ready', pid: process.pid });
