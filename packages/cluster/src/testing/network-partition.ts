import { type Cluster, transportOf } from '../cluster.js';

/**
 * Cuts `cluster` off from the nodes at `addresses`: everything to and from them is
 * dropped (counted in `transportStats.partitionDrops`; user messages become dead letters
 * with reason `partitioned`) until `healPartitions`. For tests of failure detection,
 * downing and split brains; a real network never behaves this tidily, so production code
 * has no use for it.
 * @example partitionFrom(a, [b.selfAddress]); partitionFrom(b, [a.selfAddress]);
 */
export function partitionFrom(cluster: Cluster, addresses: Iterable<string>): void {
  transportOf(cluster).block(addresses);
}

/** Undoes every `partitionFrom` of `cluster`: traffic to and from those nodes flows again. */
export function healPartitions(cluster: Cluster): void {
  transportOf(cluster).unblockAll();
}
