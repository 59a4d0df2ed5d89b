import { type Gossip, unreachableMembers } from '../membership/gossip.js';

/** What a downing strategy decided: which members to mark Down (possibly its own side). */
export interface DowningDecision {
  readonly down: readonly string[];
  /** True when this side gives itself up. */
  readonly downsOwnSide: boolean;
}

/** Decides who to down once the membership has been stable with unreachable members. */
export interface DowningStrategy {
  readonly name: string;
  /** Pure: the decision for `gossip` seen from `self`, or undefined when nothing is unreachable. */
  decide(gossip: Gossip, self: string): DowningDecision | undefined;
}

/** The two sides of a suspected partition as `self` sees them. */
export interface Sides {
  /** Up/Leaving members on self's side (the ones that count). */
  readonly reachableVoters: readonly string[];
  readonly unreachableVoters: readonly string[];
  /** Every live member on each side, including Joining ones (they are downed with their side). */
  readonly reachableAll: readonly string[];
  readonly unreachableAll: readonly string[];
}

/** Splits the live members into self's side and the unreachable side. */
export function sidesOf(gossip: Gossip): Sides | undefined {
  const unreachable = unreachableMembers(gossip);
  const live = gossip.members.filter((m) => m.status !== 'down' && m.status !== 'removed');
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
