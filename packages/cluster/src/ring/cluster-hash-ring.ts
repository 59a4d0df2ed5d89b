import HashRing from 'hashring';
import type { Member } from '../membership/member.js';

/** Options of the cluster hash ring. */
export interface ClusterHashRingOptions {
  /** Virtual nodes per member (the `hashring` package's `vnode count`). @default 40 */
  readonly virtualNodes?: number;
  /** Weight per member address (default 1); a member with weight 2 owns about twice the keys. */
  readonly weightOf?: (member: Member) => number;
  /** Only members with this role take part. @default every Up member */
  readonly role?: string;
}

/**
 * A consistent hash ring over the Up members (the `hashring` package): a key maps
 * to one node, and a membership change moves only about 1/N of the keys. Immutable:
 * `withMembers` builds a new ring.
 */
export class ClusterHashRing {
  private readonly ring: HashRing | undefined;
  /** Addresses on the ring, sorted. */
  readonly nodes: readonly string[];

  private constructor(nodes: readonly string[], ring: HashRing | undefined) {
    this.nodes = nodes;
    this.ring = ring;
  }

  /** A ring over the Up members of `members` (filtered by role). */
  static of(members: readonly Member[], options: ClusterHashRingOptions = {}): ClusterHashRing {
    const virtualNodes = options.virtualNodes ?? 40;
    if (!(Number.isInteger(virtualNodes) && virtualNodes > 0)) throw new RangeError(`ClusterHashRing: virtualNodes must be a positive integer, got ${options.virtualNodes}`);
    const up = members.filter((m) => m.status === 'up' && (options.role === undefined || m.roles.includes(options.role)));
    const nodes = up.map((m) => m.address).sort();
    if (nodes.length === 0) return new ClusterHashRing([], undefined);
    const servers: Record<string, { vnodes: number; weight: number }> = {};
    for (const member of up) {
      const weight = options.weightOf?.(member) ?? 1;
      if (!(Number.isFinite(weight) && weight > 0)) throw new RangeError(`ClusterHashRing: weight of ${member.address} must be > 0, got ${weight}`);
      servers[member.address] = { vnodes: virtualNodes, weight };
    }
    return new ClusterHashRing(nodes, new HashRing(servers, 'md5', { 'vnode count': virtualNodes }));
  }

  /** The node owning `key`, or undefined when the ring is empty. */
  nodeFor(key: string): string | undefined {
    return this.ring?.get(key);
  }

  /** True when both rings hold the same nodes. */
  sameNodesAs(other: ClusterHashRing): boolean {
    return this.nodes.length === other.nodes.length && this.nodes.every((node, i) => node === other.nodes[i]);
  }
}
