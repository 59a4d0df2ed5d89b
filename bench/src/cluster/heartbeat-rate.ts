import type { MemberCounters } from './cluster-member.js';
import type { MemberCluster } from './member-cluster.js';

/**
 * Heartbeat traffic in a converged, idle cluster: the envelopes of kind `hb`
 * (heartbeat) and `hbr` (its reply) each member sends during a window of `windowMs`,
 * per member per second, counted by each member's `EnvelopeCountingCodec`. With
 * `monitoredPeers` = 5 (default) a member sends 1 `hb`/s to each of min(N−1, 5)
 * ring neighbours and answers the `hb` it receives, so the rate should level off
 * at about 10/s from N = 6 on. Gossip envelopes are counted alongside.
 */

export interface HeartbeatRate {
  /** Mean over members of (hb + hbr sent) per second. */
  readonly perNodePerSecond: number;
  /** The busiest member's (hb + hbr sent) per second. */
  readonly maxPerNodePerSecond: number;
  /** Mean over members of gossip envelopes sent per second. */
  readonly gossipPerNodePerSecond: number;
  /** Envelopes sent by kind (summed over members) during the window, and `transportStats.envelopesSent` for the same window. */
  readonly window: { readonly ms: number; readonly byKind: Readonly<Record<string, number>>; readonly transportEnvelopesSent: number };
}

const delta = (after: MemberCounters, before: MemberCounters, kind: string): number => (after.sent[kind] ?? 0) - (before.sent[kind] ?? 0);

/** Counts hb/hbr/gossip envelopes every member sends during `windowMs` (a wall-clock window: this measures a rate over time). */
export async function heartbeatRate(cluster: MemberCluster, windowMs: number): Promise<HeartbeatRate> {
  const members = cluster.nodes.map((node) => node.index);
  const before = await cluster.counters(members);
  const start = performance.now();
  await new Promise((resolve) => setTimeout(resolve, windowMs));
  const after = await cluster.counters(members);
  const seconds = (performance.now() - start) / 1000;
  const perNode = members.map((_, i) => (delta(after[i] as MemberCounters, before[i] as MemberCounters, 'hb') + delta(after[i] as MemberCounters, before[i] as MemberCounters, 'hbr')) / seconds);
  const byKind: Record<string, number> = {};
  let transportEnvelopesSent = 0;
  for (const [i, a] of after.entries()) {
    const b = before[i] as MemberCounters;
    for (const kind of Object.keys(a.sent)) byKind[kind] = (byKind[kind] ?? 0) + delta(a, b, kind);
    transportEnvelopesSent += a.envelopesSent - b.envelopesSent;
  }
  return {
    perNodePerSecond: perNode.reduce((sum, x) => sum + x, 0) / perNode.length,
    maxPerNodePerSecond: Math.max(...perNode),
    gossipPerNodePerSecond: (byKind.gossip ?? 0) / members.length / seconds,
    window: { ms: Math.round(seconds * 1000), byKind, transportEnvelopesSent },
  };
}
