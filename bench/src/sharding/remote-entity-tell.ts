import { Cluster, ClusterSharding, type EntityRef } from '@troupe/cluster';
import { type ActorRef, silentLogger } from '@troupe/core';
import { type Sample, nextTurn, perSecond } from '../core/measurement.js';
import { BENCH_SECRET, BENCH_SYSTEM } from '../cluster/bench-messages.js';
import type { DeliveryReport } from '../cluster/delivery-counter.js';
import { ShardingCluster } from './sharding-cluster.js';
import { SINK, type SinkMessage } from './sharding-settings.js';

/**
 * Remote tell through sharding vs a direct remote tell over the same link: this
 * process is a cluster node that hosts nothing (the sink type's role is `host`), the
 * forked member (role `host`) hosts the entity and a plain `sink` actor of the same
 * class. `count` ticks, `batch` per event-loop turn; the rate is ticks ÷ the time from
 * the first tell until the member reports (over IPC) that the last one arrived, in order.
 * Sharded: `entityRef.tell` (the first through this node's region, which forwards to the
 * member's region; the rest straight to the entity's path on the member, whose region
 * inlet tells the entity); direct: `tell` on the remote ref of the `sink` actor.
 * As in the cluster bench, the sender waits while more than BACKLOG_LIMIT messages wait
 * in the outbound queue, so the bounded queue never drops.
 */

const BACKLOG_LIMIT = 50_000;
const DELIVERY_TIMEOUT_MS = 120_000;

export class RemoteShardingPair {
  private runIds = 0;

  private constructor(
    private readonly members: ShardingCluster,
    private readonly local: Cluster,
    private readonly remoteAddress: string,
    private readonly entity: EntityRef<SinkMessage>,
    private readonly sink: ActorRef<SinkMessage>,
  ) {}

  static async start(): Promise<RemoteShardingPair> {
    const members = await ShardingCluster.load(1, { tuned: false, persistent: false });
    let local: Cluster | undefined;
    try {
      local = await Cluster.start({ name: BENCH_SYSTEM, host: '127.0.0.1', port: 0, secret: BENCH_SECRET, system: { logger: silentLogger } });
      const sharding = ClusterSharding.get(local);
      sharding.init({
        typeKey: SINK,
        create: () => {
          throw new Error('this node has no host role');
        },
        role: 'host',
      });
      const remoteAddress = await members.start(0, ['host'], local.hostPort);
      await local.whenUp;
      await members.waitUp([0], [local.selfAddress, remoteAddress], 30_000);
      return new RemoteShardingPair(members, local, remoteAddress, sharding.entityRefFor(SINK, 'sink-1'), local.refFor<SinkMessage>(local.pathOn(remoteAddress, 'sink')));
    } catch (error) {
      await local?.shutdown();
      await members.close();
      throw error;
    }
  }

  /** Sharded: through the entity ref. */
  sharded(count: number, batch: number): Promise<Sample> {
    return this.run(this.entity, count, batch);
  }

  /** Direct: through the remote actor ref. */
  direct(count: number, batch: number): Promise<Sample> {
    return this.run(this.sink, count, batch);
  }

  /** A full GC in the member (the runner collects its own). */
  async collectRemoteGarbage(): Promise<void> {
    await this.members.request(0, { type: 'gc' });
  }

  async close(): Promise<void> {
    await this.local.shutdown();
    await this.members.close();
  }

  private async run(target: { tell(message: SinkMessage): void }, count: number, batch: number): Promise<Sample> {
    const runId = ++this.runIds;
    await this.members.request(0, { type: 'sink', runId, count });
    const from = this.members.nodes[0]?.messages.length ?? 0;
    const delivered = this.members.waitForMessage<DeliveryReport>(
      0,
      from,
      (m) => (m as DeliveryReport).type === 'delivered' && (m as DeliveryReport).runId === runId,
      DELIVERY_TIMEOUT_MS,
      `delivery of ${count} ticks`,
    );
    const dropsBefore = this.local.transportStats.queueOverflowDrops;
    const start = performance.now();
    let seq = 0;
    while (seq < count) {
      const end = Math.min(count, seq + batch);
      while (seq < end) target.tell({ type: 'tick', seq: seq++ });
      await nextTurn();
      while (this.local.outboundBacklog(this.remoteAddress) > BACKLOG_LIMIT) await new Promise((resolve) => setTimeout(resolve, 1));
    }
    const report = await delivered;
    const ms = performance.now() - start;
    if (report.received !== count || report.outOfOrder !== 0) throw new Error(`received ${report.received}/${count}, ${report.outOfOrder} out of order`);
    if (this.local.transportStats.queueOverflowDrops !== dropsBefore) throw new Error('the outbound queue dropped messages');
    return { rate: perSecond(count, ms) };
  }
}
