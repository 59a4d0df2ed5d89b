import type { Gossip } from '../membership/gossip.js';
import { unreachableBy } from '../membership/reachability.js';

/** What a downing strategy decided: which members to mark Down (possibly its own side). */
export interface DowningDecision {
  readonly down: readonly string[];
  /**
   * True when this side gives itself up. Every node of that side then downs itself once
   * this has held for the stable-after period, leader or not, whatever else changes.
   */
  readonly downsOwnSide: boolean;
}

/** Decides who to down once the membership has been stable with unreachable members. */
export interface DowningStrategy {
  readonly name: string;
  /**
   * Pure: the decision for `gossip` seen from `self`, or undefined when nothing is
   * unreachable. `self` is always on its own side (see `sidesOf`).
   */
  decide(gossip: Gossip, self: string): DowningDecision | undefined;
}

/** The two sides of a suspected partition as `self` sees them. */
export interface Sides {
  /** Up/Leaving members on self's side (the ones that count); self among them when Up. */
  readonly reachableVoters: readonly string[];
  readonly unreachableVoters: readonly string[];
  /** Every live member on each side, including Joining ones (they are downed with their side). */
  readonly reachableAll: readonly string[];
  readonly unreachableAll: readonly string[];
}

/**
 * Splits the live members into self's side and the far side. The far side is what self
 * and the observers on its side report unreachable. Self is never on the far side of its
 * own partition, and reports made by a node self cannot reach do not count: they are the
 * far side's picture of the same split (a resumed zombie whose fellow zombie reported it
 * unreachable would otherwise see nobody on its side, not even itself, and never down
 * itself), or stale news from a node already gone.
 */
export function sidesOf(gossip: Gossip, self: string): Sides | undefined {
  const live = gossip.members.filter((m) => m.status !== 'down' && m.status !== 'removed');
  const liveAddresses = new Set(live.map((m) => m.address));
  const farSide = unreachableBy(gossip.reachability, self);
  const unreachable = new Set<string>();
  for (const { observer, subject } of gossip.reachability.records) {
    if (subject !== self && liveAddresses.has(observer) && !farSide.has(observer)) unreachable.add(subject);
  }
  const unreachableAll = live.filter((m) => unreachable.has(m.address));
  if (unreachableAll.length === 0) return undefined;
  const voters = (list: typeof live) => list.filter((m) => m.status === 'up' || m.status === 'leaving').map((m) => m.address);
  const reachableAll = live.filter((m) => !unreachable.has(m.address));
  return {
    reachableVoters: voters(reachableAll),
    unreachableVoters: voters(unreachableAll),
    reachableAll: reachableAll.map((m) => m.address),
    unreachableAll: unreachableAll.map((m) => m.address),
  };
}
