import type { ActorRef, RoutingLogic } from '@troupe/core';
import { addressOfPath } from '../address/node-address.js';
import type { Cluster } from '../cluster.js';

/**
 * Each message goes to a routee on the node with the fewest messages waiting in its
 * outbound queue, not yet written to its socket (local routees count as 0), round-robin
 * among equals.
 *
 * What it measures is the link, not the work: a healthy connection drains its queue
 * every tick, so in steady state every node has a backlog of 0 and this is round-robin.
 * It steers away from a node whose connection is behind (a slow network, a peer that
 * stopped reading and so backpressures, a burst sent within one tick), never from a node
 * whose routees are busy. For work balancing across routees that share one queue, use
 * core's balancing pool on one node.
 */
export class ClusterLeastOutboundBacklogRoutingLogic<M> implements RoutingLogic<M> {
  private next = 0;

  constructor(private readonly cluster: Cluster) {}

  route(message: M, routees: readonly ActorRef<M>[]): void {
    let best: ActorRef<M> | undefined;
    let bestBacklog = Number.POSITIVE_INFINITY;
    const n = routees.length;
    const start = this.next++ % n;
    for (let i = 0; i < n; i++) {
      const routee = routees[(start + i) % n] as ActorRef<M>;
      const backlog = this.cluster.outboundBacklog(addressOfPath(routee.path) ?? this.cluster.selfAddress);
      if (backlog < bestBacklog) {
        best = routee;
        bestBacklog = backlog;
        if (backlog === 0) break;
      }
    }
    (best as ActorRef<M>).tell(message);
  }
}
