import type { Member } from '../membership/member.js';
import { ClusterHashRing } from '../ring/cluster-hash-ring.js';

const LIVE: ReadonlySet<Member['status']> = new Set(['joining', 'up', 'leaving', 'exiting']);

/**
 * Where the shards of one entity type belong, as one node's membership view says:
 * a hash ring over the Up members with the type's role. Immutable; every node with
 * the same view computes the same owners.
 */
export class ShardAllocation {
  private constructor(
    private readonly ring: ClusterHashRing,
    /** Members that may host or still host shards (Joining, Up, Leaving, Exiting; with the role): acquire rounds ask them. */
    readonly liveHosts: readonly string[],
  ) {}

  /** The allocation for `members`, limited to those with `role` when given. */
  static of(members: readonly Member[], role: string | undefined): ShardAllocation {
    const withRole = role === undefined ? members : members.filter((m) => m.roles.includes(role));
    return new ShardAllocation(
      ClusterHashRing.of(withRole),
      withRole.filter((m) => LIVE.has(m.status)).map((m) => m.address),
    );
  }

  /** The node owning `shardId`; undefined when no member with the role is Up. */
  ownerOf(shardId: number): string | undefined {
    return this.ring.nodeFor(String(shardId));
  }

  /** The Up nodes shards are spread over, sorted. */
  get nodes(): readonly string[] {
    return this.ring.nodes;
  }

  /** True when `node` may still host shards (so an acquire round must hear from it). */
  isLiveHost(node: string): boolean {
    return this.liveHosts.includes(node);
  }

  /** True when both allocations place every shard alike and ask the same hosts. */
  sameAs(other: ShardAllocation): boolean {
    return this.ring.sameNodesAs(other.ring) && this.liveHosts.length === other.liveHosts.length && this.liveHosts.every((n) => other.liveHosts.includes(n));
  }
}
