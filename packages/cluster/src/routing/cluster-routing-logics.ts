import { type ActorRef, type RouterContext, type RoutingLogic, RoutingLogics } from '@troupe/core';
import { addressOfPath } from '../address/node-address.js';
import type { Cluster } from '../cluster.js';
import { ClusterHashRing } from '../ring/cluster-hash-ring.js';
import { ClusterLeastOutboundBacklogRoutingLogic } from './cluster-least-outbound-backlog-routing-logic.js';

/**
 * Consistent hashing across nodes: key → hash ring of the routees' nodes → node,
 * then (when a node has several routees) a stable pick among that node's routees.
 * Adding or removing a node moves only about 1/N of the keys.
 */
export class ClusterConsistentHashingRoutingLogic<M> implements RoutingLogic<M> {
  private ring = ClusterHashRing.of([]);
  private byNode = new Map<string, ActorRef<M>[]>();

  constructor(
    private readonly hashKey: (message: M) => string,
    private readonly virtualNodes = 40,
  ) {
    if (typeof hashKey !== 'function') throw new TypeError('ClusterRoutingLogics.consistentHashing: hashKey must be a function (message) => string');
  }

  routeesChanged(routees: readonly ActorRef<M>[]): void {
    const byNode = new Map<string, ActorRef<M>[]>();
    for (const routee of routees) {
      const node = addressOfPath(routee.path) ?? '';
      const list = byNode.get(node) ?? [];
      list.push(routee);
      byNode.set(node, list);
    }
    for (const list of byNode.values()) list.sort((a, b) => (a.path < b.path ? -1 : 1));
    this.byNode = byNode;
    this.ring = ClusterHashRing.of(
      [...byNode.keys()].map((address) => ({ address, status: 'up', upNumber: 1, roles: [] })),
      { virtualNodes: this.virtualNodes },
    );
  }

  /** The node `message` is routed to (for tests and diagnostics). */
  nodeFor(message: M): string | undefined {
    return this.ring.nodeFor(String(this.hashKey(message)));
  }

  route(message: M, routees: readonly ActorRef<M>[], router: RouterContext): void {
    if (this.byNode.size === 0) this.routeesChanged(routees);
    const key = String(this.hashKey(message));
    const list = this.byNode.get(this.ring.nodeFor(key) ?? '');
    if (list === undefined || list.length === 0) {
      router.deadLetter(message, 'no-routees');
      return;
    }
    (list[list.length === 1 ? 0 : hash(key) % list.length] as ActorRef<M>).tell(message);
  }
}

function hash(key: string): number {
  let h = 2166136261;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 16777619);
  return h >>> 0;
}

/** Routing logics for cluster routers; each call makes a fresh instance for one router. */
export const ClusterRoutingLogics = {
  /** Each message to the next routee in turn, across all nodes. */
  roundRobin: <M>() => RoutingLogics.roundRobin<M>(),
  /** By a key from the message: key → ring of nodes → node → routee. */
  consistentHashing: <M>(hashKey: (message: M) => string, virtualNodes?: number) => new ClusterConsistentHashingRoutingLogic<M>(hashKey, virtualNodes),
  /**
   * To the node with the fewest messages waiting for its socket, round-robin among equals.
   * Not work balancing: a healthy link has no backlog, so this is round-robin until a link
   * or a peer falls behind (see `ClusterLeastOutboundBacklogRoutingLogic`).
   */
  leastOutboundBacklog: <M>(cluster: Cluster) => new ClusterLeastOutboundBacklogRoutingLogic<M>(cluster),
};
