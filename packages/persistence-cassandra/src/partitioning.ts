/**
 * Where events of one persistence id live: pure arithmetic shared by writers and readers.
 *
 * Event `n` belongs to partition `partitionNr(n) = floor((n - 1) / size)`. An atomic write
 * is stored whole in ONE partition, the partition of its LAST event (as
 * akka-persistence-cassandra does): a write that would cross a boundary moves whole into
 * the next partition. With writes of at most `size` events this gives two invariants the
 * readers rely on:
 *
 * 1. Event `n` is stored in `partitionNr(n)` or `partitionNr(n) + 1`.
 * 2. Every partition from the first stored event to the last holds at least one event, so
 *    (deletes remove only a prefix) a reader that found events in partition `p` and none
 *    in `p + 1` has seen them all; at the start one empty partition is tolerated.
 */

/** Partition of sequence number `sequenceNr` (≥ 1) for partitions of `size` events. */
export function partitionNr(sequenceNr: number, size: number): number {
  return Math.floor((Math.max(sequenceNr, 1) - 1) / size);
}

/** The partition an atomic write of `from..to` is stored in: that of its last event. */
export function partitionOfWrite(from: number, to: number, size: number): number {
  if (to < from) throw new RangeError(`partitionOfWrite: to (${to}) is below from (${from})`);
  return partitionNr(to, size);
}

/** True when an atomic write of `from..to` is too long to keep the invariants (more than `size` events). */
export function exceedsPartition(from: number, to: number, size: number): boolean {
  return to - from + 1 > size;
}
