/**
 * One node of the cluster-ring example, run as a child process by main.ts. It joins
 * the cluster, runs a `kv` actor that says which node it is on, and (on the first
 * node) routes keys through a consistent-hashing cluster router when asked over IPC.
 */
import { Cluster, ClusterGroupRouter, ClusterRoutingLogics } from '@troupe/cluster';
import { Actor, type ActorRef, silentLogger } from '@troupe/core';

type KvMessage = { readonly type: 'put'; readonly key: string; readonly replyTo: ActorRef<string> };

/** Stores nothing; answers with the node it runs on, so the demo can show where keys land. */
class Kv extends Actor<KvMessage> {
  receive(message: KvMessage): void {
    message.replyTo.tell(this.context.system.address);
  }
}

const seeds = process.argv.slice(2);
const cluster = await Cluster.start({
  name: 'ring',
  secret: process.env.RING_SECRET ?? 'cluster-ring-example-secret',
  seeds,
  gossipIntervalMs: 300,
  failureDetector: { heartbeatIntervalMs: 300, acceptableHeartbeatPauseMs: 1500 },
  downing: { stableAfterMs: 1500 },
  system: { logger: silentLogger },
});
cluster.system.spawn(() => new Kv(), { name: 'kv' });
const router = ClusterGroupRouter.create<KvMessage>(cluster, { routeePath: 'kv', logic: ClusterRoutingLogics.consistentHashing((m) => m.key) });

const send = (message: object) => process.send?.(message);
send({ type: 'started', address: cluster.selfAddress, hostPort: cluster.hostPort });
cluster.subscribe((event) => {
  const members = cluster.state.members.map((m) => ({ address: m.address, status: m.status }));
  send({ type: 'event', event: event.type, member: 'member' in event ? event.member.address : undefined, members, unreachable: cluster.state.unreachable.map((m) => m.address) });
});

async function handle(command: { type: string; keys?: string[]; requestId?: number }): Promise<void> {
  if (command.type === 'route' && command.keys !== undefined) {
    const placements: Record<string, string> = {};
    for (const key of command.keys) placements[key] = await router.ask<string>((replyTo) => ({ type: 'put', key, replyTo }), { timeoutMs: 3000 });
    send({ type: 'routed', replyTo: command.requestId, placements });
  }
  if (command.type === 'leave') {
    await cluster.leave();
    process.exit(0);
  }
}
// A failed command ends the node with its reason rather than as an unhandled rejection.
process.on('message', (command: { type: string; keys?: string[]; requestId?: number }) => {
  handle(command).catch((error: unknown) => {
    console.error(`cluster-ring node: ${String(error)}`);
    process.exit(1);
  });
});
process.on('disconnect', () => process.exit(0));
